//! `x W^T` for the few token rows of one short text, such as a question (about 15).

// For so few rows `gemm` reads each weight matrix in place, 64 outputs at a time with
// a whole weight row between one input and the next, and splits the product over
// threads whose hand-off is a large share of it: a 17-token question took 4.3 ms on 2
// threads, 6.0 ms on one. Here the weights are also kept as panels of 64 outputs,
// contiguous along the inputs, and the panels are streamed with the rows 4 at a time
// in 16 AVX-512 accumulators (fused multiply-add); the two halves of the panels go
// to `rayon::join`, so a second core takes one half only when it is idle. The same
// question: 3.8 ms with a core idle; under load a request no longer waits for
// another's half.

/// Outputs per panel: four AVX-512 registers of `f32`.
const PANEL: usize = 64;

/// Rows up to which [`Panels::product`] is used. One text at a time with a core idle,
/// p50 of 200 texts, this kernel against `gemm`: 23 tokens 4.7 against 5.2-6.1 ms, 37
/// tokens 6.4-6.7 against 7.0 ms, 57 and 73 tokens even, 97 tokens 14.7-15.1 against
/// 13.8-14.1 ms. Longer inputs (the batches of ingest and of evidence sentences) go to
/// `gemm`, whose packed micro-kernel does more work per weight loaded.
pub(super) const MAX_ROWS: usize = 48;

/// Whether this CPU runs the kernel (AVX-512F and FMA, checked once by std and cached).
fn kernel_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A weight matrix `(inputs, outputs)` as panels `[outputs / 64][inputs][64]`, the last
/// panel padded with zeros; empty on a CPU that cannot run the kernel, which then holds
/// no second copy of the weights.
pub(super) struct Panels {
    data: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Panels {
    /// From `W^T` stored row-major as `(inputs, outputs)`.
    pub(super) fn new(wt: &[f32], inputs: usize, outputs: usize) -> Self {
        assert_eq!(wt.len(), inputs * outputs, "weights of the wrong size");
        let panels = if kernel_available() {
            outputs.div_ceil(PANEL)
        } else {
            0
        };
        let mut data = vec![0f32; panels * inputs * PANEL];
        for (p, panel) in data.chunks_exact_mut(inputs * PANEL).enumerate() {
            let first = p * PANEL;
            let width = PANEL.min(outputs - first);
            for (k, dst) in panel.chunks_exact_mut(PANEL).enumerate() {
                dst[..width].copy_from_slice(&wt[k * outputs + first..k * outputs + first + width]);
            }
        }
        Self {
            data,
            inputs,
            outputs,
        }
    }

    /// `out[r] = x[r] W^T` for the first `rows` rows of `x` (`inputs` wide) into `out`
    /// (`outputs` wide). `None` when the CPU lacks AVX-512F and FMA: the caller then
    /// uses `gemm`.
    pub(super) fn product(&self, x: &[f32], rows: usize, out: &mut [f32]) -> Option<()> {
        #[cfg(target_arch = "x86_64")]
        {
            if kernel_available() {
                assert!(x.len() >= rows * self.inputs, "product input too short");
                assert!(out.len() >= rows * self.outputs, "product output too short");
                // Two halves of the panels, on a second core when one is free (rayon
                // steals the second half only from an idle worker; else this thread runs
                // both). The halves write disjoint outputs of the same rows.
                let panels = self.data.len() / (self.inputs * PANEL);
                let out = OutPtr(out.as_mut_ptr());
                let half = |range: std::ops::Range<usize>| {
                    // SAFETY: the CPU has AVX-512F and FMA (checked above); the asserts
                    // keep every row read and written inside `x` and `out`, and the two
                    // halves' panel ranges (so output columns) do not overlap.
                    unsafe { self.product_avx512(x, rows, out.get(), range) }
                };
                rayon::join(|| half(0..panels / 2), || half(panels / 2..panels));
                return Some(());
            }
        }
        let _ = (x, rows, out);
        None
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,fma")]
    unsafe fn product_avx512(
        &self,
        x: &[f32],
        rows: usize,
        out: *mut f32,
        panels: std::ops::Range<usize>,
    ) {
        let panel_len = self.inputs * PANEL;
        for p in panels {
            let panel = &self.data[p * panel_len..(p + 1) * panel_len];
            let first_output = p * PANEL;
            let width = PANEL.min(self.outputs - first_output);
            let mut row = 0;
            while row < rows {
                let block = Block {
                    panel: panel.as_ptr(),
                    inputs: self.inputs,
                    x: x.as_ptr().add(row * self.inputs),
                    out: out.add(row * self.outputs + first_output),
                    outputs: self.outputs,
                    width,
                };
                match rows - row {
                    1 => block.run::<1>(),
                    2 => block.run::<2>(),
                    3 => block.run::<3>(),
                    _ => block.run::<4>(),
                }
                row += 4;
            }
        }
    }
}

/// `out` shared by the two halves of a product, which write disjoint columns of it.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);

// SAFETY: the halves of `Panels::product` write disjoint elements through it, and
// `rayon::join` returns only when both are done, while `out` is still borrowed.
#[cfg(target_arch = "x86_64")]
unsafe impl Send for OutPtr {}
#[cfg(target_arch = "x86_64")]
unsafe impl Sync for OutPtr {}

#[cfg(target_arch = "x86_64")]
impl OutPtr {
    /// A method, so that closures capture the whole (`Sync`) wrapper, not the raw field.
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// Up to 4 rows of `x` against one panel.
#[cfg(target_arch = "x86_64")]
struct Block {
    panel: *const f32,
    inputs: usize,
    /// First row of the block; rows are `inputs` apart.
    x: *const f32,
    /// The block's first row at the panel's first output; rows are `outputs` apart.
    out: *mut f32,
    outputs: usize,
    /// Outputs of this panel that exist (64 except in a last, partial panel).
    width: usize,
}

#[cfg(target_arch = "x86_64")]
impl Block {
    /// # Safety
    /// AVX-512F and FMA are available; `x` holds `R` rows of `inputs`, `out` `R` rows of
    /// `outputs` from the panel's first output on, and `panel` `inputs * 64` values.
    #[inline]
    #[target_feature(enable = "avx512f,fma")]
    unsafe fn run<const R: usize>(&self) {
        use std::arch::x86_64::*;
        let mut acc = [[_mm512_setzero_ps(); 4]; R];
        for k in 0..self.inputs {
            let w = self.panel.add(k * PANEL);
            let weights = [
                _mm512_loadu_ps(w),
                _mm512_loadu_ps(w.add(16)),
                _mm512_loadu_ps(w.add(32)),
                _mm512_loadu_ps(w.add(48)),
            ];
            for (r, acc) in acc.iter_mut().enumerate() {
                let xv = _mm512_set1_ps(*self.x.add(r * self.inputs + k));
                for (a, &wv) in acc.iter_mut().zip(&weights) {
                    *a = _mm512_fmadd_ps(xv, wv, *a);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            let out = self.out.add(r * self.outputs);
            for (j, &a) in acc.iter().enumerate() {
                let lanes = self.width.saturating_sub(j * 16).min(16);
                if lanes == 16 {
                    _mm512_storeu_ps(out.add(j * 16), a);
                } else if lanes > 0 {
                    let mask = ((1u32 << lanes) - 1) as __mmask16;
                    _mm512_mask_storeu_ps(out.add(j * 16), mask, a);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_naive_product_for_every_row_count_and_a_partial_panel() {
        if !kernel_available() {
            eprintln!("no AVX-512F: the kernel is not used on this CPU, nothing to check");
            return;
        }
        // 100 outputs: one full panel and one of 36 (masked stores).
        let (inputs, outputs) = (37, 100);
        let wt: Vec<f32> = (0..inputs * outputs)
            .map(|i| ((i as f32) * 0.37).sin())
            .collect();
        let panels = Panels::new(&wt, inputs, outputs);
        for rows in 1..=9 {
            let x: Vec<f32> = (0..rows * inputs)
                .map(|i| ((i as f32) * 0.11).cos())
                .collect();
            // One spare row after the output, which must stay untouched.
            let mut out = vec![f32::NAN; (rows + 1) * outputs];
            panels
                .product(&x, rows, &mut out)
                .expect("AVX-512F present");
            for r in 0..rows {
                for o in 0..outputs {
                    let want: f32 = (0..inputs)
                        .map(|k| x[r * inputs + k] * wt[k * outputs + o])
                        .sum();
                    let got = out[r * outputs + o];
                    assert!(
                        (got - want).abs() < 1e-4,
                        "rows {rows}, ({r}, {o}): {got} against {want}"
                    );
                }
            }
            assert!(
                out[rows * outputs..].iter().all(|v| v.is_nan()),
                "wrote past {rows} rows"
            );
        }
    }
}
