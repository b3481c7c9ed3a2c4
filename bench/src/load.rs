//! A small HTTP load generator for loopback benchmarks, closed loop or at a fixed
//! offered rate, every latency kept.

// A small HTTP load generator for loopback benchmarks: `concurrency` workers, each
// with its own keep-alive `reqwest` client, send requests for a fixed time after a
// warm-up, and every latency is kept. Closed loop by default (each worker sends its
// next request when the last is answered: the server's saturation throughput), or
// open loop at a fixed offered rate (the latency a given traffic sees). A window in
// which fewer than `MIN_COMPLETED` requests finish is extended until they have (at
// most `MAX_EXTENSION` more): a slow model's first matches can take longer than a
// short window, and a figure needs requests behind it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests a measured window waits for before it ends.
pub const MIN_COMPLETED: usize = 20;
/// How much longer than asked a window may run to see them.
pub const MAX_EXTENSION: Duration = Duration::from_secs(300);

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
    /// Requests per second offered in all, spread evenly over the workers (open loop);
    /// `None`: back to back (closed loop).
    pub rate: Option<f64>,
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
    let completed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let measure_from = start + spec.warmup;
    let end = measure_from + spec.duration;
    let mut workers = Vec::new();
    let workers_n = spec.concurrency.max(1);
    for index in 0..workers_n {
        let (target, seq, completed) = (target.clone(), seq.clone(), completed.clone());
        let schedule = Schedule {
            start,
            rate: spec.rate,
            index,
            workers: workers_n,
        };
        let window = Window {
            measure_from,
            end,
            completed,
        };
        workers.push(tokio::spawn(async move {
            worker(addr, target, seq, schedule, window).await
        }));
    }
    let mut result = LoadResult::default();
    let mut last_done = end;
    for w in workers {
        let (latencies, errors, done) = w.await??;
        result.latencies_ms.extend(latencies);
        result.errors += errors;
        last_done = last_done.max(done);
    }
    // The window as it ran: to the last counted answer when it was extended.
    result.elapsed_s = last_done.duration_since(measure_from).as_secs_f64();
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

/// When one worker sends its requests.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    start: Instant,
    rate: Option<f64>,
    index: usize,
    workers: usize,
}

impl Schedule {
    /// When the worker's `k`-th request is due (open loop): the offered requests are
    /// dealt to the workers in turn. `None` in a closed loop.
    fn due(&self, k: usize) -> Option<Instant> {
        let rate = self.rate.filter(|r| *r > 0.0)?;
        let nth = (k * self.workers + self.index) as f64;
        Some(self.start + Duration::from_secs_f64(nth / rate))
    }
}

/// The measured window, shared by the workers.
struct Window {
    measure_from: Instant,
    /// Where the window ends when enough requests completed in it.
    end: Instant,
    /// Requests completed in the window so far, by all workers.
    completed: Arc<AtomicUsize>,
}

impl Window {
    /// Whether a request due at `sent` is past the window: after its end once enough
    /// requests completed, or after the longest extension.
    fn is_over(&self, sent: Instant) -> bool {
        sent >= self.end
            && (self.completed.load(Ordering::Relaxed) >= MIN_COMPLETED
                || sent >= self.end + MAX_EXTENSION)
    }
}

/// Latencies of the worker's counted requests, its errors, and when its last counted
/// request finished.
async fn worker(
    addr: SocketAddr,
    target: Target,
    seq: Arc<AtomicUsize>,
    schedule: Schedule,
    window: Window,
) -> anyhow::Result<(Vec<f64>, usize, Instant)> {
    // One connection per worker, kept alive between requests.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .build()?;
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut last_done = window.end;
    for k in 0.. {
        // Open loop: wait for the request's time, and count its latency from then, so
        // a request sent late because the one before was slow is charged for the wait.
        let sent = match schedule.due(k) {
            Some(due) => {
                tokio::time::sleep_until(due.into()).await;
                due
            }
            None => Instant::now(),
        };
        if window.is_over(sent) {
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
        // Every request sent in the window counts, however late it finishes (the
        // window then ends with it).
        if sent >= window.measure_from {
            match outcome {
                Ok(true) => {
                    latencies.push(done.duration_since(sent).as_secs_f64() * 1000.0);
                    window.completed.fetch_add(1, Ordering::Relaxed);
                }
                _ => errors += 1,
            }
            last_done = last_done.max(done);
        }
    }
    Ok((latencies, errors, last_done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_loop_deals_the_offered_requests_to_the_workers_in_turn() {
        let start = Instant::now();
        let schedule = |index| Schedule {
            start,
            rate: Some(100.0),
            index,
            workers: 4,
        };
        let ms = |at: Option<Instant>| (at.unwrap() - start).as_secs_f64() * 1e3;
        assert!((ms(schedule(0).due(0)) - 0.0).abs() < 1e-6);
        assert!((ms(schedule(1).due(0)) - 10.0).abs() < 1e-6);
        assert!((ms(schedule(3).due(2)) - 110.0).abs() < 1e-6);
        let closed = Schedule {
            rate: None,
            ..schedule(0)
        };
        assert!(closed.due(5).is_none());
    }
}
