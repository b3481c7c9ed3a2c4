//! How well an answer answers its question, read from vectors alone: the question's
//! core against what the answer did and achieved, and the competencies each shows.

// Used by the critique when no LLM judges relevance: the question's core (the interview
// frame removed, voiced in the first person as answers are) is embedded as a query, the
// answer's Action and Result as a stored text, and both are placed among the competency
// list. An answer that tells a good story about something else is close to another
// competency than the question's, and far from the question itself.

use serde::{Deserialize, Serialize};
use tracing::{info_span, Instrument};

use super::{rank, MatchError, Retriever};
use crate::competency::CompetencyScore;
use crate::embed::TextRole;
use crate::vector::{dot, pearson};

/// Characters of the answer read (the model reads a few hundred tokens).
const ANSWER_CHARS: usize = 1500;

/// The vectors' reading of an answer against its question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Relevance {
    /// Cosine of the question's core to the answer's Action and Result.
    pub similarity: f32,
    /// The competency the question asks about most.
    pub question_asks: Option<CompetencyScore>,
    /// The competency the answer's Action and Result show most.
    pub answer_shows: Option<CompetencyScore>,
    /// Where the question's competency ranks among those the answer shows (0: first).
    pub question_competency_rank: Option<usize>,
    /// Pearson correlation, over the competency list, of the question's similarities
    /// with the answer's: near 1 when the answer is the same kind of story.
    #[serde(default)]
    pub competency_agreement: f32,
    /// What a story about the question's competency states and the answer never does
    /// (the competency's hallmarks, `config/competencies.toml`): "a disagreement or
    /// tension with someone".
    #[serde(default)]
    pub unstated: Vec<String>,
}

impl Retriever {
    /// How close `told` (the answer's Action and Result, or the whole answer) is to
    /// `question`, and what of the question's competency the `whole` answer never states.
    pub async fn relevance(
        &self,
        question: &str,
        told: &str,
        whole: &str,
    ) -> Result<Relevance, MatchError> {
        let core = rank::question_core(question);
        let voiced = if self.settings.ranking.first_person {
            rank::first_person(core)
        } else {
            core.to_string()
        };
        let answer = crate::corpus::clip_chars(told, ANSWER_CHARS).to_string();
        let texts = [voiced.as_str()];
        let (questions, answers, index) = tokio::try_join!(
            self.embed_questions(&texts),
            async {
                self.embedder
                    .embed(vec![answer], TextRole::Document)
                    .instrument(info_span!("critique.embed_answer"))
                    .await
                    .map_err(MatchError::from)
            },
            self.competency_index(),
        )?;
        let (question, answer) = (&questions[0], &answers[0]);
        let asked = index.similarities(question);
        let shown = index.similarities(answer);
        let best = |sims: &[f32]| {
            sims.iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, &s)| (i, s))
        };
        let asks = best(&asked);
        let rank_of_asked = asks.map(|(c, _)| shown.iter().filter(|&&s| s > shown[c]).count());
        Ok(Relevance {
            similarity: dot(question, answer),
            question_asks: asks.map(|(c, s)| index.score(c, s)),
            answer_shows: best(&shown).map(|(c, s)| index.score(c, s)),
            question_competency_rank: rank_of_asked,
            competency_agreement: pearson(&asked, &shown),
            unstated: asks.map_or_else(Vec::new, |(c, _)| index.unstated(c, whole)),
        })
    }
}
