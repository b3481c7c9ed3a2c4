//! How a dense search finds its nearest points: by scanning, or through a graph.

// A store's dense index has one of two layouts ([`IndexLayout`]), chosen by
// `[store] graph_search` (off by default):
//
// - **Scan** (the default): no HNSW graph at all. `optimize` gives every large
//   segment an int8 (scalar-quantized) copy of its vectors; a search scores every
//   point passing its filter on that copy and rescores the best
//   [`RESCORE_OVERSAMPLING`] × limit on the float vectors. Segments too small to be
//   indexed are scanned on the float vectors.
// - **Graphs**: the multitenant HNSW layout, no global graph and one graph per
//   `scope` (a user's stories, a user's notes; see `store::payload::SCOPE`). A search
//   may walk it under the rules of [`uses_graph`], and both backends check its result
//   the same way.

use super::{SearchMode, SearchQuery};

/// How a store's dense index is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexLayout {
    /// No graph; int8 copies of the vectors for scanning.
    Scan,
    /// One HNSW graph per scope (and int8 copies the walk scores with).
    Graphs,
}

impl IndexLayout {
    /// The layout `[store] graph_search` asks for.
    pub fn wanted(graph_search: bool) -> Self {
        if graph_search {
            IndexLayout::Graphs
        } else {
            IndexLayout::Scan
        }
    }

    /// The layout of an HNSW configuration: links of any kind make graphs.
    pub fn of_hnsw(m: u64, payload_m: Option<u64>) -> Self {
        if m == 0 && payload_m.unwrap_or(0) == 0 {
            IndexLayout::Scan
        } else {
            IndexLayout::Graphs
        }
    }

    /// HNSW `payload_m`: links per point in each scope's graph (none for a scan).
    pub fn payload_m(self) -> u64 {
        match self {
            IndexLayout::Scan => 0,
            IndexLayout::Graphs => 16,
        }
    }
}

/// How the dense half of a search may find its nearest points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseSearch {
    /// Score every point passing the filter on its float vector: recall 1.0, time
    /// linear in the points. For a store with graphs the graph search may not use.
    Exact,
    /// Score every point passing the filter on its int8 copy where one is built, then
    /// rescore the best on float vectors: the default, a store without graphs.
    Quantized,
    /// Let Qdrant walk the scope's HNSW graph when the filtered points exceed the full
    /// scan threshold (it scans below it, and before `optimize` has built a graph).
    Graph,
}

impl DenseSearch {
    /// What a store of `layout` allows: a scan of the int8 copies without graphs; with
    /// graphs, the graph when graph search is on and no chunk predates scopes
    /// (`unscoped` counts those; `store` names the store in the warning).
    pub fn allowed(layout: IndexLayout, graph_search: bool, unscoped: usize, store: &str) -> Self {
        if layout == IndexLayout::Scan {
            return DenseSearch::Quantized;
        }
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

    /// The search parameters of one dense ranking, `graph` saying whether it may walk
    /// a graph (see [`uses_graph`]).
    pub fn params(self, graph: bool) -> DenseParams {
        if graph {
            return DenseParams {
                exact: false,
                hnsw_ef: Some(GRAPH_EF),
                rescore_oversampling: Some(RESCORE_OVERSAMPLING),
            };
        }
        match self {
            // With no links in any segment, Qdrant scans; not exact, so that the scan
            // may use the int8 copies.
            DenseSearch::Quantized => DenseParams {
                exact: false,
                hnsw_ef: None,
                rescore_oversampling: Some(RESCORE_OVERSAMPLING),
            },
            DenseSearch::Exact | DenseSearch::Graph => DenseParams {
                exact: true,
                hnsw_ef: None,
                rescore_oversampling: None,
            },
        }
    }
}

/// Search parameters of a dense ranking, for either backend's request type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenseParams {
    /// Score float vectors of every point passing the filter (no graph, no int8).
    pub exact: bool,
    /// Candidates a graph walk keeps.
    pub hnsw_ef: Option<usize>,
    /// Rescore this many times the limit, best by int8 score, on float vectors.
    pub rescore_oversampling: Option<f64>,
}

/// Candidates scored on int8 copies and rescored on float vectors, as a multiple of
/// the points asked for: the int8 ranking only has to bring the true top within 3×
/// the limit (recall against the float scan: `BENCHMARKS.md`), and rescoring a few
/// dozen float vectors costs microseconds.
pub const RESCORE_OVERSAMPLING: f64 = 3.0;

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

/// Whether a graph search that found `found` points for `query` must be run again
/// exactly: it may have walked a graph (see [`uses_graph`]) and came back short.
/// The caller then counts the points its filter selects ([`short_of`]).
pub fn may_be_short(query: &SearchQuery, found: usize, store: DenseSearch) -> bool {
    found < query.limit && uses_graph(query, false, store)
}

/// Whether `available` points could have filled more than the `found` a graph
/// returned: then the graph lost its entry point and the search is run exactly.
pub fn short_of(found: usize, available: usize) -> bool {
    let short = available > found;
    if short {
        tracing::info!(
            hits = found,
            available,
            "graph search came back short; searching exactly"
        );
    }
    short
}

/// Points a scope needs before an optimize builds it a graph: Qdrant builds one for a
/// block above a quarter of the full-scan threshold (in KB of dense vectors).
pub fn graph_min_points(full_scan_threshold_kb: usize, dense_dim: usize) -> usize {
    full_scan_threshold_kb * 1024 / (dense_dim * size_of::<f32>()) / 4
}

/// Whether deleting or moving points of a user whose scopes hold `scope_points`
/// points must mark the graphs for a rebuild at the next optimize: a scope large
/// enough to have a graph may lose its entry point (see [`uses_graph`]).
pub fn needs_graph_rebuild(scope_points: &[usize], graph_min_points: usize) -> bool {
    scope_points.iter().any(|&points| points > graph_min_points)
}

/// A dense vector of the store's dimension, or the error that says which it is not.
pub fn check_dimension(stored: usize, vector: &[f32]) -> Result<(), crate::store::StoreError> {
    if vector.len() == stored {
        return Ok(());
    }
    Err(crate::store::StoreError::DimensionMismatch {
        stored,
        expected: vector.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::DocumentKind;

    #[test]
    fn a_scope_above_the_graph_minimum_marks_a_rebuild() {
        // The default full-scan threshold, 384-d vectors: 1,666 points.
        let min = graph_min_points(10_000, 384);
        assert_eq!(min, 1_666);
        assert!(!needs_graph_rebuild(&[min, 3], min));
        assert!(needs_graph_rebuild(&[3, min + 1], min));
    }

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
        assert!(!uses_graph(
            &query(SearchMode::Dense, story),
            true,
            DenseSearch::Quantized
        ));
        let listing = SearchQuery {
            limit: GRAPH_EF + 1,
            ..query(SearchMode::Dense, story)
        };
        assert!(!uses_graph(&listing, true, DenseSearch::Graph));
    }

    #[test]
    fn a_store_without_graphs_scans_int8_copies_whatever_graph_search_says() {
        for graph_search in [false, true] {
            let search = DenseSearch::allowed(IndexLayout::Scan, graph_search, 0, "store");
            assert_eq!(search, DenseSearch::Quantized);
            let params = search.params(false);
            assert!(
                !params.exact,
                "an exact search would ignore the int8 copies"
            );
            assert_eq!(params.hnsw_ef, None);
            assert_eq!(params.rescore_oversampling, Some(RESCORE_OVERSAMPLING));
        }
    }

    #[test]
    fn a_store_with_graphs_scans_float_vectors_unless_it_walks_a_graph() {
        let off = DenseSearch::allowed(IndexLayout::Graphs, false, 0, "store");
        assert_eq!(off, DenseSearch::Exact);
        let old_chunks = DenseSearch::allowed(IndexLayout::Graphs, true, 3, "store");
        assert_eq!(old_chunks, DenseSearch::Exact);
        let on = DenseSearch::allowed(IndexLayout::Graphs, true, 0, "store");
        assert_eq!(on, DenseSearch::Graph);
        // Anything exact=false on a store with graphs may walk one: only a graph
        // search the store allows is sent that way.
        assert!(off.params(false).exact);
        assert!(on.params(false).exact);
        let walk = on.params(true);
        assert!(!walk.exact);
        assert_eq!(walk.hnsw_ef, Some(GRAPH_EF));
    }

    #[test]
    fn layouts_follow_the_links_of_an_hnsw_configuration() {
        for layout in [IndexLayout::Scan, IndexLayout::Graphs] {
            let graph_search = layout == IndexLayout::Graphs;
            assert_eq!(IndexLayout::wanted(graph_search), layout);
            assert_eq!(IndexLayout::of_hnsw(0, Some(layout.payload_m())), layout);
        }
        assert_eq!(IndexLayout::of_hnsw(0, None), IndexLayout::Scan);
        assert_eq!(IndexLayout::of_hnsw(16, Some(0)), IndexLayout::Graphs);
    }
}
