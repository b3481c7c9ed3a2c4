//! How a dense search finds its nearest points: by scanning, or through a graph.
//!
//! Both backends build the same multitenant HNSW layout: no global graph, one graph
//! per `scope` (a user's stories, a user's notes; see `store::payload::SCOPE`). A
//! search may walk it only when the store was opened with graph search on (off by
//! default: see `[store] graph_search`) and under the rules here, and both backends
//! check its result the same way (see [`uses_graph`]).

use super::{SearchMode, SearchQuery};

/// How the dense half of a search may find its nearest points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseSearch {
    /// Score every point passing the filter: recall 1.0, time linear in the points.
    Exact,
    /// Let Qdrant walk the scope's HNSW graph when the filtered points exceed the full
    /// scan threshold (it scans below it, and before `optimize` has built a graph).
    Graph,
}

impl DenseSearch {
    /// What a store allows: the graph when graph search is on and no chunk predates
    /// scopes (`unscoped` counts those; `store` names the store in the warning).
    pub fn allowed(graph_search: bool, unscoped: usize, store: &str) -> Self {
        if !graph_search {
            return DenseSearch::Exact;
        }
        if unscoped > 0 {
            tracing::warn!(
                unscoped,
                "the {store} holds chunks written by an older starcoach: dense search \
                 stays exact; ingest into a new {store} to search large banks faster"
            );
            return DenseSearch::Exact;
        }
        DenseSearch::Graph
    }
}

/// Candidates a graph search keeps while walking (HNSW `ef`). Qdrant's default (100)
/// gave recall@10 0.97 on the store contract test's random vectors, 128 gave 0.998
/// and 256 gives 1.0, at a cost that grows with `ef`, not with the bank.
pub const GRAPH_EF: usize = 256;

/// Whether a request for `query` may walk a graph, given whether its text has BM25
/// terms and what the store allows.
///
/// Only a dense ranking of one kind, asking for at most [`GRAPH_EF`] points, does:
/// the graphs are per (kind, user), so a search over both kinds would walk one of
/// them only; a fused hybrid list could not be checked (below); and a search asking
/// for more points than a walk keeps is a listing (the retriever loads a user's
/// whole bank that way), which a scan serves faster.
///
/// The walk has one known failure in Qdrant's segment code (qdrant-edge 0.7.2): when
/// the graph's entry point for the scope has been deleted (a story edited or removed
/// after the last index build), the segment returns nothing. A graph result shorter
/// than asked for is therefore checked against the number of points the filter
/// selects, and searched again exactly when short.
pub fn uses_graph(query: &SearchQuery, has_terms: bool, store: DenseSearch) -> bool {
    let dense_ranking = match query.mode {
        SearchMode::Dense => true,
        SearchMode::Hybrid => !has_terms,
        SearchMode::Bm25 => false,
    };
    dense_ranking && store == DenseSearch::Graph && query.kind.is_some() && query.limit <= GRAPH_EF
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::DocumentKind;

    fn query(mode: SearchMode, kind: Option<DocumentKind>) -> SearchQuery {
        SearchQuery {
            dense: vec![1.0],
            text: "conflict".into(),
            mode,
            kind,
            limit: 10,
        }
    }

    #[test]
    fn only_a_dense_ranking_of_one_kind_walks_a_graph() {
        let story = Some(DocumentKind::Story);
        assert!(uses_graph(
            &query(SearchMode::Dense, story),
            true,
            DenseSearch::Graph
        ));
        assert!(uses_graph(
            &query(SearchMode::Hybrid, story),
            false,
            DenseSearch::Graph
        ));
        assert!(!uses_graph(
            &query(SearchMode::Hybrid, story),
            true,
            DenseSearch::Graph
        ));
        assert!(!uses_graph(
            &query(SearchMode::Bm25, story),
            true,
            DenseSearch::Graph
        ));
        assert!(!uses_graph(
            &query(SearchMode::Dense, None),
            true,
            DenseSearch::Graph
        ));
        assert!(!uses_graph(
            &query(SearchMode::Dense, story),
            true,
            DenseSearch::Exact
        ));
        let listing = SearchQuery {
            limit: GRAPH_EF + 1,
            ..query(SearchMode::Dense, story)
        };
        assert!(!uses_graph(&listing, true, DenseSearch::Graph));
    }
}
