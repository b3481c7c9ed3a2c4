//! The benchmark harness (`starcoach-bench`): speed and memory against baselines
//! measured in the same run, as a Markdown table (`BENCHMARKS.md`).

// The benchmark harness (`starcoach-bench`): speed and memory against baselines
// measured in the same run, written as a Markdown table (`BENCHMARKS.md` via
// `scripts/bench.sh`). Outside the library: it spawns processes, reads `/proc` and
// runs `git`.
//
// - [`embed`]: embedding throughput, batch and single, against Python
//   sentence-transformers on the same sentences (`scripts/bench_peer.py`);
// - [`ingest`]: ingest of the samples and of synthetic banks ([`bank`]) against the
//   pure embedding time of the same chunk texts;
// - [`load`]: match latency and throughput over HTTP under concurrent load, against
//   `GET /healthz` under the same load generator;
// - [`analysis`]: transcript analysis of a 3-minute answer against splitting it into
//   words;
// - [`rss`]: peak RSS of `serve` and `ingest` child processes against `serve` on an
//   empty store;
// - [`table`]: the Markdown.

pub mod analysis;
pub mod bank;
pub mod dense_recall;
pub mod embed;
pub mod ingest;
pub mod load;
pub mod rss;
pub mod table;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use starcoach::app::Coach;
use starcoach::config::Settings;
use starcoach::embed::Embedder;
use starcoach::retrieve::MatchRequest;
use starcoach::store::EdgeOptions;
use table::{Figure, Row, Section, Target, Unit};

/// Requests per second offered in the open-loop match runs at --stories: the
/// throughput the latency target holds at.
const OFFERED_RATE: f64 = 150.0;

/// Questions searched both the store's way and exactly at the large bank.
const DENSE_QUESTIONS: usize = 200;

/// Options of `starcoach-bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Stories in the synthetic bank for match, serve RSS and ingest (the ingest
    /// benchmark also uses 10x this many, unless --quick).
    #[arg(long, default_value_t = 1000)]
    pub stories: usize,
    /// Also measure match at 100x --stories (100,000 by default): ingesting that bank
    /// takes tens of minutes.
    #[arg(long)]
    pub large: bool,
    /// Short run for checking the harness: 3 s of load, fewer sentences, no 10x bank.
    #[arg(long)]
    pub quick: bool,
    /// Seconds of measured load per HTTP route (default 10, 3 with --quick).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Sentences for the embedding throughput (default 1000, 200 with --quick).
    #[arg(long)]
    pub sentences: Option<usize>,
    /// The real sample files to ingest (skipped when missing).
    #[arg(long, default_value = "../shared/samples")]
    pub samples: PathBuf,
    /// Results of `scripts/bench_peer.py` (Python sentence-transformers).
    #[arg(long)]
    pub peer: Option<PathBuf>,
    /// Write the sentence set (JSON) for the peer and exit.
    #[arg(long)]
    pub emit_sentences: Option<PathBuf>,
    /// Write the Markdown table here (it is always printed).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip the peak-RSS measurements (they start `starcoach` child processes).
    #[arg(long)]
    pub no_rss: bool,
    /// Keep the --large bank and its store in this directory and reuse them: a store
    /// that already holds the bank is only checked (ingest skips unchanged stories), so
    /// only the first run pays the long ingest.
    #[arg(long)]
    pub large_store: Option<PathBuf>,
    /// Scratch directory for banks and stores (default: a new one under the system
    /// temporary directory, removed at the end).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

struct Plan {
    duration: Duration,
    warmup: Duration,
    sentences: usize,
    single: usize,
    analysis_runs: usize,
    tenfold: bool,
}

impl Plan {
    fn new(args: &BenchArgs) -> Self {
        let quick = args.quick;
        let duration = args.duration.unwrap_or(if quick { 3.0 } else { 10.0 });
        let sentences = args.sentences.unwrap_or(if quick { 200 } else { 1000 });
        Self {
            duration: Duration::from_secs_f64(duration.max(0.5)),
            warmup: Duration::from_secs_f64(if quick { 0.5 } else { 2.0 }),
            sentences,
            single: (sentences / 10).max(10),
            analysis_runs: if quick { 50 } else { 500 },
            tenfold: !quick,
        }
    }
}

fn say(msg: impl AsRef<str>) {
    eprintln!("bench: {}", msg.as_ref());
}

/// Run the benchmarks selected by `args` and print (and write) the table.
pub async fn run(settings: Settings, config_dir: &Path, args: BenchArgs) -> anyhow::Result<()> {
    let plan = Plan::new(&args);
    let set = embed::sentence_set(plan.sentences, plan.single, settings.embedding.batch_size);
    if let Some(path) = &args.emit_sentences {
        embed::write_sentence_set(&set, path)?;
        say(format!(
            "wrote {} sentences ({} also one by one) to {}",
            set.sentences.len(),
            set.single,
            path.display()
        ));
        return Ok(());
    }
    let info = table::RunInfo::collect(std::env::args().collect::<Vec<_>>().join(" "));
    let (work, temporary) = match &args.work_dir {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("starcoach-bench-{}", std::process::id())),
            true,
        ),
    };
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let result = run_in(&settings, config_dir, &args, &plan, &set, &work).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&work);
    }
    let (sections, notes) = result?;
    let markdown = table::render(&info, &sections, &notes);
    println!("{markdown}");
    if let Some(out) = &args.out {
        std::fs::write(out, &markdown)?;
        say(format!("wrote {}", out.display()));
    }
    Ok(())
}

async fn run_in(
    settings: &Settings,
    config_dir: &Path,
    args: &BenchArgs,
    plan: &Plan,
    set: &embed::SentenceSet,
    work: &Path,
) -> anyhow::Result<(Vec<Section>, Vec<String>)> {
    let mut sections = Vec::new();
    let mut notes = Vec::new();
    let user = settings.default_user.clone();
    // Checked first: the RSS measurements start the `starcoach` binary.
    let launcher = if args.no_rss {
        None
    } else {
        Some(rss::Launcher::beside_this_binary(config_dir)?)
    };

    say("loading the model");
    let embedder: Arc<dyn Embedder> = starcoach::embed::open(settings).await?;

    sections.push(embedding_section(embedder.as_ref(), set, args.peer.as_deref()).await?);

    // Ingest: the samples, the bank of --stories (kept for match), 10x that.
    say("ingest");
    let n = args.stories.max(1);
    let mut rows = Vec::new();
    if args.samples.is_dir() {
        let coach = ingest::coach_at(settings, &work.join("store-samples"), embedder.clone())?;
        let t = ingest::measure(&coach, &user, std::slice::from_ref(&args.samples), true).await?;
        rows.push(ingest_row(
            &format!("ingest samples ({} files)", t.files),
            &t,
        ));
    } else {
        notes.push(format!(
            "{} not found: samples ingest not measured.",
            args.samples.display()
        ));
    }
    let bank_n = bank::write_bank(&work.join(format!("bank-{n}")), n)?;
    let coach_n = ingest::coach_at(settings, &work.join(format!("store-{n}")), embedder.clone())?;
    let t = ingest::measure(&coach_n, &user, &bank_n, true).await?;
    rows.push(ingest_row(&format!("ingest {n} synthetic stories"), &t));
    if plan.tenfold {
        let dir = work.join(format!("bank-{}", 10 * n));
        let files = bank::write_bank(&dir, 10 * n)?;
        let coach = ingest::coach_at(settings, &work.join("store-10x"), embedder.clone())?;
        let t = ingest::measure(&coach, &user, &files, true).await?;
        rows.push(ingest_row(
            &format!("ingest {} synthetic stories", 10 * n),
            &t,
        ));
        drop(coach);
        let _ = std::fs::remove_dir_all(work.join("store-10x"));
    }
    sections.push(Section {
        title: "Ingest".into(),
        rows,
        notes: vec![
            "Baseline: embedding the same chunk texts (parsed and chunked beforehand, not \
             timed) in the same batches of `ingest.write_batch`, nothing stored. Ingest \
             includes reading, parsing, chunking, hashing, BM25, upserts and flushes (every 2 s and at the end)."
                .into(),
        ],
    });

    // Match over HTTP at n stories.
    let spec = load::LoadSpec {
        concurrency: args.concurrency,
        warmup: plan.warmup,
        duration: plan.duration,
        rate: None,
    };
    sections.push(http_section(coach_n, &user, n, spec, 10.0, &mut notes).await?);

    say("analysis");
    let a = analysis::measure(plan.analysis_runs)?;
    let base = Figure::new(a.baseline_us, Unit::Us);
    sections.push(Section {
        title: format!("Transcript analysis (3-minute answer, {} words)", a.words),
        rows: vec![
            Row::new(
                "parse + analyse, WebVTT (median)",
                Figure::new(a.vtt_us, Unit::Us),
                "split into words",
                Some(base),
                Target::AtMost(2000.0),
            ),
            Row::new(
                "parse + analyse, Whisper JSON with word timings (median)",
                Figure::new(a.whisper_json_us, Unit::Us),
                "split into words",
                Some(base),
                Target::AtMost(2000.0),
            ),
        ],
        notes: vec![],
    });

    let rss_spec = load::LoadSpec {
        duration: plan.duration.min(Duration::from_secs(5)),
        ..spec
    };
    let empty_store_rss = match &launcher {
        None => {
            notes.push("Peak RSS not measured (--no-rss).".into());
            None
        }
        Some(launcher) => {
            let (section, empty_store_rss) =
                rss_section(launcher, work, &bank_n, n, rss_spec).await?;
            sections.push(section);
            Some((launcher, empty_store_rss))
        }
    };

    // Last, as it is long: match (and serve's memory) at 100x the stories.
    if args.large {
        let big = 100 * n;
        say(format!("large bank: {big} stories (long)"));
        // Documents are known by their source path, so a kept store keeps its bank.
        let large_dir = args
            .large_store
            .clone()
            .unwrap_or_else(|| work.to_path_buf());
        let files = bank::write_bank(&large_dir.join(format!("bank-{big}")), big)?;
        let store = large_dir.join(format!("store-{big}"));
        let coach = ingest::coach_at(settings, &store, embedder.clone())?;
        let t = ingest::measure(&coach, &user, &files, false).await?;
        let started = Instant::now();
        coach.store().optimize().await?;
        let ingested = if t.chunks == 0 {
            format!(
                "reused the store of an earlier run (--large-store), checked in {:.0} s",
                t.ingest_s
            )
        } else {
            format!("ingest {:.0} s ({} chunks)", t.ingest_s, t.chunks)
        };
        notes.push(format!(
            "{big}-story bank: {ingested}, then optimize {:.0} s.",
            started.elapsed().as_secs_f64()
        ));
        // The store's own dense search against an exact scan: the store closed and
        // opened again as configured, then the configured coach again.
        drop(coach);
        say(format!(
            "dense search at {big} stories against an exact scan"
        ));
        let options = EdgeOptions {
            graph_search: settings.store.graph_search,
            ..EdgeOptions::default()
        };
        let compared =
            dense_recall::measure(&store, &options, embedder.as_ref(), &user, DENSE_QUESTIONS)
                .await?;
        sections.push(dense_recall::section(big, &compared));
        let coach = ingest::coach_at(settings, &store, embedder.clone())?;
        let mut section = http_section(coach, &user, big, spec, 25.0, &mut notes).await?;
        if let Some((launcher, empty_store_rss)) = empty_store_rss {
            say(format!("peak RSS: serve {big} stories under match load"));
            let peak = serve_peak(launcher, &store, rss_spec, new_questions()).await?;
            section.rows.push(Row::new(
                format!("`serve` peak RSS, {big} stories, after warm-up and match load"),
                Figure::new(peak as f64, Unit::Bytes),
                "`serve`, empty store",
                Some(Figure::new(empty_store_rss as f64, Unit::Bytes)),
                Target::None,
            ));
        }
        sections.push(section);
    }

    Ok((sections, notes))
}

async fn embedding_section(
    embedder: &dyn Embedder,
    set: &embed::SentenceSet,
    peer: Option<&Path>,
) -> anyhow::Result<Section> {
    say(format!("embedding {} sentences", set.sentences.len()));
    let rust = embed::measure(embedder, set, 3).await?;
    let peer = match peer {
        Some(path) => Some(embed::read_peer(path, set)?),
        None => None,
    };
    let per_s = |v| Figure::new(v, Unit::PerSecond("sentences"));
    let name = "Python sentence-transformers";
    let mut notes = vec![format!(
        "Same {} sentences on both sides (synthetic-bank chunk texts, 30-60 words); \
         batch: all of them in one call (batch size {}), best of 3; single: the first {} \
         one call each.",
        set.sentences.len(),
        set.batch_size,
        set.single
    )];
    match &peer {
        Some(p) => notes.push(format!(
            "Peer: sentence-transformers {}, torch {}, {} torch threads.",
            p.sentence_transformers.as_deref().unwrap_or("?"),
            p.torch.as_deref().unwrap_or("?"),
            p.torch_threads.map_or("?".into(), |t| t.to_string())
        )),
        None => notes.push(
            "Peer not run (no --peer): `bash scripts/bench.sh` runs scripts/bench_peer.py.".into(),
        ),
    }
    Ok(Section {
        title: format!("Embedding ({})", embedder.model_id()),
        rows: vec![
            Row::new(
                "throughput, batch",
                per_s(rust.batch_sentences_per_s),
                name,
                peer.as_ref().map(|p| per_s(p.batch_sentences_per_s)),
                Target::RatioAtLeast(1.3),
            ),
            Row::new(
                "throughput, single sentence",
                per_s(rust.single_sentences_per_s),
                name,
                peer.as_ref().map(|p| per_s(p.single_sentences_per_s)),
                Target::RatioAtLeast(1.3),
            ),
        ],
        notes,
    })
}

fn ingest_row(measure: &str, t: &ingest::IngestTiming) -> Row {
    say(format!(
        "{measure}: {} chunks, ingest {:.2} s, embedding only {:.2} s",
        t.chunks,
        t.ingest_s,
        t.embed_only_s.unwrap_or(f64::NAN)
    ));
    Row::new(
        format!("{measure}, {} chunks", t.chunks),
        Figure::new(t.ingest_s, Unit::Seconds),
        "pure embedding of the same chunks",
        t.embed_only_s.map(|s| Figure::new(s, Unit::Seconds)),
        Target::RatioAtMost(1.15),
    )
}

/// Serve `coach` in process on 127.0.0.1:0 and load `/healthz`, then match with
/// repeated and with distinct questions.
async fn http_section(
    coach: Coach,
    user: &str,
    stories: usize,
    spec: load::LoadSpec,
    p50_target_ms: f64,
    notes: &mut Vec<String>,
) -> anyhow::Result<Section> {
    say(format!("match over HTTP at {stories} stories"));
    let started = Instant::now();
    let sentences = coach.retriever().warm(user).await?;
    notes.push(format!(
        "{stories} stories: warming the caches (competency and {sentences} sentence vectors, \
         as `serve` does at startup) took {:.1} s.",
        started.elapsed().as_secs_f64()
    ));
    // One request through the library first: the bank is loaded and checked.
    let probe = MatchRequest {
        question: bank::question(0, false),
        top_k: 5,
    };
    coach.retriever().match_stories(user, &probe).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(starcoach::http::serve_on(coach, listener));
    // New questions are numbered across every run, so that no run asks a question an
    // earlier one cached.
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let match_body = |distinct: bool| -> load::Target {
        let asked = asked.clone();
        load::Target::PostJson(
            "/v1/stories/match".into(),
            Arc::new(move |i| {
                let n = if distinct {
                    asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                } else {
                    i
                };
                serde_json::json!({"question": bank::question(n, distinct), "top_k": 5}).to_string()
            }),
        )
    };
    let health = load::run(addr, load::Target::Get("/healthz".into()), spec).await;
    let repeated = match &health {
        Ok(_) => load::run(addr, match_body(false), spec).await,
        Err(_) => Err(anyhow::anyhow!("skipped")),
    };
    let distinct = match &repeated {
        Ok(_) => load::run(addr, match_body(true), spec).await,
        Err(_) => Err(anyhow::anyhow!("skipped")),
    };
    // The same with one client: latency without queueing behind other requests.
    let single = load::LoadSpec {
        concurrency: 1,
        ..spec
    };
    let sequential = match &distinct {
        Ok(_) => {
            let h = load::run(addr, load::Target::Get("/healthz".into()), single).await;
            let r = load::run(addr, match_body(false), single).await;
            let d = load::run(addr, match_body(true), single).await;
            Some((h, r, d))
        }
        Err(_) => None,
    };
    // At the target's traffic (open loop), for the bank the throughput target is for.
    let offered = load::LoadSpec {
        rate: Some(OFFERED_RATE),
        ..spec
    };
    let open_loop = match (&distinct, stories <= 1000) {
        (Ok(_), true) => Some((
            load::run(addr, match_body(false), offered).await,
            load::run(addr, match_body(true), offered).await,
        )),
        _ => None,
    };
    server.abort();
    let _ = server.await;
    let (health, repeated, distinct) = (health?, repeated?, distinct?);

    let ms = |v| Figure::new(v, Unit::Ms);
    let rps = |r: &load::LoadResult| Figure::new(r.requests_per_s(), Unit::PerSecond("req"));
    let mut rows = Vec::new();
    let mut errors = health.errors + repeated.errors + distinct.errors;
    let ran_open_loop = open_loop.is_some();
    if let Some((r, d)) = open_loop {
        let (r, d) = (r?, d?);
        errors += r.errors + d.errors;
        for (label, run) in [("repeated questions", &r), ("new questions", &d)] {
            for (p, name) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
                rows.push(Row::new(
                    format!("match {name} at {OFFERED_RATE:.0} req/s offered, {label}"),
                    ms(run.percentile(p)),
                    format!("GET /healthz {name}, closed loop"),
                    Some(ms(health.percentile(p))),
                    if p == 0.5 {
                        Target::AtMost(p50_target_ms)
                    } else {
                        Target::None
                    },
                ));
            }
        }
    }
    // Closed loop: the server's saturation throughput, and the latency at it (mostly
    // queueing for the cores the client shares). Where an offered rate was run, the
    // p50 target is read there.
    let closed_loop_p50 = if !ran_open_loop {
        Target::AtMost(p50_target_ms)
    } else {
        Target::None
    };
    for (label, r) in [
        ("repeated questions (cached vector)", &repeated),
        ("new questions (embedded per request)", &distinct),
    ] {
        for (p, name) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
            let target = if p == 0.5 {
                closed_loop_p50
            } else {
                Target::None
            };
            rows.push(Row::new(
                format!("match {name}, {label}, closed loop"),
                ms(r.percentile(p)),
                format!("GET /healthz {name}"),
                Some(ms(health.percentile(p))),
                target,
            ));
        }
        rows.push(Row::new(
            format!("match throughput, {label}, closed loop"),
            rps(r),
            "GET /healthz throughput",
            Some(rps(&health)),
            if stories <= 1000 {
                Target::AtLeast(OFFERED_RATE)
            } else {
                Target::None
            },
        ));
    }
    if let Some((h, r, d)) = sequential {
        let (h, r, d) = (h?, r?, d?);
        errors += h.errors + r.errors + d.errors;
        for (label, run) in [("repeated questions", &r), ("new questions", &d)] {
            rows.push(Row::new(
                format!("match p50, one client, {label}"),
                ms(run.percentile(0.5)),
                "GET /healthz p50, one client",
                Some(ms(h.percentile(0.5))),
                Target::AtMost(p50_target_ms),
            ));
        }
    }
    Ok(Section {
        title: format!("Match over HTTP, {stories} stories"),
        rows,
        notes: vec![format!(
            "In-process load generator (tokio, {} keep-alive connections, {:.1} s warm-up, \
             then {:.1} s measured per route; the \"one client\" rows: one connection) \
             against `starcoach::http::serve_on` on 127.0.0.1 port 0; client and server \
             share the same cores. \"Offered\" rows (1,000 stories or fewer): open loop, \
             {OFFERED_RATE:.0} requests/s dealt evenly to the connections, each latency \
             counted from the request's scheduled time (a request delayed by a slow one \
             before it is charged for the wait). \"Closed loop\" rows: each connection \
             sends its next request when the last is answered, so they measure the \
             saturation throughput, and their latency is mostly queueing (8 requests in \
             flight on 2 cores). `top_k` 5. Repeated: 20 questions in rotation; new: every \
             question distinct. Requests: healthz {}, repeated {}, new {}; non-200 or \
             failed: {errors}.",
            spec.concurrency,
            spec.warmup.as_secs_f64(),
            spec.duration.as_secs_f64(),
            health.latencies_ms.len(),
            repeated.latencies_ms.len(),
            distinct.latencies_ms.len(),
        )],
    })
}

/// Peak RSS of `serve` (empty store: the baseline; the n-story bank under match load)
/// and of `ingest` of the n-story bank, each a child process.
async fn rss_section(
    launcher: &rss::Launcher,
    work: &Path,
    bank_files: &[PathBuf],
    n: usize,
    spec: load::LoadSpec,
) -> anyhow::Result<(Section, u64)> {
    say("peak RSS: serve on an empty store");
    let empty = work.join("rss-empty");
    std::fs::create_dir_all(&empty)?;
    let base = serve_peak(launcher, &empty, spec, load::Target::Get("/healthz".into())).await?;

    say(format!("peak RSS: ingest {n} stories"));
    let store = work.join("rss-store");
    let (l, s, f) = (launcher.clone(), store.clone(), bank_files.to_vec());
    let ingest_peak = tokio::task::spawn_blocking(move || rss::ingest_peak(&l, &s, &f)).await??;

    say(format!("peak RSS: serve {n} stories under match load"));
    let serve_peak = serve_peak(launcher, &store, spec, new_questions()).await?;

    let mb = |b: u64| Figure::new(b as f64, Unit::Bytes);
    let baseline = "`serve`, empty store";
    let section = Section {
        title: "Peak memory (RSS)".into(),
        rows: vec![
            Row::new(
                format!("`serve`, {n} stories, after warm-up and match load"),
                mb(serve_peak),
                baseline,
                Some(mb(base)),
                Target::AtMost(400e6),
            ),
            Row::new(
                format!("`ingest` of {n} stories"),
                mb(ingest_peak),
                baseline,
                Some(mb(base)),
                Target::None,
            ),
        ],
        notes: vec![
            "VmHWM of the child process from /proc/PID/status (sampled every 20 ms for \
             ingest). `serve` is measured after its startup warm-up has gone idle and a \
             short load of new questions."
                .into(),
        ],
    };
    Ok((section, base))
}

/// `POST /v1/stories/match` with a new question each time.
fn new_questions() -> load::Target {
    load::Target::PostJson(
        "/v1/stories/match".into(),
        Arc::new(|i| {
            serde_json::json!({"question": bank::question(i, true), "top_k": 5}).to_string()
        }),
    )
}

async fn serve_peak(
    launcher: &rss::Launcher,
    store: &Path,
    spec: load::LoadSpec,
    target: load::Target,
) -> anyhow::Result<u64> {
    let (l, s) = (launcher.clone(), store.to_path_buf());
    let child = tokio::task::spawn_blocking(move || {
        let child = rss::ServeChild::start(&l, &s, Duration::from_secs(120))?;
        if !child.wait_idle(Duration::from_secs(600)) {
            say("serve did not go idle within 10 minutes; measuring anyway");
        }
        Ok::<_, anyhow::Error>(child)
    })
    .await??;
    load::run(child.addr, target, spec).await?;
    let peak = rss::peak_rss(child.pid())
        .ok_or_else(|| anyhow::anyhow!("no VmHWM for pid {}", child.pid()))?;
    tokio::task::spawn_blocking(move || drop(child)).await?;
    Ok(peak)
}
