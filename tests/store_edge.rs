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

    async fn open_small_index_thresholds(&self, graph_search: bool) -> Arc<dyn IndexedStore> {
        let options = EdgeOptions {
            indexing_threshold_kb: Some(1_000),
            full_scan_threshold_kb: Some(100),
            graph_search,
            // Every dense scan of one kind splits over threads, as at 100,000 stories.
            parallel_scan_min_points: Some(1),
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
