//! What the history keeps of one critique: when, the question and its competency, the
//! story told, the rubric scores with their caps, the flags and the delivery metrics.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::critique::{Critique, Dimension};

/// Where a critique came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Cli,
    Http,
    Chat,
    Practice,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Cli => "cli",
            Origin::Http => "http",
            Origin::Chat => "chat",
            Origin::Practice => "practice",
        }
    }
}

/// A cap that lowered a score, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordedCap {
    pub dimension: String,
    pub max: u8,
    pub reason: String,
}

impl RecordedCap {
    /// The caps the facts put on `critique`'s scores.
    pub fn all_of(critique: &Critique) -> Vec<Self> {
        critique
            .scores
            .iter()
            .filter_map(|s| {
                s.cap.as_ref().map(|cap| RecordedCap {
                    dimension: s.dimension.as_str().to_string(),
                    max: cap.max,
                    reason: cap.reason.clone(),
                })
            })
            .collect()
    }
}

/// The story the answer told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToldStory {
    pub doc_id: String,
    pub title: String,
}

impl ToldStory {
    /// The bank story `critique`'s answer retells, if grounding found one.
    pub fn of(critique: &Critique) -> Option<Self> {
        critique.grounding.told_story.as_ref().map(|s| ToldStory {
            doc_id: s.doc_id.clone(),
            title: s.title.clone(),
        })
    }
}

/// How the answer was spoken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryMetrics {
    pub words: usize,
    pub duration_seconds: f64,
    /// Whether the transcript had timestamps (else duration and pace are estimated).
    pub timed: bool,
    pub wpm: f64,
    pub fillers_per_minute: f64,
    /// Share of "I" among "I" and "we" (absent when neither was said).
    pub i_share: Option<f64>,
    /// Shares of the answer's words in Situation, Task, Action, Result.
    pub situation: f64,
    pub task: f64,
    pub action: f64,
    pub result: f64,
}

/// A critique as the history keeps it (what is recorded, before it has an id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryRecord {
    pub recorded_at: DateTime<Utc>,
    pub origin: Origin,
    /// The practice session it belongs to, if any.
    pub session_id: Option<String>,
    pub question: String,
    /// The competency the question asks about (the best detected).
    pub competency: Option<String>,
    pub story: Option<ToldStory>,
    pub overall: Option<f64>,
    /// Rubric scores by dimension (structure, relevance, ownership, impact, delivery).
    pub scores: BTreeMap<String, u8>,
    pub caps: Vec<RecordedCap>,
    pub flags: Vec<String>,
    pub delivery: DeliveryMetrics,
    /// "used", "partial", "rejected" or "unavailable".
    pub llm: String,
}

/// A recorded critique.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    #[serde(flatten)]
    pub record: HistoryRecord,
}

impl HistoryRecord {
    /// What to keep of `critique`, now.
    pub fn from_critique(
        critique: &Critique,
        competency: Option<String>,
        origin: Origin,
        session_id: Option<String>,
    ) -> Self {
        let a = &critique.analysis;
        let shares = &a.star.word_shares;
        Self {
            recorded_at: Utc::now(),
            origin,
            session_id,
            question: critique.question.clone(),
            competency,
            story: ToldStory::of(critique),
            overall: critique.overall,
            scores: critique.scores_by_name(),
            caps: RecordedCap::all_of(critique),
            flags: a.flags.iter().map(|f| f.as_str().to_string()).collect(),
            delivery: DeliveryMetrics {
                words: a.word_count,
                duration_seconds: a.duration_seconds,
                timed: a.timed,
                wpm: a.pace_wpm,
                fillers_per_minute: a.fillers.per_minute,
                i_share: a.ownership.i_share,
                situation: shares.situation,
                task: shares.task,
                action: shares.action,
                result: shares.result,
            },
            llm: critique.llm.as_str().to_string(),
        }
    }

    /// A score by dimension.
    pub fn score(&self, dimension: Dimension) -> Option<u8> {
        self.scores.get(dimension.as_str()).copied()
    }
}
