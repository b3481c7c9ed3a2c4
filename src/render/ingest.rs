//! The ingest report: counts, store upgrades, what changed and what was skipped.

use std::fmt::Write;

use super::display_source;
use crate::ingest::{DocumentAction, IngestReport};

/// The report of one ingest run as plain text.
pub fn ingest(report: &IngestReport) -> String {
    let mut out = String::new();
    let c = &report.counts;
    let _ = writeln!(
        out,
        "Ingested {} files for user '{}': {} stories, {} notes",
        report.files, report.user, report.stories, report.notes
    );
    for upgrade in &report.store_upgrades {
        let _ = writeln!(out, "  {upgrade}");
    }
    let _ = writeln!(
        out,
        "  added {}, changed {}, unchanged {}, moved {}, deleted {}, skipped {}",
        c.added, c.changed, c.unchanged, c.moved, c.deleted, c.skipped
    );
    let _ = writeln!(
        out,
        "  {} chunks embedded in {:.1} s",
        report.chunks_embedded,
        report.elapsed_ms as f64 / 1000.0
    );
    // Every change except a long list of additions on a first run, which is noise.
    let show_added = report.counts.added <= 15;
    for change in report.changes.iter().filter(|c| match c.action {
        DocumentAction::Unchanged => false,
        DocumentAction::Added => show_added,
        _ => true,
    }) {
        let action = serde_json::to_value(change.action).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<9} {}  ({})",
            action.as_str().unwrap_or(""),
            change.title.as_deref().unwrap_or(&change.doc_id),
            display_source(&change.source)
        );
    }
    for skipped in &report.skipped {
        let at = skipped
            .lines
            .map(|l| format!(":{}-{}", l.start, l.end))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  skipped   {}{}: {}",
            display_source(&skipped.source),
            at,
            skipped.reason
        );
    }
    out
}
