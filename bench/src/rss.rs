//! Peak resident memory of `starcoach` child processes (the binary built beside this
//! one), sampled from `/proc/PID/status` (`VmHWM`, the kernel's high-water mark of RSS).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to start the `starcoach` binary: its path, config directory and store.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub exe: PathBuf,
    pub config_dir: PathBuf,
}

impl Launcher {
    /// The `starcoach` binary of the same build as the running `starcoach-bench`.
    pub fn beside_this_binary(config_dir: &Path) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?.with_file_name("starcoach");
        if !exe.is_file() {
            anyhow::bail!(
                "{} not found: build it with the bench (`cargo build --release --bin starcoach`), \
                 or pass --no-rss",
                exe.display()
            );
        }
        Ok(Self {
            exe,
            config_dir: config_dir.to_path_buf(),
        })
    }

    fn command(&self, store: &Path) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--config-dir")
            .arg(&self.config_dir)
            .arg("--store")
            .arg(store)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }
}

/// `VmHWM` (peak RSS) of `pid` in bytes, while it runs.
pub fn peak_rss(pid: u32) -> Option<u64> {
    status_field(pid, "VmHWM:")
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let kb: u64 = l
            .strip_prefix(field)?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    })
}

/// CPU time (user + system) of `pid` in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Run `starcoach ingest paths` into `store`; its peak RSS in bytes (sampled every
/// 20 ms: VmHWM only grows, so the last sample before exit is the peak but for the
/// last few milliseconds).
pub fn ingest_peak(launcher: &Launcher, store: &Path, paths: &[PathBuf]) -> anyhow::Result<u64> {
    let mut child = launcher
        .command(store)
        .arg("ingest")
        .args(paths)
        .arg("--json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut peak = 0;
    loop {
        if let Some(p) = peak_rss(pid) {
            peak = peak.max(p);
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                anyhow::bail!("starcoach ingest failed ({status}): {err}");
            }
            return Ok(peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `starcoach serve` child on 127.0.0.1 port 0; stopped (SIGTERM) on drop.
pub struct ServeChild {
    child: Child,
    pub addr: SocketAddr,
}

impl ServeChild {
    /// Start `serve` on `store` and wait for its listening address.
    pub fn start(launcher: &Launcher, store: &Path, timeout: Duration) -> anyhow::Result<Self> {
        let mut child = launcher
            .command(store)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        // Read the log until the address, then keep draining so the pipe never fills.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let line = strip_ansi(&line);
                if let Some(addr) = line
                    .split("local=")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|a| a.parse::<SocketAddr>().ok())
                {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr);
                    }
                }
            }
        });
        match rx.recv_timeout(timeout) {
            Ok(addr) => Ok(Self { child, addr }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait()?;
                anyhow::bail!("starcoach serve did not start listening ({status})")
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait until the process has been idle (under 5% of a core) for a second, e.g.
    /// after `serve` warmed its caches at startup; gives up after `timeout`.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let ticks_per_s = 100.0; // USER_HZ on Linux
        let deadline = Instant::now() + timeout;
        let mut last = cpu_ticks(self.pid());
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_secs(1));
            let now = cpu_ticks(self.pid());
            if let (Some(a), Some(b)) = (last, now) {
                if ((b - a) as f64 / ticks_per_s) < 0.05 {
                    return true;
                }
            }
            last = now;
        }
        false
    }
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        // The process is ours: SIGTERM lets it flush and exit; SIGKILL if it lingers.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
