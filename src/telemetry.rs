//! Logging setup: `tracing` to stderr, filtered by `RUST_LOG`.

// Logging setup: `tracing` to stderr, filtered by `RUST_LOG` (default `warn` for the
// CLI, `info` for `serve`). Embedded Qdrant's start-up warnings about process-wide
// flags it expects the Qdrant server's `main` to set are silenced unless `RUST_LOG` is set.

use tracing_subscriber::EnvFilter;

/// Where embedded Qdrant warns that process-wide settings were left at their defaults
/// (feature flags, the multi-mmap check), which only the Qdrant server's `main` sets
/// and which qdrant-edge does not export. The defaults are what we want, so the
/// warnings say nothing to a user.
const QDRANT_STARTUP_TARGETS: [&str; 2] = [
    "qdrant_edge::common::flags",
    "qdrant_edge::common::mmap::ops",
];

/// The filter used when `RUST_LOG` is unset (or empty): `default_level`, with embedded
/// Qdrant's start-up warnings silenced.
fn default_directives(default_level: &str) -> String {
    let mut directives = default_level.to_string();
    for target in QDRANT_STARTUP_TARGETS {
        directives.push_str(&format!(",{target}=error"));
    }
    directives
}

/// Install the global subscriber once; later calls are ignored.
pub fn init(default_level: &str) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::new(value),
        _ => EnvFilter::new(default_directives(default_level)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_filter_parses_and_keeps_the_level() {
        let directives = default_directives("warn");
        assert!(directives.starts_with("warn,"));
        assert!(EnvFilter::try_new(&directives).is_ok());
    }
}
