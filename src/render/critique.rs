//! The critique as plain text, for the terminal and for chat replies.

use std::fmt::Write;

use crate::critique::{Critique, LlmStatus, OutlineSource};

/// A human-readable report: scores with quotes, the three changes, follow-ups, the
/// outline, grounding and the measured facts.
pub fn critique(c: &Critique) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Question: {}", c.question);
    let model = c
        .tokens
        .as_ref()
        .and_then(|t| t.model.as_deref())
        .unwrap_or_default();
    match (c.llm, &c.llm_reason) {
        (LlmStatus::Used, _) => {
            let _ = writeln!(
                out,
                "Critique by {model}, checked against the measured facts."
            );
        }
        (LlmStatus::Partial, _) => {
            let rejected = c.llm_checks.as_ref().map_or(0, |k| k.rejected);
            let _ = writeln!(
                out,
                "Critique by {model}, checked against the measured facts: {rejected} of its 5 scores failed the checks and were replaced by the analysis' own."
            );
        }
        (LlmStatus::Rejected, reason) => {
            let _ = writeln!(
                out,
                "LLM answer rejected ({}).",
                reason.as_deref().unwrap_or("it failed the checks")
            );
        }
        (LlmStatus::Unavailable, reason) => {
            let _ = writeln!(
                out,
                "LLM unavailable ({}): deterministic critique from the analysis only.",
                reason.as_deref().unwrap_or("unknown reason")
            );
        }
    }
    let _ = writeln!(out);
    if let Some(off) = &c.off_topic {
        let _ = writeln!(out, "Off topic: {}\n", off.finding);
    }
    match c.overall {
        Some(o) => {
            let _ = writeln!(out, "Scores (1-5, 3 = competent):  overall {o:.1}");
        }
        None => {
            let _ = writeln!(out, "Scores (1-5, 3 = competent):");
        }
    }
    for s in &c.scores {
        let score = s.score.map_or("-".to_string(), |v| v.to_string());
        let _ = writeln!(out, "  {:<10} {score}  {}", s.dimension.as_str(), s.reason);
        if let (Some(said), Some(why)) = (s.llm_score, &s.rejected) {
            let _ = writeln!(out, "             (the LLM said {said}, not kept: {why})");
        }
        if let Some(q) = &s.quote {
            let _ = writeln!(out, "             \"{q}\"");
        }
    }
    if c.invented_quotes > 0 {
        let _ = writeln!(
            out,
            "  ({} quote(s) from the LLM were not in your answer and were dropped)",
            c.invented_quotes
        );
    }
    let _ = writeln!(out, "\nThree changes that would raise the score most:");
    for (i, ch) in c.changes.iter().enumerate() {
        let _ = writeln!(out, "  {}. [{}] {}", i + 1, ch.part, ch.change);
    }
    let _ = writeln!(out, "\nLikely follow-up questions:");
    for f in &c.follow_ups {
        let _ = writeln!(out, "  - {f}");
    }
    let _ = writeln!(out, "\n{}", c.outline.label);
    for p in &c.outline.parts {
        let from = match p.source {
            OutlineSource::Llm => "",
            OutlineSource::Transcript => " (your words)",
            OutlineSource::Story => " (from your stored story)",
            OutlineSource::Missing => "",
        };
        let _ = writeln!(out, "  {:<9} {}{from}", p.part.as_str(), p.text);
    }
    let _ = writeln!(out, "\nYour stories: {}", c.grounding.message);
    for e in &c.grounding.better_story_evidence {
        let _ = writeln!(out, "  \"{}\"", e.text);
    }
    let a = &c.analysis;
    let _ = writeln!(out, "\nMeasured:");
    let pace = if a.pace_estimated {
        "pace not measured (no timestamps)".to_string()
    } else {
        format!("{:.0} wpm", a.pace_wpm)
    };
    let _ = writeln!(
        out,
        "  {} words, {:.0} s{}, {pace}; fillers {}, hedges {}; I {} / we {} in the actions",
        a.word_count,
        a.duration_seconds,
        if a.duration_estimated { " (est.)" } else { "" },
        a.fillers.total,
        a.hedges.total,
        a.ownership.i_count,
        a.ownership.we_count
    );
    let sh = &a.star.word_shares;
    let _ = writeln!(
        out,
        "  STAR: situation {:.0}%, task {:.0}%, action {:.0}%, result {:.0}%",
        sh.situation * 100.0,
        sh.task * 100.0,
        sh.action * 100.0,
        sh.result * 100.0
    );
    let in_result: Vec<String> = a
        .quantified_results
        .iter()
        .filter(|q| q.in_result)
        .map(|q| format!("\"{}\" ({})", q.text, q.kind.label()))
        .collect();
    if !in_result.is_empty() {
        let _ = writeln!(out, "  Result figures: {}", in_result.join(", "));
    }
    for f in &a.findings {
        let _ = writeln!(out, "  - {f}");
    }
    if let Some(t) = &c.tokens {
        let _ = writeln!(
            out,
            "\nTokens: {} prompt + {} completion{} in {} attempt(s); {:.1} s",
            t.prompt_tokens,
            t.completion_tokens,
            if t.estimated { " (estimated)" } else { "" },
            t.attempts,
            c.took_ms / 1000.0
        );
    }
    out
}
