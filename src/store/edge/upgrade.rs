//! Bringing a shard written by an older starcoach up to date when it opens.

// Its BM25 vector ([`LEGACY_SPARSE`]) has Qdrant's IDF modifier, which counts every
// user's chunks. The modifier belongs to the vector's configuration in every segment,
// so it cannot change in place: the upgrade creates [`SPARSE`] (no modifier), copies
// each chunk's term weights into it with the chunk's term ids in the payload
// (`store::term_stats`), and deletes the old vector. Every step can run again, so a
// crash part way leaves [`LEGACY_SPARSE`] in place and the next open starts over.

use std::collections::HashMap;

use qdrant_edge::{
    CreateVectorName, DeleteVectorName, EdgeShard, Payload, PayloadOps, PointVectorsPersisted,
    Record, ScrollRequest, SetPayloadOp, UpdateOperation, UpdateVectorsOp, VectorInternal,
    VectorNameConfig, VectorNameOperations, VectorOperations, VectorPersisted,
    VectorStructInternal, VectorStructPersisted, WithPayloadInterface, WithVector,
};

use super::schema::{LEGACY_SPARSE, SPARSE};
use crate::store::payload::{terms_value, TERMS};
use crate::store::term_stats::Upgrade;

/// Points rewritten per shard update.
const PAGE: usize = 256;

/// Whether `shard` still has the collection-wide BM25 vector.
pub fn needed(shard: &EdgeShard) -> bool {
    shard.config().sparse_vectors.contains_key(LEGACY_SPARSE)
}

/// Give every point a per-scope BM25 vector and its term ids, then drop the legacy
/// vector. The caller holds the writer lock (or is opening the store).
pub fn to_per_scope_terms(shard: &EdgeShard) -> Result<Upgrade, String> {
    let started = std::time::Instant::now();
    if !shard.config().sparse_vectors.contains_key(SPARSE) {
        shard
            .update(create_sparse_vector()?)
            .map_err(|e| format!("create the {SPARSE} vector: {e}"))?;
    }
    let mut chunks = 0;
    let mut offset = None;
    loop {
        let request = ScrollRequest {
            offset,
            limit: Some(PAGE),
            filter: None,
            with_payload: Some(WithPayloadInterface::Bool(false)),
            with_vector: WithVector::Selector(vec![LEGACY_SPARSE.to_owned()]),
            order_by: None,
        };
        let (records, next) = shard
            .scroll(request)
            .map_err(|e| format!("read chunks: {e}"))?;
        chunks += records.len();
        for operation in rewrite(records) {
            shard
                .update(operation)
                .map_err(|e| format!("rewrite chunks: {e}"))?;
        }
        match next {
            Some(next) => offset = Some(next),
            None => break,
        }
    }
    shard.flush();
    let delete = VectorNameOperations::DeleteVectorName(DeleteVectorName {
        vector_name: LEGACY_SPARSE.to_owned(),
    });
    shard
        .update(UpdateOperation::VectorNameOperation(delete))
        .map_err(|e| format!("delete the {LEGACY_SPARSE} vector: {e}"))?;
    shard.flush();
    if chunks > 0 {
        // The rewritten points moved to the appendable segment: index them again.
        shard.optimize().map_err(|e| format!("optimize: {e}"))?;
    }
    tracing::info!(chunks, elapsed = ?started.elapsed(), "per-scope BM25 statistics: store upgraded");
    Ok(Upgrade { chunks })
}

/// The `CreateVectorName` of [`SPARSE`]: a sparse vector without modifier. Built from
/// its JSON form, the only public way to name qdrant-edge's sparse variant.
pub(super) fn create_sparse_vector() -> Result<UpdateOperation, String> {
    let config: VectorNameConfig = serde_json::from_value(serde_json::json!({ "sparse": {} }))
        .map_err(|e| format!("sparse vector configuration: {e}"))?;
    Ok(UpdateOperation::VectorNameOperation(
        VectorNameOperations::CreateVectorName(CreateVectorName {
            vector_name: SPARSE.to_owned(),
            config,
        }),
    ))
}

/// For each point: its legacy weights as [`SPARSE`], and its term ids as [`TERMS`].
pub(super) fn rewrite(records: Vec<Record>) -> Vec<UpdateOperation> {
    let mut vectors = Vec::with_capacity(records.len());
    let mut operations = Vec::with_capacity(records.len() + 1);
    for record in records {
        let sparse = match record.vector {
            Some(VectorStructInternal::Named(mut named)) => match named.remove(LEGACY_SPARSE) {
                Some(VectorInternal::Sparse(sparse)) => sparse,
                _ => Default::default(),
            },
            _ => Default::default(),
        };
        let terms = Payload(
            [(TERMS.to_owned(), terms_value(&sparse.indices))]
                .into_iter()
                .collect(),
        );
        operations.push(UpdateOperation::PayloadOperation(PayloadOps::SetPayload(
            SetPayloadOp {
                payload: terms,
                points: Some(vec![record.id]),
                filter: None,
                key: None,
            },
        )));
        vectors.push(PointVectorsPersisted {
            id: record.id,
            vector: VectorStructPersisted::Named(HashMap::from([(
                SPARSE.to_owned(),
                VectorPersisted::Sparse(sparse),
            )])),
        });
    }
    if !vectors.is_empty() {
        operations.insert(
            0,
            UpdateOperation::VectorOperation(VectorOperations::UpdateVectors(UpdateVectorsOp {
                points: vectors,
                update_filter: None,
            })),
        );
    }
    operations
}
