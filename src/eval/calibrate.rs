//! Fit thresholds read off an evaluation: what `[retrieval.fit]` should say for the model
//! that produced it (`starcoach eval --calibrate`, on the dev half).

// The rules are those the MiniLM thresholds were first chosen by, now in code so that each
// model is calibrated the same way:
// * strong: the upper quartile of the fit scores of acceptable stories in the top 5;
// * workable: halfway between the medians of acceptable and other stories in the top 5;
// * gap: the threshold on the first story's fit score with the best F1 for "nothing
//   fits" (the labeled gaps), halfway between two observed scores; ties keep the lower.

use serde::Serialize;

use super::QuestionResult;
use crate::retrieve::Method;

/// Thresholds calibrated on some questions, with what they were read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitCalibration {
    pub strong: f32,
    pub workable: f32,
    pub gap: f32,
    /// F1 of the gap decision at `gap` on the questions it was chosen on.
    pub gap_f1: f64,
    /// Fit scores read: acceptable stories and the others (top 5 of answerable questions).
    pub acceptable: usize,
    pub others: usize,
    /// Questions whose labeled answer is a gap.
    pub gaps: usize,
}

/// Calibrate from `method`'s results on `questions`; `None` without both acceptable and
/// other stories to read.
pub fn fit_thresholds(questions: &[&QuestionResult], method: Method) -> Option<FitCalibration> {
    let mut acceptable = Vec::new();
    let mut others = Vec::new();
    let mut firsts: Vec<(f32, bool)> = Vec::new();
    for q in questions {
        let Some(r) = q.result(method) else { continue };
        firsts.push((
            r.top.first().map_or(f32::NEG_INFINITY, |s| s.fit_score),
            q.expects_gap,
        ));
        if q.expects_gap {
            continue;
        }
        for (story, ok) in r.top.iter().zip(&r.acceptable) {
            if *ok {
                acceptable.push(story.fit_score);
            } else {
                others.push(story.fit_score);
            }
        }
    }
    if acceptable.is_empty() || others.is_empty() {
        return None;
    }
    acceptable.sort_by(f32::total_cmp);
    others.sort_by(f32::total_cmp);
    let strong = quantile(&acceptable, 0.75);
    let workable = (quantile(&acceptable, 0.5) + quantile(&others, 0.5)) / 2.0;
    let (gap, gap_f1) = best_gap_threshold(&firsts);
    Some(FitCalibration {
        strong: round3(strong),
        workable: round3(workable),
        gap: round3(gap),
        gap_f1,
        acceptable: acceptable.len(),
        others: others.len(),
        gaps: firsts.iter().filter(|(_, g)| *g).count(),
    })
}

/// Linear interpolation between order statistics of sorted `values`.
fn quantile(sorted: &[f32], q: f64) -> f32 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = (pos - lo as f64) as f32;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// The threshold below which a first story's score means "gap", with the best F1.
fn best_gap_threshold(firsts: &[(f32, bool)]) -> (f32, f64) {
    let mut scores: Vec<f32> = firsts
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| s.is_finite())
        .collect();
    scores.sort_by(f32::total_cmp);
    scores.dedup();
    let mut candidates: Vec<f32> = scores.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    candidates.insert(0, scores.first().copied().unwrap_or(0.0));
    let mut best = (candidates[0], f1(firsts, candidates[0]));
    for &t in &candidates[1..] {
        let score = f1(firsts, t);
        if score > best.1 + 1e-12 {
            best = (t, score);
        }
    }
    best
}

fn f1(firsts: &[(f32, bool)], threshold: f32) -> f64 {
    let declared = firsts.iter().filter(|(s, _)| *s < threshold).count();
    let expected = firsts.iter().filter(|(_, g)| *g).count();
    let right = firsts.iter().filter(|(s, g)| *g && *s < threshold).count();
    if right == 0 {
        return 0.0;
    }
    let precision = right as f64 / declared as f64;
    let recall = right as f64 / expected as f64;
    2.0 * precision * recall / (precision + recall)
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [0.1, 0.2, 0.3, 0.4, 0.5];
        assert!((quantile(&v, 0.5) - 0.3).abs() < 1e-6);
        assert!((quantile(&v, 0.75) - 0.4).abs() < 1e-6);
        assert!((quantile(&[0.1, 0.2], 0.5) - 0.15).abs() < 1e-6);
    }

    #[test]
    fn the_gap_threshold_separates_labeled_gaps_when_it_can() {
        let firsts = [
            (0.10, true),
            (0.15, true),
            (0.30, false),
            (0.40, false),
            (0.20, false),
        ];
        let (t, f1) = best_gap_threshold(&firsts);
        assert!((t - 0.175).abs() < 1e-6, "{t}");
        assert!((f1 - 1.0).abs() < 1e-9);
        // A gap scored above an answerable question: calling all three low ones gaps
        // (F1 0.8) beats calling only the lowest (F1 0.667).
        let firsts = [(0.10, true), (0.35, true), (0.30, false), (0.40, false)];
        let (t, f1) = best_gap_threshold(&firsts);
        assert!(
            (t - 0.375).abs() < 1e-6 && (f1 - 0.8).abs() < 1e-9,
            "{t} {f1}"
        );
    }
}
