//! Turning text into dense vectors: the [`Embedder`] trait and its backends.

use async_trait::async_trait;

mod attention;
mod bert;
mod kernels;
mod local;
mod small_product;
pub use local::LocalEmbedder;

/// Errors from an embedding backend.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("embedding model not found at {path}: run `starcoach setup` (or `bash scripts/setup-model.sh`) to download it, or set STARCOACH__EMBEDDING__MODEL_DIR")]
    ModelMissing { path: String },
    #[error("could not load the embedding model from {path}: {reason}")]
    ModelLoad { path: String, reason: String },
    #[error("embedding failed: {0}")]
    Inference(String),
}

/// A text embedder producing L2-normalised vectors of a fixed dimension.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// Vector dimension (384 for all-MiniLM-L6-v2).
    fn dimension(&self) -> usize;
    /// Model identifier, stored with the vectors so that a model change is detected.
    fn model_id(&self) -> &str;
    /// Embed a batch of texts; the output has one vector per input, in order.
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError>;
}

pub use crate::config::default_model_dir;
