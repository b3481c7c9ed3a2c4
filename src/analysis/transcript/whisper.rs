//! Whisper JSON transcripts, as written by openai-whisper, whisper.cpp (`-ojf` after
//! conversion), WhisperX and the OpenAI `verbose_json` response:

// - `{"segments": [{"start": 0.0, "end": 4.2, "text": " ...", "words": [...]}]}`, or a
//   bare array of segments;
// - `words` per segment: `{"word" (or "text"), "start", "end"}`; a word without times
//   (WhisperX leaves numbers unaligned) takes the previous word's end;
// - top-level `words` (OpenAI `verbose_json`) are shared out to the segments by time;
// - `speaker` per segment (diarized; a string or a number);
// - no `segments` but a `text` string: read as plain text (no timings).
//
// Errors name the JSON field (`segments[2].end`).

use serde_json::Value;

use super::cues::{into_turns, Cue, TIME_EPSILON};
use super::{plain, Location, RawTurn, TimedWord, TranscriptError};

/// Turns of a Whisper JSON transcript given as text.
pub(crate) fn parse_raw(input: &str) -> Result<Vec<RawTurn>, TranscriptError> {
    let value: Value = serde_json::from_str(input).map_err(|e| TranscriptError::InvalidJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    raw_from_value(&value)
}

/// Turns of a Whisper JSON transcript already parsed.
pub(crate) fn raw_from_value(value: &Value) -> Result<Vec<RawTurn>, TranscriptError> {
    let (segments, top_words) = match value {
        Value::Array(segments) => (segments, None),
        Value::Object(map) => match map.get("segments") {
            Some(Value::Array(segments)) => (segments, map.get("words")),
            Some(_) => return Err(wrong_type("segments", "an array of segments")),
            None => match map.get("text") {
                Some(Value::String(text)) => return Ok(plain::parse_raw(text)),
                _ => {
                    return Err(TranscriptError::MissingField {
                        field: "segments".into(),
                    })
                }
            },
        },
        _ => {
            return Err(wrong_type(
                "(root)",
                "an object with `segments`, or an array of segments",
            ))
        }
    };
    let mut cues = segments
        .iter()
        .enumerate()
        .map(|(i, segment)| segment_cue(i, segment))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(words) = top_words {
        let words = match words {
            Value::Array(items) => read_words("words", items, None)?,
            _ => return Err(wrong_type("words", "an array of words")),
        };
        share_out(&mut cues, words);
    }
    if cues.iter().all(|c| c.text.is_empty()) {
        return Err(TranscriptError::Empty);
    }
    into_turns(cues, false)
}

fn segment_cue(i: usize, segment: &Value) -> Result<Cue, TranscriptError> {
    let path = format!("segments[{i}]");
    let Value::Object(map) = segment else {
        return Err(wrong_type(
            &path,
            "an object with `start`, `end` and `text`",
        ));
    };
    let start = seconds(map.get("start"), &format!("{path}.start"))?;
    let end = seconds(map.get("end"), &format!("{path}.end"))?;
    let text = match map.get("text") {
        Some(Value::String(text)) => text.split_whitespace().collect::<Vec<_>>().join(" "),
        Some(_) => return Err(wrong_type(&format!("{path}.text"), "a string")),
        None => {
            return Err(TranscriptError::MissingField {
                field: format!("{path}.text"),
            })
        }
    };
    let speaker = match map.get("speaker") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(wrong_type(&format!("{path}.speaker"), "a string")),
    };
    let words = match map.get("words") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if items.is_empty() => None,
        Some(Value::Array(items)) => {
            Some(read_words(&format!("{path}.words"), items, Some(start))?)
        }
        Some(_) => return Err(wrong_type(&format!("{path}.words"), "an array of words")),
    };
    Ok(Cue {
        at: Location::Field(path),
        start,
        end,
        speaker,
        text,
        words,
    })
}

/// Words with times checked (reversed or out-of-order words are errors). Field paths
/// are only formatted when there is an error.
fn read_words(
    path: &str,
    items: &[Value],
    segment_start: Option<f64>,
) -> Result<Vec<TimedWord>, TranscriptError> {
    let mut words: Vec<TimedWord> = Vec::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let at = |field: &str| format!("{path}[{j}]{field}");
        let Value::Object(map) = item else {
            return Err(wrong_type(
                &at(""),
                "an object with `word`, `start` and `end`",
            ));
        };
        let word = match map.get("word").or_else(|| map.get("text")) {
            Some(Value::String(w)) => w.trim().to_string(),
            Some(_) => return Err(wrong_type(&at(".word"), "a string")),
            None => return Err(TranscriptError::MissingField { field: at(".word") }),
        };
        let previous_end = words.last().map(|w| w.end).or(segment_start).unwrap_or(0.0);
        let start = word_seconds(map.get("start"), || at(".start"))?.unwrap_or(previous_end);
        let end = word_seconds(map.get("end"), || at(".end"))?.unwrap_or(start);
        if end < start {
            return Err(TranscriptError::ReversedCue {
                at: Location::Field(at("")),
                start,
                end,
            });
        }
        if let Some(previous) = words.last() {
            if start < previous.start - TIME_EPSILON {
                return Err(TranscriptError::CueOutOfOrder {
                    at: Location::Field(at("")),
                    start,
                    previous_start: previous.start,
                });
            }
        }
        words.push(TimedWord { word, start, end });
    }
    Ok(words)
}

/// Like [`optional_seconds`], formatting the field path only on error.
fn word_seconds(
    value: Option<&Value>,
    field: impl Fn() -> String,
) -> Result<Option<f64>, TranscriptError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_f64().is_some_and(|s| s.is_finite() && s >= 0.0) => {
            Ok(n.as_f64())
        }
        other => optional_seconds(other, &field()),
    }
}

/// Give top-level words to the segment whose time span holds the word's midpoint
/// (segments that already have words keep theirs).
fn share_out(cues: &mut [Cue], words: Vec<TimedWord>) {
    if cues.iter().any(|c| c.words.is_some()) {
        return;
    }
    let mut index = 0;
    for word in words {
        let mid = (word.start + word.end) / 2.0;
        while index + 1 < cues.len() && mid >= cues[index + 1].start {
            index += 1;
        }
        if let Some(cue) = cues.get_mut(index) {
            cue.words.get_or_insert_with(Vec::new).push(word);
        }
    }
}

fn seconds(value: Option<&Value>, field: &str) -> Result<f64, TranscriptError> {
    optional_seconds(value, field)?.ok_or_else(|| TranscriptError::MissingField {
        field: field.to_string(),
    })
}

fn optional_seconds(value: Option<&Value>, field: &str) -> Result<Option<f64>, TranscriptError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(s)),
            _ => Err(TranscriptError::BadTimestamp {
                at: Location::Field(field.to_string()),
                value: n.to_string(),
                expected: "a non-negative number of seconds",
            }),
        },
        Some(other) => Err(TranscriptError::BadTimestamp {
            at: Location::Field(field.to_string()),
            value: other.to_string(),
            expected: "a non-negative number of seconds",
        }),
    }
}

fn wrong_type(field: &str, expected: &'static str) -> TranscriptError {
    TranscriptError::WrongType {
        field: field.to_string(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_with_words_and_speakers() {
        let input = r#"{"segments": [
            {"start": 0.0, "end": 2.0, "text": " Why?", "speaker": "SPEAKER_00"},
            {"start": 2.5, "end": 4.0, "text": " Because 42.", "speaker": "SPEAKER_01",
             "words": [{"word": " Because", "start": 2.5, "end": 3.0}, {"word": "42."}]}
        ]}"#;
        let turns = parse_raw(input).unwrap();
        assert_eq!(turns[1].label.as_deref(), Some("SPEAKER_01"));
        assert_eq!(turns[1].text, "Because 42.");
        let words = turns[1].words.as_ref().unwrap();
        assert_eq!(
            words[1],
            TimedWord {
                word: "42.".into(),
                start: 3.0,
                end: 3.0
            }
        );
    }

    #[test]
    fn top_level_words_are_shared_out() {
        let input = r#"{"segments": [{"start": 0, "end": 1, "text": "a b"}, {"start": 1, "end": 2, "text": "c"}],
            "words": [{"word": "a", "start": 0, "end": 0.4}, {"word": "b", "start": 0.5, "end": 0.9}, {"word": "c", "start": 1.1, "end": 1.5}]}"#;
        let turns = parse_raw(input).unwrap();
        assert_eq!(turns[0].words.as_ref().map(Vec::len), Some(2));
        assert_eq!(turns[1].words.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn text_only_json_is_plain() {
        let turns = parse_raw(r#"{"text": "Interviewer: Why?\nMe: Because."}"#).unwrap();
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0].start, None);
    }

    #[test]
    fn errors_name_fields() {
        let cases = [
            (r#"{"segments": [{"start": 0, "text": "a"}]}"#, "field `segments[0].end` is missing"),
            (r#"{"segments": [{"start": 0, "end": 1}]}"#, "field `segments[0].text` is missing"),
            (r#"{"segments": {"start": 0}}"#, "field `segments` must be an array of segments"),
            (r#"{"segments": [{"start": "0", "end": 1, "text": "a"}]}"#, "field `segments[0].start`: bad timestamp"),
            (r#"{"segments": [{"start": -1, "end": 1, "text": "a"}]}"#, "field `segments[0].start`: bad timestamp"),
            (r#"{"segments": [{"start": 3, "end": 1, "text": "a"}]}"#, "field `segments[0]`: the cue ends"),
            (r#"{"segments": [{"start": 0, "end": 1, "text": "a", "words": [{"word": "a", "start": 0.5, "end": 0.2}]}]}"#, "field `segments[0].words[0]`: the cue ends"),
            (r#"{"segments": [{"start": 0, "end": 1, "text": "a", "words": [{"start": 0.5, "end": 0.6}]}]}"#, "field `segments[0].words[0].word` is missing"),
            (r#"{"language": "en"}"#, "field `segments` is missing"),
            (r#"{"segments": [{"start": 0, "end": 5, "text": "a"}, {"start": 4, "end": 6, "text": "b"}]}"#, "field `segments[1]`: the cue starts at 4.000 s, before the previous cue of the same speaker"),
        ];
        for (input, want) in cases {
            let err = parse_raw(input).unwrap_err().to_string();
            assert!(err.starts_with(want), "{input}\n got: {err}\nwant: {want}");
        }
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let err = parse_raw("{\"segments\": [\n  {\"start\": 0,,}\n]}").unwrap_err();
        assert!(
            matches!(err, TranscriptError::InvalidJson { line: 2, .. }),
            "{err:?}"
        );
    }
}
