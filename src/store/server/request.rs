//! A [`SearchQuery`] as Qdrant server query requests, the same as the embedded
//! store's (`edge/request.rs`).

// Turning a [`SearchQuery`] into Qdrant server query requests: the same as the
// embedded store's (see `edge/request.rs`): a dense search scanning int8 copies,
// exact, or through the scope's graph (`store::dense`), and a BM25 search on the
// inverted index that also returns each chunk's term weights (a hybrid search runs
// both and fuses them, see `store::ranked`).

use qdrant_client::qdrant::{
    Filter, QuantizationSearchParamsBuilder, Query, QueryPoints, QueryPointsBuilder,
    SearchParamsBuilder, VectorInput, VectorsSelector,
};

use super::schema::{DENSE, SPARSE};
use crate::store::dense::{uses_graph, DenseSearch};
use crate::store::SearchQuery;

/// The BM25 embedding of a query's text, as term ids and weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sparse {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

/// The dense search for `query` on `collection`, restricted by `filter`.
pub fn dense(
    collection: &str,
    query: &SearchQuery,
    filter: Filter,
    search: DenseSearch,
) -> QueryPoints {
    let graph = uses_graph(query, false, search);
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
    QueryPointsBuilder::new(collection)
        .query(Query::new_nearest(VectorInput::new_dense(
            query.dense.clone(),
        )))
        .using(DENSE)
        .params(params.build())
        .filter(filter)
        .limit(query.limit as u64)
        .with_payload(super::payload::chunk_fields())
        .with_vectors(false)
        .build()
}

/// The BM25 search for the weighted query terms `sparse` on `collection`, restricted
/// by `filter`, for `limit` candidates with their term weights; `None` when the query
/// has no terms (only stopwords).
pub fn bm25(collection: &str, sparse: Sparse, filter: Filter, limit: usize) -> Option<QueryPoints> {
    if sparse.indices.is_empty() {
        return None;
    }
    let weights = VectorsSelector {
        names: vec![SPARSE.to_owned()],
    };
    Some(
        QueryPointsBuilder::new(collection)
            .query(Query::new_nearest(VectorInput::new_sparse(
                sparse.indices,
                sparse.values,
            )))
            .using(SPARSE)
            .filter(filter)
            .limit(limit as u64)
            .with_payload(super::payload::chunk_fields())
            .with_vectors(weights)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::DocumentKind;
    use crate::store::dense::{GRAPH_EF, RESCORE_OVERSAMPLING};
    use crate::store::select;
    use crate::store::server::filter;
    use crate::store::SearchMode;

    fn query(mode: SearchMode, limit: usize) -> SearchQuery {
        SearchQuery {
            dense: vec![0.5; 4],
            text: "text".into(),
            mode,
            kind: None,
            limit,
        }
    }

    #[test]
    fn bm25_asks_for_the_term_weights_and_nothing_to_search_for_gives_no_request() {
        let user = filter::of(&select::user("alice"));
        let terms = Sparse {
            indices: vec![7],
            values: vec![1.0],
        };
        let request = bm25("c", terms, user.clone(), 30).unwrap();
        assert_eq!(request.using.as_deref(), Some(SPARSE));
        assert_eq!(request.filter.as_ref(), Some(&user));
        assert_eq!(request.limit, Some(30));
        let vectors = format!("{:?}", request.with_vectors);
        assert!(vectors.contains(SPARSE), "{vectors}");
        assert!(bm25("c", Sparse::default(), user, 30).is_none());
    }

    #[test]
    fn a_dense_search_of_one_kind_may_walk_the_graph() {
        let stories = SearchQuery {
            kind: Some(DocumentKind::Story),
            ..query(SearchMode::Dense, 5)
        };
        let user = filter::of(&select::user("alice"));
        let params = |request: QueryPoints| request.params.unwrap();
        let graph = params(dense("c", &stories, user.clone(), DenseSearch::Graph));
        assert_eq!(
            (graph.exact, graph.hnsw_ef),
            (Some(false), Some(GRAPH_EF as u64))
        );
        let exact = params(dense("c", &stories, user.clone(), DenseSearch::Exact));
        assert_eq!((exact.exact, exact.quantization), (Some(true), None));

        // Without graphs: every dense ranking scans the int8 copies and rescores.
        let scan = params(dense("c", &stories, user, DenseSearch::Quantized));
        assert_eq!((scan.exact, scan.hnsw_ef), (Some(false), None));
        let quantization = scan.quantization.unwrap();
        assert_eq!(quantization.rescore, Some(true));
        assert_eq!(quantization.oversampling, Some(RESCORE_OVERSAMPLING));
    }
}
