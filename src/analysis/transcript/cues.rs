//! Timed cues shared by WebVTT, SRT and Whisper JSON: speaker names written in the cue
//! text, and the checks that make timings trustworthy.

// Checks (each error names the cue's line or JSON field):
// - a cue may not end before it starts ([`TranscriptError::ReversedCue`]);
// - cues must be in start-time order ([`TranscriptError::CueOutOfOrder`]);
// - a cue may not start before the same speaker's previous cue ends
//   ([`TranscriptError::OverlappingCue`]). Different speakers may overlap: people
//   talk over each other, and diarized transcripts say so.
//
// A cue without a speaker continues the previous cue's speaker: captions split long
// speech across cues and name the speaker only on the first.

use std::collections::HashMap;

use super::labels::{generic_labels_allowed, label_of};
use super::{Location, RawTurn, TimedWord, TranscriptError};

/// Timings are compared with this slack (seconds) to absorb float rounding in JSON.
pub(crate) const TIME_EPSILON: f64 = 0.001;

/// One timed cue or segment as read from the file.
#[derive(Debug, Clone)]
pub(crate) struct Cue {
    pub at: Location,
    pub start: f64,
    pub end: f64,
    /// The speaker named by the format itself (`<v Name>`, a `speaker` field).
    pub speaker: Option<String>,
    pub text: String,
    pub words: Option<Vec<TimedWord>>,
}

/// Validate the cues and turn them into raw turns. With `text_labels`, a cue without
/// a format-level speaker may name one in its text (`Interviewer: ...`).
pub(crate) fn into_turns(
    mut cues: Vec<Cue>,
    text_labels: bool,
) -> Result<Vec<RawTurn>, TranscriptError> {
    if text_labels {
        let allow_generic = generic_labels_allowed(
            cues.iter()
                .filter(|c| c.speaker.is_none())
                .map(|c| c.text.as_str()),
        );
        for cue in cues.iter_mut().filter(|c| c.speaker.is_none()) {
            if let Some(m) = label_of(&cue.text, allow_generic) {
                let (label, rest) = (m.label.to_string(), m.rest.to_string());
                cue.speaker = Some(label);
                cue.text = rest;
            }
        }
    }
    let mut previous: Option<String> = None;
    for cue in cues.iter_mut() {
        match &cue.speaker {
            Some(s) => previous = Some(s.clone()),
            None => cue.speaker = previous.clone(),
        }
    }
    check_timings(&cues)?;
    Ok(cues
        .into_iter()
        .map(|c| RawTurn {
            label: c.speaker,
            text: c.text,
            start: Some(c.start),
            end: Some(c.end),
            words: c.words,
        })
        .collect())
}

fn check_timings(cues: &[Cue]) -> Result<(), TranscriptError> {
    let mut previous_start: Option<f64> = None;
    let mut last_end: HashMap<Option<&str>, f64> = HashMap::new();
    for cue in cues {
        if cue.end < cue.start {
            return Err(TranscriptError::ReversedCue {
                at: cue.at.clone(),
                start: cue.start,
                end: cue.end,
            });
        }
        if let Some(previous_start) = previous_start {
            if cue.start < previous_start - TIME_EPSILON {
                return Err(TranscriptError::CueOutOfOrder {
                    at: cue.at.clone(),
                    start: cue.start,
                    previous_start,
                });
            }
        }
        let speaker = cue.speaker.as_deref();
        if let Some(&previous_end) = last_end.get(&speaker) {
            if cue.start < previous_end - TIME_EPSILON {
                return Err(TranscriptError::OverlappingCue {
                    at: cue.at.clone(),
                    start: cue.start,
                    previous_end,
                });
            }
        }
        previous_start = Some(cue.start);
        last_end.insert(speaker, cue.end);
    }
    Ok(())
}

/// Strip WebVTT/SRT inline markup (`<i>`, `<c.x>`, `<00:00:01.000>`, `{\an8}`), decode
/// the common entities and normalise whitespace.
pub(crate) fn clean_cue_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                // Skip to the closing '>' (an unclosed '<' is kept as text).
                let rest: String = chars.clone().collect();
                match rest.find('>') {
                    Some(close) => {
                        for _ in 0..rest[..=close].chars().count() {
                            chars.next();
                        }
                    }
                    None => out.push(c),
                }
            }
            '{' if chars.peek() == Some(&'\\') => {
                for next in chars.by_ref() {
                    if next == '}' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(line: usize, start: f64, end: f64, speaker: Option<&str>, text: &str) -> Cue {
        Cue {
            at: Location::Line(line),
            start,
            end,
            speaker: speaker.map(str::to_string),
            text: text.to_string(),
            words: None,
        }
    }

    #[test]
    fn different_speakers_may_overlap() {
        let cues = vec![
            cue(1, 0.0, 5.0, Some("A"), "long answer"),
            cue(2, 4.0, 4.5, Some("B"), "mm-hm"),
        ];
        assert!(into_turns(cues, false).is_ok());
    }

    #[test]
    fn same_speaker_overlap_is_an_error() {
        let cues = vec![cue(3, 0.0, 5.0, None, "a"), cue(7, 4.0, 6.0, None, "b")];
        assert_eq!(
            into_turns(cues, false),
            Err(TranscriptError::OverlappingCue {
                at: Location::Line(7),
                start: 4.0,
                previous_end: 5.0
            })
        );
    }

    #[test]
    fn text_labels_and_inheritance() {
        let cues = vec![
            cue(1, 0.0, 1.0, None, "Interviewer: Tell me about"),
            cue(2, 1.0, 2.0, None, "a time you failed."),
            cue(3, 2.0, 3.0, None, "Me: Sure."),
        ];
        let turns = into_turns(cues, true).unwrap();
        let labels: Vec<_> = turns.iter().map(|t| t.label.as_deref()).collect();
        assert_eq!(
            labels,
            vec![Some("Interviewer"), Some("Interviewer"), Some("Me")]
        );
        assert_eq!(turns[0].text, "Tell me about");
    }

    #[test]
    fn markup_is_removed() {
        assert_eq!(
            clean_cue_text(
                "<i>So</i> I <c.yellow>built</c> it &amp; <00:00:01.000>shipped {\\an8}it"
            ),
            "So I built it & shipped it"
        );
        assert_eq!(clean_cue_text("a < b"), "a < b");
    }
}
