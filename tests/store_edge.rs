//! The embedded Qdrant store against a real shard in a temporary directory.
//!
//! Vectors are random unit vectors from a seeded generator, so no embedding model is
//! needed and every run sees the same data.

use std::collections::HashSet;
use std::path::Path;

use starcoach::corpus::{DocumentKind, LineSpan, SectionKind};
use starcoach::store::{
    ChunkPayload, ChunkPoint, EdgeOptions, EdgeStore, SearchMode, SearchQuery, Store, StoreError,
};
use uuid::Uuid;

const DIM: usize = 384;

/// SplitMix64: small, seeded, good enough for test vectors.
struct Rng(u64);

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

    /// A random direction: normal coordinates (Box-Muller), L2-normalised.
    fn unit_vector(&mut self, dim: usize) -> Vec<f32> {
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
struct Chunk<'a> {
    user: &'a str,
    doc: &'a str,
    index: usize,
    count: usize,
    hash: &'a str,
    kind: DocumentKind,
    text: String,
    dense: Vec<f32>,
}

impl Chunk<'_> {
    fn point(self) -> ChunkPoint {
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
fn documents(rng: &mut Rng, user: &str, docs: usize, chunks: usize) -> Vec<ChunkPoint> {
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

fn query(dense: Vec<f32>, text: &str, mode: SearchMode, limit: usize) -> SearchQuery {
    SearchQuery {
        dense,
        text: text.into(),
        mode,
        kind: None,
        limit,
    }
}

fn open(dir: &Path) -> EdgeStore {
    EdgeStore::open(dir, DIM).expect("store opens")
}

const MODES: [SearchMode; 3] = [SearchMode::Dense, SearchMode::Bm25, SearchMode::Hybrid];

#[tokio::test]
async fn upsert_then_search_returns_the_nearest_point() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
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

#[tokio::test]
async fn one_user_never_sees_or_changes_another_users_points() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut rng = Rng(2);
    let mut alice = documents(&mut rng, "alice", 4, 3);
    alice[0].sparse_text = "zanzibar quokka migration".into();
    let secret = alice[0].clone();
    store.upsert(alice).await.unwrap();
    store
        .upsert(documents(&mut rng, "bob", 2, 3))
        .await
        .unwrap();

    for mode in MODES {
        let q = query(secret.dense.clone(), "zanzibar quokka", mode, 50);
        let hits = store.search("bob", &q).await.unwrap();
        assert!(hits.iter().all(|h| h.payload.user == "bob"), "{mode:?}");
        let hits = store.search("carol", &q).await.unwrap();
        assert!(
            hits.is_empty(),
            "{mode:?}: a user without data sees nothing"
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

#[tokio::test]
async fn delete_documents_removes_exactly_those_documents() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
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

#[tokio::test]
async fn set_document_lines_moves_the_document_and_each_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let points = documents(&mut Rng(4), "alice", 2, 3);
    let probes: Vec<_> = points[..3].iter().map(|p| p.dense.clone()).collect();
    store.upsert(points).await.unwrap();

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

#[tokio::test]
async fn documents_reports_missing_chunks_and_mixed_versions_as_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
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

#[tokio::test]
async fn flushed_writes_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let points = documents(&mut Rng(6), "alice", 3, 4);
    let probe = points[5].clone();
    {
        let store = open(dir.path());
        store.upsert(points).await.unwrap();
        store
            .delete_documents("alice", &["alice-doc2".into()])
            .await
            .unwrap();
        store.flush().await.unwrap();
    }
    let store = open(dir.path());
    assert_eq!(store.count("alice").await.unwrap(), 8);
    assert_eq!(store.documents("alice").await.unwrap().len(), 2);
    let hits = store
        .search("alice", &query(probe.dense, "", SearchMode::Dense, 1))
        .await
        .unwrap();
    assert_eq!(hits[0].payload, probe.payload);
}

#[tokio::test]
async fn a_second_open_of_an_open_store_is_locked_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path());

    let second = EdgeStore::open(dir.path(), DIM);
    assert!(
        matches!(second, Err(StoreError::Locked { .. })),
        "{second:?}"
    );
    let message = second.unwrap_err().to_string();
    assert!(
        message.contains("in use by another starcoach process"),
        "{message}"
    );

    drop(first);
    open(dir.path());
}

#[tokio::test]
async fn a_store_refuses_vectors_of_another_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut short = documents(&mut Rng(7), "alice", 1, 1).remove(0);
    short.dense.truncate(100);
    let err = store.upsert(vec![short]).await.unwrap_err();
    assert!(matches!(
        err,
        StoreError::DimensionMismatch {
            stored: 384,
            expected: 100
        }
    ));
    drop(store);

    let reopened = EdgeStore::open(dir.path(), 768);
    assert!(
        matches!(
            reopened,
            Err(StoreError::DimensionMismatch {
                stored: 384,
                expected: 768
            })
        ),
        "{reopened:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_flushes_and_searches_do_not_collide() {
    let dir = tempfile::tempdir().unwrap();
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(open(dir.path()));
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
fn keyword_bank(rng: &mut Rng) -> (Vec<ChunkPoint>, ChunkPoint) {
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

#[tokio::test]
async fn bm25_and_hybrid_find_a_chunk_by_a_rare_keyword() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
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
}

const USERS: [&str; 3] = ["u0", "u1", "u2"];

/// 3 users x 2,000 chunks (a third of them notes), optimized.
async fn recall_bank(options: &EdgeOptions) -> (tempfile::TempDir, EdgeStore, Vec<ChunkPoint>) {
    let dir = tempfile::tempdir().unwrap();
    let store = EdgeStore::open_with(dir.path(), DIM, options).unwrap();
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
    (dir, store, all)
}

/// Recall@10 of user-filtered dense search against brute-force cosine, over 20
/// random queries per user; also checks that no search comes back short.
async fn recall_at_10(store: &EdgeStore, all: &[ChunkPoint], kind: Option<DocumentKind>) -> f64 {
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

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn chunk_key(p: &ChunkPayload) -> String {
    format!(
        "{}/{}/{}/{}",
        p.user, p.doc_id, p.chunk_index, p.content_hash
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_recall_is_complete_with_default_settings() {
    let (_dir, store, all) = recall_bank(&EdgeOptions::default()).await;
    let recall = recall_at_10(&store, &all, None).await;
    eprintln!("default settings: recall@10 = {recall:.4}");
    assert!(recall >= 0.99, "recall@10 = {recall}");
}

/// With an HNSW graph built, the cases where qdrant-edge 0.7.2's multitenant graph
/// returns nothing (an extra `kind` condition; a user's graph entry point deleted)
/// must still find everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_recall_is_complete_with_an_hnsw_index_deletes_and_kind_filters() {
    // Low thresholds: 6,000 points get a graph, and a user's points would be walked
    // through it rather than scanned.
    let options = EdgeOptions {
        indexing_threshold_kb: Some(1_000),
        full_scan_threshold_kb: Some(100),
    };
    let (_dir, store, mut all) = recall_bank(&options).await;
    let indexed = store.stats().await.unwrap().indexed_vectors;
    assert!(
        indexed >= 2 * all.len(),
        "dense and BM25 both indexed: {indexed}"
    );

    for kind in [None, Some(DocumentKind::Story), Some(DocumentKind::Note)] {
        let recall = recall_at_10(&store, &all, kind).await;
        eprintln!("hnsw index, kind {kind:?}: recall@10 = {recall:.4}");
        assert!(recall >= 0.99, "kind {kind:?}: recall@10 = {recall}");
    }

    let gone: Vec<String> = (0..450).map(|d| format!("u0-doc{d}")).collect();
    store.delete_documents("u0", &gone).await.unwrap();
    all.retain(|p| !gone.contains(&p.payload.doc_id));
    assert_eq!(store.count("u0").await.unwrap(), 200);
    let recall = recall_at_10(&store, &all, None).await;
    eprintln!("hnsw index, after deleting 90% of u0: recall@10 = {recall:.4}");
    assert!(recall >= 0.99, "after deletes: recall@10 = {recall}");
}
