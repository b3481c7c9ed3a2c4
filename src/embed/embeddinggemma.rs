//! EmbeddingGemma-300M on the CPU: prompts, tokenisation, batching and Matryoshka truncation
//! around the encoder in `gemma.rs`.

// Questions are embedded as `task: search result | query: {text}`, stored texts as
// `title: none | text: {text}` (the model card's retrieval prompts, which
// sentence-transformers applies by `prompt_name`). Texts are cut at 512 tokens including
// the prompt and `<bos>`/`<eos>`. Inputs are sorted by length and cut into batches that run
// in parallel on rayon's pool, as for MiniLM.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use rayon::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use super::gemma::{GemmaConfig, GemmaEncoder};
use super::{EmbedError, Embedder, TextRole};

/// Identifier stored alongside the vectors (with the dimension when truncated).
pub const MODEL_ID: &str = "google/embeddinggemma-300m";
/// The model's own output dimension.
pub const FULL_DIMENSION: usize = 768;
/// Matryoshka dimensions the model was trained to be truncated to.
pub const MATRYOSHKA_DIMENSIONS: [usize; 4] = [768, 512, 256, 128];
/// Prompt before a question.
pub const QUERY_PROMPT: &str = "task: search result | query: ";
/// Prompt before a stored text.
pub const DOCUMENT_PROMPT: &str = "title: none | text: ";
const REQUIRED_FILES: [&str; 5] = [
    "config.json",
    "tokenizer.json",
    "model.safetensors",
    "2_Dense/model.safetensors",
    "3_Dense/model.safetensors",
];

/// EmbeddingGemma-300M. Cheap to clone (the model is shared through an [`Arc`]).
#[derive(Clone)]
pub struct GemmaEmbedder {
    inner: Arc<Inner>,
}

struct Inner {
    encoder: GemmaEncoder,
    /// Truncates to the encoder's limit, no padding (sequences are packed).
    tokenizer: Tokenizer,
    /// The same tokenizer without truncation, for [`GemmaEmbedder::count_tokens`].
    counter: Tokenizer,
    dimension: usize,
    model_id: String,
    batch_size: usize,
}

impl std::fmt::Debug for GemmaEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GemmaEmbedder")
            .field("model_id", &self.inner.model_id)
            .field("dimension", &self.inner.dimension)
            .field("batch_size", &self.inner.batch_size)
            .finish()
    }
}

impl GemmaEmbedder {
    /// Load the sentence-transformers folder at `model_dir`. `dimension` truncates the
    /// vectors (Matryoshka; one of [`MATRYOSHKA_DIMENSIONS`]), `None` keeps 768.
    pub fn load(
        model_dir: &Path,
        batch_size: usize,
        dimension: Option<usize>,
    ) -> Result<Self, EmbedError> {
        let started = Instant::now();
        for file in REQUIRED_FILES {
            let path = model_dir.join(file);
            if !path.is_file() {
                return Err(EmbedError::ModelMissing {
                    path: path.display().to_string(),
                });
            }
        }
        let dimension = dimension.unwrap_or(FULL_DIMENSION);
        if !MATRYOSHKA_DIMENSIONS.contains(&dimension) {
            return Err(EmbedError::ModelLoad {
                path: model_dir.display().to_string(),
                reason: format!(
                    "dimension {dimension} is not one EmbeddingGemma was trained for ({MATRYOSHKA_DIMENSIONS:?})"
                ),
            });
        }
        let load_err = |path: PathBuf, reason: String| EmbedError::ModelLoad {
            path: path.display().to_string(),
            reason,
        };
        let config_path = model_dir.join("config.json");
        let config: GemmaConfig = std::fs::read_to_string(&config_path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|e| load_err(config_path.clone(), e))?;

        let device = Device::Cpu;
        let weights = |rel: &str| -> Result<VarBuilder<'static>, EmbedError> {
            let path = model_dir.join(rel);
            // SAFETY: the files are only read; starcoach never writes into the model
            // folder while it is loaded (memory-mapping avoids holding the files twice
            // while the tensors are built; the mapping is dropped once they are).
            unsafe { VarBuilder::from_mmaped_safetensors(&[&path], DType::F32, &device) }
                .map_err(|e| load_err(path, e.to_string()))
        };
        let encoder = GemmaEncoder::load(
            &model_dir.join("model.safetensors"),
            weights("model.safetensors")?,
            weights("2_Dense/model.safetensors")?,
            weights("3_Dense/model.safetensors")?,
            &config,
        )
        .map_err(|e| load_err(model_dir.to_path_buf(), e.to_string()))?;

        let tokenizer_path = model_dir.join("tokenizer.json");
        let mut counter = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| load_err(tokenizer_path.clone(), e.to_string()))?;
        counter.with_padding(None);
        counter
            .with_truncation(None)
            .map_err(|e| load_err(tokenizer_path.clone(), e.to_string()))?;
        let mut tokenizer = counter.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: encoder.max_tokens(),
                ..TruncationParams::default()
            }))
            .map_err(|e| load_err(tokenizer_path.clone(), e.to_string()))?;

        let model_id = if dimension == FULL_DIMENSION {
            MODEL_ID.to_owned()
        } else {
            format!("{MODEL_ID}@{dimension}")
        };
        tracing::debug!(
            dir = %model_dir.display(),
            dimension,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded EmbeddingGemma"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                encoder,
                tokenizer,
                counter,
                dimension,
                model_id,
                batch_size: batch_size.max(1),
            }),
        })
    }

    /// Embed `texts` in `role`, blocking the calling thread (use [`Embedder::embed`] from
    /// async code). One L2-normalised vector per input, in input order.
    pub fn embed_sync(&self, texts: &[&str], role: TextRole) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed(texts, role)
    }

    /// Tokens `text` becomes as a stored text (prompt, `<bos>`, `<eos>` included), before truncation.
    pub fn count_tokens(&self, text: &str) -> usize {
        let prompted = format!("{DOCUMENT_PROMPT}{text}");
        self.inner
            .counter
            .encode_fast(prompted, true)
            .map(|e| e.len())
            .unwrap_or(text.len() + 2)
    }

    /// The longest input, in tokens including prompt and specials, that is embedded whole.
    pub fn max_tokens(&self) -> usize {
        self.inner.encoder.max_tokens()
    }
}

impl Inner {
    fn embed(&self, texts: &[&str], role: TextRole) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let prompt = match role {
            TextRole::Query => QUERY_PROMPT,
            TextRole::Document => DOCUMENT_PROMPT,
            TextRole::Plain => "",
        };
        let prompted: Vec<String> = texts.iter().map(|t| format!("{prompt}{t}")).collect();
        let encodings = self
            .tokenizer
            .encode_batch_fast(prompted, true)
            .map_err(|e| EmbedError::Inference(format!("tokenization failed: {e}")))?;
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());
        let batches: Vec<&[usize]> = order.chunks(self.batch_size).collect();
        let results = batches
            .par_iter()
            .with_max_len(1)
            .map(|batch| {
                let seqs: Vec<&[u32]> = batch.iter().map(|&i| encodings[i].get_ids()).collect();
                self.encoder.embed(&seqs)
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(|e| EmbedError::Inference(e.to_string()))?;
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for (batch, vectors) in batches.iter().zip(results) {
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = truncate(v, self.dimension);
            }
        }
        Ok(out)
    }
}

/// Keep the first `dimension` values and L2-normalise again (Matryoshka truncation).
fn truncate(mut v: Vec<f32>, dimension: usize) -> Vec<f32> {
    if v.len() <= dimension {
        return v;
    }
    v.truncate(dimension);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

#[async_trait]
impl Embedder for GemmaEmbedder {
    fn dimension(&self) -> usize {
        self.inner.dimension
    }

    fn model_id(&self) -> &str {
        &self.inner.model_id
    }

    async fn embed(&self, texts: Vec<String>, role: TextRole) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            inner.embed(&refs, role)
        })
        .await
        .map_err(|e| EmbedError::Inference(format!("embedding task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_renormalises() {
        let v = truncate(vec![3.0, 4.0, 12.0], 2);
        assert_eq!(v.len(), 2);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert_eq!(truncate(vec![1.0, 0.0], 2), vec![1.0, 0.0]);
    }
}
