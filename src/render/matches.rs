//! Ranked stories for a question: plain text for the terminal, Markdown for chat.

use std::fmt::Write;

use super::{display_source, excerpt};
use crate::retrieve::MatchResponse;

/// The ranked stories as plain text, with sources, passages, evidence and advice.
pub fn matches(response: &MatchResponse) -> String {
    let mut out = String::new();
    if response.stories.is_empty() {
        let _ = writeln!(
            out,
            "No stories stored for user '{}' yet: run `starcoach ingest PATH` first.",
            response.user
        );
        return out;
    }
    let _ = writeln!(out, "Stories for: {}", response.question);
    if !response.competencies.is_empty() {
        let names: Vec<&str> = response
            .competencies
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let _ = writeln!(out, "Asks about: {}", names.join(", "));
    }
    if let Some(gap) = &response.gap {
        let _ = writeln!(out, "GAP: {}", gap.message);
    }
    if levels_out_of_rank_order(response) {
        out.push_str(
            "Ranked by meaning and shared words together. The fit level reads how closely\n\
             each story's best passage answers the question: a story ranked lower can fit \
             better.\n",
        );
    }
    let _ = writeln!(out);
    for story in &response.stories {
        let _ = writeln!(
            out,
            "{:>2}. {}  [{}, fit {:.2}]",
            story.rank,
            story.title,
            story.fit.as_str(),
            story.fit_score
        );
        let tags = if story.tags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", story.tags.join("] ["))
        };
        let _ = writeln!(
            out,
            "    {}:{}-{}{}",
            display_source(&story.source),
            story.lines.start,
            story.lines.end,
            tags
        );
        let passage = &story.best_passage;
        let _ = writeln!(
            out,
            "    best passage ({}, lines {}-{}): {}",
            passage.section.as_str(),
            passage.lines.start,
            passage.lines.end,
            excerpt(&passage.text, 300)
        );
        for evidence in &story.evidence {
            let _ = writeln!(out, "    evidence: \"{}\"", excerpt(&evidence.text, 200));
        }
        for stress in &story.stress {
            let _ = writeln!(out, "    stress:   {}", excerpt(stress, 200));
        }
        for avoid in &story.avoid {
            let _ = writeln!(out, "    avoid:    {}", excerpt(avoid, 200));
        }
        let _ = writeln!(out);
    }
    if !response.related_notes.is_empty() {
        let _ = writeln!(out, "Related notes (context, not stories):");
        for note in &response.related_notes {
            let _ = writeln!(
                out,
                "  - {}  ({}:{}-{})",
                note.title,
                display_source(&note.source),
                note.lines.start,
                note.lines.end
            );
        }
    }
    out
}

/// The ranked stories as Markdown.
pub fn matches_markdown(m: &MatchResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "**Your stories for:** {}\n", m.question);
    if let Some(gap) = &m.gap {
        let _ = writeln!(out, "**Gap:** {}\n", gap.message);
    }
    if m.stories.is_empty() {
        let _ = writeln!(
            out,
            "Your story bank is empty: ingest your stories first (`POST /v1/documents`)."
        );
    }
    for s in &m.stories {
        let _ = writeln!(
            out,
            "{}. **{}** — {} fit ({:.2})",
            s.rank,
            s.title,
            s.fit.as_str(),
            s.fit_score
        );
        for e in &s.evidence {
            let _ = writeln!(out, "   - \"{}\"", e.text);
        }
        for stress in &s.stress {
            let _ = writeln!(out, "   - Stress: {stress}");
        }
        for avoid in &s.avoid {
            let _ = writeln!(out, "   - Avoid: {avoid}");
        }
    }
    out
}

/// Whether a story has a better fit level than one ranked above it (the levels do not
/// fall or stay level down the list).
fn levels_out_of_rank_order(response: &MatchResponse) -> bool {
    response.stories.windows(2).any(|w| w[0].fit < w[1].fit)
}
