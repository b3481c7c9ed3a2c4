//! The collection's layout: named vectors, multitenant HNSW settings and payload
//! indexes, the same as the embedded store's shard (see `edge/schema.rs`).

use qdrant_client::qdrant::{
    vectors_config, CollectionInfo, CreateCollection, CreateCollectionBuilder,
    CreateFieldIndexCollection, CreateFieldIndexCollectionBuilder, Distance, FieldType,
    HnswConfigDiffBuilder, IntegerIndexParamsBuilder, KeywordIndexParamsBuilder,
    OptimizersConfigDiffBuilder, QuantizationType, ScalarQuantizationBuilder,
    SparseVectorParamsBuilder, SparseVectorsConfigBuilder, VectorParamsBuilder,
    VectorsConfigBuilder,
};

use super::payload::{DOC_ID, KIND, SCOPE, SOURCE, USER};
use crate::store::dense::IndexLayout;
use crate::store::payload::TERMS;

/// Name of the dense (embedding) vector.
pub const DENSE: &str = "dense";
/// Name of the BM25 sparse vector, without modifier (as in `edge/schema.rs`): a search
/// weighs the query's terms by the searched scope's statistics (`store::term_stats`).
pub const SPARSE: &str = "bm25_scoped";
/// The BM25 vector of collections written before per-scope statistics, with the IDF
/// modifier over the whole collection; replaced at connect (`server::upgrade`).
pub const LEGACY_SPARSE: &str = "bm25";

/// Index tuning applied when the collection is created (an existing collection keeps
/// the settings it was created with): when the server's optimizer builds an HNSW
/// index, and above which size a search walks the graph rather than scanning.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Vector data (KB) a segment needs before the server indexes it (int8 copies, and
    /// graphs with graph search on).
    /// `None`: the server's default (10,000 KB, about 6,500 384-d vectors).
    pub indexing_threshold_kb: Option<usize>,
    /// A user's vector data (KB) above which the index gets a graph for that user.
    /// `None`: the server's default (10,000 KB).
    pub full_scan_threshold_kb: Option<usize>,
    /// Builds per-scope graphs when the collection is created, and at every connect
    /// lets dense searches walk them (see `store::dense`). Off: no graphs; a dense
    /// search scans int8 copies. An existing collection keeps its layout.
    pub graph_search: bool,
}

/// The request creating a new collection.
///
/// The dense index follows `graph_search` as in the embedded store (see
/// `edge/schema.rs`): no graph, or one graph per `scope` value and none global; int8
/// copies either way. BM25 has no modifier: a search brings its own term weights, from
/// the searched scope alone (as in the embedded store).
pub fn create_collection(
    name: &str,
    dense_dim: usize,
    options: &ServerOptions,
) -> CreateCollection {
    let mut vectors = VectorsConfigBuilder::default();
    vectors.add_named_vector_params(
        DENSE,
        VectorParamsBuilder::new(dense_dim as u64, Distance::Cosine),
    );
    let mut sparse = SparseVectorsConfigBuilder::default();
    sparse.add_named_vector_params(SPARSE, SparseVectorParamsBuilder::default());
    let layout = IndexLayout::wanted(options.graph_search);
    let mut hnsw = HnswConfigDiffBuilder::default()
        .m(0)
        .payload_m(layout.payload_m());
    if let Some(kb) = options.full_scan_threshold_kb {
        hnsw = hnsw.full_scan_threshold(kb as u64);
    }
    let mut builder = CreateCollectionBuilder::new(name)
        .vectors_config(vectors)
        .sparse_vectors_config(sparse)
        .hnsw_config(hnsw)
        .quantization_config(int8());
    if let Some(kb) = options.indexing_threshold_kb {
        builder = builder.optimizers_config(
            OptimizersConfigDiffBuilder::default().indexing_threshold(kb as u64),
        );
    }
    builder.build()
}

/// Scalar int8 quantization kept in RAM, as in the embedded store (`edge/schema.rs`).
fn int8() -> ScalarQuantizationBuilder {
    ScalarQuantizationBuilder::default()
        .r#type(QuantizationType::Int8.into())
        .quantile(0.99)
        .always_ram(true)
}

/// The collection's dense index layout (see `store::dense::IndexLayout`).
pub fn layout(info: &CollectionInfo) -> IndexLayout {
    let hnsw = info.config.as_ref().and_then(|c| c.hnsw_config.as_ref());
    let m = hnsw.and_then(|h| h.m).unwrap_or(0);
    let payload_m = hnsw.and_then(|h| h.payload_m);
    IndexLayout::of_hnsw(m, payload_m)
}

/// Whether the collection gives its segments int8 copies of the vectors.
pub fn has_int8(info: &CollectionInfo) -> bool {
    info.config
        .as_ref()
        .and_then(|c| c.quantization_config.as_ref())
        .is_some()
}

/// Dimension of the collection's dense vector, if it has one.
pub fn dense_dim(info: &CollectionInfo) -> Option<usize> {
    let params = info.config.as_ref()?.params.as_ref()?;
    match params.vectors_config.as_ref()?.config.as_ref()? {
        vectors_config::Config::ParamsMap(map) => map.map.get(DENSE).map(|p| p.size as usize),
        vectors_config::Config::Params(_) => None,
    }
}

/// Whether the collection has the sparse vector `name`.
pub fn has_sparse(info: &CollectionInfo, name: &str) -> bool {
    let sparse = info
        .config
        .as_ref()
        .and_then(|c| c.params.as_ref())
        .and_then(|p| p.sparse_vectors_config.as_ref());
    sparse.is_some_and(|s| s.map.contains_key(name))
}

/// Points a scope needs before the server builds it a graph: a block above a quarter
/// of the collection's full-scan threshold (KB of vectors; the server's default is
/// 10,000).
pub fn graph_min_points(info: &CollectionInfo, dense_dim: usize) -> usize {
    let threshold_kb = info
        .config
        .as_ref()
        .and_then(|c| c.hnsw_config.as_ref())
        .and_then(|h| h.full_scan_threshold)
        .unwrap_or(10_000) as usize;
    threshold_kb * 1024 / (dense_dim * size_of::<f32>()) / 4
}

/// Payload index requests for the fields the collection lacks: `user` as the tenant
/// key, `scope` (user and kind) as the key of the per-tenant HNSW graphs, plus the
/// fields we filter on (`terms`, the BM25 term ids, looked up by value). Run on every
/// connect, so a collection created by someone else (or by an older starcoach) gets
/// them too.
pub fn missing_indexes(collection: &str, info: &CollectionInfo) -> Vec<CreateFieldIndexCollection> {
    // Only `scope` gets per-value HNSW links (see `edge/schema.rs`).
    let graph_key = KeywordIndexParamsBuilder::default().is_tenant(true);
    let tenant = KeywordIndexParamsBuilder::default()
        .is_tenant(true)
        .enable_hnsw(false);
    let plain = KeywordIndexParamsBuilder::default().enable_hnsw(false);
    let mut fields = vec![(SCOPE, graph_key), (USER, tenant)];
    fields.extend([DOC_ID, KIND, SOURCE].map(|f| (f, plain.clone())));
    let mut missing: Vec<CreateFieldIndexCollection> = fields
        .into_iter()
        .filter(|(field, _)| !info.payload_schema.contains_key(*field))
        .map(|(field, params)| {
            CreateFieldIndexCollectionBuilder::new(collection, field, FieldType::Keyword)
                .field_index_params(params)
                .wait(true)
                .build()
        })
        .collect();
    if !info.payload_schema.contains_key(TERMS) {
        let lookup = IntegerIndexParamsBuilder::new(true, false);
        missing.push(
            CreateFieldIndexCollectionBuilder::new(collection, TERMS, FieldType::Integer)
                .field_index_params(lookup)
                .wait(true)
                .build(),
        );
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use qdrant_client::qdrant::{CollectionConfig, CollectionParams};

    /// What the server reports for a collection created by [`create_collection`].
    fn info_of(create: CreateCollection) -> CollectionInfo {
        CollectionInfo {
            config: Some(CollectionConfig {
                params: Some(CollectionParams {
                    vectors_config: create.vectors_config,
                    sparse_vectors_config: create.sparse_vectors_config,
                    ..Default::default()
                }),
                hnsw_config: create.hnsw_config,
                quantization_config: create.quantization_config,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_collection_has_both_vectors_int8_copies_and_the_wanted_layout() {
        let create = create_collection("c", 384, &ServerOptions::default());
        let hnsw = create.hnsw_config.unwrap();
        assert_eq!((hnsw.m, hnsw.payload_m), (Some(0), Some(0)));
        let sparse = &create.sparse_vectors_config.as_ref().unwrap().map[SPARSE];
        assert_eq!(sparse.modifier, None);
        let info = info_of(create);
        assert_eq!(dense_dim(&info), Some(384));
        assert!(has_sparse(&info, SPARSE));
        assert!(!has_sparse(&info, LEGACY_SPARSE));
        assert!(has_int8(&info));
        assert_eq!(layout(&info), IndexLayout::Scan);

        let graphs = ServerOptions {
            graph_search: true,
            ..ServerOptions::default()
        };
        let info = info_of(create_collection("c", 384, &graphs));
        let hnsw = info.config.as_ref().unwrap().hnsw_config.unwrap();
        assert_eq!((hnsw.m, hnsw.payload_m), (Some(0), Some(16)));
        assert_eq!(layout(&info), IndexLayout::Graphs);
    }

    #[test]
    fn every_index_is_missing_from_a_new_collection() {
        let info = info_of(create_collection("c", 384, &ServerOptions::default()));
        let fields: Vec<_> = missing_indexes("c", &info)
            .into_iter()
            .map(|i| i.field_name)
            .collect();
        assert_eq!(fields, [SCOPE, USER, DOC_ID, KIND, SOURCE, TERMS]);
    }
}
