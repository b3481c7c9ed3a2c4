//! "Which story fits this question?": embed the question, search the user's chunks,
//! group chunk hits into stories and rank them.
//!
//! A story's score is the score of its best-matching chunk (a section of the story),
//! and that chunk is returned as the passage that matched best. Notes are searched
//! separately and returned as related notes, never as stories.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::{info_span, Instrument};

use crate::config::RetrievalSettings;
use crate::corpus::{DocumentKind, LineSpan, SectionKind};
use crate::embed::{EmbedError, Embedder};
use crate::store::{ChunkHit, SearchMode, SearchQuery, Store, StoreError};

/// Errors of a match request.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A question to match against one user's stories.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatchRequest {
    pub question: String,
    pub top_k: usize,
}

impl MatchRequest {
    /// Check the request against the configured limits; errors name the field.
    pub fn validate(&self, limits: &RetrievalSettings) -> Result<(), MatchError> {
        let question = self.question.trim();
        if question.is_empty() {
            return Err(invalid("question", "must not be empty".into()));
        }
        let chars = question.chars().count();
        if chars > limits.max_question_chars {
            return Err(invalid(
                "question",
                format!(
                    "is {chars} characters long; the limit is {}",
                    limits.max_question_chars
                ),
            ));
        }
        if self.top_k == 0 || self.top_k > limits.max_top_k {
            return Err(invalid(
                "top_k",
                format!(
                    "must be between 1 and {}, got {}",
                    limits.max_top_k, self.top_k
                ),
            ));
        }
        Ok(())
    }
}

fn invalid(field: &'static str, message: String) -> MatchError {
    MatchError::Invalid { field, message }
}

/// The passage of a document that matched a question.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Passage {
    pub section: SectionKind,
    pub text: String,
    pub lines: LineSpan,
    pub score: f32,
}

/// One ranked story.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoryMatch {
    pub rank: usize,
    pub doc_id: String,
    pub title: String,
    pub source: String,
    pub lines: LineSpan,
    pub tags: Vec<String>,
    /// Cosine similarity of the best-matching passage (higher is better).
    pub score: f32,
    pub best_passage: Passage,
}

/// A note related to the question (context, never a story).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NoteMatch {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    pub lines: LineSpan,
    pub score: f32,
    pub passage: String,
}

/// The answer to a match request: the same JSON from the CLI and the HTTP API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MatchResponse {
    pub question: String,
    pub user: String,
    pub stories: Vec<StoryMatch>,
    pub related_notes: Vec<NoteMatch>,
    pub method: String,
    pub took_ms: f64,
}

/// Matches questions against stored stories.
pub struct Retriever {
    store: Arc<dyn Store>,
    embedder: Arc<dyn Embedder>,
    settings: RetrievalSettings,
}

/// Notes returned beside the stories.
const RELATED_NOTES: usize = 3;

impl Retriever {
    pub fn new(
        store: Arc<dyn Store>,
        embedder: Arc<dyn Embedder>,
        settings: RetrievalSettings,
    ) -> Self {
        Self {
            store,
            embedder,
            settings,
        }
    }

    pub fn settings(&self) -> &RetrievalSettings {
        &self.settings
    }

    /// Rank `user`'s stories for a question.
    pub async fn match_stories(
        &self,
        user: &str,
        request: &MatchRequest,
    ) -> Result<MatchResponse, MatchError> {
        request.validate(&self.settings)?;
        let started = Instant::now();
        let question = request.question.trim().to_string();
        let dense = self
            .embedder
            .embed(vec![question.clone()])
            .instrument(info_span!("match.embed"))
            .await?
            .pop()
            .ok_or_else(|| EmbedError::Inference("no vector returned for the question".into()))?;
        let story_query = SearchQuery {
            dense: dense.clone(),
            text: question.clone(),
            mode: SearchMode::Dense,
            kind: Some(DocumentKind::Story),
            limit: self.settings.candidate_chunks.max(request.top_k),
        };
        let note_query = SearchQuery {
            kind: Some(DocumentKind::Note),
            limit: RELATED_NOTES * 3,
            ..story_query.clone()
        };
        let (story_hits, note_hits) = tokio::try_join!(
            self.store
                .search(user, &story_query)
                .instrument(info_span!("match.search_stories")),
            self.store
                .search(user, &note_query)
                .instrument(info_span!("match.search_notes")),
        )?;
        Ok(MatchResponse {
            question,
            user: user.to_string(),
            stories: rank_stories(story_hits, request.top_k),
            related_notes: rank_notes(note_hits, RELATED_NOTES),
            method: "dense".into(),
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// Group chunk hits by story; a story scores as its best chunk.
fn rank_stories(hits: Vec<ChunkHit>, top_k: usize) -> Vec<StoryMatch> {
    let mut best: HashMap<String, ChunkHit> = HashMap::new();
    for hit in hits {
        match best.get(&hit.payload.doc_id) {
            Some(existing) if existing.score >= hit.score => {}
            _ => {
                best.insert(hit.payload.doc_id.clone(), hit);
            }
        }
    }
    let mut ranked: Vec<ChunkHit> = best.into_values().collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.payload.doc_id.cmp(&b.payload.doc_id))
    });
    ranked
        .into_iter()
        .take(top_k)
        .enumerate()
        .map(|(i, hit)| StoryMatch {
            rank: i + 1,
            score: hit.score,
            best_passage: Passage {
                section: hit.payload.section,
                text: hit.payload.text,
                lines: hit.payload.lines,
                score: hit.score,
            },
            doc_id: hit.payload.doc_id,
            title: hit.payload.title,
            source: hit.payload.source,
            lines: hit.payload.doc_lines,
            tags: hit.payload.tags,
        })
        .collect()
}

fn rank_notes(hits: Vec<ChunkHit>, limit: usize) -> Vec<NoteMatch> {
    let mut seen = std::collections::HashSet::new();
    hits.into_iter()
        .filter(|h| seen.insert(h.payload.doc_id.clone()))
        .take(limit)
        .map(|h| NoteMatch {
            doc_id: h.payload.doc_id,
            title: h.payload.title,
            source: h.payload.source,
            lines: h.payload.lines,
            score: h.score,
            passage: h.payload.text,
        })
        .collect()
}
