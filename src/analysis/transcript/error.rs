//! Why a transcript could not be read: every error names the line (text formats) or
//! the JSON field (Whisper JSON) at fault and says what was expected.

use std::fmt;

/// Where in the input a problem is: a 1-based line or a JSON field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line number in a text format (WebVTT, SRT, plain text).
    Line(usize),
    /// A JSON path such as `segments[2].end`.
    Field(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::Field(field) => write!(f, "field `{field}`"),
        }
    }
}

/// A transcript that cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TranscriptError {
    /// Nothing but whitespace (or only headers and notes).
    #[error(
        "the transcript is empty: give the text of your answer, a WebVTT/SRT file or Whisper JSON"
    )]
    Empty,
    /// A timestamp that does not parse.
    #[error("{at}: bad timestamp {value:?}: expected {expected}")]
    BadTimestamp {
        at: Location,
        value: String,
        expected: &'static str,
    },
    /// A cue or segment that ends before it starts.
    #[error("{at}: the cue ends at {end:.3} s, before it starts at {start:.3} s")]
    ReversedCue { at: Location, start: f64, end: f64 },
    /// A cue that starts before the previous cue started.
    #[error("{at}: the cue starts at {start:.3} s, before the previous cue ({previous_start:.3} s): cues must be in time order")]
    CueOutOfOrder {
        at: Location,
        start: f64,
        previous_start: f64,
    },
    /// A cue that starts before the same speaker's previous cue has ended.
    #[error("{at}: the cue starts at {start:.3} s, before the previous cue of the same speaker ends ({previous_end:.3} s)")]
    OverlappingCue {
        at: Location,
        start: f64,
        previous_end: f64,
    },
    /// The structure of a WebVTT or SRT file is wrong (missing header, missing
    /// timing line, cue number that is not a number).
    #[error("{at}: {message}")]
    Malformed { at: Location, message: String },
    /// The text is not JSON at all.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// A required JSON field is absent.
    #[error(
        "field `{field}` is missing: Whisper JSON needs `segments` with `start`, `end` and `text`"
    )]
    MissingField { field: String },
    /// A JSON field has the wrong type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    /// Every turn belongs to the interviewer.
    #[error("no candidate speech: every turn is the interviewer's (label your answer `Me:` or `Candidate:`)")]
    NoCandidateSpeech,
    /// An explicit format name that is not known.
    #[error("unknown transcript format {0:?}: use text, vtt, srt or json")]
    UnknownFormat(String),
}

impl TranscriptError {
    pub(crate) fn malformed_line(line: usize, message: impl Into<String>) -> Self {
        TranscriptError::Malformed {
            at: Location::Line(line),
            message: message.into(),
        }
    }
}
