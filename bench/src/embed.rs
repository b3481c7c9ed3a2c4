//! Embedding throughput (batch and one sentence at a time) on a fixed sentence set,
//! and the set itself, written as JSON for the Python peer (`scripts/bench_peer.py`).

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use starcoach::chunk::chunk_document;
use starcoach::corpus::parse_text;
use starcoach::embed::{Embedder, TextRole};

/// The sentences both sides embed, and how many of them are also embedded one by one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentenceSet {
    pub sentences: Vec<String>,
    /// The first `single` sentences are also embedded one call each.
    pub single: usize,
    /// Batch size of the batch measurement (the Rust embedder's `embedding.batch_size`).
    pub batch_size: usize,
}

/// What `scripts/bench_peer.py` writes: Python sentence-transformers on the same set.
#[derive(Debug, Clone, Deserialize)]
pub struct PeerResult {
    /// How many sentences it embedded (checked against the set).
    pub sentences: usize,
    pub batch_sentences_per_s: f64,
    pub single_sentences_per_s: f64,
    #[serde(default)]
    pub torch_threads: Option<usize>,
    #[serde(default)]
    pub sentence_transformers: Option<String>,
    #[serde(default)]
    pub torch: Option<String>,
}

/// Rust throughput on a [`SentenceSet`].
#[derive(Debug, Clone)]
pub struct Throughput {
    pub batch_sentences_per_s: f64,
    pub single_sentences_per_s: f64,
}

/// `count` sentences: the chunk texts (title prefix + one STAR section, 30-60 words)
/// of the synthetic bank, as ingest embeds them.
pub fn sentence_set(count: usize, single: usize, batch_size: usize) -> SentenceSet {
    let stories = count / 3 + 1;
    let parsed = parse_text("bench.md", &super::bank::synthetic_bank(stories));
    let sentences: Vec<String> = parsed
        .documents
        .iter()
        .flat_map(chunk_document)
        .map(|c| c.embed_text)
        .take(count)
        .collect();
    SentenceSet {
        single: single.min(sentences.len()),
        sentences,
        batch_size,
    }
}

pub fn write_sentence_set(set: &SentenceSet, path: &Path) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string(set)?)?;
    Ok(())
}

/// The peer's results, which must be for a set of the same size as `set`.
pub fn read_peer(path: &Path, set: &SentenceSet) -> anyhow::Result<PeerResult> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{}: {e} (run scripts/bench_peer.py)", path.display()))?;
    let peer: PeerResult = serde_json::from_str(&text)?;
    if peer.sentences != set.sentences.len() {
        anyhow::bail!(
            "{} is for {} sentences, this run embeds {}: run the peer on `starcoach bench \
             --emit-sentences` with the same options",
            path.display(),
            peer.sentences,
            set.sentences.len()
        );
    }
    Ok(peer)
}

/// Best of `runs` for the whole set in one call, then the first `single` sentences one
/// call each (after a warm-up).
pub async fn measure(
    embedder: &dyn Embedder,
    set: &SentenceSet,
    runs: usize,
) -> anyhow::Result<Throughput> {
    embedder
        .embed(
            set.sentences.iter().take(64).cloned().collect(),
            TextRole::Document,
        )
        .await?;
    let mut best = f64::INFINITY;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        embedder
            .embed(set.sentences.clone(), TextRole::Document)
            .await?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    let started = Instant::now();
    for sentence in set.sentences.iter().take(set.single) {
        embedder
            .embed(vec![sentence.clone()], TextRole::Query)
            .await?;
    }
    let single = started.elapsed().as_secs_f64();
    Ok(Throughput {
        batch_sentences_per_s: set.sentences.len() as f64 / best,
        single_sentences_per_s: set.single as f64 / single.max(1e-9),
    })
}
