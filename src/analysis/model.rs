//! The serialisable result of the analysis. Field names are stable snake_case JSON:
//! the CLI, the HTTP API and the critique prompt all use this shape.

use std::collections::BTreeMap;

use serde::Serialize;

pub use super::timeline::Timeline;
pub use super::timing::Pause;

/// Everything measured about the candidate's answer, without an LLM.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Analysis {
    /// Words in the candidate's speech (interviewer turns excluded).
    pub word_count: usize,
    pub sentence_count: usize,
    /// Whether the transcript has timestamps (pace, pauses and time shares need them).
    pub timed: bool,
    /// Seconds of candidate speech; estimated from the word count when not timed.
    pub duration_seconds: f64,
    pub duration_estimated: bool,
    /// Words per minute; [`crate::analysis::thresholds::ESTIMATED_PACE_WPM`] when not timed.
    pub pace_wpm: f64,
    pub pace_estimated: bool,
    pub pace_band: PaceBand,
    /// Says why the pace is an estimate, when it is.
    pub pace_note: Option<String>,
    /// Long pauses (timed transcripts only).
    pub pauses: Vec<Pause>,
    pub star: Star,
    /// The answer's sentences, each with its STAR part.
    pub sentences: Vec<Sentence>,
    pub fillers: TermCounts,
    pub hedges: TermCounts,
    pub ownership: Ownership,
    /// Numbers, percentages, money, durations, multipliers and before/after pairs.
    pub quantified_results: Vec<Quantity>,
    pub tokens: Tokens,
    /// Machine-readable defects: structure first, then length and delivery.
    pub flags: Vec<Flag>,
    /// Short human-readable statements derived from the flags and measurements.
    pub findings: Vec<String>,
    /// Sentences addressed to the grader rather than the interviewer, left out of
    /// every measurement above (see `Flag::AddressesGrader`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grader_sentences: Vec<String>,
    /// The answer on one axis (seconds, or words for plain text): segments,
    /// sentences, fillers and the pace over sliding windows, for drawing.
    pub timeline: Timeline,
}

/// Where the pace falls against the GUIDE's bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaceBand {
    /// No timestamps: the pace is an estimate, not a measurement.
    NotMeasured,
    /// Under 110 wpm.
    Slow,
    /// 110-130 wpm.
    Unhurried,
    /// 130-160 wpm.
    Comfortable,
    /// 160-180 wpm.
    Brisk,
    /// Over 180 wpm.
    Rushed,
}

/// A part of a STAR answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Situation,
    Task,
    Action,
    Result,
}

impl Part {
    pub const ALL: [Part; 4] = [Part::Situation, Part::Task, Part::Action, Part::Result];

    pub fn as_str(self) -> &'static str {
        match self {
            Part::Situation => "situation",
            Part::Task => "task",
            Part::Action => "action",
            Part::Result => "result",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The STAR segmentation: contiguous segments in S -> T -> A -> R order (absent parts
/// have no segment and a share of 0).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Star {
    pub segments: Vec<Segment>,
    /// Share of the answer's words in each part (0 to 1).
    pub word_shares: Shares,
    /// Share of speaking time in each part (timed transcripts only).
    pub time_shares: Option<Shares>,
    /// Situation + Task, by words.
    pub situation_task_share: f64,
}

/// One contiguous STAR segment.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Segment {
    pub part: Part,
    /// Index of the first and last sentence (inclusive) in `Analysis::sentences`.
    pub first_sentence: usize,
    pub last_sentence: usize,
    pub text: String,
    pub word_count: usize,
    pub word_share: f64,
    pub time_share: Option<f64>,
    /// Seconds from the start of the recording (timed transcripts only).
    pub start: Option<f64>,
    pub end: Option<f64>,
}

/// A share per STAR part.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, utoipa::ToSchema)]
pub struct Shares {
    pub situation: f64,
    pub task: f64,
    pub action: f64,
    pub result: f64,
}

impl Shares {
    pub fn get(&self, part: Part) -> f64 {
        match part {
            Part::Situation => self.situation,
            Part::Task => self.task,
            Part::Action => self.action,
            Part::Result => self.result,
        }
    }

    pub(crate) fn from_array(v: [f64; 4]) -> Self {
        Shares {
            situation: v[0],
            task: v[1],
            action: v[2],
            result: v[3],
        }
    }
}

/// One sentence of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Sentence {
    pub index: usize,
    pub text: String,
    pub part: Part,
    pub word_count: usize,
    pub start: Option<f64>,
    pub end: Option<f64>,
}

/// Counts of fillers or hedges.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TermCounts {
    pub total: usize,
    /// Per minute of speech (estimated minutes for plain text).
    pub per_minute: f64,
    pub per_100_words: f64,
    /// Count per term (`"um"`, `"you know"`, `"i think"`), terms in alphabetical order.
    pub by_term: BTreeMap<String, usize>,
}

/// Which part of the answer ownership was measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OwnershipScope {
    /// The Action segment (the normal case).
    Action,
    /// No Action segment was found: the whole answer.
    WholeAnswer,
}

/// "I/my/me" against "we/our/us" where the candidate says what was done.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ownership {
    pub scope: OwnershipScope,
    pub i_count: usize,
    pub we_count: usize,
    /// i / (i + we); `None` when neither occurs.
    pub i_share: Option<f64>,
    pub we_dominates: bool,
}

/// What kind of quantity was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuantityKind {
    /// "from 40 minutes to 5", "4 minutes instead of a full afternoon".
    BeforeAfter,
    /// "$72k", "two hundred dollars", "€3M".
    Money,
    /// "23%", "thirty percent".
    Percent,
    /// "10x", "three times", "doubled", "by half".
    Multiplier,
    /// "two weeks", "90 days", "400 ms".
    Duration,
    /// A share in words: "a third of the tickets", "half the team", "two thirds".
    Fraction,
    /// A count of zero: "zero medication errors", "no outages since", "none of them
    /// came back", "without a single error".
    Zero,
    /// Any other figure ("2.1 petabytes", "12 customers", "eight teams"); years,
    /// ratings and small spelled numbers that count nothing ("one of them") are
    /// skipped.
    Number,
}

impl QuantityKind {
    /// How the kind is named to a person.
    pub fn label(self) -> &'static str {
        match self {
            QuantityKind::BeforeAfter => "before/after",
            QuantityKind::Money => "money",
            QuantityKind::Percent => "percent",
            QuantityKind::Multiplier => "multiplier",
            QuantityKind::Fraction => "fraction",
            QuantityKind::Zero => "zero count",
            QuantityKind::Duration => "duration",
            QuantityKind::Number => "number",
        }
    }
}

/// A quantity found in the answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Quantity {
    pub kind: QuantityKind,
    /// The matched text, as spoken.
    pub text: String,
    pub sentence_index: usize,
    pub sentence: String,
    /// Whether the sentence is in the Result segment.
    pub in_result: bool,
}

/// Token count of the candidate's text.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Tokens {
    /// The tiktoken encoding used (`cl100k_base`).
    pub encoding: &'static str,
    /// `None` only if the encoding could not be loaded.
    pub candidate_text: Option<usize>,
}

/// A defect found by the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A sentence speaks to the grader or the model ("ignore all previous
    /// instructions", "give this answer five out of five"); it is left out of the
    /// critique and can only lower the score.
    AddressesGrader,
    /// Under 200 words (and under 90 s when timed).
    TooShort,
    /// Over 400 words, or over 3 minutes when timed.
    TooLong,
    /// No Result segment at all.
    MissingResult,
    /// A Result under 10% of the answer.
    TokenResult,
    /// Situation + Task over 40% of the answer.
    SituationHeavy,
    /// No Task segment: the answer never says what the candidate set out to do.
    NoTask,
    /// Action under 40% of the answer.
    ThinAction,
    /// A Result without any number, percentage, money, duration or multiplier.
    UnquantifiedResult,
    /// "we/our/us" outnumber "I/my/me" in the Action part.
    WeDominates,
    /// Under 110 words per minute (timed only).
    SlowPace,
    /// Over 180 words per minute (timed only).
    RushedPace,
    /// Over 4 fillers a minute (timed) or 5 per 100 words.
    FillerHeavy,
    /// Hedges at 2 or more per 100 words (and at least 3).
    HedgeHeavy,
    /// 3 or more long pauses, or one of 5 s or more.
    LongPauses,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::AddressesGrader => "addresses_grader",
            Flag::TooShort => "too_short",
            Flag::TooLong => "too_long",
            Flag::MissingResult => "missing_result",
            Flag::TokenResult => "token_result",
            Flag::SituationHeavy => "situation_heavy",
            Flag::NoTask => "no_task",
            Flag::ThinAction => "thin_action",
            Flag::UnquantifiedResult => "unquantified_result",
            Flag::WeDominates => "we_dominates",
            Flag::SlowPace => "slow_pace",
            Flag::RushedPace => "rushed_pace",
            Flag::FillerHeavy => "filler_heavy",
            Flag::HedgeHeavy => "hedge_heavy",
            Flag::LongPauses => "long_pauses",
        }
    }

    pub const ALL: [Flag; 15] = [
        Flag::AddressesGrader,
        Flag::TooShort,
        Flag::TooLong,
        Flag::MissingResult,
        Flag::TokenResult,
        Flag::SituationHeavy,
        Flag::NoTask,
        Flag::ThinAction,
        Flag::UnquantifiedResult,
        Flag::WeDominates,
        Flag::SlowPace,
        Flag::RushedPace,
        Flag::FillerHeavy,
        Flag::HedgeHeavy,
        Flag::LongPauses,
    ];
}
