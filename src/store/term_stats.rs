//! BM25 term statistics per searched scope, so a user's ranking depends only on that
//! user's chunks and the question.

// Qdrant's IDF modifier counts document frequencies over the whole collection, every
// user together. Instead each chunk stores its BM25 term ids in the payload field
// [`TERMS`](super::payload::TERMS) (an integer index), the sparse vector has no modifier, and a search weighs
// each query term by Qdrant's own IDF formula with counts taken inside the search's
// filter: the user's chunks of the kind searched.

use crate::corpus::DocumentKind;

/// An upgrade of a store written before per-scope statistics (both backends, when it
/// opens): the collection-wide BM25 vector replaced, term ids added to every chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// Chunks whose BM25 vector and term ids were rewritten.
    pub chunks: usize,
}

impl Upgrade {
    /// One line for a person: what changed and why.
    pub fn describe(&self) -> String {
        format!(
            "upgraded the store: BM25 term statistics are now kept per user and kind, so \
             one user's ranking no longer depends on other users' stories ({} chunks \
             rewritten, nothing re-embedded)",
            self.chunks
        )
    }
}

/// Counts a search's filter gives: its chunks, and for each query term those holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeCounts {
    pub chunks: usize,
    pub holding: Vec<usize>,
}

impl ScopeCounts {
    /// The query's sparse weights: each term's inverse document frequency in the scope,
    /// by the formula of Qdrant's IDF modifier, `ln(1 + (N - n + 0.5) / (n + 0.5))`.
    pub fn weights(&self) -> Vec<f32> {
        let n = self.chunks as f32;
        self.holding
            .iter()
            .map(|&holding| {
                let df = holding as f32;
                ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
            })
            .collect()
    }
}

/// A key naming the chunks a search of `user` for `kind` covers (its filter): the scope
/// of one kind, or all of the user's chunks.
pub fn scope_key(user: &str, kind: Option<DocumentKind>) -> String {
    match kind {
        Some(kind) => super::payload::scope(user, kind),
        // A kind never holds `:` or `*`, so this never equals a scope.
        None => format!("*:{user}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_held_by_fewer_chunks_weighs_more_and_none_weighs_less_than_zero() {
        let counts = ScopeCounts {
            chunks: 100,
            holding: vec![1, 10, 100],
        };
        let w = counts.weights();
        assert!(w[0] > w[1] && w[1] > w[2], "{w:?}");
        assert!(w[2] > 0.0);
        // Qdrant's formula, to the last digit it computes.
        let expected = ((100.0f32 - 10.0 + 0.5) / (10.0 + 0.5) + 1.0).ln();
        assert_eq!(w[1], expected);
    }
}
