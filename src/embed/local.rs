//! A local, CPU-only embedder: all-MiniLM-L6-v2 run with candle.

// Reproduces sentence-transformers' `all-MiniLM-L6-v2` pipeline: WordPiece tokenisation
// truncated to 256 tokens, BERT encoder, mean pooling over the attention mask, L2
// normalisation. The model files come from `scripts/setup-model.sh`.
//
// Speed: inputs are sorted by token count and cut into batches of `batch_size` texts of
// similar length; the batches run in parallel on rayon's global pool (each core runs its
// own batch; the large matrix products split across cores when one is idle). The encoder
// (`bert.rs`) packs a batch's tokens without padding. Inputs come back in input order.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use rayon::prelude::*;
use tokenizers::{Tokenizer, TruncationParams};

use super::bert::{BertConfig, BertEncoder};
use super::{EmbedError, Embedder, TextRole};

/// Identifier stored alongside the vectors.
pub const MODEL_ID: &str = "sentence-transformers/all-MiniLM-L6-v2";
/// sentence-transformers' `max_seq_length` for this model (tokens, including `[CLS]`/`[SEP]`).
pub const MAX_TOKENS: usize = 256;
/// Files that must be present in the model directory.
const REQUIRED_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// all-MiniLM-L6-v2 on the CPU. Cheap to clone (the model is shared through an [`Arc`]).
#[derive(Clone)]
pub struct LocalEmbedder {
    inner: Arc<Inner>,
}

struct Inner {
    model: BertEncoder,
    /// Truncates to [`MAX_TOKENS`] and does not pad: the encoder packs a batch's tokens
    /// and runs attention per sequence, so no padding is ever computed.
    tokenizer: Tokenizer,
    /// Same tokenizer without truncation, for [`LocalEmbedder::count_tokens`].
    counter: Tokenizer,
    dimension: usize,
    batch_size: usize,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("model_id", &MODEL_ID)
            .field("dimension", &self.inner.dimension)
            .field("batch_size", &self.inner.batch_size)
            .finish()
    }
}

impl LocalEmbedder {
    /// Load the model from `model_dir` (holding `config.json`, `tokenizer.json` and
    /// `model.safetensors`). Texts are embedded `batch_size` at a time (0 is taken as 1).
    ///
    /// A missing directory or file gives [`EmbedError::ModelMissing`]; unreadable or
    /// inconsistent files give [`EmbedError::ModelLoad`].
    pub fn load(model_dir: &Path, batch_size: usize) -> Result<Self, EmbedError> {
        let started = Instant::now();
        if !model_dir.is_dir() {
            return Err(missing(model_dir));
        }
        for file in REQUIRED_FILES {
            if !model_dir.join(file).is_file() {
                return Err(missing(&model_dir.join(file)));
            }
        }
        let load_err = |path: PathBuf, reason: String| EmbedError::ModelLoad {
            path: path.display().to_string(),
            reason,
        };

        let config_path = model_dir.join("config.json");
        let config_text = std::fs::read_to_string(&config_path)
            .map_err(|e| load_err(config_path.clone(), e.to_string()))?;
        let config: BertConfig = serde_json::from_str(&config_text)
            .map_err(|e| load_err(config_path.clone(), e.to_string()))?;
        let dimension = config.hidden_size;

        let tokenizer_path = model_dir.join("tokenizer.json");
        let mut counter = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| load_err(tokenizer_path.clone(), e.to_string()))?;
        // tokenizer.json pins padding to a fixed 128 tokens and truncation to 128: drop
        // both, then truncate at 256 like sentence-transformers. No padding is needed
        // (the encoder packs sequences), which also beats pad-to-longest.
        counter.with_padding(None);
        counter
            .with_truncation(None)
            .map_err(|e| load_err(tokenizer_path.clone(), e.to_string()))?;
        let mut tokenizer = counter.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| load_err(tokenizer_path.clone(), e.to_string()))?;

        let device = Device::Cpu;
        let weights_path = model_dir.join("model.safetensors");
        let weights = std::fs::read(&weights_path)
            .map_err(|e| load_err(weights_path.clone(), e.to_string()))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| load_err(weights_path.clone(), e.to_string()))?;
        // The keys have no `bert.` prefix; the encoder accepts both forms.
        let model =
            BertEncoder::load(vb, &config).map_err(|e| load_err(weights_path, e.to_string()))?;

        tracing::debug!(
            dir = %model_dir.display(),
            dimension,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded local embedding model"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                model,
                tokenizer,
                counter,
                dimension,
                batch_size: batch_size.max(1),
            }),
        })
    }

    /// Embed `texts`, blocking the calling thread while rayon's pool does the work (use
    /// [`Embedder::embed`] from async code). One L2-normalised vector per input, in input
    /// order; an empty input gives an empty output. Texts longer than [`MAX_TOKENS`]
    /// tokens are truncated, as sentence-transformers does.
    pub fn embed_sync(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed(texts)
    }

    /// Number of tokens `text` becomes, including `[CLS]` and `[SEP]`, before truncation.
    /// Texts over [`LocalEmbedder::max_tokens`] lose their tail when embedded.
    pub fn count_tokens(&self, text: &str) -> usize {
        match self.inner.counter.encode_fast(text, true) {
            Ok(encoding) => encoding.len(),
            // WordPiece does not fail on text; should it ever, over-estimate (one token
            // per byte) so that a chunker splits rather than silently truncates.
            Err(_) => text.len() + 2,
        }
    }

    /// The longest input, in tokens including specials, that is embedded whole (256).
    pub fn max_tokens(&self) -> usize {
        MAX_TOKENS
    }

    /// Texts per forward pass (batches of similar-length texts run in parallel).
    pub fn batch_size(&self) -> usize {
        self.inner.batch_size
    }
}

impl Inner {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(|e| EmbedError::Inference(format!("tokenization failed: {e}")))?;

        // Sort by length so that batches hold texts of similar length and cost.
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());
        let batches: Vec<&[usize]> = order.chunks(self.batch_size).collect();

        let results = batches
            .par_iter()
            .with_max_len(1)
            .map(|batch| {
                let seqs: Vec<&[u32]> = batch.iter().map(|&i| encodings[i].get_ids()).collect();
                self.model.embed(&seqs)
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(|e| EmbedError::Inference(e.to_string()))?;

        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for (batch, vectors) in batches.iter().zip(results) {
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

fn missing(path: &Path) -> EmbedError {
    EmbedError::ModelMissing {
        path: path.display().to_string(),
    }
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn dimension(&self) -> usize {
        self.inner.dimension
    }

    fn model_id(&self) -> &str {
        MODEL_ID
    }

    /// MiniLM has no prompts: both roles embed the text as it is.
    async fn embed(
        &self,
        texts: Vec<String>,
        _role: TextRole,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            inner.embed(&refs)
        })
        .await
        .map_err(|e| EmbedError::Inference(format!("embedding task failed: {e}")))?
    }
}
