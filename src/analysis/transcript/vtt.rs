//! WebVTT transcripts: a `WEBVTT` header, then timed cues; `<v Name>` names speakers.

// WebVTT transcripts: a `WEBVTT` header, then cues of an optional identifier, a
// `start --> end [settings]` line and the payload. `NOTE`, `STYLE` and `REGION` blocks
// are skipped. `<v Name>` voice spans name the speaker (a cue holding two voices gives
// two turns); other markup is removed. Without voices, `Name:` prefixes in the text
// are used (see `labels`).

use super::cues::{clean_cue_text, into_turns, Cue};
use super::timestamp::{parse_timestamp, EXPECTED};
use super::{Location, RawTurn, TranscriptError};

/// Turns of a WebVTT transcript.
pub(crate) fn parse_raw(input: &str) -> Result<Vec<RawTurn>, TranscriptError> {
    let lines: Vec<(usize, &str)> = input
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
        .collect();
    let blocks = blocks(&lines);
    let Some(header) = blocks.first() else {
        return Err(TranscriptError::Empty);
    };
    let (header_line, header_text) = header[0];
    let is_header = header_text
        .strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
    if !is_header {
        return Err(TranscriptError::malformed_line(
            header_line,
            "expected the `WEBVTT` header on the first line",
        ));
    }
    let mut cues = Vec::new();
    for block in &blocks[1..] {
        let (first_line, first) = block[0];
        if ["NOTE", "STYLE", "REGION"].iter().any(|kw| {
            first == *kw
                || first.starts_with(&format!("{kw} "))
                || first.starts_with(&format!("{kw}\t"))
        }) {
            continue;
        }
        let timing_at = if first.contains("-->") {
            0
        } else if block.get(1).is_some_and(|(_, l)| l.contains("-->")) {
            1
        } else {
            return Err(TranscriptError::malformed_line(
                first_line,
                "expected a cue timing line like `00:00:01.000 --> 00:00:04.000`",
            ));
        };
        let (line, timing) = block[timing_at];
        let (start, end) = parse_timing(line, timing)?;
        let payload: Vec<&str> = block[timing_at + 1..].iter().map(|(_, l)| *l).collect();
        for (voice, text) in voices(&payload.join("\n")) {
            cues.push(Cue {
                at: Location::Line(line),
                start,
                end,
                speaker: voice,
                text,
                words: None,
            });
        }
    }
    if cues.iter().all(|c| c.text.is_empty()) {
        return Err(TranscriptError::Empty);
    }
    into_turns(cues, true)
}

/// Runs of non-blank lines.
pub(crate) fn blocks<'a>(lines: &[(usize, &'a str)]) -> Vec<Vec<(usize, &'a str)>> {
    let mut blocks = Vec::new();
    let mut current = Vec::new();
    for &(n, line) in lines {
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else {
            current.push((n, line));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// `start --> end [settings]` into seconds, errors naming `line`.
pub(crate) fn parse_timing(line: usize, timing: &str) -> Result<(f64, f64), TranscriptError> {
    let (left, right) = timing.split_once("-->").ok_or_else(|| {
        TranscriptError::malformed_line(line, "expected `start --> end` on the timing line")
    })?;
    let start_text = left.trim();
    let end_text = right.split_whitespace().next().unwrap_or("");
    let parse = |value: &str| {
        parse_timestamp(value).ok_or_else(|| TranscriptError::BadTimestamp {
            at: Location::Line(line),
            value: value.to_string(),
            expected: EXPECTED,
        })
    };
    Ok((parse(start_text)?, parse(end_text)?))
}

/// Split a cue payload into (voice, text) spans at `<v Name>` tags.
fn voices(payload: &str) -> Vec<(Option<String>, String)> {
    let mut spans: Vec<(Option<String>, String)> = Vec::new();
    let mut voice: Option<String> = None;
    let mut rest = payload;
    let mut text = String::new();
    loop {
        match find_voice_tag(rest) {
            Some((at, after, name)) => {
                text.push_str(&rest[..at]);
                push_span(&mut spans, voice.take(), &text);
                text.clear();
                voice = Some(name);
                rest = &rest[after..];
            }
            None => {
                text.push_str(rest);
                push_span(&mut spans, voice, &text);
                return spans;
            }
        }
    }
}

fn push_span(spans: &mut Vec<(Option<String>, String)>, voice: Option<String>, raw: &str) {
    let text = clean_cue_text(raw);
    if text.is_empty() && voice.is_none() {
        return;
    }
    match spans.last_mut() {
        Some((last_voice, last_text)) if *last_voice == voice => {
            if !last_text.is_empty() && !text.is_empty() {
                last_text.push(' ');
            }
            last_text.push_str(&text);
        }
        _ => spans.push((voice, text)),
    }
}

/// The next `<v Name>` / `<v.class Name>` tag: (start, end after `>`, name).
fn find_voice_tag(text: &str) -> Option<(usize, usize, String)> {
    let mut from = 0;
    while let Some(found) = text[from..].find("<v") {
        let at = from + found;
        let after_v = &text[at + 2..];
        if after_v.starts_with([' ', '.', '\t']) {
            if let Some(close) = after_v.find('>') {
                let inside = &after_v[..close];
                let name = inside
                    .split_once(char::is_whitespace)
                    .map(|(_, n)| n.trim())
                    .unwrap_or("");
                let end = at + 2 + close + 1;
                if !name.is_empty() {
                    return Some((at, end, name.to_string()));
                }
                from = end;
                continue;
            }
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_and_identifiers() {
        let input = "WEBVTT - interview\nKind: captions\n\nNOTE recorded at home\n\n1\n00:00:00.000 --> 00:00:03.000 align:start\n<v Interviewer>Tell me about a time\nyou failed.</v>\n\n00:03.500 --> 00:00:06.000\n<v.calm Jo Park>So at my last job</v> <v Interviewer>mm</v>\n";
        let turns = parse_raw(input).unwrap();
        let got: Vec<_> = turns
            .iter()
            .map(|t| (t.label.as_deref(), t.text.as_str(), t.start, t.end))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some("Interviewer"),
                    "Tell me about a time you failed.",
                    Some(0.0),
                    Some(3.0)
                ),
                (Some("Jo Park"), "So at my last job", Some(3.5), Some(6.0)),
                (Some("Interviewer"), "mm", Some(3.5), Some(6.0)),
            ]
        );
    }

    #[test]
    fn missing_header() {
        let err = parse_raw("\n\n00:00.000 --> 00:01.000\nhi").unwrap_err();
        assert_eq!(
            err,
            TranscriptError::malformed_line(3, "expected the `WEBVTT` header on the first line")
        );
    }

    #[test]
    fn bad_timestamp_names_the_line() {
        let err =
            parse_raw("WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n\n00:01.000 --> 00:0x.000\nthere")
                .unwrap_err();
        assert!(
            matches!(err, TranscriptError::BadTimestamp { at: Location::Line(6), ref value, .. } if value == "00:0x.000"),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with("line 6: bad timestamp"),
            "{err}"
        );
    }

    #[test]
    fn text_without_timing() {
        let err = parse_raw("WEBVTT\n\nhello there\nfriend").unwrap_err();
        assert!(
            matches!(
                err,
                TranscriptError::Malformed {
                    at: Location::Line(3),
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
