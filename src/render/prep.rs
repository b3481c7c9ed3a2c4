//! A prep plan: the competencies a job asks for, with its sentences, the likely
//! questions and the best story for each, then the gaps.

use std::fmt::Write;

use super::excerpt;
use crate::prep::PrepReport;

/// The prep plan as plain text.
pub fn prep(report: &PrepReport) -> String {
    let mut out = String::new();
    let level = report
        .job
        .level
        .map(|l| format!(", {} level", l.as_str()))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Prep for user '{}': the job ({} words, {} of {} sentences about the work{level}) asks for:\n",
        report.user, report.job.words, report.job.job_sentences, report.job.sentences
    );
    for c in &report.competencies {
        let level = c.level.map_or("GAP", |l| l.as_str());
        let _ = writeln!(out, "{}. {} (your best story: {level})", c.rank, c.name);
        for sentence in &c.evidence {
            let _ = writeln!(
                out,
                "   job, line {}: \"{}\"",
                sentence.line,
                excerpt(&sentence.text, 110)
            );
        }
        for q in &c.questions {
            let from = match q.source {
                crate::prep::QuestionSource::Bank => "",
                crate::prep::QuestionSource::Llm => " (written for this job by the LLM)",
            };
            let _ = writeln!(out, "   Q: {}{from}", q.text);
            match &q.story {
                Some(s) => {
                    let _ = writeln!(
                        out,
                        "      -> {} ({}, {:.2})",
                        excerpt(&s.title, 60),
                        s.fit.as_str(),
                        s.fit_score
                    );
                    if let Some(e) = s.evidence.first() {
                        let _ = writeln!(out, "         \"{}\"", excerpt(&e.text, 100));
                    }
                }
                None => {
                    let _ = writeln!(out, "      -> no story fits");
                }
            }
        }
        out.push('\n');
    }
    let llm = &report.llm;
    if llm.status != "unavailable" {
        let _ = writeln!(
            out,
            "LLM questions: {} proposed, {} kept ({} not behavioral, {} for another competency, {} near-copies of the bank){}\n",
            llm.proposed,
            llm.kept,
            llm.not_behavioral,
            llm.off_list,
            llm.duplicates,
            llm.reason.as_deref().map(|r| format!("; {r}")).unwrap_or_default()
        );
    }
    if report.gaps.is_empty() {
        let _ = writeln!(
            out,
            "No gaps: every competency above has a strong or workable story."
        );
    } else {
        let _ = writeln!(out, "Gaps:");
        for gap in &report.gaps {
            let _ = writeln!(out, "  - {}", gap.message);
            for note in &gap.notes {
                let _ = writeln!(
                    out,
                    "      from your notes: {} ({}): \"{}\"",
                    excerpt(&note.title, 50),
                    note.source,
                    excerpt(&note.passage, 90)
                );
            }
        }
    }
    out
}
