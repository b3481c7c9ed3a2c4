//! Every report as text for people: plain text for the terminal, Markdown for chat
//! replies and written reports. The CLI and the chat endpoint print what these return.

mod coverage;
mod critique;
mod eval;
mod ingest;
mod matches;
mod practice;
mod prep;
mod progress;
mod reindex;

pub use coverage::coverage;
pub use critique::critique;
pub use eval::{eval, eval_critique, eval_prep};
pub use ingest::ingest;
pub use matches::{matches, matches_markdown};
pub use practice::{answer_outcome, asked, history, progress, session_summary, short_critique};
pub use prep::prep;
pub use progress::TerminalProgress;
pub use reindex::reindex;

/// `text` on one line, cut to `max_chars` characters with an ellipsis.
pub(crate) fn excerpt(text: &str, max_chars: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        flat
    } else {
        format!("{}…", flat.chars().take(max_chars).collect::<String>())
    }
}

/// A stored source path, relative to the working directory when it lies under it.
pub(crate) fn display_source(source: &str) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            std::path::Path::new(source)
                .strip_prefix(cwd)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| source.to_string())
}
