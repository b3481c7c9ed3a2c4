//! `starcoach reindex`: re-embed every stored chunk of every user with the configured
//! model, from the text the store keeps, resumably, on either backend.

// Three steps, each safe to interrupt:
// 1. Stage. Every chunk is read from the store and embedded with the new model into a
//    work directory (`points.jsonl`, one line per chunk, synced after each batch). The
//    store is not touched: it still opens with its old model. A second run embeds only
//    the chunks not staged yet (by id and content hash; a torn last line is dropped).
//    When all are staged, the file is compacted to exactly the store's chunks and the
//    `staged` marker is written.
// 2. Swap. The store is removed (the embedded store's directory, or the server's
//    collection) and created again with the new model's dimension, then the staged
//    points are written to it. From the marker on, the store refuses to open for
//    anything but `starcoach reindex` ([`unfinished`]), so nothing writes into a
//    half-loaded store; a run that stops here is finished by the next one.
// 3. The work directory is removed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::info_span;
use tracing::Instrument;

use crate::chunk::embedding_text;
use crate::config::StoreSettings;
use crate::corpus::SectionKind;
use crate::embed::{EmbedError, Embedder, TextRole};
use crate::ingest::{point_id, IngestProgress};
use crate::store::{self, ChunkPayload, ChunkPoint, Store, StoreError};

/// Errors of a reindex.
#[derive(Debug, thiserror::Error)]
pub enum ReindexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("reindex work directory {path}: {reason}")]
    Work { path: String, reason: String },
    #[error("an unfinished reindex to the embedding model {staged} waits in {path}, and this configuration embeds with {configured}: configure {staged} ([embedding] model, dimensions) and run `starcoach reindex` again to finish it")]
    OtherModelStaged {
        staged: String,
        configured: String,
        path: String,
    },
}

/// What a reindex found or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReindexStatus {
    /// The store was already embedded by the configured model: nothing was written.
    Current,
    /// Every chunk was re-embedded and the store now holds the new vectors.
    Reindexed,
}

/// The report of `starcoach reindex`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReindexReport {
    pub status: ReindexStatus,
    /// The model that wrote the store (`None`: not recorded, from before models were).
    pub from_model: Option<String>,
    pub to_model: String,
    pub users: usize,
    pub documents: usize,
    pub chunks: usize,
    /// Chunks embedded by this run.
    pub embedded: usize,
    /// Chunks an interrupted earlier run had already embedded.
    pub resumed: usize,
    pub seconds: f64,
}

/// The work directory of an unfinished swap (step 2) for the store `settings`
/// describe, if there is one: the store must not be opened until reindex finishes.
pub fn unfinished(settings: &StoreSettings) -> Option<PathBuf> {
    let dir = settings.reindex_dir();
    dir.join(STAGED).is_file().then_some(dir)
}

/// Re-embed the store `settings` describe with `embedder`, in batches of
/// `embed_batch` texts, writing `write_batch` points at a time; the work is kept in
/// `work_dir` until it is done (`settings.reindex_dir()`, where [`unfinished`] looks).
pub async fn reindex(
    settings: &StoreSettings,
    work_dir: &Path,
    embedder: Arc<dyn Embedder>,
    embed_batch: usize,
    write_batch: usize,
    progress: &dyn IngestProgress,
) -> Result<ReindexReport, ReindexError> {
    let started = Instant::now();
    let work = WorkDir::new(work_dir.to_path_buf());
    let to_model = embedder.model_id().to_owned();
    if let Some(staged) = work.model()? {
        if staged != to_model {
            if work.is_staged() {
                return Err(ReindexError::OtherModelStaged {
                    staged,
                    configured: to_model,
                    path: work.display(),
                });
            }
            tracing::info!(%staged, "discarding a partial reindex for another model");
            work.remove()?;
        }
    }
    let mut embedded = 0;
    let mut resumed = 0;
    if !work.is_staged() {
        let dim = embedder.dimension();
        let source = open_as_stored(settings, dim).await?;
        let from_model = source.store.recorded_model().await?;
        let current =
            source.dimension == dim && from_model.as_deref().is_none_or(|m| m == to_model);
        if current {
            source.store.bind_model(&to_model).await?;
            work.remove()?;
            let chunks = source.store.all_chunks().await?;
            let counts = Counts::of(chunks.iter());
            return Ok(counts.report(ReindexStatus::Current, from_model, to_model, 0, 0, started));
        }
        work.create(&to_model, from_model.as_deref())?;
        let chunks = source.store.all_chunks().await?;
        let stage = stage(&work, &chunks, &*embedder, embed_batch, progress)
            .instrument(info_span!("reindex.stage", chunks = chunks.len()))
            .await?;
        (embedded, resumed) = (stage.embedded, stage.resumed);
        // The embedded store's directory is removed next: nothing may hold it open.
        drop(source);
    }
    let from_model = work.previous_model()?;
    let dim = embedder.dimension();
    let counts = swap(settings, &work, &to_model, dim, write_batch)
        .instrument(info_span!("reindex.swap"))
        .await?;
    work.remove()?;
    Ok(counts.report(
        ReindexStatus::Reindexed,
        from_model,
        to_model,
        embedded,
        resumed,
        started,
    ))
}

/// A store opened with the dimension its vectors have.
struct StoredStore {
    store: Arc<dyn Store>,
    dimension: usize,
}

/// Open the store with `dim`, or with its own dimension when it holds another.
async fn open_as_stored(settings: &StoreSettings, dim: usize) -> Result<StoredStore, StoreError> {
    match store::open(settings, dim).await {
        Ok(store) => Ok(StoredStore {
            store,
            dimension: dim,
        }),
        Err(StoreError::DimensionMismatch { stored, .. }) => Ok(StoredStore {
            store: store::open(settings, stored).await?,
            dimension: stored,
        }),
        Err(e) => Err(e),
    }
}

struct Staged {
    embedded: usize,
    resumed: usize,
}

/// Step 1: embed every chunk not staged yet, then compact and mark the work as staged.
async fn stage(
    work: &WorkDir,
    chunks: &[ChunkPayload],
    embedder: &dyn Embedder,
    embed_batch: usize,
    progress: &dyn IngestProgress,
) -> Result<Staged, ReindexError> {
    let done = work.staged_keys()?;
    let todo: Vec<&ChunkPayload> = chunks
        .iter()
        .filter(|c| !done.contains(&key_of(c)))
        .collect();
    let resumed = chunks.len() - todo.len();
    progress.start(todo.len());
    let mut out = work.appender()?;
    for batch in todo.chunks(embed_batch.max(1)) {
        let texts = batch.iter().map(|c| embedding_text_of(c)).collect();
        let vectors = embedder.embed(texts, TextRole::Document).await?;
        let points = batch
            .iter()
            .zip(vectors)
            .map(|(payload, dense)| StagedPoint {
                id: point_id(&payload.user, &payload.doc_id, payload.chunk_index),
                sparse_text: embedding_text_of(payload),
                dense,
                payload: (*payload).clone(),
            });
        out.append(points)?;
        progress.advance(batch.len());
    }
    progress.finish();
    let live: HashSet<StagedKey> = chunks.iter().map(key_of).collect();
    work.compact(&live)?;
    Ok(Staged {
        embedded: todo.len(),
        resumed,
    })
}

/// Step 2: the store again, empty, with the new dimension and model, holding the
/// staged points.
async fn swap(
    settings: &StoreSettings,
    work: &WorkDir,
    to_model: &str,
    dim: usize,
    write_batch: usize,
) -> Result<Counts, ReindexError> {
    store::remove(settings, dim).await?;
    let target = store::open(settings, dim).await?;
    target.bind_model(to_model).await?;
    let mut counts = Counts::default();
    let mut batch = Vec::with_capacity(write_batch);
    for point in work.read_staged()? {
        let point = point?;
        counts.add(&point.payload);
        batch.push(point.into_point());
        if batch.len() >= write_batch.max(1) {
            target.upsert(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        target.upsert(batch).await?;
    }
    target.flush().await?;
    target.optimize().await?;
    Ok(counts)
}

/// The text the chunk was embedded from at ingest (see [`crate::chunk::embedding_text`]):
/// a text-less document's one chunk shows its title and is embedded from title and tags.
fn embedding_text_of(chunk: &ChunkPayload) -> String {
    let title_only = chunk.chunk_count == 1
        && chunk.section == SectionKind::Preamble
        && chunk.text == chunk.title;
    let text = (!title_only).then_some(chunk.text.as_str());
    embedding_text(&chunk.title, &chunk.tags, text)
}

/// A chunk's identity in one version of its document.
type StagedKey = (uuid::Uuid, String);

fn key_of(chunk: &ChunkPayload) -> StagedKey {
    (
        point_id(&chunk.user, &chunk.doc_id, chunk.chunk_index),
        chunk.content_hash.clone(),
    )
}

/// One line of `points.jsonl`: a chunk with its new vector.
#[derive(Debug, Serialize, Deserialize)]
struct StagedPoint {
    id: uuid::Uuid,
    dense: Vec<f32>,
    sparse_text: String,
    payload: ChunkPayload,
}

impl StagedPoint {
    fn key(&self) -> StagedKey {
        (self.id, self.payload.content_hash.clone())
    }

    fn into_point(self) -> ChunkPoint {
        ChunkPoint {
            id: self.id,
            dense: self.dense,
            sparse_text: self.sparse_text,
            payload: self.payload,
        }
    }
}

#[derive(Default)]
struct Counts {
    users: BTreeSet<String>,
    documents: HashSet<(String, String)>,
    chunks: usize,
}

impl Counts {
    fn of<'a>(chunks: impl Iterator<Item = &'a ChunkPayload>) -> Self {
        let mut counts = Self::default();
        chunks.for_each(|c| counts.add(c));
        counts
    }

    fn add(&mut self, chunk: &ChunkPayload) {
        if !self.users.contains(&chunk.user) {
            self.users.insert(chunk.user.clone());
        }
        self.documents
            .insert((chunk.user.clone(), chunk.doc_id.clone()));
        self.chunks += 1;
    }

    fn report(
        self,
        status: ReindexStatus,
        from_model: Option<String>,
        to_model: String,
        embedded: usize,
        resumed: usize,
        started: Instant,
    ) -> ReindexReport {
        ReindexReport {
            status,
            from_model,
            to_model,
            users: self.users.len(),
            documents: self.documents.len(),
            chunks: self.chunks,
            embedded,
            resumed,
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

const POINTS: &str = "points.jsonl";
const STAGED: &str = "staged";
const MODEL: &str = "model";
const FROM_MODEL: &str = "from-model";

/// The work directory and its files.
struct WorkDir {
    dir: PathBuf,
}

impl WorkDir {
    fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn display(&self) -> String {
        self.dir.display().to_string()
    }

    fn error(&self, reason: impl std::fmt::Display) -> ReindexError {
        ReindexError::Work {
            path: self.display(),
            reason: reason.to_string(),
        }
    }

    fn is_staged(&self) -> bool {
        self.dir.join(STAGED).is_file()
    }

    /// The model the staged vectors are for.
    fn model(&self) -> Result<Option<String>, ReindexError> {
        self.read_line(MODEL)
    }

    fn previous_model(&self) -> Result<Option<String>, ReindexError> {
        self.read_line(FROM_MODEL)
    }

    fn read_line(&self, name: &str) -> Result<Option<String>, ReindexError> {
        match std::fs::read_to_string(self.dir.join(name)) {
            Ok(text) => Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    fn create(&self, model: &str, from_model: Option<&str>) -> Result<(), ReindexError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.error(e))?;
        write_synced(&self.dir.join(MODEL), model.as_bytes()).map_err(|e| self.error(e))?;
        write_synced(
            &self.dir.join(FROM_MODEL),
            from_model.unwrap_or_default().as_bytes(),
        )
        .map_err(|e| self.error(e))
    }

    fn remove(&self) -> Result<(), ReindexError> {
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// The keys of the complete lines staged so far; a torn last line (the run stopped
    /// while writing it) is cut off so that appending continues after the last good one.
    fn staged_keys(&self) -> Result<HashSet<StagedKey>, ReindexError> {
        let path = self.dir.join(POINTS);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
            Err(e) => return Err(self.error(e)),
        };
        let mut keys = HashSet::new();
        let mut good_bytes = 0u64;
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        loop {
            line.clear();
            let read = reader.read_line(&mut line).map_err(|e| self.error(e))?;
            if read == 0 || !line.ends_with('\n') {
                break;
            }
            match serde_json::from_str::<StagedPoint>(&line) {
                Ok(point) => keys.insert(point.key()),
                Err(_) => break,
            };
            good_bytes += read as u64;
        }
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| self.error(e))?;
        file.set_len(good_bytes).map_err(|e| self.error(e))?;
        Ok(keys)
    }

    fn appender(&self) -> Result<Appender<'_>, ReindexError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(POINTS))
            .map_err(|e| self.error(e))?;
        Ok(Appender {
            work: self,
            out: BufWriter::new(file),
        })
    }

    /// Keep exactly one line per live chunk (the last staged), then mark the work staged.
    fn compact(&self, live: &HashSet<StagedKey>) -> Result<(), ReindexError> {
        let mut last_line: HashMap<StagedKey, usize> = HashMap::new();
        for (n, point) in self.read_staged()?.enumerate() {
            let key = point?.key();
            if live.contains(&key) {
                last_line.insert(key, n);
            }
        }
        if last_line.len() != live.len() {
            return Err(self.error(format!(
                "{} of {} chunks are staged after embedding them all",
                last_line.len(),
                live.len()
            )));
        }
        let keep: HashSet<usize> = last_line.into_values().collect();
        let compacted = self.dir.join("points.jsonl.compact");
        {
            let reader =
                BufReader::new(File::open(self.dir.join(POINTS)).map_err(|e| self.error(e))?);
            let file = File::create(&compacted).map_err(|e| self.error(e))?;
            let mut out = BufWriter::new(file);
            for (n, line) in reader.lines().enumerate() {
                let line = line.map_err(|e| self.error(e))?;
                if keep.contains(&n) {
                    writeln!(out, "{line}").map_err(|e| self.error(e))?;
                }
            }
            let file = out.into_inner().map_err(|e| self.error(e))?;
            file.sync_all().map_err(|e| self.error(e))?;
        }
        std::fs::rename(&compacted, self.dir.join(POINTS)).map_err(|e| self.error(e))?;
        write_synced(&self.dir.join(STAGED), b"every chunk is staged\n")
            .map_err(|e| self.error(e))?;
        sync_dir(&self.dir).map_err(|e| self.error(e))
    }

    fn read_staged(
        &self,
    ) -> Result<impl Iterator<Item = Result<StagedPoint, ReindexError>> + '_, ReindexError> {
        let file = match File::open(self.dir.join(POINTS)) {
            Ok(file) => Some(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.error(e)),
        };
        let lines = file.into_iter().flat_map(|f| BufReader::new(f).lines());
        Ok(lines.enumerate().map(move |(n, line)| {
            let line = line.map_err(|e| self.error(e))?;
            serde_json::from_str(&line)
                .map_err(|e| self.error(format!("{POINTS} line {}: {e}", n + 1)))
        }))
    }
}

/// Appends staged points, durable after each batch.
struct Appender<'a> {
    work: &'a WorkDir,
    out: BufWriter<File>,
}

impl Appender<'_> {
    fn append(&mut self, points: impl Iterator<Item = StagedPoint>) -> Result<(), ReindexError> {
        let error = |e: &dyn std::fmt::Display| self.work.error(e);
        for point in points {
            let line = serde_json::to_string(&point).map_err(|e| error(&e))?;
            writeln!(self.out, "{line}").map_err(|e| error(&e))?;
        }
        self.out.flush().map_err(|e| error(&e))?;
        self.out.get_ref().sync_data().map_err(|e| error(&e))
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{DocumentKind, LineSpan};

    fn payload(user: &str, doc: &str, index: usize, hash: &str) -> ChunkPayload {
        ChunkPayload {
            user: user.into(),
            doc_id: doc.into(),
            content_hash: hash.into(),
            kind: DocumentKind::Story,
            section: SectionKind::Action,
            source: "/tmp/bank.md".into(),
            title: "Saving the launch".into(),
            tags: vec!["leadership".into()],
            doc_lines: LineSpan::new(1, 9),
            lines: LineSpan::new(3, 4),
            chunk_index: index,
            chunk_count: 2,
            text: format!("chunk {index}"),
        }
    }

    fn staged(payload: &ChunkPayload, x: f32) -> StagedPoint {
        StagedPoint {
            id: point_id(&payload.user, &payload.doc_id, payload.chunk_index),
            dense: vec![x, 0.5],
            sparse_text: embedding_text_of(payload),
            payload: payload.clone(),
        }
    }

    #[test]
    fn the_embedding_text_is_rebuilt_as_ingest_made_it() {
        let chunk = payload("a", "d", 0, "h");
        assert_eq!(
            embedding_text_of(&chunk),
            "Saving the launch [leadership]\nchunk 0"
        );
        let stub = ChunkPayload {
            section: SectionKind::Preamble,
            chunk_count: 1,
            text: "Saving the launch".into(),
            ..chunk
        };
        assert_eq!(embedding_text_of(&stub), "Saving the launch [leadership]");
    }

    #[test]
    fn a_torn_last_line_is_cut_and_compaction_keeps_the_last_line_of_each_live_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::new(dir.path().join("w"));
        work.create("model-b", Some("model-a")).unwrap();
        let (a0, a1) = (payload("a", "d", 0, "h1"), payload("a", "d", 1, "h1"));
        let a0_new = payload("a", "d", 0, "h2");
        let mut out = work.appender().unwrap();
        out.append([staged(&a0, 0.1), staged(&a1, 0.2)].into_iter())
            .unwrap();
        drop(out);
        // A run stopped in the middle of a line.
        let mut file = OpenOptions::new()
            .append(true)
            .open(work.dir.join(POINTS))
            .unwrap();
        file.write_all(b"{\"id\":\"0000").unwrap();
        drop(file);
        let keys = work.staged_keys().unwrap();
        assert_eq!(keys.len(), 2);
        // The document changed between runs: its first chunk is staged again.
        let mut out = work.appender().unwrap();
        out.append([staged(&a0_new, 0.3)].into_iter()).unwrap();
        drop(out);
        let live = HashSet::from([key_of(&a0_new), key_of(&a1)]);
        work.compact(&live).unwrap();
        assert!(work.is_staged());
        let points: Vec<StagedPoint> = work.read_staged().unwrap().map(Result::unwrap).collect();
        let dense: Vec<f32> = points.iter().map(|p| p.dense[0]).collect();
        assert_eq!(dense, [0.2, 0.3]);
        assert_eq!(work.previous_model().unwrap().as_deref(), Some("model-a"));
        assert_eq!(work.model().unwrap().as_deref(), Some("model-b"));
    }

    #[test]
    fn compaction_refuses_when_a_live_chunk_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::new(dir.path().join("w"));
        work.create("model-b", None).unwrap();
        let a0 = payload("a", "d", 0, "h1");
        let live = HashSet::from([key_of(&a0)]);
        assert!(matches!(
            work.compact(&live),
            Err(ReindexError::Work { .. })
        ));
        assert!(!work.is_staged());
        assert_eq!(work.previous_model().unwrap(), None);
    }
}
