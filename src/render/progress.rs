//! Ingest progress on standard error: a bar on a terminal, a line otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::ingest::IngestProgress;

/// A progress bar on a terminal, a few plain lines otherwise, nothing with --json.
pub struct TerminalProgress {
    bar: Option<ProgressBar>,
    plain: bool,
}

impl TerminalProgress {
    /// `quiet`: draw nothing (the report goes out as JSON).
    pub fn new(quiet: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        Self {
            bar: (terminal && !quiet).then(ProgressBar::hidden),
            plain: !terminal && !quiet,
        }
    }
}

impl IngestProgress for TerminalProgress {
    fn start(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "embedding {bar:40} {pos}/{len} chunks {elapsed_precise} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        } else if self.plain && total > 0 {
            eprintln!("embedding {total} chunks");
        }
    }
    fn advance(&self, chunks: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(chunks as u64);
        }
    }
    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
