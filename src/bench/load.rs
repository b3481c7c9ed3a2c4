//! A small HTTP load generator for loopback benchmarks: `concurrency` workers, each
//! with its own keep-alive `reqwest` client, send requests back to back for a fixed
//! time after a warm-up, and every latency is kept.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What each request is.
#[derive(Clone)]
pub enum Target {
    /// `GET path`.
    Get(String),
    /// `POST path` with the JSON body made from the request's sequence number.
    PostJson(String, Arc<dyn Fn(usize) -> String + Send + Sync>),
}

/// How hard and how long.
#[derive(Debug, Clone, Copy)]
pub struct LoadSpec {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// Latencies (ms, sorted) of the requests completed in the measured window.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    pub latencies_ms: Vec<f64>,
    pub errors: usize,
    pub elapsed_s: f64,
}

impl LoadResult {
    pub fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_ms.len() - 1) as f64 * p).round() as usize;
        self.latencies_ms[i]
    }
    pub fn requests_per_s(&self) -> f64 {
        self.latencies_ms.len() as f64 / self.elapsed_s.max(1e-9)
    }
}

/// Run the load against `addr` and collect the latencies of the measured window.
pub async fn run(addr: SocketAddr, target: Target, spec: LoadSpec) -> anyhow::Result<LoadResult> {
    let seq = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let measure_from = start + spec.warmup;
    let end = measure_from + spec.duration;
    let mut workers = Vec::new();
    for _ in 0..spec.concurrency.max(1) {
        let (target, seq) = (target.clone(), seq.clone());
        workers.push(tokio::spawn(async move {
            worker(addr, target, seq, measure_from, end).await
        }));
    }
    let mut result = LoadResult::default();
    for w in workers {
        let (latencies, errors) = w.await??;
        result.latencies_ms.extend(latencies);
        result.errors += errors;
    }
    result.elapsed_s = spec.duration.as_secs_f64();
    result.latencies_ms.sort_by(f64::total_cmp);
    if result.latencies_ms.is_empty() {
        anyhow::bail!(
            "no request to {addr} completed in {:.0} s ({} errors)",
            result.elapsed_s,
            result.errors
        );
    }
    Ok(result)
}

async fn worker(
    addr: SocketAddr,
    target: Target,
    seq: Arc<AtomicUsize>,
    measure_from: Instant,
    end: Instant,
) -> anyhow::Result<(Vec<f64>, usize)> {
    // One connection per worker, kept alive between requests.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .build()?;
    let mut latencies = Vec::new();
    let mut errors = 0;
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let request = match &target {
            Target::Get(path) => client.get(format!("http://{addr}{path}")),
            Target::PostJson(path, body) => client
                .post(format!("http://{addr}{path}"))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body(seq.fetch_add(1, Ordering::Relaxed))),
        };
        let outcome = match request.send().await {
            Ok(response) => {
                let ok = response.status() == reqwest::StatusCode::OK;
                response.bytes().await.map(|_| ok)
            }
            Err(e) => Err(e),
        };
        let done = Instant::now();
        if sent >= measure_from && done <= end {
            match outcome {
                Ok(true) => latencies.push(done.duration_since(sent).as_secs_f64() * 1000.0),
                _ => errors += 1,
            }
        }
    }
    Ok((latencies, errors))
}
