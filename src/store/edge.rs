//! [`EdgeStore`]: the [`Store`] in-process, on embedded Qdrant (`qdrant-edge` 0.7.2).

// One shard directory holds every user's chunks. Each point has a named dense vector
// `dense` (cosine), a named sparse vector `bm25_scoped` (Qdrant's built-in BM25 over
// [`ChunkPoint::sparse_text`]; the query's term weights come from the searched scope
// alone, see `store::term_stats`) and its [`super::ChunkPayload`] (plus its `scope`
// and BM25 term ids) as a JSON object. `user` is a tenant
// index, and every filter names the user: it starts with the user condition, or is
// the user's scope alone (a search of one kind). By default dense search scans the int8
// copies `optimize` builds for large segments, split over threads by the parts of the
// scope for a large one (see `edge::partition`); with graph search on, a search of one
// kind walks that user's graph for that kind once `optimize` has built one, and a
// short graph result is searched again exactly (see `store::dense`). A search asks
// Qdrant for ids and scores and takes the hits' payloads from memory where it can
// (see `edge::read_cache`).
//
// The shard's API is synchronous, so every call runs on tokio's blocking pool. Writes,
// `flush` and `optimize` hold one writer lock (qdrant-edge's `flush` panics if an
// update runs at the same time); searches run concurrently without it.
//
// Durability: writes reach disk on [`Store::flush`] (and when the store is dropped);
// qdrant-edge does not replay its WAL on load, so unflushed writes are lost in a crash.

mod filter;
mod partition;
mod payload;
mod read_cache;
mod request;
mod schema;
mod upgrade;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};
use qdrant_edge::{
    CountRequest, EdgeConfig, EdgeOptimizersConfig, EdgeShard, Filter, OperationError, Payload,
    PayloadOps, PointId, PointInsertOperations, PointOperations, PointStructPersisted,
    ScrollRequest, SetPayloadOp, UpdateOperation, VectorInternal, VectorPersisted,
    VectorStructInternal, VectorStructPersisted, WithPayloadInterface, WithVector,
};

pub use schema::EdgeOptions;

use self::read_cache::{CountCache, PayloadCache};
use self::schema::{DENSE, SPARSE};
use super::dense::{self, DenseSearch, IndexLayout};
use super::ranked;
use super::select::{self, Selection};
use super::term_stats::{self, ScopeCounts, Upgrade};
use super::{
    ChunkHit, ChunkPayload, ChunkPoint, SearchMode, SearchQuery, Store, StoreError, StoredDocument,
};
use crate::corpus::{DocumentKind, LineSpan};

/// Points written per shard update: bounds the time one update holds segment locks.
const UPSERT_BATCH: usize = 256;
/// Points read per scroll page when listing documents or chunks.
const SCROLL_PAGE: usize = 1_000;
/// File in the store directory saying the next `optimize` must rebuild segments with
/// deleted points (see `Inner::mark_graph_rebuild`).
const REBUILD_MARKER: &str = "starcoach-rebuild-graphs";
/// File in the store directory naming the embedding model of its vectors.
const MODEL_FILE: &str = "starcoach-embedding-model";
/// File in the store directory saying its dense index is being rebuilt for a new
/// layout: present at open, the rebuild was interrupted and runs again.
const RELAYOUT_MARKER: &str = "starcoach-relayout";

/// A [`Store`] in a local directory, embedded in this process.
///
/// Cheap to share behind an `Arc`; dropping the last handle flushes and releases the
/// directory lock.
pub struct EdgeStore {
    inner: Arc<Inner>,
}

/// Shard-wide counts (all users together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeStats {
    /// Segments on disk; `optimize` merges small ones.
    pub segments: usize,
    /// Points (chunks) of all users, approximate.
    pub points: usize,
    /// Vectors held in an index (HNSW for dense, inverted index for BM25); zero for
    /// dense data until `optimize` has indexed a segment above the threshold.
    pub indexed_vectors: usize,
}

/// The shard and what every operation needs beside it; shared with blocking tasks.
struct Inner {
    shard: EdgeShard,
    /// Serialises updates, flush and optimize.
    writer: Mutex<()>,
    bm25: EdgeBm25,
    dense_dim: usize,
    /// `Exact` for a store with graphs holding chunks written before chunks had a
    /// scope: its graphs are not keyed by scope, so only an exact search is complete.
    dense_search: DenseSearch,
    /// Every chunk has a scope, so a search of one kind filters on the scope alone.
    scoped: bool,
    /// Every chunk has a part of its scope, so a large scan may split by parts.
    partitioned: bool,
    /// A user's chunks of one kind from which a dense scan of them runs in parallel.
    parallel_scan_min: usize,
    /// Threads a parallel scan uses (read once: on Linux the count reads cgroup files).
    scan_threads: usize,
    /// Threads searching now, the extra threads of parallel scans included: a scan
    /// splits only over cores that no other search is using.
    searching: AtomicUsize,
    /// Decoded payloads of points searches returned, by id; forgotten on every write.
    payloads: PayloadCache,
    /// Chunks of a search's filter (term `None`) and those holding a term, by the
    /// filter's key and the term; forgotten when the filter's user writes.
    term_counts: CountCache,
    /// What opening the store upgraded, until an ingest report has said so.
    upgrade: Mutex<Option<Upgrade>>,
    path: PathBuf,
}

impl fmt::Debug for EdgeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EdgeStore")
            .field("path", &self.inner.path)
            .field("dense_dim", &self.inner.dense_dim)
            .finish()
    }
}

impl EdgeStore {
    /// Open the store in `dir`, creating the directory and an empty store if needed.
    ///
    /// Fails with [`StoreError::DimensionMismatch`] when the store holds vectors of
    /// another dimension, and with [`StoreError::Locked`] when the directory is open
    /// elsewhere (in this or another process). Blocking: does file I/O.
    pub fn open(dir: &Path, dense_dim: usize) -> Result<Self, StoreError> {
        Self::open_with(dir, dense_dim, &EdgeOptions::default())
    }

    /// [`EdgeStore::open`] with tuning that applies if the store is created now.
    #[tracing::instrument(skip_all, fields(path = %dir.display(), dense_dim))]
    pub fn open_with(
        dir: &Path,
        dense_dim: usize,
        options: &EdgeOptions,
    ) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| open_error(dir, e))?;
        let (new_config, relayout) = match saved_config(dir)? {
            Some(saved) => {
                check_dim(dir, &saved, dense_dim)?;
                let changed = schema::relayout(&saved, options.graph_search);
                let relayout = changed.is_some();
                (changed, relayout)
            }
            None => (Some(schema::new_config(dense_dim, options)), false),
        };
        let created = new_config.is_some() && !relayout;
        let marker = dir.join(RELAYOUT_MARKER);
        if relayout {
            // Before the new layout is saved: a crash during the rebuild leaves it.
            std::fs::write(&marker, "the dense index is being rebuilt\n")
                .map_err(|e| open_error(dir, e))?;
        }
        let shard = EdgeShard::load(dir, new_config).map_err(|e| load_error(dir, e))?;
        check_dim(dir, &shard.config(), dense_dim)?;
        for operation in schema::index_operations() {
            shard.update(operation).map_err(|e| open_error(dir, e))?;
        }
        let upgrade = if upgrade::needed(&shard) {
            Some(upgrade::to_per_scope_terms(&shard).map_err(|e| open_error(dir, e))?)
        } else {
            None
        };
        if marker.exists() {
            rebuild_dense_index(dir, &shard)?;
            std::fs::remove_file(&marker).map_err(|e| open_error(dir, e))?;
        }
        let layout = schema::layout(&shard.config());
        let bm25 = EdgeBm25::new(EdgeBm25Config::default()).map_err(|e| open_error(dir, e))?;
        let count = |filter| {
            shard
                .count(CountRequest {
                    filter: Some(filter),
                    exact: true,
                })
                .map_err(|e| open_error(dir, e))
        };
        let unscoped = count(filter::of(&select::unscoped()))?;
        let unpartitioned = count(filter::of(&select::unpartitioned()))?;
        if unpartitioned > 0 {
            tracing::info!(
                unpartitioned,
                "the store holds chunks written by an older starcoach: a dense scan runs \
                 on one thread; ingest into a new store to scan large banks in parallel"
            );
        }
        let dense_search = DenseSearch::allowed(layout, options.graph_search, unscoped, "store");
        tracing::info!(created, ?layout, ?dense_search, "opened embedded store");
        let inner = Inner {
            shard,
            writer: Mutex::new(()),
            bm25,
            dense_dim,
            dense_search,
            scoped: unscoped == 0,
            partitioned: unpartitioned == 0,
            parallel_scan_min: options
                .parallel_scan_min_points
                .unwrap_or(partition::PARALLEL_SCAN_MIN_POINTS),
            scan_threads: partition::scan_threads(),
            searching: AtomicUsize::new(0),
            payloads: PayloadCache::new(read_cache::PAYLOADS),
            term_counts: CountCache::new(read_cache::COUNTS),
            upgrade: Mutex::new(upgrade),
            path: dir.to_owned(),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Segment and point counts over all users, for status pages and tests.
    #[tracing::instrument(skip_all)]
    pub async fn stats(&self) -> Result<EdgeStats, StoreError> {
        self.run(|inner| Ok(inner.stats())).await
    }

    /// [`Store::search`] with every dense ranking an exact scan of float vectors,
    /// whatever the store's layout: the reference its usual search is measured
    /// against (recall of the int8 scan or the graph).
    #[tracing::instrument(skip_all, fields(user = %user))]
    pub async fn search_exact(
        &self,
        user: &str,
        query: &SearchQuery,
    ) -> Result<Vec<ChunkHit>, StoreError> {
        let (user, query) = (user.to_owned(), query.clone());
        self.run(move |inner| inner.search_with(&user, &query, DenseSearch::Exact))
            .await
    }

    /// Run `op` on the blocking pool, inside the caller's tracing span.
    async fn run<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| op(&inner)))
            .await
            .map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
    }
}

#[async_trait]
impl Store for EdgeStore {
    #[tracing::instrument(skip_all, fields(points = points.len()))]
    async fn upsert(&self, points: Vec<ChunkPoint>) -> Result<(), StoreError> {
        self.run(move |inner| inner.upsert(points)).await
    }

    #[tracing::instrument(skip_all, fields(user = %user, docs = doc_ids.len()))]
    async fn delete_documents(&self, user: &str, doc_ids: &[String]) -> Result<(), StoreError> {
        if doc_ids.is_empty() {
            return Ok(());
        }
        let filter = filter::of(&select::documents(user, doc_ids));
        let user = user.to_owned();
        self.run(move |inner| {
            inner.mark_graph_rebuild(&user)?;
            inner.update_all(
                [delete_by(filter)],
                "delete documents",
                Changed::ChunksOf(std::slice::from_ref(&user)),
            )
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(user = %user, doc_id = %doc_id))]
    async fn set_document_lines(
        &self,
        user: &str,
        doc_id: &str,
        doc_lines: LineSpan,
        chunk_lines: &[LineSpan],
    ) -> Result<(), StoreError> {
        let updates = line_updates(user, doc_id, doc_lines, chunk_lines)?;
        let user = user.to_owned();
        self.run(move |inner| {
            // A payload update moves an indexed point to a new segment: a delete too.
            inner.mark_graph_rebuild(&user)?;
            inner.update_all(updates, "set document lines", Changed::LinesOnly)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn documents(&self, user: &str) -> Result<Vec<StoredDocument>, StoreError> {
        let filter = filter::of(&select::user(user));
        self.run(move |inner| inner.documents(filter)).await
    }

    #[tracing::instrument(skip_all, fields(user = %user, ?kind))]
    async fn chunks(
        &self,
        user: &str,
        kind: DocumentKind,
    ) -> Result<Vec<ChunkPayload>, StoreError> {
        let user = user.to_owned();
        self.run(move |inner| {
            let filter = filter::of(&select::search(&user, Some(kind), inner.scoped));
            let mut chunks = Vec::new();
            inner.scroll(filter, payload::chunk_fields(), "list chunks", |p| {
                chunks.push(payload::from_payload(p)?);
                Ok(())
            })?;
            Ok(chunks)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn all_chunks(&self) -> Result<Vec<ChunkPayload>, StoreError> {
        self.run(move |inner| {
            let mut chunks = Vec::new();
            let filter = filter::of(&select::everything());
            inner.scroll(filter, payload::chunk_fields(), "list all chunks", |p| {
                chunks.push(payload::from_payload(p)?);
                Ok(())
            })?;
            Ok(chunks)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(user = %user, mode = ?query.mode, limit = query.limit))]
    async fn search(&self, user: &str, query: &SearchQuery) -> Result<Vec<ChunkHit>, StoreError> {
        let (user, query) = (user.to_owned(), query.clone());
        self.run(move |inner| inner.search(&user, &query)).await
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn count(&self, user: &str) -> Result<usize, StoreError> {
        let filter = filter::of(&select::user(user));
        self.run(move |inner| inner.count(filter)).await
    }

    #[tracing::instrument(skip_all)]
    async fn flush(&self) -> Result<(), StoreError> {
        self.run(Inner::flush).await
    }

    async fn bind_model(&self, model_id: &str) -> Result<(), StoreError> {
        let path = self.inner.path.join(MODEL_FILE);
        let model_id = model_id.to_owned();
        tokio::task::spawn_blocking(move || bind_model_file(&path, &model_id))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    async fn recorded_model(&self) -> Result<Option<String>, StoreError> {
        let path = self.inner.path.join(MODEL_FILE);
        tokio::task::spawn_blocking(move || read_model_file(&path))
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?
    }

    #[tracing::instrument(skip_all)]
    async fn optimize(&self) -> Result<(), StoreError> {
        self.run(Inner::optimize).await
    }

    fn take_upgrades(&self) -> Vec<String> {
        let taken = self
            .inner
            .upgrade
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        taken.iter().map(Upgrade::describe).collect()
    }
}

/// Whose chunks a write changes, for the term counts kept per user.
#[derive(Debug, Clone, Copy)]
enum Changed<'a> {
    /// Chunks of these users were written or deleted.
    ChunksOf(&'a [String]),
    /// Only line numbers in payloads: no term count moves.
    LinesOnly,
}

impl Inner {
    /// Take the writer lock. A panic in an earlier writer leaves nothing to repair in
    /// the `()` it guards, so a poisoned lock is used as is.
    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn upsert(&self, points: Vec<ChunkPoint>) -> Result<(), StoreError> {
        let mut users: Vec<String> = points.iter().map(|p| p.payload.user.clone()).collect();
        users.sort_unstable();
        users.dedup();
        let mut points = points
            .into_iter()
            .map(|p| self.to_point(p))
            .collect::<Result<Vec<_>, _>>()?;
        let _writer = self.lock_writer();
        while !points.is_empty() {
            let batch: Vec<_> = points.drain(..points.len().min(UPSERT_BATCH)).collect();
            let operation = PointOperations::UpsertPoints(PointInsertOperations::PointsList(batch));
            self.update(
                UpdateOperation::PointOperation(operation),
                "upsert",
                Changed::ChunksOf(&users),
            )?;
        }
        Ok(())
    }

    /// A chunk as a Qdrant point: dense vector, BM25 document vector, payload.
    fn to_point(&self, point: ChunkPoint) -> Result<PointStructPersisted, StoreError> {
        self.check_dense(&point.dense)?;
        let sparse = self.bm25.embed_document(&point.sparse_text);
        let payload = payload::to_payload(&point.payload, &sparse.indices)?;
        let vectors = HashMap::from([
            (DENSE.to_owned(), VectorPersisted::Dense(point.dense)),
            (SPARSE.to_owned(), VectorPersisted::Sparse(sparse)),
        ]);
        Ok(PointStructPersisted {
            id: PointId::Uuid(point.id),
            vector: VectorStructPersisted::Named(vectors),
            payload: Some(payload),
        })
    }

    fn check_dense(&self, vector: &[f32]) -> Result<(), StoreError> {
        dense::check_dimension(self.dense_dim, vector)
    }

    /// Take the writer lock and apply `operations` in order, stopping at the first
    /// that fails.
    fn update_all(
        &self,
        operations: impl IntoIterator<Item = UpdateOperation>,
        what: &str,
        changed: Changed<'_>,
    ) -> Result<(), StoreError> {
        let _writer = self.lock_writer();
        operations
            .into_iter()
            .try_for_each(|operation| self.update(operation, what, changed))
    }

    /// One shard update; the caller holds the writer lock. Cached payloads, and the
    /// term counts of the users whose chunks it `changed`, are forgotten once it has
    /// finished, whether or not it succeeded.
    fn update(
        &self,
        operation: UpdateOperation,
        what: &str,
        changed: Changed<'_>,
    ) -> Result<(), StoreError> {
        let updated = self.shard.update(operation);
        self.payloads.written();
        match changed {
            Changed::ChunksOf(users) => self
                .term_counts
                .written_by(users.iter().map(String::as_str)),
            Changed::LinesOnly => {}
        }
        updated.map_err(|e| backend(what, e))
    }

    fn documents(&self, filter: Filter) -> Result<Vec<StoredDocument>, StoreError> {
        let mut docs = BTreeMap::new();
        let fields = WithPayloadInterface::Fields(payload::doc_fields_keys());
        self.scroll(filter, fields, "list documents", |p| {
            payload::doc_fields(p)?.add_to(&mut docs);
            Ok(())
        })?;
        Ok(docs.into_values().collect())
    }

    /// Every point passing `filter`, [`SCROLL_PAGE`] at a time: `each` gets the
    /// payload of each (the `with_payload` part of it).
    fn scroll(
        &self,
        filter: Filter,
        with_payload: WithPayloadInterface,
        what: &str,
        mut each: impl FnMut(Option<Payload>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut offset = None;
        loop {
            let request = ScrollRequest {
                offset,
                limit: Some(SCROLL_PAGE),
                filter: Some(filter.clone()),
                with_payload: Some(with_payload.clone()),
                with_vector: WithVector::Bool(false),
                order_by: None,
            };
            let (records, next) = self.shard.scroll(request).map_err(|e| backend(what, e))?;
            for record in records {
                each(record.payload)?;
            }
            match next {
                Some(next) => offset = Some(next),
                None => return Ok(()),
            }
        }
    }

    fn search(&self, user: &str, query: &SearchQuery) -> Result<Vec<ChunkHit>, StoreError> {
        self.search_with(user, query, self.dense_search)
    }

    fn search_with(
        &self,
        user: &str,
        query: &SearchQuery,
        dense_search: DenseSearch,
    ) -> Result<Vec<ChunkHit>, StoreError> {
        if query.mode != SearchMode::Bm25 {
            self.check_dense(&query.dense)?;
        }
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let _searching = partition::Busy::add(&self.searching, 1);
        let hits = match query.mode {
            SearchMode::Dense => self.dense_hits(user, query, dense_search)?,
            SearchMode::Bm25 => self
                .bm25_hits(user, query, query.limit)?
                .unwrap_or_default(),
            SearchMode::Hybrid => {
                let dense_query = ranked::hybrid_dense_query(query);
                let dense = self.dense_hits(user, &dense_query, dense_search)?;
                let bm25 = self.bm25_hits(user, query, dense_query.limit)?;
                ranked::hybrid(dense, bm25, query.limit)
            }
        };
        tracing::debug!(hits = hits.len(), "searched");
        Ok(hits)
    }

    /// Dense hits, sorted: a large scope's parts scanned in parallel, else one request,
    /// searched again exactly when a graph came back short.
    fn dense_hits(
        &self,
        user: &str,
        query: &SearchQuery,
        dense_search: DenseSearch,
    ) -> Result<Vec<ChunkHit>, StoreError> {
        if let Some(groups) = self.scan_groups(user, query, dense_search)? {
            return self.scan_in_parallel(user, query, &groups, dense_search);
        }
        let filter = filter::of(&select::search(user, query.kind, self.scoped));
        let mut hits = self.dense_query(query, &filter, dense_search)?;
        if dense::may_be_short(query, hits.len(), dense_search)
            && dense::short_of(hits.len(), self.count(filter.clone())?)
        {
            hits = self.dense_query(query, &filter, DenseSearch::Exact)?;
        }
        ranked::sort(&mut hits);
        Ok(hits)
    }

    /// One dense request, its points as hits.
    fn dense_query(
        &self,
        query: &SearchQuery,
        filter: &Filter,
        dense_search: DenseSearch,
    ) -> Result<Vec<ChunkHit>, StoreError> {
        let request = request::dense(query, filter.clone(), dense_search);
        let points = self
            .shard
            .query(request)
            .map_err(|e| backend("search", e))?;
        let (ids, scores) = points
            .into_iter()
            .take(query.limit)
            .map(|p| (p.id, p.score))
            .unzip();
        self.hits(ids, scores)
    }

    /// The best `limit` BM25 hits, scored here from the chunks' term weights and the
    /// scope's statistics (see `store::ranked`); `None` when the query text has no
    /// terms (only stopwords).
    fn bm25_hits(
        &self,
        user: &str,
        query: &SearchQuery,
        limit: usize,
    ) -> Result<Option<Vec<ChunkHit>>, StoreError> {
        let mut terms = self.bm25.embed_query(&query.text);
        if terms.indices.is_empty() {
            return Ok(None);
        }
        let selection = select::search(user, query.kind, self.scoped);
        let filter = filter::of(&selection);
        let scope = term_stats::scope_key(user, query.kind);
        terms.values = self
            .term_counts(user, &scope, &selection, &terms.indices)?
            .weights();
        let query_terms = (terms.indices.as_slice(), terms.values.as_slice());
        let mut candidates = ranked::bm25_candidates(limit);
        loop {
            let Some(request) = request::bm25(terms.clone(), filter.clone(), candidates) else {
                return Ok(None);
            };
            let points = self
                .shard
                .query(request)
                .map_err(|e| backend("search", e))?;
            let (found, last_found) = (points.len(), points.last().map(|p| p.score));
            let ids: Vec<PointId> = points.into_iter().map(|p| p.id).collect();
            let weights = self.term_weights_of(&ids)?;
            let scores: Vec<f32> = ids
                .iter()
                .map(|id| {
                    weights.get(id).map_or(0.0, |chunk| {
                        ranked::bm25_score(query_terms, (&chunk.indices, &chunk.values))
                    })
                })
                .collect();
            let kth = ranked::kth_best(&scores, limit);
            if let Some(more) = ranked::more_bm25_candidates(candidates, found, last_found, kth) {
                candidates = more;
                continue;
            }
            // Payloads only for the candidates that can make the cut: those scoring at
            // least the `limit`-th (its ties are ordered by document).
            let (ids, scores) = ids
                .into_iter()
                .zip(scores)
                .filter(|&(_, score)| kth.is_none_or(|kth| score >= kth))
                .unzip();
            let mut hits = self.hits(ids, scores)?;
            ranked::sort(&mut hits);
            hits.truncate(limit);
            return Ok(Some(hits));
        }
    }

    /// The stored BM25 term weights of each point (one `retrieve`).
    fn term_weights_of(
        &self,
        ids: &[PointId],
    ) -> Result<HashMap<PointId, qdrant_edge::SparseVector>, StoreError> {
        let records = self
            .shard
            .retrieve(
                ids,
                Some(WithPayloadInterface::Bool(false)),
                Some(WithVector::Selector(vec![SPARSE.to_owned()])),
            )
            .map_err(|e| backend("read term weights", e))?;
        Ok(records
            .into_iter()
            .filter_map(|record| match record.vector {
                Some(VectorStructInternal::Named(mut named)) => match named.remove(SPARSE) {
                    Some(VectorInternal::Sparse(sparse)) => Some((record.id, sparse)),
                    _ => None,
                },
                _ => None,
            })
            .collect())
    }

    /// Points with their scores as hits, payloads from [`Inner::payloads_of`]. A point
    /// deleted since it was found has no payload and is left out.
    fn hits(&self, ids: Vec<PointId>, scores: Vec<f32>) -> Result<Vec<ChunkHit>, StoreError> {
        let payloads = self.payloads_of(&ids)?;
        Ok(scores
            .into_iter()
            .zip(payloads)
            .filter_map(|(score, payload)| {
                payload.map(|p| ChunkHit {
                    score,
                    payload: ChunkPayload::clone(&p),
                })
            })
            .collect())
    }

    /// The chunks of a search's `filter` and, for each of `terms`, those holding it:
    /// from memory where a search since `user`'s last write counted them.
    fn term_counts(
        &self,
        user: &str,
        scope: &str,
        selection: &Selection,
        terms: &[u32],
    ) -> Result<ScopeCounts, StoreError> {
        let keys: Vec<Option<u32>> = std::iter::once(None)
            .chain(terms.iter().copied().map(Some))
            .collect();
        let (mut counts, generation) = self.term_counts.get(user, scope, &keys);
        let mut read = Vec::new();
        for (key, count) in keys.into_iter().zip(counts.iter_mut()) {
            if count.is_none() {
                let n = match key {
                    None => self.count(filter::of(selection))?,
                    Some(term) => self.count(filter::of(&select::holding_term(selection, term)))?,
                };
                *count = Some(n);
                read.push((key, n));
            }
        }
        self.term_counts.keep(generation, scope, read);
        let mut counts = counts.into_iter().map(Option::unwrap_or_default);
        Ok(ScopeCounts {
            chunks: counts.next().unwrap_or_default(),
            holding: counts.collect(),
        })
    }

    /// The payload of each point, from the cache or else read from the shard (one
    /// `retrieve` for all those missing); `None` for a point that no longer exists.
    fn payloads_of(&self, ids: &[PointId]) -> Result<Vec<Option<Arc<ChunkPayload>>>, StoreError> {
        let (mut found, epoch) = self.payloads.get(ids);
        let missing: Vec<PointId> = ids
            .iter()
            .zip(&found)
            .filter(|(_, p)| p.is_none())
            .map(|(id, _)| *id)
            .collect();
        if missing.is_empty() {
            return Ok(found);
        }
        let records = self
            .shard
            .retrieve(
                &missing,
                Some(payload::chunk_fields()),
                Some(WithVector::Bool(false)),
            )
            .map_err(|e| backend("read payloads", e))?;
        let mut read = HashMap::with_capacity(records.len());
        for record in records {
            read.insert(record.id, Arc::new(payload::from_payload(record.payload)?));
        }
        for (id, slot) in ids.iter().zip(found.iter_mut()) {
            if slot.is_none() {
                *slot = read.get(id).cloned();
            }
        }
        tracing::debug!(
            read = read.len(),
            cached = ids.len() - missing.len(),
            "payloads"
        );
        self.payloads.keep(epoch, read);
        Ok(found)
    }

    fn count(&self, filter: Filter) -> Result<usize, StoreError> {
        let request = CountRequest {
            filter: Some(filter),
            exact: true,
        };
        self.shard.count(request).map_err(|e| backend("count", e))
    }

    fn stats(&self) -> EdgeStats {
        let info = self.shard.info();
        EdgeStats {
            segments: info.segments_count,
            points: info.points_count,
            indexed_vectors: info.indexed_vectors_count,
        }
    }

    fn flush(&self) -> Result<(), StoreError> {
        let _writer = self.lock_writer();
        self.shard.flush();
        Ok(())
    }

    /// Merge and index segments; after deletions that may have broken a graph (see
    /// [`Inner::mark_graph_rebuild`]), also rebuild every segment holding a deleted
    /// point, which gives each of its graphs a live entry point again.
    fn optimize(&self) -> Result<(), StoreError> {
        let _writer = self.lock_writer();
        let marker = self.rebuild_marker();
        let rebuild = marker.exists();
        let saved = self.shard.config().optimizers.clone();
        if rebuild {
            let vacuum_any_deletion = EdgeOptimizersConfig {
                deleted_threshold: Some(0.0),
                vacuum_min_vector_number: Some(1),
                ..saved.clone()
            };
            self.set_optimizers(vacuum_any_deletion)?;
        }
        let started = std::time::Instant::now();
        let optimized = self.shard.optimize();
        if rebuild {
            self.set_optimizers(saved)?;
        }
        let changed = optimized.map_err(|e| backend("optimize", e))?;
        if rebuild {
            std::fs::remove_file(&marker).map_err(|e| backend("optimize", e))?;
        }
        tracing::info!(changed, rebuild, elapsed = ?started.elapsed(), "optimized");
        Ok(())
    }

    fn set_optimizers(&self, config: EdgeOptimizersConfig) -> Result<(), StoreError> {
        self.shard
            .set_optimizers_config(config)
            .map_err(|e| backend("configure optimizers", e))
    }

    /// Before deleting or moving points of `user`: if one of their scopes is large
    /// enough to have an HNSW graph, deleting its entry point would leave the graph
    /// returning nothing (see `store::dense::uses_graph`), so the next `optimize`
    /// must rebuild. The mark is a file, so a crash before that `optimize` keeps it.
    fn mark_graph_rebuild(&self, user: &str) -> Result<(), StoreError> {
        let marker = self.rebuild_marker();
        if marker.exists() || schema::layout(&self.shard.config()) == IndexLayout::Scan {
            return Ok(());
        }
        let scope_points = [DocumentKind::Story, DocumentKind::Note]
            .map(|kind| self.count(filter::of(&select::search(user, Some(kind), self.scoped))));
        let scope_points = scope_points.into_iter().collect::<Result<Vec<_>, _>>()?;
        if dense::needs_graph_rebuild(&scope_points, self.graph_min_points()) {
            std::fs::write(&marker, "segments with deleted points need a rebuild\n")
                .map_err(|e| backend("mark graphs for rebuild", e))?;
        }
        Ok(())
    }

    /// Points a scope needs before `optimize` builds it a graph: Qdrant builds one for
    /// a block above a quarter of the full-scan threshold.
    fn graph_min_points(&self) -> usize {
        let threshold_kb = self.shard.config().hnsw_config.full_scan_threshold;
        dense::graph_min_points(threshold_kb, self.dense_dim)
    }

    fn rebuild_marker(&self) -> PathBuf {
        self.path.join(REBUILD_MARKER)
    }
}

/// Payload updates for new line numbers (see `select::line_updates`).
fn line_updates(
    user: &str,
    doc_id: &str,
    doc_lines: LineSpan,
    chunk_lines: &[LineSpan],
) -> Result<Vec<UpdateOperation>, StoreError> {
    let updates = select::line_updates(user, doc_id, doc_lines, chunk_lines)?;
    Ok(updates
        .into_iter()
        .map(|(points, payload)| set_payload(qdrant_edge::Payload(payload), filter::of(&points)))
        .collect())
}

fn set_payload(payload: qdrant_edge::Payload, filter: Filter) -> UpdateOperation {
    UpdateOperation::PayloadOperation(PayloadOps::SetPayload(SetPayloadOp {
        payload,
        points: None,
        filter: Some(filter),
        key: None,
    }))
}

fn delete_by(filter: Filter) -> UpdateOperation {
    UpdateOperation::PointOperation(PointOperations::DeletePointsByFilter(filter))
}

/// The configuration saved in `dir` by an earlier open, if any.
/// Rebuild every indexed segment of a store just opened with another dense index
/// layout (`graph_search` changed, or a store from before int8 copies), before any
/// search can walk a graph the layout no longer has.
fn rebuild_dense_index(dir: &Path, shard: &EdgeShard) -> Result<(), StoreError> {
    let layout = schema::layout(&shard.config());
    tracing::info!(
        ?layout,
        "the store's dense index was built for another [store] graph_search: rebuilding it \
         (once; minutes for a large bank)"
    );
    let started = std::time::Instant::now();
    shard.optimize().map_err(|e| open_error(dir, e))?;
    tracing::info!(?layout, elapsed = ?started.elapsed(), "rebuilt the dense index");
    Ok(())
}

fn saved_config(dir: &Path) -> Result<Option<EdgeConfig>, StoreError> {
    EdgeConfig::load(dir)
        .transpose()
        .map_err(|e| open_error(dir, e))
}

fn check_dim(dir: &Path, config: &EdgeConfig, expected: usize) -> Result<(), StoreError> {
    match schema::dense_dim(config) {
        Some(stored) if stored == expected => Ok(()),
        Some(stored) => Err(StoreError::DimensionMismatch { stored, expected }),
        None => Err(open_error(
            dir,
            format!("it has no dense vector named {DENSE:?}; was it written by starcoach?"),
        )),
    }
}

/// A failed load: a held WAL lock means another open store owns the directory.
fn load_error(dir: &Path, error: OperationError) -> StoreError {
    let reason = error.to_string();
    if reason.contains("WouldBlock") {
        return StoreError::Locked {
            path: dir.display().to_string(),
        };
    }
    open_error(dir, reason)
}

/// See [`Store::bind_model`]: the model is one line in a file of the store directory.
fn bind_model_file(path: &Path, model_id: &str) -> Result<(), StoreError> {
    match read_model_file(path)? {
        Some(stored) if stored == model_id => Ok(()),
        Some(stored) => Err(StoreError::ModelMismatch {
            stored,
            expected: model_id.to_owned(),
        }),
        None => std::fs::write(path, format!("{model_id}\n"))
            .map_err(|e| backend("record the model", e)),
    }
}

fn read_model_file(path: &Path) -> Result<Option<String>, StoreError> {
    match std::fs::read_to_string(path) {
        Ok(stored) => Ok(Some(stored.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(backend("read the recorded model", e)),
    }
}

fn open_error(dir: &Path, reason: impl fmt::Display) -> StoreError {
    StoreError::Open {
        path: dir.display().to_string(),
        reason: reason.to_string(),
    }
}

fn backend(what: &str, error: impl fmt::Display) -> StoreError {
    StoreError::Backend(format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::payload::{sample_payload, PARTITION, SCOPE};

    fn point(id: u128, payload: qdrant_edge::Payload) -> PointStructPersisted {
        let vectors = HashMap::from([(DENSE.to_owned(), VectorPersisted::Dense(vec![1.0, 0.0]))]);
        PointStructPersisted {
            id: PointId::Uuid(uuid::Uuid::from_u128(id)),
            vector: VectorStructPersisted::Named(vectors),
            payload: Some(payload),
        }
    }

    /// Write raw points, as an older build or a hand-made store would have.
    fn write(store: &EdgeStore, points: Vec<PointStructPersisted>) {
        let mut users: Vec<String> = points
            .iter()
            .filter_map(|p| p.payload.as_ref()?.0.get(payload::USER)?.as_str())
            .map(str::to_owned)
            .collect();
        users.sort_unstable();
        users.dedup();
        let operation = PointOperations::UpsertPoints(PointInsertOperations::PointsList(points));
        store
            .inner
            .update_all(
                [UpdateOperation::PointOperation(operation)],
                "test",
                Changed::ChunksOf(&users),
            )
            .unwrap();
        store.inner.flush().unwrap();
    }

    #[test]
    fn a_store_with_chunks_written_before_scopes_searches_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let graph = EdgeOptions {
            graph_search: true,
            ..EdgeOptions::default()
        };
        let store = EdgeStore::open_with(dir.path(), 2, &graph).unwrap();
        assert_eq!(store.inner.dense_search, DenseSearch::Graph);
        let scoped = payload::to_payload(&sample_payload(), &[]).unwrap();
        write(&store, vec![point(1, scoped.clone())]);
        drop(store);

        let store = EdgeStore::open_with(dir.path(), 2, &graph).unwrap();
        assert_eq!(store.inner.dense_search, DenseSearch::Graph);
        let mut legacy = scoped;
        legacy.0.remove(SCOPE);
        write(&store, vec![point(2, legacy)]);
        drop(store);

        let store = EdgeStore::open_with(dir.path(), 2, &graph).unwrap();
        assert_eq!(store.inner.dense_search, DenseSearch::Exact);
        drop(store);
        // Without graphs the scan covers every chunk, scoped or not.
        let default = EdgeStore::open(dir.path(), 2).unwrap();
        assert_eq!(default.inner.dense_search, DenseSearch::Quantized);
    }

    /// A store of `n` one-chunk stories of alice with distinct 2-d directions, and
    /// `bob`'s copy of each, opened with a parallel-scan minimum of `min`.
    fn stories_of_two_users(dir: &Path, n: usize, min: usize) -> EdgeStore {
        let options = EdgeOptions {
            parallel_scan_min_points: Some(min),
            ..EdgeOptions::default()
        };
        let store = EdgeStore::open_with(dir, 2, &options).unwrap();
        let points = (0..n)
            .flat_map(|i| {
                let angle = i as f32 * 0.7;
                ["alice", "bob"].map(move |user| {
                    let mut payload = sample_payload();
                    payload.user = user.into();
                    payload.doc_id = format!("doc-{i}");
                    payload.chunk_index = 0;
                    ChunkPoint {
                        id: uuid::Uuid::new_v4(),
                        dense: vec![angle.cos(), angle.sin()],
                        sparse_text: String::new(),
                        payload,
                    }
                })
            })
            .collect();
        store.inner.upsert(points).unwrap();
        store
    }

    #[test]
    fn a_parallel_scan_of_the_parts_finds_what_one_scan_finds() {
        let dir = tempfile::tempdir().unwrap();
        let query = SearchQuery {
            dense: vec![0.6, 0.8],
            text: String::new(),
            mode: SearchMode::Dense,
            kind: Some(DocumentKind::Story),
            limit: 7,
        };
        let key = |hits: Vec<ChunkHit>| -> Vec<(String, String)> {
            hits.into_iter()
                .map(|h| (h.payload.user, h.payload.doc_id))
                .collect()
        };
        let store = stories_of_two_users(dir.path(), 60, usize::MAX);
        assert!(store
            .inner
            .scan_groups("alice", &query, DenseSearch::Quantized)
            .unwrap()
            .is_none());
        let one_scan = key(store.inner.search("alice", &query).unwrap());
        drop(store);

        let options = EdgeOptions {
            parallel_scan_min_points: Some(1),
            ..EdgeOptions::default()
        };
        let store = EdgeStore::open_with(dir.path(), 2, &options).unwrap();
        let groups = store
            .inner
            .scan_groups("alice", &query, DenseSearch::Quantized)
            .unwrap();
        if partition::scan_threads() > 1 {
            assert!(groups.is_some());
        }
        {
            // Other searches on every core: this one does not split.
            let _others = partition::Busy::add(&store.inner.searching, store.inner.scan_threads);
            assert!(store
                .inner
                .scan_groups("alice", &query, DenseSearch::Quantized)
                .unwrap()
                .is_none());
            assert_eq!(key(store.inner.search("alice", &query).unwrap()).len(), 7);
        }
        assert_eq!(
            store
                .inner
                .searching
                .load(std::sync::atomic::Ordering::Relaxed),
            0,
            "every search gives its threads back"
        );
        let parallel = key(store.inner.search("alice", &query).unwrap());
        let forced = key(store
            .inner
            .scan_in_parallel("alice", &query, &partition::groups(3), DenseSearch::Exact)
            .unwrap());
        assert_eq!(one_scan.len(), 7);
        assert!(one_scan.iter().all(|(user, _)| user == "alice"));
        assert_eq!(parallel, one_scan);
        assert_eq!(forced, one_scan);
        // Not a dense search of one kind: one search.
        for other in [
            SearchQuery {
                kind: None,
                ..query.clone()
            },
            SearchQuery {
                mode: SearchMode::Hybrid,
                ..query.clone()
            },
        ] {
            assert!(store
                .inner
                .scan_groups("alice", &other, DenseSearch::Quantized)
                .unwrap()
                .is_none());
        }
        // A chunk from before parts: its part would be scanned by no thread.
        let mut legacy = payload::to_payload(&sample_payload(), &[]).unwrap();
        legacy.0.remove(PARTITION);
        write(&store, vec![point(1, legacy)]);
        drop(store);
        let store = EdgeStore::open_with(dir.path(), 2, &options).unwrap();
        assert!(!store.inner.partitioned);
        assert!(store
            .inner
            .scan_groups("alice", &query, DenseSearch::Quantized)
            .unwrap()
            .is_none());
    }

    /// Chunks of two users and both kinds whose texts share words, with random-ish
    /// 3-d directions.
    fn worded_points() -> Vec<ChunkPoint> {
        let words = [
            "deadline",
            "customer",
            "budget",
            "release",
            "kubernetes",
            "team",
        ];
        (0..120)
            .map(|i| {
                let mut payload = sample_payload();
                payload.user = if i % 3 == 0 { "bob" } else { "alice" }.into();
                payload.kind = if i % 4 == 0 {
                    DocumentKind::Note
                } else {
                    DocumentKind::Story
                };
                payload.doc_id = format!("doc-{i}");
                payload.chunk_index = 0;
                let angle = i as f32 * 0.37;
                ChunkPoint {
                    id: uuid::Uuid::from_u128(1_000 + i as u128),
                    dense: vec![angle.cos(), angle.sin(), 0.3],
                    sparse_text: format!(
                        "the {} met the {} before the {}",
                        words[i % 6],
                        words[(i / 6) % 6],
                        words[(i / 36) % 6]
                    ),
                    payload,
                }
            })
            .collect()
    }

    /// A store as an older starcoach wrote it: BM25 under `bm25` with the IDF
    /// modifier, no term ids in the payloads.
    fn write_legacy_store(dir: &Path, points: &[ChunkPoint]) {
        let mut config = schema::new_config(3, &EdgeOptions::default());
        let idf = qdrant_edge::EdgeSparseVectorParams::builder()
            .modifier(qdrant_edge::Modifier::Idf)
            .build();
        config.sparse_vectors = HashMap::from([(schema::LEGACY_SPARSE.to_owned(), idf)]);
        let shard = EdgeShard::load(dir, Some(config)).unwrap();
        let bm25 = EdgeBm25::new(EdgeBm25Config::default()).unwrap();
        let legacy = points
            .iter()
            .map(|p| {
                let mut payload = payload::to_payload(&p.payload, &[]).unwrap();
                payload.0.remove(crate::store::payload::TERMS);
                let vectors = HashMap::from([
                    (DENSE.to_owned(), VectorPersisted::Dense(p.dense.clone())),
                    (
                        schema::LEGACY_SPARSE.to_owned(),
                        VectorPersisted::Sparse(bm25.embed_document(&p.sparse_text)),
                    ),
                ]);
                PointStructPersisted {
                    id: PointId::Uuid(p.id),
                    vector: VectorStructPersisted::Named(vectors),
                    payload: Some(payload),
                }
            })
            .collect();
        let operation = PointOperations::UpsertPoints(PointInsertOperations::PointsList(legacy));
        shard
            .update(UpdateOperation::PointOperation(operation))
            .unwrap();
        shard.flush();
    }

    /// Every hit of a few searches of each user, in the store's order, scores to the
    /// last bit.
    fn rankings(store: &EdgeStore) -> Vec<String> {
        let mut all = Vec::new();
        for user in ["alice", "bob"] {
            for text in ["deadline", "the customer budget", "kubernetes team release"] {
                for mode in [SearchMode::Bm25, SearchMode::Hybrid] {
                    for kind in [None, Some(DocumentKind::Story)] {
                        let query = SearchQuery {
                            dense: vec![0.6, 0.8, 0.0],
                            text: text.into(),
                            mode,
                            kind,
                            limit: 25,
                        };
                        for hit in store.inner.search(user, &query).unwrap() {
                            all.push(format!(
                                "{user} {text} {mode:?} {kind:?}: {} {:08x}",
                                hit.payload.doc_id,
                                hit.score.to_bits()
                            ));
                        }
                    }
                }
            }
        }
        all
    }

    /// Equal lists, or a panic naming the first difference (the lists are long).
    fn assert_same(got: &[String], want: &[String]) {
        if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
            panic!(
                "rankings differ at {i} of {}/{}: got {:?}, want {:?}",
                got.len(),
                want.len(),
                got.get(i),
                want.get(i)
            );
        }
    }

    fn fresh_rankings(points: &[ChunkPoint]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let store = EdgeStore::open(dir.path(), 3).unwrap();
        assert!(store.take_upgrades().is_empty());
        store.inner.upsert(points.to_vec()).unwrap();
        rankings(&store)
    }

    #[test]
    fn a_store_from_before_per_user_statistics_is_upgraded_when_it_opens() {
        let dir = tempfile::tempdir().unwrap();
        let points = worded_points();
        write_legacy_store(dir.path(), &points);

        let store = EdgeStore::open(dir.path(), 3).unwrap();
        let said = store.take_upgrades();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("120 chunks"), "{said:?}");
        assert!(store.take_upgrades().is_empty(), "said once");
        let config = store.inner.shard.config().clone();
        assert!(config.sparse_vectors.contains_key(SPARSE));
        assert!(!config.sparse_vectors.contains_key(schema::LEGACY_SPARSE));
        let upgraded = rankings(&store);
        assert!(!upgraded.is_empty());
        assert_same(&upgraded, &fresh_rankings(&points));
        drop(store);

        // Durable, and nothing left to do at the next open.
        let store = EdgeStore::open(dir.path(), 3).unwrap();
        assert!(store.take_upgrades().is_empty());
        assert_same(&rankings(&store), &upgraded);
    }

    #[test]
    fn an_interrupted_upgrade_finishes_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let points = worded_points();
        write_legacy_store(dir.path(), &points);
        {
            // The upgrade created the new vector and rewrote some chunks, then stopped.
            let shard = EdgeShard::load(dir.path(), None).unwrap();
            shard
                .update(upgrade::create_sparse_vector().unwrap())
                .unwrap();
            let (records, _) = shard
                .scroll(ScrollRequest {
                    offset: None,
                    limit: Some(40),
                    filter: None,
                    with_payload: Some(WithPayloadInterface::Bool(false)),
                    with_vector: WithVector::Selector(vec![schema::LEGACY_SPARSE.to_owned()]),
                    order_by: None,
                })
                .unwrap();
            for operation in upgrade::rewrite(records) {
                shard.update(operation).unwrap();
            }
            shard.flush();
        }
        let store = EdgeStore::open(dir.path(), 3).unwrap();
        assert_eq!(store.take_upgrades().len(), 1);
        assert_same(&rankings(&store), &fresh_rankings(&points));
    }

    /// Every chunk of `docs` documents of four chunks each, for one user.
    fn bank_points(docs: usize) -> Vec<ChunkPoint> {
        (0..docs * 4)
            .map(|i| {
                let mut payload = sample_payload();
                payload.doc_id = format!("doc-{}", i / 4);
                payload.content_hash = format!("hash-{}", i / 4);
                payload.chunk_index = i % 4;
                payload.chunk_count = 4;
                let angle = i as f32 * 0.37;
                ChunkPoint {
                    id: uuid::Uuid::from_u128(1_000 + i as u128),
                    dense: vec![angle.cos(), angle.sin(), 0.3],
                    sparse_text: format!("story {} about the team and the deadline", i / 4),
                    payload,
                }
            })
            .collect()
    }

    #[test]
    fn an_upgraded_store_lists_every_document_complete_so_nothing_is_embedded_again() {
        let dir = tempfile::tempdir().unwrap();
        let points = bank_points(5_000);
        write_legacy_store(dir.path(), &points);
        {
            // As an older starcoach left a large bank: optimized segments.
            let shard = EdgeShard::load(dir.path(), None).unwrap();
            shard.optimize().unwrap();
            shard.flush();
        }
        let store = EdgeStore::open(dir.path(), 3).unwrap();
        assert_eq!(store.take_upgrades().len(), 1);
        let filter = filter::of(&select::user(&points[0].payload.user));
        let docs = store.inner.documents(filter).unwrap();
        assert_eq!(docs.len(), 5_000);
        let incomplete: Vec<_> = docs.iter().filter(|d| !d.is_complete()).take(3).collect();
        assert!(incomplete.is_empty(), "{incomplete:?}");
    }

    #[test]
    fn graph_search_is_off_unless_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = EdgeStore::open(dir.path(), 2).unwrap();
        assert_eq!(store.inner.dense_search, DenseSearch::Quantized);
        let config = store.inner.shard.config().clone();
        assert_eq!(schema::layout(&config), IndexLayout::Scan);
        assert!(config.quantization_config.is_some());
    }

    #[test]
    fn reopening_with_the_other_graph_search_relayouts_and_keeps_the_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let graph = EdgeOptions {
            graph_search: true,
            ..EdgeOptions::default()
        };
        let payload = payload::to_payload(&sample_payload(), &[]).unwrap();
        let store = EdgeStore::open_with(dir.path(), 2, &graph).unwrap();
        write(&store, vec![point(1, payload.clone()), point(2, payload)]);
        drop(store);
        for (options, layout, search) in [
            (
                EdgeOptions::default(),
                IndexLayout::Scan,
                DenseSearch::Quantized,
            ),
            (graph.clone(), IndexLayout::Graphs, DenseSearch::Graph),
        ] {
            let store = EdgeStore::open_with(dir.path(), 2, &options).unwrap();
            assert_eq!(schema::layout(&store.inner.shard.config()), layout);
            assert_eq!(store.inner.dense_search, search);
            assert_eq!(store.inner.stats().points, 2);
            drop(store);
            // Saved: the next open with the same setting changes nothing.
            let config = saved_config(dir.path()).unwrap().unwrap();
            assert!(schema::relayout(&config, options.graph_search).is_none());
            assert!(!dir.path().join(RELAYOUT_MARKER).exists());
        }
        // A rebuild interrupted after the new layout was saved runs at the next open.
        let marker = dir.path().join(RELAYOUT_MARKER);
        std::fs::write(&marker, "").unwrap();
        let store = EdgeStore::open_with(dir.path(), 2, &graph).unwrap();
        assert!(!marker.exists());
        assert_eq!(store.inner.stats().points, 2);
    }
}
