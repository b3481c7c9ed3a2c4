//! Turning a [`SearchQuery`] into Qdrant query requests: a dense one, a BM25 one (a
//! hybrid search runs both and fuses them, see `store::ranked`).

use qdrant_edge::{
    Filter, NamedQuery, QuantizationSearchParams, QueryEnum, QueryRequest, ScoringQuery,
    SearchParams, SparseVector, VectorInternal, WithPayloadInterface, WithVector,
};

use super::schema::{DENSE, SPARSE};
use crate::store::dense::{uses_graph, DenseSearch};
use crate::store::SearchQuery;

/// One ranked list: what to score and how to search for it.
struct Ranking {
    query: ScoringQuery,
    params: Option<SearchParams>,
}

/// The dense search for `query` restricted by `filter`: nearest by cosine, scanning
/// (int8 or exact) or through the scope's graph (see `store::dense`).
pub fn dense(query: &SearchQuery, filter: Filter, dense_search: DenseSearch) -> QueryRequest {
    let graph = uses_graph(query, false, dense_search);
    request(
        dense_ranking(query, dense_search, graph),
        query.limit,
        filter,
    )
}

/// The BM25 search for the weighted query terms `sparse` restricted by `filter`, for
/// `limit` candidates; `None` when the query has no terms (only stopwords).
pub fn bm25(sparse: SparseVector, filter: Filter, limit: usize) -> Option<QueryRequest> {
    if sparse.indices.is_empty() {
        return None;
    }
    let ranking = Ranking {
        query: nearest(SPARSE, VectorInternal::Sparse(sparse)),
        params: None,
    };
    Some(request(ranking, limit, filter))
}

fn dense_ranking(query: &SearchQuery, search: DenseSearch, graph: bool) -> Ranking {
    let dense = search.params(graph);
    let quantization = dense
        .rescore_oversampling
        .map(|oversampling| QuantizationSearchParams {
            ignore: false,
            rescore: Some(true),
            oversampling: Some(oversampling),
        });
    let params = SearchParams {
        exact: dense.exact,
        hnsw_ef: dense.hnsw_ef,
        quantization,
        ..SearchParams::default()
    };
    Ranking {
        query: nearest(DENSE, VectorInternal::Dense(query.dense.clone())),
        params: Some(params),
    }
}

fn nearest(using: &str, vector: VectorInternal) -> ScoringQuery {
    ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery::new(vector, using)))
}

fn request(ranking: Ranking, limit: usize, filter: Filter) -> QueryRequest {
    QueryRequest {
        prefetches: Vec::new(),
        query: Some(ranking.query),
        filter: Some(filter),
        score_threshold: None,
        limit,
        offset: 0,
        params: ranking.params,
        with_vector: WithVector::Bool(false),
        // Ids and scores only: payloads come from `Inner::payloads` (see
        // `edge::read_cache`).
        with_payload: WithPayloadInterface::Bool(false),
    }
}
