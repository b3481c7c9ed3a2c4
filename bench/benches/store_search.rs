//! Criterion benchmark: the embedded store's BM25 and dense searches at a large
//! synthetic bank, without a model, against a dense search of the same store.

// The benchmark bank (`starcoach_bench::bank`, 20,000 stories by default, 80,000
// chunks) parsed and chunked as ingest does; each chunk gets a dense vector made from
// its text's hash instead of a model's (the store's cost is measured, not the
// model's), and is written to a new embedded store for one user. Then, per search of
// the user's stories, limit 60 as a match asks: a dense search (the baseline), a BM25
// search of a question whose rare words tie no chunk, and one whose words every story
// uses the same way ("latency": 20,000 chunks tied at the cut), both with the scope's
// term counts already read, as for a repeated question.
//
// `STARCOACH_BENCH_STORIES=100000 cargo bench -p starcoach-bench --bench store_search`

use std::hash::{DefaultHasher, Hash, Hasher};
use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, Criterion};
use starcoach::chunk::chunk_document;
use starcoach::corpus::{parse_text, DocumentKind};
use starcoach::ingest::chunk_point;
use starcoach::store::{ChunkPoint, EdgeStore, SearchMode, SearchQuery, Store};
use starcoach_bench::analysis::median_us;
use starcoach_bench::bank::{synthetic_bank_range, STORIES_PER_FILE};

const USER: &str = "bench";
const DIM: usize = 32;
const LIMIT: usize = 60;

/// A unit vector from the text's hash: the same text, the same vector.
fn hashed_vector(text: &str) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIM)
        .map(|i| {
            let mut h = DefaultHasher::new();
            (text, i).hash(&mut h);
            (h.finish() % 2_000) as f32 / 1_000.0 - 1.0
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// The bank's chunks as ingest would write them, one file of stories at a time.
fn points(stories: usize, start: usize) -> Vec<ChunkPoint> {
    let end = (start + STORIES_PER_FILE).min(stories);
    let source = format!("bank-{:03}.md", start / STORIES_PER_FILE);
    let parsed = parse_text(&source, &synthetic_bank_range(start..end, stories));
    let mut out = Vec::new();
    for doc in &parsed.documents {
        let chunks = chunk_document(doc);
        let count = chunks.len();
        let hash = doc.content_hash();
        for chunk in &chunks {
            let dense = hashed_vector(&chunk.embed_text);
            out.push(chunk_point(USER, doc, &hash, chunk, count, dense));
        }
    }
    out
}

fn query(text: &str, mode: SearchMode) -> SearchQuery {
    SearchQuery {
        dense: hashed_vector(text),
        text: text.into(),
        mode,
        kind: Some(DocumentKind::Story),
        limit: LIMIT,
    }
}

fn benches(c: &mut Criterion) {
    // `cargo test --all-targets` runs benches once without `--bench`: a small bank
    // there, to check the harness without paying the large one.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let stories: usize = std::env::var("STARCOACH_BENCH_STORIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benchmarking { 20_000 } else { 1_000 });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(EdgeStore::open(dir.path(), DIM).unwrap());
    let loaded = std::time::Instant::now();
    runtime.block_on(async {
        for start in (0..stories).step_by(STORIES_PER_FILE) {
            store.upsert(points(stories, start)).await.unwrap();
        }
        store.flush().await.unwrap();
        store.optimize().await.unwrap();
    });
    let chunks = runtime.block_on(store.count(USER)).unwrap();
    eprintln!(
        "{stories} stories, {chunks} chunks written in {:.0?}",
        loaded.elapsed()
    );
    let search = |q: &SearchQuery| runtime.block_on(store.search(USER, black_box(q))).unwrap();
    let dense = query(
        "Tell me about a time you improved latency",
        SearchMode::Dense,
    );
    let untied = query("a vendor integration and a hiring plan", SearchMode::Bm25);
    let tied = query(
        "Tell me about a time you improved latency",
        SearchMode::Bm25,
    );
    for q in [&dense, &untied, &tied] {
        assert_eq!(search(q).len(), LIMIT, "{:?}", q.text);
    }
    let mut group = c.benchmark_group(format!("{stories} stories, limit {LIMIT}"));
    group.sample_size(20);
    group.bench_function("baseline: dense search", |b| b.iter(|| search(&dense)));
    group.bench_function("BM25, no tie at the cut", |b| b.iter(|| search(&untied)));
    group.bench_function("BM25, every story tied at the cut", |b| {
        b.iter(|| search(&tied))
    });
    group.finish();
    let base = median_us(50, || drop(search(&dense)));
    let untied_us = median_us(50, || drop(search(&untied)));
    let tied_us = median_us(50, || drop(search(&tied)));
    println!(
        "summary (median of 50): dense {base:.0} µs; BM25 no tie {untied_us:.0} µs ({:.2}x dense); BM25 all tied {tied_us:.0} µs ({:.2}x dense)",
        untied_us / base,
        tied_us / base
    );
}

criterion_group!(store_search, benches);

fn main() {
    store_search();
    Criterion::default().configure_from_args().final_summary();
}
