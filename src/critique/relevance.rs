//! Relevance without an LLM: the rubric's relevance score and the off-topic finding,
//! read from the vectors' [`Relevance`] of the answer to its question.

// Read from the cosine of the question's core to the answer's Action and Result, on
// thresholds chosen on the dev half of tests/eval/answers.toml (README "Critique
// quality") for EmbeddingGemma-300M: its four off-topic answers measure 0.12-0.30, the
// eighteen others 0.20-0.52. MiniLM's cosines do not separate them (off-topic up to
// 0.15, answers to the question from 0.05), nor does the rank of the question's
// competency among the answer's with either model; with another model relevance stays
// unscored, as before.

use super::model::OffTopic;
use crate::retrieve::Relevance;

/// Cosine thresholds of one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Below: the answer tells a story about something else (score 1).
    pub off_topic: f32,
    /// At or above: 3.
    pub workable: f32,
    /// At or above: 4.
    pub strong: f32,
}

/// The thresholds calibrated for the embedding model `model_id`, if any.
pub fn thresholds(model_id: &str) -> Option<Thresholds> {
    model_id
        .starts_with("google/embeddinggemma-300m")
        .then_some(Thresholds {
            off_topic: 0.18,
            workable: 0.25,
            strong: 0.33,
        })
}

/// The relevance score (1-5; never 5 without an LLM) and its reason.
pub fn score(r: &Relevance, t: &Thresholds) -> (u8, String) {
    let score = if r.similarity >= t.strong {
        4
    } else if r.similarity >= t.workable {
        3
    } else if r.similarity >= t.off_topic {
        2
    } else {
        1
    };
    let asks = r.question_asks.as_ref().map_or("-", |c| c.name.as_str());
    let shows = r.answer_shows.as_ref().map_or("-", |c| c.name.as_str());
    let reason = format!(
        "What you did and achieved is {:.2} close to the question (off topic under {:.2}, \
         direct from {:.2}); it reads as {shows}, the question asks about {asks}.",
        r.similarity, t.off_topic, t.strong
    );
    (score, reason)
}

/// The off-topic finding, when the answer tells a story about something else.
pub fn off_topic(r: &Relevance, t: &Thresholds) -> Option<OffTopic> {
    if r.similarity >= t.off_topic {
        return None;
    }
    let asks = r.question_asks.as_ref()?;
    let shows = r.answer_shows.as_ref()?;
    let finding = if asks.id == shows.id {
        format!(
            "This answer's actions and result say little about what the question asks \
             ({}): make what you did about that the centre of the story.",
            asks.name
        )
    } else {
        format!(
            "This answer shows {}; the question asks about {}: tell a story where that \
             is what you did, or tie this one to it in your first sentence.",
            shows.name, asks.name
        )
    };
    Some(OffTopic {
        finding,
        answer_shows: shows.name.clone(),
        question_asks: asks.name.clone(),
        relevance: r.similarity,
    })
}
