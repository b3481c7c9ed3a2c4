//! Turning text into dense vectors: the [`Embedder`] trait and its backends.

use async_trait::async_trait;

mod attention;
mod bert;
mod embeddinggemma;
mod gemma;
mod kernels;
mod local;
mod remote;
mod small_product;
mod token_table;
pub use embeddinggemma::GemmaEmbedder;
pub use local::LocalEmbedder;
pub use remote::OpenAiEmbedder;

/// Errors from an embedding backend.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("embedding model not found at {path}: run `bash scripts/setup-model.sh` (EmbeddingGemma, the default) or `bash scripts/setup-model.sh minilm` to download it, or set STARCOACH__EMBEDDING__MODEL_DIR")]
    ModelMissing { path: String },
    #[error("could not load the embedding model from {path}: {reason}")]
    ModelLoad { path: String, reason: String },
    #[error("embedding failed: {0}")]
    Inference(String),
    #[error("the embeddings endpoint at {url} failed: {reason}")]
    Remote { url: String, reason: String },
}

/// What a text is to the search: models such as EmbeddingGemma embed a question and a
/// stored text with different prompts; MiniLM embeds both alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextRole {
    /// A question or another text to search with.
    Query,
    /// A stored text to be found.
    Document,
    /// A text embedded exactly as given, with no prompt: what `POST /v1/embeddings`
    /// serves, so that a client adds the prompts it wants (as with Ollama's models).
    Plain,
}

/// A text embedder producing L2-normalised vectors of a fixed dimension.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// Vector dimension (384 for all-MiniLM-L6-v2).
    fn dimension(&self) -> usize;
    /// Model identifier, stored with the vectors so that a model change is detected.
    fn model_id(&self) -> &str;
    /// Embed a batch of texts in one role; the output has one vector per input, in order.
    async fn embed(&self, texts: Vec<String>, role: TextRole) -> Result<Vec<Vec<f32>>, EmbedError>;
}

pub use crate::config::{default_model_dir, model_cache_dir, EmbeddingModel};

/// Load the embedder `settings` configure (model, folder, batch, dimensions), on a
/// blocking thread.
pub async fn open(
    settings: &crate::config::Settings,
) -> Result<std::sync::Arc<dyn Embedder>, EmbedError> {
    let model = settings.embedding.model;
    if model == EmbeddingModel::Openai {
        let embedder = OpenAiEmbedder::connect(
            &settings.embedding.openai,
            settings.embedding.batch_size,
            settings.embedding.dimensions,
        )
        .await?;
        return Ok(std::sync::Arc::new(embedder));
    }
    let dir = settings.model_dir();
    let batch = settings.embedding.batch_size;
    let dimensions = settings.embedding.dimensions;
    tokio::task::spawn_blocking(move || load_local(model, &dir, batch, dimensions))
        .await
        .map_err(|e| EmbedError::Inference(format!("loading the model failed: {e}")))?
}

/// Load the configured local model from `dir`; `dimensions` 0 keeps the model's own.
/// Blocks while the weights load (seconds): call it from a blocking task.
pub fn load_local(
    model: EmbeddingModel,
    dir: &std::path::Path,
    batch_size: usize,
    dimensions: usize,
) -> Result<std::sync::Arc<dyn Embedder>, EmbedError> {
    Ok(match model {
        EmbeddingModel::Minilm => std::sync::Arc::new(LocalEmbedder::load(dir, batch_size)?),
        EmbeddingModel::Embeddinggemma => std::sync::Arc::new(GemmaEmbedder::load(
            dir,
            batch_size,
            (dimensions != 0).then_some(dimensions),
        )?),
        EmbeddingModel::Openai => {
            return Err(EmbedError::ModelLoad {
                path: dir.display().to_string(),
                reason: "the openai model is remote: open it with embed::open".into(),
            })
        }
    })
}
