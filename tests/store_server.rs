//! The Qdrant server store against a real Qdrant server (`../shared/bin/qdrant`,
//! v1.18.3) on free loopback ports: the shared store contract
//! (`store_contract/mod.rs`), plus connection errors, API keys, wiring by
//! configuration, and BM25 parity with the embedded store.

#[macro_use]
mod store_contract;
#[path = "support/qdrant_server.rs"]
mod qdrant_server;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use qdrant_client::qdrant::{CreateCollectionBuilder, Distance, VectorParamsBuilder};
use qdrant_client::Qdrant;
use qdrant_server::QdrantServer;
use starcoach::config::StoreSettings;
use starcoach::store::{
    ChunkHit, EdgeStore, SearchMode, ServerOptions, ServerStore, Store, StoreError,
};
use store_contract::{keyword_bank, query, Backend, IndexedStore, Rng, DIM};

const COLLECTION: &str = "starcoach";

/// A server of its own (one per test: a restart disturbs nobody else).
struct ServerBackend {
    server: tokio::sync::Mutex<QdrantServer>,
}

impl ServerBackend {
    fn start() -> Self {
        ServerBackend {
            server: tokio::sync::Mutex::new(QdrantServer::start()),
        }
    }

    async fn url(&self) -> String {
        self.server.lock().await.grpc_url()
    }
}

#[async_trait]
impl IndexedStore for ServerStore {
    async fn indexed_vectors(&self) -> usize {
        self.stats().await.unwrap().indexed_vectors
    }
}

#[async_trait]
impl Backend for ServerBackend {
    async fn open_dim(&self, dim: usize) -> Result<Arc<dyn IndexedStore>, StoreError> {
        let store = ServerStore::connect(&self.url().await, None, COLLECTION, dim).await?;
        Ok(Arc::new(store))
    }

    async fn open_small_index_thresholds(&self, graph_search: bool) -> Arc<dyn IndexedStore> {
        let options = ServerOptions {
            indexing_threshold_kb: Some(1_000),
            full_scan_threshold_kb: Some(100),
            graph_search,
        };
        let store = ServerStore::connect_with(&self.url().await, None, COLLECTION, DIM, &options)
            .await
            .unwrap();
        Arc::new(store)
    }

    async fn restart(&self) {
        self.server.lock().await.restart().await;
    }

    async fn shutdown(&self) {
        self.server.lock().await.stop().await;
    }
}

store_contract_tests!(ServerBackend::start());

#[tokio::test]
async fn an_unreachable_server_is_a_clear_open_error() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let err = ServerStore::connect(&url, None, COLLECTION, DIM)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    let message = err.to_string();
    for part in [url.as_str(), "docker compose up qdrant", "QDRANT_URL"] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[tokio::test]
async fn the_api_key_is_sent_and_a_wrong_one_is_a_clear_error() {
    let server = QdrantServer::start_with_api_key("right-key");
    let url = server.grpc_url();

    for key in [None, Some("wrong-key".to_string())] {
        let err = ServerStore::connect(&url, key.clone(), COLLECTION, DIM)
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, StoreError::Open { .. }), "{key:?}: {err:?}");
        assert!(message.contains("QDRANT_API_KEY"), "{key:?}: {message}");
        assert!(!message.contains("right-key"));
    }

    let store = ServerStore::connect(&url, Some("right-key".into()), COLLECTION, DIM)
        .await
        .unwrap();
    assert!(!format!("{store:?}").contains("right-key"), "{store:?}");
    let (points, _) = keyword_bank(&mut Rng(20));
    store.upsert(points).await.unwrap();
    assert_eq!(store.count("alice").await.unwrap(), 200);
    drop(store);
    server.shutdown().await;
}

#[tokio::test]
async fn a_collection_of_another_layout_is_refused_not_overwritten() {
    let server = QdrantServer::start();
    let client = Qdrant::from_url(&server.grpc_url())
        .skip_compatibility_check()
        .build()
        .unwrap();
    client
        .create_collection(
            CreateCollectionBuilder::new("foreign")
                .vectors_config(VectorParamsBuilder::new(DIM as u64, Distance::Dot)),
        )
        .await
        .unwrap();

    let err = ServerStore::connect(&server.grpc_url(), None, "foreign", DIM)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("written by starcoach"), "{err}");
    assert!(client.collection_exists("foreign").await.unwrap());
    drop(client);
    server.shutdown().await;
}

#[tokio::test]
async fn qdrant_url_in_the_settings_selects_the_server_store() {
    let server = QdrantServer::start();
    let dir = tempfile::tempdir().unwrap();
    let settings = StoreSettings {
        path: dir.path().join("store"),
        qdrant_url: server.grpc_url(),
        qdrant_api_key: Default::default(),
        collection: "team".into(),
        graph_search: false,
    };
    let store = starcoach::app::open_store(&settings, DIM).await.unwrap();
    let (points, _) = keyword_bank(&mut Rng(21));
    store.upsert(points).await.unwrap();

    let direct = ServerStore::connect(&server.grpc_url(), None, "team", DIM)
        .await
        .unwrap();
    assert_eq!(direct.count("alice").await.unwrap(), 200);
    assert!(
        !settings.path.exists(),
        "no embedded store was created beside it"
    );
    drop((store, direct));
    server.shutdown().await;
}

/// Both backends hold the same chunks and must rank them the same way with the same
/// scores: the BM25 vectors come from the same encoder, IDF from the same counts.
#[tokio::test]
async fn both_backends_rank_and_score_identically() {
    let server = QdrantServer::start();
    let remote = ServerStore::connect(&server.grpc_url(), None, COLLECTION, DIM)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let local = EdgeStore::open(dir.path(), DIM).unwrap();
    let mut rng = Rng(22);
    let (points, target) = keyword_bank(&mut rng);
    remote.upsert(points.clone()).await.unwrap();
    local.upsert(points).await.unwrap();

    let probe = rng.unit_vector(DIM);
    let searches = [
        // Every chunk BM25 matches fits in the limit, so ties cannot be cut differently.
        query(probe.clone(), "deadline", SearchMode::Bm25, 200),
        query(
            probe.clone(),
            "customer budget release",
            SearchMode::Bm25,
            200,
        ),
        query(probe.clone(), "Kubernetes billing", SearchMode::Bm25, 200),
        query(probe.clone(), "", SearchMode::Dense, 50),
        query(target.dense.clone(), "kubernetes", SearchMode::Hybrid, 20),
        query(probe, "the and of", SearchMode::Hybrid, 20),
    ];
    for search in searches {
        let on_server = scores(remote.search("alice", &search).await.unwrap());
        let embedded = scores(local.search("alice", &search).await.unwrap());
        assert!(!embedded.is_empty(), "{search:?}");
        assert_eq!(
            on_server.keys().collect::<Vec<_>>(),
            embedded.keys().collect::<Vec<_>>(),
            "same hits for {:?} {:?}",
            search.mode,
            search.text
        );
        for (doc, score) in &embedded {
            let diff = (on_server[doc] - score).abs();
            assert!(
                diff < 1e-4,
                "{:?} {:?}: {doc} scores {score} embedded, {} on the server",
                search.mode,
                search.text,
                on_server[doc]
            );
        }
    }
    drop(remote);
    server.shutdown().await;
}

#[tokio::test]
async fn a_server_that_goes_away_mid_session_is_a_clear_error() {
    let mut server = QdrantServer::start();
    let store = ServerStore::connect(&server.grpc_url(), None, COLLECTION, DIM)
        .await
        .unwrap();
    let (points, _) = keyword_bank(&mut Rng(23));
    store.upsert(points).await.unwrap();
    server.stop().await;

    let err = store.count("alice").await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    for part in [
        server.grpc_url().as_str(),
        "not reachable",
        "docker compose up qdrant",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    drop(store);
    server.shutdown().await;
}

fn scores(hits: Vec<ChunkHit>) -> BTreeMap<String, f32> {
    hits.into_iter()
        .map(|h| (h.payload.doc_id, h.score))
        .collect()
}

/// A collection written by an older starcoach: BM25 with the server's IDF modifier
/// (`bm25`), no term ids in the payloads. Connecting upgrades it in place, and it then
/// ranks and scores exactly as a collection written by this version with the same
/// chunks.
#[tokio::test]
async fn a_collection_from_before_per_user_statistics_is_upgraded_at_connect() {
    use qdrant_client::qdrant::{
        Modifier, NamedVectors, PointStruct, SparseVectorParamsBuilder, SparseVectorsConfigBuilder,
        UpsertPointsBuilder, Vector, VectorsConfigBuilder,
    };
    use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};

    let server = QdrantServer::start();
    let client = Qdrant::from_url(&server.grpc_url())
        .skip_compatibility_check()
        .build()
        .unwrap();
    let mut vectors = VectorsConfigBuilder::default();
    vectors.add_named_vector_params(
        "dense",
        VectorParamsBuilder::new(DIM as u64, Distance::Cosine),
    );
    let mut sparse = SparseVectorsConfigBuilder::default();
    sparse.add_named_vector_params(
        "bm25",
        SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
    );
    client
        .create_collection(
            CreateCollectionBuilder::new("legacy")
                .vectors_config(vectors)
                .sparse_vectors_config(sparse),
        )
        .await
        .unwrap();
    let mut rng = Rng(31);
    let (mut points, _) = keyword_bank(&mut rng);
    points.extend(store_contract::documents(&mut rng, "bob", 30, 2));
    let bm25 = EdgeBm25::new(EdgeBm25Config::default()).unwrap();
    let legacy: Vec<PointStruct> = points
        .iter()
        .map(|p| {
            let sparse = bm25.embed_document(&p.sparse_text);
            let vectors = NamedVectors::default()
                .add_vector("dense", Vector::new_dense(p.dense.clone()))
                .add_vector("bm25", Vector::new_sparse(sparse.indices, sparse.values));
            let mut json = serde_json::to_value(&p.payload).unwrap();
            let scope = format!("{}:{}", p.payload.kind.as_str(), p.payload.user);
            json["scope"] = scope.into();
            let payload = qdrant_client::Payload::try_from(json).unwrap();
            PointStruct::new(p.id.to_string(), vectors, payload)
        })
        .collect();
    client
        .upsert_points(UpsertPointsBuilder::new("legacy", legacy).wait(true))
        .await
        .unwrap();

    let upgraded = ServerStore::connect(&server.grpc_url(), None, "legacy", DIM)
        .await
        .unwrap();
    let said = upgraded.take_upgrades();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("260 chunks"), "{said:?}");
    assert!(upgraded.take_upgrades().is_empty(), "said once");
    let fresh = ServerStore::connect(&server.grpc_url(), None, "fresh", DIM)
        .await
        .unwrap();
    fresh.upsert(points).await.unwrap();

    let mut queries = Vec::new();
    for text in [
        "deadline",
        "customer budget release",
        "the team's hard quarter",
    ] {
        for mode in [SearchMode::Bm25, SearchMode::Hybrid] {
            queries.push(query(rng.unit_vector(DIM), text, mode, 20));
        }
    }
    for user in ["alice", "bob"] {
        let want = store_contract::rankings(&fresh, user, &queries).await;
        assert!(want.iter().any(|hits| !hits.is_empty()), "{user}");
        let got = store_contract::rankings(&upgraded, user, &queries).await;
        store_contract::assert_same_rankings(&got, &want, &queries, user);
    }
    assert_eq!(
        upgraded.documents("alice").await.unwrap(),
        fresh.documents("alice").await.unwrap()
    );
    // The next connect finds nothing to do.
    let again = ServerStore::connect(&server.grpc_url(), None, "legacy", DIM)
        .await
        .unwrap();
    assert!(again.take_upgrades().is_empty());
    drop((client, upgraded, fresh, again));
    server.shutdown().await;
}
