//! The retrieval evaluation: a table per split, then the hybrid method's misses.

use std::fmt::Write;

use crate::eval::{EvalReport, QuestionResult, DEPTH};
use crate::retrieve::Method;

/// The report as text: a table per split, then the misses of the hybrid method
/// (with what dense-only did on the same question).
pub fn eval(report: &EvalReport) -> String {
    let mut out = format!("model {}\n", report.model);
    for s in &report.splits {
        let _ = writeln!(
            out,
            "split {} ({} questions)\n  {:<8} {:>6} {:>6} {:>6} {:>9} {:>9} {:>8}",
            s.split.as_str(),
            s.questions,
            "method",
            "hit@1",
            "hit@3",
            "MRR",
            "gap prec",
            "gap rec",
            "fit sep"
        );
        for m in &s.methods {
            // Precision is undefined when no gap was declared.
            let precision = if m.gap_declared == 0 {
                "-".to_string()
            } else {
                format!("{:.3}", m.gap_precision)
            };
            let separation = m
                .fit_separation
                .map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
            let _ = writeln!(
                out,
                "  {:<8} {:>6.3} {:>6.3} {:>6.3} {:>9} {:>9.3} {:>8}   ({} answerable; gaps: {} expected, {} declared, {} right)",
                m.method.as_str(),
                m.hit_at_1,
                m.hit_at_3,
                m.mrr,
                precision,
                m.gap_recall,
                separation,
                m.answerable,
                m.gap_expected,
                m.gap_declared,
                m.gap_correct
            );
        }
        let _ = writeln!(
            out,
            "  competency detection: first {:.3}, among the detected {:.3} ({} labeled)",
            s.competency.top1, s.competency.detected, s.competency.labeled
        );
        if let Some(c) = &s.calibration {
            let _ = writeln!(
                out,
                "  fit thresholds read off this half (hybrid): strong {} workable {} gap {} (gap F1 {:.3}; {} acceptable and {} other stories, {} gaps)",
                c.strong, c.workable, c.gap, c.gap_f1, c.acceptable, c.others, c.gaps
            );
        }
        out.push('\n');
    }
    let misses: Vec<&QuestionResult> = report
        .questions
        .iter()
        .filter(|q| q.is_miss(Method::Hybrid))
        .collect();
    let _ = writeln!(out, "hybrid misses ({}):", misses.len());
    for q in misses {
        let r = q.result(Method::Hybrid);
        let d = q.result(Method::Dense);
        let what = match (q.expects_gap, r) {
            (true, _) => "expected a gap, got a fit".to_string(),
            (false, Some(r)) if r.gap && r.rank == Some(1) => {
                "right story but declared a gap".to_string()
            }
            (false, Some(r)) => match r.rank {
                Some(k) => format!("acceptable story at rank {k}"),
                None => format!("no acceptable story in the top {DEPTH}"),
            },
            (false, None) => "not ranked".into(),
        };
        let _ = writeln!(
            out,
            "  [{} {} {}] {}\n    {what}; dense rank {}; competencies {:?}",
            q.id,
            q.bank,
            q.kind,
            q.question,
            d.and_then(|d| d.rank)
                .map_or("-".to_string(), |k| k.to_string()),
            q.competencies
        );
        if let Some(r) = r {
            for s in &r.top {
                let _ = writeln!(
                    out,
                    "      {:>7.3} fit {:.3}  {}",
                    s.score, s.fit_score, s.title
                );
            }
        }
    }
    out
}

/// The critique evaluation as plain text: one block per half, then the answers.
pub fn eval_critique(report: &crate::eval::critique::CritiqueEvalReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Critique evaluation ({})",
        if report.llm { "with the LLM" } else { "no LLM" }
    );
    for split in &report.splits {
        let _ = writeln!(
            out,
            "\n{}: {} answers; planted defects named {}/{} ({:.0}%); false alarms {}/{} ({:.0}%); Spearman {:.2}; every strong above every weak/off-topic: {}",
            split.split,
            split.answers,
            split.named,
            split.planted,
            split.defect_recall * 100.0,
            split.raised_wrongly,
            split.checks,
            split.false_alarm_rate * 100.0,
            split.spearman,
            if split.strong_above_weak { "yes" } else { "no" }
        );
        if report.llm {
            let outcomes: Vec<String> = split
                .llm_outcomes
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let _ = writeln!(out, "  LLM: {}", outcomes.join(", "));
        }
        for (defect, (named, planted)) in &split.by_defect {
            let _ = writeln!(out, "  defect {defect:<20} named {named}/{planted}");
        }
        for (check, (raised, checked)) in split.by_check.iter().filter(|(_, (r, _))| *r > 0) {
            let _ = writeln!(out, "  false alarm {check:<15} {raised}/{checked}");
        }
        for r in &split.results {
            let _ = writeln!(
                out,
                "  {:<5} {:<9} rank {:>2} overall {:>4} relevance {:>5} competency #{}{} raised [{}]{}{}",
                r.id,
                format!("{:?}", r.tier).to_lowercase(),
                r.rank,
                r.overall.map_or("-".into(), |o| format!("{o:.1}")),
                r.relevance.map_or("-".into(), |x| format!("{x:.3}")),
                r.competency_rank.map_or("-".into(), |x| (x + 1).to_string()),
                if report.llm {
                    format!(" llm {}", r.llm)
                } else {
                    String::new()
                },
                r.raised.join(", "),
                if r.missed.is_empty() {
                    String::new()
                } else {
                    format!(" missed [{}]", r.missed.join(", "))
                },
                if r.false_alarms.is_empty() {
                    String::new()
                } else {
                    format!(" wrongly [{}]", r.false_alarms.join(", "))
                },
            );
        }
    }
    out
}

/// `starcoach eval-prep`: recall per half, then each job's labels against the top 5.
pub fn eval_prep(report: &crate::eval::prep::PrepEvalReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Competency detection on job descriptions ({})",
        report.model
    );
    for split in &report.splits {
        let _ = writeln!(
            out,
            "{:?}: {} jobs; recall@3 {:.3}; recall@5 {:.3}; precision@5 {:.3}",
            split.split, split.jobs, split.recall_at_3, split.recall_at_5, split.precision_at_5
        );
    }
    for job in &report.jobs {
        let _ = writeln!(
            out,
            "\n{} ({:?}, {}): recall@5 {:.2}\n  labels: {}\n  top 5:  {}",
            job.file,
            job.split,
            job.role,
            job.recall_at_5,
            job.labels.join(", "),
            job.top5.join(", ")
        );
        if !job.missed.is_empty() {
            let _ = writeln!(out, "  missed: {}", job.missed.join(", "));
        }
    }
    out
}
