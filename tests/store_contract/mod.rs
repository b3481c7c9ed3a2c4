//! The behaviour every [`Store`] backend must have, as test cases over a [`Backend`].
//!
//! `tests/store_edge.rs` (embedded Qdrant in a temporary directory) and
//! `tests/store_server.rs` (a real Qdrant server) both run every case through
//! [`store_contract_tests!`], so the two backends are held to the same tests.
//! Vectors are random unit vectors from a seeded generator, so no embedding model is
//! needed and every run sees the same data.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use starcoach::corpus::{DocumentKind, LineSpan, SectionKind};
use starcoach::store::{
    ChunkHit, ChunkPayload, ChunkPoint, SearchMode, SearchQuery, Store, StoreError,
};
use uuid::Uuid;

pub const DIM: usize = 384;

/// A store that can say how many vectors its indexes hold (all users together).
#[async_trait]
pub trait IndexedStore: Store {
    async fn indexed_vectors(&self) -> usize;
}

/// One backend under test: a store location (a directory, a server's collection)
/// that can be opened, reopened and restarted.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Open this backend's store (the same one every time) for `dim`-d vectors.
    async fn open_dim(&self, dim: usize) -> Result<Arc<dyn IndexedStore>, StoreError>;

    /// Open it with index thresholds low enough that 6,000 points get indexed: int8
    /// copies, and with `graph_search` an HNSW graph per scope that a user's points
    /// are walked through rather than scanned.
    async fn open_small_index_thresholds(&self, graph_search: bool) -> Arc<dyn IndexedStore>;

    /// Everything flushed must survive this: the embedded store is closed and
    /// reopened (the caller dropped every handle), the server process is restarted.
    async fn restart(&self);

    /// Release what the backend holds (stop a server) at the end of a passing test.
    async fn shutdown(&self) {}

    async fn open(&self) -> Arc<dyn Store> {
        self.open_dim(DIM).await.expect("store opens")
    }
}

/// Generate one `#[tokio::test]` per contract case, each on a fresh `$backend`.
#[macro_export]
macro_rules! store_contract_tests {
    ($backend:expr) => {
        store_contract_tests!(@case $backend, upsert_then_search_returns_the_nearest_point);
        store_contract_tests!(@case $backend, one_user_never_sees_or_changes_another_users_points);
        store_contract_tests!(@case $backend, delete_documents_removes_exactly_those_documents);
        store_contract_tests!(@case $backend, chunks_lists_every_chunk_of_one_kind_of_one_user);
        store_contract_tests!(@case $backend, set_document_lines_moves_the_document_and_each_chunk);
        store_contract_tests!(@case $backend, a_rewritten_chunk_is_found_as_rewritten);
        store_contract_tests!(@case $backend, documents_reports_missing_chunks_and_mixed_versions_as_incomplete);
        store_contract_tests!(@case $backend, flushed_writes_survive_a_restart);
        store_contract_tests!(@case $backend, a_store_refuses_vectors_of_another_dimension);
        store_contract_tests!(@case $backend, a_store_remembers_its_model_and_refuses_another);
        store_contract_tests!(@case $backend, bm25_and_hybrid_find_a_chunk_by_a_rare_keyword);
        store_contract_tests!(@case $backend, a_search_with_limit_zero_finds_nothing_in_every_mode);
        store_contract_tests!(@case $backend, a_users_rankings_do_not_depend_on_other_users_or_kinds);
        store_contract_tests!(@threads 4, $backend, concurrent_writes_flushes_and_searches_do_not_collide);
        store_contract_tests!(@threads 2, $backend, filtered_recall_is_complete_with_default_settings);
        store_contract_tests!(@threads 2, $backend, an_int8_scan_keeps_recall_through_deletes_and_optimize);
        store_contract_tests!(@threads 2, $backend, filtered_recall_is_complete_with_an_hnsw_index_deletes_and_kind_filters);
        store_contract_tests!(@threads 2, $backend, optimize_after_deletes_rebuilds_a_graph_that_lost_its_entry_point);
        store_contract_tests!(@threads 2, $backend, the_graph_rebuild_mark_survives_a_restart);

        /// Run with `--ignored --nocapture`: p50/p95 of hybrid search at ~1,000 stories.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "a measurement, not a check: run with --ignored --nocapture"]
        async fn hybrid_search_latency() {
            let backend = $backend;
            store_contract::hybrid_search_latency(&backend).await;
            store_contract::Backend::shutdown(&backend).await;
        }
    };
    (@case $backend:expr, $name:ident) => {
        #[tokio::test]
        async fn $name() {
            let backend = $backend;
            store_contract::$name(&backend).await;
            store_contract::Backend::shutdown(&backend).await;
        }
    };
    (@threads $threads:literal, $backend:expr, $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
        async fn $name() {
            let backend = $backend;
            store_contract::$name(&backend).await;
            store_contract::Backend::shutdown(&backend).await;
        }
    };
}

/// SplitMix64: small, seeded, good enough for test vectors.
pub struct Rng(pub u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A random direction: normal coordinates (Box-Muller), L2-normalised.
    pub fn unit_vector(&mut self, dim: usize) -> Vec<f32> {
        let v: Vec<f64> = (0..dim)
            .map(|_| {
                let (u1, u2) = (self.unit(), self.unit());
                (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
            })
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter().map(|x| (x / norm) as f32).collect()
    }
}

/// Everything a test chunk needs; the rest of the payload is filled in.
pub struct Chunk<'a> {
    pub user: &'a str,
    pub doc: &'a str,
    pub index: usize,
    pub count: usize,
    pub hash: &'a str,
    pub kind: DocumentKind,
    pub text: String,
    pub dense: Vec<f32>,
}

impl Chunk<'_> {
    pub fn point(self) -> ChunkPoint {
        let key = format!("{}/{}/{}/{}", self.user, self.doc, self.index, self.hash);
        ChunkPoint {
            id: Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes()),
            dense: self.dense,
            sparse_text: self.text.clone(),
            payload: ChunkPayload {
                user: self.user.into(),
                doc_id: self.doc.into(),
                content_hash: self.hash.into(),
                kind: self.kind,
                section: SectionKind::Action,
                source: format!("{}.md", self.doc),
                title: format!("Title of {}", self.doc),
                tags: vec![],
                doc_lines: LineSpan::new(1, 10 * self.count),
                lines: LineSpan::new(1 + 10 * self.index, 10 * (self.index + 1)),
                chunk_index: self.index,
                chunk_count: self.count,
                text: self.text,
            },
        }
    }
}

/// `docs` complete documents of `chunks` chunks each for `user`, random vectors.
pub fn documents(rng: &mut Rng, user: &str, docs: usize, chunks: usize) -> Vec<ChunkPoint> {
    let mut points = Vec::new();
    for d in 0..docs {
        let doc = format!("{user}-doc{d}");
        for index in 0..chunks {
            points.push(
                Chunk {
                    user,
                    doc: &doc,
                    index,
                    count: chunks,
                    hash: "h1",
                    kind: DocumentKind::Story,
                    text: format!("I led the team through a hard quarter, part {index}"),
                    dense: rng.unit_vector(DIM),
                }
                .point(),
            );
        }
    }
    points
}

pub fn query(dense: Vec<f32>, text: &str, mode: SearchMode, limit: usize) -> SearchQuery {
    SearchQuery {
        dense,
        text: text.into(),
        mode,
        kind: None,
        limit,
    }
}

pub const MODES: [SearchMode; 3] = [SearchMode::Dense, SearchMode::Bm25, SearchMode::Hybrid];

pub async fn upsert_then_search_returns_the_nearest_point(backend: &impl Backend) {
    let store = backend.open().await;
    let points = documents(&mut Rng(1), "alice", 10, 5);
    let target = points[17].clone();
    store.upsert(points).await.unwrap();

    let hits = store
        .search(
            "alice",
            &query(target.dense.clone(), "", SearchMode::Dense, 5),
        )
        .await
        .unwrap();

    assert_eq!(hits.len(), 5);
    assert_eq!(hits[0].payload, target.payload);
    assert!(
        (hits[0].score - 1.0).abs() < 1e-4,
        "cosine of itself: {}",
        hits[0].score
    );
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

pub async fn one_user_never_sees_or_changes_another_users_points(backend: &impl Backend) {
    let store = backend.open().await;
    let mut rng = Rng(2);
    let mut alice = documents(&mut rng, "alice", 4, 3);
    alice[0].sparse_text = "zanzibar quokka migration".into();
    let secret = alice[0].clone();
    store.upsert(alice).await.unwrap();
    store
        .upsert(documents(&mut rng, "bob", 2, 3))
        .await
        .unwrap();

    // Searches of one kind filter on the user's scope alone: still isolated.
    for (mode, kind) in MODES
        .into_iter()
        .flat_map(|mode| [None, Some(DocumentKind::Story)].map(|kind| (mode, kind)))
    {
        let q = SearchQuery {
            kind,
            ..query(secret.dense.clone(), "zanzibar quokka", mode, 50)
        };
        let hits = store.search("bob", &q).await.unwrap();
        // (bob's chunks have none of the words: BM25 alone finds nothing of his)
        assert!(
            mode == SearchMode::Bm25 || hits.len() == 6,
            "{mode:?} {kind:?}: {} of bob's 6 chunks",
            hits.len()
        );
        assert!(
            hits.iter().all(|h| h.payload.user == "bob"),
            "{mode:?} {kind:?}"
        );
        let hits = store.search("carol", &q).await.unwrap();
        assert!(
            hits.is_empty(),
            "{mode:?} {kind:?}: a user without data sees nothing"
        );
    }
    let bob_docs = store.documents("bob").await.unwrap();
    assert_eq!(bob_docs.len(), 2);
    assert!(bob_docs.iter().all(|d| d.doc_id.starts_with("bob-")));
    assert_eq!(store.count("bob").await.unwrap(), 6);
    assert_eq!(store.count("alice").await.unwrap(), 12);

    let alice_doc = secret.payload.doc_id.clone();
    store
        .delete_documents("bob", std::slice::from_ref(&alice_doc))
        .await
        .unwrap();
    store
        .set_document_lines(
            "bob",
            &alice_doc,
            LineSpan::new(90, 99),
            &[LineSpan::new(90, 91)],
        )
        .await
        .unwrap();
    assert_eq!(store.count("alice").await.unwrap(), 12);
    let hits = store
        .search(
            "alice",
            &query(secret.dense.clone(), "", SearchMode::Dense, 1),
        )
        .await
        .unwrap();
    assert_eq!(
        hits[0].payload, secret.payload,
        "bob's writes did not touch alice"
    );
}

/// More chunks than one scroll page, both kinds, two users: the listing of one kind
/// of one user is exactly those chunks, each once.
pub async fn chunks_lists_every_chunk_of_one_kind_of_one_user(backend: &impl Backend) {
    let store = backend.open().await;
    let mut rng = Rng(31);
    let mut alice = documents(&mut rng, "alice", 400, 3);
    for point in alice.iter_mut().step_by(4) {
        point.payload.kind = DocumentKind::Note;
    }
    store.upsert(alice.clone()).await.unwrap();
    store
        .upsert(documents(&mut rng, "bob", 5, 3))
        .await
        .unwrap();

    for kind in [DocumentKind::Story, DocumentKind::Note] {
        let mut expected: Vec<String> = alice
            .iter()
            .filter(|p| p.payload.kind == kind)
            .map(|p| chunk_key(&p.payload))
            .collect();
        let listed = store.chunks("alice", kind).await.unwrap();
        assert!(listed.iter().all(|p| p.user == "alice" && p.kind == kind));
        let mut got: Vec<String> = listed.iter().map(chunk_key).collect();
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "{kind:?}");
    }
    let original = &alice[1].payload;
    let listed = store.chunks("alice", DocumentKind::Story).await.unwrap();
    let found = listed.iter().find(|p| chunk_key(p) == chunk_key(original));
    assert_eq!(found, Some(original), "every field comes back");
    assert!(store
        .chunks("carol", DocumentKind::Story)
        .await
        .unwrap()
        .is_empty());
}

pub async fn delete_documents_removes_exactly_those_documents(backend: &impl Backend) {
    let store = backend.open().await;
    store
        .upsert(documents(&mut Rng(3), "alice", 5, 3))
        .await
        .unwrap();

    let gone = ["alice-doc1".to_string(), "alice-doc3".to_string()];
    store.delete_documents("alice", &gone).await.unwrap();
    store.delete_documents("alice", &[]).await.unwrap();

    let left: Vec<_> = store
        .documents("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.doc_id)
        .collect();
    assert_eq!(left, ["alice-doc0", "alice-doc2", "alice-doc4"]);
    assert_eq!(store.count("alice").await.unwrap(), 9);
}

pub async fn set_document_lines_moves_the_document_and_each_chunk(backend: &impl Backend) {
    let store = backend.open().await;
    let points = documents(&mut Rng(4), "alice", 2, 3);
    let probes: Vec<_> = points[..3].iter().map(|p| p.dense.clone()).collect();
    store.upsert(points).await.unwrap();
    // Searched once before the move, so that a backend holding payloads it has read
    // must not answer with them afterwards.
    for probe in &probes {
        let hits = store
            .search("alice", &query(probe.clone(), "", SearchMode::Dense, 1))
            .await
            .unwrap();
        assert_eq!(hits[0].payload.doc_lines, LineSpan::new(1, 30));
    }

    let chunk_lines = [
        LineSpan::new(101, 105),
        LineSpan::new(106, 110),
        LineSpan::new(111, 120),
    ];
    store
        .set_document_lines("alice", "alice-doc0", LineSpan::new(100, 120), &chunk_lines)
        .await
        .unwrap();

    for (probe, lines) in probes.into_iter().zip(chunk_lines) {
        let hit = &store
            .search("alice", &query(probe, "", SearchMode::Dense, 1))
            .await
            .unwrap()[0];
        assert_eq!(hit.payload.doc_id, "alice-doc0");
        assert_eq!(hit.payload.lines, lines);
        assert_eq!(hit.payload.doc_lines, LineSpan::new(100, 120));
        assert!(hit.payload.text.starts_with("I led"), "other fields kept");
    }
    let docs = store.documents("alice").await.unwrap();
    assert_eq!(docs[0].doc_lines, LineSpan::new(100, 120));
    assert_eq!(
        docs[1].doc_lines,
        LineSpan::new(1, 30),
        "other document untouched"
    );
}

/// A story re-ingested with new text keeps its chunks' point ids (they are made from
/// user, document and chunk index): every search after the rewrite returns the new
/// payload, and none after a delete, even for points searched before.
pub async fn a_rewritten_chunk_is_found_as_rewritten(backend: &impl Backend) {
    let store = backend.open().await;
    let points = documents(&mut Rng(9), "alice", 3, 2);
    let target = points[2].clone();
    store.upsert(points).await.unwrap();
    let search = |mode: SearchMode, text: &str| {
        // Every chunk of the user: each list holds the target.
        let (store, q) = (store.clone(), query(target.dense.clone(), text, mode, 10));
        async move { store.search("alice", &q).await.unwrap() }
    };
    let of_target = |hits: &[ChunkHit]| {
        hits.iter()
            .find(|h| h.payload.doc_id == target.payload.doc_id && h.payload.chunk_index == 0)
            .map(|h| h.payload.clone())
    };
    for mode in MODES {
        let hits = search(mode, "quarter").await;
        assert_eq!(
            of_target(&hits),
            Some(target.payload.clone()),
            "{mode:?} before"
        );
    }

    let mut rewritten = target.clone();
    rewritten.sparse_text = "zanzibar quarter postmortem".into();
    rewritten.payload.text = "We wrote a postmortem of the zanzibar outage.".into();
    rewritten.payload.content_hash = "h2".into();
    rewritten.payload.section = SectionKind::Result;
    store.upsert(vec![rewritten.clone()]).await.unwrap();
    for mode in MODES {
        let hits = search(mode, "zanzibar quarter").await;
        assert_eq!(
            of_target(&hits),
            Some(rewritten.payload.clone()),
            "{mode:?} after the rewrite"
        );
    }

    store
        .delete_documents("alice", std::slice::from_ref(&target.payload.doc_id))
        .await
        .unwrap();
    for mode in MODES {
        let hits = search(mode, "zanzibar quarter").await;
        assert!(
            hits.iter()
                .all(|h| h.payload.doc_id != target.payload.doc_id),
            "{mode:?}: a deleted document is not found"
        );
    }
}

pub async fn documents_reports_missing_chunks_and_mixed_versions_as_incomplete(
    backend: &impl Backend,
) {
    let store = backend.open().await;
    let mut rng = Rng(5);
    let mut points = documents(&mut rng, "alice", 3, 3);
    points.remove(4); // alice-doc1 loses its middle chunk
    let mut newer = documents(&mut rng, "alice", 3, 3).remove(8); // alice-doc2, chunk 2
    newer.payload.content_hash = "h2".into();
    newer.id = Uuid::new_v4();
    points.push(newer); // alice-doc2 now has 4 chunks of two versions
    store.upsert(points).await.unwrap();

    let docs = store.documents("alice").await.unwrap();
    let summary: Vec<_> = docs
        .iter()
        .map(|d| {
            (
                d.doc_id.as_str(),
                d.chunks_present,
                d.chunks_expected,
                d.is_complete(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("alice-doc0", 3, 3, true),
            ("alice-doc1", 2, 3, false),
            ("alice-doc2", 4, 3, false),
        ]
    );
    assert_eq!(docs[2].content_hashes, ["h1", "h2"]);
    assert_eq!(docs[0].source, "alice-doc0.md");
}

pub async fn flushed_writes_survive_a_restart(backend: &impl Backend) {
    let points = documents(&mut Rng(6), "alice", 3, 4);
    let probe = points[5].clone();
    let moved = [LineSpan::new(41, 45), LineSpan::new(46, 50)];
    {
        let store = backend.open().await;
        store.upsert(points).await.unwrap();
        store
            .delete_documents("alice", &["alice-doc2".into()])
            .await
            .unwrap();
        store
            .set_document_lines("alice", "alice-doc0", LineSpan::new(40, 80), &moved)
            .await
            .unwrap();
        store.flush().await.unwrap();
    }
    backend.restart().await;
    let store = backend.open().await;
    assert_eq!(store.count("alice").await.unwrap(), 8);
    let docs = store.documents("alice").await.unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].doc_lines, LineSpan::new(40, 80));
    let hits = store
        .search("alice", &query(probe.dense, "", SearchMode::Dense, 1))
        .await
        .unwrap();
    assert_eq!(hits[0].payload, probe.payload);
    let hits = store
        .search(
            "alice",
            &query(vec![], "quarter part", SearchMode::Bm25, 20),
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 8, "the BM25 index came back too");
}

pub async fn a_store_refuses_vectors_of_another_dimension(backend: &impl Backend) {
    let store = backend.open().await;
    let mut short = documents(&mut Rng(7), "alice", 1, 1).remove(0);
    short.dense.truncate(100);
    let err = store.upsert(vec![short.clone()]).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::DimensionMismatch {
                stored: 384,
                expected: 100
            }
        ),
        "{err:?}"
    );
    let err = store
        .search("alice", &query(short.dense, "", SearchMode::Hybrid, 5))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DimensionMismatch { .. }),
        "{err:?}"
    );
    drop(store);

    let reopened = backend.open_dim(768).await;
    assert!(
        matches!(
            reopened,
            Err(StoreError::DimensionMismatch {
                stored: 384,
                expected: 768
            })
        ),
        "{:?}",
        reopened.err()
    );
}

pub async fn a_store_remembers_its_model_and_refuses_another(backend: &impl Backend) {
    let store = backend.open().await;
    store
        .upsert(documents(&mut Rng(8), "alice", 2, 1))
        .await
        .unwrap();
    store.flush().await.unwrap();
    // A store from before models were recorded takes the first model it is opened with.
    store.bind_model("model-a").await.unwrap();
    store.bind_model("model-a").await.unwrap();
    drop(store);
    let reopened = backend.open().await;
    reopened.bind_model("model-a").await.unwrap();
    let err = reopened.bind_model("model-b@384").await.unwrap_err();
    match &err {
        StoreError::ModelMismatch { stored, expected } => {
            assert_eq!(
                (stored.as_str(), expected.as_str()),
                ("model-a", "model-b@384")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("[embedding] model"), "{err}");
    // Refusing the model changed nothing.
    assert_eq!(reopened.count("alice").await.unwrap(), 2);
    reopened.bind_model("model-a").await.unwrap();
}

pub async fn concurrent_writes_flushes_and_searches_do_not_collide(backend: &impl Backend) {
    let store = backend.open().await;
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..4 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut rng = Rng(100 + writer);
            for _ in 0..10 {
                let mut points = documents(&mut rng, "alice", 10, 5);
                points.iter_mut().for_each(|p| p.id = Uuid::new_v4());
                store.upsert(points).await?;
            }
            Ok(())
        });
    }
    let flusher = store.clone();
    tasks.spawn(async move {
        for _ in 0..20 {
            flusher.flush().await?;
        }
        Ok(())
    });
    let searcher = store.clone();
    tasks.spawn(async move {
        let mut rng = Rng(200);
        for _ in 0..20 {
            let q = query(rng.unit_vector(DIM), "team quarter", SearchMode::Hybrid, 5);
            searcher.search("alice", &q).await?;
        }
        Ok::<(), StoreError>(())
    });
    while let Some(result) = tasks.join_next().await {
        result
            .expect("task did not panic")
            .expect("operation succeeded");
    }
    assert_eq!(store.count("alice").await.unwrap(), 4 * 10 * 50);
}

/// 200 chunks of everyday text; one mentions a rare word, and half are notes.
pub fn keyword_bank(rng: &mut Rng) -> (Vec<ChunkPoint>, ChunkPoint) {
    let words = [
        "team", "deadline", "customer", "project", "release", "budget",
    ];
    let mut points = Vec::new();
    for i in 0..200 {
        let text = format!(
            "the {} and the {} were late again for the {}",
            words[i % 6],
            words[(i / 6) % 6],
            words[(i / 36) % 6]
        );
        let kind = if i % 2 == 0 {
            DocumentKind::Story
        } else {
            DocumentKind::Note
        };
        let doc = format!("doc{i}");
        let chunk = Chunk {
            user: "alice",
            doc: &doc,
            index: 0,
            count: 1,
            hash: "h1",
            kind,
            text,
            dense: rng.unit_vector(DIM),
        };
        points.push(chunk.point());
    }
    points[42].sparse_text = "We moved the billing service onto Kubernetes in a weekend".into();
    let target = points[42].clone();
    (points, target)
}

/// `limit == 0` finds nothing in every mode, on every backend, and a dense vector of
/// another dimension is refused before the limit is looked at.
pub async fn a_search_with_limit_zero_finds_nothing_in_every_mode(backend: &impl Backend) {
    let store = backend.open().await;
    let mut rng = Rng(11);
    let (points, target) = keyword_bank(&mut rng);
    store.upsert(points).await.unwrap();
    for mode in [SearchMode::Dense, SearchMode::Bm25, SearchMode::Hybrid] {
        let some = query(target.dense.clone(), "kubernetes", mode, 3);
        assert!(
            !store.search("alice", &some).await.unwrap().is_empty(),
            "{mode:?}"
        );
        let none = SearchQuery { limit: 0, ..some };
        assert!(
            store.search("alice", &none).await.unwrap().is_empty(),
            "{mode:?}"
        );
    }
    for mode in [SearchMode::Dense, SearchMode::Hybrid] {
        let wrong = query(vec![0.5; DIM + 1], "kubernetes", mode, 0);
        assert!(
            matches!(
                store.search("alice", &wrong).await,
                Err(StoreError::DimensionMismatch { .. })
            ),
            "{mode:?}"
        );
    }
}

pub async fn bm25_and_hybrid_find_a_chunk_by_a_rare_keyword(backend: &impl Backend) {
    let store = backend.open().await;
    let mut rng = Rng(8);
    let (points, target) = keyword_bank(&mut rng);
    store.upsert(points).await.unwrap();
    let unrelated = rng.unit_vector(DIM);

    let q = query(unrelated.clone(), "kubernetes", SearchMode::Bm25, 10);
    let hits = store.search("alice", &q).await.unwrap();
    assert_eq!(hits.len(), 1, "only one chunk has the word");
    assert_eq!(hits[0].payload.doc_id, target.payload.doc_id);

    let q = query(
        unrelated,
        "How did you handle the Kubernetes move?",
        SearchMode::Hybrid,
        10,
    );
    let hits = store.search("alice", &q).await.unwrap();
    assert_eq!(hits.len(), 10);
    let best = hits[0].score;
    let found = hits
        .iter()
        .find(|h| h.payload.doc_id == target.payload.doc_id);
    let found = found.expect("hybrid keeps the keyword match");
    assert!(found.score >= best - 1e-6, "ranked first (ties allowed)");

    let mut notes = query(target.dense.clone(), "kubernetes", SearchMode::Hybrid, 10);
    notes.kind = Some(DocumentKind::Note);
    let hits = store.search("alice", &notes).await.unwrap();
    assert!(hits.iter().all(|h| h.payload.kind == DocumentKind::Note));
    assert!(hits
        .iter()
        .all(|h| h.payload.doc_id != target.payload.doc_id));

    let stopwords_only = query(target.dense.clone(), "the and of", SearchMode::Bm25, 10);
    assert!(store
        .search("alice", &stopwords_only)
        .await
        .unwrap()
        .is_empty());
    let stopwords_only = SearchQuery {
        mode: SearchMode::Hybrid,
        ..stopwords_only
    };
    let hits = store.search("alice", &stopwords_only).await.unwrap();
    assert_eq!(
        hits[0].payload.doc_id, target.payload.doc_id,
        "falls back to dense"
    );
    let none = SearchQuery {
        limit: 0,
        ..stopwords_only
    };
    assert!(store.search("alice", &none).await.unwrap().is_empty());
}

/// Every hit of every query in the store's order, with its score's bits: equal only
/// if identical to the last digit. (The store scores BM25 itself and lists tied scores
/// in document order, so neither depends on where Qdrant holds the points.)
pub async fn rankings(store: &dyn Store, user: &str, queries: &[SearchQuery]) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for q in queries {
        let hits = store.search(user, q).await.unwrap();
        all.push(
            hits.iter()
                .map(|h| format!("{} {:08x}", chunk_key(&h.payload), h.score.to_bits()))
                .collect(),
        );
    }
    all
}

/// `got == want`, or a panic showing the first query whose hits differ.
pub fn assert_same_rankings(
    got: &[Vec<String>],
    want: &[Vec<String>],
    queries: &[SearchQuery],
    when: &str,
) {
    assert_eq!(got.len(), want.len(), "{when}");
    for ((g, w), q) in got.iter().zip(want).zip(queries) {
        assert_eq!(g, w, "{when}: {:?} {:?} {:?}", q.text, q.mode, q.kind);
    }
}

/// Chunks of `user` whose texts lean on the words of [`keyword_bank`], skewed so that
/// collection-wide statistics would move: "deadline" in every one.
fn skewed_chunks(
    rng: &mut Rng,
    user: &str,
    n: usize,
    hash: &str,
    kind: DocumentKind,
) -> Vec<ChunkPoint> {
    let words = ["team", "customer", "project", "release", "kubernetes"];
    (0..n)
        .map(|i| {
            let doc = format!("{user}-doc{}", i / 2);
            Chunk {
                user,
                doc: &doc,
                index: i % 2,
                count: 2,
                hash,
                kind,
                text: format!("deadline {} deadline {}", words[i % 5], words[(i / 5) % 5]),
                dense: rng.unit_vector(DIM),
            }
            .point()
        })
        .collect()
}

/// BM25 weighs a query's terms by the searched user's chunks of the searched kind only
/// (`store::term_stats`): writes, edits and deletes by other users, and a user's
/// notes for a search of stories, change no score of the search.
pub async fn a_users_rankings_do_not_depend_on_other_users_or_kinds(backend: &impl Backend) {
    let store = backend.open().await;
    let mut rng = Rng(24);
    let (alice, _) = keyword_bank(&mut rng);
    store.upsert(alice).await.unwrap();
    store.flush().await.unwrap();
    let mut queries = Vec::new();
    for text in [
        "deadline",
        "the customer deadline",
        "budget release team",
        "How did you handle the Kubernetes move?",
    ] {
        for mode in [SearchMode::Bm25, SearchMode::Hybrid] {
            for kind in [None, Some(DocumentKind::Story), Some(DocumentKind::Note)] {
                let mut q = query(rng.unit_vector(DIM), text, mode, 20);
                q.kind = kind;
                queries.push(q);
            }
        }
    }
    let stories_only: Vec<SearchQuery> = queries
        .iter()
        .filter(|q| q.kind == Some(DocumentKind::Story))
        .cloned()
        .collect();
    let before = rankings(store.as_ref(), "alice", &queries).await;
    assert!(before.iter().any(|hits| hits.len() == 20));

    // Another user writes chunks full of alice's words...
    store
        .upsert(skewed_chunks(
            &mut rng,
            "bob",
            300,
            "h1",
            DocumentKind::Story,
        ))
        .await
        .unwrap();
    store.flush().await.unwrap();
    let now = rankings(store.as_ref(), "alice", &queries).await;
    assert_same_rankings(&now, &before, &queries, "after bob's writes");
    // ...edits some (new text under the same ids)...
    let mut edited = skewed_chunks(&mut rng, "bob", 80, "h1", DocumentKind::Story);
    for point in &mut edited {
        point.sparse_text = "kubernetes kubernetes budget".into();
    }
    store.upsert(edited).await.unwrap();
    store.flush().await.unwrap();
    let now = rankings(store.as_ref(), "alice", &queries).await;
    assert_same_rankings(&now, &before, &queries, "after bob's edits");
    // ...and deletes some; a third user writes notes.
    let gone: Vec<String> = (0..100).map(|d| format!("bob-doc{d}")).collect();
    store.delete_documents("bob", &gone).await.unwrap();
    store
        .upsert(skewed_chunks(
            &mut rng,
            "carol",
            120,
            "h1",
            DocumentKind::Note,
        ))
        .await
        .unwrap();
    store.flush().await.unwrap();
    let now = rankings(store.as_ref(), "alice", &queries).await;
    assert_same_rankings(&now, &before, &queries, "after bob's deletes");

    // Alice's own notes weigh her note and all-kind searches, never her story searches.
    let stories_before = rankings(store.as_ref(), "alice", &stories_only).await;
    store
        .upsert(skewed_chunks(
            &mut rng,
            "alice",
            60,
            "h1",
            DocumentKind::Note,
        ))
        .await
        .unwrap();
    store.flush().await.unwrap();
    let now = rankings(store.as_ref(), "alice", &stories_only).await;
    assert_same_rankings(&now, &stories_before, &stories_only, "after alice's notes");
    assert_ne!(
        rankings(store.as_ref(), "alice", &queries).await,
        before,
        "her own notes count for her note searches"
    );
}

pub const USERS: [&str; 3] = ["u0", "u1", "u2"];

/// 3 users x 2,000 chunks (a third of them notes), written and optimized.
pub async fn recall_bank(store: &dyn Store) -> Vec<ChunkPoint> {
    let mut rng = Rng(9);
    let mut all = Vec::new();
    for user in USERS {
        let mut points = documents(&mut rng, user, 500, 4);
        for p in points.iter_mut().step_by(3) {
            p.payload.kind = DocumentKind::Note;
        }
        all.extend(points);
    }
    store.upsert(all.clone()).await.unwrap();
    store.optimize().await.unwrap();
    all
}

/// Recall@10 of user-filtered dense search against brute-force cosine, over 20
/// random queries per user; also checks that no search comes back short.
pub async fn recall_at_10(
    store: &dyn Store,
    all: &[ChunkPoint],
    kind: Option<DocumentKind>,
) -> f64 {
    let mut rng = Rng(10);
    let (mut found, mut expected) = (0, 0);
    for user in USERS {
        let candidates: Vec<_> = all
            .iter()
            .filter(|p| p.payload.user == user && kind.is_none_or(|k| p.payload.kind == k))
            .collect();
        for _ in 0..20 {
            let q = rng.unit_vector(DIM);
            let mut truth: Vec<_> = candidates
                .iter()
                .map(|p| (cosine(&p.dense, &q), chunk_key(&p.payload)))
                .collect();
            truth.sort_by(|a, b| b.0.total_cmp(&a.0));
            let truth: HashSet<_> = truth.into_iter().take(10).map(|(_, key)| key).collect();

            let search = SearchQuery {
                kind,
                ..query(q, "", SearchMode::Dense, 10)
            };
            let hits = store.search(user, &search).await.unwrap();
            assert_eq!(hits.len(), truth.len(), "{user} {kind:?}: a short result");
            assert!(hits.iter().all(|h| h.payload.user == user));
            let got: HashSet<_> = hits.iter().map(|h| chunk_key(&h.payload)).collect();
            found += truth.intersection(&got).count();
            expected += truth.len();
        }
    }
    found as f64 / expected as f64
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn chunk_key(p: &ChunkPayload) -> String {
    format!(
        "{}/{}/{}/{}",
        p.user, p.doc_id, p.chunk_index, p.content_hash
    )
}

pub async fn filtered_recall_is_complete_with_default_settings(backend: &impl Backend) {
    let store = backend.open().await;
    let all = recall_bank(store.as_ref()).await;
    let recall = recall_at_10(store.as_ref(), &all, None).await;
    eprintln!("default settings: recall@10 = {recall:.4}");
    assert!(recall >= 0.99, "recall@10 = {recall}");
}

/// Without graphs (the default), indexed segments are scanned on int8 copies and the
/// best rescored on float vectors: recall against brute force stays at 0.99 or more
/// for every kind, right after deleting 90% of a user and after `optimize`.
pub async fn an_int8_scan_keeps_recall_through_deletes_and_optimize(backend: &impl Backend) {
    let store = backend.open_small_index_thresholds(false).await;
    let mut all = recall_bank(store.as_ref()).await;
    let indexed = store.indexed_vectors().await;
    assert!(
        indexed >= all.len(),
        "the dense vectors are indexed (int8): {indexed}"
    );
    let gone: Vec<String> = (0..450).map(|d| format!("u0-doc{d}")).collect();
    for step in ["indexed", "after deleting 90% of u0", "after optimize"] {
        match step {
            "after deleting 90% of u0" => {
                store.delete_documents("u0", &gone).await.unwrap();
                all.retain(|p| !gone.contains(&p.payload.doc_id));
            }
            "after optimize" => store.optimize().await.unwrap(),
            _ => {}
        }
        for kind in [None, Some(DocumentKind::Story), Some(DocumentKind::Note)] {
            let recall = recall_at_10(store.as_ref(), &all, kind).await;
            eprintln!("int8 scan, {step}, kind {kind:?}: recall@10 = {recall:.4}");
            assert!(
                recall >= 0.99,
                "{step}, kind {kind:?}: recall@10 = {recall}"
            );
        }
    }
}

/// With an HNSW graph built, the cases where a multitenant graph can return nothing
/// (an extra `kind` condition; a user's graph entry point deleted) must still find
/// everything.
pub async fn filtered_recall_is_complete_with_an_hnsw_index_deletes_and_kind_filters(
    backend: &impl Backend,
) {
    let store = backend.open_small_index_thresholds(true).await;
    let mut all = recall_bank(store.as_ref()).await;
    let indexed = store.indexed_vectors().await;
    assert!(
        indexed >= 2 * all.len(),
        "dense and BM25 both indexed: {indexed}"
    );

    for kind in [None, Some(DocumentKind::Story), Some(DocumentKind::Note)] {
        let recall = recall_at_10(store.as_ref(), &all, kind).await;
        eprintln!("hnsw index, kind {kind:?}: recall@10 = {recall:.4}");
        assert!(recall >= 0.99, "kind {kind:?}: recall@10 = {recall}");
    }

    // Deleting 90% of u0 most likely deletes their graphs' entry points: a graph search
    // then comes back short and is searched again exactly. When an entry point
    // survives, the graph has lost 90% of its nodes and walks less well until the
    // rebuild that `optimize` (run by every ingest that deletes) does.
    let gone: Vec<String> = (0..450).map(|d| format!("u0-doc{d}")).collect();
    store.delete_documents("u0", &gone).await.unwrap();
    all.retain(|p| !gone.contains(&p.payload.doc_id));
    assert_eq!(store.count("u0").await.unwrap(), 200);
    for kind in [None, Some(DocumentKind::Story), Some(DocumentKind::Note)] {
        let recall = recall_at_10(store.as_ref(), &all, kind).await;
        eprintln!("hnsw index, after deleting 90% of u0, kind {kind:?}: recall@10 = {recall:.4}");
        assert!(
            recall >= 0.9,
            "after deletes, kind {kind:?}: recall@10 = {recall}"
        );
    }
    store.optimize().await.unwrap();
    for kind in [None, Some(DocumentKind::Story), Some(DocumentKind::Note)] {
        let recall = recall_at_10(store.as_ref(), &all, kind).await;
        eprintln!("hnsw index, after deletes and optimize, kind {kind:?}: recall@10 = {recall:.4}");
        assert!(
            recall >= 0.99,
            "after deletes and optimize, kind {kind:?}: recall@10 = {recall}"
        );
    }
}

/// A graph whose entry point was deleted returns nothing from its segment, and new
/// documents then fill the result, so no short result shows it. Deleting under
/// Qdrant's own vacuum thresholds (20% of a segment, 1,000 points), only the rebuild
/// that `optimize` does after such deletes brings every point back.
pub async fn optimize_after_deletes_rebuilds_a_graph_that_lost_its_entry_point(
    backend: &impl Backend,
) {
    deletes_then_optimize_keep_graph_recall(backend, false).await;
}

/// The mark that the next optimize must rebuild the graphs is kept by the store, not
/// by the process: a restart between the deletes and the optimize keeps it.
pub async fn the_graph_rebuild_mark_survives_a_restart(backend: &impl Backend) {
    deletes_then_optimize_keep_graph_recall(backend, true).await;
}

async fn deletes_then_optimize_keep_graph_recall(backend: &impl Backend, restart: bool) {
    let mut store = backend.open_small_index_thresholds(true).await;
    let mut rng = Rng(21);
    let mut all = documents(&mut rng, "u0", 250, 4);
    // Another user's notes fill the segment: the deletes stay under 20% of it, and
    // the stories searched below are u0's only.
    let mut notes = documents(&mut rng, "u1", 1_250, 4);
    for point in &mut notes {
        point.payload.kind = DocumentKind::Note;
    }
    all.extend(notes);
    store.upsert(all.clone()).await.unwrap();
    store.optimize().await.unwrap();

    // 900 of u0's 1,000 chunks: the entry point of their graph is among them with
    // probability 0.9; they are 15% of the segment; the 100 left are still searched
    // through the graph (above the small full-scan threshold).
    let gone: Vec<String> = (0..225).map(|d| format!("u0-doc{d}")).collect();
    store.delete_documents("u0", &gone).await.unwrap();
    all.retain(|p| !gone.contains(&p.payload.doc_id));
    if restart {
        store.flush().await.unwrap();
        drop(store);
        backend.restart().await;
        store = backend.open_small_index_thresholds(true).await;
    }
    let mut fresh = documents(&mut rng, "u0", 30, 4);
    for point in &mut fresh {
        point.payload.doc_id = format!("fresh-{}", point.payload.doc_id);
        let key = format!("{}/{}", point.payload.doc_id, point.payload.chunk_index);
        point.id = Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes());
    }
    store.upsert(fresh.clone()).await.unwrap();
    all.extend(fresh);
    store.optimize().await.unwrap();

    let recall = recall_at_10(store.as_ref(), &all, Some(DocumentKind::Story)).await;
    assert!(recall >= 0.99, "recall@10 = {recall}");
}

/// Words for story-like chunk text: BM25 gets realistic document frequencies.
const VOCABULARY: [&str; 48] = [
    "team",
    "deadline",
    "customer",
    "project",
    "release",
    "budget",
    "migration",
    "outage",
    "conflict",
    "feedback",
    "mentor",
    "roadmap",
    "latency",
    "database",
    "incident",
    "hiring",
    "stakeholder",
    "priority",
    "launch",
    "metrics",
    "revenue",
    "onboarding",
    "refactor",
    "security",
    "compliance",
    "vendor",
    "contract",
    "negotiation",
    "prototype",
    "experiment",
    "pipeline",
    "deployment",
    "rollback",
    "escalation",
    "retention",
    "churn",
    "forecast",
    "architecture",
    "interview",
    "promotion",
    "disagreement",
    "ownership",
    "initiative",
    "automation",
    "testing",
    "quality",
    "estimate",
    "scope",
];

/// ~`stories` stories of 5 chunks (situation, task, action, result, learnings) each.
fn story_points(rng: &mut Rng, user: &str, stories: usize) -> Vec<ChunkPoint> {
    let mut points = documents(rng, user, stories, 5);
    for point in &mut points {
        let words: Vec<&str> = (0..60).map(|_| VOCABULARY[rng.below(48)]).collect();
        point.sparse_text = words.join(" ");
        point.payload.text = point.sparse_text.clone();
    }
    points
}

/// p50 and p95 of hybrid search (limit 60, as retrieval asks for) for one user with
/// 1,000 stories (5,000 chunks) among two other users of the same size, after
/// `optimize`. Prints the numbers; asserts only that searches return results.
pub async fn hybrid_search_latency(backend: &impl Backend) {
    let store = backend.open().await;
    let mut rng = Rng(11);
    let started = Instant::now();
    for user in USERS {
        store
            .upsert(story_points(&mut rng, user, 1_000))
            .await
            .unwrap();
    }
    store.flush().await.unwrap();
    store.optimize().await.unwrap();
    let load = started.elapsed();

    let queries: Vec<SearchQuery> = (0..220)
        .map(|_| {
            let text = (0..8)
                .map(|_| VOCABULARY[rng.below(48)])
                .collect::<Vec<_>>()
                .join(" ");
            query(rng.unit_vector(DIM), &text, SearchMode::Hybrid, 60)
        })
        .collect();
    let mut times = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let started = Instant::now();
        let hits: Vec<ChunkHit> = store.search("u1", q).await.unwrap();
        if i >= 20 {
            // The first 20 warm caches and connections.
            times.push(started.elapsed());
        }
        assert_eq!(hits.len(), 60);
    }
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    eprintln!(
        "hybrid search, 3 users x 5,000 chunks, limit 60: p50 {:.2} ms, p95 {:.2} ms, \
         max {:.2} ms over {} queries (load + optimize {:.1} s)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(1.0)),
        times.len(),
        load.as_secs_f64()
    );
}
