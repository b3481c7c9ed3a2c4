//! The `starcoach` command line: ingest story files, match questions, serve the API.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use starcoach::analysis::TranscriptFormat;
use starcoach::app::{Coach, StartupError};
use starcoach::config::{ConfigError, Settings};
use starcoach::critique::{CritiqueError, CritiqueRequest, TranscriptInput};
use starcoach::history::Origin;
use starcoach::render::TerminalProgress;

mod cli;
use starcoach::retrieve::{MatchError, MatchRequest};

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
    /// Record nothing in the practice history (overrides history.enabled).
    #[arg(long, global = true)]
    no_history: bool,
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
    /// Prepare for a job: the competencies its description asks for, likely questions,
    /// your best story for each, and the gaps to prepare.
    Prep {
        /// The job description (plain text or Markdown; "-" reads standard input).
        job: PathBuf,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A mock interview: questions from the job's competencies (or all), your gaps and
    /// weak spots; each answer gets a short critique and a probing follow-up. Type an
    /// answer and end it with a line holding only "." (":skip" skips, ":quit" stops;
    /// resume later with --resume).
    Practice {
        /// A job description: questions follow its competencies.
        #[arg(long)]
        job: Option<PathBuf>,
        /// How many questions (default 5).
        #[arg(long)]
        questions: Option<usize>,
        /// Practise one competency (its id, see config/competencies.toml).
        #[arg(long)]
        competency: Option<String>,
        /// Answer from files instead of the terminal: one per question in name order
        /// (any transcript format), e.g. 01.txt, 01-follow.txt, 02.vtt: a file whose
        /// name contains "follow" answers the follow-up of the question with the same
        /// leading name, else the follow-up is skipped.
        #[arg(long)]
        answers: Option<PathBuf>,
        /// Continue a session by its id.
        #[arg(long)]
        resume: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Your recorded critiques, newest first; delete one or all of them.
    History {
        /// How many to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Delete the entry with this id.
        #[arg(long, conflicts_with = "delete_all")]
        delete: Option<i64>,
        /// Delete every critique and practice session of the user.
        #[arg(long)]
        delete_all: bool,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Your progress: trends per rubric dimension and delivery metric, competencies
    /// practised (against a job's), stories told, days practised.
    Progress {
        /// A job description whose competencies to compare practice with (default: the
        /// latest practice session's job).
        #[arg(long)]
        job: Option<PathBuf>,
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
        /// nothing) instead of a temporary one; with several models, one subdirectory each.
        #[arg(long)]
        eval_store: Option<PathBuf>,
        /// Embedding model(s) to evaluate, each with its calibration (repeat or separate
        /// by commas: `--model minilm,embeddinggemma`); default: the configured one.
        #[arg(long, value_delimiter = ',')]
        model: Vec<starcoach::embed::EmbeddingModel>,
    },
    /// Measure the critique on the labelled answers: planted defects named, false
    /// alarms, and the rank correlation of the overall score with the hand ranking.
    EvalCritique {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "all", value_parser = split_parser())]
        split: starcoach::eval::SplitFilter,
        /// The labelled answer set.
        #[arg(long, default_value = "tests/eval/answers.toml")]
        labels: PathBuf,
        /// Story files that ground the critiques.
        #[arg(long, default_value = "corpus")]
        bank: Vec<PathBuf>,
    },
    /// Evaluate competency detection on labelled job descriptions (recall@3/@5 per half).
    EvalPrep {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "all", value_parser = split_parser())]
        split: starcoach::eval::SplitFilter,
        /// The labelled job descriptions.
        #[arg(long, default_value = "tests/eval/jobs.toml")]
        labels: PathBuf,
    },
    /// Re-embed every stored chunk of every user with the configured embedding model,
    /// from the stored text (no story file is read again). Resumable: run it again
    /// after an interruption.
    Reindex {
        #[arg(long)]
        json: bool,
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

/// Print `report` as JSON (`--json`) or as the text `render` makes of it.
fn print_report<T: serde::Serialize>(
    json: bool,
    report: &T,
    render: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{}", render(report));
    }
    Ok(())
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
    if cli.no_history {
        settings.history.enabled = false;
    }
    match cli.command {
        Command::Ingest { paths, user, json } => {
            let user = settings.user_or_default(user);
            let coach = Coach::open(settings).await?;
            let progress = TerminalProgress::new(json);
            let report = coach.ingest_paths(&user, &paths, &progress).await?;
            print_report(json, &report, starcoach::render::ingest)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Match {
            question,
            top,
            user,
            json,
        } => {
            let user = settings.user_or_default(user);
            let request = MatchRequest::new(question, top, &settings.retrieval);
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
            let response = coach.match_stories(&user, &request).await?;
            print_report(json, &response, starcoach::render::matches)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Critique {
            file,
            question,
            format,
            user,
            json,
        } => {
            let user = settings.user_or_default(user);
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
            let coach = Coach::open(settings).await?;
            let critique = match coach.critique(&user, &request, false).await {
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
            coach
                .record_critique(&user, &critique, Origin::Cli, None, None)
                .await;
            print_report(json, &critique, starcoach::render::critique)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Prep { job, user, json } => {
            let user = settings.user_or_default(user);
            let text = read_job(&job)?;
            let coach = Coach::open(settings).await?;
            let budget = coach.settings().critique_budget(false);
            let report = match coach.prep(&user, &text, Some(budget)).await {
                Ok(report) => report,
                Err(starcoach::prep::PrepError::Job(e)) => {
                    eprintln!("error: {} ({})", e, job.display());
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            };
            print_report(json, &report, starcoach::render::prep)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Practice {
            job,
            questions,
            competency,
            answers,
            resume,
            user,
            json,
        } => {
            let user = settings.user_or_default(user);
            let job = job.as_deref().map(read_job).transpose()?;
            let coach = Coach::open(settings).await?;
            let start = starcoach::practice::StartSession {
                job,
                questions,
                competency,
            };
            cli::practice::run(&coach, &user, start, resume, answers, json).await
        }
        Command::History {
            limit,
            delete,
            delete_all,
            user,
            json,
        } => {
            let user = settings.user_or_default(user);
            let coach = Coach::open(settings).await?;
            let history = coach.history()?;
            if let Some(id) = delete {
                if !history.delete(&user, id).await? {
                    eprintln!("error: --delete: no history entry {id} for user '{user}'");
                    return Ok(ExitCode::from(2));
                }
                println!("Deleted history entry {id}.");
                return Ok(ExitCode::SUCCESS);
            }
            if delete_all {
                let deleted = history.delete_all(&user).await?;
                println!("Deleted {deleted} critiques and every practice session of '{user}'.");
                return Ok(ExitCode::SUCCESS);
            }
            if !(1..=starcoach::stories::MAX_PAGE).contains(&limit) {
                eprintln!(
                    "error: --limit: must be between 1 and {}, got {limit}",
                    starcoach::stories::MAX_PAGE
                );
                return Ok(ExitCode::from(2));
            }
            let page = coach.history_page(&user, 0, limit).await?;
            print_report(json, &page, starcoach::render::history)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Progress { job, user, json } => {
            let user = settings.user_or_default(user);
            let job = job.as_deref().map(read_job).transpose()?;
            let coach = Coach::open(settings).await?;
            let report = starcoach::practice::progress_for(&coach, &user, job.as_deref()).await?;
            print_report(json, &report, starcoach::render::progress)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Coverage { user, json } => {
            let user = settings.user_or_default(user);
            let coach = Coach::open(settings).await?;
            let report = coach.coverage(&user).await?;
            print_report(json, &report, starcoach::render::coverage)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            json,
            split,
            labels,
            eval_store,
            model,
        } => {
            let labels = starcoach::eval::LabelSet::load(&labels)?;
            let models = if model.is_empty() {
                vec![settings.embedding.model]
            } else {
                model
            };
            let mut reports = Vec::new();
            for &model in &models {
                let mut settings = settings.clone();
                settings.use_model(model);
                let store = eval_store.as_ref().map(|dir| {
                    if models.len() > 1 {
                        dir.join(model.name())
                    } else {
                        dir.clone()
                    }
                });
                reports.push(
                    starcoach::eval::run_with_settings(settings, &labels, split, store).await?,
                );
            }
            if json {
                if let [report] = reports.as_slice() {
                    println!("{}", serde_json::to_string_pretty(report)?);
                } else {
                    println!("{}", serde_json::to_string_pretty(&reports)?);
                }
            } else {
                for report in &reports {
                    print!("{}", starcoach::render::eval(report));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::EvalCritique {
            json,
            split,
            labels,
            bank,
        } => {
            let set = starcoach::eval::critique::AnswerSet::load(&labels)?;
            let report =
                starcoach::eval::critique::run_with_settings(settings, &set, &bank, split).await?;
            print_report(json, &report, starcoach::render::eval_critique)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::EvalPrep {
            json,
            split,
            labels,
        } => {
            let set = starcoach::eval::prep::JobSet::load(&labels)?;
            let report = starcoach::eval::prep::run_with_settings(settings, &set, split).await?;
            print_report(json, &report, starcoach::render::eval_prep)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex { json } => {
            let embedder = starcoach::embed::open(&settings).await?;
            let progress = TerminalProgress::new(json);
            let report = starcoach::reindex::reindex(
                &settings.store,
                &settings.store.reindex_dir(),
                embedder,
                settings.embedding.batch_size,
                settings.ingest.write_batch,
                &progress,
            )
            .await?;
            print_report(json, &report, starcoach::render::reindex)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { addr } => {
            let addr = addr.unwrap_or_else(|| settings.server.addr.clone());
            let coach = Coach::open(settings).await?;
            let (warm, user) = (coach.clone(), coach.settings().default_user.clone());
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

/// A job description's text (`--job`), the path named in the error.
fn read_job(path: &std::path::Path) -> anyhow::Result<String> {
    read_input(path).map_err(|e| anyhow::anyhow!("job description {}: {e}", path.display()))
}

/// A file's text, or standard input for "-" (UTF-8, as story files are read).
fn read_input(path: &std::path::Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)?;
    } else {
        bytes = std::fs::read(path)?;
    }
    starcoach::corpus::decode_text(&bytes)
        .map_err(|reason| std::io::Error::new(std::io::ErrorKind::InvalidData, reason))
}
