//! The embedded Qdrant store against a real shard in a temporary directory: the
//! shared store contract (`store_contract/mod.rs`) plus what only a directory has.

#[macro_use]
mod store_contract;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use starcoach::store::{EdgeOptions, EdgeStore, StoreError};
use store_contract::{Backend, IndexedStore, DIM};

/// A store directory of its own; "restart" is closing and reopening it.
struct EdgeBackend {
    dir: tempfile::TempDir,
}

impl EdgeBackend {
    fn new() -> Self {
        EdgeBackend {
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

#[async_trait]
impl IndexedStore for EdgeStore {
    async fn indexed_vectors(&self) -> usize {
        self.stats().await.unwrap().indexed_vectors
    }
}

#[async_trait]
impl Backend for EdgeBackend {
    async fn open_dim(&self, dim: usize) -> Result<Arc<dyn IndexedStore>, StoreError> {
        Ok(Arc::new(EdgeStore::open(self.dir.path(), dim)?))
    }

    async fn open_small_index_thresholds(&self) -> Arc<dyn IndexedStore> {
        let options = EdgeOptions {
            indexing_threshold_kb: Some(1_000),
            full_scan_threshold_kb: Some(100),
        };
        Arc::new(EdgeStore::open_with(self.dir.path(), DIM, &options).unwrap())
    }

    async fn restart(&self) {}
}

store_contract_tests!(EdgeBackend::new());

fn open(dir: &Path) -> EdgeStore {
    EdgeStore::open(dir, DIM).expect("store opens")
}

#[tokio::test]
async fn a_second_open_of_an_open_store_is_locked_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path());

    let second = EdgeStore::open(dir.path(), DIM);
    assert!(
        matches!(second, Err(StoreError::Locked { .. })),
        "{second:?}"
    );
    let message = second.unwrap_err().to_string();
    assert!(
        message.contains("in use by another starcoach process"),
        "{message}"
    );

    drop(first);
    open(dir.path());
}

/// A graph whose entry point was deleted returns nothing from its segment, and new
/// documents then fill the result, so no short result shows it. Deleting under
/// Qdrant's own vacuum thresholds (20% of a segment, 1,000 points), only the rebuild
/// that `optimize` does after such deletes brings every point back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimize_after_deletes_rebuilds_a_graph_that_lost_its_entry_point() {
    use starcoach::corpus::DocumentKind;
    use store_contract::{documents, recall_at_10, Rng};

    let backend = EdgeBackend::new();
    let store = backend.open_small_index_thresholds().await;
    let mut rng = Rng(21);
    let mut all = documents(&mut rng, "u0", 250, 4);
    // Another user's notes fill the segment: the deletes stay under 20% of it, and
    // the stories searched below are u0's only.
    let mut notes = documents(&mut rng, "u1", 1_250, 4);
    for point in &mut notes {
        point.payload.kind = DocumentKind::Note;
    }
    all.extend(notes);
    store.upsert(all.clone()).await.unwrap();
    store.optimize().await.unwrap();

    // 900 of u0's 1,000 chunks: the entry point of their graph is among them with
    // probability 0.9; they are 15% of the segment; the 100 left are still searched
    // through the graph (above the small full-scan threshold).
    let gone: Vec<String> = (0..225).map(|d| format!("u0-doc{d}")).collect();
    store.delete_documents("u0", &gone).await.unwrap();
    all.retain(|p| !gone.contains(&p.payload.doc_id));
    let mut fresh = documents(&mut rng, "u0", 30, 4);
    for point in &mut fresh {
        point.payload.doc_id = format!("fresh-{}", point.payload.doc_id);
        let key = format!("{}/{}", point.payload.doc_id, point.payload.chunk_index);
        point.id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, key.as_bytes());
    }
    store.upsert(fresh.clone()).await.unwrap();
    all.extend(fresh);
    store.optimize().await.unwrap();

    let recall = recall_at_10(store.as_ref(), &all, Some(DocumentKind::Story)).await;
    assert!(recall >= 0.99, "recall@10 = {recall}");
}
