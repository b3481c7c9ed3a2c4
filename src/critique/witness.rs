//! The LLM as a witness whose every statement is checked. A score of the LLM counts
//! only with its evidence: a quote found in the candidate's words, a reason that is a
//! sentence, and a value the measured facts allow (under the caps, over the floors,
//! within one of the vectors' relevance). Otherwise that dimension keeps the
//! deterministic score, with the model's score and why it was rejected beside it.
//! When most scores fail, the model is named unreliable and the critique is the
//! deterministic one.

use crate::analysis::Analysis;

use super::baseline;
use super::model::{
    Dimension, DimensionScore, LlmChecks, LlmStatus, ScoreCap, ScoreFloor, ScoreSource,
};
use super::schema::RawScores;
use super::verify::{quote_occurs, Normalized};

/// Fewest words, of two letters or more, that make a reason a sentence.
const MIN_REASON_WORDS: usize = 3;

/// What the measured facts allow a dimension's score to be.
#[derive(Debug, Clone, Default)]
pub(super) struct Bounds {
    pub cap: Option<ScoreCap>,
    pub floor: Option<ScoreFloor>,
}

/// The bounds of `dimension`: the facts' caps and floors, and for relevance the
/// vectors' reading (`deterministic`) give or take one, at most 2 when off topic.
pub(super) fn bounds(
    a: &Analysis,
    dimension: Dimension,
    deterministic: &DimensionScore,
    off_topic: bool,
) -> Bounds {
    if dimension != Dimension::Relevance {
        return Bounds {
            cap: baseline::cap(a, dimension),
            floor: baseline::floor(a, dimension),
        };
    }
    let Some(read) = deterministic.score else {
        return Bounds::default();
    };
    let cap = if off_topic {
        Some(ScoreCap {
            max: 2,
            reason: "the answer reads as another question's story".into(),
        })
    } else {
        (read < 4).then(|| ScoreCap {
            max: read + 1,
            reason: format!("the vectors read relevance as {read}"),
        })
    };
    let floor = (read >= 3).then(|| ScoreFloor {
        min: read - 1,
        reason: format!("the vectors read relevance as {read}"),
    });
    Bounds { cap, floor }
}

/// Whether a reason says something: at least three words of two letters or more.
fn is_sentence(reason: &str) -> bool {
    reason
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 2)
        .count()
        >= MIN_REASON_WORDS
}

/// The LLM's scores weighed against the deterministic ones.
#[derive(Debug, Clone)]
pub(super) struct Judgement {
    pub scores: Vec<DimensionScore>,
    pub checks: LlmChecks,
    pub status: LlmStatus,
}

/// Weigh each LLM score; `deterministic` holds the analysis' scores in
/// `Dimension::ALL` order.
pub(super) fn judge(
    raw: &RawScores,
    deterministic: &[DimensionScore],
    a: &Analysis,
    off_topic: bool,
    answer: &Normalized,
) -> Judgement {
    let mut checks = LlmChecks::default();
    let mut scores: Vec<DimensionScore> = deterministic
        .iter()
        .map(|det| {
            let s = match det.dimension {
                Dimension::Structure => &raw.structure,
                Dimension::Relevance => &raw.relevance,
                Dimension::Ownership => &raw.ownership,
                Dimension::Impact => &raw.impact,
                Dimension::Delivery => &raw.delivery,
            };
            let b = bounds(a, det.dimension, det, off_topic);
            let given = s.score.clamp(1, 5);
            let quoted = quote_occurs(&s.quote, answer);
            let reasoned = is_sentence(&s.reason);
            let above = b.cap.filter(|c| given > c.max);
            let below = b.floor.filter(|f| given < f.min);
            let mut why = Vec::new();
            if !quoted {
                checks.invented_quotes += 1;
                why.push("its quote is not in the answer".to_string());
            }
            if !reasoned {
                checks.empty_reasons += 1;
                why.push("its reason is empty or not a sentence".to_string());
            }
            if let Some(c) = &above {
                why.push(format!("the facts allow at most {} ({})", c.max, c.reason));
            }
            if let Some(f) = &below {
                why.push(format!("the facts guarantee at least {} ({})", f.min, f.reason));
            }
            if above.is_some() || below.is_some() {
                checks.out_of_bounds += 1;
            }
            if why.is_empty() {
                checks.accepted += 1;
                DimensionScore {
                    dimension: det.dimension,
                    score: Some(given),
                    quote: Some(s.quote.trim().to_string()),
                    reason: s.reason.trim().to_string(),
                    source: ScoreSource::Llm,
                    llm_score: None,
                    rejected: None,
                    cap: None,
                    floor: None,
                }
            } else {
                checks.rejected += 1;
                tracing::debug!(dimension = det.dimension.as_str(), why = ?why, "LLM score rejected");
                DimensionScore {
                    llm_score: Some(given),
                    rejected: Some(why.join("; ")),
                    cap: above,
                    floor: below,
                    ..det.clone()
                }
            }
        })
        .collect();
    let status = if checks.rejected == 0 {
        LlmStatus::Used
    } else if checks.rejected * 2 > scores.len() {
        LlmStatus::Rejected
    } else {
        LlmStatus::Partial
    };
    if status == LlmStatus::Rejected {
        // Not a blend of noise: every dimension is the analysis' own.
        for (s, det) in scores.iter_mut().zip(deterministic) {
            if s.source == ScoreSource::Llm {
                *s = DimensionScore {
                    llm_score: s.score,
                    rejected: Some("most of the model's answer failed the checks".into()),
                    ..det.clone()
                };
            }
        }
    }
    Judgement {
        scores,
        checks,
        status,
    }
}

/// Per dimension, the lower of two sets of scores (same order): the critique of an
/// answer with sentences addressed to the grader never scores above the same answer
/// without them.
pub(super) fn lower_of(
    with: Vec<DimensionScore>,
    without: &[DimensionScore],
) -> Vec<DimensionScore> {
    with.into_iter()
        .zip(without)
        .map(|(w, wo)| match (w.score, wo.score) {
            (Some(a), Some(b)) if b < a => wo.clone(),
            _ => w,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze, parse};
    use crate::critique::schema::RawScore;

    fn raw(score: u8, quote: &str, reason: &str) -> RawScore {
        RawScore {
            score,
            quote: quote.into(),
            reason: reason.into(),
        }
    }

    const ANSWER: &str = "Me: Our nightly import failed twice a week and the sales team lost a morning each time. My lead asked me to make it reliable before the quarter closed. I traced the failures to a race between two jobs, I rewrote the scheduler to run them in order, and I added an alert on late files. Failures fell from eight a month to zero, and the sales team now starts every day on time.";

    /// The candidate's words, as the quotes are checked against them.
    fn spoken(a: &Analysis) -> Normalized {
        let text: Vec<&str> = a.sentences.iter().map(|s| s.text.as_str()).collect();
        Normalized::new(&text.join(" "))
    }

    fn scores_all(s: RawScore) -> RawScores {
        RawScores {
            structure: s.clone(),
            relevance: s.clone(),
            ownership: s.clone(),
            impact: s.clone(),
            delivery: s,
        }
    }

    #[test]
    fn a_score_counts_only_with_its_quote_a_reason_and_the_facts() {
        let a = analyze(&parse(ANSWER, None).unwrap());
        let det = baseline::scores(&a);
        let answer = spoken(&a);
        let quote = "I rewrote the scheduler to run them in order";
        // Evidence everywhere, values the facts allow: every score is the model's.
        let good = judge(
            &scores_all(raw(
                3,
                quote,
                "The actions are specific and the candidate's own.",
            )),
            &det,
            &a,
            false,
            &answer,
        );
        assert_eq!(good.status, LlmStatus::Used);
        assert!(good
            .scores
            .iter()
            .all(|s| s.source == ScoreSource::Llm && s.score == Some(3)));
        // Invented quotes and a reason like ", 1.3": nothing of it stands.
        let noise = judge(
            &scores_all(raw(1, "a quote the candidate never said at all", ", 1.3")),
            &det,
            &a,
            false,
            &answer,
        );
        assert_eq!(noise.status, LlmStatus::Rejected);
        assert_eq!(noise.checks.invented_quotes, 5);
        assert_eq!(noise.checks.empty_reasons, 5);
        for (s, d) in noise.scores.iter().zip(&det) {
            assert_eq!(s.score, d.score);
            assert_eq!(s.source, ScoreSource::Analysis);
            assert_eq!(s.llm_score, Some(1));
            assert!(s.rejected.is_some(), "{s:?}");
        }
    }

    #[test]
    fn a_measured_result_owned_by_i_sets_a_floor_and_a_missing_one_a_cap() {
        let a = analyze(&parse(ANSWER, None).unwrap());
        let floor = baseline::floor(&a, Dimension::Impact).expect("a floor");
        assert_eq!(floor.min, 3, "{floor:?}");
        let det = baseline::scores(&a);
        assert!(det.iter().all(|d| {
            let f = baseline::floor(&a, d.dimension).map_or(1, |f| f.min);
            d.score.is_none_or(|s| s >= f)
        }));
        let answer = spoken(&a);
        let mut low = scores_all(raw(
            3,
            "I rewrote the scheduler to run them in order",
            "The actions are specific and owned.",
        ));
        low.impact = raw(
            1,
            "Failures fell from eight a month to zero",
            "There is no measurable result here.",
        );
        let j = judge(&low, &det, &a, false, &answer);
        assert_eq!(j.status, LlmStatus::Partial);
        let impact = &j.scores[3];
        assert_eq!(impact.dimension, Dimension::Impact);
        assert_eq!(impact.source, ScoreSource::Analysis);
        assert_eq!(impact.llm_score, Some(1));
        assert!(
            impact.rejected.as_deref().unwrap().contains("at least 3"),
            "{impact:?}"
        );

        let no_result = analyze(&parse("Me: We had a flaky import. I looked at the logs and I talked to the team about the jobs and the schedule.", None).unwrap());
        assert_eq!(baseline::cap(&no_result, Dimension::Impact).unwrap().max, 1);
        assert!(baseline::floor(&no_result, Dimension::Impact).is_none());
    }

    #[test]
    fn relevance_stays_within_one_of_the_vectors_reading() {
        let a = analyze(&parse(ANSWER, None).unwrap());
        let mut det = DimensionScore {
            dimension: Dimension::Relevance,
            score: Some(2),
            quote: None,
            reason: String::new(),
            source: ScoreSource::Analysis,
            llm_score: None,
            rejected: None,
            cap: None,
            floor: None,
        };
        let b = bounds(&a, Dimension::Relevance, &det, false);
        assert_eq!(b.cap.unwrap().max, 3);
        assert!(b.floor.is_none());
        det.score = Some(4);
        let b = bounds(&a, Dimension::Relevance, &det, false);
        assert!(b.cap.is_none());
        assert_eq!(b.floor.unwrap().min, 3);
        det.score = Some(1);
        assert_eq!(
            bounds(&a, Dimension::Relevance, &det, true)
                .cap
                .unwrap()
                .max,
            2
        );
    }
}
