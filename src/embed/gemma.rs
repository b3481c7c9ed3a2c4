//! The EmbeddingGemma-300M encoder: a Gemma 3 text model with bidirectional attention,
//! mean pooling and two dense layers, run with candle on the CPU.

// Written from the model's `config.json` and sentence-transformers' pipeline
// (`modules.json`): token embeddings scaled by sqrt(hidden); per layer an RMSNorm
// (`x / rms(x) * (1 + w)`) before and after attention and before and after the MLP,
// q/k RMSNorms per head, rotary positions (θ 10,000 on sliding-window layers, 1,000,000
// on full-attention layers), one key/value head shared by the query heads, scores scaled
// by `query_pre_attn_scalar^-½`, an MLP `down(gelu_tanh(gate(x)) · up(x))`; then the final
// norm, the mean over every token (prompt included), 768→3072→768 without bias, and L2
// normalisation. Attention is bidirectional. On sliding-window layers a token sees the
// tokens less than `sliding_window / 2 + 1` (257) positions away on either side, as
// transformers computes it for this model; full-attention layers see every token. Texts
// are capped at 512 tokens (sentence-transformers allows 2,048; the references are made
// with the same cap).
//
// A batch's sequences are packed without padding: the projections and the MLP run on all
// tokens at once, attention per sequence. Never run in f16 (activations overflow).

use std::path::Path;

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Linear, VarBuilder};

use super::token_table::TokenTable;

type Result<T> = candle_core::Result<T>;

/// The subset of EmbeddingGemma's `config.json` the encoder needs.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct GemmaConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_key_value_heads: usize,
    pub head_dim: usize,
    pub rms_norm_eps: f64,
    pub rope_theta: f64,
    pub rope_local_base_freq: f64,
    pub query_pre_attn_scalar: f64,
    pub sliding_window: usize,
    pub layer_types: Vec<String>,
    #[serde(default)]
    pub hidden_activation: Option<String>,
    #[serde(default)]
    pub use_bidirectional_attention: Option<bool>,
}

impl GemmaConfig {
    /// Reject configurations this encoder does not compute correctly.
    fn check(&self) -> Result<()> {
        if self.use_bidirectional_attention != Some(true) {
            candle_core::bail!("not an embedding model: use_bidirectional_attention is not true");
        }
        if let Some(act) = &self.hidden_activation {
            if act != "gelu_pytorch_tanh" {
                candle_core::bail!("unsupported hidden_activation {act}");
            }
        }
        if self.layer_types.len() != self.num_hidden_layers {
            candle_core::bail!("layer_types does not list every layer");
        }
        if self.num_key_value_heads != 1 {
            candle_core::bail!(
                "expected one key/value head, found {}",
                self.num_key_value_heads
            );
        }
        Ok(())
    }
}

/// `x / rms(x) · (1 + w)`, with `1 + w` precomputed.
struct RmsNorm {
    scale: Tensor,
    eps: f32,
}

impl RmsNorm {
    fn load(vb: VarBuilder, size: usize, eps: f64) -> Result<Self> {
        let w = vb.get(size, "weight")?;
        Ok(Self {
            scale: (w + 1.0)?,
            eps: eps as f32,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::rms_norm(x, &self.scale, self.eps)
    }
}

struct Rotary {
    cos: Tensor,
    sin: Tensor,
}

impl Rotary {
    fn new(theta: f64, head_dim: usize, max_len: usize, device: &Device) -> Result<Self> {
        let inv_freq: Vec<f32> = (0..head_dim)
            .step_by(2)
            .map(|i| (1.0 / theta.powf(i as f64 / head_dim as f64)) as f32)
            .collect();
        let half = inv_freq.len();
        let inv_freq = Tensor::from_vec(inv_freq, (1, half), device)?;
        let positions = Tensor::arange(0u32, max_len as u32, device)?
            .to_dtype(DType::F32)?
            .reshape((max_len, 1))?;
        let freqs = positions.matmul(&inv_freq)?;
        Ok(Self {
            cos: freqs.cos()?,
            sin: freqs.sin()?,
        })
    }

    /// Rotate `(1, heads, n, head_dim)` by positions `0..n`.
    fn apply(&self, x: &Tensor) -> Result<Tensor> {
        let n = x.dim(2)?;
        candle_nn::rotary_emb::rope(x, &self.cos.narrow(0, 0, n)?, &self.sin.narrow(0, 0, n)?)
    }
}

struct Layer {
    input_norm: RmsNorm,
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    o_proj: Linear,
    q_norm: RmsNorm,
    k_norm: RmsNorm,
    post_attention_norm: RmsNorm,
    pre_feedforward_norm: RmsNorm,
    gate_proj: Linear,
    up_proj: Linear,
    down_proj: Linear,
    post_feedforward_norm: RmsNorm,
    sliding: bool,
}

fn linear(vb: VarBuilder, inputs: usize, outputs: usize) -> Result<Linear> {
    Ok(Linear::new(vb.get((outputs, inputs), "weight")?, None))
}

impl Layer {
    fn load(vb: VarBuilder, cfg: &GemmaConfig, sliding: bool) -> Result<Self> {
        let (h, hd, eps) = (cfg.hidden_size, cfg.head_dim, cfg.rms_norm_eps);
        let attn = vb.pp("self_attn");
        let mlp = vb.pp("mlp");
        Ok(Self {
            input_norm: RmsNorm::load(vb.pp("input_layernorm"), h, eps)?,
            q_proj: linear(attn.pp("q_proj"), h, cfg.num_attention_heads * hd)?,
            k_proj: linear(attn.pp("k_proj"), h, hd)?,
            v_proj: linear(attn.pp("v_proj"), h, hd)?,
            o_proj: linear(attn.pp("o_proj"), cfg.num_attention_heads * hd, h)?,
            q_norm: RmsNorm::load(attn.pp("q_norm"), hd, eps)?,
            k_norm: RmsNorm::load(attn.pp("k_norm"), hd, eps)?,
            post_attention_norm: RmsNorm::load(vb.pp("post_attention_layernorm"), h, eps)?,
            pre_feedforward_norm: RmsNorm::load(vb.pp("pre_feedforward_layernorm"), h, eps)?,
            gate_proj: linear(mlp.pp("gate_proj"), h, cfg.intermediate_size)?,
            up_proj: linear(mlp.pp("up_proj"), h, cfg.intermediate_size)?,
            down_proj: linear(mlp.pp("down_proj"), cfg.intermediate_size, h)?,
            post_feedforward_norm: RmsNorm::load(vb.pp("post_feedforward_layernorm"), h, eps)?,
            sliding,
        })
    }
}

/// EmbeddingGemma's encoder and its two dense layers.
pub(crate) struct GemmaEncoder {
    embed_tokens: TokenTable,
    embed_scale: f32,
    device: Device,
    layers: Vec<Layer>,
    final_norm: RmsNorm,
    dense_up: Linear,
    dense_down: Linear,
    rotary_local: Rotary,
    rotary_global: Rotary,
    heads: usize,
    head_dim: usize,
    attn_scale: f64,
    /// On sliding-window layers, tokens this far apart or more do not attend to each other.
    sliding_reach: usize,
    max_tokens: usize,
}

impl GemmaEncoder {
    /// `vb` holds the transformer (keys without a `model.` prefix), mapped from the file
    /// `transformer`, whose token embeddings (`embed_tokens.weight`) stay in the file;
    /// `dense_up` and `dense_down` hold `2_Dense` and `3_Dense` (`linear.weight`).
    pub(crate) fn load(
        transformer: &Path,
        vb: VarBuilder,
        dense_up: VarBuilder,
        dense_down: VarBuilder,
        cfg: &GemmaConfig,
    ) -> Result<Self> {
        cfg.check()?;
        let device = vb.device().clone();
        let embed_tokens = TokenTable::open(
            transformer,
            "embed_tokens.weight",
            cfg.vocab_size,
            cfg.hidden_size,
        )
        .map_err(|e| candle_core::Error::msg(format!("{}: {e}", transformer.display())))?;
        let layers = cfg
            .layer_types
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                Layer::load(
                    vb.pp(format!("layers.{i}")),
                    cfg,
                    kind == "sliding_attention",
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let max_tokens = 512;
        let dense_width = dense_up.get_unchecked("linear.weight")?.dim(0)?;
        Ok(Self {
            embed_tokens,
            // As candle's `tensor * f64` computes it: the scale as f32.
            embed_scale: (cfg.hidden_size as f64).sqrt() as f32,
            device: device.clone(),
            layers,
            final_norm: RmsNorm::load(vb.pp("norm"), cfg.hidden_size, cfg.rms_norm_eps)?,
            dense_up: linear(dense_up.pp("linear"), cfg.hidden_size, dense_width)?,
            dense_down: linear(dense_down.pp("linear"), dense_width, cfg.hidden_size)?,
            rotary_local: Rotary::new(cfg.rope_local_base_freq, cfg.head_dim, max_tokens, &device)?,
            rotary_global: Rotary::new(cfg.rope_theta, cfg.head_dim, max_tokens, &device)?,
            heads: cfg.num_attention_heads,
            head_dim: cfg.head_dim,
            attn_scale: 1.0 / cfg.query_pre_attn_scalar.sqrt(),
            sliding_reach: cfg.sliding_window / 2 + 1,
            max_tokens,
        })
    }

    /// The longest sequence, in tokens, this encoder embeds (longer ones are truncated).
    pub(crate) fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// One unnormalised-then-normalised vector per sequence of token ids, full dimension.
    pub(crate) fn embed(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let lengths: Vec<usize> = seqs.iter().map(|s| s.len()).collect();
        if let Some(&n) = lengths.iter().find(|&&n| n == 0 || n > self.max_tokens) {
            candle_core::bail!("sequence of {n} tokens (must be 1..={})", self.max_tokens);
        }
        let ids: Vec<u32> = seqs.iter().flat_map(|s| s.iter().copied()).collect();
        let total = ids.len();
        let rows = self
            .embed_tokens
            .gather(&ids, self.embed_scale)
            .map_err(candle_core::Error::msg)?;
        let mut x = Tensor::from_vec(rows, (total, self.embed_tokens.width()), &self.device)?;
        for layer in &self.layers {
            x = self.layer_forward(layer, &x, &lengths)?;
        }
        let x = self.final_norm.forward(&x)?;
        let mut pooled = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for &n in &lengths {
            pooled.push(x.narrow(0, start, n)?.mean_keepdim(0)?);
            start += n;
        }
        let pooled = Tensor::cat(&pooled, 0)?;
        let out = self.dense_down.forward(&self.dense_up.forward(&pooled)?)?;
        let norm = out
            .sqr()?
            .sum_keepdim(D::Minus1)?
            .sqrt()?
            .clamp(1e-12, f64::MAX)?;
        out.broadcast_div(&norm)?.to_vec2::<f32>()
    }

    /// `(n, n)`: 0 where two positions are within the sliding reach, -∞ elsewhere.
    fn window_mask(&self, n: usize, device: &Device) -> Result<Tensor> {
        let reach = self.sliding_reach;
        let mask: Vec<f32> = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                if i.abs_diff(j) < reach {
                    0.0
                } else {
                    f32::NEG_INFINITY
                }
            })
            .collect();
        Tensor::from_vec(mask, (n, n), device)
    }

    fn layer_forward(&self, layer: &Layer, x: &Tensor, lengths: &[usize]) -> Result<Tensor> {
        let total = x.dim(0)?;
        let h = layer.input_norm.forward(x)?;
        let q = layer
            .q_proj
            .forward(&h)?
            .reshape((total, self.heads, self.head_dim))?;
        let q = layer.q_norm.forward(&q)?;
        let k = layer.k_norm.forward(&layer.k_proj.forward(&h)?)?;
        let v = layer.v_proj.forward(&h)?;
        let rotary = if layer.sliding {
            &self.rotary_local
        } else {
            &self.rotary_global
        };
        let mut outputs = Vec::with_capacity(lengths.len());
        let mut start = 0;
        for &n in lengths {
            // (n, heads, d) → (1, heads, n, d) for the rotation; the single key/value head
            // lets every query head share one product: (heads·n, d) × (d, n).
            let q = q
                .narrow(0, start, n)?
                .transpose(0, 1)?
                .contiguous()?
                .unsqueeze(0)?;
            let q = rotary.apply(&q)?.reshape((self.heads * n, self.head_dim))?;
            let k = k.narrow(0, start, n)?.reshape((1, 1, n, self.head_dim))?;
            let k = rotary.apply(&k)?.reshape((n, self.head_dim))?;
            let v = v.narrow(0, start, n)?;
            let mut scores = (q.matmul(&k.t()?)? * self.attn_scale)?;
            if layer.sliding && n > self.sliding_reach {
                scores = scores
                    .reshape((self.heads, n, n))?
                    .broadcast_add(&self.window_mask(n, x.device())?)?
                    .reshape((self.heads * n, n))?;
            }
            let weights = candle_nn::ops::softmax_last_dim(&scores)?;
            let out = weights.matmul(&v)?; // (heads·n, d)
            let out = out
                .reshape((self.heads, n, self.head_dim))?
                .transpose(0, 1)?
                .reshape((n, self.heads * self.head_dim))?;
            outputs.push(out);
            start += n;
        }
        let attn = Tensor::cat(&outputs, 0)?;
        let attn = layer
            .post_attention_norm
            .forward(&layer.o_proj.forward(&attn)?)?;
        let x = (x + attn)?;
        let h = layer.pre_feedforward_norm.forward(&x)?;
        let gate = layer.gate_proj.forward(&h)?.gelu()?;
        let mlp = layer
            .down_proj
            .forward(&(gate * layer.up_proj.forward(&h)?)?)?;
        x + layer.post_feedforward_norm.forward(&mlp)?
    }
}
