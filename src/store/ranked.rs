//! Hit lists as both backends return them: best first, ties in document and chunk
//! order; BM25 scores computed here; the hybrid list fused here.

// Qdrant adds a BM25 score's terms in the order its segment first saw them, which
// depends on every user's writes, and returns tied scores in the order it holds
// points. So a backend asks Qdrant for BM25 candidates (more than it returns), and
// scores each from the chunk's stored term weights and the query's per-scope weights
// (`store::term_stats`), adding terms in term-id order; every list is sorted with ties
// in document order; and a hybrid search fuses its dense and BM25 lists by reciprocal
// rank here, as Qdrant's RRF would. A user's hits then depend only on that user's
// chunks and the query, to the last digit.

use std::collections::HashMap;

use super::{ChunkHit, SearchMode, SearchQuery};

/// RRF constant: Qdrant's default. Small `k` lets the top ranks of either list dominate.
pub const RRF_K: usize = 2;
/// Minimum candidates each list of a hybrid search contributes to the fusion.
pub const MIN_FUSED: usize = 50;

/// BM25 candidates to ask Qdrant for first, to return `limit` after re-scoring.
pub fn bm25_candidates(limit: usize) -> usize {
    limit.saturating_mul(2).saturating_add(10)
}

/// Relative difference beyond which our BM25 score and Qdrant's surely order two chunks
/// the same way (they differ in the last bits only).
const SCORE_NOISE: f32 = 1e-5;

/// Most BM25 candidates one search asks Qdrant for. Ties at the cut are settled in
/// document order only among the candidates: a tie running past this many chunks of
/// one scope (a templated bank where every story says "latency" the same way) is cut
/// where Qdrant cut it, instead of reading the whole tie (28,160 candidates and half a
/// second for one question at 20,000 such stories, measured).
pub const MAX_BM25_CANDIDATES: usize = 1_000;

/// After asking Qdrant for `asked` BM25 candidates (it found `found`, the last with
/// Qdrant's score `last_found`) and re-scoring them, the `limit`-th best of them
/// scoring `kth`: `None` when the best `limit` candidates are the best `limit` of
/// every chunk, or the larger number of candidates to ask for. They are when Qdrant
/// found fewer than asked (it returned every match), or when the `limit`-th hit scores
/// clearly above the last candidate, so that no chunk left out could tie with or beat
/// it; otherwise a tie runs past the candidates, and which of the tied chunks came back
/// is up to Qdrant: ask for four times as many, up to [`MAX_BM25_CANDIDATES`].
pub fn more_bm25_candidates(
    asked: usize,
    found: usize,
    last_found: Option<f32>,
    kth: Option<f32>,
) -> Option<usize> {
    if found < asked || asked >= MAX_BM25_CANDIDATES {
        return None;
    }
    match (kth, last_found) {
        (Some(kth), Some(last)) if kth > last + last.abs() * SCORE_NOISE => None,
        _ => Some(asked.saturating_mul(4).min(MAX_BM25_CANDIDATES)),
    }
}

/// The `limit`-th best of `scores` (any order), `None` when there are fewer.
pub fn kth_best(scores: &[f32], limit: usize) -> Option<f32> {
    if limit == 0 || scores.len() < limit {
        return None;
    }
    let mut sorted = scores.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    Some(sorted[limit - 1])
}

/// The BM25 score of a chunk: the sum of query weight times the chunk's term weight
/// over the terms both hold, added in term-id order. `query` is sorted by term id
/// (as the BM25 encoder gives it); `chunk` may be in any order.
pub fn bm25_score(query: (&[u32], &[f32]), chunk: (&[u32], &[f32])) -> f32 {
    let mut terms: Vec<(u32, f32)> = chunk
        .0
        .iter()
        .copied()
        .zip(chunk.1.iter().copied())
        .collect();
    terms.sort_unstable_by_key(|&(term, _)| term);
    let mut score = 0.0f32;
    for (term, weight) in query.0.iter().zip(query.1) {
        if let Ok(at) = terms.binary_search_by_key(term, |&(t, _)| t) {
            score += weight * terms[at].1;
        }
    }
    score
}

/// Best score first; equal scores in document, then chunk order.
pub fn sort(hits: &mut [ChunkHit]) {
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.payload.doc_id.cmp(&b.payload.doc_id))
            .then_with(|| a.payload.chunk_index.cmp(&b.payload.chunk_index))
    });
}

/// Several lists of disjoint hits as one: sorted, the first `limit`.
pub fn merge(lists: Vec<Vec<ChunkHit>>, limit: usize) -> Vec<ChunkHit> {
    let mut hits: Vec<ChunkHit> = lists.into_iter().flatten().collect();
    sort(&mut hits);
    hits.truncate(limit);
    hits
}

/// The dense half of a hybrid search for `query`: enough candidates for the fusion.
pub fn hybrid_dense_query(query: &SearchQuery) -> SearchQuery {
    SearchQuery {
        mode: SearchMode::Dense,
        limit: query.limit.max(MIN_FUSED),
        ..query.clone()
    }
}

/// The hybrid list from its two halves, each found for `limit.max(MIN_FUSED)`: fused
/// by reciprocal rank, or the dense list alone when the query had no BM25 terms
/// (`bm25` is `None`: only stopwords).
pub fn hybrid(dense: Vec<ChunkHit>, bm25: Option<Vec<ChunkHit>>, limit: usize) -> Vec<ChunkHit> {
    match bm25 {
        None => merge(vec![dense], limit),
        Some(bm25) => rrf(vec![dense, bm25], limit),
    }
}

/// Reciprocal rank fusion of sorted lists, with Qdrant's scoring: a hit at 0-based
/// position `p` of a list adds `1 / (p + RRF_K)`. The first `limit`, sorted.
pub fn rrf(lists: Vec<Vec<ChunkHit>>, limit: usize) -> Vec<ChunkHit> {
    let mut fused: HashMap<(String, usize), ChunkHit> = HashMap::new();
    for list in lists {
        for (position, hit) in list.into_iter().enumerate() {
            let score = 1.0 / ((position + 1) as f32 + RRF_K as f32 - 1.0);
            let key = (hit.payload.doc_id.clone(), hit.payload.chunk_index);
            fused
                .entry(key)
                .and_modify(|h| h.score += score)
                .or_insert(ChunkHit { score, ..hit });
        }
    }
    merge(vec![fused.into_values().collect()], limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::payload::sample_payload;

    fn hit(score: f32, doc: &str, chunk: usize) -> ChunkHit {
        let mut payload = sample_payload();
        payload.doc_id = doc.into();
        payload.chunk_index = chunk;
        ChunkHit { score, payload }
    }

    fn keys(hits: &[ChunkHit]) -> Vec<(&str, usize)> {
        hits.iter()
            .map(|h| (h.payload.doc_id.as_str(), h.payload.chunk_index))
            .collect()
    }

    #[test]
    fn merged_hits_are_best_first_with_ties_in_document_order() {
        let lists = vec![
            vec![hit(0.9, "b", 0), hit(0.5, "b", 1)],
            vec![hit(0.9, "a", 2), hit(0.7, "c", 0), hit(0.1, "c", 1)],
        ];
        let merged = merge(lists, 3);
        assert_eq!(keys(&merged), [("a", 2), ("b", 0), ("c", 0)]);
    }

    #[test]
    fn the_bm25_score_is_the_same_whatever_order_the_chunk_terms_come_in() {
        let query: (&[u32], &[f32]) = (&[2, 5, 9], &[1.7, 0.3, 2.9]);
        let forward = bm25_score(query, (&[1, 2, 5, 9], &[0.4, 0.61, 0.77, 0.13]));
        let shuffled = bm25_score(query, (&[9, 1, 5, 2], &[0.13, 0.4, 0.77, 0.61]));
        assert_eq!(forward.to_bits(), shuffled.to_bits());
        let expected = 1.7f32 * 0.61 + 0.3 * 0.77 + 2.9 * 0.13;
        assert_eq!(forward, expected);
        assert_eq!(bm25_score(query, (&[4], &[1.0])), 0.0);
    }

    #[test]
    fn more_candidates_are_asked_for_while_a_tie_may_run_past_them() {
        let kth = |limit| kth_best(&[2.0, 3.0, 2.0], limit);
        assert_eq!(kth(2), Some(2.0));
        assert_eq!(kth(1), Some(3.0));
        assert_eq!(kth(4), None);
        // Every match came back.
        assert_eq!(more_bm25_candidates(10, 3, Some(2.0), kth(2)), None);
        // The 2nd hit ties with the last candidate: a chunk left out may tie too.
        assert_eq!(more_bm25_candidates(3, 3, Some(2.0), kth(2)), Some(12));
        // The 1st hit is clearly above the last candidate.
        assert_eq!(more_bm25_candidates(3, 3, Some(2.0), kth(1)), None);
        // Fewer hits than asked for (a point deleted meanwhile): ask again.
        assert_eq!(more_bm25_candidates(3, 3, Some(2.0), kth(5)), Some(12));
    }

    #[test]
    fn a_tie_is_followed_up_to_the_most_candidates_and_no_further() {
        let tied = Some(2.0);
        assert_eq!(more_bm25_candidates(110, 110, tied, tied), Some(440));
        assert_eq!(
            more_bm25_candidates(440, 440, tied, tied),
            Some(MAX_BM25_CANDIDATES)
        );
        assert_eq!(
            more_bm25_candidates(MAX_BM25_CANDIDATES, MAX_BM25_CANDIDATES, tied, tied),
            None
        );
        // A limit whose first ask is already beyond the most: one ask.
        let asked = bm25_candidates(600);
        assert_eq!(more_bm25_candidates(asked, asked, tied, tied), None);
    }

    #[test]
    fn rrf_adds_each_lists_reciprocal_rank_like_qdrant() {
        let dense = vec![hit(0.9, "a", 0), hit(0.8, "b", 0)];
        let bm25 = vec![hit(7.0, "b", 0), hit(5.0, "c", 0)];
        let fused = rrf(vec![dense, bm25], 10);
        assert_eq!(keys(&fused), [("b", 0), ("a", 0), ("c", 0)]);
        assert_eq!(fused[0].score, 1.0 / 3.0 + 1.0 / 2.0);
        assert_eq!(fused[1].score, 1.0 / 2.0);
        assert_eq!(fused[2].score, 1.0 / 3.0);
        // Equal fused scores: document order.
        let tied = rrf(vec![vec![hit(1.0, "z", 0)], vec![hit(1.0, "y", 0)]], 1);
        assert_eq!(keys(&tied), [("y", 0)]);
    }
}
