//! [`ServerStore`]: the [`Store`] on a Qdrant server, over gRPC (`qdrant-client` 1.18).

// For a team running one starcoach for many users: the stories live in one
// collection of a Qdrant server (v1.18), shared by every starcoach process that
// connects to it. The layout and the requests are the embedded store's (see
// `edge.rs`): a named dense vector `dense` (cosine), a named sparse vector
// `bm25_scoped` (the query's term weights counted in the searched scope, see
// `store::term_stats`), the [`super::ChunkPayload`] as the payload, `user` as the
// tenant index, and every filter starting with the user.
//
// BM25 vectors are computed here, client-side, with the same encoder the embedded
// store uses (`qdrant_edge::bm25_embed::EdgeBm25`, default configuration), so both
// backends store and query identical sparse vectors.
//
// Durability: every write waits until the server has applied it (`wait: true`), so
// it is in the server's write-ahead log when the call returns; [`Store::flush`] has
// nothing left to do. Writes need no lock here: the server orders them.

mod filter;
mod payload;
mod request;
mod schema;
mod upgrade;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use qdrant_client::qdrant::{
    points_update_operation, vector_output, vectors_output, with_payload_selector::SelectorOptions,
    CollectionInfo, CollectionStatus, CountPointsBuilder, DeletePointsBuilder, Filter,
    NamedVectors, OptimizersConfigDiff, PayloadIncludeSelector, PointStruct, PointsUpdateOperation,
    ScrollPointsBuilder, UpdateBatchPointsBuilder, UpdateCollectionBuilder, UpsertPointsBuilder,
    Value, Vector, VectorsOutput,
};
use qdrant_client::{Qdrant, QdrantError};
use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};

pub use schema::ServerOptions;

use self::request::Sparse;
use self::schema::{DENSE, LEGACY_SPARSE, SPARSE};
use super::dense::{self, DenseSearch, IndexLayout};
use super::ranked;
use super::select::{self, Selection};
use super::term_stats::{ScopeCounts, Upgrade};
use super::{
    ChunkHit, ChunkPayload, ChunkPoint, SearchMode, SearchQuery, Store, StoreError, StoredDocument,
};
use crate::corpus::{DocumentKind, LineSpan};

/// Points written per request: keeps each gRPC message well under the size limits.
const UPSERT_BATCH: usize = 256;
/// Points read per scroll page when listing documents.
const SCROLL_PAGE: u32 = 1_000;
/// Time allowed to open a connection to the server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for one request (a write waits until it is applied).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long [`Store::optimize`] waits for the server's optimizers to finish.
const OPTIMIZE_WAIT: Duration = Duration::from_secs(600);
/// Poll interval while waiting for the optimizers.
const OPTIMIZE_POLL: Duration = Duration::from_millis(100);
/// Polls in a row that must find the collection idle: the optimizer may not have
/// picked up the last write yet when the first one looks.
const QUIET_POLLS: usize = 3;

/// What to tell a user whose server does not answer.
const START_HINT: &str =
    "start it (`docker compose up qdrant`) or unset QDRANT_URL to use the embedded store";

/// A [`Store`] in a collection of a Qdrant server.
///
/// Cheap to clone and share: the gRPC client holds a connection pool.
#[derive(Clone)]
pub struct ServerStore {
    client: Qdrant,
    collection: String,
    url: String,
    dense_dim: usize,
    /// `Exact` for a collection with graphs holding chunks written before chunks had
    /// a scope.
    dense_search: DenseSearch,
    /// Every chunk has a scope, so a search of one kind filters on the scope alone.
    scoped: bool,
    /// Points a scope needs before the server builds it a graph; `None` for a
    /// collection without graphs.
    graph_min_points: Option<usize>,
    /// Deletes that may have broken a graph happened: the next `optimize` vacuums
    /// every segment with deleted points (see `edge.rs`, `mark_graph_rebuild`).
    rebuild_pending: Arc<AtomicBool>,
    bm25: Arc<EdgeBm25>,
    /// What connecting upgraded, until an ingest report has said so.
    upgrade: Arc<std::sync::Mutex<Option<Upgrade>>>,
}

/// Collection-wide counts (all users together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerStats {
    /// Segments of the collection.
    pub segments: usize,
    /// Points (chunks) of all users, approximate.
    pub points: usize,
    /// Vectors held in an index (HNSW for dense, inverted index for BM25).
    pub indexed_vectors: usize,
}

impl fmt::Debug for ServerStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's configuration holds the API key: never print it.
        f.debug_struct("ServerStore")
            .field("url", &self.url)
            .field("collection", &self.collection)
            .field("dense_dim", &self.dense_dim)
            .finish()
    }
}

impl ServerStore {
    /// Connect to the Qdrant server at `url` (its gRPC port, usually 6334) and use
    /// `collection`, creating it if it does not exist.
    ///
    /// Fails with [`StoreError::Open`] naming the URL when no server answers there or
    /// it refuses the API key, and with [`StoreError::DimensionMismatch`] when the
    /// collection holds vectors of another dimension.
    pub async fn connect(
        url: &str,
        api_key: Option<String>,
        collection: &str,
        dense_dim: usize,
    ) -> Result<Self, StoreError> {
        Self::connect_with(
            url,
            api_key,
            collection,
            dense_dim,
            &ServerOptions::default(),
        )
        .await
    }

    /// [`ServerStore::connect`] with tuning that applies if the collection is created now.
    #[tracing::instrument(skip_all, fields(url = %url, collection = %collection, dense_dim = dense_dim))]
    pub async fn connect_with(
        url: &str,
        api_key: Option<String>,
        collection: &str,
        dense_dim: usize,
        options: &ServerOptions,
    ) -> Result<Self, StoreError> {
        let api_key = api_key.filter(|key| !key.is_empty());
        // The client's own version check prints to stdout (our CLI writes JSON there)
        // and blocks; the health check below reports the version instead.
        let client = Qdrant::from_url(url)
            .api_key(api_key)
            .skip_compatibility_check()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| open_error(url, format!("not a usable gRPC URL: {e}")))?;
        let health = client
            .health_check()
            .await
            .map_err(|e| connect_error(url, e))?;
        check_version(&health.version);

        let created = ensure_collection(&client, collection, dense_dim, options)
            .await
            .map_err(|e| connect_error(url, e))?;
        let info = collection_info(&client, collection)
            .await
            .map_err(|e| connect_error(url, e))?;
        match schema::dense_dim(&info) {
            Some(stored) if stored == dense_dim => {}
            Some(stored) => {
                return Err(StoreError::DimensionMismatch {
                    stored,
                    expected: dense_dim,
                })
            }
            None => {
                return Err(not_ours(
                    url,
                    collection,
                    &format!("no dense vector named {DENSE:?}"),
                ))
            }
        }
        let has_scoped = schema::has_sparse(&info, SPARSE);
        let has_legacy = schema::has_sparse(&info, LEGACY_SPARSE);
        if !has_scoped && !has_legacy {
            return Err(not_ours(
                url,
                collection,
                &format!("no sparse vector named {SPARSE:?}"),
            ));
        }
        for index in schema::missing_indexes(collection, &info) {
            client
                .create_field_index(index)
                .await
                .map_err(|e| connect_error(url, e))?;
        }
        let upgrade = if has_legacy {
            let upgraded = upgrade::to_per_scope_terms(&client, collection, has_scoped).await;
            Some(upgraded.map_err(|e| connect_error(url, e))?)
        } else {
            None
        };
        let bm25 = EdgeBm25::new(EdgeBm25Config::default()).map_err(|e| open_error(url, e))?;
        let unscoped = count_points(&client, collection, filter::of(&select::unscoped()))
            .await
            .map_err(|e| connect_error(url, e))?;
        let layout = schema::layout(&info);
        if layout != IndexLayout::wanted(options.graph_search) || !schema::has_int8(&info) {
            tracing::warn!(
                ?layout,
                graph_search = options.graph_search,
                "the collection's dense index was built for another [store] graph_search \
                 (or without int8 copies): it keeps its layout; ingest into a new \
                 collection to change it"
            );
        }
        let dense_search =
            DenseSearch::allowed(layout, options.graph_search, unscoped, "collection");
        tracing::info!(
            created,
            ?layout,
            ?dense_search,
            server_version = %health.version,
            "connected to Qdrant server"
        );
        Ok(Self {
            client,
            collection: collection.to_owned(),
            url: url.to_owned(),
            dense_dim,
            dense_search,
            scoped: unscoped == 0,
            graph_min_points: (layout == IndexLayout::Graphs)
                .then(|| schema::graph_min_points(&info, dense_dim)),
            rebuild_pending: Arc::new(AtomicBool::new(rebuild_mark_of(&info))),
            bm25: Arc::new(bm25),
            upgrade: Arc::new(std::sync::Mutex::new(upgrade)),
        })
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The collection holding the chunks.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// Delete the collection with every user's chunks (`starcoach reindex` does, once
    /// it holds them all re-embedded elsewhere, to create it again with the new
    /// model's dimension).
    #[tracing::instrument(skip_all, fields(collection = %self.collection))]
    pub async fn delete_collection(self) -> Result<(), StoreError> {
        self.client
            .delete_collection(&self.collection)
            .await
            .map_err(|e| self.backend("delete the collection", e))?;
        Ok(())
    }

    /// Segment and point counts over all users, for status pages and tests.
    #[tracing::instrument(skip_all, fields(collection = %self.collection))]
    pub async fn stats(&self) -> Result<ServerStats, StoreError> {
        let info = self.info().await?;
        Ok(ServerStats {
            segments: info.segments_count as usize,
            points: info.points_count.unwrap_or(0) as usize,
            indexed_vectors: info.indexed_vectors_count.unwrap_or(0) as usize,
        })
    }

    async fn info(&self) -> Result<CollectionInfo, StoreError> {
        collection_info(&self.client, &self.collection)
            .await
            .map_err(|e| self.backend("collection info", e))
    }

    /// A chunk as a Qdrant point: dense vector, BM25 document vector, payload.
    fn to_point(&self, point: ChunkPoint) -> Result<PointStruct, StoreError> {
        self.check_dense(&point.dense)?;
        let sparse = self.bm25.embed_document(&point.sparse_text);
        let payload = payload::to_payload(&point.payload, &sparse.indices)?;
        let vectors = NamedVectors::default()
            .add_vector(DENSE, Vector::new_dense(point.dense))
            .add_vector(SPARSE, Vector::new_sparse(sparse.indices, sparse.values));
        Ok(PointStruct::new(point.id, vectors, payload))
    }

    fn check_dense(&self, vector: &[f32]) -> Result<(), StoreError> {
        dense::check_dimension(self.dense_dim, vector)
    }

    /// Apply `operations` in one request, in order, waiting until they are applied.
    async fn update_all(
        &self,
        operations: Vec<PointsUpdateOperation>,
        what: &str,
    ) -> Result<(), StoreError> {
        let request = UpdateBatchPointsBuilder::new(&self.collection, operations).wait(true);
        self.client
            .update_points_batch(request)
            .await
            .map_err(|e| self.backend(what, e))?;
        Ok(())
    }

    /// Dense hits, sorted; searched again exactly when a graph came back short (see
    /// `store::dense::uses_graph`).
    async fn dense_hits(
        &self,
        user: &str,
        query: &SearchQuery,
    ) -> Result<Vec<ChunkHit>, StoreError> {
        let filter = filter::of(&select::search(user, query.kind, self.scoped));
        let mut hits = self.dense_query(query, &filter, self.dense_search).await?;
        if dense::may_be_short(query, hits.len(), self.dense_search) {
            let available = count_points(&self.client, &self.collection, filter.clone())
                .await
                .map_err(|e| self.backend("count", e))?;
            if dense::short_of(hits.len(), available) {
                hits = self.dense_query(query, &filter, DenseSearch::Exact).await?;
            }
        }
        ranked::sort(&mut hits);
        Ok(hits)
    }

    /// One dense request, its points as hits.
    async fn dense_query(
        &self,
        query: &SearchQuery,
        filter: &Filter,
        dense_search: DenseSearch,
    ) -> Result<Vec<ChunkHit>, StoreError> {
        let request = request::dense(&self.collection, query, filter.clone(), dense_search);
        let response = self
            .client
            .query(request)
            .await
            .map_err(|e| self.backend("search", e))?;
        response
            .result
            .into_iter()
            .take(query.limit)
            .map(|p| {
                Ok(ChunkHit {
                    score: p.score,
                    payload: payload::from_payload(p.payload)?,
                })
            })
            .collect()
    }

    /// The best `limit` BM25 hits, scored here from the chunks' term weights and the
    /// scope's statistics (see `store::ranked`); `None` when the query text has no
    /// terms (only stopwords).
    async fn bm25_hits(
        &self,
        user: &str,
        query: &SearchQuery,
        limit: usize,
    ) -> Result<Option<Vec<ChunkHit>>, StoreError> {
        let terms = self.bm25.embed_query(&query.text);
        if terms.indices.is_empty() {
            return Ok(None);
        }
        let selection = select::search(user, query.kind, self.scoped);
        let filter = filter::of(&selection);
        let weights = self
            .term_counts(&selection, &terms.indices)
            .await?
            .weights();
        let sparse = Sparse {
            indices: terms.indices,
            values: weights,
        };
        let query_terms = (sparse.indices.as_slice(), sparse.values.as_slice());
        let mut candidates = ranked::bm25_candidates(limit);
        loop {
            let request =
                request::bm25(&self.collection, sparse.clone(), filter.clone(), candidates);
            let Some(request) = request else {
                return Ok(None);
            };
            let response = self
                .client
                .query(request)
                .await
                .map_err(|e| self.backend("search", e))?;
            let found = response.result.len();
            let last_found = response.result.last().map(|p| p.score);
            let mut hits = response
                .result
                .into_iter()
                .map(|p| {
                    let (indices, values) = named_sparse(p.vectors, SPARSE);
                    Ok(ChunkHit {
                        score: ranked::bm25_score(query_terms, (&indices, &values)),
                        payload: payload::from_payload(p.payload)?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            ranked::sort(&mut hits);
            let kth = hits.get(limit.saturating_sub(1)).map(|h| h.score);
            match ranked::more_bm25_candidates(candidates, found, last_found, kth) {
                Some(more) => candidates = more,
                None => {
                    hits.truncate(limit);
                    return Ok(Some(hits));
                }
            }
        }
    }
    /// A failed request, saying so plainly when the server went away.
    fn backend(&self, what: &str, error: QdrantError) -> StoreError {
        if let Some(reason) = unreachable(&error) {
            return StoreError::Backend(format!(
                "{what}: the Qdrant server at {} is not reachable ({reason}); {START_HINT}",
                self.url,
            ));
        }
        StoreError::Backend(format!("{what}: {error}"))
    }
}

#[async_trait]
impl Store for ServerStore {
    #[tracing::instrument(skip_all, fields(points = points.len()))]
    async fn upsert(&self, points: Vec<ChunkPoint>) -> Result<(), StoreError> {
        if points.is_empty() {
            return Ok(());
        }
        // BM25 tokenising and stemming is CPU work: keep it off the async workers.
        let this = self.clone();
        let span = tracing::Span::current();
        let mut points = tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                points
                    .into_iter()
                    .map(|p| this.to_point(p))
                    .collect::<Result<Vec<_>, _>>()
            })
        })
        .await
        .map_err(|e| StoreError::Backend(format!("store task failed: {e}")))??;
        while !points.is_empty() {
            let batch: Vec<_> = points.drain(..points.len().min(UPSERT_BATCH)).collect();
            let request = UpsertPointsBuilder::new(&self.collection, batch).wait(true);
            self.client
                .upsert_points(request)
                .await
                .map_err(|e| self.backend("upsert", e))?;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(user = %user, docs = doc_ids.len()))]
    async fn delete_documents(&self, user: &str, doc_ids: &[String]) -> Result<(), StoreError> {
        if doc_ids.is_empty() {
            return Ok(());
        }
        self.mark_graph_rebuild(user).await?;
        let request = DeletePointsBuilder::new(&self.collection)
            .points(filter::of(&select::documents(user, doc_ids)))
            .wait(true);
        self.client
            .delete_points(request)
            .await
            .map_err(|e| self.backend("delete documents", e))?;
        Ok(())
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
        // A payload update moves an indexed point to a new segment: a delete too.
        self.mark_graph_rebuild(user).await?;
        self.update_all(updates, "set document lines").await
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn documents(&self, user: &str) -> Result<Vec<StoredDocument>, StoreError> {
        let mut docs = BTreeMap::new();
        let fields = SelectorOptions::Include(PayloadIncludeSelector {
            fields: payload::doc_fields_keys(),
        });
        self.scroll(
            filter::of(&select::user(user)),
            fields,
            "list documents",
            |p| {
                payload::doc_fields(p)?.add_to(&mut docs);
                Ok(())
            },
        )
        .await?;
        Ok(docs.into_values().collect())
    }

    #[tracing::instrument(skip_all, fields(user = %user, ?kind))]
    async fn chunks(
        &self,
        user: &str,
        kind: DocumentKind,
    ) -> Result<Vec<ChunkPayload>, StoreError> {
        let mut chunks = Vec::new();
        let filter = filter::of(&select::search(user, Some(kind), self.scoped));
        self.scroll(filter, payload::chunk_fields(), "list chunks", |p| {
            chunks.push(payload::from_payload(p)?);
            Ok(())
        })
        .await?;
        Ok(chunks)
    }

    #[tracing::instrument(skip_all)]
    async fn all_chunks(&self) -> Result<Vec<ChunkPayload>, StoreError> {
        let mut chunks = Vec::new();
        let filter = filter::of(&select::everything());
        self.scroll(filter, payload::chunk_fields(), "list all chunks", |p| {
            chunks.push(payload::from_payload(p)?);
            Ok(())
        })
        .await?;
        Ok(chunks)
    }

    #[tracing::instrument(skip_all, fields(user = %user, mode = ?query.mode, limit = query.limit))]
    async fn search(&self, user: &str, query: &SearchQuery) -> Result<Vec<ChunkHit>, StoreError> {
        if query.mode != SearchMode::Bm25 {
            self.check_dense(&query.dense)?;
        }
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let hits = match query.mode {
            SearchMode::Dense => self.dense_hits(user, query).await?,
            SearchMode::Bm25 => self
                .bm25_hits(user, query, query.limit)
                .await?
                .unwrap_or_default(),
            SearchMode::Hybrid => {
                let dense_query = ranked::hybrid_dense_query(query);
                let (dense, bm25) = futures::future::try_join(
                    self.dense_hits(user, &dense_query),
                    self.bm25_hits(user, query, dense_query.limit),
                )
                .await?;
                ranked::hybrid(dense, bm25, query.limit)
            }
        };
        tracing::debug!(hits = hits.len(), "searched");
        Ok(hits)
    }

    #[tracing::instrument(skip_all, fields(user = %user))]
    async fn count(&self, user: &str) -> Result<usize, StoreError> {
        count_points(
            &self.client,
            &self.collection,
            filter::of(&select::user(user)),
        )
        .await
        .map_err(|e| self.backend("count", e))
    }

    /// Nothing to do: every write waited until the server applied it.
    #[tracing::instrument(skip_all)]
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn take_upgrades(&self) -> Vec<String> {
        let taken = self
            .upgrade
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        taken.iter().map(Upgrade::describe).collect()
    }

    /// The server optimizes in the background; this waits (up to 10 minutes) until
    /// it has finished, so that a bulk load is followed by indexed searches.
    #[tracing::instrument(skip_all, fields(collection = %self.collection))]
    async fn bind_model(&self, model_id: &str) -> Result<(), StoreError> {
        self.bind_model_metadata(model_id).await
    }

    async fn recorded_model(&self) -> Result<Option<String>, StoreError> {
        self.recorded_model_metadata().await
    }

    async fn optimize(&self) -> Result<(), StoreError> {
        if !self.rebuild_marked().await? {
            return self.wait_optimized().await;
        }
        let saved = self.info().await?.config.and_then(|c| c.optimizer_config);
        let saved = saved.unwrap_or_default();
        // The server's smallest allowed minimum; a segment's point count is what
        // it compares, so any deletion in a segment of 100+ points qualifies.
        let vacuum_any_deletion = OptimizersConfigDiff {
            deleted_threshold: Some(0.0),
            vacuum_min_vector_number: Some(100),
            ..Default::default()
        };
        let waited = async {
            self.set_optimizers(vacuum_any_deletion).await?;
            self.wait_optimized().await
        }
        .await;
        let restored = self
            .set_optimizers(OptimizersConfigDiff {
                deleted_threshold: saved.deleted_threshold,
                vacuum_min_vector_number: saved.vacuum_min_vector_number,
                ..Default::default()
            })
            .await;
        waited.and(restored)?;
        self.set_rebuild_mark(false).await
    }
}

impl ServerStore {
    /// The chunks of a search's `filter` and, for each of `terms`, those holding it,
    /// counted by the server at once (other processes may write to the collection, so
    /// nothing is kept between searches).
    async fn term_counts(
        &self,
        selection: &Selection,
        terms: &[u32],
    ) -> Result<ScopeCounts, StoreError> {
        let filters = std::iter::once(filter::of(selection)).chain(
            terms
                .iter()
                .map(|&t| filter::of(&select::holding_term(selection, t))),
        );
        let counts = futures::future::try_join_all(
            filters.map(|f| count_points(&self.client, &self.collection, f)),
        )
        .await
        .map_err(|e| self.backend("count terms", e))?;
        let mut counts = counts.into_iter();
        Ok(ScopeCounts {
            chunks: counts.next().unwrap_or_default(),
            holding: counts.collect(),
        })
    }

    /// Every point passing `filter`, [`SCROLL_PAGE`] at a time: `each` gets the
    /// payload of each (the `with_payload` part of it).
    async fn scroll(
        &self,
        filter: Filter,
        with_payload: SelectorOptions,
        what: &str,
        mut each: impl FnMut(HashMap<String, Value>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut offset = None;
        loop {
            let mut request = ScrollPointsBuilder::new(&self.collection)
                .filter(filter.clone())
                .limit(SCROLL_PAGE)
                .with_payload(with_payload.clone())
                .with_vectors(false);
            if let Some(offset) = offset.take() {
                request = request.offset(offset);
            }
            let page = self
                .client
                .scroll(request)
                .await
                .map_err(|e| self.backend(what, e))?;
            for point in page.result {
                each(point.payload)?;
            }
            match page.next_page_offset {
                Some(next) => offset = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// See `EdgeStore`'s `mark_graph_rebuild`. The mark is kept in the collection's
    /// metadata ([`REBUILD_MARK`]), so it survives a restart of this process and is
    /// seen by every process writing to the collection.
    async fn mark_graph_rebuild(&self, user: &str) -> Result<(), StoreError> {
        let Some(graph_min_points) = self.graph_min_points else {
            return Ok(());
        };
        if self.rebuild_pending.load(Ordering::SeqCst) {
            return Ok(());
        }
        let counts = [DocumentKind::Story, DocumentKind::Note].map(|kind| {
            let filter = filter::of(&select::search(user, Some(kind), self.scoped));
            count_points(&self.client, &self.collection, filter)
        });
        let scope_points = futures::future::try_join_all(counts)
            .await
            .map_err(|e| self.backend("count", e))?;
        if dense::needs_graph_rebuild(&scope_points, graph_min_points) {
            self.set_rebuild_mark(true).await?;
        }
        Ok(())
    }

    /// Whether a rebuild is marked, here or by another process.
    async fn rebuild_marked(&self) -> Result<bool, StoreError> {
        if self.rebuild_pending.load(Ordering::SeqCst) {
            return Ok(true);
        }
        Ok(rebuild_mark_of(&self.info().await?))
    }

    /// See [`Store::bind_model`]: the model is kept in the collection's metadata
    /// ([`MODEL_KEY`]).
    async fn bind_model_metadata(&self, model_id: &str) -> Result<(), StoreError> {
        match self.recorded_model_metadata().await? {
            Some(stored) if stored == model_id => Ok(()),
            Some(stored) => Err(StoreError::ModelMismatch {
                stored,
                expected: model_id.to_owned(),
            }),
            None => {
                let metadata = HashMap::from([(
                    MODEL_KEY.to_owned(),
                    serde_json::Value::String(model_id.to_owned()),
                )]);
                let request = UpdateCollectionBuilder::new(&self.collection).metadata(metadata);
                self.client
                    .update_collection(request)
                    .await
                    .map_err(|e| self.backend("record the model", e))?;
                Ok(())
            }
        }
    }

    async fn recorded_model_metadata(&self) -> Result<Option<String>, StoreError> {
        let info = self.info().await?;
        Ok(info
            .config
            .as_ref()
            .and_then(|c| c.metadata.get(MODEL_KEY))
            .and_then(|v| match &v.kind {
                Some(qdrant_client::qdrant::value::Kind::StringValue(s)) => Some(s.clone()),
                _ => None,
            }))
    }

    async fn set_rebuild_mark(&self, marked: bool) -> Result<(), StoreError> {
        let metadata = HashMap::from([(REBUILD_MARK.to_owned(), serde_json::Value::Bool(marked))]);
        let request = UpdateCollectionBuilder::new(&self.collection).metadata(metadata);
        self.client
            .update_collection(request)
            .await
            .map_err(|e| self.backend("mark graphs for rebuild", e))?;
        self.rebuild_pending.store(marked, Ordering::SeqCst);
        Ok(())
    }

    async fn set_optimizers(&self, config: OptimizersConfigDiff) -> Result<(), StoreError> {
        let request = UpdateCollectionBuilder::new(&self.collection).optimizers_config(config);
        self.client
            .update_collection(request)
            .await
            .map_err(|e| self.backend("configure optimizers", e))?;
        Ok(())
    }

    /// Wait (up to 10 minutes) until the server's optimizer has nothing left to do.
    async fn wait_optimized(&self) -> Result<(), StoreError> {
        let started = Instant::now();
        let mut quiet = 0;
        loop {
            let info = self.info().await?;
            let status = CollectionStatus::try_from(info.status).unwrap_or_default();
            let queued = info.update_queue.map_or(0, |q| q.length);
            match status {
                CollectionStatus::Green if queued == 0 => quiet += 1,
                CollectionStatus::Red => {
                    let error = info.optimizer_status.map(|s| s.error).unwrap_or_default();
                    return Err(StoreError::Backend(format!(
                        "optimize: the server's optimizer failed: {error}"
                    )));
                }
                CollectionStatus::Grey => {
                    // Optimizations are pending until an update triggers them.
                    let request = UpdateCollectionBuilder::new(&self.collection)
                        .optimizers_config(OptimizersConfigDiff::default());
                    self.client
                        .update_collection(request)
                        .await
                        .map_err(|e| self.backend("optimize", e))?;
                    quiet = 0;
                }
                _ => quiet = 0,
            }
            if quiet == QUIET_POLLS {
                break;
            }
            if started.elapsed() > OPTIMIZE_WAIT {
                tracing::warn!("the server is still optimizing; searches work meanwhile");
                return Ok(());
            }
            tokio::time::sleep(OPTIMIZE_POLL).await;
        }
        tracing::info!(
            waited_ms = started.elapsed().as_millis() as u64,
            "optimized"
        );
        Ok(())
    }
}

/// Create the collection unless it exists; true when this call created it.
async fn ensure_collection(
    client: &Qdrant,
    collection: &str,
    dense_dim: usize,
    options: &ServerOptions,
) -> Result<bool, QdrantError> {
    if client.collection_exists(collection).await? {
        return Ok(false);
    }
    match client
        .create_collection(schema::create_collection(collection, dense_dim, options))
        .await
    {
        Ok(_) => Ok(true),
        // Another process may have created it in the meantime: then use that one.
        Err(e) if client.collection_exists(collection).await? => {
            tracing::debug!(error = %e, "collection created concurrently");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Key of the collection metadata that marks the graphs for a rebuild at the next
/// optimize (see `ServerStore::mark_graph_rebuild`).
const REBUILD_MARK: &str = "starcoach_graph_rebuild";
/// Key of the collection metadata naming the embedding model of its vectors.
const MODEL_KEY: &str = "starcoach_embedding_model";

/// Whether the collection's metadata marks its graphs for a rebuild.
fn rebuild_mark_of(info: &CollectionInfo) -> bool {
    info.config
        .as_ref()
        .and_then(|c| c.metadata.get(REBUILD_MARK))
        .is_some_and(|v| {
            matches!(
                v.kind,
                Some(qdrant_client::qdrant::value::Kind::BoolValue(true))
            )
        })
}

/// The exact number of points of `collection` passing `filter`.
async fn count_points(
    client: &Qdrant,
    collection: &str,
    filter: Filter,
) -> Result<usize, QdrantError> {
    let request = CountPointsBuilder::new(collection)
        .filter(filter)
        .exact(true);
    let response = client.count(request).await?;
    Ok(response.result.map_or(0, |r| r.count as usize))
}

async fn collection_info(client: &Qdrant, collection: &str) -> Result<CollectionInfo, QdrantError> {
    let response = client.collection_info(collection).await?;
    response
        .result
        .ok_or_else(|| QdrantError::ConversionError("the server sent no collection info".into()))
}

/// Warn when the server is not the version this client was built for (1.18; the
/// client supports one minor version either side).
fn check_version(version: &str) {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let (major, minor) = (parts.next().flatten(), parts.next().flatten());
    match (major, minor) {
        (Some(1), Some(17..=19)) => {}
        _ => tracing::warn!(
            server_version = version,
            "this starcoach was built for Qdrant 1.18; other versions may not work"
        ),
    }
}

/// The sparse vector `name` among a point's vectors, as term ids and weights (empty
/// when the point has none).
fn named_sparse(vectors: Option<VectorsOutput>, name: &str) -> (Vec<u32>, Vec<f32>) {
    let Some(vectors_output::VectorsOptions::Vectors(mut named)) =
        vectors.and_then(|v| v.vectors_options)
    else {
        return Default::default();
    };
    match named.vectors.remove(name).map(|v| v.into_vector()) {
        Some(vector_output::Vector::Sparse(sparse)) => (sparse.indices, sparse.values),
        _ => Default::default(),
    }
}

/// Payload updates for new line numbers (see `select::line_updates`).
fn line_updates(
    user: &str,
    doc_id: &str,
    doc_lines: LineSpan,
    chunk_lines: &[LineSpan],
) -> Result<Vec<PointsUpdateOperation>, StoreError> {
    let updates = select::line_updates(user, doc_id, doc_lines, chunk_lines)?;
    updates
        .into_iter()
        .map(|(points, payload)| {
            let payload = qdrant_client::Payload::try_from(serde_json::Value::Object(payload))
                .map_err(crate::store::payload::encode_error)?;
            Ok(set_payload(payload, filter::of(&points)))
        })
        .collect()
}

fn set_payload(payload: qdrant_client::Payload, filter: Filter) -> PointsUpdateOperation {
    let payload: HashMap<_, _> = payload.into();
    let set = points_update_operation::SetPayload {
        payload,
        points_selector: Some(filter.into()),
        shard_key_selector: None,
        key: None,
    };
    PointsUpdateOperation {
        operation: Some(points_update_operation::Operation::SetPayload(set)),
    }
}

/// gRPC status codes (fixed by the gRPC specification) that get their own message.
mod grpc_code {
    pub const DEADLINE_EXCEEDED: i32 = 4;
    pub const PERMISSION_DENIED: i32 = 7;
    pub const INTERNAL: i32 = 13;
    pub const UNAVAILABLE: i32 = 14;
    pub const UNAUTHENTICATED: i32 = 16;
}

/// The gRPC status behind a client error, if the server (or the transport) sent one.
/// Its code and message.
fn status_of(error: &QdrantError) -> Option<(i32, &str)> {
    let status = match error {
        QdrantError::ResponseError { status } => status,
        QdrantError::ResourceExhaustedError { status, .. } => status,
        _ => return None,
    };
    Some((i32::from(status.code()), status.message()))
}

/// An error while connecting, phrased as what the user should do about it.
fn connect_error(url: &str, error: QdrantError) -> StoreError {
    let reason = if let Some(reason) = unreachable(&error) {
        format!(
            "no Qdrant server answers there ({reason}); {START_HINT}. \
             The URL must be the server's gRPC port, usually 6334"
        )
    } else {
        match status_of(&error) {
            Some((grpc_code::UNAUTHENTICATED | grpc_code::PERMISSION_DENIED, message)) => format!(
                "the server refused the API key ({message}); set QDRANT_API_KEY to the server's key"
            ),
            _ => error.to_string(),
        }
    };
    open_error(url, reason)
}

/// Why the server could not be reached, if that is what `error` says.
///
/// qdrant-client reports a failed connection as `Internal` "Failed to connect to
/// {uri}: {transport error:?}"; a connection lost mid-request is `Unavailable`.
fn unreachable(error: &QdrantError) -> Option<String> {
    let (code, message) = status_of(error)?;
    match code {
        grpc_code::UNAVAILABLE => Some(message.to_owned()),
        grpc_code::DEADLINE_EXCEEDED => Some(format!("timed out: {message}")),
        grpc_code::INTERNAL if message.starts_with("Failed to connect") => {
            // The OS error's own words, e.g. "Connection refused", when present.
            let os_message = message
                .rsplit_once("message: \"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(words, _)| words.to_owned());
            Some(os_message.unwrap_or_else(|| "connection failed".to_owned()))
        }
        _ => None,
    }
}

fn not_ours(url: &str, collection: &str, what: &str) -> StoreError {
    open_error(
        url,
        format!("collection {collection:?} has {what}; was it written by starcoach? Use another collection name"),
    )
}

fn open_error(url: &str, reason: impl fmt::Display) -> StoreError {
    StoreError::Open {
        path: url.to_owned(),
        reason: reason.to_string(),
    }
}
