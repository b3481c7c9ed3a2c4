//! The shard's layout: named vectors, multitenant HNSW settings and payload indexes.

use qdrant_edge::{
    CreateIndex, Distance, EdgeConfig, EdgeOptimizersConfig, EdgeSparseVectorParams,
    EdgeVectorParams, FieldIndexOperations, HnswIndexConfig, KeywordIndexParams, Modifier,
    PayloadFieldSchema, PayloadSchemaParams, UpdateOperation,
};

use super::payload::{key, DOC_ID, KIND, SCOPE, SOURCE, USER};

/// Name of the dense (embedding) vector.
pub const DENSE: &str = "dense";
/// Name of the BM25 sparse vector.
pub const SPARSE: &str = "bm25";

/// Index tuning applied when a store directory is created (an existing store keeps
/// the settings it was created with): when `optimize` builds an HNSW index, and above
/// which size a search walks the graph rather than scanning (see `store::dense`).
#[derive(Debug, Clone, Default)]
pub struct EdgeOptions {
    /// Vector data (KB) a segment needs before `optimize` builds an HNSW index for it.
    /// `None`: Qdrant's default, 10,000 KB (about 6,500 384-d vectors); below it
    /// `optimize` only merges and vacuums segments. `Some(0)` never builds one.
    pub indexing_threshold_kb: Option<usize>,
    /// A user's vector data (KB) above which the index gets a graph for that user, and
    /// below which a graph search would scan instead. `None`: 10,000 KB.
    pub full_scan_threshold_kb: Option<usize>,
    /// Applies at every open: let dense searches walk the graphs (see
    /// `store::dense`). Off: every dense search is an exact scan.
    pub graph_search: bool,
}

/// The configuration of a new shard.
///
/// HNSW is multitenant: no global graph (`m: 0`), one graph per `scope` value (a
/// user's stories, a user's notes; `payload_m`), so a graph search only ever walks the
/// points it may return. Qdrant searches the graph only when the filtered points
/// exceed `full_scan_threshold`, and scans below it. BM25 uses the IDF modifier:
/// document frequencies come from the whole shard, all users together.
pub fn new_config(dense_dim: usize, options: &EdgeOptions) -> EdgeConfig {
    let defaults = HnswIndexConfig::default();
    let hnsw = HnswIndexConfig {
        m: 0,
        payload_m: Some(16),
        full_scan_threshold: options
            .full_scan_threshold_kb
            .unwrap_or(defaults.full_scan_threshold),
        ..defaults
    };
    let optimizers = EdgeOptimizersConfig {
        indexing_threshold: options.indexing_threshold_kb,
        ..EdgeOptimizersConfig::default()
    };
    let sparse = EdgeSparseVectorParams::builder()
        .modifier(Modifier::Idf)
        .build();
    EdgeConfig::builder()
        .vector(
            DENSE,
            EdgeVectorParams::builder(dense_dim, Distance::Cosine).build(),
        )
        .sparse_vector(SPARSE, sparse)
        .hnsw_config(hnsw)
        .optimizers(optimizers)
        .build()
}

/// Dimension of the dense vector of a saved configuration, if it has one.
pub fn dense_dim(config: &EdgeConfig) -> Option<usize> {
    config.vectors.get(DENSE).map(|v| v.size)
}

/// Payload index operations: `user` as the tenant key, `scope` (user and kind) as the
/// key of the per-tenant HNSW graphs, plus the fields we filter on.
///
/// Creating an index that already exists is a cheap no-op, so these run on every open
/// (which also indexes fresh appendable segments of older stores).
pub fn index_operations() -> Vec<UpdateOperation> {
    // One graph per (kind, user): a story search then starts and walks inside the
    // user's stories, whatever share of the user's chunks notes are.
    let graph_key = KeywordIndexParams {
        is_tenant: Some(true),
        ..KeywordIndexParams::default()
    };
    let tenant = KeywordIndexParams {
        is_tenant: Some(true),
        enable_hnsw: Some(false),
        ..KeywordIndexParams::default()
    };
    let plain = KeywordIndexParams {
        enable_hnsw: Some(false),
        ..KeywordIndexParams::default()
    };
    let mut fields = vec![(SCOPE, graph_key), (USER, tenant)];
    fields.extend([DOC_ID, KIND, SOURCE].map(|f| (f, plain.clone())));
    fields
        .into_iter()
        .map(|(field, params)| create_keyword_index(field, params))
        .collect()
}

fn create_keyword_index(field: &str, params: KeywordIndexParams) -> UpdateOperation {
    UpdateOperation::FieldIndexOperation(FieldIndexOperations::CreateIndex(CreateIndex {
        field_name: key(field),
        field_schema: Some(PayloadFieldSchema::FieldParams(
            PayloadSchemaParams::Keyword(params),
        )),
    }))
}
