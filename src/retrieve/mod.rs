//! "Which story fits this question?": embed the question, search the user's chunks in
//! Qdrant, rank stories, grade their fit and quote the evidence.

// The pipeline for one question:
// 1. Strip the interview frame ("Tell me about a time you ...") and embed the core
//    that remains (an LRU cache keeps recent questions); map it to the competencies it
//    asks about ([`crate::competency::CompetencyIndex`], embedded once per process).
// 2. Search the user's story chunks three ways in the store: dense (cosine to the
//    question), BM25, and dense against the competency prototype of the question.
// 3. Aggregate chunk hits per story and fuse the lists ([`rank`]); the default fusion
//    and its weights were chosen on the development half of the labeled set
//    (`starcoach eval`).
// 4. Grade each story's fit (strong / workable / stretch, [`fit`]) and say "gap" when
//    even the best story is below the calibrated threshold, naming the competency.
// 5. Quote the sentences of each story that answer the question and derive what to
//    stress and what to leave out ([`evidence`]).
//
// Notes are searched separately and returned as related notes, never as stories.

mod bank;
mod cache;
mod evidence;
mod fit;
mod rank;
mod relevance;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use tracing::{info_span, Instrument};

pub use bank::{Bank, BankChunk, BankStory};
pub use evidence::{sentences, Evidence, SentenceSpan};
pub use fit::{fit_score, FitEvidence, FitLevel, FitSettings};
pub use rank::{Fusion, Method, RankingSettings, SectionWeights};
pub use relevance::Relevance;

use self::cache::{QuestionCache, VectorCache};
use self::evidence::{ScoredSentence, SectionWords};
use self::rank::{Lists, StoryScore};
use crate::competency::{CompetencyIndex, CompetencyScore, CompetencySet};
use crate::config::RetrievalSettings;
use crate::corpus::{DocumentKind, LineSpan, SectionKind};
use crate::embed::{EmbedError, Embedder, TextRole};
use crate::store::{ChunkHit, SearchMode, SearchQuery, Store, StoreError};
pub use crate::vector::dot;
use crate::vector::normalise;

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
    /// The competency list could not be read (`retrieval.competencies_file`).
    #[error("{0}")]
    Config(String),
}

/// A question to match against one user's stories.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatchRequest {
    pub question: String,
    pub top_k: usize,
}

impl MatchRequest {
    /// A request for `question`, with `top_k` or the configured default.
    pub fn new(question: String, top_k: Option<usize>, settings: &RetrievalSettings) -> Self {
        Self {
            question,
            top_k: top_k.unwrap_or(settings.default_top_k),
        }
    }

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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Passage {
    #[schema(value_type = String)]
    pub section: SectionKind,
    pub text: String,
    #[schema(value_type = Object)]
    pub lines: LineSpan,
    pub score: f32,
}

/// One ranked story.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct StoryMatch {
    pub rank: usize,
    /// The story's id in `GET /v1/stories/{id}`.
    pub id: String,
    pub doc_id: String,
    pub title: String,
    pub source: String,
    #[schema(value_type = Object)]
    pub lines: LineSpan,
    pub tags: Vec<String>,
    /// The ranking score (higher is better; its scale depends on `method`).
    pub score: f32,
    pub best_passage: Passage,
    /// How well the story answers the question.
    #[serde(default = "default_fit")]
    pub fit: FitLevel,
    /// The calibrated score the fit level is read from (see README).
    #[serde(default)]
    pub fit_score: f32,
    /// Sentences of the story that answer the question, verbatim, best first.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// What to stress when telling this story for this question.
    #[serde(default)]
    pub stress: Vec<String>,
    /// What to leave out.
    #[serde(default)]
    pub avoid: Vec<String>,
}

fn default_fit() -> FitLevel {
    FitLevel::Stretch
}

/// A note related to the question (context, never a story).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct NoteMatch {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    #[schema(value_type = Object)]
    pub lines: LineSpan,
    pub score: f32,
    pub passage: String,
}

/// Nothing in the bank fits: which competency is missing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Gap {
    /// Id of the competency the question asks about (empty if none is configured).
    pub competency: String,
    pub name: String,
    pub message: String,
}

/// The answer to a match request: the same JSON from the CLI and the HTTP API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct MatchResponse {
    pub question: String,
    pub user: String,
    pub stories: Vec<StoryMatch>,
    pub related_notes: Vec<NoteMatch>,
    pub method: String,
    pub took_ms: f64,
    /// The competencies the question asks about, best first.
    #[serde(default)]
    pub competencies: Vec<CompetencyScore>,
    /// Set when no story fits well enough.
    #[serde(default)]
    pub gap: Option<Gap>,
}

/// One ranked story without evidence, for evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct RankedStory {
    pub doc_id: String,
    pub title: String,
    pub score: f32,
    pub fit_score: f32,
    pub fit: FitLevel,
    pub dense: f32,
    pub bm25: f32,
    pub bm25_raw: f32,
    pub competency: f32,
    pub sentence: f32,
    pub tag: f32,
}

/// A ranking without evidence (what `starcoach eval` measures).
#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    pub stories: Vec<RankedStory>,
    pub competencies: Vec<CompetencyScore>,
    pub gap: bool,
}

/// Notes returned beside the stories.
const RELATED_NOTES: usize = 3;
/// Recent questions whose vectors are kept.
const QUESTION_CACHE: usize = 1024;
/// Sentence vectors kept (about 30 MB at 384 dimensions).
const SENTENCE_CACHE: usize = 20_000;
/// Texts embedded per model call when warming the sentence cache.
const WARM_BATCH: usize = 256;

/// Matches questions against stored stories.
pub struct Retriever {
    store: Arc<dyn Store>,
    embedder: Arc<dyn Embedder>,
    settings: RetrievalSettings,
    competency_set: Result<CompetencySet, String>,
    competencies: OnceCell<Arc<CompetencyIndex>>,
    questions: QuestionCache,
    sentence_vectors: VectorCache,
    banks: Mutex<HashMap<String, Arc<Bank>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `items` cut into consecutive runs of the given lengths (the last runs are short
/// or empty if `items` runs out).
fn split_by_lengths<T>(items: Vec<T>, lengths: &[usize]) -> Vec<Vec<T>> {
    let mut items = items.into_iter();
    lengths
        .iter()
        .map(|&n| items.by_ref().take(n).collect())
        .collect()
}

/// Everything computed for one question before evidence.
struct Analysis {
    question: Arc<Vec<f32>>,
    detected: Vec<(usize, f32)>,
    index: Arc<CompetencyIndex>,
    stories: Vec<StoryScore>,
    fit_scores: Vec<f32>,
}

impl Retriever {
    /// A retriever over `store` with the competency list read from
    /// `settings.competencies_file` (or why it could not be read), embedded on first
    /// use.
    pub fn new(
        store: Arc<dyn Store>,
        embedder: Arc<dyn Embedder>,
        settings: RetrievalSettings,
        competency_set: Result<CompetencySet, String>,
    ) -> Self {
        Self {
            store,
            embedder,
            settings,
            competency_set,
            competencies: OnceCell::new(),
            questions: QuestionCache::new(QUESTION_CACHE),
            sentence_vectors: VectorCache::new(SENTENCE_CACHE),
            banks: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &RetrievalSettings {
        &self.settings
    }

    /// The model questions are embedded with.
    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// The identifier of the model questions are embedded with.
    pub fn model_id(&self) -> &str {
        self.embedder.model_id()
    }

    /// The competency list as read from its file at start-up (or why it could not be).
    pub fn competency_set(&self) -> Result<&CompetencySet, &str> {
        self.competency_set.as_ref().map_err(String::as_str)
    }

    /// The embedded competency list (embedded on the first call, then shared).
    pub async fn competency_index(&self) -> Result<Arc<CompetencyIndex>, MatchError> {
        self.competencies
            .get_or_try_init(|| async {
                let set = self.competency_set.clone().map_err(MatchError::Config)?;
                let index = CompetencyIndex::build(set, self.embedder.as_ref())
                    .instrument(info_span!("match.embed_competencies"))
                    .await?;
                Ok::<_, MatchError>(Arc::new(index))
            })
            .await
            .cloned()
    }

    /// Embed competencies now and the sentences of `user`'s stories, so that the
    /// first questions are as fast as the rest. Returns the sentences embedded. Stops
    /// when the sentence cache is full: a larger bank would only evict what it warmed.
    pub async fn warm(&self, user: &str) -> Result<usize, MatchError> {
        self.competency_index().await?;
        let bank = self.load_bank(user).await?;
        let mut texts: Vec<String> = Vec::new();
        for story in bank.stories() {
            for chunk in &story.chunks {
                for span in sentences(&chunk.text) {
                    texts.push(chunk.text[span.start..span.end].to_string());
                }
            }
        }
        let mut embedded = 0;
        for batch in texts.chunks(WARM_BATCH) {
            if embedded + batch.len() > SENTENCE_CACHE {
                tracing::info!(embedded, "sentence cache full: warming stops");
                break;
            }
            embedded += self.sentence_vectors(batch).await?.1;
        }
        Ok(embedded)
    }

    /// Vectors of several questions, embedding the uncached ones in one model call.
    async fn embed_questions(&self, texts: &[&str]) -> Result<Vec<Arc<Vec<f32>>>, MatchError> {
        let cached: Vec<Option<Arc<Vec<f32>>>> =
            texts.iter().map(|t| self.questions.get(*t)).collect();
        let mut missing: Vec<String> = texts
            .iter()
            .zip(&cached)
            .filter(|(_, c)| c.is_none())
            .map(|(t, _)| t.to_string())
            .collect();
        missing.sort();
        missing.dedup();
        let mut fresh: HashMap<String, Arc<Vec<f32>>> = HashMap::new();
        if !missing.is_empty() {
            let vectors = self
                .embedder
                .embed(missing.clone(), TextRole::Query)
                .instrument(info_span!("match.embed", n = missing.len()))
                .await?;
            if vectors.len() != missing.len() {
                return Err(
                    EmbedError::Inference("wrong number of question vectors".into()).into(),
                );
            }
            for (t, v) in missing.into_iter().zip(vectors) {
                let v = Arc::new(v);
                self.questions.insert(t.clone(), v.clone());
                fresh.insert(t, v);
            }
        }
        Ok(texts
            .iter()
            .zip(cached)
            .map(|(t, c)| c.unwrap_or_else(|| fresh[*t].clone()))
            .collect())
    }

    /// Rank `user`'s stories for a question with the hybrid method, with fit levels,
    /// evidence and advice.
    pub async fn match_stories(
        &self,
        user: &str,
        request: &MatchRequest,
    ) -> Result<MatchResponse, MatchError> {
        self.match_with(user, request, Method::Hybrid).await
    }

    /// [`Retriever::match_stories`] with a chosen ranking method.
    pub async fn match_with(
        &self,
        user: &str,
        request: &MatchRequest,
        method: Method,
    ) -> Result<MatchResponse, MatchError> {
        request.validate(&self.settings)?;
        let started = Instant::now();
        let question = request.question.trim().to_string();
        let analysis = self
            .analyse(user, &question, method, None, request.top_k)
            .await?;
        let note_query = SearchQuery {
            dense: analysis.question.to_vec(),
            text: question.clone(),
            mode: SearchMode::Dense,
            kind: Some(DocumentKind::Note),
            limit: RELATED_NOTES * 3,
        };
        let note_hits = self
            .store
            .search(user, &note_query)
            .instrument(info_span!("match.search_notes"))
            .await?;
        let top: Vec<usize> = (0..analysis.stories.len().min(request.top_k)).collect();
        let bank = self
            .bank_for(user, top.iter().map(|&i| &analysis.stories[i].hit.payload))
            .await?;
        let stored: Vec<Option<&BankStory>> = top
            .iter()
            .map(|&i| bank.get(&analysis.stories[i].doc_id))
            .collect();
        let found: Vec<&BankStory> = stored.iter().flatten().copied().collect();
        let mut scored_stories = self
            .score_stories(&found, &analysis.question)
            .await?
            .into_iter();
        let mut stories = Vec::with_capacity(top.len());
        for ((rank, &i), stored) in top.iter().enumerate().zip(&stored) {
            let story = &analysis.stories[i];
            let fit_score = analysis.fit_scores[i];
            let mut m = story_match(rank + 1, story, fit_score, &self.settings.fit);
            if let Some(stored) = stored {
                // One list per story found, in order.
                let scored = scored_stories.next().unwrap_or_default();
                let (context, total) = stored.words();
                m.evidence = evidence::select_evidence(&scored);
                let (stress, avoid) =
                    evidence::advise(&scored, &m.evidence, SectionWords { context, total });
                m.stress = stress;
                m.avoid = avoid;
            }
            stories.push(m);
        }
        let gap = self.gap(&analysis, stories.first());
        let competencies = analysis
            .detected
            .iter()
            .map(|&(i, s)| analysis.index.score(i, s))
            .collect();
        Ok(MatchResponse {
            question,
            user: user.to_string(),
            stories,
            related_notes: rank_notes(note_hits, RELATED_NOTES),
            method: method.as_str().into(),
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            competencies,
            gap,
        })
    }

    /// Rank without evidence: what the evaluation measures, for any method.
    pub async fn rank(
        &self,
        user: &str,
        question: &str,
        method: Method,
        top_k: usize,
    ) -> Result<Ranking, MatchError> {
        let analysis = self
            .analyse(user, question.trim(), method, None, top_k)
            .await?;
        let gap = self
            .settings
            .fit
            .is_gap(analysis.fit_scores.first().copied());
        let stories = analysis
            .stories
            .iter()
            .zip(&analysis.fit_scores)
            .take(top_k)
            .map(|(s, &f)| RankedStory {
                doc_id: s.doc_id.clone(),
                title: s.hit.payload.title.clone(),
                score: s.score,
                fit_score: f,
                fit: self.settings.fit.level(f),
                dense: s.dense,
                bm25: s.bm25,
                bm25_raw: s.bm25_raw,
                competency: s.competency,
                sentence: s.sentence,
                tag: s.tag,
            })
            .collect();
        Ok(Ranking {
            stories,
            competencies: analysis
                .detected
                .iter()
                .map(|&(i, s)| analysis.index.score(i, s))
                .collect(),
            gap,
        })
    }

    /// Stories for one phrasing of a known competency (for coverage): doc id, title
    /// and fit score, best first.
    pub(crate) async fn rank_for_competency(
        &self,
        user: &str,
        phrasing: &str,
        competency: usize,
        top_k: usize,
    ) -> Result<Vec<(String, String, f32)>, MatchError> {
        let analysis = self
            .analyse(user, phrasing, Method::Hybrid, Some(competency), top_k)
            .await?;
        Ok(analysis
            .stories
            .iter()
            .zip(&analysis.fit_scores)
            .take(top_k)
            .map(|(s, &f)| (s.doc_id.clone(), s.hit.payload.title.clone(), f))
            .collect())
    }

    /// The sentence of a stored story closest to `vector`, verbatim.
    pub(crate) async fn best_sentence(
        &self,
        story: &BankStory,
        vector: &[f32],
    ) -> Result<Option<String>, MatchError> {
        let scored = self.score_sentences(story, vector).await?;
        Ok(scored
            .into_iter()
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .map(|s| s.text))
    }

    async fn analyse(
        &self,
        user: &str,
        question: &str,
        method: Method,
        force_competency: Option<usize>,
        top_k: usize,
    ) -> Result<Analysis, MatchError> {
        let ranking = &self.settings.ranking;
        let hybrid = method == Method::Hybrid;
        // The hybrid method represents the question by its core (the interview frame
        // removed): detection, search, evidence and notes all use the core's vector, so
        // a new question costs one short text through the model. The baselines use the
        // question as asked.
        let core = if hybrid && ranking.strip_frame {
            rank::question_core(question)
        } else {
            question
        };
        let voiced;
        let core = if hybrid && ranking.first_person {
            voiced = rank::first_person(core);
            voiced.as_str()
        } else {
            core
        };
        // The full question too, only when a ranking option mixes it in.
        let with_full = core != question
            && (ranking.full_question_weight > 0.0 || ranking.full_list_weight > 0.0);
        let texts: &[&str] = if with_full {
            &[core, question]
        } else {
            &[core]
        };
        let (vectors, index) = tokio::try_join!(self.embed_questions(texts), async {
            self.competency_index().await
        })?;
        let vector = vectors[0].clone();
        let full_vector = vectors.get(1).cloned().unwrap_or_else(|| vector.clone());
        let detected = match force_competency {
            Some(c) => vec![(c, 1.0)],
            None => index.detect(&vector, ranking.competency_margin, 3),
        };
        let mut prototype = vec![0.0f32; vector.len()];
        for &(c, sim) in &detected {
            for (p, x) in prototype.iter_mut().zip(index.prototype(c)) {
                *p += sim.max(0.0) * x;
            }
        }
        normalise(&mut prototype);

        let search_vector = if with_full && ranking.full_question_weight > 0.0 {
            let w = ranking.full_question_weight;
            let mut mixed: Vec<f32> = vector
                .iter()
                .zip(full_vector.iter())
                .map(|(c, f)| c + w * f)
                .collect();
            normalise(&mut mixed);
            Arc::new(mixed)
        } else {
            vector.clone()
        };
        let limit = self.settings.candidate_chunks.max(top_k * 4);
        let query = |mode: SearchMode, dense: &[f32]| SearchQuery {
            dense: dense.to_vec(),
            text: core.to_string(),
            mode,
            kind: Some(DocumentKind::Story),
            limit,
        };
        let need_bm25 = method != Method::Dense;
        let need_competency = (hybrid
            && (ranking.competency_weight > 0.0 && ranking.fusion != Fusion::Qdrant))
            || self.settings.fit.competency_weight > 0.0;
        let need_fused = hybrid && ranking.fusion == Fusion::Qdrant;
        let search = |wanted: bool, q: SearchQuery, name: &'static str| async move {
            if !wanted {
                return Ok(Vec::new());
            }
            self.store
                .search(user, &q)
                .instrument(info_span!("match.search", list = name))
                .await
        };
        let need_full = hybrid && ranking.full_list_weight > 0.0 && with_full;
        let (dense, bm25, competency, fused, dense_full) = tokio::try_join!(
            search(true, query(SearchMode::Dense, &search_vector), "dense"),
            search(need_bm25, query(SearchMode::Bm25, &search_vector), "bm25"),
            search(
                need_competency && !prototype.iter().all(|x| *x == 0.0),
                query(SearchMode::Dense, &prototype),
                "competency"
            ),
            search(
                need_fused,
                query(SearchMode::Hybrid, &search_vector),
                "fused"
            ),
            search(
                need_full,
                query(SearchMode::Dense, &full_vector),
                "dense_full"
            ),
        )?;
        let lists = Lists {
            dense,
            bm25,
            competency,
            fused,
            dense_full,
        };
        let mut stories = rank::rank(method, &lists, ranking);
        for (weight, target) in [
            (ranking.sentence_list_weight, &search_vector[..]),
            (ranking.competency_sentence_weight, &prototype[..]),
        ] {
            if !hybrid || weight <= 0.0 {
                continue;
            }
            let cached = lock(&self.banks).get(user).cloned();
            let bank = match cached {
                Some(bank) => bank,
                None => self.load_bank(user).await?,
            };
            let mut scores = Vec::with_capacity(bank.len());
            for story in bank.stories() {
                let scored = self.score_sentences(story, target).await?;
                let hit = ChunkHit {
                    score: 0.0,
                    payload: bank_payload(story),
                };
                scores.push((
                    story.doc_id.clone(),
                    rank::top_two_mean(scored.iter().map(|s| s.score)),
                    hit,
                ));
            }
            rank::fuse_sentence_list(&mut stories, &scores, weight, ranking.rrf_k);
        }
        if hybrid && ranking.rerank_depth > 0 && !stories.is_empty() {
            let depth = ranking.rerank_depth.min(stories.len());
            let bank = self
                .bank_for(user, stories[..depth].iter().map(|s| &s.hit.payload))
                .await?;
            for story in stories[..depth].iter_mut() {
                if ranking.sentence_weight != 0.0 {
                    if let Some(stored) = bank.get(&story.doc_id) {
                        let scored = self.score_sentences(stored, &search_vector).await?;
                        story.sentence = rank::top_two_mean(scored.iter().map(|s| s.score));
                    }
                }
                let tags = &story.hit.payload.tags;
                if !tags.is_empty() {
                    let (vectors, _) = self.sentence_vectors(tags).await?;
                    story.tag = vectors
                        .iter()
                        .map(|v| dot(v, &prototype))
                        .fold(0.0, f32::max);
                }
            }
            rank::rerank(&mut stories, depth, ranking);
        }
        // The fit score reads the story's best sentences too: computed for the stories
        // that are shown (their sentence vectors are cached).
        if self.settings.fit.sentence_weight > 0.0 && !stories.is_empty() {
            let depth = top_k.min(stories.len());
            let bank = self
                .bank_for(user, stories[..depth].iter().map(|s| &s.hit.payload))
                .await?;
            // One model call for every shown story's uncached sentences.
            let unscored: Vec<(usize, &BankStory)> = stories[..depth]
                .iter()
                .enumerate()
                .filter(|(_, story)| story.sentence == 0.0)
                .filter_map(|(i, story)| bank.get(&story.doc_id).map(|stored| (i, stored)))
                .collect();
            let of: Vec<&BankStory> = unscored.iter().map(|&(_, stored)| stored).collect();
            let scored = self.score_stories(&of, &search_vector).await?;
            for ((i, _), scored) in unscored.iter().zip(scored) {
                stories[*i].sentence = rank::top_two_mean(scored.iter().map(|s| s.score));
            }
        }
        let tag_fits = if self.settings.fit.tag_weight > 0.0 {
            let depth = top_k.min(stories.len());
            self.tag_fits(&stories[..depth], &search_vector).await?
        } else {
            Vec::new()
        };
        let fit_scores = stories
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let evidence = FitEvidence {
                    dense: s.dense,
                    competency: s.competency,
                    sentence: s.sentence,
                    tag: tag_fits.get(i).copied().flatten(),
                };
                fit_score(&self.settings.fit, evidence)
            })
            .collect();
        Ok(Analysis {
            question: vector,
            detected,
            index,
            stories,
            fit_scores,
        })
    }

    fn gap(&self, analysis: &Analysis, best: Option<&StoryMatch>) -> Option<Gap> {
        let fit = &self.settings.fit;
        if !fit.is_gap(best.map(|b| b.fit_score)) {
            return None;
        }
        let (competency, name) = analysis
            .detected
            .first()
            .map(|&(i, _)| {
                let c = analysis.index.competency(i);
                (c.id.clone(), c.name.clone())
            })
            .unwrap_or_default();
        let about = if name.is_empty() {
            String::new()
        } else {
            format!(" It asks about {}.", name.to_lowercase())
        };
        let message = match best {
            None => format!(
                "Your bank has no stories yet.{about} Run `starcoach ingest PATH` with your \
                 story files first."
            ),
            Some(b) => format!(
                "No story in your bank fits this question.{about} The closest, \"{}\", is only \
                 a stretch (fit {:.2}, below {:.2}): prepare a story that shows this.",
                b.title, b.fit_score, fit.gap
            ),
        };
        Some(Gap {
            competency,
            name,
            message,
        })
    }

    /// Every story of `user`, freshly read from the store.
    pub async fn load_bank(&self, user: &str) -> Result<Arc<Bank>, MatchError> {
        let chunks = self
            .store
            .chunks(user, DocumentKind::Story)
            .instrument(info_span!("match.load_bank", user))
            .await?;
        let bank = Bank::from_chunks(chunks);
        let bank = Arc::new(bank);
        lock(&self.banks).insert(user.to_string(), bank.clone());
        Ok(bank)
    }

    /// The cached bank of `user` if it holds these hits' stories as stored, else a
    /// fresh one.
    async fn bank_for<'a>(
        &self,
        user: &str,
        hits: impl Iterator<Item = &'a crate::store::ChunkPayload>,
    ) -> Result<Arc<Bank>, MatchError> {
        let cached = lock(&self.banks).get(user).cloned();
        let hits: Vec<&crate::store::ChunkPayload> = hits.collect();
        match cached {
            Some(bank) if hits.iter().all(|h| bank.is_current(h)) => Ok(bank),
            _ => self.load_bank(user).await,
        }
    }

    /// Vectors for texts, embedding only those not cached; also returns how many
    /// were embedded.
    /// For each story, the best cosine of one of its author's tags to the question
    /// (`None` for a story without tags): one model call for the uncached tags.
    async fn tag_fits(
        &self,
        stories: &[rank::StoryScore],
        question: &[f32],
    ) -> Result<Vec<Option<f32>>, MatchError> {
        let tags: Vec<String> = stories
            .iter()
            .flat_map(|s| s.hit.payload.tags.iter().cloned())
            .collect();
        if tags.is_empty() {
            return Ok(vec![None; stories.len()]);
        }
        let (vectors, _) = self.sentence_vectors(&tags).await?;
        let by_tag: HashMap<&str, &Arc<Vec<f32>>> =
            tags.iter().map(String::as_str).zip(&vectors).collect();
        Ok(stories
            .iter()
            .map(|s| {
                s.hit
                    .payload
                    .tags
                    .iter()
                    .filter_map(|t| by_tag.get(t.as_str()))
                    .map(|v| dot(v, question))
                    .reduce(f32::max)
            })
            .collect())
    }

    async fn sentence_vectors(
        &self,
        texts: &[String],
    ) -> Result<(Vec<Arc<Vec<f32>>>, usize), MatchError> {
        let mut found: Vec<Option<Arc<Vec<f32>>>> =
            texts.iter().map(|t| self.sentence_vectors.get(t)).collect();
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| found[i].is_none()).collect();
        if !missing.is_empty() {
            let mut unique: Vec<String> = missing.iter().map(|&i| texts[i].clone()).collect();
            unique.sort();
            unique.dedup();
            let vectors = self
                .embedder
                .embed(unique.clone(), TextRole::Document)
                .instrument(info_span!("match.embed_sentences", n = unique.len()))
                .await?;
            let by_text: HashMap<String, Arc<Vec<f32>>> = unique
                .into_iter()
                .zip(vectors.into_iter().map(Arc::new))
                .collect();
            for (t, v) in &by_text {
                self.sentence_vectors.insert(t, v.clone());
            }
            for &i in &missing {
                found[i] = by_text.get(&texts[i]).cloned();
            }
        }
        let embedded = missing.len();
        let vectors = found
            .into_iter()
            .map(|v| v.ok_or_else(|| EmbedError::Inference("missing sentence vector".into())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((vectors, embedded))
    }

    /// Every sentence of a stored story with its cosine to `vector`.
    async fn score_sentences(
        &self,
        story: &BankStory,
        vector: &[f32],
    ) -> Result<Vec<ScoredSentence>, MatchError> {
        let mut scored = self.score_stories(&[story], vector).await?;
        Ok(scored.pop().unwrap_or_default())
    }

    /// Every sentence of each story with its cosine to `vector`, one list per story;
    /// the sentences not cached are embedded in one model call (its batches run on
    /// every core), not one call per story.
    async fn score_stories(
        &self,
        stories: &[&BankStory],
        vector: &[f32],
    ) -> Result<Vec<Vec<ScoredSentence>>, MatchError> {
        let mut spans: Vec<Vec<(&BankChunk, String)>> = Vec::with_capacity(stories.len());
        for story in stories {
            let mut of_story = Vec::new();
            for chunk in &story.chunks {
                for span in sentences(&chunk.text) {
                    of_story.push((chunk, chunk.text[span.start..span.end].to_string()));
                }
            }
            spans.push(of_story);
        }
        let texts: Vec<String> = spans.iter().flatten().map(|(_, t)| t.clone()).collect();
        let (vectors, _) = self.sentence_vectors(&texts).await?;
        let lengths: Vec<usize> = spans.iter().map(Vec::len).collect();
        Ok(spans
            .into_iter()
            .zip(split_by_lengths(vectors, &lengths))
            .map(|(of_story, vectors)| {
                of_story
                    .into_iter()
                    .zip(vectors)
                    .enumerate()
                    .map(|(order, ((chunk, text), v))| ScoredSentence {
                        text,
                        section: chunk.section,
                        lines: chunk.lines,
                        score: dot(vector, &v),
                        order,
                    })
                    .collect()
            })
            .collect())
    }
}

/// A payload standing for a stored story (its first chunk), for stories that only
/// the sentence list found.
fn bank_payload(story: &BankStory) -> crate::store::ChunkPayload {
    let first = story.chunks.first();
    crate::store::ChunkPayload {
        user: String::new(),
        doc_id: story.doc_id.clone(),
        content_hash: story.content_hash.clone(),
        kind: DocumentKind::Story,
        section: first.map_or(SectionKind::Preamble, |c| c.section),
        source: story.source.clone(),
        title: story.title.clone(),
        tags: story.tags.clone(),
        doc_lines: story.lines,
        lines: first.map_or(story.lines, |c| c.lines),
        chunk_index: first.map_or(0, |c| c.index),
        chunk_count: story.chunk_count,
        text: first.map_or_else(|| story.title.clone(), |c| c.text.clone()),
    }
}

fn story_match(rank: usize, s: &StoryScore, fit_score: f32, fit: &FitSettings) -> StoryMatch {
    let p = &s.hit.payload;
    StoryMatch {
        rank,
        id: crate::corpus::story_id(&s.doc_id),
        doc_id: s.doc_id.clone(),
        title: p.title.clone(),
        source: p.source.clone(),
        lines: p.doc_lines,
        tags: p.tags.clone(),
        score: s.score,
        best_passage: Passage {
            section: p.section,
            text: p.text.clone(),
            lines: p.lines,
            score: s.hit.score,
        },
        fit: fit.level(fit_score),
        fit_score,
        evidence: Vec::new(),
        stress: Vec::new(),
        avoid: Vec::new(),
    }
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

#[cfg(test)]
mod tests {
    use super::split_by_lengths;

    #[test]
    fn split_by_lengths_keeps_order_and_runs() {
        let runs = split_by_lengths((1..=6).collect(), &[2, 0, 3, 1]);
        assert_eq!(runs, vec![vec![1, 2], vec![], vec![3, 4, 5], vec![6]]);
        let short = split_by_lengths(vec![1, 2], &[1, 3, 2]);
        assert_eq!(short, vec![vec![1], vec![2], vec![]]);
    }
}
