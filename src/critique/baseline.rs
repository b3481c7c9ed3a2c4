//! The deterministic critique: scores, changes, follow-up questions and an outline
//! read from the analysis alone, and the ceilings the measured facts put on any score.

// Used whole when no LLM answers, and for the caps when one does: the LLM may be
// harsher than the facts, never kinder. No deterministic score is ever 5 (that needs
// judgement); relevance is scored here only from EmbeddingGemma's vectors
// (`critique::relevance`), else left to the LLM.

use crate::analysis::{Analysis, Flag, OwnershipScope, Part};
use crate::retrieve::BankStory;

use super::model::{
    Change, Dimension, DimensionScore, OutlinePart, OutlineSource, ScoreCap, ScoreFloor,
    ScoreSource,
};

/// Flags about how the answer was spoken (or its length).
const DELIVERY_FLAGS: [Flag; 7] = [
    Flag::FillerHeavy,
    Flag::HedgeHeavy,
    Flag::RushedPace,
    Flag::SlowPace,
    Flag::LongPauses,
    Flag::TooLong,
    Flag::TooShort,
];

/// Longest outline line taken from the answer or the story, in words.
const OUTLINE_WORDS: usize = 45;

fn has(a: &Analysis, flag: Flag) -> bool {
    a.flags.contains(&flag)
}

fn has_part(a: &Analysis, part: Part) -> bool {
    a.star.segments.iter().any(|s| s.part == part)
}

fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn delivery_flags(a: &Analysis) -> Vec<Flag> {
    DELIVERY_FLAGS
        .into_iter()
        .filter(|f| a.flags.contains(f))
        .collect()
}

/// The ceiling the measured facts put on a dimension's score, with the reason.
pub fn cap(a: &Analysis, dimension: Dimension) -> Option<ScoreCap> {
    let cap = |max: u8, reason: String| Some(ScoreCap { max, reason });
    match dimension {
        Dimension::Structure => {
            if has(a, Flag::MissingResult) {
                cap(2, "the answer has no result".into())
            } else if !has_part(a, Part::Action) {
                cap(2, "the answer has no action part".into())
            } else if has(a, Flag::SituationHeavy) {
                cap(
                    3,
                    format!(
                        "situation and task take {} of the answer",
                        pct(a.star.situation_task_share)
                    ),
                )
            } else if has(a, Flag::TokenResult) {
                cap(3, "the result is a token part of the answer".into())
            } else if has(a, Flag::ThinAction) {
                cap(3, "the action is under 40% of the answer".into())
            } else if has(a, Flag::NoTask) {
                cap(4, "the answer never says what the goal was".into())
            } else {
                None
            }
        }
        Dimension::Ownership => {
            let o = &a.ownership;
            if o.we_dominates {
                cap(
                    2,
                    format!(
                        "\"we\" ({}) outnumbers \"I\" ({}) in the actions",
                        o.we_count, o.i_count
                    ),
                )
            } else if o.i_count == 0 {
                cap(2, "the candidate never says \"I\" in the actions".into())
            } else {
                None
            }
        }
        Dimension::Impact => {
            if has(a, Flag::MissingResult) {
                cap(1, "the answer has no result".into())
            } else if has(a, Flag::TokenResult) {
                cap(2, "the result is a token part of the answer".into())
            } else if has(a, Flag::UnquantifiedResult) {
                cap(
                    3,
                    "the result has no number, percentage, money or time".into(),
                )
            } else {
                None
            }
        }
        Dimension::Delivery => {
            let flags = delivery_flags(a);
            let names = || {
                flags
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match flags.len() {
                0 if has(a, Flag::AddressesGrader) => {
                    cap(3, "the answer addresses the grader".into())
                }
                0 => None,
                1 => cap(3, format!("measured: {}", names())),
                _ => cap(2, format!("measured: {}", names())),
            }
        }
        Dimension::Relevance => None,
    }
}

/// The score the measured facts guarantee a dimension, with the reason: an LLM score
/// under it is not believed. Every deterministic score is at least its floor.
pub fn floor(a: &Analysis, dimension: Dimension) -> Option<ScoreFloor> {
    let floor = |min: u8, reason: String| Some(ScoreFloor { min, reason });
    let structure_flags = [
        Flag::MissingResult,
        Flag::TokenResult,
        Flag::SituationHeavy,
        Flag::ThinAction,
    ];
    let owned = !a.ownership.we_dominates && a.ownership.i_count > 0;
    match dimension {
        Dimension::Structure => (has_part(a, Part::Action)
            && has_part(a, Part::Result)
            && !structure_flags.iter().any(|f| has(a, *f)))
        .then(|| {
            floor(
                3,
                "action and result are there, in order and balanced".into(),
            )
        })
        .flatten(),
        Dimension::Ownership => {
            (owned && a.ownership.i_count >= 3 && a.ownership.i_share.is_some_and(|s| s >= 0.8))
                .then(|| {
                    floor(
                        3,
                        format!(
                            "\"I\" ({}) carries the actions, \"we\" {} times",
                            a.ownership.i_count, a.ownership.we_count
                        ),
                    )
                })
                .flatten()
        }
        Dimension::Impact => {
            let measured = a
                .quantified_results
                .iter()
                .find(|q| q.in_result && q.kind.is_strong());
            match measured {
                Some(q) if owned && !has(a, Flag::TokenResult) => floor(
                    3,
                    format!(
                        "the result is measured (\"{}\") and the actions are the candidate's",
                        q.text
                    ),
                ),
                _ => None,
            }
        }
        Dimension::Delivery => {
            (a.timed && delivery_flags(a).is_empty() && !has(a, Flag::AddressesGrader))
                .then(|| {
                    floor(
                        3,
                        "pace, pauses, fillers, hedges and length all in range".into(),
                    )
                })
                .flatten()
        }
        Dimension::Relevance => None,
    }
}

/// The first sentence of `part`, or of the answer.
fn first_sentence(a: &Analysis, part: Option<Part>) -> Option<String> {
    a.sentences
        .iter()
        .find(|s| part.is_none_or(|p| s.part == p) && s.word_count >= 3)
        .map(|s| s.text.clone())
}

fn contains_word(sentence: &str, words: &[&str]) -> bool {
    sentence
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .any(|w| words.iter().any(|x| w.eq_ignore_ascii_case(x)))
}

/// Deterministic scores (never 5; relevance unscored here, see `critique::relevance`).
pub fn scores(a: &Analysis) -> Vec<DimensionScore> {
    Dimension::ALL
        .into_iter()
        .map(|d| {
            let (score, quote, reason) = match d {
                Dimension::Structure => structure(a),
                Dimension::Ownership => ownership(a),
                Dimension::Impact => impact(a),
                Dimension::Delivery => delivery(a),
                Dimension::Relevance => (
                    None,
                    None,
                    "Relevance needs the LLM's reading of the question and the answer, or \
                     EmbeddingGemma's vectors (this model's do not separate off-topic answers)."
                        .into(),
                ),
            };
            DimensionScore {
                dimension: d,
                score,
                quote,
                reason,
                source: ScoreSource::Analysis,
                llm_score: None,
                rejected: None,
                cap: None,
                floor: None,
            }
        })
        .collect()
}

type Judged = (Option<u8>, Option<String>, String);

fn structure(a: &Analysis) -> Judged {
    let parts: Vec<&str> = Part::ALL
        .into_iter()
        .filter(|&p| has_part(a, p))
        .map(Part::as_str)
        .collect();
    let score = if parts.len() <= 1 {
        1
    } else {
        cap(a, Dimension::Structure).map_or(4, |c| c.max.min(4))
    };
    let quote = first_sentence(a, Some(Part::Result)).or_else(|| {
        a.sentences
            .iter()
            .rev()
            .find(|s| s.word_count >= 3)
            .map(|s| s.text.clone())
    });
    let reason = match cap(a, Dimension::Structure) {
        Some(c) => format!("Parts found: {}; {}.", parts.join(", "), c.reason),
        None => format!("Parts found: {}, in order and balanced.", parts.join(", ")),
    };
    (Some(score), quote, reason)
}

fn ownership(a: &Analysis) -> Judged {
    let o = &a.ownership;
    let scope = match o.scope {
        OwnershipScope::Action => Part::Action,
        OwnershipScope::WholeAnswer => Part::Situation,
    };
    let in_scope =
        |s: &&crate::analysis::Sentence| o.scope == OwnershipScope::WholeAnswer || s.part == scope;
    let words: &[&str] = if o.we_dominates {
        &["we", "our", "us"]
    } else {
        &["i", "my", "me"]
    };
    let quote = a
        .sentences
        .iter()
        .filter(in_scope)
        .find(|s| contains_word(&s.text, words))
        .map(|s| s.text.clone());
    let score = match cap(a, Dimension::Ownership) {
        Some(c) => c.max,
        None if o.i_share.is_some_and(|s| s >= 0.7) => 4,
        None => 3,
    };
    let reason = format!(
        "In the actions: \"I/my/me\" {} times, \"we/our/us\" {} times.",
        o.i_count, o.we_count
    );
    (Some(score), quote, reason)
}

fn impact(a: &Analysis) -> Judged {
    let in_result = a.quantified_results.iter().find(|q| q.in_result);
    let quote = in_result
        .map(|q| q.sentence.clone())
        .or_else(|| first_sentence(a, Some(Part::Result)));
    let (score, reason) = match cap(a, Dimension::Impact) {
        Some(c) => (c.max, format!("Measured: {}.", c.reason)),
        None => match in_result {
            Some(q) => (4, format!("The result is measured (\"{}\").", q.text)),
            None => (3, "The result is stated.".into()),
        },
    };
    (Some(score), quote, reason)
}

fn delivery(a: &Analysis) -> Judged {
    let quote = a
        .sentences
        .iter()
        .filter(|s| s.word_count >= 3)
        .max_by_key(|s| {
            let lower = s.text.to_lowercase();
            a.fillers
                .by_term
                .keys()
                .chain(a.hedges.by_term.keys())
                .map(|t| lower.matches(t.as_str()).count())
                .sum::<usize>()
        })
        .map(|s| s.text.clone());
    let pace = if a.pace_estimated {
        "pace not measured (no timestamps)".to_string()
    } else {
        format!("{:.0} words a minute", a.pace_wpm)
    };
    let base = format!(
        "{} words, {}; {} fillers ({:.1}/min), {} hedges.",
        a.word_count, pace, a.fillers.total, a.fillers.per_minute, a.hedges.total
    );
    let score = match cap(a, Dimension::Delivery) {
        Some(c) => c.max,
        // Fluency can be judged from text; pace and pauses only with timestamps.
        None if a.timed => 4,
        None => 3,
    };
    (Some(score), quote, base)
}

/// The three changes that would raise the scores most, from the flags (most
/// important first), completed with general advice when there are fewer flags.
pub fn changes(a: &Analysis) -> Vec<Change> {
    let change = |part: &str, text: String| Change {
        part: part.into(),
        change: text,
    };
    let shares = &a.star.word_shares;
    let mut out = Vec::new();
    for flag in &a.flags {
        let c = match flag {
            Flag::MissingResult => change(
                "result",
                "End with the result: what changed because of what you did, measured if you can (a number, time, money, before/after).".into(),
            ),
            Flag::TokenResult => change(
                "result",
                format!("Give the result room: it is {} of the answer (aim for 15-20%).", pct(shares.result)),
            ),
            Flag::UnquantifiedResult => change(
                "result",
                "Quantify the result: a number, a percentage, time or money saved, or before and after.".into(),
            ),
            Flag::WeDominates => change(
                "action",
                format!(
                    "Say what you did: \"we\" {} times against \"I\" {} in the actions. Name your own decisions.",
                    a.ownership.we_count, a.ownership.i_count
                ),
            ),
            Flag::SituationHeavy => change(
                "situation",
                format!(
                    "Cut the setup to two or three sentences: situation and task take {} (aim for 20-25%).",
                    pct(a.star.situation_task_share)
                ),
            ),
            Flag::ThinAction => change(
                "action",
                format!("Spend most of the answer on your actions: they are {} (aim for 55-65%).", pct(shares.action)),
            ),
            Flag::NoTask => change(
                "task",
                "Say in one sentence what you had to achieve, and why it was yours to do.".into(),
            ),
            Flag::FillerHeavy => change(
                "delivery",
                format!("Cut the fillers: {} in all ({:.1} a minute). Pause instead.", a.fillers.total, a.fillers.per_minute),
            ),
            Flag::HedgeHeavy => change(
                "delivery",
                format!("Drop the hedges ({} of them, e.g. \"I think\", \"maybe\"): state what you did.", a.hedges.total),
            ),
            Flag::RushedPace => change("delivery", format!("Slow down: {:.0} words a minute (130-160 is comfortable).", a.pace_wpm)),
            Flag::SlowPace => change("delivery", format!("Pick up the pace: {:.0} words a minute (130-160 is comfortable).", a.pace_wpm)),
            Flag::TooLong => change("delivery", format!("Shorten to 1.5-3 minutes (200-400 words): it runs {} words.", a.word_count)),
            Flag::TooShort => change("action", format!("Say more about what you did: {} words is short (200-400 is typical).", a.word_count)),
            Flag::LongPauses => change("delivery", "Rehearse the transitions where you paused longest.".into()),
            Flag::AddressesGrader => change(
                "delivery",
                "Drop the sentence addressed to the grader: tell the story to the interviewer and let it speak for itself.".into(),
            ),
        };
        if !out
            .iter()
            .any(|o: &Change| o.part == c.part && o.change == c.change)
        {
            out.push(c);
        }
    }
    let general = [
        change(
            "action",
            "Give the reason behind each decision, and the option you did not take.".into(),
        ),
        change(
            "result",
            "Close with what you learned or what changed afterwards.".into(),
        ),
        change(
            "situation",
            "Open with a one-sentence headline of the story before the details.".into(),
        ),
    ];
    for g in general {
        if out.len() >= 3 {
            break;
        }
        if !out.iter().any(|o| o.part == g.part) {
            out.push(g);
        }
    }
    out.truncate(3);
    out
}

/// The two follow-up questions an interviewer would most likely ask, from the gaps.
pub fn follow_ups(a: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if has(a, Flag::MissingResult) || has(a, Flag::UnquantifiedResult) || has(a, Flag::TokenResult)
    {
        out.push("How did you measure the outcome, and what changed as a result?".into());
    }
    if a.ownership.we_dominates || a.ownership.i_count == 0 {
        out.push("What was your personal contribution, as opposed to the team's?".into());
    }
    if has(a, Flag::ThinAction) || has(a, Flag::TooShort) {
        out.push("Walk me through the specific steps you took.".into());
    }
    out.push("What was the hardest decision, and what alternatives did you consider?".into());
    out.push("What would you do differently if it happened again?".into());
    out.truncate(2);
    out
}

fn clip(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= OUTLINE_WORDS {
        words.join(" ")
    } else {
        format!("{} ...", words[..OUTLINE_WORDS].join(" "))
    }
}

fn story_section(story: &BankStory, part: Part) -> Option<String> {
    use crate::corpus::SectionKind;
    let kind = match part {
        Part::Situation => SectionKind::Situation,
        Part::Task => SectionKind::Task,
        Part::Action => SectionKind::Action,
        Part::Result => SectionKind::Result,
    };
    let chunk = story.chunks.iter().find(|c| c.section == kind)?;
    crate::retrieve::sentences(&chunk.text)
        .into_iter()
        .map(|s| chunk.text[s.start..s.end].trim().to_string())
        .find(|s| s.split_whitespace().count() >= 4)
}

/// An outline from the answer's own sentences, filling missing parts from the stored
/// story, else saying what to add.
pub fn outline(a: &Analysis, story: Option<&BankStory>) -> Vec<OutlinePart> {
    Part::ALL
        .into_iter()
        .map(|part| {
            let from_answer = if part == Part::Result {
                a.quantified_results
                    .iter()
                    .find(|q| q.in_result)
                    .map(|q| q.sentence.clone())
                    .or_else(|| first_sentence(a, Some(part)))
            } else {
                first_sentence(a, Some(part))
            };
            if let Some(text) = from_answer {
                return OutlinePart {
                    part,
                    text: clip(&text),
                    source: OutlineSource::Transcript,
                };
            }
            if let Some(text) = story.and_then(|s| story_section(s, part)) {
                return OutlinePart {
                    part,
                    text: clip(&text),
                    source: OutlineSource::Story,
                };
            }
            OutlinePart {
                part,
                text: missing_text(part).into(),
                source: OutlineSource::Missing,
            }
        })
        .collect()
}

/// What to add for a part that neither the answer nor the story has.
pub fn missing_text(part: Part) -> &'static str {
    match part {
        Part::Situation => {
            "(not stated: one or two sentences of context: where, when, what was at stake)"
        }
        Part::Task => "(not stated: what you had to achieve, and why it was yours)",
        Part::Action => "(not stated: the steps you personally took, and why)",
        Part::Result => "(not stated: the outcome, measured if you can)",
    }
}
