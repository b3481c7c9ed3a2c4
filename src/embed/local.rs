//! A local, CPU-only embedder: all-MiniLM-L6-v2 run with candle.
//!
//! Reproduces sentence-transformers' `all-MiniLM-L6-v2` pipeline: WordPiece tokenisation
//! truncated to 256 tokens, BERT encoder, mean pooling over the attention mask, L2
//! normalisation. The model files come from `scripts/setup-model.sh`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Encoding, Tokenizer, TruncationParams};

use super::{EmbedError, Embedder};

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
    model: BertModel,
    /// Truncates to [`MAX_TOKENS`], no padding: batches are padded here, to their longest member.
    tokenizer: Tokenizer,
    /// Same tokenizer without truncation, for [`LocalEmbedder::count_tokens`].
    counter: Tokenizer,
    dimension: usize,
    batch_size: usize,
    device: Device,
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
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| load_err(config_path.clone(), e.to_string()))?;
        let dimension = serde_json::from_str::<serde_json::Value>(&config_text)
            .ok()
            .and_then(|v| v.get("hidden_size")?.as_u64())
            .ok_or_else(|| load_err(config_path.clone(), "no hidden_size".into()))?
            as usize;

        let tokenizer_path = model_dir.join("tokenizer.json");
        let mut counter = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| load_err(tokenizer_path.clone(), e.to_string()))?;
        // tokenizer.json pins padding to a fixed 128 tokens and truncation to 128: drop
        // both here; batches are padded to their longest member in `run_batch`.
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
        // The keys have no `bert.` prefix; BertModel::load tries both forms.
        let model =
            BertModel::load(vb, &config).map_err(|e| load_err(weights_path, e.to_string()))?;

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
                device,
            }),
        })
    }

    /// Embed `texts` on the calling thread (blocking; CPU-heavy). One L2-normalised vector
    /// per input, in input order. Texts longer than [`MAX_TOKENS`] tokens are truncated,
    /// as sentence-transformers does.
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

    /// Texts embedded per forward pass.
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

        // Sort by length so that each batch is padded as little as possible; a stable
        // sort keeps equal-length inputs in input order.
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| encodings[i].len());

        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.batch_size) {
            let batch: Vec<&Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
            let vectors = self
                .run_batch(&batch)
                .map_err(|e| EmbedError::Inference(e.to_string()))?;
            for (&i, v) in chunk.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// Forward pass for one batch, padded to its longest member; returns pooled,
    /// normalised vectors in batch order.
    fn run_batch(&self, batch: &[&Encoding]) -> candle_core::Result<Vec<Vec<f32>>> {
        let n = batch.len();
        let max_len = batch.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0u32; n * max_len];
        let mut mask = vec![0u32; n * max_len];
        for (row, enc) in batch.iter().enumerate() {
            let base = row * max_len;
            ids[base..base + enc.len()].copy_from_slice(enc.get_ids());
            mask[base..base + enc.len()].copy_from_slice(enc.get_attention_mask());
        }
        let ids = Tensor::from_vec(ids, (n, max_len), &self.device)?;
        let mask_t = Tensor::from_vec(mask.clone(), (n, max_len), &self.device)?;
        let type_ids = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask_t))?;
        let (_, seq, dim) = hidden.dims3()?;
        let hidden: Vec<f32> = hidden.flatten_all()?.to_vec1()?;

        // Mean over the tokens the mask keeps, then L2-normalise (sentence-transformers'
        // Pooling(mean) + Normalize, with the same epsilons).
        let mut vectors = Vec::with_capacity(n);
        for row in 0..n {
            let mut sum = vec![0f64; dim];
            let mut count = 0f64;
            for t in 0..seq {
                if mask[row * max_len + t] == 0 {
                    continue;
                }
                count += 1.0;
                let h = &hidden[(row * seq + t) * dim..(row * seq + t + 1) * dim];
                for (s, &x) in sum.iter_mut().zip(h) {
                    *s += f64::from(x);
                }
            }
            let count = count.max(1e-9);
            let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
            let norm = mean.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
            vectors.push(mean.iter().map(|x| (x / norm) as f32).collect());
        }
        Ok(vectors)
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

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
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
