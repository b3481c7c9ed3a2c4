//! The shard's layout: named vectors, multitenant HNSW settings and payload indexes.

use qdrant_edge::{
    CreateIndex, Distance, EdgeConfig, EdgeOptimizersConfig, EdgeSparseVectorParams,
    EdgeVectorParams, FieldIndexOperations, HnswIndexConfig, IntegerIndexParams,
    KeywordIndexParams, PayloadFieldSchema, PayloadSchemaParams, QuantizationConfig,
    ScalarQuantizationConfig, ScalarType, UpdateOperation,
};

use super::payload::{key, DOC_ID, KIND, PARTITION, SCOPE, SOURCE, USER};
use crate::store::dense::IndexLayout;
use crate::store::payload::TERMS;

/// Name of the dense (embedding) vector.
pub const DENSE: &str = "dense";
/// Name of the BM25 sparse vector: term-frequency weights without a modifier; a
/// search weighs the query's terms by the searched scope's statistics
/// (`store::term_stats`).
pub const SPARSE: &str = "bm25_scoped";
/// The BM25 vector of stores written before per-scope statistics, with Qdrant's IDF
/// modifier over the whole shard; replaced when such a store opens (`edge::upgrade`).
pub const LEGACY_SPARSE: &str = "bm25";

/// Index tuning. The thresholds apply when a store directory is created (an existing
/// store keeps its own): when `optimize` indexes a segment, and above which size a
/// search walks a graph rather than scanning (see `store::dense`). `graph_search`
/// applies at every open.
#[derive(Debug, Clone, Default)]
pub struct EdgeOptions {
    /// Vector data (KB) a segment needs before `optimize` indexes it (int8 copies, and
    /// graphs with graph search on). `None`: Qdrant's default, 10,000 KB (about 6,500
    /// 384-d vectors); below it `optimize` only merges and vacuums segments. `Some(0)`
    /// never indexes one.
    pub indexing_threshold_kb: Option<usize>,
    /// A user's vector data (KB) above which the index gets a graph for that user, and
    /// below which a graph search would scan instead. `None`: 10,000 KB.
    pub full_scan_threshold_kb: Option<usize>,
    /// Applies at every open: build per-scope HNSW graphs and let dense searches walk
    /// them (see `store::dense`). Off: no graphs; a dense search scans int8 copies.
    /// Opening a store built the other way rebuilds its dense index first.
    pub graph_search: bool,
    /// A user's chunks of one kind from which a dense scan of them is split over
    /// threads, one part of the scope each (see `edge::partition`). `None`:
    /// [`super::partition::PARALLEL_SCAN_MIN_POINTS`].
    pub parallel_scan_min_points: Option<usize>,
}

/// The configuration of a new shard.
///
/// The dense index follows `graph_search` (see `store::dense::IndexLayout`): no graph
/// at all, or multitenant HNSW, with no global graph (`m: 0`) and one graph per
/// `scope` value (a user's stories, a user's notes; `payload_m`), so a graph search
/// only ever walks the points it may return. Either way `optimize` gives indexed
/// segments int8 copies of the dense vectors. Qdrant searches a graph only when the
/// filtered points exceed `full_scan_threshold`, and scans below it. BM25 has no
/// modifier: a search brings its own term weights, from the searched scope alone.
pub fn new_config(dense_dim: usize, options: &EdgeOptions) -> EdgeConfig {
    let defaults = HnswIndexConfig::default();
    let thresholds = HnswIndexConfig {
        full_scan_threshold: options
            .full_scan_threshold_kb
            .unwrap_or(defaults.full_scan_threshold),
        ..defaults
    };
    let hnsw = hnsw_for(IndexLayout::wanted(options.graph_search), thresholds);
    let optimizers = EdgeOptimizersConfig {
        indexing_threshold: options.indexing_threshold_kb,
        ..EdgeOptimizersConfig::default()
    };
    let sparse = EdgeSparseVectorParams::builder().build();
    EdgeConfig::builder()
        .vector(
            DENSE,
            EdgeVectorParams::builder(dense_dim, Distance::Cosine).build(),
        )
        .sparse_vector(SPARSE, sparse)
        .hnsw_config(hnsw)
        .quantization_config(int8())
        .optimizers(optimizers)
        .build()
}

/// Scalar int8 quantization, kept in RAM: a quarter of the float vectors' bytes to
/// scan. The 0.99 quantile clips outlying components so the other values keep their
/// resolution (Qdrant's recommended setting).
fn int8() -> QuantizationConfig {
    ScalarQuantizationConfig {
        r#type: ScalarType::Int8,
        quantile: Some(0.99),
        always_ram: Some(true),
    }
    .into()
}

/// The dense index layout of a saved configuration.
pub fn layout(config: &EdgeConfig) -> IndexLayout {
    let hnsw = &config.hnsw_config;
    IndexLayout::of_hnsw(hnsw.m as u64, hnsw.payload_m.map(|m| m as u64))
}

/// `saved` changed to the layout `graph_search` asks for, with this version's int8
/// quantization, or `None` when it has both. Everything else keeps its saved value.
pub fn relayout(saved: &EdgeConfig, graph_search: bool) -> Option<EdgeConfig> {
    let wanted = IndexLayout::wanted(graph_search);
    if layout(saved) == wanted && saved.quantization_config == Some(int8()) {
        return None;
    }
    let mut config = saved.clone();
    config.hnsw_config = hnsw_for(wanted, saved.hnsw_config);
    config.quantization_config = Some(int8());
    Some(config)
}

/// `base` with the links of `layout`: never a global graph (`m: 0`); per-scope graphs
/// (`payload_m`) or none.
fn hnsw_for(layout: IndexLayout, base: HnswIndexConfig) -> HnswIndexConfig {
    HnswIndexConfig {
        m: 0,
        payload_m: Some(layout.payload_m() as usize),
        ..base
    }
}

/// Dimension of the dense vector of a saved configuration, if it has one.
pub fn dense_dim(config: &EdgeConfig) -> Option<usize> {
    config.vectors.get(DENSE).map(|v| v.size)
}

/// Payload index operations: `user` as the tenant key, `scope` (user and kind) as the
/// key of the per-tenant HNSW graphs, plus the fields we filter on (`partition`: the
/// parts of a scope a parallel scan splits it into).
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
    // `partition` is a tenant key too: `optimize` lays a segment's points out grouped
    // by all tenant keys, so each part of a scope is one contiguous run that a
    // parallel scan streams through (interleaved parts would make every thread skip
    // through all of the scope's vectors).
    let mut fields = vec![
        (SCOPE, graph_key),
        (USER, tenant.clone()),
        (PARTITION, tenant),
    ];
    fields.extend([DOC_ID, KIND, SOURCE].map(|f| (f, plain.clone())));
    let mut operations: Vec<UpdateOperation> = fields
        .into_iter()
        .map(|(field, params)| create_keyword_index(field, params))
        .collect();
    operations.push(create_index(
        TERMS,
        PayloadSchemaParams::Integer(term_ids_index()),
    ));
    operations
}

/// `terms` (`store::term_stats`): looked up by value to count a scope's chunks holding
/// a term; never compared by range.
fn term_ids_index() -> IntegerIndexParams {
    IntegerIndexParams {
        lookup: Some(true),
        range: Some(false),
        enable_hnsw: Some(false),
        ..IntegerIndexParams::default()
    }
}

fn create_keyword_index(field: &str, params: KeywordIndexParams) -> UpdateOperation {
    create_index(field, PayloadSchemaParams::Keyword(params))
}

fn create_index(field: &str, params: PayloadSchemaParams) -> UpdateOperation {
    UpdateOperation::FieldIndexOperation(FieldIndexOperations::CreateIndex(CreateIndex {
        field_name: key(field),
        field_schema: Some(PayloadFieldSchema::FieldParams(params)),
    }))
}
