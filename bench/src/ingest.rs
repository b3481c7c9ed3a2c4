//! Ingest timing against its baseline: the pure embedding time of the same chunk texts,
//! embedded in the same batches as ingest does, without parsing, hashing or storing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use starcoach::app::Coach;
use starcoach::chunk::chunk_document;
use starcoach::config::Settings;
use starcoach::corpus::{collect_files, parse_file};
use starcoach::embed::{Embedder, TextRole};
use starcoach::ingest::NoProgress;
use starcoach::store::{EdgeOptions, EdgeStore, Store};

/// One ingest run into a fresh store, and the pure embedding time of its chunks.
#[derive(Debug, Clone)]
pub struct IngestTiming {
    pub files: usize,
    pub stories: usize,
    pub chunks: usize,
    pub ingest_s: f64,
    /// `None` when the baseline was not measured (the large bank).
    pub embed_only_s: Option<f64>,
}

/// A coach over a fresh embedded store in `store_dir`, sharing `embedder`.
pub fn coach_at(
    settings: &Settings,
    store_dir: &Path,
    embedder: Arc<dyn Embedder>,
) -> anyhow::Result<Coach> {
    std::fs::create_dir_all(store_dir)?;
    let options = EdgeOptions {
        graph_search: settings.store.graph_search,
        ..EdgeOptions::default()
    };
    let store = EdgeStore::open_with(store_dir, embedder.dimension(), &options)?;
    let store: Arc<dyn Store> = Arc::new(store);
    let mut settings = settings.clone();
    settings.store.path = store_dir.to_path_buf();
    settings.store.qdrant_url.clear();
    Ok(Coach::from_parts(settings, store, embedder))
}

/// The texts ingest would embed for `paths`, longest first, as ingest orders them.
pub fn chunk_texts(paths: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let mut texts = Vec::new();
    for (path, source) in collect_files(paths)? {
        let parsed = parse_file(&path, &source)?;
        for doc in &parsed.documents {
            texts.extend(chunk_document(doc).into_iter().map(|c| c.embed_text));
        }
    }
    texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
    Ok(texts)
}

/// Embed `texts` in batches of `write_batch`, as ingest does; seconds spent.
pub async fn embed_only(
    embedder: &dyn Embedder,
    texts: &[String],
    write_batch: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    for batch in texts.chunks(write_batch.max(1)) {
        embedder.embed(batch.to_vec(), TextRole::Document).await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Ingest `paths` for `user` into `coach` (a fresh store), after measuring the
/// baseline on the same texts when `baseline` is set.
pub async fn measure(
    coach: &Coach,
    user: &str,
    paths: &[PathBuf],
    baseline: bool,
) -> anyhow::Result<IngestTiming> {
    let embed_only_s = if baseline {
        let texts = chunk_texts(paths)?;
        let write_batch = coach.settings().ingest.write_batch;
        Some(embed_only(coach.embedder().as_ref(), &texts, write_batch).await?)
    } else {
        None
    };
    let started = Instant::now();
    let report = coach
        .ingestor()
        .ingest_paths(user, paths, &NoProgress)
        .await?;
    let ingest_s = started.elapsed().as_secs_f64();
    Ok(IngestTiming {
        files: report.files,
        stories: report.stories,
        chunks: report.chunks_embedded,
        ingest_s,
        embed_only_s,
    })
}
