//! Where things happen in the answer, for drawing it: STAR segments, sentences and
//! fillers placed on one axis (seconds for a timed transcript, word positions for
//! plain text), and the pace over sliding windows.

// The page draws what is here and computes nothing: a segment spans from its first
// word's start to its last word's end, a filler sits at its first word's start, and
// the pace at a window is the words whose midpoint falls in it, per minute of the
// window (pauses lower it, as a listener hears them).

use serde::Serialize;

use super::model::Part;
use super::text::Answer;
use super::thresholds::{
    COMFORTABLE_PACE_MAX_WPM, COMFORTABLE_PACE_MIN_WPM, PACE_STEP_SECONDS, PACE_WINDOW_SECONDS,
};
use super::timing::round2;

/// What the timeline's positions count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineUnit {
    /// Seconds from the start of the recording.
    Seconds,
    /// Word positions (0 is before the first word): plain text has no clock.
    Words,
}

/// The answer on one axis.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    pub unit: TimelineUnit,
    /// Where the answer starts and ends on the axis.
    pub start: f64,
    pub end: f64,
    /// One span per STAR segment, in order.
    pub segments: Vec<TimelineSpan>,
    /// One span per sentence (same indexes as `Analysis::sentences`).
    pub sentences: Vec<TimelineSpan>,
    /// Every filler where it was said.
    pub fillers: Vec<FillerMark>,
    /// Words per minute over sliding windows (timed transcripts only).
    pub pace: Option<PaceSeries>,
}

/// A stretch of the axis.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineSpan {
    pub part: Part,
    pub start: f64,
    pub end: f64,
    /// The first and last sentence it covers (inclusive).
    pub first_sentence: usize,
    pub last_sentence: usize,
}

/// One filler on the axis.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FillerMark {
    /// As counted in `fillers.by_term` ("um", "you know").
    pub term: String,
    pub at: f64,
    pub sentence_index: usize,
}

/// Pace over sliding windows, with the comfortable band.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PaceSeries {
    pub window_seconds: f64,
    pub step_seconds: f64,
    pub comfortable_min_wpm: f64,
    pub comfortable_max_wpm: f64,
    pub points: Vec<PacePoint>,
}

/// The pace in one window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PacePoint {
    pub start: f64,
    pub end: f64,
    pub wpm: f64,
}

/// Place the answer on its axis. `times` holds each word's (start, end, speaking)
/// seconds for a timed transcript.
pub(crate) fn build(
    answer: &Answer,
    parts: &[Part],
    fillers: &[(&'static str, usize)],
    times: Option<&[(f64, f64, f64)]>,
) -> Timeline {
    let n = answer.words.len();
    let times = times.filter(|t| t.len() == n && n > 0);
    // Start and end of word `i` on the axis.
    let word_start = |i: usize| match times {
        Some(t) => t[i.min(n - 1)].0,
        None => i as f64,
    };
    let word_end = |i: usize| match times {
        Some(t) => t[i.min(n - 1)].1,
        None => (i + 1) as f64,
    };
    let sentences: Vec<TimelineSpan> = answer
        .sentences
        .iter()
        .enumerate()
        .filter(|(_, s)| s.end_word > s.first_word)
        .map(|(i, s)| TimelineSpan {
            part: parts.get(i).copied().unwrap_or(Part::Action),
            start: round2(word_start(s.first_word)),
            end: round2(word_end(s.end_word - 1)),
            first_sentence: i,
            last_sentence: i,
        })
        .collect();
    let mut segments: Vec<TimelineSpan> = Vec::new();
    for sentence in &sentences {
        match segments.last_mut() {
            Some(last) if last.part == sentence.part => {
                last.end = sentence.end;
                last.last_sentence = sentence.last_sentence;
            }
            _ => segments.push(sentence.clone()),
        }
    }
    let marks = fillers
        .iter()
        .filter(|(_, i)| *i < n)
        .map(|&(term, i)| FillerMark {
            term: term.to_string(),
            at: round2(word_start(i)),
            sentence_index: answer.words[i].sentence,
        })
        .collect();
    let (start, end) = if n == 0 {
        (0.0, 0.0)
    } else {
        (round2(word_start(0)), round2(word_end(n - 1)))
    };
    Timeline {
        unit: if times.is_some() {
            TimelineUnit::Seconds
        } else {
            TimelineUnit::Words
        },
        start,
        end,
        segments,
        sentences,
        fillers: marks,
        pace: times.map(pace_series),
    }
}

/// Words per minute in windows of [`PACE_WINDOW_SECONDS`], every
/// [`PACE_STEP_SECONDS`]; one window over the whole answer when it is shorter.
fn pace_series(times: &[(f64, f64, f64)]) -> PaceSeries {
    let mids: Vec<f64> = times.iter().map(|t| (t.0 + t.1) / 2.0).collect();
    let (first, last) = (
        times.first().map_or(0.0, |t| t.0),
        times.last().map_or(0.0, |t| t.1),
    );
    let wpm = |a: f64, b: f64, closed: bool| {
        let words = mids
            .iter()
            .filter(|&&m| m >= a && (m < b || (closed && m <= b)))
            .count();
        (words as f64 * 60.0 / (b - a).max(1e-9)).round()
    };
    let mut points = Vec::new();
    if last - first <= PACE_WINDOW_SECONDS {
        if last > first {
            points.push(PacePoint {
                start: round2(first),
                end: round2(last),
                wpm: wpm(first, last, true),
            });
        }
    } else {
        let mut from = first;
        loop {
            let closing = from + PACE_WINDOW_SECONDS >= last - 1e-9;
            let (a, b) = if closing {
                (last - PACE_WINDOW_SECONDS, last)
            } else {
                (from, from + PACE_WINDOW_SECONDS)
            };
            points.push(PacePoint {
                start: round2(a),
                end: round2(b),
                wpm: wpm(a, b, closing),
            });
            if closing {
                break;
            }
            from += PACE_STEP_SECONDS;
        }
    }
    PaceSeries {
        window_seconds: PACE_WINDOW_SECONDS,
        step_seconds: PACE_STEP_SECONDS,
        comfortable_min_wpm: COMFORTABLE_PACE_MIN_WPM,
        comfortable_max_wpm: COMFORTABLE_PACE_MAX_WPM,
        points,
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::{analyze, parse, Part, TimelineUnit};

    #[test]
    fn plain_text_is_placed_by_words() {
        let t = parse(
            "At my last job the build was slow. Um, I rewrote the cache layer myself. As a result it took 5 minutes.",
            None,
        )
        .unwrap();
        let a = analyze(&t);
        let line = &a.timeline;
        assert_eq!(line.unit, TimelineUnit::Words);
        assert_eq!((line.start, line.end), (0.0, a.word_count as f64));
        // Segments tile the axis in order and match the segmentation's word counts.
        assert_eq!(line.segments.len(), a.star.segments.len());
        for (span, segment) in line.segments.iter().zip(&a.star.segments) {
            assert_eq!(span.part, segment.part);
            assert_eq!((span.end - span.start) as usize, segment.word_count);
        }
        assert_eq!(line.segments.first().unwrap().start, 0.0);
        assert_eq!(line.fillers.len(), a.fillers.total);
        let um = &line.fillers[0];
        assert_eq!(um.term, "um");
        assert_eq!(um.sentence_index, 1);
        assert_eq!(um.at, 8.0, "the ninth word");
        assert!(line.pace.is_none());
    }

    #[test]
    fn timed_transcript_has_seconds_and_pace_windows() {
        // 60 one-second cues of 2 words (120 wpm) then 30 cues of 4 words (240 wpm).
        let mut vtt = String::from("WEBVTT\n\n");
        let mut t = 0.0;
        for i in 0..90 {
            let words = if i < 60 {
                "I built."
            } else {
                "So I shipped it."
            };
            let text = if i == 89 {
                "As a result, costs fell."
            } else {
                words
            };
            vtt.push_str(&format!(
                "00:{:02}:{:06.3} --> 00:{:02}:{:06.3}\n{text}\n\n",
                (t / 60.0) as u32,
                t % 60.0,
                ((t + 1.0) / 60.0) as u32,
                (t + 1.0) % 60.0
            ));
            t += 1.0;
        }
        let a = analyze(&parse(&vtt, None).unwrap());
        let line = &a.timeline;
        assert_eq!(line.unit, TimelineUnit::Seconds);
        assert_eq!((line.start, line.end), (0.0, 90.0));
        let pace = line
            .pace
            .as_ref()
            .expect("timed answers have a pace series");
        let first = pace.points.first().unwrap();
        let last = pace.points.last().unwrap();
        assert_eq!((first.start, first.end), (0.0, 20.0));
        assert_eq!(first.wpm, 120.0);
        assert_eq!((last.start, last.end), (70.0, 90.0));
        assert!(last.wpm > 200.0, "{last:?}");
        assert_eq!(pace.comfortable_min_wpm, 130.0);
        assert!(line.segments.iter().any(|s| s.part == Part::Result));
        assert!(line.segments.windows(2).all(|w| w[0].end <= w[1].start));
    }
}
