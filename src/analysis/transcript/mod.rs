//! Reading a spoken answer's transcript: format detection, one parser per format, and
//! who is speaking.

// - [`plain`] reads plain text, optionally with `Interviewer:` / `Me:` / `Q:` / `A:`
//   turns.
// - [`vtt`] reads WebVTT, with `<v Name>` voices.
// - [`srt`] reads SubRip.
// - [`whisper`] reads Whisper JSON (`segments` with `start`/`end`/`text`, per-word
//   `words` when present, a `speaker` per segment when diarized).
// - `roles` decides which speaker is the candidate and what the interviewer asked.
//
// A [`Turn`] is one cue, segment or labelled paragraph; consecutive turns may share a
// speaker (cues are kept apart so that the pauses between them can be measured).
// Malformed input gives a [`TranscriptError`] naming the line or JSON field, never a
// panic.

mod cues;
mod error;
mod labels;
pub mod plain;
mod roles;
pub mod srt;
mod timestamp;
pub mod vtt;
pub mod whisper;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use error::{Location, TranscriptError};
pub use timestamp::format_clock;

/// The formats a transcript can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptFormat {
    /// Plain text, no timestamps.
    Plain,
    /// WebVTT (`WEBVTT` header, `00:00:01.000 --> 00:00:04.000` cues).
    Vtt,
    /// SubRip (numbered cues, `00:00:01,000 --> 00:00:04,000`).
    Srt,
    /// Whisper / WhisperX JSON, diarized or not.
    WhisperJson,
}

impl TranscriptFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptFormat::Plain => "plain",
            TranscriptFormat::Vtt => "vtt",
            TranscriptFormat::Srt => "srt",
            TranscriptFormat::WhisperJson => "whisper_json",
        }
    }

    /// Whether the format can carry timestamps (plain text cannot; a Whisper JSON with
    /// only `text` has none either: check the turns' `start`/`end`).
    pub fn is_timed(self) -> bool {
        self != TranscriptFormat::Plain
    }
}

impl fmt::Display for TranscriptFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TranscriptFormat {
    type Err = TranscriptError;

    /// `text`/`txt`/`plain`, `vtt`/`webvtt`, `srt`/`subrip`, `json`/`whisper`/`whisper_json`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "text" | "txt" | "plain" | "md" => Ok(TranscriptFormat::Plain),
            "vtt" | "webvtt" => Ok(TranscriptFormat::Vtt),
            "srt" | "subrip" => Ok(TranscriptFormat::Srt),
            "json" | "whisper" | "whisper_json" | "whisperx" => Ok(TranscriptFormat::WhisperJson),
            _ => Err(TranscriptError::UnknownFormat(s.to_string())),
        }
    }
}

/// Who a turn belongs to. Only the candidate's speech is analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Candidate,
    Interviewer,
}

/// One word with its timing (Whisper `words`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedWord {
    pub word: String,
    /// Seconds from the start of the recording.
    pub start: f64,
    pub end: f64,
}

/// One cue, segment or labelled paragraph of speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// The speaker's name as written (`Me`, `Interviewer`, `SPEAKER_01`); `None` when
    /// the transcript does not say.
    pub speaker: Option<String>,
    pub role: Role,
    /// The spoken text, markup removed, whitespace normalised.
    pub text: String,
    /// Seconds from the start of the recording (timed formats only).
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Per-word timings when the transcript has them.
    pub words: Option<Vec<TimedWord>>,
}

/// A parsed transcript: the question (when the interviewer is in it) and the turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub format: TranscriptFormat,
    /// The interviewer's first turn(s), when the transcript has an interviewer.
    pub question: Option<String>,
    pub turns: Vec<Turn>,
}

impl Transcript {
    /// The candidate's turns, in order.
    pub fn candidate_turns(&self) -> impl Iterator<Item = &Turn> {
        self.turns.iter().filter(|t| t.role == Role::Candidate)
    }

    /// The candidate's speech as one text (turns separated by blank lines).
    pub fn candidate_text(&self) -> String {
        let parts: Vec<&str> = self.candidate_turns().map(|t| t.text.as_str()).collect();
        parts.join("\n\n")
    }
}

/// A turn before roles are decided.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawTurn {
    pub label: Option<String>,
    pub text: String,
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub words: Option<Vec<TimedWord>>,
}

/// Guess the format from the content: JSON (`{`, or `[` then `{`), `WEBVTT` header,
/// SRT (a cue number then a `-->` timing line, or a first line with `-->`), else plain.
pub fn detect_format(input: &str) -> TranscriptFormat {
    let text = input.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('{')
        || (text.starts_with('[') && text[1..].trim_start().starts_with(['{', ']']))
    {
        return TranscriptFormat::WhisperJson;
    }
    if text.starts_with("WEBVTT") {
        return TranscriptFormat::Vtt;
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match (lines.next(), lines.next()) {
        (Some(first), _) if first.contains("-->") => TranscriptFormat::Srt,
        (Some(first), Some(second))
            if first.bytes().all(|b| b.is_ascii_digit()) && second.contains("-->") =>
        {
            TranscriptFormat::Srt
        }
        _ => TranscriptFormat::Plain,
    }
}

/// Parse a transcript, detecting the format unless `format` is given.
pub fn parse(input: &str, format: Option<TranscriptFormat>) -> Result<Transcript, TranscriptError> {
    let input = input.trim_start_matches('\u{feff}');
    if input.trim().is_empty() {
        return Err(TranscriptError::Empty);
    }
    let format = format.unwrap_or_else(|| detect_format(input));
    let (format, raw) = match format {
        TranscriptFormat::Plain => (format, plain::parse_raw(input)),
        TranscriptFormat::Vtt => (format, vtt::parse_raw(input)?),
        TranscriptFormat::Srt => (format, srt::parse_raw(input)?),
        TranscriptFormat::WhisperJson => (format, whisper::parse_raw(input)?),
    };
    roles::assign(format, raw)
}

/// Parse Whisper JSON that is already a [`serde_json::Value`] (an HTTP body).
pub fn parse_whisper_value(value: &serde_json::Value) -> Result<Transcript, TranscriptError> {
    let raw = whisper::raw_from_value(value)?;
    roles::assign(TranscriptFormat::WhisperJson, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect_format("WEBVTT\n\n00:01.000 --> 00:02.000\nhi"),
            TranscriptFormat::Vtt
        );
        assert_eq!(
            detect_format("\u{feff}1\n00:00:01,000 --> 00:00:02,000\nhi"),
            TranscriptFormat::Srt
        );
        assert_eq!(
            detect_format("  {\"segments\": []}"),
            TranscriptFormat::WhisperJson
        );
        assert_eq!(
            detect_format("[{\"start\": 0}]"),
            TranscriptFormat::WhisperJson
        );
        assert_eq!(detect_format("[00:01] Me: hi"), TranscriptFormat::Plain);
        assert_eq!(
            detect_format("Me: I led the migration."),
            TranscriptFormat::Plain
        );
        assert_eq!(
            detect_format("2019 was a hard year\nfor us"),
            TranscriptFormat::Plain
        );
    }

    #[test]
    fn format_names() {
        assert_eq!(
            "webvtt".parse::<TranscriptFormat>(),
            Ok(TranscriptFormat::Vtt)
        );
        assert_eq!(
            "JSON".parse::<TranscriptFormat>(),
            Ok(TranscriptFormat::WhisperJson)
        );
        assert!("docx".parse::<TranscriptFormat>().is_err());
    }

    #[test]
    fn empty_is_an_error() {
        assert_eq!(parse("  \n\t", None), Err(TranscriptError::Empty));
        assert_eq!(
            parse("", Some(TranscriptFormat::Vtt)),
            Err(TranscriptError::Empty)
        );
    }
}
