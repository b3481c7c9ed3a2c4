//! Where embedded chunks live: the [`Store`] trait and its Qdrant backends.

// Every point belongs to exactly one user; every read and write takes the user and
// filters on it, so one user's stories are never visible to another.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::config::StoreSettings;
use crate::corpus::{DocumentKind, LineSpan, SectionKind};

pub(crate) mod dense;
mod edge;
mod payload;
mod ranked;
pub(crate) mod select;
mod server;
mod term_stats;
pub use dense::{GRAPH_EF, RESCORE_OVERSAMPLING};
pub use edge::{EdgeOptions, EdgeStats, EdgeStore};
pub use server::{ServerOptions, ServerStats, ServerStore};

/// Errors from a store backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {path} is in use by another starcoach process (is `starcoach serve` running?)")]
    Locked { path: String },
    #[error("could not open the store at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("the store holds {stored}-dimensional vectors but the embedder produces {expected}: run `starcoach reindex` to re-embed it with the configured model, or configure the model that wrote it ([embedding] model)")]
    DimensionMismatch { stored: usize, expected: usize },
    #[error("the store was written by the embedding model {stored}, and this configuration embeds with {expected}: run `starcoach reindex` to re-embed it with the configured model (from the stored text), or configure the model that wrote it ([embedding] model, dimensions)")]
    ModelMismatch { stored: String, expected: String },
    #[error("store operation failed: {0}")]
    Backend(String),
}

/// Everything stored with a chunk besides its vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkPayload {
    pub user: String,
    pub doc_id: String,
    pub content_hash: String,
    pub kind: DocumentKind,
    pub section: SectionKind,
    pub source: String,
    pub title: String,
    pub tags: Vec<String>,
    /// Lines of the whole document in its source file.
    pub doc_lines: LineSpan,
    /// Lines of this chunk in its source file.
    pub lines: LineSpan,
    pub chunk_index: usize,
    pub chunk_count: usize,
    /// The chunk's text as shown to the user (without the title prefix used for embedding).
    pub text: String,
}

/// A chunk ready to be written: id, dense vector, text for BM25 and payload.
#[derive(Debug, Clone)]
pub struct ChunkPoint {
    pub id: uuid::Uuid,
    pub dense: Vec<f32>,
    /// Text the BM25 sparse vector is computed from.
    pub sparse_text: String,
    pub payload: ChunkPayload,
}

/// What the store knows about one stored document, aggregated over its chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub doc_id: String,
    pub source: String,
    /// Distinct content hashes seen on the document's chunks (one when complete).
    pub content_hashes: Vec<String>,
    pub doc_lines: LineSpan,
    /// Chunks present in the store.
    pub chunks_present: usize,
    /// Chunks the document was written with (from the payload).
    pub chunks_expected: usize,
}

impl StoredDocument {
    /// True when every chunk of one version is present: an interrupted write is not.
    pub fn is_complete(&self) -> bool {
        self.content_hashes.len() == 1 && self.chunks_present == self.chunks_expected
    }
}

/// How to rank chunks for a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    Dense,
    Bm25,
    /// Dense and BM25 lists fused by reciprocal rank (see `store::ranked`).
    Hybrid,
}

/// A chunk search for one user.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub dense: Vec<f32>,
    pub text: String,
    pub mode: SearchMode,
    pub kind: Option<DocumentKind>,
    pub limit: usize,
}

/// One chunk returned by a search, best first.
#[derive(Debug, Clone)]
pub struct ChunkHit {
    pub score: f32,
    pub payload: ChunkPayload,
}

/// A vector store holding users' chunks.
#[async_trait]
pub trait Store: Send + Sync {
    /// Write chunks (insert or overwrite by id). Durable only after [`Store::flush`].
    async fn upsert(&self, points: Vec<ChunkPoint>) -> Result<(), StoreError>;
    /// Remove every chunk of the given documents of `user`.
    async fn delete_documents(&self, user: &str, doc_ids: &[String]) -> Result<(), StoreError>;
    /// Update the line numbers of a document whose content did not change.
    async fn set_document_lines(
        &self,
        user: &str,
        doc_id: &str,
        doc_lines: LineSpan,
        chunk_lines: &[LineSpan],
    ) -> Result<(), StoreError>;
    /// Every document `user` has stored, with its hashes and chunk counts.
    async fn documents(&self, user: &str) -> Result<Vec<StoredDocument>, StoreError>;
    /// Every chunk of `user` of one `kind`, in no particular order. Read page by
    /// page, so listing a large bank never holds more than one page of the backend's
    /// records beside the result.
    async fn chunks(&self, user: &str, kind: DocumentKind)
        -> Result<Vec<ChunkPayload>, StoreError>;
    /// Every chunk of every user, in no particular order, read page by page: what
    /// `starcoach reindex` re-embeds from the stored text.
    async fn all_chunks(&self) -> Result<Vec<ChunkPayload>, StoreError>;
    /// Ranked chunks of `user` for a query.
    async fn search(&self, user: &str, query: &SearchQuery) -> Result<Vec<ChunkHit>, StoreError>;
    /// Number of chunks stored for `user`.
    async fn count(&self, user: &str) -> Result<usize, StoreError>;
    /// Make all writes so far durable.
    async fn flush(&self) -> Result<(), StoreError>;
    /// Build indexes after bulk loads (may be a no-op for small collections).
    async fn optimize(&self) -> Result<(), StoreError>;
    /// Record that `model_id` embeds this store's vectors, or fail with
    /// [`StoreError::ModelMismatch`] when another model wrote them. A store from before
    /// models were recorded takes the model it is opened with (its dimension was checked).
    async fn bind_model(&self, model_id: &str) -> Result<(), StoreError>;
    /// The model recorded by [`Store::bind_model`], if any.
    async fn recorded_model(&self) -> Result<Option<String>, StoreError>;
    /// What opening the store did to bring data written by an older starcoach up to
    /// date, one line each, told once: the first call takes it (the next ingest
    /// report says it); empty when there was nothing to do.
    fn take_upgrades(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Open the store `settings` describe: the Qdrant server when `qdrant_url` is set,
/// else the embedded store at `path` (created when missing).
pub async fn open(
    settings: &StoreSettings,
    dense_dim: usize,
) -> Result<Arc<dyn Store>, StoreError> {
    if !settings.qdrant_url.is_empty() {
        let store = connect_server(settings, dense_dim).await?;
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

/// Delete the store `settings` describe with every user's chunks: the embedded store's
/// directory, or the server's collection. Only `starcoach reindex` does, once it holds
/// every chunk re-embedded elsewhere; the embedded store must not be open. (A missing
/// collection is created with `dense_dim` on the way, to be deleted.)
pub async fn remove(settings: &StoreSettings, dense_dim: usize) -> Result<(), StoreError> {
    if !settings.qdrant_url.is_empty() {
        let store = match connect_server(settings, dense_dim).await {
            Err(StoreError::DimensionMismatch { stored, .. }) => {
                connect_server(settings, stored).await?
            }
            connected => connected?,
        };
        return store.delete_collection().await;
    }
    match std::fs::remove_dir_all(&settings.path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::Backend(format!(
            "remove the store at {}: {e}",
            settings.path.display()
        ))),
    }
}

async fn connect_server(
    settings: &StoreSettings,
    dense_dim: usize,
) -> Result<ServerStore, StoreError> {
    let key = settings.qdrant_api_key.expose().to_owned();
    let options = ServerOptions {
        graph_search: settings.graph_search,
        ..ServerOptions::default()
    };
    ServerStore::connect_with(
        &settings.qdrant_url,
        Some(key),
        &settings.collection,
        dense_dim,
        &options,
    )
    .await
}
