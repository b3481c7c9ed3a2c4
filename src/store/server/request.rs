//! Turning a [`SearchQuery`] into a Qdrant server query request.
//!
//! The same requests as the embedded store builds (see `edge/request.rs`): dense
//! search scanning int8 copies, exact, or through the scope's graph (`store::dense`), BM25 on the inverted
//! index, and hybrid as two prefetches fused with RRF.

use qdrant_client::qdrant::{
    Filter, PrefetchQuery, PrefetchQueryBuilder, QuantizationSearchParamsBuilder, Query,
    QueryPoints, QueryPointsBuilder, Rrf, SearchParams, SearchParamsBuilder, VectorInput,
};

use super::schema::{DENSE, SPARSE};
use crate::store::dense::{uses_graph, DenseSearch};
use crate::store::{SearchMode, SearchQuery};

/// RRF constant: Qdrant's default, and the embedded store's.
pub const RRF_K: u32 = 2;
/// Minimum candidates each hybrid prefetch contributes to the fusion.
pub const MIN_PREFETCH: usize = 50;

/// The BM25 embedding of a query's text, as term ids and weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sparse {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

/// One ranked list: what to score, in which vector, and how to search for it.
struct Ranking {
    query: Query,
    using: Option<&'static str>,
    params: Option<SearchParams>,
}

/// The request for `query` on `collection`, restricted by `filter`.
///
/// `sparse` is the BM25 embedding of the query text; when it is empty (the text had
/// only stopwords) a BM25 search has nothing to match and a hybrid search falls back
/// to its dense half. Returns `None` when there is nothing to search for.
pub fn build(
    collection: &str,
    query: &SearchQuery,
    sparse: Sparse,
    filter: Filter,
    dense_search: DenseSearch,
) -> Option<QueryPoints> {
    if query.limit == 0 {
        return None;
    }
    let has_terms = !sparse.indices.is_empty();
    let graph = uses_graph(query, has_terms, dense_search);
    let ranking = match (query.mode, has_terms) {
        (SearchMode::Bm25, false) => return None,
        (SearchMode::Bm25, true) => bm25(sparse),
        (SearchMode::Dense, _) | (SearchMode::Hybrid, false) => dense(query, dense_search, graph),
        (SearchMode::Hybrid, true) => {
            let candidates = query.limit.max(MIN_PREFETCH);
            let prefetches = [dense(query, dense_search, false), bm25(sparse)]
                .into_iter()
                .map(|ranking| prefetch(ranking, candidates, &filter))
                .collect();
            let rrf = Ranking {
                query: Query::new_rrf(Rrf {
                    k: Some(RRF_K),
                    weights: Vec::new(),
                }),
                using: None,
                params: None,
            };
            return Some(request(collection, prefetches, rrf, query.limit, filter));
        }
    };
    Some(request(
        collection,
        Vec::new(),
        ranking,
        query.limit,
        filter,
    ))
}

/// Nearest by cosine on the dense vector: a scan (int8 or exact), or through the
/// scope's graph (see `store::dense`).
fn dense(query: &SearchQuery, search: DenseSearch, graph: bool) -> Ranking {
    let dense = search.params(graph);
    let mut params = SearchParamsBuilder::default().exact(dense.exact);
    if let Some(ef) = dense.hnsw_ef {
        params = params.hnsw_ef(ef as u64);
    }
    if let Some(oversampling) = dense.rescore_oversampling {
        params = params.quantization(
            QuantizationSearchParamsBuilder::default()
                .ignore(false)
                .rescore(true)
                .oversampling(oversampling),
        );
    }
    Ranking {
        query: Query::new_nearest(VectorInput::new_dense(query.dense.clone())),
        using: Some(DENSE),
        params: Some(params.build()),
    }
}

/// BM25 on the sparse vector: the inverted index is exact by construction.
fn bm25(sparse: Sparse) -> Ranking {
    Ranking {
        query: Query::new_nearest(VectorInput::new_sparse(sparse.indices, sparse.values)),
        using: Some(SPARSE),
        params: None,
    }
}

/// A prefetch carries the user filter itself: the server would merge the request's
/// filter in, but tenant isolation should not rest on that.
fn prefetch(ranking: Ranking, limit: usize, filter: &Filter) -> PrefetchQuery {
    let mut builder = PrefetchQueryBuilder::default()
        .query(ranking.query)
        .filter(filter.clone())
        .limit(limit as u64);
    if let Some(using) = ranking.using {
        builder = builder.using(using);
    }
    if let Some(params) = ranking.params {
        builder = builder.params(params);
    }
    builder.build()
}

fn request(
    collection: &str,
    prefetches: Vec<PrefetchQuery>,
    ranking: Ranking,
    limit: usize,
    filter: Filter,
) -> QueryPoints {
    let mut builder = QueryPointsBuilder::new(collection)
        .query(ranking.query)
        .filter(filter)
        .limit(limit as u64)
        .with_payload(true)
        .with_vectors(false);
    for prefetch in prefetches {
        builder = builder.add_prefetch(prefetch);
    }
    if let Some(using) = ranking.using {
        builder = builder.using(using);
    }
    if let Some(params) = ranking.params {
        builder = builder.params(params);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dense::{GRAPH_EF, RESCORE_OVERSAMPLING};
    use crate::store::server::filter;

    fn query(mode: SearchMode, limit: usize) -> SearchQuery {
        SearchQuery {
            dense: vec![0.5; 4],
            text: "text".into(),
            mode,
            kind: None,
            limit,
        }
    }

    fn terms() -> Sparse {
        Sparse {
            indices: vec![7],
            values: vec![1.0],
        }
    }

    #[test]
    fn hybrid_fuses_two_filtered_prefetches() {
        let user = filter::user("alice");
        let request = build(
            "c",
            &query(SearchMode::Hybrid, 5),
            terms(),
            user.clone(),
            DenseSearch::Graph,
        )
        .unwrap();
        assert_eq!(request.prefetch.len(), 2);
        for prefetch in &request.prefetch {
            assert_eq!(prefetch.filter.as_ref(), Some(&user));
            assert_eq!(prefetch.limit, Some(MIN_PREFETCH as u64));
        }
        assert_eq!(request.prefetch[0].using.as_deref(), Some(DENSE));
        assert_eq!(request.prefetch[1].using.as_deref(), Some(SPARSE));
        assert_eq!(request.filter.as_ref(), Some(&user));
        assert_eq!(request.limit, Some(5));
    }

    #[test]
    fn nothing_to_search_for_gives_no_request() {
        let user = filter::user("alice");
        let none = build(
            "c",
            &query(SearchMode::Bm25, 5),
            Sparse::default(),
            user.clone(),
            DenseSearch::Graph,
        );
        assert!(none.is_none());
        let empty = build(
            "c",
            &query(SearchMode::Dense, 0),
            terms(),
            user.clone(),
            DenseSearch::Graph,
        );
        assert!(empty.is_none());
        let fallback = build(
            "c",
            &query(SearchMode::Hybrid, 5),
            Sparse::default(),
            user,
            DenseSearch::Graph,
        );
        let fallback = fallback.unwrap();
        assert!(fallback.prefetch.is_empty());
        assert_eq!(fallback.using.as_deref(), Some(DENSE));
    }

    #[test]
    fn a_dense_search_of_one_kind_may_walk_the_graph_and_a_fused_one_scans() {
        let stories = SearchQuery {
            kind: Some(crate::corpus::DocumentKind::Story),
            ..query(SearchMode::Dense, 5)
        };
        let user = filter::user("alice");
        let params = |request: QueryPoints| request.params.unwrap();
        let graph = build("c", &stories, terms(), user.clone(), DenseSearch::Graph);
        let graph = params(graph.unwrap());
        assert_eq!(
            (graph.exact, graph.hnsw_ef),
            (Some(false), Some(GRAPH_EF as u64))
        );
        let exact = build("c", &stories, terms(), user.clone(), DenseSearch::Exact);
        let exact = params(exact.unwrap());
        assert_eq!((exact.exact, exact.quantization), (Some(true), None));
        let hybrid = SearchQuery {
            mode: SearchMode::Hybrid,
            ..stories.clone()
        };
        let fused = build("c", &hybrid, terms(), user.clone(), DenseSearch::Graph).unwrap();
        assert_eq!(fused.prefetch[0].params.as_ref().unwrap().exact, Some(true));

        // Without graphs: every dense ranking scans the int8 copies and rescores.
        let scan = build("c", &stories, terms(), user.clone(), DenseSearch::Quantized);
        let scan = params(scan.unwrap());
        assert_eq!((scan.exact, scan.hnsw_ef), (Some(false), None));
        let quantization = scan.quantization.unwrap();
        assert_eq!(quantization.rescore, Some(true));
        assert_eq!(quantization.oversampling, Some(RESCORE_OVERSAMPLING));
        let fused = build("c", &hybrid, terms(), user, DenseSearch::Quantized).unwrap();
        assert_eq!(
            fused.prefetch[0].params.as_ref().unwrap().exact,
            Some(false)
        );
    }
}
