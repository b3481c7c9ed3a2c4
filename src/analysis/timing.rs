//! Time in a timed transcript: duration, pace, long pauses, and when each word was
//! spoken.

// The candidate speaks in runs (consecutive candidate turns, ended by an interviewer
// turn). Duration is the sum of the runs' spans, so the interviewer's questions and
// the silence before an answer are not counted. A long pause is a gap of at least
// [`LONG_PAUSE_SECONDS`] between words (when the transcript has word timings) or
// between cues within a run.
//
// Without word timings a cue's words are spread evenly over the cue; with them, the
// k-th of n text words maps to the same fraction of the cue's timed words, so small
// differences between our word split and the recogniser's do not matter.

use serde::Serialize;

use super::text::Answer;
use super::thresholds::LONG_PAUSE_SECONDS;
use super::transcript::{Role, TimedWord, Transcript, Turn};

/// A silence of at least [`LONG_PAUSE_SECONDS`] inside the candidate's speech.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Pause {
    /// Seconds from the start of the recording.
    pub start: f64,
    pub end: f64,
    pub duration_seconds: f64,
    /// Up to four words before and after the pause.
    pub before: String,
    pub after: String,
}

/// Whether every candidate turn has a start and an end.
pub(crate) fn is_timed(transcript: &Transcript) -> bool {
    let mut turns = transcript.candidate_turns().peekable();
    turns.peek().is_some() && turns.all(|t| t.start.is_some() && t.end.is_some())
}

/// Indexes of candidate turns, grouped in runs.
fn runs(transcript: &Transcript) -> Vec<Vec<usize>> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut last: Option<usize> = None;
    for (i, turn) in transcript.turns.iter().enumerate() {
        if turn.role != Role::Candidate {
            continue;
        }
        match runs.last_mut() {
            Some(run) if last.is_some_and(|l| l + 1 == i) => run.push(i),
            _ => runs.push(vec![i]),
        }
        last = Some(i);
    }
    runs
}

/// Seconds of candidate speech (sum over runs of last end - first start).
pub(crate) fn duration(transcript: &Transcript) -> f64 {
    runs(transcript)
        .iter()
        .filter_map(|run| {
            let first = transcript.turns.get(*run.first()?)?;
            let last = transcript.turns.get(*run.last()?)?;
            Some((last.end? - first.start?).max(0.0))
        })
        .sum()
}

/// Long pauses within the candidate's runs.
pub(crate) fn pauses(transcript: &Transcript) -> Vec<Pause> {
    let mut found = Vec::new();
    for run in runs(transcript) {
        // Timed pieces of speech in order: words when known, else whole cues.
        let mut pieces: Vec<(f64, f64, &str)> = Vec::new();
        for turn in run.iter().filter_map(|&i| transcript.turns.get(i)) {
            match (&turn.words, turn.start, turn.end) {
                (Some(words), _, _) if !words.is_empty() => {
                    pieces.extend(words.iter().map(|w| (w.start, w.end, w.word.as_str())));
                }
                (_, Some(start), Some(end)) => pieces.push((start, end, turn.text.as_str())),
                _ => {}
            }
        }
        for i in 1..pieces.len() {
            let (gap_start, gap_end) = (pieces[i - 1].1, pieces[i].0);
            let gap = gap_end - gap_start;
            if gap >= LONG_PAUSE_SECONDS - 1e-9 {
                found.push(Pause {
                    start: round2(gap_start),
                    end: round2(gap_end),
                    duration_seconds: round2(gap),
                    before: words_before(&pieces[..i], 4),
                    after: words_after(&pieces[i..], 4),
                });
            }
        }
    }
    found
}

fn words_before(pieces: &[(f64, f64, &str)], n: usize) -> String {
    let mut words: Vec<&str> = Vec::new();
    for piece in pieces.iter().rev() {
        for w in piece.2.split_whitespace().rev() {
            if words.len() == n {
                break;
            }
            words.push(w);
        }
        if words.len() == n {
            break;
        }
    }
    words.reverse();
    words.join(" ")
}

fn words_after(pieces: &[(f64, f64, &str)], n: usize) -> String {
    pieces
        .iter()
        .flat_map(|p| p.2.split_whitespace())
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Per-word timing of the answer: (start, end, seconds actually speaking).
pub(crate) fn word_times(transcript: &Transcript, answer: &Answer) -> Vec<(f64, f64, f64)> {
    answer
        .words
        .iter()
        .map(|w| {
            let n = answer
                .turn_word_counts
                .get(w.turn)
                .copied()
                .unwrap_or(0)
                .max(1) as f64;
            let clock = transcript.turns.get(w.turn).and_then(Clock::of);
            match clock {
                Some(clock) => {
                    let (a, b) = (w.ordinal as f64 / n, (w.ordinal as f64 + 1.0) / n);
                    (
                        clock.time_at(a, false),
                        clock.time_at(b, true),
                        clock.speaking(a, b),
                    )
                }
                None => (0.0, 0.0, 0.0),
            }
        })
        .collect()
}

/// Time within one cue, by fraction of its words.
struct Clock<'a> {
    start: f64,
    end: f64,
    words: Option<&'a [TimedWord]>,
}

impl<'a> Clock<'a> {
    fn of(turn: &'a Turn) -> Option<Self> {
        Some(Clock {
            start: turn.start?,
            end: turn.end?,
            words: turn.words.as_deref().filter(|w| !w.is_empty()),
        })
    }

    /// The time at fraction `f` of the cue's words; at a word boundary, the end of
    /// the word before when `is_end`, else the start of the word after.
    fn time_at(&self, f: f64, is_end: bool) -> f64 {
        let f = f.clamp(0.0, 1.0);
        match self.words {
            None => self.start + f * (self.end - self.start),
            Some(words) => {
                let m = words.len();
                let p = f * m as f64;
                let mut k = p.floor() as usize;
                if is_end && k > 0 && (p - k as f64) < 1e-9 {
                    return words[k - 1].end;
                }
                if k >= m {
                    k = m - 1;
                }
                let w = &words[k];
                let within = (p - k as f64).clamp(0.0, 1.0);
                w.start + within * (w.end - w.start)
            }
        }
    }

    /// Seconds of speech between fractions `a` and `b` (gaps between words excluded).
    fn speaking(&self, a: f64, b: f64) -> f64 {
        let (a, b) = (a.clamp(0.0, 1.0), b.clamp(0.0, 1.0));
        match self.words {
            None => (b - a) * (self.end - self.start),
            Some(words) => {
                let m = words.len() as f64;
                let (pa, pb) = (a * m, b * m);
                let first = pa.floor() as usize;
                let last = (pb.ceil() as usize).min(words.len());
                (first..last)
                    .map(|k| {
                        let overlap = (pb.min(k as f64 + 1.0) - pa.max(k as f64)).max(0.0);
                        overlap * (words[k].end - words[k].start).max(0.0)
                    })
                    .sum()
            }
        }
    }
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::transcript::parse;

    #[test]
    fn pauses_between_words_and_cues() {
        let json = r#"{"segments": [
            {"start": 0, "end": 3, "text": "one two three", "words": [
                {"word": "one", "start": 0, "end": 0.4}, {"word": "two", "start": 0.5, "end": 0.8},
                {"word": "three", "start": 2.9, "end": 3.0}]},
            {"start": 5.5, "end": 6, "text": "four"}]}"#;
        let t = parse(json, None).unwrap();
        let p = pauses(&t);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(
            (p[0].start, p[0].end, p[0].duration_seconds),
            (0.8, 2.9, 2.1)
        );
        assert_eq!(
            (p[0].before.as_str(), p[0].after.as_str()),
            ("one two", "three four")
        );
        assert_eq!(p[1].duration_seconds, 2.5);
        assert_eq!(duration(&t), 6.0);
    }

    #[test]
    fn interviewer_turns_split_runs() {
        let vtt = "WEBVTT\n\n00:00.000 --> 00:10.000\n<v Me>a b c\n\n00:12.000 --> 00:20.000\n<v Interviewer>why\n\n00:30.000 --> 00:40.000\n<v Me>d e f g\n";
        let t = parse(vtt, None).unwrap();
        assert_eq!(duration(&t), 20.0);
        assert!(pauses(&t).is_empty());
    }

    #[test]
    fn clock_with_words() {
        let words = vec![
            TimedWord {
                word: "a".into(),
                start: 0.0,
                end: 1.0,
            },
            TimedWord {
                word: "b".into(),
                start: 3.0,
                end: 4.0,
            },
        ];
        let c = Clock {
            start: 0.0,
            end: 4.0,
            words: Some(&words),
        };
        assert_eq!(c.time_at(0.5, true), 1.0);
        assert_eq!(c.time_at(0.5, false), 3.0);
        assert_eq!(c.speaking(0.0, 1.0), 2.0);
        assert_eq!(c.speaking(0.25, 0.75), 1.0);
    }
}
