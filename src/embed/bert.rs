//! A BERT encoder specialised for sentence embedding on the CPU.
//!
//! candle's `BertModel` computes the same function, but on a 2-core CPU it spent about
//! two thirds of its wall-clock time in single-threaded element-wise ops (exact GELU via
//! `erff`, a five-pass softmax, broadcast mask additions, head transposes). Here the
//! weights are loaded with candle, the matrix products go straight to `gemm` (the crate
//! behind candle's CPU matmul) and the element-wise work is fused into a few passes:
//!
//! * a batch's tokens are packed without padding; attention runs per sequence and head
//!   on strided views of the packed Q/K/V matrix, so nothing is padded or transposed;
//! * biases and residuals are written into the output before `gemm` accumulates into it;
//!   scale + softmax, GELU and LayerNorm are single in-place passes;
//! * GELU uses a rational approximation of erf (absolute error < 1e-6, see the tests);
//! * buffers are allocated once per batch and reused by every layer.
//!
//! A forward pass runs on its caller's thread apart from the large products, which
//! `gemm` may split over rayon's pool; callers run several batches at once (`local.rs`).

use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use gemm::Parallelism;

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
            wt,
            bias,
            inputs,
            outputs,
        })
    }

    /// `out = x W^T + b + residual` (residual optional) for `rows` packed rows.
    fn forward(&self, x: &[f32], rows: usize, residual: Option<&[f32]>, out: &mut [f32]) {
        let out = &mut out[..rows * self.outputs];
        match residual {
            Some(r) => {
                for (o, r) in out
                    .chunks_exact_mut(self.outputs)
                    .zip(r.chunks_exact(self.outputs))
                {
                    for ((o, &r), &b) in o.iter_mut().zip(r).zip(&self.bias) {
                        *o = r + b;
                    }
                }
            }
            None => {
                for o in out.chunks_exact_mut(self.outputs) {
                    o.copy_from_slice(&self.bias);
                }
            }
        }
        matmul(
            Mat::row_major(out, self.outputs),
            MatRef::row_major(&x[..rows * self.inputs], self.inputs),
            MatRef::row_major(&self.wt, self.outputs),
            (rows, self.outputs, self.inputs),
            true,
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
    heads: usize,
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
            heads,
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
                layer_norm(row, &self.emb_ln, self.eps);
            }
        }

        let mut buf = Buffers {
            qkv: vec![0f32; total * 3 * h],
            ctx: vec![0f32; total * h],
            x1: vec![0f32; total * h],
            inter: vec![0f32; total * self.intermediate],
            scores: vec![0f32; max_len * max_len],
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
        let scale = 1.0 / (d as f32).sqrt();

        // Self-attention, per sequence and head, on views of the packed QKV rows.
        layer.qkv.forward(x, total, None, &mut buf.qkv);
        for (&len, &offset) in lens.iter().zip(offsets) {
            let rows = &buf.qkv[offset * 3 * h..(offset + len) * 3 * h];
            let ctx = &mut buf.ctx[offset * h..(offset + len) * h];
            let scores = &mut buf.scores[..len * len];
            for hd in 0..self.heads {
                let q = MatRef::strided(&rows[hd * d..], 3 * h, 1);
                let k_t = MatRef::strided(&rows[h + hd * d..], 1, 3 * h);
                let v = MatRef::strided(&rows[2 * h + hd * d..], 3 * h, 1);
                // scores = scale * Q K^T (len x len)
                matmul(
                    Mat::row_major(scores, len),
                    q,
                    k_t,
                    (len, len, d),
                    false,
                    scale,
                    Parallelism::None,
                );
                for row in scores.chunks_exact_mut(len) {
                    softmax(row);
                }
                // ctx[:, head] = P V (len x d)
                matmul(
                    Mat::strided(&mut ctx[hd * d..], h, 1),
                    MatRef::row_major(scores, len),
                    v,
                    (len, d, len),
                    false,
                    1.0,
                    Parallelism::None,
                );
            }
        }
        layer
            .attn_out
            .forward(&buf.ctx, total, Some(x), &mut buf.x1);
        for row in buf.x1[..total * h].chunks_exact_mut(h) {
            layer_norm(row, &layer.attn_ln, self.eps);
        }

        // Feed-forward.
        layer.inter.forward(&buf.x1, total, None, &mut buf.inter);
        gelu(&mut buf.inter[..total * self.intermediate]);
        layer.out.forward(&buf.inter, total, Some(&buf.x1), x);
        for row in x[..total * h].chunks_exact_mut(h) {
            layer_norm(row, &layer.out_ln, self.eps);
        }
    }
}

/// Scratch space for one batch, reused by every layer.
struct Buffers {
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    x1: Vec<f32>,
    inter: Vec<f32>,
    scores: Vec<f32>,
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

/// In-place softmax of one row of (already scaled) attention scores.
fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for x in row.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    let inv = 1.0 / sum;
    for x in row.iter_mut() {
        *x *= inv;
    }
}

/// In-place LayerNorm of one row (biased variance, as torch).
fn layer_norm(row: &mut [f32], ln: &LayerNorm, eps: f32) {
    let n = row.len() as f32;
    let mean = row.iter().sum::<f32>() / n;
    let var = row.iter().map(|&x| (x - mean) * (x - mean)).sum::<f32>() / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((x, &g), &b) in row.iter_mut().zip(&ln.gamma).zip(&ln.beta) {
        *x = (*x - mean) * inv * g + b;
    }
}

/// In-place exact (erf) GELU.
fn gelu(xs: &mut [f32]) {
    for x in xs.iter_mut() {
        *x = 0.5 * *x * (1.0 + erf(*x * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// erf for f32 as a rational function on [-4, 4] (the approximation used by Eigen and
/// XLA; erf(±4) rounds to ±1 in f32). Branch-free, so the GELU loop vectorises.
#[inline(always)]
fn erf(x: f32) -> f32 {
    const ALPHA: [f32; 7] = [
        -2.726_142_3e-10,
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906_3e-4,
        -2.954_6e-3,
        -1.609_603_3e-2,
    ];
    const BETA: [f32; 5] = [
        -1.456_607_2e-5,
        -2.133_740_6e-4,
        -1.682_827e-3,
        -7.373_329_3e-3,
        -1.426_474e-2,
    ];
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = ALPHA[0];
    for &a in &ALPHA[1..] {
        p = p * x2 + a;
    }
    let mut q = BETA[0];
    for &b in &BETA[1..] {
        q = q * x2 + b;
    }
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_libm() {
        let mut worst = 0f64;
        for i in -60_000..=60_000 {
            let x = i as f32 * 1e-4;
            let want = candle_core::cpu::erf::erf_f64(f64::from(x));
            worst = worst.max((f64::from(erf(x)) - want).abs());
        }
        assert!(worst < 1e-6, "max |erf error| {worst}");
        assert!((erf(10.0) - 1.0).abs() < 1e-6);
        assert!((erf(-10.0) + 1.0).abs() < 1e-6);
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

    #[test]
    fn gelu_matches_candle() {
        let xs: Vec<f32> = (-800..=800).map(|i| i as f32 * 0.01).collect();
        let want: Vec<f32> = Tensor::new(xs.as_slice(), &candle_core::Device::Cpu)
            .unwrap()
            .gelu_erf()
            .unwrap()
            .to_vec1()
            .unwrap();
        let mut got = xs.clone();
        gelu(&mut got);
        for ((x, g), w) in xs.iter().zip(&got).zip(&want) {
            assert!((g - w).abs() < 1e-6, "gelu({x}) = {g}, candle {w}");
        }
    }
}
