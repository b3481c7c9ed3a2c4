//! Logging setup: `tracing` to stderr, filtered by `RUST_LOG` (default `warn` for the
//! CLI, `info` for `serve`). Embedded Qdrant's start-up warnings about process-wide
//! flags it expects the Qdrant server's `main` to set are silenced by default.

use tracing_subscriber::EnvFilter;

/// Install the global subscriber once; later calls are ignored.
pub fn init(default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
