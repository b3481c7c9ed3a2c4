//! Wiring: build the store, the embedder and the services on top of them from
//! [`Settings`], once per process.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::competency::CompetencySet;
use crate::config::{ConfigError, Settings};
use crate::coverage::CoverageReport;
use crate::critique::{Critic, Critique, CritiqueError, CritiqueRequest};
use crate::embed::{EmbedError, Embedder};
use crate::history::{
    History, HistoryError, HistoryPage, HistoryRecord, Origin, SessionLocks, SqliteHistory,
};
use crate::ingest::{IngestError, IngestProgress, Ingestor, NoProgress};
use crate::llm::LlmClient;
use crate::prep::{PrepError, PrepReport, QuestionBank};
use crate::retrieve::{MatchError, MatchRequest, MatchResponse, Retriever};
pub use crate::store::open as open_store;
use crate::store::{Store, StoreError};
use crate::stories::{
    is_story_id, story_id, upload_sources, NamedText, Page, StoryDetail, StoryError, StoryList,
    StorySummary,
};
use crate::tagging::StoryTagger;

/// Errors while starting up.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("a reindex of this store is unfinished (its work is in {path}): run `starcoach reindex` to finish it before using the store")]
    ReindexUnfinished { path: String },
}

/// The long-lived parts of starcoach, shared by the CLI and the HTTP server: every
/// command and route calls one of its methods.
#[derive(Clone)]
pub struct Coach {
    settings: Arc<Settings>,
    store: Arc<dyn Store>,
    embedder: Arc<dyn Embedder>,
    retriever: Arc<Retriever>,
    ingestor: Arc<Ingestor>,
    critic: Arc<Critic>,
    /// Competency tagging by the LLM for coverage; `None` without an LLM or when
    /// `coverage.llm_tagging` is off.
    tagger: Option<Arc<StoryTagger>>,
    /// The question bank, or why it cannot be read.
    questions: Arc<Result<QuestionBank, String>>,
    /// Where critiques and practice sessions are recorded; `None` when the history is
    /// off.
    history: Option<Arc<dyn History>>,
    session_locks: Arc<SessionLocks>,
}

/// The question bank configured in `settings`, checked against the competency list.
fn load_question_bank(
    settings: &Settings,
    competencies: Result<&CompetencySet, &str>,
) -> Result<QuestionBank, String> {
    QuestionBank::load(&settings.practice.questions_file, competencies?)
}

impl Coach {
    /// Load the embedding model and open the store described by `settings`.
    pub async fn open(settings: Settings) -> Result<Self, StartupError> {
        // Read now, so that a bad list stops start-up instead of failing every request.
        let competencies = CompetencySet::load(&settings.retrieval.competencies_file)
            .map_err(|reason| ConfigError::setting("retrieval.competencies_file", reason))?;
        let questions = load_question_bank(&settings, Ok(&competencies))
            .map_err(|reason| ConfigError::setting("practice.questions_file", reason))?;
        if let Some(path) = crate::reindex::unfinished(&settings.store) {
            return Err(StartupError::ReindexUnfinished {
                path: path.display().to_string(),
            });
        }
        let embedder = crate::embed::open(&settings).await?;
        let store = open_store(&settings.store, embedder.dimension()).await?;
        store.bind_model(embedder.model_id()).await?;
        let history = if settings.history.enabled {
            let path = settings.history.file(&settings.store.path);
            Some(Arc::new(SqliteHistory::open(&path).await?) as Arc<dyn History>)
        } else {
            None
        };
        let coach = Self::assemble(settings, store, embedder, Ok(competencies), Ok(questions));
        Ok(match history {
            Some(history) => coach.with_history(history),
            None => coach,
        })
    }

    /// Assemble from already built parts (used by tests to share one model).
    pub fn from_parts(
        settings: Settings,
        store: Arc<dyn Store>,
        embedder: Arc<dyn Embedder>,
    ) -> Self {
        let competencies = CompetencySet::load(&settings.retrieval.competencies_file);
        if let Err(e) = &competencies {
            tracing::error!(error = %e, "competency list unusable");
        }
        let questions =
            load_question_bank(&settings, competencies.as_ref().map_err(String::as_str));
        Self::assemble(settings, store, embedder, competencies, questions)
    }

    /// The parts around the competency list and question bank, each read once.
    fn assemble(
        settings: Settings,
        store: Arc<dyn Store>,
        embedder: Arc<dyn Embedder>,
        competencies: Result<CompetencySet, String>,
        questions: Result<QuestionBank, String>,
    ) -> Self {
        let retriever = Retriever::new(
            store.clone(),
            embedder.clone(),
            settings.calibrated_retrieval(),
            competencies,
        );
        let ingestor = Ingestor::new(store.clone(), embedder.clone(), settings.ingest.write_batch);
        let retriever = Arc::new(retriever);
        let critic = Critic::new(
            retriever.clone(),
            LlmClient::from_settings(&settings.llm),
            settings.critique.max_transcript_chars,
            settings.llm.context_tokens,
            settings.llm.max_tokens as usize,
        );
        let tagger = LlmClient::from_settings(&settings.llm)
            .filter(|_| settings.coverage.llm_tagging)
            .map(|llm| {
                let budget = std::time::Duration::from_secs(settings.coverage.llm_budget_secs);
                Arc::new(StoryTagger::new(llm, budget))
            });
        Self {
            questions: Arc::new(questions),
            history: None,
            session_locks: Arc::default(),
            settings: Arc::new(settings),
            store,
            embedder,
            retriever,
            ingestor: Arc::new(ingestor),
            critic: Arc::new(critic),
            tagger,
        }
    }

    /// Record critiques and sessions in `history` (tests pass a temporary database).
    pub fn with_history(mut self, history: Arc<dyn History>) -> Self {
        self.history = Some(history);
        self
    }

    /// The history, or [`HistoryError::Disabled`] when it is off.
    pub fn history(&self) -> Result<&Arc<dyn History>, HistoryError> {
        self.history.as_ref().ok_or(HistoryError::Disabled)
    }

    /// Locks that serialise changes to one practice session.
    pub fn session_locks(&self) -> &SessionLocks {
        &self.session_locks
    }

    /// Record `critique` in `user`'s history (nothing when the history is off); its
    /// id. The competency is `competency` (a practice question's), else the one the
    /// question asks about. A failure is logged, never lost silently, and never fails
    /// the critique itself.
    pub async fn record_critique(
        &self,
        user: &str,
        critique: &Critique,
        origin: Origin,
        session_id: Option<String>,
        competency: Option<String>,
    ) -> Option<i64> {
        let history = self.history.as_ref()?;
        let competency = competency.or_else(|| {
            critique
                .relevance
                .as_ref()
                .and_then(|r| r.question_asks.as_ref())
                .map(|c| c.id.clone())
        });
        let record = HistoryRecord::from_critique(critique, competency, origin, session_id);
        match history.record(user, &record).await {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!(error = %e, user = %user, "could not record the critique in the history");
                None
            }
        }
    }

    /// `limit` entries of `user`'s history after the newest `offset`, newest first
    /// (resolve them with [`Page::resolve`]).
    pub async fn history_page(
        &self,
        user: &str,
        offset: usize,
        limit: usize,
    ) -> Result<HistoryPage, HistoryError> {
        let (entries, total) = self.history()?.entries(user, offset, limit).await?;
        Ok(HistoryPage {
            user: user.to_string(),
            total,
            entries,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The store, for operations below the coach (tests, benchmarks, readiness).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// The retriever, for what the coach's methods do not cover (evaluation,
    /// benchmarks, warming caches).
    pub fn retriever(&self) -> &Arc<Retriever> {
        &self.retriever
    }

    pub fn ingestor(&self) -> &Arc<Ingestor> {
        &self.ingestor
    }

    /// The critic, for a critique with a deadline of the caller's choosing.
    pub fn critic(&self) -> &Arc<Critic> {
        &self.critic
    }

    /// The configured LLM, if any.
    pub fn llm(&self) -> Option<&LlmClient> {
        self.critic.llm()
    }

    /// Embed the competency list and `user`'s sentences ahead of the first question;
    /// the number of sentences embedded.
    pub async fn warm(&self, user: &str) -> Result<usize, MatchError> {
        self.retriever.warm(user).await
    }

    /// Ingest files and directories for `user`: only what changed is embedded.
    pub async fn ingest_paths(
        &self,
        user: &str,
        paths: &[PathBuf],
        progress: &dyn IngestProgress,
    ) -> Result<crate::ingest::IngestReport, IngestError> {
        self.ingestor.ingest_paths(user, paths, progress).await
    }

    /// Ingest uploaded files for `user` under `upload:<name>`, every name checked
    /// first; `list_field` names the list in errors.
    pub async fn upload(
        &self,
        user: &str,
        files: Vec<NamedText>,
        list_field: &str,
    ) -> Result<crate::ingest::IngestReport, StoryError> {
        let files = upload_sources(files, list_field)?;
        Ok(self.ingestor.ingest_texts(user, files, &NoProgress).await?)
    }

    /// Rank `user`'s stories for a question (build the request with
    /// [`MatchRequest::new`] for the configured default `top_k`).
    pub async fn match_stories(
        &self,
        user: &str,
        request: &MatchRequest,
    ) -> Result<MatchResponse, MatchError> {
        self.retriever.match_stories(user, request).await
    }

    /// Critique an answer; with an LLM, waits for it at most
    /// [`Settings::critique_budget`] before answering with the deterministic critique.
    pub async fn critique(
        &self,
        user: &str,
        request: &CritiqueRequest,
        in_request: bool,
    ) -> Result<Critique, CritiqueError> {
        let deadline = Instant::now() + self.settings.critique_budget(in_request);
        self.critic.critique(user, request, deadline).await
    }

    /// The question bank (`practice.questions_file` or the built-in one).
    pub fn question_bank(&self) -> Result<&QuestionBank, PrepError> {
        self.questions
            .as_ref()
            .as_ref()
            .map_err(|reason| PrepError::Bank(reason.clone()))
    }

    /// A preparation plan for the job described in `job_text`, on `user`'s stories;
    /// with an LLM configured and `llm_budget`, also questions it writes for the job
    /// (waited for at most that long).
    pub async fn prep(
        &self,
        user: &str,
        job_text: &str,
        llm_budget: Option<std::time::Duration>,
    ) -> Result<PrepReport, PrepError> {
        let bank = self.question_bank()?;
        let llm = self
            .llm()
            .zip(llm_budget)
            .map(|(llm, budget)| crate::prep::PrepLlmCall {
                llm,
                deadline: Instant::now() + budget,
            });
        crate::prep::prepare(
            &self.retriever,
            bank,
            &self.settings.practice,
            user,
            job_text,
            llm,
        )
        .await
    }

    /// Competency coverage of `user`'s bank, with the LLM's tags when configured.
    pub async fn coverage(&self, user: &str) -> Result<CoverageReport, MatchError> {
        crate::coverage::coverage(&self.retriever, self.tagger.as_deref(), user).await
    }

    /// A page of `user`'s stories.
    pub async fn list_stories(&self, user: &str, page: Page) -> Result<StoryList, StoryError> {
        let (offset, limit) = page.resolve()?;
        let bank = self.retriever.load_bank(user).await?;
        let stories = bank
            .stories()
            .skip(offset)
            .take(limit)
            .map(StorySummary::from)
            .collect();
        Ok(StoryList {
            total: bank.len(),
            stories,
        })
    }

    /// One of `user`'s stories by its id, with its sections.
    pub async fn story(&self, user: &str, id: &str) -> Result<StoryDetail, StoryError> {
        Ok(StoryDetail::from(&self.find_story(user, id).await?))
    }

    /// Delete one of `user`'s stories from the store (its file, ingested again, brings
    /// it back).
    pub async fn delete_story(&self, user: &str, id: &str) -> Result<(), StoryError> {
        let story = self.find_story(user, id).await?;
        self.store
            .delete_documents(user, std::slice::from_ref(&story.doc_id))
            .await?;
        self.store.flush().await?;
        Ok(())
    }

    async fn find_story(
        &self,
        user: &str,
        id: &str,
    ) -> Result<crate::retrieve::BankStory, StoryError> {
        if !is_story_id(id) {
            return Err(StoryError::NotFound);
        }
        let bank = self.retriever.load_bank(user).await?;
        let found = bank.stories().find(|s| story_id(&s.doc_id) == id).cloned();
        found.ok_or(StoryError::NotFound)
    }
}
