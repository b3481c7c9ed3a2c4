//! Coverage: each competency's best stories and level, and the gaps.

use std::fmt::Write;

use super::excerpt;
use crate::coverage::CoverageReport;
use crate::tagging::TaggingStatus;

/// The coverage report as plain text.
pub fn coverage(report: &CoverageReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Coverage for user '{}': {} stories, {} competencies, {} gaps\n",
        report.user,
        report.stories,
        report.competencies.len(),
        report.gaps.len()
    );
    for c in &report.competencies {
        let level = c.level.map_or("GAP", |l| l.as_str());
        let stories: Vec<String> = c
            .stories
            .iter()
            .map(|s| {
                let llm = match s.llm_agrees {
                    Some(true) => ", LLM agrees",
                    Some(false) => ", not the LLM's tag",
                    None => "",
                };
                format!(
                    "{} ({}, {:.2}{llm})",
                    excerpt(&s.title, 50),
                    s.fit.as_str(),
                    s.fit_score
                )
            })
            .collect();
        let _ = writeln!(out, "  {:<32} {:<9} {}", c.name, level, stories.join("; "));
        if !c.llm_also.is_empty() {
            let titles: Vec<String> = c.llm_also.iter().map(|s| excerpt(&s.title, 50)).collect();
            let _ = writeln!(
                out,
                "  {:<32} {:<9} the LLM also names: {}",
                "",
                "",
                titles.join("; ")
            );
        }
    }
    let t = &report.llm_tagging;
    let _ = match t.status {
        TaggingStatus::Used => writeln!(out, "\nLLM tags: all {} stories tagged.", t.tagged),
        TaggingStatus::Partial => writeln!(
            out,
            "\nLLM tags: {} stories tagged, {} not yet ({}); run coverage again to continue.",
            t.tagged,
            t.untagged,
            t.reason.as_deref().unwrap_or("")
        ),
        TaggingStatus::Unavailable => writeln!(
            out,
            "\nLLM tags: none ({}); coverage is by embedding similarity only.",
            t.reason.as_deref().unwrap_or("")
        ),
    };
    if !report.gaps.is_empty() {
        let names: Vec<&str> = report
            .competencies
            .iter()
            .filter(|c| c.gap)
            .map(|c| c.name.as_str())
            .collect();
        let _ = writeln!(out, "\nPrepare a story for: {}", names.join(", "));
    }
    out
}
