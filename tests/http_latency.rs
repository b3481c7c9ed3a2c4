//! Match latency over HTTP on each backend (ignored: a measurement, not a check).
//!
//! `cargo test --test http_latency -- --ignored --nocapture` ingests the samples and our
//! corpus for one user, serves the API on port 0 (embedded store, then the real Qdrant
//! server from ../shared/bin), warms the caches as `serve` does, and times sequential
//! `POST /v1/stories/match` calls: new questions (embedded) and repeated ones (cached
//! vector). It prints p50 and p95 per backend; the numbers go in the notes.

mod common;
#[path = "support/qdrant_server.rs"]
mod qdrant_server;

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use starcoach::app::Coach;
use starcoach::embed::Embedder;
use starcoach::ingest::NoProgress;
use starcoach::store::{ServerStore, Store};

const QUESTIONS: [&str; 10] = [
    "Tell me about a time you disagreed with your manager",
    "Describe a conflict with a coworker and how you resolved it",
    "Tell me about a time you failed",
    "Give me an example of mentoring someone",
    "Tell me about an outage you handled",
    "Describe a time you worked without a clear specification",
    "Tell me about learning a new technology quickly",
    "Tell me about a time you improved performance",
    "Describe a decision you made with incomplete data",
    "Tell me about a time you influenced another team",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure(name: &str, coach: Coach) {
    coach
        .ingestor()
        .ingest_paths(
            "local",
            &[common::samples_dir(), common::corpus_dir()],
            &NoProgress,
        )
        .await
        .unwrap();
    coach.retriever().warm("local").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(starcoach::http::serve_on(coach, listener));
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/stories/match");
    let run = |tag: &'static str, round: usize| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let mut times = Vec::new();
            for i in 0..QUESTIONS.len() * 3 {
                let q = format!("{} ({tag} {round}.{i})", QUESTIONS[i % QUESTIONS.len()]);
                let q = if tag == "repeated" {
                    QUESTIONS[i % QUESTIONS.len()].to_string()
                } else {
                    q
                };
                let started = Instant::now();
                let r = client
                    .post(&url)
                    .json(&json!({"question": q, "top_k": 5}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            times
        }
    };
    let _ = run("repeated", 0).await; // fill the question cache
    for tag in ["new", "repeated"] {
        let mut times = run(tag, 1).await;
        times.sort_by(f64::total_cmp);
        eprintln!(
            "{name:>8} {tag:>8} questions: p50 {:.1} ms, p95 {:.1} ms ({} requests)",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times.len()
        );
    }
    // Drop the server (and its store) while the store's directory still exists.
    served.abort();
    let _ = served.await;
}

#[tokio::test]
#[ignore = "a measurement; run with --ignored --nocapture"]
async fn match_p50_over_http_on_both_backends() {
    let tmp = tempfile::tempdir().unwrap();
    measure("embedded", common::coach(&tmp.path().join("store"))).await;

    let server = qdrant_server::QdrantServer::start();
    let embedder: Arc<dyn Embedder> = common::embedder();
    let store: Arc<dyn Store> = Arc::new(
        ServerStore::connect(&server.grpc_url(), None, "latency", embedder.dimension())
            .await
            .unwrap(),
    );
    let settings = common::settings(&tmp.path().join("unused"));
    measure("server", Coach::from_parts(settings, store, embedder)).await;
    server.shutdown().await;
}
