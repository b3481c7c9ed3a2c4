//! Conversions between our payload types and the Qdrant server's payload maps.
//!
//! The same layout as the embedded store (see `edge/payload.rs`): a point's payload is
//! [`ChunkPayload`] serialised with serde, so a collection can be read by either
//! backend's code and the field names below must match its serde names.

use std::collections::HashMap;

use qdrant_client::qdrant::Value;
use qdrant_client::Payload;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::corpus::LineSpan;
use crate::store::{ChunkPayload, StoreError};

/// Owner of the chunk; every request filters on it (tenant index).
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

/// The payload stored with a chunk: [`ChunkPayload`] as a JSON object.
pub fn to_payload(payload: &ChunkPayload) -> Result<Payload, StoreError> {
    object(payload)
}

/// A chunk's payload as returned by a query.
pub fn from_payload(payload: HashMap<String, Value>) -> Result<ChunkPayload, StoreError> {
    parse(payload)
}

/// The payload fields [`super::ServerStore`] reads to list documents (everything but text).
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
    pub fn keys() -> Vec<String> {
        [DOC_ID, SOURCE, CONTENT_HASH, DOC_LINES, CHUNK_COUNT]
            .map(String::from)
            .to_vec()
    }

    /// Parse the selected fields of one point.
    pub fn from_payload(payload: HashMap<String, Value>) -> Result<Self, StoreError> {
        parse(payload)
    }
}

/// A payload holding one line-span field, for a partial update.
pub fn lines_payload(field: &str, lines: LineSpan) -> Result<Payload, StoreError> {
    let value = serde_json::json!({ field: lines });
    Payload::try_from(value).map_err(encode_error)
}

fn object<T: Serialize>(value: &T) -> Result<Payload, StoreError> {
    let value = serde_json::to_value(value).map_err(encode_error)?;
    Payload::try_from(value).map_err(encode_error)
}

fn parse<T: DeserializeOwned>(payload: HashMap<String, Value>) -> Result<T, StoreError> {
    Payload::from(payload)
        .deserialize()
        .map_err(|e| StoreError::Backend(format!("stored payload is not readable: {e}")))
}

fn encode_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("could not encode payload: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{DocumentKind, SectionKind};

    fn sample() -> ChunkPayload {
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

    #[test]
    fn payload_round_trips_and_uses_the_filter_field_names() {
        let payload: HashMap<String, Value> = to_payload(&sample()).unwrap().into();
        for field in [
            USER,
            DOC_ID,
            KIND,
            SOURCE,
            CHUNK_INDEX,
            CHUNK_COUNT,
            CONTENT_HASH,
            DOC_LINES,
            LINES,
        ] {
            assert!(payload.contains_key(field), "missing {field}");
        }
        assert_eq!(payload[KIND].clone().into_json(), "story");
        assert_eq!(from_payload(payload).unwrap(), sample());
    }

    #[test]
    fn doc_fields_parse_from_a_partial_payload() {
        let mut payload: HashMap<String, Value> = to_payload(&sample()).unwrap().into();
        payload.retain(|k, _| DocFields::keys().contains(k));
        let fields = DocFields::from_payload(payload).unwrap();
        assert_eq!(fields.chunk_count, 3);
        assert_eq!(fields.doc_lines, LineSpan::new(1, 20));
    }

    #[test]
    fn lines_payload_sets_one_field() {
        let payload: HashMap<String, Value> =
            lines_payload(LINES, LineSpan::new(3, 4)).unwrap().into();
        assert_eq!(payload.len(), 1);
        let back: LineSpan = serde_json::from_value(payload[LINES].clone().into_json()).unwrap();
        assert_eq!(back, LineSpan::new(3, 4));
    }

    #[test]
    fn an_empty_payload_is_an_error_not_a_panic() {
        assert!(from_payload(HashMap::new()).is_err());
    }
}
