//! Match latency at 1,000 stories (ignored: ~2 minutes to build the bank).
//!
//! `cargo test --test retrieval_latency -- --ignored --nocapture` writes a synthetic
//! Markdown story bank of 1,000 four-section stories, ingests it, warms the caches
//! (competency and sentence vectors, as `serve` does at startup) and times
//! `match_stories` (hybrid ranking + fit + evidence + advice) for new questions (the
//! question is embedded) and repeated ones (its vector comes from the LRU cache).

mod common;

use std::time::Instant;

use starcoach::ingest::NoProgress;
use starcoach::retrieve::MatchRequest;

const STORIES: usize = 1000;

/// The deterministic bank of `starcoach::bench::bank` (topic x action x result).
fn synthetic_bank() -> String {
    starcoach::bench::bank::synthetic_bank(STORIES)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "builds a 1,000-story bank (~2 minutes); run with --ignored --nocapture"]
async fn match_latency_at_1000_stories() {
    let tmp = tempfile::tempdir().unwrap();
    let bank = tmp.path().join("bank.md");
    std::fs::write(&bank, synthetic_bank()).unwrap();
    let coach = common::coach(&tmp.path().join("store"));
    let started = Instant::now();
    let report = coach
        .ingestor
        .ingest_paths("local", &[bank], &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.stories, STORIES);
    eprintln!(
        "ingest: {} stories, {} chunks in {:.1} s",
        report.stories,
        report.chunks_embedded,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let sentences = coach.retriever.warm("local").await.unwrap();
    eprintln!(
        "warm: {sentences} sentences embedded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut new_questions = Vec::new();
    let mut repeated = Vec::new();
    for i in 0..20 {
        // The bench's questions: 20 subjects, each made distinct by its index.
        let question = starcoach::bench::bank::question(i, true);
        let request = MatchRequest { question, top_k: 5 };
        let t = Instant::now();
        let response = coach
            .retriever
            .match_stories("local", &request)
            .await
            .unwrap();
        new_questions.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(response.stories.len(), 5);
        let t = Instant::now();
        coach
            .retriever
            .match_stories("local", &request)
            .await
            .unwrap();
        repeated.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    new_questions.sort_by(f64::total_cmp);
    repeated.sort_by(f64::total_cmp);
    eprintln!(
        "match, new question (embedding included): p50 {:.2} ms, p95 {:.2} ms",
        percentile(&new_questions, 0.5),
        percentile(&new_questions, 0.95)
    );
    eprintln!(
        "match, repeated question (cached vector):  p50 {:.2} ms, p95 {:.2} ms",
        percentile(&repeated, 0.5),
        percentile(&repeated, 0.95)
    );
    assert!(
        percentile(&repeated, 0.5) < 10.0,
        "p50 {:.2} ms",
        percentile(&repeated, 0.5)
    );
}
