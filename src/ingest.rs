//! Incremental ingest: parse files, diff them against the store by content hash, and
//! embed and write only what changed.

// Order of writes, chosen so that an interrupted run leaves a usable store that the
// next run completes: (1) delete the points of changed and removed documents and
// flush; (2) embed the new chunks in longest-first batches, each written while the
// next is embedded, flushing every 2 seconds and at the end; (3) `optimize` the
// store, which indexes a bank grown past the graph threshold and rebuilds graphs that
// lost points. A document whose chunks were only partly written (or written but not
// yet flushed when the process died) is seen as incomplete by the next run
// ([`crate::store::StoredDocument::is_complete`]) and written again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tracing::{info, info_span, Instrument};

use crate::chunk::{chunk_document, Chunk};
use crate::corpus::{self, Document, DocumentKind, LineSpan, Skipped};
use crate::embed::{EmbedError, Embedder, TextRole};
use crate::store::{ChunkPayload, ChunkPoint, Store, StoreError, StoredDocument};

/// Errors that stop an ingest run (per-file problems are reported as skipped).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Corpus(#[from] corpus::CorpusError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid user {0:?}: use 1-64 letters, digits, '-', '_' or '.'")]
    InvalidUser(String),
}

/// What happened to one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentAction {
    Added,
    Changed,
    Unchanged,
    /// Same content at other lines: payload updated, nothing embedded.
    Moved,
    Deleted,
}

/// One line of the report's detail list.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentChange {
    pub action: DocumentAction,
    pub doc_id: String,
    pub kind: Option<DocumentKind>,
    pub title: Option<String>,
    pub source: String,
}

/// Counts of documents by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestCounts {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub moved: usize,
    pub deleted: usize,
    pub skipped: usize,
}

/// The result of an ingest run, printed by the CLI and returned by the API.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub user: String,
    pub files: usize,
    pub stories: usize,
    pub notes: usize,
    pub counts: IngestCounts,
    /// Chunks embedded in this run (zero when nothing changed).
    pub chunks_embedded: usize,
    pub chunks_deleted_documents: usize,
    pub skipped: Vec<Skipped>,
    pub changes: Vec<DocumentChange>,
    pub elapsed_ms: u64,
    /// What opening the store did to bring an older store up to date (said once).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub store_upgrades: Vec<String>,
}

/// Receives progress while chunks are embedded (a progress bar, log lines, nothing).
pub trait IngestProgress: Send + Sync {
    fn start(&self, _total_chunks: usize) {}
    fn advance(&self, _chunks: usize) {}
    fn finish(&self) {}
}

/// Progress sink that ignores everything.
pub struct NoProgress;
impl IngestProgress for NoProgress {}

/// A file as read for ingest: its source name and parse result.
struct ReadFile {
    source: String,
    parsed: corpus::ParsedFile,
    /// True when the file could not be read as text; its stored documents are kept.
    unreadable: bool,
}

/// Runs ingest against one store with one embedder.
pub struct Ingestor {
    store: Arc<dyn Store>,
    embedder: Arc<dyn Embedder>,
    write_batch: usize,
}

impl Ingestor {
    pub fn new(store: Arc<dyn Store>, embedder: Arc<dyn Embedder>, write_batch: usize) -> Self {
        Self {
            store,
            embedder,
            write_batch: write_batch.max(1),
        }
    }

    /// Ingest files and directories for `user`: documents under these paths that are
    /// stored but no longer present are deleted; documents elsewhere are untouched.
    pub async fn ingest_paths(
        &self,
        user: &str,
        paths: &[PathBuf],
        progress: &dyn IngestProgress,
    ) -> Result<IngestReport, IngestError> {
        validate_user(user)?;
        let started = Instant::now();
        let roots = paths
            .iter()
            .map(|p| {
                source_name(p).map_err(|e| corpus::CorpusError::Io {
                    path: p.clone(),
                    source: e,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let files = corpus::collect_files(paths)?;
        let read: Vec<ReadFile> = files.iter().map(|(path, _)| read_file(path)).collect();
        let in_scope = |source: &str| {
            roots.iter().any(|root| {
                source == root || source.starts_with(&format!("{}/", root.trim_end_matches('/')))
            })
        };
        self.sync(user, read, &in_scope, progress, started).await
    }

    /// Ingest in-memory files (name, text) for `user`, as uploaded over HTTP. Only
    /// documents of these sources are compared and replaced.
    pub async fn ingest_texts(
        &self,
        user: &str,
        files: Vec<(String, String)>,
        progress: &dyn IngestProgress,
    ) -> Result<IngestReport, IngestError> {
        validate_user(user)?;
        let started = Instant::now();
        let sources: HashSet<String> = files.iter().map(|(name, _)| name.clone()).collect();
        let read = files
            .into_iter()
            .map(|(source, text)| ReadFile {
                parsed: corpus::parse_text(&source, &text),
                source,
                unreadable: false,
            })
            .collect();
        let in_scope = |source: &str| sources.contains(source);
        self.sync(user, read, &in_scope, progress, started).await
    }

    async fn sync(
        &self,
        user: &str,
        files: Vec<ReadFile>,
        in_scope: &(dyn Fn(&str) -> bool + Sync),
        progress: &dyn IngestProgress,
        started: Instant,
    ) -> Result<IngestReport, IngestError> {
        let mut report = IngestReport {
            user: user.to_string(),
            files: files.len(),
            stories: 0,
            notes: 0,
            counts: IngestCounts::default(),
            chunks_embedded: 0,
            chunks_deleted_documents: 0,
            skipped: Vec::new(),
            changes: Vec::new(),
            elapsed_ms: 0,
            store_upgrades: self.store.take_upgrades(),
        };
        let protected: HashSet<String> = files
            .iter()
            .filter(|f| f.unreadable)
            .map(|f| f.source.clone())
            .collect();
        let mut parsed: BTreeMap<String, Document> = BTreeMap::new();
        for file in files {
            report.skipped.extend(file.parsed.skipped);
            for doc in file.parsed.documents {
                parsed.insert(doc.id.clone(), doc);
            }
        }
        report.counts.skipped = report.skipped.len();
        report.stories = parsed
            .values()
            .filter(|d| d.kind == DocumentKind::Story)
            .count();
        report.notes = parsed.len() - report.stories;

        let stored: HashMap<String, StoredDocument> = self
            .store
            .documents(user)
            .instrument(info_span!("ingest.load_stored", user))
            .await?
            .into_iter()
            .map(|d| (d.doc_id.clone(), d))
            .collect();

        let plan = plan(&parsed, &stored, in_scope, &protected);
        self.apply_deletions(user, &plan, &stored, &mut report)
            .await?;
        self.apply_moves(user, &plan, &parsed, &mut report).await?;
        for doc_id in &plan.unchanged {
            report.counts.unchanged += 1;
            report
                .changes
                .push(change(DocumentAction::Unchanged, &parsed[doc_id]));
        }
        let to_write: Vec<&Document> = plan
            .added
            .iter()
            .chain(&plan.changed)
            .map(|id| &parsed[id])
            .collect();
        report.chunks_embedded = self.write_documents(user, &to_write, progress).await?;
        if plan.writes_anything() {
            // Index a bank that grew past the graph threshold, and rebuild graphs whose
            // points were deleted or moved (a no-op for small banks).
            self.store
                .optimize()
                .instrument(info_span!("ingest.optimize", user))
                .await?;
        }
        for id in &plan.added {
            report.counts.added += 1;
            report
                .changes
                .push(change(DocumentAction::Added, &parsed[id]));
        }
        for id in &plan.changed {
            report.counts.changed += 1;
            report
                .changes
                .push(change(DocumentAction::Changed, &parsed[id]));
        }
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        info!(
            user,
            added = report.counts.added,
            changed = report.counts.changed,
            unchanged = report.counts.unchanged,
            deleted = report.counts.deleted,
            chunks = report.chunks_embedded,
            elapsed_ms = report.elapsed_ms,
            "ingest finished"
        );
        Ok(report)
    }

    async fn apply_deletions(
        &self,
        user: &str,
        plan: &Plan,
        stored: &HashMap<String, StoredDocument>,
        report: &mut IngestReport,
    ) -> Result<(), IngestError> {
        let mut ids: Vec<String> = plan.deleted.clone();
        ids.extend(plan.changed.iter().cloned());
        if ids.is_empty() {
            return Ok(());
        }
        async {
            self.store.delete_documents(user, &ids).await?;
            self.store.flush().await
        }
        .instrument(info_span!("ingest.delete", user, documents = ids.len()))
        .await?;
        for id in &plan.deleted {
            let doc = &stored[id];
            report.counts.deleted += 1;
            report.chunks_deleted_documents += doc.chunks_present;
            report.changes.push(DocumentChange {
                action: DocumentAction::Deleted,
                doc_id: id.clone(),
                kind: None,
                title: None,
                source: doc.source.clone(),
            });
        }
        Ok(())
    }

    async fn apply_moves(
        &self,
        user: &str,
        plan: &Plan,
        parsed: &BTreeMap<String, Document>,
        report: &mut IngestReport,
    ) -> Result<(), IngestError> {
        if plan.moved.is_empty() {
            return Ok(());
        }
        let span = info_span!("ingest.move", user, documents = plan.moved.len());
        async {
            for id in &plan.moved {
                let doc = &parsed[id];
                let chunk_lines: Vec<LineSpan> =
                    chunk_document(doc).iter().map(|c| c.lines).collect();
                self.store
                    .set_document_lines(user, id, doc.lines, &chunk_lines)
                    .await?;
                report.counts.moved += 1;
                report.changes.push(change(DocumentAction::Moved, doc));
            }
            self.store.flush().await
        }
        .instrument(span)
        .await?;
        Ok(())
    }

    /// Chunk, embed and store documents; returns the number of chunks embedded.
    async fn write_documents(
        &self,
        user: &str,
        docs: &[&Document],
        progress: &dyn IngestProgress,
    ) -> Result<usize, IngestError> {
        let mut work: Vec<(&Document, Chunk, usize)> = Vec::new();
        for doc in docs {
            let chunks = chunk_document(doc);
            let count = chunks.len();
            work.extend(chunks.into_iter().map(|c| (*doc, c, count)));
        }
        // Longest first: batches of similar length pad little, and the slowest batch
        // runs while the progress bar is fresh.
        work.sort_by_key(|(_, c, _)| std::cmp::Reverse(c.embed_text.len()));
        progress.start(work.len());
        let hashes: HashMap<&str, String> = docs
            .iter()
            .map(|d| (d.id.as_str(), d.content_hash()))
            .collect();
        // Each batch is written while the next one is embedded: the model keeps the
        // cores busy while the store encodes, writes and syncs.
        let mut writing: Option<BatchWrite> = None;
        let mut last_flush = Instant::now();
        for batch in work.chunks(self.write_batch) {
            let span = info_span!("ingest.batch", user, chunks = batch.len());
            let embedded = async {
                let texts: Vec<String> =
                    batch.iter().map(|(_, c, _)| c.embed_text.clone()).collect();
                let vectors = self.embedder.embed(texts, TextRole::Document).await?;
                Ok::<_, IngestError>(
                    batch
                        .iter()
                        .zip(vectors)
                        .map(|((doc, chunk, count), dense)| {
                            chunk_point(user, doc, &hashes[doc.id.as_str()], chunk, *count, dense)
                        })
                        .collect::<Vec<_>>(),
                )
            }
            .instrument(span.clone())
            .await;
            // The batch before is written (and durable if it was flushed) whatever
            // happened to this one.
            if let Some(previous) = writing.take() {
                previous.finish().await?;
            }
            let flush = last_flush.elapsed() >= FLUSH_EVERY;
            if flush {
                last_flush = Instant::now();
            }
            writing = Some(BatchWrite::start(&self.store, embedded?, flush, span));
            progress.advance(batch.len());
        }
        if let Some(last) = writing.take() {
            last.finish().await?;
        }
        self.store.flush().await?;
        progress.finish();
        Ok(work.len())
    }
}

/// Time between flushes while an ingest writes chunks. A crash loses at most the
/// batches written since the last one (the next run writes their documents again, as
/// incomplete), and the store is not synced to disk after every batch.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// One batch being written to the store (and flushed, if its turn came) on a task of
/// its own.
struct BatchWrite(tokio::task::JoinHandle<Result<(), StoreError>>);

impl BatchWrite {
    fn start(
        store: &Arc<dyn Store>,
        points: Vec<ChunkPoint>,
        flush: bool,
        span: tracing::Span,
    ) -> Self {
        let store = Arc::clone(store);
        let write = async move {
            store.upsert(points).await?;
            if flush {
                store.flush().await?;
            }
            Ok(())
        };
        Self(tokio::spawn(write.instrument(span)))
    }

    /// Wait for the write to end.
    async fn finish(self) -> Result<(), StoreError> {
        self.0
            .await
            .map_err(|e| StoreError::Backend(format!("writing a batch failed: {e}")))?
    }
}

/// Which documents to add, re-embed, relabel, keep and delete.
#[derive(Debug, Default)]
struct Plan {
    added: Vec<String>,
    changed: Vec<String>,
    moved: Vec<String>,
    unchanged: Vec<String>,
    deleted: Vec<String>,
}

impl Plan {
    fn writes_anything(&self) -> bool {
        [&self.added, &self.changed, &self.moved, &self.deleted]
            .iter()
            .any(|ids| !ids.is_empty())
    }
}

fn plan(
    parsed: &BTreeMap<String, Document>,
    stored: &HashMap<String, StoredDocument>,
    in_scope: &(dyn Fn(&str) -> bool + Sync),
    protected: &HashSet<String>,
) -> Plan {
    let mut plan = Plan::default();
    for (id, doc) in parsed {
        match stored.get(id) {
            None => plan.added.push(id.clone()),
            Some(s) if !s.is_complete() || s.content_hashes[0] != doc.content_hash() => {
                plan.changed.push(id.clone())
            }
            Some(s) if s.doc_lines != doc.lines => plan.moved.push(id.clone()),
            Some(_) => plan.unchanged.push(id.clone()),
        }
    }
    let mut deleted: Vec<String> = stored
        .values()
        .filter(|s| !parsed.contains_key(&s.doc_id))
        .filter(|s| in_scope(&s.source) && !protected.contains(&s.source))
        .map(|s| s.doc_id.clone())
        .collect();
    deleted.sort();
    plan.deleted = deleted;
    plan
}

fn change(action: DocumentAction, doc: &Document) -> DocumentChange {
    DocumentChange {
        action,
        doc_id: doc.id.clone(),
        kind: Some(doc.kind),
        title: Some(doc.title.clone()),
        source: doc.source.clone(),
    }
}

/// Chunk `chunk` (of `count`) of `doc`, whose content hash is `hash`, as `user`'s point
/// with its `dense` vector: what ingest writes (the store benchmark writes the same).
pub fn chunk_point(
    user: &str,
    doc: &Document,
    hash: &str,
    chunk: &Chunk,
    count: usize,
    dense: Vec<f32>,
) -> ChunkPoint {
    ChunkPoint {
        id: point_id(user, &doc.id, chunk.index),
        dense,
        sparse_text: chunk.embed_text.clone(),
        payload: ChunkPayload {
            user: user.to_string(),
            doc_id: doc.id.clone(),
            content_hash: hash.to_string(),
            kind: doc.kind,
            section: chunk.section,
            source: doc.source.clone(),
            title: doc.title.clone(),
            tags: doc.tags.clone(),
            doc_lines: doc.lines,
            lines: chunk.lines,
            chunk_index: chunk.index,
            chunk_count: count,
            text: chunk.text.clone(),
        },
    }
}

/// Deterministic point id: the same chunk of the same document of the same user.
pub fn point_id(user: &str, doc_id: &str, chunk_index: usize) -> uuid::Uuid {
    let key = format!("{user}\u{0}{doc_id}\u{0}{chunk_index}");
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, key.as_bytes())
}

/// A user name is stored in every payload and used in filters: keep it simple.
pub fn validate_user(user: &str) -> Result<(), IngestError> {
    crate::config::check_user_name(user).map_err(|_| IngestError::InvalidUser(user.to_string()))
}

/// The name a file is stored under: its canonical absolute path, so that the same
/// file ingested from another directory or spelled differently is the same source.
pub fn source_name(path: &Path) -> std::io::Result<String> {
    Ok(std::fs::canonicalize(path)?.to_string_lossy().into_owned())
}

fn read_file(path: &Path) -> ReadFile {
    let source = source_name(path).unwrap_or_else(|_| path.to_string_lossy().into_owned());
    match std::fs::read(path) {
        Ok(bytes) => match corpus::decode_text(&bytes) {
            Ok(text) => ReadFile {
                parsed: corpus::parse_text(&source, &text),
                source,
                unreadable: false,
            },
            Err(reason) => ReadFile {
                parsed: whole_file_skip(&source, reason),
                source,
                unreadable: true,
            },
        },
        Err(e) => ReadFile {
            parsed: whole_file_skip(&source, format!("could not read: {e}")),
            source,
            unreadable: true,
        },
    }
}

fn whole_file_skip(source: &str, reason: String) -> corpus::ParsedFile {
    corpus::ParsedFile {
        documents: Vec::new(),
        skipped: vec![Skipped {
            source: source.to_string(),
            lines: None,
            reason: format!("{reason}; previously stored documents from this file are kept"),
        }],
    }
}
