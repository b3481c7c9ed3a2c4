//! A BERT encoder specialised for sentence embedding on the CPU.

// candle's `BertModel` computes the same function, but on a 2-core CPU it spent about
// two thirds of its wall-clock time in single-threaded element-wise ops (exact GELU via
// `erff`, a five-pass softmax, broadcast mask additions, head transposes). Here the
// weights are loaded with candle, the matrix products go straight to `gemm` (the crate
// behind candle's CPU matmul) and the element-wise work is fused into a few passes:
//
// * a batch's tokens are packed without padding; attention runs per sequence on the
//   packed Q/K/V rows, in a kernel of its own (`attention.rs`);
// * a product of a few rows (one question) streams panel-packed weights through an
//   AVX-512 kernel (`small_product.rs`); larger ones go to `gemm`;
// * `gemm` writes each product without its bias; the bias (and the residual) is added
//   in the element-wise pass that follows, so GELU and add + LayerNorm are single
//   in-place passes;
// * GELU uses a rational approximation of erf (absolute error < 1e-6), softmax a
//   polynomial `exp`, and the row reductions run over 16 lanes (`kernels.rs`);
// * the forward pass is compiled three times, for AVX-512, for AVX2 + FMA and for the
//   baseline target, and picked at run time, so those kernels use the widest vectors the
//   CPU has (the `gemm` products dispatch on their own);
// * buffers are allocated once per batch and reused by every layer.
//
// A forward pass runs on its caller's thread apart from the large products, which
// `gemm` may split over rayon's pool; callers run several batches at once (`local.rs`).

use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use gemm::Parallelism;

use super::attention::{attend, supports as supports_head_dim, AttentionScratch};
use super::kernels::{add, add_residual, gelu, layer_norm};
use super::small_product::{Panels, MAX_ROWS as SMALL_PRODUCT_ROWS};

type Result<T> = candle_core::Result<T>;

/// The subset of a BERT `config.json` the encoder needs.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default = "default_position_type")]
    pub position_embedding_type: String,
}

fn default_eps() -> f64 {
    1e-12
}
fn default_act() -> String {
    "gelu".into()
}
fn default_position_type() -> String {
    "absolute".into()
}

struct LayerNorm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

/// A dense layer `y = x W^T + b`, with `W^T` stored row-major as `(inputs, outputs)`.
struct Dense {
    wt: Vec<f32>,
    /// The same weights laid out for the few rows of a short text (`small_product.rs`).
    panels: Panels,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Dense {
    /// `(out, in)` weight and `(out)` bias tensors, as stored by PyTorch.
    fn new(weights: &[Tensor], biases: &[Tensor]) -> Result<Self> {
        let w = Tensor::cat(weights, 0)?.to_dtype(DType::F32)?;
        let (outputs, inputs) = w.dims2()?;
        let wt = w.t()?.contiguous()?.flatten_all()?.to_vec1()?;
        let bias = Tensor::cat(biases, 0)?.to_dtype(DType::F32)?.to_vec1()?;
        if bias.len() != outputs {
            candle_core::bail!("bias of {} for {outputs} outputs", bias.len());
        }
        Ok(Self {
            panels: Panels::new(&wt, inputs, outputs),
            wt,
            bias,
            inputs,
            outputs,
        })
    }

    /// `out = x W^T` for `rows` packed rows, without the bias: the caller adds it in
    /// the element-wise pass that follows (GELU, LayerNorm), saving a pass over `out`.
    fn product(&self, x: &[f32], rows: usize, out: &mut [f32]) {
        if rows <= SMALL_PRODUCT_ROWS
            && self
                .panels
                .product(
                    &x[..rows * self.inputs],
                    rows,
                    &mut out[..rows * self.outputs],
                )
                .is_some()
        {
            return;
        }
        matmul(
            Mat::row_major(&mut out[..rows * self.outputs], self.outputs),
            MatRef::row_major(&x[..rows * self.inputs], self.inputs),
            MatRef::row_major(&self.wt, self.outputs),
            (rows, self.outputs, self.inputs),
            false,
            1.0,
            Parallelism::Rayon(0),
        );
    }
}

struct Layer {
    /// Query, key and value projections side by side: `3 * hidden` outputs.
    qkv: Dense,
    attn_out: Dense,
    attn_ln: LayerNorm,
    inter: Dense,
    out: Dense,
    out_ln: LayerNorm,
}

pub(crate) struct BertEncoder {
    word: Vec<f32>,
    position: Vec<f32>,
    token_type0: Vec<f32>,
    emb_ln: LayerNorm,
    layers: Vec<Layer>,
    hidden: usize,
    head_dim: usize,
    intermediate: usize,
    max_positions: usize,
    vocab: usize,
    eps: f32,
}

fn vec1(t: Tensor) -> Result<Vec<f32>> {
    t.to_dtype(DType::F32)?.to_vec1()
}

impl BertEncoder {
    /// Load from a `VarBuilder` over the weights; keys may or may not carry a `bert.` prefix.
    pub(crate) fn load(vb: VarBuilder, config: &BertConfig) -> Result<Self> {
        if !matches!(config.hidden_act.as_str(), "gelu" | "gelu_python") {
            candle_core::bail!("unsupported hidden_act {:?}", config.hidden_act);
        }
        if config.position_embedding_type != "absolute" {
            candle_core::bail!(
                "unsupported position_embedding_type {:?}",
                config.position_embedding_type
            );
        }
        let h = config.hidden_size;
        let heads = config.num_attention_heads;
        if heads == 0 || !h.is_multiple_of(heads) {
            candle_core::bail!("hidden_size {h} is not a multiple of {heads} heads");
        }
        if !supports_head_dim(h / heads) {
            candle_core::bail!(
                "attention heads of {} dimensions are not supported (32 or 64 are)",
                h / heads
            );
        }
        let i = config.intermediate_size;
        let vb = if vb.contains_tensor("embeddings.word_embeddings.weight") {
            vb
        } else {
            vb.pp("bert")
        };
        let ln = |vb: VarBuilder| -> Result<LayerNorm> {
            Ok(LayerNorm {
                gamma: vec1(vb.get(h, "weight")?)?,
                beta: vec1(vb.get(h, "bias")?)?,
            })
        };
        let emb = vb.pp("embeddings");
        let word = emb
            .get((config.vocab_size, h), "word_embeddings.weight")?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1()?;
        let position = emb
            .get(
                (config.max_position_embeddings, h),
                "position_embeddings.weight",
            )?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1()?;
        let token_type0 = vec1(
            emb.get((2, h), "token_type_embeddings.weight")
                .or_else(|_| emb.get((1, h), "token_type_embeddings.weight"))?
                .get(0)?,
        )?;
        let emb_ln = ln(emb.pp("LayerNorm"))?;

        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for n in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{n}"));
            let att = l.pp("attention.self");
            let qkv = Dense::new(
                &[
                    att.get((h, h), "query.weight")?,
                    att.get((h, h), "key.weight")?,
                    att.get((h, h), "value.weight")?,
                ],
                &[
                    att.get(h, "query.bias")?,
                    att.get(h, "key.bias")?,
                    att.get(h, "value.bias")?,
                ],
            )?;
            let out = l.pp("attention.output");
            let inter = l.pp("intermediate.dense");
            let o = l.pp("output");
            layers.push(Layer {
                qkv,
                attn_out: Dense::new(
                    &[out.get((h, h), "dense.weight")?],
                    &[out.get(h, "dense.bias")?],
                )?,
                attn_ln: ln(out.pp("LayerNorm"))?,
                inter: Dense::new(&[inter.get((i, h), "weight")?], &[inter.get(i, "bias")?])?,
                out: Dense::new(
                    &[o.get((h, i), "dense.weight")?],
                    &[o.get(h, "dense.bias")?],
                )?,
                out_ln: ln(o.pp("LayerNorm"))?,
            });
        }
        Ok(Self {
            word,
            position,
            token_type0,
            emb_ln,
            layers,
            hidden: h,
            head_dim: h / heads,
            intermediate: i,
            max_positions: config.max_position_embeddings,
            vocab: config.vocab_size,
            eps: config.layer_norm_eps as f32,
        })
    }

    /// Mean-pooled, L2-normalised embeddings of `seqs` (token ids including specials, each
    /// at most `max_position_embeddings` long), in order.
    pub(crate) fn embed(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F, checked just above.
                return unsafe { self.embed_avx512(seqs) };
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU has AVX2 and FMA, checked just above.
                return unsafe { self.embed_avx2(seqs) };
            }
        }
        self.embed_portable(seqs)
    }

    /// [`Self::embed_portable`] compiled for AVX-512 (its element-wise kernels inline).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn embed_avx512(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        self.embed_portable(seqs)
    }

    /// [`Self::embed_portable`] compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn embed_avx2(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        self.embed_portable(seqs)
    }

    /// The forward pass, for the target's baseline vector unit unless inlined into one of
    /// the feature-specific entry points above.
    #[inline(always)]
    fn embed_portable(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let h = self.hidden;
        // An empty sequence (no specials requested) is embedded as one [PAD] token.
        let lens: Vec<usize> = seqs.iter().map(|s| s.len().max(1)).collect();
        let mut offsets = Vec::with_capacity(seqs.len());
        let mut total = 0;
        for &len in &lens {
            offsets.push(total);
            total += len;
        }
        let max_len = lens.iter().copied().max().unwrap_or(1);
        if max_len > self.max_positions {
            candle_core::bail!(
                "sequence of {max_len} tokens exceeds {} positions",
                self.max_positions
            );
        }

        // Embeddings: word + position + token type 0, then LayerNorm; packed rows.
        let mut x = vec![0f32; total * h];
        for (s, seq) in seqs.iter().enumerate() {
            for t in 0..lens[s] {
                let id = seq.get(t).copied().unwrap_or(0) as usize;
                if id >= self.vocab {
                    candle_core::bail!("token id {id} outside the vocabulary");
                }
                let row = &mut x[(offsets[s] + t) * h..(offsets[s] + t + 1) * h];
                let w = &self.word[id * h..(id + 1) * h];
                let p = &self.position[t * h..(t + 1) * h];
                for (((r, &w), &p), &ty) in row.iter_mut().zip(w).zip(p).zip(&self.token_type0) {
                    *r = w + p + ty;
                }
                layer_norm(row, &self.emb_ln.gamma, &self.emb_ln.beta, self.eps);
            }
        }

        let mut buf = Buffers {
            qkv: vec![0f32; total * 3 * h],
            ctx: vec![0f32; total * h],
            x1: vec![0f32; total * h],
            inter: vec![0f32; total * self.intermediate],
            attention: AttentionScratch::new(self.head_dim, max_len),
        };
        for layer in &self.layers {
            self.layer_forward(layer, &mut x, total, &lens, &offsets, &mut buf);
        }

        // Mean over each sequence's tokens, then L2 norm.
        Ok((0..seqs.len())
            .map(|s| {
                let rows = &x[offsets[s] * h..(offsets[s] + lens[s]) * h];
                let mut sum = vec![0f64; h];
                for row in rows.chunks_exact(h) {
                    for (acc, &v) in sum.iter_mut().zip(row) {
                        *acc += f64::from(v);
                    }
                }
                let count = lens[s] as f64;
                let norm = (sum.iter().map(|v| (v / count).powi(2)).sum::<f64>())
                    .sqrt()
                    .max(1e-12);
                sum.iter().map(|v| (v / count / norm) as f32).collect()
            })
            .collect())
    }

    #[inline(always)]
    fn layer_forward(
        &self,
        layer: &Layer,
        x: &mut [f32],
        total: usize,
        lens: &[usize],
        offsets: &[usize],
        buf: &mut Buffers,
    ) {
        let (h, d) = (self.hidden, self.head_dim);

        // Self-attention, per sequence and head, on views of the packed QKV rows.
        layer.qkv.product(x, total, &mut buf.qkv);
        for row in buf.qkv[..total * 3 * h].chunks_exact_mut(3 * h) {
            add(row, &layer.qkv.bias);
        }
        for (&len, &offset) in lens.iter().zip(offsets) {
            attend(
                &buf.qkv[offset * 3 * h..(offset + len) * 3 * h],
                &mut buf.ctx[offset * h..(offset + len) * h],
                len,
                h,
                d,
                &mut buf.attention,
            );
        }
        layer.attn_out.product(&buf.ctx, total, &mut buf.x1);
        for (row, residual) in buf.x1[..total * h]
            .chunks_exact_mut(h)
            .zip(x.chunks_exact(h))
        {
            add_residual(row, &layer.attn_out.bias, residual);
            layer_norm(row, &layer.attn_ln.gamma, &layer.attn_ln.beta, self.eps);
        }

        // Feed-forward.
        layer.inter.product(&buf.x1, total, &mut buf.inter);
        for row in buf.inter[..total * self.intermediate].chunks_exact_mut(self.intermediate) {
            gelu(row, &layer.inter.bias);
        }
        layer.out.product(&buf.inter, total, x);
        for (row, residual) in x[..total * h]
            .chunks_exact_mut(h)
            .zip(buf.x1.chunks_exact(h))
        {
            add_residual(row, &layer.out.bias, residual);
            layer_norm(row, &layer.out_ln.gamma, &layer.out_ln.beta, self.eps);
        }
    }
}

/// Scratch space for one batch, reused by every layer.
struct Buffers {
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    x1: Vec<f32>,
    inter: Vec<f32>,
    attention: AttentionScratch,
}

/// A read-only matrix view: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
struct MatRef<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

impl<'a> MatRef<'a> {
    fn row_major(data: &'a [f32], cols: usize) -> Self {
        Self::strided(data, cols, 1)
    }
    fn strided(data: &'a [f32], rs: usize, cs: usize) -> Self {
        Self { data, rs, cs }
    }
    /// Whether every element of an `rows x cols` matrix lies inside `data`.
    fn fits(&self, rows: usize, cols: usize) -> bool {
        (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// A writable matrix view, as [`MatRef`].
struct Mat<'a> {
    data: &'a mut [f32],
    rs: usize,
    cs: usize,
}

impl<'a> Mat<'a> {
    fn row_major(data: &'a mut [f32], cols: usize) -> Self {
        Self::strided(data, cols, 1)
    }
    fn strided(data: &'a mut [f32], rs: usize, cs: usize) -> Self {
        Self { data, rs, cs }
    }
}

/// `dst = (accumulate ? dst : 0) + scale * a b` for `a: m x k`, `b: k x n`, `dst: m x n`.
fn matmul(
    dst: Mat,
    a: MatRef,
    b: MatRef,
    (m, n, k): (usize, usize, usize),
    accumulate: bool,
    scale: f32,
    parallelism: Parallelism,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(k > 0, "empty inner dimension");
    assert!(a.fits(m, k) && b.fits(k, n), "matmul operand out of bounds");
    assert!(
        (m - 1) * dst.rs + (n - 1) * dst.cs < dst.data.len(),
        "matmul destination out of bounds"
    );
    // SAFETY: the asserts above keep every element gemm reads (a: m x k, b: k x n) and
    // writes (dst: m x n) at the given strides inside the borrowed slices; `dst` is an
    // exclusive borrow, so it aliases neither operand.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.data.as_mut_ptr(),
            dst.cs as isize,
            dst.rs as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            scale,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A small BERT with deterministic pseudo-random weights: 2 layers of `heads` heads.
    fn tiny_encoder(hidden: usize, heads: usize) -> Result<BertEncoder> {
        let config = BertConfig {
            vocab_size: 50,
            hidden_size: hidden,
            num_hidden_layers: 2,
            num_attention_heads: heads,
            intermediate_size: 2 * hidden,
            max_position_embeddings: 64,
            layer_norm_eps: 1e-12,
            hidden_act: "gelu".into(),
            position_embedding_type: "absolute".into(),
        };
        let mut seed = 0u32;
        let mut tensor = |shape: &[usize]| {
            let n: usize = shape.iter().product();
            let values: Vec<f32> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                })
                .collect();
            Tensor::from_vec(values, shape, &candle_core::Device::Cpu).unwrap()
        };
        let (h, i) = (hidden, 2 * hidden);
        let mut weights = HashMap::new();
        let mut put = |name: String, t: Tensor| weights.insert(name, t);
        put("embeddings.word_embeddings.weight".into(), tensor(&[50, h]));
        put(
            "embeddings.position_embeddings.weight".into(),
            tensor(&[64, h]),
        );
        put(
            "embeddings.token_type_embeddings.weight".into(),
            tensor(&[2, h]),
        );
        put("embeddings.LayerNorm.weight".into(), tensor(&[h]));
        put("embeddings.LayerNorm.bias".into(), tensor(&[h]));
        for n in 0..2 {
            let l = format!("encoder.layer.{n}");
            for (name, out, inp) in [
                ("attention.self.query", h, h),
                ("attention.self.key", h, h),
                ("attention.self.value", h, h),
                ("attention.output.dense", h, h),
                ("intermediate.dense", i, h),
                ("output.dense", h, i),
            ] {
                put(format!("{l}.{name}.weight"), tensor(&[out, inp]));
                put(format!("{l}.{name}.bias"), tensor(&[out]));
            }
            for ln in ["attention.output.LayerNorm", "output.LayerNorm"] {
                put(format!("{l}.{ln}.weight"), tensor(&[h]));
                put(format!("{l}.{ln}.bias"), tensor(&[h]));
            }
        }
        let vb = VarBuilder::from_tensors(weights, DType::F32, &candle_core::Device::Cpu);
        BertEncoder::load(vb, &config)
    }

    #[test]
    fn every_compiled_forward_pass_gives_the_same_vectors() {
        // `embed` runs the AVX-512 or AVX2 build where the CPU has one; the portable
        // build must agree with it, and both must be unit vectors.
        let encoder = tiny_encoder(96, 3).unwrap();
        let seqs: Vec<Vec<u32>> = [1usize, 7, 16, 17, 40]
            .iter()
            .map(|&len| (0..len).map(|t| ((t * 7 + len) % 50) as u32).collect())
            .collect();
        let seqs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
        let dispatched = encoder.embed(&seqs).unwrap();
        let portable = encoder.embed_portable(&seqs).unwrap();
        for (d, p) in dispatched.iter().zip(&portable) {
            let norm: f32 = d.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5);
            for (a, b) in d.iter().zip(p) {
                assert!((a - b).abs() < 1e-5, "{a} against {b}");
            }
        }
    }

    #[test]
    fn unsupported_head_size_is_an_error_not_a_panic() {
        let err = tiny_encoder(96, 2).err().expect("heads of 48 are rejected");
        assert!(err.to_string().contains("48 dimensions"), "{err}");
    }

    #[test]
    fn matmul_matches_naive_with_strides() {
        // a: 3 x 4 row-major; b: 4 x 5 given transposed (5 x 4 row-major) via strides.
        let a: Vec<f32> = (0..12).map(|i| i as f32 * 0.5 - 2.0).collect();
        let bt: Vec<f32> = (0..20).map(|i| (i as f32).sin()).collect();
        let mut dst = vec![1f32; 3 * 5];
        matmul(
            Mat::row_major(&mut dst, 5),
            MatRef::row_major(&a, 4),
            MatRef::strided(&bt, 1, 4),
            (3, 5, 4),
            true,
            2.0,
            Parallelism::None,
        );
        for r in 0..3 {
            for c in 0..5 {
                let want = 1.0 + 2.0 * (0..4).map(|k| a[r * 4 + k] * bt[c * 4 + k]).sum::<f32>();
                assert!((dst[r * 5 + c] - want).abs() < 1e-5, "({r},{c})");
            }
        }
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn matmul_rejects_short_operands() {
        let a = vec![0f32; 5];
        let b = vec![0f32; 6];
        let mut dst = vec![0f32; 6];
        matmul(
            Mat::row_major(&mut dst, 3),
            MatRef::row_major(&a, 3),
            MatRef::row_major(&b, 3),
            (2, 3, 3),
            false,
            1.0,
            Parallelism::None,
        );
    }
}
