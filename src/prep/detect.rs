//! Which competencies a job description asks for: each sentence that describes the
//! work is compared with every competency's description and example questions, and a
//! competency scores by the sentences that point to it more than to the others.

// A sentence's similarity to a competency is taken relative to its mean similarity to
// all of them (a long sentence about engineering is close to every competency a
// little; what counts is where it leans). A competency's score is the sum of its
// `SUPPORT` best relative similarities above zero: one sentence that names mentoring is
// evidence, three are more. Evidence sentences are those where the competency is
// among the sentence's two closest and that lean at least half as far as its
// strongest, best first. Chosen on the dev half of
// tests/eval/jobs.toml (`starcoach eval-prep`).

use serde::{Deserialize, Serialize};

use super::job::JobSentence;
use crate::competency::CompetencyIndex;

/// Sentences that add to a competency's score.
const SUPPORT: usize = 3;
/// Evidence sentences shown per competency.
const MAX_EVIDENCE: usize = 3;
/// An evidence sentence leans at least this share as far as the strongest one.
const EVIDENCE_SHARE: f32 = 0.5;
/// A sentence is evidence for the competencies among its closest this many.
const EVIDENCE_RANK: usize = 2;

/// A competency the job asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DetectedCompetency {
    pub id: String,
    pub name: String,
    /// How strongly the job asks for it (sum of its best sentences' lean towards it).
    pub score: f32,
    /// The job's own sentences that show it, verbatim, best first.
    pub evidence: Vec<JobSentence>,
}

/// Rank the competencies for a job whose sentences (`sentences[i]`) have embeddings
/// `vectors[i]`: every competency, best first.
pub fn rank_competencies(
    index: &CompetencyIndex,
    sentences: &[JobSentence],
    vectors: &[Vec<f32>],
) -> Vec<DetectedCompetency> {
    let n = index.len();
    // lean[s][c]: sentence s's similarity to competency c above its mean.
    let lean: Vec<Vec<f32>> = vectors
        .iter()
        .map(|v| {
            let sims = index.similarities(v);
            let mean = sims.iter().sum::<f32>() / sims.len().max(1) as f32;
            sims.into_iter().map(|s| s - mean).collect()
        })
        .collect();
    let closest: Vec<Vec<usize>> = lean.iter().map(|l| top_indices(l, EVIDENCE_RANK)).collect();
    let mut ranked: Vec<DetectedCompetency> = (0..n)
        .map(|c| {
            let mut by_lean: Vec<(usize, f32)> = lean.iter().map(|l| l[c]).enumerate().collect();
            by_lean.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let score = by_lean
                .iter()
                .take(SUPPORT)
                .map(|(_, l)| l.max(0.0))
                .sum::<f32>();
            let strongest = by_lean.first().map_or(0.0, |(_, l)| *l);
            let evidence = by_lean
                .iter()
                .filter(|(s, l)| {
                    *l > 0.0 && *l >= EVIDENCE_SHARE * strongest && closest[*s].contains(&c)
                })
                .take(MAX_EVIDENCE)
                .map(|(s, _)| sentences[*s].clone())
                .collect();
            let competency = index.competency(c);
            DetectedCompetency {
                id: competency.id.clone(),
                name: competency.name.clone(),
                score,
                evidence,
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    ranked
}

/// Indices of the `k` largest values, largest first.
fn top_indices(values: &[f32], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*b].total_cmp(&values[*a]).then(a.cmp(b)));
    order.truncate(k);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_indices_are_largest_first_and_stable() {
        assert_eq!(top_indices(&[0.1, 0.5, 0.5, 0.2], 2), [1, 2]);
        assert_eq!(top_indices(&[0.3], 2), [0]);
    }
}
