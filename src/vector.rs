//! Small operations on embedding vectors and series, shared by retrieval, competencies
//! and evaluation.

use num_traits::Float;

/// Dot product (the cosine of two unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Scale a vector to unit length (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Pearson correlation of two equally long series (of the shorter length when they
/// differ); 0 when either is constant or shorter than two.
pub fn pearson<T: Float + std::iter::Sum>(a: &[T], b: &[T]) -> T {
    let n = a.len().min(b.len());
    if n < 2 {
        return T::zero();
    }
    let count = T::from(n).unwrap_or_else(T::one);
    let mean = |x: &[T]| x[..n].iter().copied().sum::<T>() / count;
    let (ma, mb) = (mean(a), mean(b));
    let (mut ab, mut aa, mut bb) = (T::zero(), T::zero(), T::zero());
    for (&x, &y) in a[..n].iter().zip(&b[..n]) {
        let (dx, dy) = (x - ma, y - mb);
        ab = ab + dx * dy;
        aa = aa + dx * dx;
        bb = bb + dy * dy;
    }
    if aa <= T::zero() || bb <= T::zero() {
        T::zero()
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_reads_agreement_and_opposition() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.5]) - 1.0).abs() < 0.01);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-6);
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(pearson(&[1.0], &[1.0]), 0.0);
    }
}
