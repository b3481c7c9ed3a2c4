//! SubRip (SRT) transcripts: numbered cues with `00:00:01,000 --> 00:00:04,000` times.

// SubRip (SRT) transcripts: blocks of a cue number, a `00:00:01,000 --> 00:00:04,000`
// line and the text. The cue number may be missing; markup (`<i>`, `{\an8}`) is
// removed. Speakers come from `Name:` prefixes in the text (see `labels`).

use super::cues::{clean_cue_text, into_turns, Cue};
use super::vtt::{blocks, parse_timing};
use super::{Location, RawTurn, TranscriptError};

/// Turns of an SRT transcript.
pub(crate) fn parse_raw(input: &str) -> Result<Vec<RawTurn>, TranscriptError> {
    let lines: Vec<(usize, &str)> = input
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
        .collect();
    let mut cues = Vec::new();
    for block in blocks(&lines) {
        let (first_line, first) = block[0];
        let is_number = first.trim().bytes().all(|b| b.is_ascii_digit());
        let timing_at = if first.contains("-->") {
            0
        } else if block.get(1).is_some_and(|(_, l)| l.contains("-->")) {
            if !is_number {
                return Err(TranscriptError::malformed_line(
                    first_line,
                    format!("expected a cue number, found {:?}", first.trim()),
                ));
            }
            1
        } else if is_number {
            return Err(TranscriptError::malformed_line(
                block.get(1).map_or(first_line + 1, |(n, _)| *n),
                format!(
                    "expected a timing line like `00:00:01,000 --> 00:00:04,000` after cue number {}",
                    first.trim()
                ),
            ));
        } else {
            return Err(TranscriptError::malformed_line(
                first_line,
                "expected a cue: a number, then a timing line like `00:00:01,000 --> 00:00:04,000`",
            ));
        };
        let (line, timing) = block[timing_at];
        let (start, end) = parse_timing(line, timing)?;
        let text: Vec<&str> = block[timing_at + 1..].iter().map(|(_, l)| *l).collect();
        cues.push(Cue {
            at: Location::Line(line),
            start,
            end,
            speaker: None,
            text: clean_cue_text(&text.join(" ")),
            words: None,
        });
    }
    if cues.iter().all(|c| c.text.is_empty()) {
        return Err(TranscriptError::Empty);
    }
    into_turns(cues, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_with_and_without_numbers() {
        let input = "1\n00:00:00,000 --> 00:00:02,500\nInterviewer: Why?\n\n00:00:03,000 --> 00:00:05,000\nMe: <i>Because</i>\nI could.\n";
        let turns = parse_raw(input).unwrap();
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[1].label.as_deref(), Some("Me"));
        assert_eq!(turns[1].text, "Because I could.");
        assert_eq!((turns[1].start, turns[1].end), (Some(3.0), Some(5.0)));
    }

    #[test]
    fn reversed_cue() {
        let input = "1\n00:00:05,000 --> 00:00:02,000\nhello\n";
        assert_eq!(
            parse_raw(input),
            Err(TranscriptError::ReversedCue {
                at: Location::Line(2),
                start: 5.0,
                end: 2.0
            })
        );
    }

    #[test]
    fn out_of_order_cues() {
        let input = "1\n00:00:05,000 --> 00:00:06,000\nb\n\n2\n00:00:01,000 --> 00:00:02,000\na\n";
        assert!(matches!(
            parse_raw(input),
            Err(TranscriptError::CueOutOfOrder {
                at: Location::Line(6),
                ..
            })
        ));
    }

    #[test]
    fn missing_timing_line() {
        let err = parse_raw("1\nhello there\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 2: expected a timing line"),
            "{err}"
        );
    }
}
