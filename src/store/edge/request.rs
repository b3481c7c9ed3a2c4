//! Turning a [`SearchQuery`] into a Qdrant query request.

use qdrant_edge::{
    Filter, Fusion, NamedQuery, Prefetch, QuantizationSearchParams, QueryEnum, QueryRequest,
    ScoringQuery, SearchParams, SparseVector, VectorInternal, WithPayloadInterface, WithVector,
};

use super::schema::{DENSE, SPARSE};
use crate::store::dense::{uses_graph, DenseSearch};
use crate::store::{SearchMode, SearchQuery};

/// RRF constant: Qdrant's default. Small `k` lets the top ranks of either list dominate.
pub const RRF_K: usize = 2;
/// Minimum candidates each hybrid prefetch contributes to the fusion.
pub const MIN_PREFETCH: usize = 50;
/// One ranked list: what to score and how to search for it.
struct Ranking {
    query: ScoringQuery,
    params: Option<SearchParams>,
}

/// The request for `query` restricted by `filter`.
///
/// `sparse` is the BM25 embedding of the query text; when it is empty (the text had
/// only stopwords) a BM25 search has nothing to match and a hybrid search falls back
/// to its dense half. Returns `None` when there is nothing to search for.
pub fn build(
    query: &SearchQuery,
    sparse: SparseVector,
    filter: Filter,
    dense_search: DenseSearch,
) -> Option<QueryRequest> {
    let has_terms = !sparse.indices.is_empty();
    let graph = uses_graph(query, has_terms, dense_search);
    let ranking = match (query.mode, has_terms) {
        (SearchMode::Bm25, false) => return None,
        (SearchMode::Bm25, true) => bm25(sparse),
        (SearchMode::Dense, _) | (SearchMode::Hybrid, false) => dense(query, dense_search, graph),
        (SearchMode::Hybrid, true) => {
            // A fused list cannot be checked for a graph that came back short.
            let dense = dense(query, dense_search, false);
            return Some(hybrid(query.limit, dense, bm25(sparse), filter));
        }
    };
    Some(request(Vec::new(), ranking, query.limit, filter))
}

/// Nearest by cosine on the dense vector: a scan (int8 or exact), or through the
/// scope's graph (see `store::dense`).
fn dense(query: &SearchQuery, search: DenseSearch, graph: bool) -> Ranking {
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

/// BM25 on the sparse vector: the inverted index is exact by construction.
fn bm25(sparse: SparseVector) -> Ranking {
    Ranking {
        query: nearest(SPARSE, VectorInternal::Sparse(sparse)),
        params: None,
    }
}

fn hybrid(limit: usize, dense: Ranking, bm25: Ranking, filter: Filter) -> QueryRequest {
    let candidates = limit.max(MIN_PREFETCH);
    // The request's filter is merged into every prefetch by the query planner.
    let prefetches = [dense, bm25]
        .into_iter()
        .map(|ranking| prefetch(ranking, candidates))
        .collect();
    let rrf = Ranking {
        query: ScoringQuery::Fusion(Fusion::Rrf {
            k: RRF_K,
            weights: None,
        }),
        params: None,
    };
    request(prefetches, rrf, limit, filter)
}

fn nearest(using: &str, vector: VectorInternal) -> ScoringQuery {
    ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery::new(vector, using)))
}

fn prefetch(ranking: Ranking, limit: usize) -> Prefetch {
    Prefetch {
        prefetches: Vec::new(),
        query: Some(ranking.query),
        limit,
        params: ranking.params,
        filter: None,
        score_threshold: None,
    }
}

fn request(
    prefetches: Vec<Prefetch>,
    ranking: Ranking,
    limit: usize,
    filter: Filter,
) -> QueryRequest {
    QueryRequest {
        prefetches,
        query: Some(ranking.query),
        filter: Some(filter),
        score_threshold: None,
        limit,
        offset: 0,
        params: ranking.params,
        with_vector: WithVector::Bool(false),
        // Ids and scores only: payloads come from `Inner::payloads` (see
        // `edge::payload_cache`).
        with_payload: WithPayloadInterface::Bool(false),
    }
}
