//! STAR segmentation: which sentences are Situation, Task, Action and Result.

// The heuristic is transparent on purpose:
// 1. Each sentence gets a cue score per part from phrases ([`cues`]): "when I was",
//    "at my previous job" -> Situation; "my goal was", "I was asked to" -> Task;
//    "I decided", "I built", "so I" -> Action; "as a result", "in the end", "we
//    reduced", a percentage or before/after pair -> Result.
// 2. A positional prior is added: Situation is likely early (and the first sentence is
//    usually context), Result late; Task and Result cost a little unless a cue pays for
//    them, so an answer that never states its outcome has no Result. Action is the
//    default part.
// 3. A small dynamic programme picks the best labelling whose parts appear in the
//    order S -> T -> A -> R (any may be empty), so segments are contiguous.
//
// Known weaknesses: cue phrases are English and first-person; a story told out of
// order (result first) is forced into S -> T -> A -> R; a Task that is implied rather
// than stated reads as "no Task".

mod cues;

use super::model::{Part, Segment, Sentence, Shares, Star};
use super::text::Answer;
use super::timing::round2;

/// Prior for Situation at the start of the answer, falling linearly ...
const SITUATION_PRIOR_START: f64 = 0.8;
/// ... by this much over the whole answer (so it turns negative after 40%).
const SITUATION_PRIOR_SLOPE: f64 = 2.0;
/// Extra prior for the first sentence being Situation (answers open with context).
const FIRST_SENTENCE_SITUATION: f64 = 1.0;
/// Cost of calling a sentence Task without a cue ...
const TASK_COST: f64 = 0.3;
/// ... growing by this much per unit of position after 35% of the answer.
const TASK_LATE_SLOPE: f64 = 1.5;
/// Cost of calling a sentence Result without a cue at the start of the answer ...
const RESULT_COST: f64 = 0.6;
/// ... shrinking by this much over the answer (still 0.1 at the last sentence, so a
/// Result needs a cue).
const RESULT_LATE_RELIEF: f64 = 0.5;

/// The positional prior for `part` at sentence `i` of `n`.
fn prior(part: Part, i: usize, n: usize) -> f64 {
    let p = (i as f64 + 0.5) / n.max(1) as f64;
    match part {
        Part::Situation => {
            SITUATION_PRIOR_START - SITUATION_PRIOR_SLOPE * p
                + if i == 0 {
                    FIRST_SENTENCE_SITUATION
                } else {
                    0.0
                }
        }
        Part::Task => -TASK_COST - TASK_LATE_SLOPE * (p - 0.35).max(0.0),
        Part::Action => 0.0,
        Part::Result => -RESULT_COST + RESULT_LATE_RELIEF * p,
    }
}

/// The part of every sentence. `strong_quantity[i]` says whether sentence `i` holds a
/// percentage, money, multiplier or before/after pair.
pub(crate) fn label_sentences(answer: &Answer, strong_quantity: &[bool]) -> Vec<Part> {
    let n = answer.sentences.len();
    let scores: Vec<[f64; 4]> = (0..n)
        .map(|i| {
            let lower = answer.sentence_text(i).to_lowercase().replace('’', "'");
            let s = &answer.sentences[i];
            let words: Vec<&str> = answer.words[s.first_word..s.end_word]
                .iter()
                .map(|w| w.lower.as_str())
                .collect();
            let cue = cues::cue_scores(
                &lower,
                &words,
                strong_quantity.get(i).copied().unwrap_or(false),
            );
            let mut total = [0.0; 4];
            for part in Part::ALL {
                total[part.index()] = cue[part.index()] + prior(part, i, n);
            }
            total
        })
        .collect();
    monotone_best(&scores)
}

/// The highest-scoring labelling that never goes back from a later part to an
/// earlier one (S <= T <= A <= R).
fn monotone_best(scores: &[[f64; 4]]) -> Vec<Part> {
    let n = scores.len();
    if n == 0 {
        return Vec::new();
    }
    let mut best = vec![[f64::NEG_INFINITY; 4]; n];
    let mut from = vec![[0usize; 4]; n];
    best[0] = scores[0];
    for i in 1..n {
        for l in 0..4 {
            let (k, prev) =
                (0..=l)
                    .map(|k| (k, best[i - 1][k]))
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |acc, x| if x.1 > acc.1 { x } else { acc },
                    );
            best[i][l] = prev + scores[i][l];
            from[i][l] = k;
        }
    }
    let mut l = (0..4).fold(0, |acc, x| {
        if best[n - 1][x] > best[n - 1][acc] {
            x
        } else {
            acc
        }
    });
    let mut labels = vec![Part::Action; n];
    for i in (0..n).rev() {
        labels[i] = Part::ALL[l];
        l = from[i][l];
    }
    labels
}

/// Sentences with their parts and times, and the STAR summary.
pub(crate) fn build(
    answer: &Answer,
    parts: &[Part],
    times: Option<&[(f64, f64, f64)]>,
) -> (Vec<Sentence>, Star) {
    let total_words = answer.words.len().max(1) as f64;
    let speaking = |range: std::ops::Range<usize>| -> f64 {
        times.map_or(0.0, |t| {
            t.get(range).map_or(0.0, |s| s.iter().map(|x| x.2).sum())
        })
    };
    let total_time = speaking(0..answer.words.len());
    let sentences: Vec<Sentence> = answer
        .sentences
        .iter()
        .enumerate()
        .map(|(i, s)| Sentence {
            index: i,
            text: normalise(answer.sentence_text(i)),
            part: parts.get(i).copied().unwrap_or(Part::Action),
            word_count: s.end_word - s.first_word,
            start: times.and_then(|t| t.get(s.first_word)).map(|x| round2(x.0)),
            end: times
                .and_then(|t| s.end_word.checked_sub(1).and_then(|e| t.get(e)))
                .map(|x| round2(x.1)),
        })
        .collect();
    let mut word_shares = [0.0; 4];
    let mut time_shares = [0.0; 4];
    let mut segments = Vec::new();
    for part in Part::ALL {
        let members: Vec<usize> = (0..sentences.len())
            .filter(|&i| sentences[i].part == part)
            .collect();
        let (Some(&first), Some(&last)) = (members.first(), members.last()) else {
            continue;
        };
        let words = answer.sentences[first].first_word..answer.sentences[last].end_word;
        let word_count = words.len();
        let word_share = round3(word_count as f64 / total_words);
        let time_share = (times.is_some() && total_time > 0.0)
            .then(|| round3(speaking(words.clone()) / total_time));
        word_shares[part.index()] = word_share;
        time_shares[part.index()] = time_share.unwrap_or(0.0);
        let text: Vec<&str> = (first..=last).map(|i| sentences[i].text.as_str()).collect();
        segments.push(Segment {
            part,
            first_sentence: first,
            last_sentence: last,
            text: text.join(" "),
            word_count,
            word_share,
            time_share,
            start: sentences[first].start,
            end: sentences[last].end,
        });
    }
    let star = Star {
        situation_task_share: round3(word_shares[0] + word_shares[1]),
        word_shares: Shares::from_array(word_shares),
        time_shares: (times.is_some() && total_time > 0.0).then(|| Shares::from_array(time_shares)),
        segments,
    };
    (sentences, star)
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dp_keeps_order() {
        // A strong Result cue early and a Situation cue late cannot reorder the parts.
        let scores = vec![
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 2.0],
            [0.0, 0.0, 1.0, 0.0],
            [1.5, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let labels = monotone_best(&scores);
        let idx: Vec<usize> = labels.iter().map(|p| p.index()).collect();
        assert!(idx.windows(2).all(|w| w[0] <= w[1]), "{labels:?}");
        assert_eq!(labels.first(), Some(&Part::Situation));
        assert_eq!(labels.last(), Some(&Part::Result));
    }

    #[test]
    fn empty() {
        assert!(monotone_best(&[]).is_empty());
    }
}
