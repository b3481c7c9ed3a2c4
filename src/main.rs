//! The `starcoach` command line: ingest story files, match questions, serve the API.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use std::time::{Duration, Instant};

use starcoach::analysis::TranscriptFormat;
use starcoach::app::{Coach, StartupError};
use starcoach::config::{ConfigError, Settings};
use starcoach::critique::{CritiqueError, CritiqueRequest, TranscriptInput};
use starcoach::ingest::{DocumentAction, IngestProgress, IngestReport};
use starcoach::retrieve::{MatchError, MatchRequest, MatchResponse};

#[derive(Parser)]
#[command(
    name = "starcoach",
    version,
    about = "An interview coach over your own STAR stories"
)]
struct Cli {
    /// Directory holding default.toml and local.toml.
    #[arg(
        long,
        global = true,
        default_value = "config",
        env = "STARCOACH_CONFIG_DIR"
    )]
    config_dir: PathBuf,
    /// Directory of the embedded store (overrides store.path).
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, embed and store story files and notes; only what changed is embedded.
    Ingest {
        /// Files or directories (searched recursively for .md and .txt).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Whose bank to write (default: `default_user` from the config).
        #[arg(long)]
        user: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rank your stories for a behavioral question.
    Match {
        question: String,
        /// How many stories to show.
        #[arg(long)]
        top: Option<usize>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Critique a spoken answer (plain text, WebVTT, SRT or Whisper JSON transcript)
    /// against STAR, grounded in your stories.
    Critique {
        /// The transcript file ("-" reads standard input).
        file: PathBuf,
        /// The interview question (default: the interviewer's turn in the transcript).
        #[arg(long)]
        question: Option<String>,
        /// The transcript format (default: detected from the content).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show which competencies your stories cover, with their level, and the gaps.
    Coverage {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Measure retrieval on the labeled questions: hit@1, hit@3, MRR and gap detection
    /// for dense-only, BM25-only and hybrid.
    Eval {
        #[arg(long)]
        json: bool,
        /// Which half of the labeled set to evaluate.
        #[arg(long, default_value = "all", value_parser = split_parser())]
        split: starcoach::eval::SplitFilter,
        /// The labeled question set.
        #[arg(long, default_value = "tests/eval/questions.toml")]
        labels: PathBuf,
        /// Keep the evaluation store in this directory (reused, so the next run embeds
        /// nothing) instead of a temporary one.
        #[arg(long)]
        eval_store: Option<PathBuf>,
    },
    /// Serve the HTTP API.
    Serve {
        /// Address to bind (overrides server.addr).
        #[arg(long)]
        addr: Option<String>,
    },
}

/// `--format` values.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Plain,
    Vtt,
    Srt,
    WhisperJson,
}

impl From<FormatArg> for TranscriptFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Plain => TranscriptFormat::Plain,
            FormatArg::Vtt => TranscriptFormat::Vtt,
            FormatArg::Srt => TranscriptFormat::Srt,
            FormatArg::WhisperJson => TranscriptFormat::WhisperJson,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve { .. });
    starcoach::telemetry::init(if serving { "info" } else { "warn" });
    match run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            if is_configuration(&err) {
                // A usage error, like a bad argument: the same exit code as clap's.
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// `--split`: the names of [`starcoach::eval::SplitFilter`], listed in `--help`.
fn split_parser() -> impl clap::builder::TypedValueParser<Value = starcoach::eval::SplitFilter> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["dev", "heldout", "all"])
        .try_map(|name| name.parse::<starcoach::eval::SplitFilter>())
}

/// Whether `err` is a bad setting (read at start-up, before any work).
fn is_configuration(err: &anyhow::Error) -> bool {
    err.downcast_ref::<ConfigError>().is_some()
        || matches!(
            err.downcast_ref::<StartupError>(),
            Some(StartupError::Config(_))
        )
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(&cli.config_dir)?;
    if let Some(store) = cli.store {
        settings.store.path = store;
    }
    match cli.command {
        Command::Ingest { paths, user, json } => {
            let user = user.unwrap_or_else(|| settings.default_user.clone());
            let coach = Coach::open(settings).await?;
            let progress = TerminalProgress::new(json);
            let report = coach
                .ingestor
                .ingest_paths(&user, &paths, &progress)
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_ingest(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Match {
            question,
            top,
            user,
            json,
        } => {
            let user = user.unwrap_or_else(|| settings.default_user.clone());
            let request = MatchRequest {
                question,
                top_k: top.unwrap_or(settings.retrieval.default_top_k),
            };
            if let Err(MatchError::Invalid { field, message }) =
                request.validate(&settings.retrieval)
            {
                let flag = if field == "top_k" {
                    "--top"
                } else {
                    "QUESTION"
                };
                eprintln!("error: {flag}: {message}");
                return Ok(ExitCode::from(2));
            }
            let coach = Coach::open(settings).await?;
            let response = coach.retriever.match_stories(&user, &request).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&response)?);
            } else {
                print_matches(&response);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Critique {
            file,
            question,
            format,
            user,
            json,
        } => {
            let user = user.unwrap_or_else(|| settings.default_user.clone());
            let text = match read_input(&file) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("error: {}: {e}", file.display());
                    return Ok(ExitCode::from(2));
                }
            };
            let request = CritiqueRequest {
                question,
                transcript: TranscriptInput::Text(text),
                format: format.map(Into::into),
            };
            let deadline =
                Instant::now() + Duration::from_secs(settings.critique.deadline_secs.max(1));
            let coach = Coach::open(settings).await?;
            let critique = match coach.critic.critique(&user, &request, deadline).await {
                Ok(c) => c,
                Err(CritiqueError::Transcript(e)) => {
                    eprintln!("error: {}: {e}", file.display());
                    return Ok(ExitCode::from(2));
                }
                Err(CritiqueError::Invalid { field, message }) => {
                    let flag = match field {
                        "question" => "--question",
                        "format" => "--format",
                        _ => "FILE",
                    };
                    eprintln!("error: {flag}: {message}");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&critique)?);
            } else {
                print!("{}", starcoach::critique::render_text(&critique));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Coverage { user, json } => {
            let user = user.unwrap_or_else(|| settings.default_user.clone());
            let coach = Coach::open(settings).await?;
            let report = coach.coverage(&user).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_coverage(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            json,
            split,
            labels,
            eval_store,
        } => {
            let labels = starcoach::eval::LabelSet::load(&labels)?;
            let report =
                starcoach::eval::run_with_settings(settings, &labels, split, eval_store).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", starcoach::eval::render(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { addr } => {
            let addr = addr.unwrap_or_else(|| settings.server.addr.clone());
            let coach = Coach::open(settings).await?;
            let (warm, user) = (coach.retriever.clone(), coach.settings.default_user.clone());
            tokio::spawn(async move {
                // Competency and sentence vectors ready before the first question.
                if let Err(e) = warm.warm(&user).await {
                    tracing::warn!(error = %e, "could not warm the retrieval caches");
                }
            });
            starcoach::http::serve(coach, &addr).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A progress bar on a terminal, a few plain lines otherwise, nothing with --json.
struct TerminalProgress {
    bar: Option<ProgressBar>,
    plain: bool,
}

impl TerminalProgress {
    fn new(quiet: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        Self {
            bar: (terminal && !quiet).then(ProgressBar::hidden),
            plain: !terminal && !quiet,
        }
    }
}

impl IngestProgress for TerminalProgress {
    fn start(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "embedding {bar:40} {pos}/{len} chunks {elapsed_precise} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        } else if self.plain && total > 0 {
            eprintln!("embedding {total} chunks");
        }
    }
    fn advance(&self, chunks: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(chunks as u64);
        }
    }
    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn display_source(source: &str) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            std::path::Path::new(source)
                .strip_prefix(cwd)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| source.to_string())
}

fn print_ingest(report: &IngestReport) {
    let c = &report.counts;
    println!(
        "Ingested {} files for user '{}': {} stories, {} notes",
        report.files, report.user, report.stories, report.notes
    );
    for upgrade in &report.store_upgrades {
        println!("  {upgrade}");
    }
    println!(
        "  added {}, changed {}, unchanged {}, moved {}, deleted {}, skipped {}",
        c.added, c.changed, c.unchanged, c.moved, c.deleted, c.skipped
    );
    println!(
        "  {} chunks embedded in {:.1} s",
        report.chunks_embedded,
        report.elapsed_ms as f64 / 1000.0
    );
    // Every change except a long list of additions on a first run, which is noise.
    let show_added = report.counts.added <= 15;
    for change in report.changes.iter().filter(|c| match c.action {
        DocumentAction::Unchanged => false,
        DocumentAction::Added => show_added,
        _ => true,
    }) {
        let action = serde_json::to_value(change.action).unwrap_or_default();
        println!(
            "  {:<9} {}  ({})",
            action.as_str().unwrap_or(""),
            change.title.as_deref().unwrap_or(&change.doc_id),
            display_source(&change.source)
        );
    }
    for skipped in &report.skipped {
        let at = skipped
            .lines
            .map(|l| format!(":{}-{}", l.start, l.end))
            .unwrap_or_default();
        println!(
            "  skipped   {}{}: {}",
            display_source(&skipped.source),
            at,
            skipped.reason
        );
    }
}

fn print_matches(response: &MatchResponse) {
    if response.stories.is_empty() {
        println!(
            "No stories stored for user '{}' yet: run `starcoach ingest PATH` first.",
            response.user
        );
        return;
    }
    println!("Stories for: {}", response.question);
    if !response.competencies.is_empty() {
        let names: Vec<&str> = response
            .competencies
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        println!("Asks about: {}", names.join(", "));
    }
    if let Some(gap) = &response.gap {
        println!("GAP: {}", gap.message);
    }
    if levels_out_of_rank_order(response) {
        println!("Ranked by meaning and shared words together. The fit level reads how closely");
        println!(
            "each story's best passage answers the question: a story ranked lower can fit better."
        );
    }
    println!();
    for story in &response.stories {
        println!(
            "{:>2}. {}  [{}, fit {:.2}]",
            story.rank,
            story.title,
            story.fit.as_str(),
            story.fit_score
        );
        let tags = if story.tags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", story.tags.join("] ["))
        };
        println!(
            "    {}:{}-{}{}",
            display_source(&story.source),
            story.lines.start,
            story.lines.end,
            tags
        );
        let passage = &story.best_passage;
        println!(
            "    best passage ({}, lines {}-{}): {}",
            passage.section.as_str(),
            passage.lines.start,
            passage.lines.end,
            excerpt(&passage.text, 300)
        );
        for evidence in &story.evidence {
            println!("    evidence: \"{}\"", excerpt(&evidence.text, 200));
        }
        for stress in &story.stress {
            println!("    stress:   {}", excerpt(stress, 200));
        }
        for avoid in &story.avoid {
            println!("    avoid:    {}", excerpt(avoid, 200));
        }
        println!();
    }
    if !response.related_notes.is_empty() {
        println!("Related notes (context, not stories):");
        for note in &response.related_notes {
            println!(
                "  - {}  ({}:{}-{})",
                note.title,
                display_source(&note.source),
                note.lines.start,
                note.lines.end
            );
        }
    }
}

/// Whether a story has a better fit level than one ranked above it (the levels do not
/// fall or stay level down the list).
fn levels_out_of_rank_order(response: &MatchResponse) -> bool {
    response.stories.windows(2).any(|w| w[0].fit < w[1].fit)
}

fn print_coverage(report: &starcoach::coverage::CoverageReport) {
    println!(
        "Coverage for user '{}': {} stories, {} competencies, {} gaps\n",
        report.user,
        report.stories,
        report.competencies.len(),
        report.gaps.len()
    );
    for c in &report.competencies {
        let level = c.level.map_or("GAP", |l| l.as_str());
        let stories: Vec<String> = c
            .stories
            .iter()
            .map(|s| {
                let llm = match s.llm_agrees {
                    Some(true) => ", LLM agrees",
                    Some(false) => ", not the LLM's tag",
                    None => "",
                };
                format!(
                    "{} ({}, {:.2}{llm})",
                    excerpt(&s.title, 50),
                    s.fit.as_str(),
                    s.fit_score
                )
            })
            .collect();
        println!("  {:<32} {:<9} {}", c.name, level, stories.join("; "));
        if !c.llm_also.is_empty() {
            let titles: Vec<String> = c.llm_also.iter().map(|s| excerpt(&s.title, 50)).collect();
            println!(
                "  {:<32} {:<9} the LLM also names: {}",
                "",
                "",
                titles.join("; ")
            );
        }
    }
    let t = &report.llm_tagging;
    match t.status {
        starcoach::tagging::TaggingStatus::Used => {
            println!("\nLLM tags: all {} stories tagged.", t.tagged)
        }
        starcoach::tagging::TaggingStatus::Partial => println!(
            "\nLLM tags: {} stories tagged, {} not yet ({}); run coverage again to continue.",
            t.tagged,
            t.untagged,
            t.reason.as_deref().unwrap_or("")
        ),
        starcoach::tagging::TaggingStatus::Unavailable => println!(
            "\nLLM tags: none ({}); coverage is by embedding similarity only.",
            t.reason.as_deref().unwrap_or("")
        ),
    }
    if !report.gaps.is_empty() {
        let names: Vec<&str> = report
            .competencies
            .iter()
            .filter(|c| c.gap)
            .map(|c| c.name.as_str())
            .collect();
        println!("\nPrepare a story for: {}", names.join(", "));
    }
}

fn excerpt(text: &str, max_chars: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        flat
    } else {
        format!("{}…", flat.chars().take(max_chars).collect::<String>())
    }
}

/// A file's text, or standard input for "-".
fn read_input(path: &std::path::Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
        Ok(text)
    } else {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
    }
}
