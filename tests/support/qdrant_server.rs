//! The REAL Qdrant server for tests of the server backend: `../shared/bin/qdrant`
//! (v1.18.3, see `../shared/bin/README.md`; `STARCOACH_QDRANT_BIN` overrides the path).
//!
//! [`QdrantServer::start`] runs it on free loopback ports with its storage, snapshots
//! and init file in a temporary directory, waits until `/readyz` answers 200 and the
//! gRPC port accepts connections. [`QdrantServer::shutdown`] stops it with SIGTERM and
//! waits (SIGKILL after 10 s); dropping it does the same without waiting as long
//! (see `shutdown` for why). [`QdrantServer::restart`] stops it and starts it again
//! on the same storage. The process also gets SIGTERM if the thread that
//! started it dies (`PR_SET_PDEATHSIG`), so a killed test run leaves no server behind.
//! A missing binary is a test FAILURE that says where it was looked for.
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server is ready in ~0.15 s when idle; allow for 2 busy cores.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// A clean shutdown takes ~0.3-2 s once the clients' connections are closed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// `Drop` cannot let the runtime close connections, so it gives up sooner.
const DROP_STOP_TIMEOUT: Duration = Duration::from_secs(2);
/// Port collisions (another process took the free port first) are retried this often.
const START_ATTEMPTS: usize = 3;

/// A running Qdrant server with its own temporary storage.
pub struct QdrantServer {
    child: Option<Child>,
    http_port: u16,
    grpc_port: u16,
    api_key: Option<String>,
    dir: tempfile::TempDir,
}

impl QdrantServer {
    /// Start a server without authentication.
    pub fn start() -> QdrantServer {
        Self::start_inner(None)
    }

    /// Start a server that requires `api_key` on every request.
    pub fn start_with_api_key(api_key: &str) -> QdrantServer {
        Self::start_inner(Some(api_key.to_owned()))
    }

    fn start_inner(api_key: Option<String>) -> QdrantServer {
        let dir = tempfile::Builder::new()
            .prefix("starcoach-qdrant-")
            .tempdir()
            .expect("create the server's temporary directory");
        let mut server = QdrantServer {
            child: None,
            http_port: 0,
            grpc_port: 0,
            api_key,
            dir,
        };
        server.launch();
        server
    }

    /// The path of the server binary.
    pub fn binary() -> PathBuf {
        match std::env::var_os("STARCOACH_QDRANT_BIN") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bin/qdrant"),
        }
    }

    /// The gRPC URL, for `ServerStore::connect` and `QDRANT_URL`.
    pub fn grpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc_port)
    }

    /// The REST URL.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// Stop the server (SIGTERM, as `docker stop` does) and start it again on the same
    /// storage. The ports may change: read [`Self::grpc_url`] again afterwards.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.launch();
    }

    /// Stop the server and wait for it to exit: use this at the end of a test.
    ///
    /// The server's graceful shutdown waits until its clients' gRPC connections are
    /// closed, and a dropped client's connection is only closed when the test's
    /// runtime runs its task: so this waits asynchronously (dropping the server
    /// instead blocks the runtime and ends in SIGKILL after [`DROP_STOP_TIMEOUT`]).
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// SIGTERM, then wait while the runtime keeps running; SIGKILL if it does not exit
    /// within [`STOP_TIMEOUT`].
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        terminate(&child);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("qdrant_server: no exit {STOP_TIMEOUT:?} after SIGTERM; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Start the server process on fresh free ports and wait until both APIs answer.
    fn launch(&mut self) {
        let binary = Self::binary();
        assert!(
            binary.exists(),
            "the Qdrant server binary is missing: {} (see ../shared/bin/README.md, or set \
             STARCOACH_QDRANT_BIN to a qdrant v1.18 binary)",
            binary.display()
        );
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match self.try_launch(&binary) {
                Ok(()) => return,
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "the Qdrant server did not start:\n{}",
            failures.join("\n---\n")
        );
    }

    fn try_launch(&mut self, binary: &Path) -> Result<(), String> {
        let (http_port, grpc_port) = (free_port(), free_port());
        let root = self.dir.path();
        let log_path = root.join("qdrant.log");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("open the server log");
        let log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut command = Command::new(binary);
        command
            .current_dir(root)
            .env("QDRANT__STORAGE__STORAGE_PATH", root.join("storage"))
            .env("QDRANT__STORAGE__SNAPSHOTS_PATH", root.join("snapshots"))
            .env("QDRANT_INIT_FILE_PATH", root.join(".qdrant-initialized"))
            .env("QDRANT__SERVICE__HOST", "127.0.0.1")
            .env("QDRANT__SERVICE__HTTP_PORT", http_port.to_string())
            .env("QDRANT__SERVICE__GRPC_PORT", grpc_port.to_string())
            .env("QDRANT__TELEMETRY_DISABLED", "true")
            .env_remove("QDRANT__SERVICE__API_KEY")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log);
        if let Some(key) = &self.api_key {
            command.env("QDRANT__SERVICE__API_KEY", key);
        }
        // SAFETY: prctl is async-signal-safe and touches no memory of this process.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
        self.child = Some(child);
        self.http_port = http_port;
        self.grpc_port = grpc_port;

        let started = Instant::now();
        loop {
            let child = self.child.as_mut().expect("just started");
            if let Some(status) = child.try_wait().expect("poll the server process") {
                self.child = None;
                return Err(format!(
                    "it exited ({status}) before it was ready. Its log:\n{}",
                    log_tail(&log_path, log_offset)
                ));
            }
            if ready(http_port) && accepts(grpc_port) {
                eprintln!(
                    "qdrant_server: ready on gRPC port {grpc_port} after {:.2} s ({})",
                    started.elapsed().as_secs_f64(),
                    root.display()
                );
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                self.stop_blocking();
                return Err(format!(
                    "it was not ready after {START_TIMEOUT:?}. Its log:\n{}",
                    log_tail(&log_path, log_offset)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The blocking fallback of [`Self::stop`] for `Drop` (a test that panicked).
    fn stop_blocking(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        terminate(&child);
        let deadline = Instant::now() + DROP_STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for QdrantServer {
    fn drop(&mut self) {
        self.stop_blocking();
    }
}

/// SIGTERM to the server process.
fn terminate(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: plain syscall on the PID of our own child, which we have not reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

/// `GET /readyz` answered 200.
fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

fn accepts(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// The last lines the server wrote since `offset`.
fn log_tail(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let text = text.get(offset as usize..).unwrap_or(&text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
