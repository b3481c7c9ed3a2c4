//! A small HTTP/1.1 load generator for loopback benchmarks: `concurrency` keep-alive
//! connections send requests back to back for a fixed time after a warm-up, and every
//! latency is kept. The client is a few lines over a tokio `TcpStream` (it only needs
//! `Content-Length` bodies, which is what the axum routes answer), so it adds little
//! of its own cost to what is measured.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut conn: Option<Connection> = None;
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let request = match &target {
            Target::Get(path) => {
                format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\r\n")
            }
            Target::PostJson(path, body) => {
                let body = body(seq.fetch_add(1, Ordering::Relaxed));
                format!(
                    "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                     Accept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            }
        };
        let c = match conn.as_mut() {
            Some(c) => c,
            None => conn.insert(Connection::open(addr).await?),
        };
        match c.exchange(request.as_bytes()).await {
            Ok((status, close)) => {
                let done = Instant::now();
                if sent >= measure_from && done <= end {
                    if status == 200 {
                        latencies.push(done.duration_since(sent).as_secs_f64() * 1000.0);
                    } else {
                        errors += 1;
                    }
                }
                if close {
                    conn = None;
                }
            }
            Err(_) => {
                errors += 1;
                conn = None;
            }
        }
    }
    Ok((latencies, errors))
}

/// One keep-alive connection.
struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Send one request and read its response; (status, server closes the connection).
    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<(u16, bool)> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("malformed status line"))?;
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
        };
        let length: usize = header("content-length:")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| std::io::Error::other("response without content-length"))?;
        let close = header("connection:").is_some_and(|v| v == "close");
        while self.buf.len() < head_end + length {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, close))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
