//! Multi-head self-attention of one sequence, for the short sequences of sentence
//! embedding.

// A `gemm` call per head and product spent most of its time on setup for matrices of a
// few dozen rows: attention was 13% of a batch's time for 1.6% of its arithmetic. Here
// each head's keys are transposed once into a zero-padded block; four queries at a time
// get their scores accumulated 16 keys at a time in registers, and their output rows in
// `[f32; D]` register blocks, with the head size `D` a compile-time constant.

use super::kernels::{softmax, LANES};

/// Head sizes the kernel is compiled for (MiniLM and the small BERTs: 32; base: 64).
pub(super) fn supports(head_dim: usize) -> bool {
    matches!(head_dim, 32 | 64)
}

/// Scratch space of [`attend`] for sequences up to `max_len` tokens.
pub(super) struct AttentionScratch {
    keys_t: Vec<f32>,
    scores: Vec<f32>,
}

impl AttentionScratch {
    pub(super) fn new(head_dim: usize, max_len: usize) -> Self {
        let padded = max_len.next_multiple_of(LANES);
        Self {
            keys_t: vec![0f32; head_dim * padded],
            scores: vec![0f32; QUERY_BLOCK * padded],
        }
    }
}

/// Scaled dot-product attention of every head over one sequence. `qkv` holds its `len`
/// rows, each `[queries | keys | values]` of `3 * hidden`; `ctx` receives `len` rows of
/// `hidden`, head after head. `head_dim` must be one [`supports`] accepts, and `scratch`
/// must be sized for at least `len` tokens.
#[inline(always)]
pub(super) fn attend(
    qkv: &[f32],
    ctx: &mut [f32],
    len: usize,
    hidden: usize,
    head_dim: usize,
    scratch: &mut AttentionScratch,
) {
    match head_dim {
        32 => attend_heads::<32>(qkv, ctx, len, hidden, scratch),
        64 => attend_heads::<64>(qkv, ctx, len, hidden, scratch),
        other => unreachable!("head size {other} is rejected when the model loads"),
    }
}

/// Queries handled together: their score and output accumulators are independent, so the
/// additions of one wait on no other (a single accumulator is bound by add latency).
const QUERY_BLOCK: usize = 4;

#[inline(always)]
fn attend_heads<const D: usize>(
    qkv: &[f32],
    ctx: &mut [f32],
    len: usize,
    hidden: usize,
    scratch: &mut AttentionScratch,
) {
    let stride = 3 * hidden;
    let padded = len.next_multiple_of(LANES);
    let scale = 1.0 / (D as f32).sqrt();
    let rows = &qkv[..len * stride];
    for head in 0..hidden / D {
        let (q0, k0, v0) = (head * D, hidden + head * D, 2 * hidden + head * D);

        // The head's keys as D rows of `padded` entries, zero past `len`.
        let keys_t = &mut scratch.keys_t[..D * padded];
        for (t, row) in rows.chunks_exact(stride).enumerate() {
            for (c, &k) in row[k0..k0 + D].iter().enumerate() {
                keys_t[c * padded + t] = k;
            }
        }
        for key_row in keys_t.chunks_exact_mut(padded) {
            key_row[len..].fill(0.0);
        }

        for first in (0..len).step_by(QUERY_BLOCK) {
            let count = QUERY_BLOCK.min(len - first);
            // Scaled queries; rows past the sequence are zero and their results unused.
            let mut queries = [[0f32; D]; QUERY_BLOCK];
            for (query, row) in queries
                .iter_mut()
                .zip(rows[first * stride..].chunks_exact(stride))
            {
                for (q, &x) in query.iter_mut().zip(&row[q0..q0 + D]) {
                    *q = x * scale;
                }
            }

            // Scores, 16 keys at a time.
            let scores = &mut scratch.scores[..QUERY_BLOCK * padded];
            for block in 0..padded / LANES {
                let mut acc = [[0f32; LANES]; QUERY_BLOCK];
                for (c, key_row) in keys_t.chunks_exact(padded).enumerate() {
                    let keys = &key_row[block * LANES..(block + 1) * LANES];
                    for (acc, query) in acc.iter_mut().zip(&queries) {
                        let q = query[c];
                        for (a, &k) in acc.iter_mut().zip(keys) {
                            *a += q * k;
                        }
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    scores[r * padded + block * LANES..r * padded + (block + 1) * LANES]
                        .copy_from_slice(acc);
                }
            }
            for weights in scores.chunks_exact_mut(padded).take(count) {
                softmax(&mut weights[..len]);
            }

            // Outputs: the weighted sum of the value rows.
            let mut acc = [[0f32; D]; QUERY_BLOCK];
            for (j, value_row) in rows.chunks_exact(stride).enumerate() {
                let values = &value_row[v0..v0 + D];
                for (r, acc) in acc.iter_mut().enumerate() {
                    let w = scores[r * padded + j];
                    for (a, &v) in acc.iter_mut().zip(values) {
                        *a += w * v;
                    }
                }
            }
            for (r, acc) in acc.iter().take(count).enumerate() {
                let i = first + r;
                ctx[i * hidden + head * D..i * hidden + (head + 1) * D].copy_from_slice(acc);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attention in f64, straight from the definition.
    fn naive(qkv: &[f32], len: usize, hidden: usize, d: usize) -> Vec<f64> {
        let at = |t: usize, c: usize| f64::from(qkv[t * 3 * hidden + c]);
        let mut ctx = vec![0f64; len * hidden];
        for head in 0..hidden / d {
            for i in 0..len {
                let scores: Vec<f64> = (0..len)
                    .map(|j| {
                        (0..d)
                            .map(|c| at(i, head * d + c) * at(j, hidden + head * d + c))
                            .sum::<f64>()
                            / (d as f64).sqrt()
                    })
                    .collect();
                let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                let total: f64 = exps.iter().sum();
                for c in 0..d {
                    ctx[i * hidden + head * d + c] = (0..len)
                        .map(|j| exps[j] / total * at(j, 2 * hidden + head * d + c))
                        .sum();
                }
            }
        }
        ctx
    }

    fn check(len: usize, hidden: usize, d: usize) {
        let qkv: Vec<f32> = (0..len * 3 * hidden)
            .map(|i| ((i as f32) * 0.618).sin() * 2.0)
            .collect();
        let mut ctx = vec![f32::NAN; len * hidden];
        let mut scratch = AttentionScratch::new(d, 40);
        attend(&qkv, &mut ctx, len, hidden, d, &mut scratch);
        let want = naive(&qkv, len, hidden, d);
        for (n, (g, w)) in ctx.iter().zip(&want).enumerate() {
            assert!(
                (f64::from(*g) - w).abs() < 1e-5,
                "len {len}, d {d}, element {n}: {g} against {w}"
            );
        }
    }

    #[test]
    fn matches_the_definition_for_every_length_and_head_size() {
        // 1 token, shorter than a block, a full block, a block and one, several blocks.
        for len in [1, 5, 16, 17, 40] {
            check(len, 96, 32);
            check(len, 128, 64);
        }
    }

    #[test]
    fn scratch_of_a_longer_batch_is_reused_safely() {
        // A long sequence leaves keys in the scratch; a shorter one must not read them.
        let hidden = 64;
        let long: Vec<f32> = (0..40 * 3 * hidden).map(|i| (i as f32).cos()).collect();
        let short: Vec<f32> = (0..3 * 3 * hidden)
            .map(|i| (i as f32 * 0.3).sin())
            .collect();
        let mut scratch = AttentionScratch::new(32, 40);
        let mut ctx = vec![0f32; 40 * hidden];
        attend(&long, &mut ctx, 40, hidden, 32, &mut scratch);
        let mut ctx = vec![0f32; 3 * hidden];
        attend(&short, &mut ctx, 3, hidden, 32, &mut scratch);
        let want = naive(&short, 3, hidden, 32);
        for (g, w) in ctx.iter().zip(&want) {
            assert!((f64::from(*g) - w).abs() < 1e-5);
        }
    }

    #[test]
    fn supports_the_common_head_sizes_only() {
        assert!(supports(32) && supports(64));
        assert!(!supports(48) && !supports(0));
    }
}
