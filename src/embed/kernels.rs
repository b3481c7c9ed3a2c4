//! The encoder's element-wise kernels: LayerNorm, softmax and GELU.

// They are written so that LLVM vectorises them: reductions run over 16 independent
// lanes (a sequential float sum cannot be reordered, so it would stay scalar), and `exp`
// and `erf` are branch-free polynomials. Every function is `#[inline(always)]`, so it is
// compiled for the vector unit of the forward pass that inlines it (`bert.rs` compiles
// one for AVX-512, one for AVX2 and a portable one, and picks at run time).

/// Independent accumulators of a reduction: one AVX-512 register of `f32`.
pub(super) const LANES: usize = 16;

/// Sum of `f(x)` over `xs`, accumulated in [`LANES`] lanes.
#[inline(always)]
fn lane_sum(xs: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a += f(x);
        }
    }
    fold_halves(acc, |a, b| a + b) + rest.iter().map(|&x| f(x)).sum::<f32>()
}

/// Combine the lanes pairwise, halving the width each step (a tree, not a chain of 16
/// dependent operations).
#[inline(always)]
fn fold_halves(mut acc: [f32; LANES], op: impl Fn(f32, f32) -> f32) -> f32 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] = op(acc[i], acc[i + width]);
        }
    }
    acc[0]
}

/// The larger of `a` and `b`; `b` when either is NaN (one compare-and-select, where
/// `f32::max` needs extra NaN handling).
#[inline(always)]
fn larger(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// Largest element of `xs` (`-inf` when empty), over [`LANES`] lanes.
#[inline(always)]
fn lane_max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a = larger(*a, x);
        }
    }
    rest.iter().copied().fold(fold_halves(acc, larger), larger)
}

/// In-place LayerNorm of one row (biased variance, as torch).
#[inline(always)]
pub(super) fn layer_norm(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = lane_sum(row, |x| x) / n;
    let var = lane_sum(row, |x| (x - mean) * (x - mean)) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((x, &g), &b) in row.iter_mut().zip(gamma).zip(beta) {
        *x = (*x - mean) * inv * g + b;
    }
}

/// In-place softmax of one row of (already scaled) attention scores.
#[inline(always)]
pub(super) fn softmax(row: &mut [f32]) {
    let max = lane_max(row);
    for x in row.iter_mut() {
        *x = exp(*x - max);
    }
    let inv = 1.0 / lane_sum(row, |x| x);
    for x in row.iter_mut() {
        *x *= inv;
    }
}

/// `row += bias`.
#[inline(always)]
pub(super) fn add(row: &mut [f32], bias: &[f32]) {
    for (x, &b) in row.iter_mut().zip(bias) {
        *x += b;
    }
}

/// `row += bias + residual`.
#[inline(always)]
pub(super) fn add_residual(row: &mut [f32], bias: &[f32], residual: &[f32]) {
    for ((x, &b), &r) in row.iter_mut().zip(bias).zip(residual) {
        *x += b + r;
    }
}

/// In-place exact (erf) GELU of `row + bias`.
#[inline(always)]
pub(super) fn gelu(row: &mut [f32], bias: &[f32]) {
    for (x, &b) in row.iter_mut().zip(bias) {
        let v = *x + b;
        *x = 0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// `e^x` for `x <= 0` (softmax arguments), relative error under 3e-7 (tested); below
/// -87 it returns 0 (the true value, under 2e-38, is subnormal). Cody-Waite reduction
/// (`x = n ln 2 + r`, `|r| <= ln 2 / 2`) and the Cephes polynomial for `e^r`;
/// branch-free, so the softmax loop vectorises.
#[inline(always)]
pub(super) fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const P: [f32; 6] = [
        1.987_569_1e-4,
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        5e-1,
    ];
    let underflow = x < -87.0;
    let x = x.clamp(-87.0, 0.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = P[0];
    for &c in &P[1..] {
        p = p * r + c;
    }
    let e_r = p * r * r + r + 1.0;
    // 2^n from the exponent bits; n is in [-126, 0]. Adding 1.5 * 2^23 puts the integer
    // n + 127 in the low mantissa bits (exactly, as |n| < 2^22), which the shift moves
    // into the exponent: no float-to-int conversion, which would not vectorise.
    let biased = (n + (127.0 + 12_582_912.0)).to_bits();
    let two_n = f32::from_bits(biased << 23);
    if underflow {
        0.0
    } else {
        e_r * two_n
    }
}

/// erf for f32 as a rational function on [-4, 4] (the approximation used by Eigen and
/// XLA; erf(±4) rounds to ±1 in f32). Branch-free, so the GELU loop vectorises.
#[inline(always)]
pub(super) fn erf(x: f32) -> f32 {
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
    use candle_core::Tensor;

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
    fn exp_matches_std_on_softmax_arguments() {
        let mut worst = 0f64;
        for i in 0..=870_000 {
            let x = -(i as f32) * 1e-4;
            let want = f64::from(x).exp();
            worst = worst.max(((f64::from(exp(x)) - want) / want).abs());
        }
        assert!(worst < 3e-7, "max relative exp error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
    }

    #[test]
    fn reductions_cover_every_element() {
        // 37 elements: two full chunks of 16 lanes and a remainder of 5.
        let xs: Vec<f32> = (0..37).map(|i| (i as f32 * 0.7).sin()).collect();
        let sum: f32 = xs.iter().sum();
        assert!((lane_sum(&xs, |x| x) - sum).abs() < 1e-5);
        let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(lane_max(&xs), max);
        assert_eq!(lane_max(&[]), f32::NEG_INFINITY);
        assert_eq!(lane_max(&[-3.0, -1.0, -2.0]), -1.0);
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut row: Vec<f32> = (0..23).map(|i| (i as f32 * 1.3).cos() * 8.0).collect();
        let want: Vec<f64> = {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let e: Vec<f64> = row.iter().map(|&x| f64::from(x - max).exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|v| v / s).collect()
        };
        softmax(&mut row);
        for (g, w) in row.iter().zip(&want) {
            assert!((f64::from(*g) - w).abs() < 1e-6, "{g} against {w}");
        }
    }

    #[test]
    fn layer_norm_matches_f64() {
        let mut row: Vec<f32> = (0..384)
            .map(|i| (i as f32 * 0.37).sin() * 3.0 + 1.0)
            .collect();
        let gamma: Vec<f32> = (0..384).map(|i| 1.0 + i as f32 * 1e-3).collect();
        let beta: Vec<f32> = (0..384).map(|i| -(i as f32) * 1e-3).collect();
        let xs: Vec<f64> = row.iter().map(|&x| f64::from(x)).collect();
        let mean = xs.iter().sum::<f64>() / 384.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 384.0;
        layer_norm(&mut row, &gamma, &beta, 1e-12);
        for (i, (g, x)) in row.iter().zip(&xs).enumerate() {
            let want = (x - mean) / var.sqrt() * f64::from(gamma[i]) + f64::from(beta[i]);
            assert!(
                (f64::from(*g) - want).abs() < 1e-5,
                "{i}: {g} against {want}"
            );
        }
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
        gelu(&mut got, &vec![0.0; xs.len()]);
        for ((x, g), w) in xs.iter().zip(&got).zip(&want) {
            assert!((g - w).abs() < 1e-6, "gelu({x}) = {g}, candle {w}");
        }
    }
}
