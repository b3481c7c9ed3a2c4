//! Practice as text: a question asked, an answer's short critique with its follow-up,
//! a session's summary, the history and the progress table.

use std::fmt::Write;

use super::excerpt;
use crate::history::HistoryPage;
use crate::practice::progress::{Direction, Trend};
use crate::practice::{
    AnswerOutcome, AskedQuestion, ProgressReport, SessionSummary, ShortCritique,
};

/// A question put to the user.
pub fn asked(q: &AskedQuestion) -> String {
    if q.follow_up {
        format!(
            "Follow-up to question {} of {}: {}\n",
            q.number, q.of, q.text
        )
    } else {
        format!(
            "Question {} of {} ({}): {}\n",
            q.number, q.of, q.competency, q.text
        )
    }
}

/// A short critique.
pub fn short_critique(c: &ShortCritique) -> String {
    let mut out = String::new();
    let scores: Vec<String> = c.scores.iter().map(|(d, s)| format!("{d} {s}")).collect();
    let overall = c.overall.map_or("-".to_string(), |o| format!("{o:.1}"));
    let _ = writeln!(out, "  Overall {overall}/5: {}", scores.join(", "));
    for cap in &c.caps {
        let _ = writeln!(
            out,
            "  {} capped at {}: {}",
            cap.dimension, cap.max, cap.reason
        );
    }
    if let Some(off) = &c.off_topic {
        let _ = writeln!(out, "  Off topic: {off}");
    }
    if let Some(story) = &c.story {
        let _ = writeln!(out, "  Story told: {}", excerpt(&story.title, 60));
    }
    let estimated = if c.pace_estimated {
        " (estimated: no timestamps)"
    } else {
        ""
    };
    let _ = writeln!(out, "  {} words at {:.0} wpm{estimated}", c.words, c.wpm);
    for change in &c.changes {
        let _ = writeln!(out, "  - {change}");
    }
    out
}

/// What an answer brought: the critique, the follow-up, what comes next.
pub fn answer_outcome(o: &AnswerOutcome) -> String {
    let mut out = String::new();
    if o.skipped {
        let _ = writeln!(out, "Skipped.");
    }
    if let Some(c) = &o.critique {
        let what = if o.answered.follow_up {
            "Your answer with the follow-up"
        } else {
            "Your answer"
        };
        let _ = writeln!(out, "{what}:");
        out.push_str(&short_critique(c));
    }
    if let Some(summary) = &o.summary {
        out.push_str(&session_summary(summary));
    }
    out
}

/// A finished session's summary.
pub fn session_summary(s: &SessionSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nSession finished: {} answered, {} skipped.",
        s.answered, s.skipped
    );
    let scores: Vec<String> = s
        .scores
        .iter()
        .map(|(d, v)| format!("{d} {v:.1}"))
        .collect();
    if let Some(overall) = s.overall {
        let _ = writeln!(out, "  Overall {overall:.1}/5: {}", scores.join(", "));
    }
    if let (Some(best), Some(worst)) = (s.strongest, s.weakest) {
        let _ = writeln!(
            out,
            "  Strongest answer: question {}; weakest: question {}.",
            best + 1,
            worst + 1
        );
    }
    if let Some(next) = &s.next_focus {
        let _ = writeln!(out, "  Practise next: {next}.");
    }
    out
}

/// The history, newest first.
pub fn history(page: &HistoryPage) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "History of '{}': {} critiques (showing {})",
        page.user,
        page.total,
        page.entries.len()
    );
    for e in &page.entries {
        let r = &e.record;
        let overall = r.overall.map_or("-".to_string(), |o| format!("{o:.1}"));
        let _ = writeln!(
            out,
            "  #{:<4} {} {:<8} {overall:>4}  {:<16} {}",
            e.id,
            r.recorded_at.format("%Y-%m-%d %H:%M"),
            r.origin.as_str(),
            r.competency.as_deref().unwrap_or("-"),
            excerpt(&r.question, 60)
        );
    }
    out
}

fn trend_row(out: &mut String, t: &Trend) {
    let value = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    let direction = match t.direction {
        Direction::Up => "up",
        Direction::Down => "down",
        Direction::Flat => "flat",
        Direction::TooFew => "too few",
    };
    let judged = match t.improving {
        Some(true) => " (better)",
        Some(false) => " (worse)",
        None => "",
    };
    let _ = writeln!(
        out,
        "  {:<22} {:>8} {:>8}  {direction}{judged}",
        t.metric,
        value(t.first),
        value(t.recent)
    );
}

/// The progress report as a table.
pub fn progress(report: &ProgressReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Progress of '{}': {} answers on {} days\n",
        report.user, report.answers, report.days_practised
    );
    let _ = writeln!(
        out,
        "  {:<22} {:>8} {:>8}  trend",
        "metric", "first", "recent"
    );
    for t in report.dimensions.iter().chain(&report.delivery) {
        trend_row(&mut out, t);
    }
    if !report.competencies.is_empty() {
        let _ = writeln!(out, "\nCompetencies practised:");
        for c in &report.competencies {
            let needed = match c.needed {
                Some(true) => "  (the job needs it)",
                _ => "",
            };
            let mean = c
                .mean_overall
                .map_or("-".to_string(), |m| format!("{m:.1}"));
            let _ = writeln!(
                out,
                "  {:<18} {:>3} answers, mean {mean}{needed}",
                c.id, c.answers
            );
        }
    }
    if !report.not_practised.is_empty() {
        let _ = writeln!(
            out,
            "Not practised yet, and the job needs: {}",
            report.not_practised.join(", ")
        );
    }
    if !report.stories.is_empty() {
        let _ = writeln!(out, "\nStories told:");
        for s in &report.stories {
            let over = if s.over_used {
                "  over-used: tell another story sometimes"
            } else {
                ""
            };
            let _ = writeln!(out, "  {:>3}x {}{over}", s.told, excerpt(&s.title, 60));
        }
    }
    out
}
