//! The critique as the CLI prints it and the HTTP API returns it (one JSON shape).

use serde::Serialize;

use crate::analysis::{Analysis, Part, TranscriptFormat};
use crate::retrieve::{Evidence, FitLevel, Gap};

/// A rubric dimension (prompts/rubric.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Structure,
    Relevance,
    Ownership,
    Impact,
    Delivery,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Structure,
        Dimension::Relevance,
        Dimension::Ownership,
        Dimension::Impact,
        Dimension::Delivery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Structure => "structure",
            Dimension::Relevance => "relevance",
            Dimension::Ownership => "ownership",
            Dimension::Impact => "impact",
            Dimension::Delivery => "delivery",
        }
    }
}

/// Who produced a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSource {
    /// The LLM, checked against the measured facts.
    Llm,
    /// The deterministic analysis (no LLM, or the LLM failed).
    Analysis,
}

/// A ceiling the measured facts put on a score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreCap {
    pub max: u8,
    pub reason: String,
}

/// A score the measured facts guarantee: an LLM score under it is not believed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreFloor {
    pub min: u8,
    pub reason: String,
}

/// One dimension's score with the quote that justifies it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DimensionScore {
    pub dimension: Dimension,
    /// 1 to 5; `None` when nothing could judge it (relevance without an LLM).
    pub score: Option<u8>,
    /// Verbatim from the candidate's answer (checked); `None` when the model's quote
    /// was not found in the transcript and was dropped.
    pub quote: Option<String>,
    pub reason: String,
    pub source: ScoreSource,
    /// The score the LLM gave, when it was not the one kept (see `rejected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm_score: Option<u8>,
    /// Why the LLM's score was not kept: its quote is not in the answer, its reason
    /// is empty or not a sentence, or the measured facts do not allow it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// Set when the measured facts limit this dimension and the LLM went above it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<ScoreCap>,
    /// Set when the measured facts guarantee this dimension and the LLM went under it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<ScoreFloor>,
}

/// A change that would raise the score, tied to a part of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// situation, task, action, result or delivery.
    pub part: String,
    pub change: String,
}

/// Where a line of the outline comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutlineSource {
    /// Written by the LLM from the answer and the stored story (figures checked).
    Llm,
    /// A sentence of the answer.
    Transcript,
    /// A sentence of the stored story.
    Story,
    /// Neither has it: says what to add.
    Missing,
}

/// One part of the outline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OutlinePart {
    pub part: Part,
    pub text: String,
    pub source: OutlineSource,
}

/// A tightened STAR outline of the same story: only facts from the answer and the
/// stored story, never new achievements.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outline {
    pub label: String,
    pub parts: Vec<OutlinePart>,
    /// Figures the LLM put in the outline that neither the answer nor the story
    /// contains; the parts holding them were replaced.
    pub unsupported_figures: Vec<String>,
}

/// A story of the user's bank, as the critique refers to it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoryRef {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    /// The story's fit for the question, when it ranks for it at all.
    pub fit: Option<FitLevel>,
    pub fit_score: Option<f32>,
}

/// Whether the story told is the user's best one for the question.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Grounding {
    /// The stored story the answer retells, when one is recognisable.
    pub told_story: Option<StoryRef>,
    /// How close the answer is to that story (cosine of the answer to its best chunk).
    pub told_similarity: Option<f32>,
    /// The user's best-fitting story for the question.
    pub best_fit: Option<StoryRef>,
    /// A story that fits the question better than the one told, with its evidence.
    pub better_story: Option<StoryRef>,
    pub better_story_evidence: Vec<Evidence>,
    /// Set when no stored story fits the question.
    pub gap: Option<Gap>,
    pub message: String,
}

/// Whether the LLM took part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LlmStatus {
    /// Every LLM score passed the checks.
    Used,
    /// Some LLM scores failed the checks; those dimensions keep the analysis' score.
    Partial,
    /// Most of the LLM's answer failed the checks: the critique is the deterministic
    /// one (see `llm_checks`).
    Rejected,
    Unavailable,
}

impl LlmStatus {
    /// The name used in JSON, the history and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LlmStatus::Used => "used",
            LlmStatus::Partial => "partial",
            LlmStatus::Rejected => "rejected",
            LlmStatus::Unavailable => "unavailable",
        }
    }
}

/// How the LLM's answer fared against the checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LlmChecks {
    /// Scores kept (quote in the answer, a reason, within what the facts allow).
    pub accepted: usize,
    pub rejected: usize,
    /// Quotes that are not in the candidate's words.
    pub invented_quotes: usize,
    /// Reasons that are empty or not a sentence.
    pub empty_reasons: usize,
    /// Scores above a cap or under a floor of the measured facts.
    pub out_of_bounds: usize,
}

/// Tokens spent on the LLM.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TokenUsage {
    /// Over all attempts, as the server reported them (or estimated, see below).
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// True when the server sent no usage and tiktoken-rs (cl100k_base) counted.
    pub estimated: bool,
    /// The prompt as counted by tiktoken-rs (cl100k_base) before sending.
    pub prompt_tokens_tiktoken: usize,
    pub attempts: u32,
    pub model: Option<String>,
}

/// An answer that does not answer its question: what it shows, what was asked.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OffTopic {
    /// The finding, in words a person can act on.
    pub finding: String,
    /// The competency the answer's story shows.
    pub answer_shows: String,
    /// The competency the question asks about.
    pub question_asks: String,
    /// How well the answer answers the question (the relevance read from the vectors).
    pub relevance: f32,
}

/// The whole critique.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Critique {
    pub question: String,
    /// "request" or "transcript" (the interviewer's turn).
    pub question_source: &'static str,
    pub user: String,
    pub format: TranscriptFormat,
    pub llm: LlmStatus,
    /// Why the LLM was not used, when it was not.
    pub llm_reason: Option<String>,
    pub scores: Vec<DimensionScore>,
    /// Mean of the scores present, one decimal.
    pub overall: Option<f64>,
    /// Set when the answer tells a story about something other than the question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_topic: Option<OffTopic>,
    /// The vectors' reading of the answer against the question (what relevance is
    /// judged from without an LLM).
    pub relevance: Option<crate::retrieve::Relevance>,
    /// Quotes the LLM gave that are not in the transcript (dropped).
    pub invented_quotes: usize,
    /// The checks on the LLM's answer, when one came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm_checks: Option<LlmChecks>,
    pub changes: Vec<Change>,
    pub follow_ups: Vec<String>,
    pub outline: Outline,
    pub grounding: Grounding,
    pub analysis: Analysis,
    pub tokens: Option<TokenUsage>,
    pub took_ms: f64,
}

impl Critique {
    /// Each rubric dimension's score that stands, by dimension name (dimensions without
    /// a score left out).
    pub fn scores_by_name(&self) -> std::collections::BTreeMap<String, u8> {
        self.scores
            .iter()
            .filter_map(|s| s.score.map(|v| (s.dimension.as_str().to_string(), v)))
            .collect()
    }
}
