//! Wiring: build the store, the embedder and the services on top of them from
//! [`Settings`], once per process.

use std::sync::Arc;

use crate::competency::CompetencySet;
use crate::config::{ConfigError, Settings, StoreSettings};
use crate::coverage::CoverageReport;
use crate::critique::Critic;
use crate::embed::{EmbedError, Embedder, LocalEmbedder};
use crate::ingest::Ingestor;
use crate::llm::LlmClient;
use crate::retrieve::{MatchError, Retriever};
use crate::store::{EdgeOptions, EdgeStore, ServerOptions, ServerStore, Store, StoreError};
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
}

/// The long-lived parts of starcoach, shared by the CLI and the HTTP server.
#[derive(Clone)]
pub struct Coach {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    pub embedder: Arc<dyn Embedder>,
    pub retriever: Arc<Retriever>,
    pub ingestor: Arc<Ingestor>,
    pub critic: Arc<Critic>,
    /// Competency tagging by the LLM for coverage; `None` without an LLM or when
    /// `coverage.llm_tagging` is off.
    pub tagger: Option<Arc<StoryTagger>>,
}

impl Coach {
    /// Load the embedding model and open the store described by `settings`.
    pub async fn open(settings: Settings) -> Result<Self, StartupError> {
        // Read now, so that a bad list stops start-up instead of failing every request.
        CompetencySet::load(&settings.retrieval.competencies_file)
            .map_err(|reason| ConfigError::setting("retrieval.competencies_file", reason))?;
        let model_dir = settings.model_dir();
        let batch = settings.embedding.batch_size;
        let embedder = tokio::task::spawn_blocking(move || LocalEmbedder::load(&model_dir, batch))
            .await
            .map_err(|e| EmbedError::Inference(e.to_string()))??;
        let embedder: Arc<dyn Embedder> = Arc::new(embedder);
        let store = open_store(&settings.store, embedder.dimension()).await?;
        Ok(Self::from_parts(settings, store, embedder))
    }

    /// Assemble from already built parts (used by tests to share one model).
    pub fn from_parts(
        settings: Settings,
        store: Arc<dyn Store>,
        embedder: Arc<dyn Embedder>,
    ) -> Self {
        let retriever = Retriever::new(store.clone(), embedder.clone(), settings.retrieval.clone());
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
            settings: Arc::new(settings),
            store,
            embedder,
            retriever,
            ingestor: Arc::new(ingestor),
            critic: Arc::new(critic),
            tagger,
        }
    }

    /// Competency coverage of `user`'s bank, with the LLM's tags when configured.
    pub async fn coverage(&self, user: &str) -> Result<CoverageReport, MatchError> {
        crate::coverage::coverage(&self.retriever, self.tagger.as_deref(), user).await
    }
}

/// The Qdrant server when `qdrant_url` is set, else the embedded store at `path`.
pub async fn open_store(
    settings: &StoreSettings,
    dense_dim: usize,
) -> Result<Arc<dyn Store>, StoreError> {
    if !settings.qdrant_url.is_empty() {
        let key = settings.qdrant_api_key.expose().to_owned();
        let options = ServerOptions {
            graph_search: settings.graph_search,
            ..ServerOptions::default()
        };
        let store = ServerStore::connect_with(
            &settings.qdrant_url,
            Some(key),
            &settings.collection,
            dense_dim,
            &options,
        )
        .await?;
        return Ok(Arc::new(store));
    }
    let store_dir = settings.path.clone();
    let options = EdgeOptions {
        graph_search: settings.graph_search,
        ..EdgeOptions::default()
    };
    let store =
        tokio::task::spawn_blocking(move || EdgeStore::open_with(&store_dir, dense_dim, &options))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))??;
    Ok(Arc::new(store))
}
