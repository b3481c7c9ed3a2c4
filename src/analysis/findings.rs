//! Flags (machine-readable defects) and findings (short sentences a person can act on),
//! both derived from the measurements with the numbers in [`super::thresholds`].

use super::model::{Analysis, Flag, PaceBand, Part, TermCounts};
use super::thresholds::*;
use super::transcript::format_clock;

/// The pace band of `wpm` (GUIDE "Pace").
pub(crate) fn pace_band(wpm: f64) -> PaceBand {
    if wpm < SLOW_PACE_WPM {
        PaceBand::Slow
    } else if wpm < COMFORTABLE_PACE_MIN_WPM {
        PaceBand::Unhurried
    } else if wpm <= COMFORTABLE_PACE_MAX_WPM {
        PaceBand::Comfortable
    } else if wpm <= RUSHED_PACE_WPM {
        PaceBand::Brisk
    } else {
        PaceBand::Rushed
    }
}

/// Every flag that applies: structure (STAR balance, Result, ownership) first, then
/// length, pace, fillers, hedges and pauses.
pub(crate) fn flags(a: &Analysis) -> Vec<Flag> {
    let shares = &a.star.word_shares;
    let has = |part: Part| a.star.segments.iter().any(|s| s.part == part);
    let result_quantified = a.quantified_results.iter().any(|q| q.in_result);
    let minutes_known = a.timed;
    let longest_pause = a
        .pauses
        .iter()
        .map(|p| p.duration_seconds)
        .fold(0.0, f64::max);
    let checks = [
        (Flag::MissingResult, a.word_count > 0 && !has(Part::Result)),
        (
            Flag::TokenResult,
            has(Part::Result) && shares.result < TOKEN_RESULT_SHARE,
        ),
        (
            Flag::SituationHeavy,
            a.star.situation_task_share > SITUATION_HEAVY_SHARE,
        ),
        (Flag::NoTask, a.word_count > 0 && !has(Part::Task)),
        (
            Flag::ThinAction,
            a.word_count > 0 && shares.action < THIN_ACTION_SHARE,
        ),
        (
            Flag::UnquantifiedResult,
            has(Part::Result) && !result_quantified,
        ),
        (Flag::WeDominates, a.ownership.we_dominates),
        (
            Flag::TooShort,
            a.word_count < MIN_ANSWER_WORDS
                && (!a.timed || a.duration_seconds < MIN_ANSWER_SECONDS),
        ),
        (
            Flag::TooLong,
            a.word_count > MAX_ANSWER_WORDS || (a.timed && a.duration_seconds > MAX_ANSWER_SECONDS),
        ),
        (
            Flag::SlowPace,
            a.timed && a.word_count > 0 && a.pace_wpm < SLOW_PACE_WPM,
        ),
        (Flag::RushedPace, a.timed && a.pace_wpm > RUSHED_PACE_WPM),
        (
            Flag::FillerHeavy,
            a.fillers.per_100_words > FILLERS_PER_100_WORDS_FLAG
                || (minutes_known && a.fillers.per_minute > FILLERS_PER_MINUTE_FLAG),
        ),
        (
            Flag::HedgeHeavy,
            a.hedges.total >= MIN_HEDGES_FLAG
                && a.hedges.per_100_words >= HEDGES_PER_100_WORDS_FLAG,
        ),
        (
            Flag::LongPauses,
            a.pauses.len() >= LONG_PAUSES_FLAG_COUNT || longest_pause >= LONG_PAUSE_FLAG_SECONDS,
        ),
    ];
    checks
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(f, _)| f)
        .collect()
}

fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn top_terms(counts: &TermCounts, n: usize) -> String {
    let mut terms: Vec<(&String, &usize)> = counts.by_term.iter().collect();
    terms.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    terms
        .iter()
        .take(n)
        .map(|(t, c)| format!("\"{t}\" ×{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Human-readable findings for `flags`, plus the note that plain-text pace is estimated.
pub(crate) fn describe(a: &Analysis, flags: &[Flag]) -> Vec<String> {
    let shares = &a.star.word_shares;
    let mut out = Vec::new();
    for flag in flags {
        let text = match flag {
            Flag::AddressesGrader => {
                let quoted: Vec<String> =
                    a.grader_sentences.iter().map(|s| format!("\"{s}\"")).collect();
                format!(
                    "Addressed to the grader, not the interviewer, and left out of this critique: {}. In an interview it reads as gaming the process; it can only lower the score",
                    quoted.join(" ")
                )
            }
            Flag::MissingResult => format!(
                "No Result: the answer never says how it ended (aim for {:.0}-{:.0}% of the answer on the outcome)",
                TARGET_RESULT_MIN * 100.0,
                TARGET_RESULT_MAX * 100.0
            ),
            Flag::TokenResult => format!(
                "Result is {} of the answer (aim for {:.0}-{:.0}%)",
                pct(shares.result),
                TARGET_RESULT_MIN * 100.0,
                TARGET_RESULT_MAX * 100.0
            ),
            Flag::SituationHeavy => format!(
                "Situation and Task take {} of the answer (aim for {:.0}-{:.0}%)",
                pct(a.star.situation_task_share),
                TARGET_SITUATION_TASK_MIN * 100.0,
                TARGET_SITUATION_TASK_MAX * 100.0
            ),
            Flag::NoTask => "No Task: say what you were asked to do or set out to achieve".to_string(),
            Flag::ThinAction => format!(
                "Action is {} of the answer (aim for {:.0}-{:.0}%): say more about what you did",
                pct(shares.action),
                TARGET_ACTION_MIN * 100.0,
                TARGET_ACTION_MAX * 100.0
            ),
            Flag::UnquantifiedResult => {
                "The Result has no number: add a measured outcome (%, time, money, before/after)".to_string()
            }
            Flag::WeDominates => format!(
                "\"we\" outnumbers \"I\" in the Action part ({} vs {}): say what you did yourself",
                a.ownership.we_count, a.ownership.i_count
            ),
            Flag::TooShort | Flag::TooLong => format!(
                "The answer is {} ({} words{}): aim for {MIN_ANSWER_WORDS}-{MAX_ANSWER_WORDS} words, 1.5-3 minutes",
                if *flag == Flag::TooShort { "short" } else { "long" },
                a.word_count,
                if a.timed { format!(", {}", format_clock(a.duration_seconds)) } else { String::new() }
            ),
            Flag::SlowPace | Flag::RushedPace => format!(
                "Pace is {:.0} words per minute: {} (comfortable is {COMFORTABLE_PACE_MIN_WPM:.0}-{COMFORTABLE_PACE_MAX_WPM:.0})",
                a.pace_wpm,
                if *flag == Flag::SlowPace { "slow" } else { "rushed" }
            ),
            Flag::FillerHeavy => format!(
                "{} fillers ({:.1} per minute{}, {:.1} per 100 words; fluent speakers use 1-{FLUENT_FILLERS_PER_MINUTE:.0} per minute): {}",
                a.fillers.total,
                a.fillers.per_minute,
                if a.timed { "" } else { " estimated" },
                a.fillers.per_100_words,
                top_terms(&a.fillers, 3)
            ),
            Flag::HedgeHeavy => format!(
                "{} hedges ({:.1} per 100 words) weaken the answer: {}",
                a.hedges.total,
                a.hedges.per_100_words,
                top_terms(&a.hedges, 3)
            ),
            Flag::LongPauses => {
                let longest = a
                    .pauses
                    .iter()
                    .max_by(|x, y| x.duration_seconds.total_cmp(&y.duration_seconds));
                match longest {
                    Some(p) => format!(
                        "{} pauses of {LONG_PAUSE_SECONDS:.0} s or more; the longest is {:.1} s at {}",
                        a.pauses.len(),
                        p.duration_seconds,
                        format_clock(p.start)
                    ),
                    None => continue,
                }
            }
        };
        out.push(text);
    }
    if let Some(note) = &a.pace_note {
        out.push(note.clone());
    }
    out
}
