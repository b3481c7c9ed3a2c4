//! A user's ranking depends only on that user's documents and the question, on both
//! backends, end to end with the real model: user `a` ingests the samples and asks a
//! set of questions; other users then ingest, edit and delete documents sharing `a`'s
//! vocabulary; `a`'s answers must be identical to the last digit.

mod common;
#[path = "support/qdrant_server.rs"]
mod qdrant_server;

use std::path::Path;
use std::sync::Arc;

use qdrant_server::QdrantServer;
use starcoach::app::Coach;
use starcoach::embed::Embedder;
use starcoach::ingest::NoProgress;
use starcoach::retrieve::MatchRequest;
use starcoach::store::{EdgeStore, ServerStore, Store};

const QUESTIONS: [&str; 6] = [
    "Describe a time you had to convince people who did not report to you",
    "Tell me about a time you disagreed with your manager",
    "Tell me about a production incident you handled",
    "Give an example of a time you missed a deadline",
    "How did you mentor a junior engineer?",
    "Tell me about a time you had to learn something quickly",
];

/// `user`'s answer to every question as JSON, without the request's own timing.
async fn answers(coach: &Coach, user: &str) -> Vec<String> {
    let mut all = Vec::new();
    for question in QUESTIONS {
        let request = MatchRequest {
            question: question.into(),
            top_k: 10,
        };
        let mut response = coach
            .retriever()
            .match_stories(user, &request)
            .await
            .unwrap();
        response.took_ms = 0.0;
        all.push(serde_json::to_string(&response).unwrap());
    }
    all
}

async fn ingest(coach: &Coach, user: &str, path: &Path) {
    coach
        .ingestor()
        .ingest_paths(user, &[path.to_path_buf()], &NoProgress)
        .await
        .unwrap();
    coach.store().flush().await.unwrap();
}

async fn rankings_ignore_other_users(store: Arc<dyn Store>, store_dir: &Path) {
    let embedder: Arc<dyn Embedder> = common::embedder();
    let coach = Coach::from_parts(common::settings(store_dir), store, embedder);
    ingest(&coach, "a", &common::samples_dir()).await;
    let before = answers(&coach, "a").await;
    assert!(before.iter().all(|a| a.contains("\"fit\"")), "{before:?}");

    // b ingests our corpus and a copy of a's own files; c the samples again.
    let tmp = tempfile::tempdir().unwrap();
    let b_files = tmp.path().join("b");
    common::copy_dir(&common::corpus_dir(), &b_files.join("corpus"));
    common::copy_dir(&common::samples_dir(), &b_files.join("samples"));
    ingest(&coach, "b", &b_files).await;
    ingest(&coach, "c", &common::samples_dir()).await;
    assert_eq!(answers(&coach, "a").await, before, "after b and c ingested");

    // b edits a file and deletes another.
    let bank = b_files.join("samples/story-bank.md");
    let text = std::fs::read_to_string(&bank).unwrap();
    std::fs::write(&bank, text.replace(" I ", " I personally ")).unwrap();
    std::fs::remove_file(b_files.join("corpus/story-bank.md")).unwrap();
    ingest(&coach, "b", &b_files).await;
    assert_eq!(
        answers(&coach, "a").await,
        before,
        "after b's edit and delete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store_rankings_ignore_other_users() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = EdgeStore::open(&dir, common::embedder().dimension()).unwrap();
    rankings_ignore_other_users(Arc::new(store), &dir).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_store_rankings_ignore_other_users() {
    let server = QdrantServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let store = ServerStore::connect(
        &server.grpc_url(),
        None,
        "tenants",
        common::embedder().dimension(),
    )
    .await
    .unwrap();
    rankings_ignore_other_users(Arc::new(store), &tmp.path().join("unused")).await;
    server.shutdown().await;
}
