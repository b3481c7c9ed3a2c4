//! The payload layout both backends share.

// A point's payload is [`ChunkPayload`](super::ChunkPayload) serialised with serde, so
// a collection written by one backend reads the same through the other; the field
// names below are the ones filters and partial updates refer to, and must match its
// serde names. Each backend converts to and from its own payload type
// (`edge/payload.rs`, `server/payload.rs`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{ChunkPayload, StoreError, StoredDocument};
use crate::corpus::{DocumentKind, LineSpan};

/// Owner of the chunk; every query filters on it (tenant index).
pub const USER: &str = "user";
/// Document the chunk belongs to.
pub const DOC_ID: &str = "doc_id";
/// `story` or `note`.
pub const KIND: &str = "kind";
/// Source file of the document.
pub const SOURCE: &str = "source";
/// Position of the chunk within its document.
pub const CHUNK_INDEX: &str = "chunk_index";
/// Chunks the document was written with.
pub const CHUNK_COUNT: &str = "chunk_count";
/// Hash of the document's content when the chunk was written.
pub const CONTENT_HASH: &str = "content_hash";
/// Lines of the whole document.
pub const DOC_LINES: &str = "doc_lines";
/// Lines of this chunk.
pub const LINES: &str = "lines";
/// Owner and kind together (`story:alice`): the key of the per-tenant HNSW graphs, so
/// a user's stories and a user's notes each get a graph of their own. Derived from
/// `user` and `kind`, stored beside them, never read back.
pub const SCOPE: &str = "scope";

/// The chunk's scope and one of [`PARTITIONS`] parts of it (`story:alice/2`), chosen
/// by a stable hash of the document and the chunk's index: the embedded store scans
/// the parts of a large scope in parallel, each part one indexed condition. Derived
/// like [`SCOPE`], never read back.
pub const PARTITION: &str = "partition";
/// Parts per scope: as many as the cores a scan of one scope may use. Below 10, so a
/// value ends in `/` and one digit and names its scope unambiguously.
pub const PARTITIONS: usize = 4;

/// Payload field holding a chunk's BM25 term ids (distinct), for counting document
/// frequencies per scope. Derived from the chunk's text, never read back.
pub const TERMS: &str = "terms";

/// The [`TERMS`] value of a chunk whose BM25 document vector has these term ids.
pub fn terms_value(indices: &[u32]) -> Value {
    let mut ids = indices.to_vec();
    ids.sort_unstable();
    ids.dedup();
    Value::Array(ids.into_iter().map(Value::from).collect())
}

/// The [`PARTITION`] value of a chunk of `doc_id` in `scope`.
pub fn partition(scope: &str, doc_id: &str, chunk_index: usize) -> String {
    // FNV-1a: stable across Rust versions and platforms, unlike std's hasher, so a
    // chunk keeps its part in a store written by another build.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let index = u64::try_from(chunk_index).unwrap_or(u64::MAX);
    for byte in doc_id.bytes().chain(index.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // The remainder is below PARTITIONS, so it fits.
    part_of(scope, (hash % PARTITIONS as u64) as usize)
}

/// The [`PARTITION`] value of part `part` (below [`PARTITIONS`]) of `scope`.
pub fn part_of(scope: &str, part: usize) -> String {
    format!("{scope}/{part}")
}

/// The [`SCOPE`] value of `user`'s documents of one kind. The kind comes first: it
/// never contains `:`, so distinct (kind, user) pairs give distinct values.
pub fn scope(user: &str, kind: DocumentKind) -> String {
    format!("{}:{user}", kind.as_str())
}

/// A chunk's payload as a JSON object: [`ChunkPayload`] plus the derived [`SCOPE`],
/// [`PARTITION`] and the ids of its BM25 terms ([`TERMS`]).
pub fn to_json(payload: &ChunkPayload, terms: &[u32]) -> Result<Map<String, Value>, StoreError> {
    match serde_json::to_value(payload).map_err(encode_error)? {
        Value::Object(mut map) => {
            let scope = scope(&payload.user, payload.kind);
            let partition = partition(&scope, &payload.doc_id, payload.chunk_index);
            map.insert(SCOPE.to_owned(), Value::String(scope));
            map.insert(PARTITION.to_owned(), Value::String(partition));
            map.insert(TERMS.to_owned(), terms_value(terms));
            Ok(map)
        }
        other => Err(StoreError::Backend(format!(
            "payload must serialise to a JSON object, got {other}"
        ))),
    }
}

/// The payload fields read to list documents (everything but the text).
#[derive(Debug, Deserialize)]
pub struct DocFields {
    pub doc_id: String,
    pub source: String,
    pub content_hash: String,
    pub doc_lines: LineSpan,
    pub chunk_count: usize,
}

impl DocFields {
    /// Payload keys to fetch for [`DocFields`].
    pub const KEYS: [&'static str; 5] = [DOC_ID, SOURCE, CONTENT_HASH, DOC_LINES, CHUNK_COUNT];

    /// Fold this chunk's fields into the per-document summary.
    pub fn add_to(self, docs: &mut BTreeMap<String, StoredDocument>) {
        let doc = docs
            .entry(self.doc_id.clone())
            .or_insert_with(|| StoredDocument {
                doc_id: self.doc_id,
                source: self.source,
                content_hashes: Vec::new(),
                doc_lines: self.doc_lines,
                chunks_present: 0,
                chunks_expected: 0,
            });
        doc.chunks_present += 1;
        doc.chunks_expected = doc.chunks_expected.max(self.chunk_count);
        if let Err(at) = doc.content_hashes.binary_search(&self.content_hash) {
            doc.content_hashes.insert(at, self.content_hash);
        }
    }
}

/// A payload that could not be encoded.
pub fn encode_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("could not encode payload: {e}"))
}

/// A stored payload that does not parse.
pub fn decode_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored payload is not readable: {e}"))
}

/// A chunk payload for the backends' tests.
#[cfg(test)]
pub fn sample_payload() -> ChunkPayload {
    use crate::corpus::SectionKind;
    ChunkPayload {
        user: "alice".into(),
        doc_id: "doc-1".into(),
        content_hash: "abc".into(),
        kind: DocumentKind::Story,
        section: SectionKind::Action,
        source: "stories.md".into(),
        title: "Title".into(),
        tags: vec!["lead".into()],
        doc_lines: LineSpan::new(1, 20),
        lines: LineSpan::new(5, 9),
        chunk_index: 1,
        chunk_count: 3,
        text: "text".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_payload_adds_a_scope_per_kind_and_user() {
        let mut payload = sample_payload();
        let json = to_json(&payload, &[]).unwrap();
        assert_eq!(json[SCOPE], "story:alice");
        assert_eq!(json[USER], "alice");
        payload.kind = DocumentKind::Note;
        payload.user = "story:bob".into();
        assert_eq!(to_json(&payload, &[]).unwrap()[SCOPE], "note:story:bob");
        assert_ne!(
            scope("a:b", DocumentKind::Story),
            scope("b", DocumentKind::Story)
        );
    }

    #[test]
    fn chunks_spread_over_the_parts_of_their_scope_the_same_way_every_time() {
        let payload = sample_payload();
        let json = to_json(&payload, &[]).unwrap();
        let part = json[PARTITION].as_str().unwrap().to_owned();
        assert!(
            (0..PARTITIONS).any(|p| part_of("story:alice", p) == part),
            "{part}"
        );
        assert_eq!(partition("story:alice", "doc-1", 1), part);
        // A fixed value: the hash must not change between builds.
        assert_eq!(partition("story:alice", "doc-1", 0), "story:alice/3");
        let mut counts = [0usize; PARTITIONS];
        for doc in 0..1_000 {
            for chunk in 0..4 {
                let value = partition("s", &format!("doc-{doc}"), chunk);
                let part: usize = value.rsplit('/').next().unwrap().parse().unwrap();
                counts[part] += 1;
            }
        }
        for count in counts {
            assert!((900..1_100).contains(&count), "{counts:?}");
        }
    }

    fn chunk(doc: &str, hash: &str, count: usize) -> DocFields {
        DocFields {
            doc_id: doc.into(),
            source: "s.md".into(),
            content_hash: hash.into(),
            doc_lines: LineSpan::new(1, 9),
            chunk_count: count,
        }
    }

    #[test]
    fn chunks_fold_into_documents_with_sorted_distinct_hashes() {
        let mut docs = BTreeMap::new();
        chunk("a", "h2", 3).add_to(&mut docs);
        chunk("a", "h1", 2).add_to(&mut docs);
        chunk("a", "h2", 3).add_to(&mut docs);
        chunk("b", "h9", 1).add_to(&mut docs);
        let a = &docs["a"];
        assert_eq!(a.chunks_present, 3);
        assert_eq!(a.chunks_expected, 3);
        assert_eq!(a.content_hashes, vec!["h1".to_string(), "h2".to_string()]);
        assert_eq!(docs["b"].chunks_present, 1);
    }

    #[test]
    fn terms_are_stored_sorted_and_distinct() {
        let value = terms_value(&[7, 3, 7, u32::MAX]);
        assert_eq!(value, serde_json::json!([3, 7, u32::MAX]));
    }
}
