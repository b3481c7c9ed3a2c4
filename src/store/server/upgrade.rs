//! Bringing a collection written by an older starcoach up to date at connect, as the
//! embedded store does when it opens (`edge/upgrade.rs`).

// Bringing a collection written by an older starcoach up to date at connect, as the
// embedded store does when it opens (`edge/upgrade.rs`): [`SPARSE`] is created
// without modifier, each chunk's term weights are copied into it with its term ids in
// the payload (`store::term_stats`), and [`LEGACY_SPARSE`] is deleted. Every step can
// run again, so an interrupted upgrade starts over at the next connect.

use std::collections::HashMap;

use qdrant_client::qdrant::{
    create_vector_name_request::VectorConfig, points_update_operation, CreateVectorNameRequest,
    DeleteVectorNameRequest, PointId, PointVectors, PointsUpdateOperation, RetrievedPoint,
    ScrollPointsBuilder, SparseVectorCreationConfig, UpdateBatchPointsBuilder, Vector, Vectors,
};
use qdrant_client::{Qdrant, QdrantError};

use super::schema::{LEGACY_SPARSE, SPARSE};
use crate::store::payload::{terms_value, TERMS};
use crate::store::term_stats::Upgrade;

/// Points rewritten per request.
const PAGE: u32 = 256;

/// Give every point a per-scope BM25 vector and its term ids, then drop the legacy
/// vector. `has_scoped` says whether an earlier, interrupted upgrade created it.
pub async fn to_per_scope_terms(
    client: &Qdrant,
    collection: &str,
    has_scoped: bool,
) -> Result<Upgrade, QdrantError> {
    let started = std::time::Instant::now();
    if !has_scoped {
        client
            .create_vector_name(CreateVectorNameRequest {
                collection_name: collection.to_owned(),
                wait: Some(true),
                vector_name: SPARSE.to_owned(),
                timeout: None,
                ordering: None,
                vector_config: Some(VectorConfig::SparseConfig(SparseVectorCreationConfig {
                    modifier: None,
                    datatype: None,
                })),
            })
            .await?;
    }
    let mut chunks = 0;
    let mut offset: Option<PointId> = None;
    loop {
        let mut request = ScrollPointsBuilder::new(collection)
            .limit(PAGE)
            .with_payload(false)
            .with_vectors(true);
        if let Some(offset) = offset.take() {
            request = request.offset(offset);
        }
        let page = client.scroll(request).await?;
        chunks += page.result.len();
        let operations = rewrite(page.result);
        if !operations.is_empty() {
            let request = UpdateBatchPointsBuilder::new(collection, operations).wait(true);
            client.update_points_batch(request).await?;
        }
        match page.next_page_offset {
            Some(next) => offset = Some(next),
            None => break,
        }
    }
    client
        .delete_vector_name(DeleteVectorNameRequest {
            collection_name: collection.to_owned(),
            wait: Some(true),
            vector_name: LEGACY_SPARSE.to_owned(),
            timeout: None,
            ordering: None,
        })
        .await?;
    tracing::info!(chunks, elapsed = ?started.elapsed(), "per-scope BM25 statistics: collection upgraded");
    Ok(Upgrade { chunks })
}

/// For each point: its legacy weights as [`SPARSE`], and its term ids as [`TERMS`].
fn rewrite(points: Vec<RetrievedPoint>) -> Vec<PointsUpdateOperation> {
    let mut vectors = Vec::with_capacity(points.len());
    let mut operations = Vec::with_capacity(points.len() + 1);
    for point in points {
        let Some(id) = point.id else { continue };
        let (indices, values) = super::named_sparse(point.vectors, LEGACY_SPARSE);
        let terms = qdrant_client::qdrant::Value::from(terms_value(&indices));
        let set = points_update_operation::SetPayload {
            payload: HashMap::from([(TERMS.to_owned(), terms)]),
            points_selector: Some(vec![id.clone()].into()),
            shard_key_selector: None,
            key: None,
        };
        operations.push(PointsUpdateOperation {
            operation: Some(points_update_operation::Operation::SetPayload(set)),
        });
        let named = HashMap::from([(SPARSE.to_owned(), Vector::new_sparse(indices, values))]);
        vectors.push(PointVectors {
            id: Some(id),
            vectors: Some(Vectors::from(named)),
        });
    }
    if !vectors.is_empty() {
        let update = points_update_operation::UpdateVectors {
            points: vectors,
            shard_key_selector: None,
            update_filter: None,
        };
        operations.insert(
            0,
            PointsUpdateOperation {
                operation: Some(points_update_operation::Operation::UpdateVectors(update)),
            },
        );
    }
    operations
}
