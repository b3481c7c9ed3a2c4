//! Deterministic analysis of a spoken answer (no LLM): transcript formats, STAR
//! segmentation and delivery metrics.

// ```no_run
// use starcoach::analysis::{analyze, transcript};
// let t = transcript::parse("Interviewer: Tell me about a time...\nMe: At my last job ...", None)?;
// let a = analyze(&t);
// println!("{}", serde_json::to_string_pretty(&a)?);
// # Ok::<(), Box<dyn std::error::Error>>(())
// ```
//
// - [`transcript`] reads plain text, WebVTT, SRT and Whisper JSON into a [`Transcript`].
// - `text`: the candidate's words and sentences.
// - `timing`: duration, pace, long pauses, when each word was spoken.
// - `star`: STAR segmentation (cue phrases + position + a monotone DP).
// - `fillers`: fillers and hedges in context; `ownership`: I vs we in the Action;
//   `quantities`: numbers, %, money, durations, multipliers, before/after.
// - [`tokens`] counts tiktoken tokens; `findings` turns measurements into flags and
//   human-readable findings.
// - [`thresholds`] holds every number used to judge, with its GUIDE source.

mod fillers;
mod findings;
pub mod grader;
mod model;
mod numbers;
mod ownership;
mod quantities;
mod star;
mod text;
pub mod thresholds;
mod timeline;
mod timing;
pub mod tokens;
pub mod transcript;

pub use model::{
    Analysis, Flag, Ownership, OwnershipScope, PaceBand, Part, Pause, Quantity, QuantityKind,
    Segment, Sentence, Shares, Star, TermCounts, Tokens,
};
pub use timeline::{FillerMark, PacePoint, PaceSeries, Timeline, TimelineSpan, TimelineUnit};
pub use tokens::{count_tokens, TOKEN_ENCODING};
pub use transcript::{parse, Role, TimedWord, Transcript, TranscriptError, TranscriptFormat, Turn};

use thresholds::ESTIMATED_PACE_WPM;
use timing::round2;

/// Analyse the candidate's speech in `transcript` (interviewer turns are ignored).
/// Never fails: an empty answer gives zero counts and the flags that follow.
pub fn analyze(transcript: &Transcript) -> Analysis {
    let answer = text::answer(transcript);
    let word_count = answer.words.len();
    let measured = if timing::is_timed(transcript) {
        Some(timing::duration(transcript)).filter(|d| *d > 0.0)
    } else {
        None
    };
    let timed = measured.is_some();
    let (duration, pace) = match measured {
        Some(d) => (d, word_count as f64 / (d / 60.0)),
        None => (
            word_count as f64 / ESTIMATED_PACE_WPM * 60.0,
            ESTIMATED_PACE_WPM,
        ),
    };

    let found = quantities::find(&answer);
    let mut strong = vec![false; answer.sentences.len()];
    for q in found.iter().filter(|q| q.kind.is_strong()) {
        if let Some(s) = strong.get_mut(q.sentence) {
            *s = true;
        }
    }
    let parts = star::label_sentences(&answer, &strong);
    let times = timed.then(|| timing::word_times(transcript, &answer));
    let (sentences, star) = star::build(&answer, &parts, times.as_deref());

    let filler_hits = fillers::fillers(&answer);
    let timeline = timeline::build(&answer, &parts, &filler_hits, times.as_deref());
    let minutes = duration / 60.0;
    let counts = |hits: Vec<fillers::Hit>| TermCounts {
        total: hits.len(),
        per_minute: if minutes > 0.0 {
            round2(hits.len() as f64 / minutes)
        } else {
            0.0
        },
        per_100_words: if word_count > 0 {
            round2(hits.len() as f64 * 100.0 / word_count as f64)
        } else {
            0.0
        },
        by_term: fillers::by_term(&hits),
    };
    let quantified_results = found
        .into_iter()
        .map(|q| Quantity {
            kind: q.kind,
            text: q.text,
            sentence_index: q.sentence,
            sentence: sentences
                .get(q.sentence)
                .map(|s| s.text.clone())
                .unwrap_or_default(),
            in_result: parts.get(q.sentence) == Some(&Part::Result),
        })
        .collect();

    let mut analysis = Analysis {
        word_count,
        sentence_count: sentences.len(),
        timed,
        duration_seconds: round2(duration),
        duration_estimated: !timed,
        pace_wpm: (pace * 10.0).round() / 10.0,
        pace_estimated: !timed,
        pace_band: if timed {
            findings::pace_band(pace)
        } else {
            PaceBand::NotMeasured
        },
        pace_note: (!timed).then(|| {
            format!(
                "Pace not measured: the transcript has no timestamps, so duration is estimated at {ESTIMATED_PACE_WPM:.0} words per minute"
            )
        }),
        pauses: if timed { timing::pauses(transcript) } else { Vec::new() },
        star,
        sentences,
        fillers: counts(filler_hits),
        hedges: counts(fillers::hedges(&answer)),
        ownership: ownership::ownership(&answer, &parts),
        quantified_results,
        tokens: Tokens {
            encoding: TOKEN_ENCODING,
            candidate_text: count_tokens(&answer.text),
        },
        flags: Vec::new(),
        findings: Vec::new(),
        grader_sentences: Vec::new(),
        timeline,
    };
    let flags = findings::flags(&analysis);
    analysis.findings = findings::describe(&analysis, &flags);
    analysis.flags = flags;
    analysis
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_answer_does_not_panic() {
        let t = Transcript {
            format: TranscriptFormat::Plain,
            question: None,
            turns: Vec::new(),
        };
        let a = analyze(&t);
        assert_eq!(a.word_count, 0);
        assert!(a.star.segments.is_empty());
        assert!(a.flags.contains(&Flag::TooShort));
    }

    #[test]
    fn plain_text_pace_is_estimated_and_says_so() {
        let t = parse(
            "At my last job I fixed the build. As a result it took 5 minutes.",
            None,
        )
        .unwrap();
        let a = analyze(&t);
        assert!(a.pace_estimated && a.duration_estimated && !a.timed);
        assert_eq!(a.pace_wpm, ESTIMATED_PACE_WPM);
        assert_eq!(a.pace_band, PaceBand::NotMeasured);
        assert!(a.findings.iter().any(|f| f.contains("estimated at 150")));
        assert!(a.pauses.is_empty());
    }

    #[test]
    fn json_field_names_are_stable() {
        let t = parse(
            "At my last job I fixed the build. As a result it took 5 minutes.",
            None,
        )
        .unwrap();
        let v = serde_json::to_value(analyze(&t)).unwrap();
        for key in [
            "word_count",
            "sentence_count",
            "timed",
            "duration_seconds",
            "duration_estimated",
            "pace_wpm",
            "pace_estimated",
            "pace_band",
            "pace_note",
            "pauses",
            "star",
            "sentences",
            "fillers",
            "hedges",
            "ownership",
            "quantified_results",
            "tokens",
            "flags",
            "findings",
            "timeline",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["star"]["segments"][0]["part"], "situation");
        assert!(v["tokens"]["candidate_text"].as_u64().unwrap_or(0) > 10);
    }
}
