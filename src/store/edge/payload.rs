//! Conversions between our payload types and Qdrant's JSON-object payloads.
//!
//! A point's payload is [`ChunkPayload`] serialised with serde; the field names below
//! are the ones filters and partial updates refer to, and must match its serde names.

use qdrant_edge::{JsonPath, Payload};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;

use crate::corpus::LineSpan;
use crate::store::{ChunkPayload, StoreError};

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

/// A top-level payload key as a Qdrant path (infallible, unlike parsing).
pub fn key(name: &str) -> JsonPath {
    JsonPath {
        first_key: name.to_owned(),
        rest: Vec::new(),
    }
}

/// The payload stored with a chunk: [`ChunkPayload`] as a JSON object.
pub fn to_payload(payload: &ChunkPayload) -> Result<Payload, StoreError> {
    object(payload)
}

/// A chunk's payload as returned by a query.
pub fn from_payload(payload: Option<Payload>) -> Result<ChunkPayload, StoreError> {
    parse(payload)
}

/// The payload fields [`super::EdgeStore`] reads to list documents (everything but text).
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
    pub fn keys() -> Vec<JsonPath> {
        [DOC_ID, SOURCE, CONTENT_HASH, DOC_LINES, CHUNK_COUNT]
            .into_iter()
            .map(key)
            .collect()
    }

    /// Parse the selected fields of one point.
    pub fn from_payload(payload: Option<Payload>) -> Result<Self, StoreError> {
        parse(payload)
    }
}

/// A payload holding one line-span field, for a partial update.
pub fn lines_payload(field: &str, lines: LineSpan) -> Result<Payload, StoreError> {
    let value = serde_json::to_value(lines).map_err(encode_error)?;
    Ok(Payload([(field.to_owned(), value)].into_iter().collect()))
}

fn object<T: Serialize>(value: &T) -> Result<Payload, StoreError> {
    match serde_json::to_value(value).map_err(encode_error)? {
        Value::Object(map) => Ok(Payload(map)),
        other => Err(StoreError::Backend(format!(
            "payload must serialise to a JSON object, got {other}"
        ))),
    }
}

fn parse<T: DeserializeOwned>(payload: Option<Payload>) -> Result<T, StoreError> {
    let map = payload.map(|p| p.0).unwrap_or_default();
    serde_json::from_value(Value::Object(map))
        .map_err(|e| StoreError::Backend(format!("stored payload is not readable: {e}")))
}

fn encode_error(e: serde_json::Error) -> StoreError {
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
        let payload = to_payload(&sample()).unwrap();
        for field in [
            USER,
            DOC_ID,
            KIND,
            SOURCE,
            CHUNK_INDEX,
            CHUNK_COUNT,
            DOC_LINES,
            LINES,
        ] {
            assert!(payload.0.contains_key(field), "missing {field}");
        }
        assert_eq!(payload.0[KIND], "story");
        assert_eq!(from_payload(Some(payload)).unwrap(), sample());
    }

    #[test]
    fn doc_fields_parse_from_a_partial_payload() {
        let mut payload = to_payload(&sample()).unwrap();
        payload
            .0
            .retain(|k, _| DocFields::keys().iter().any(|p| p.first_key == *k));
        let fields = DocFields::from_payload(Some(payload)).unwrap();
        assert_eq!(fields.chunk_count, 3);
        assert_eq!(fields.doc_lines, LineSpan::new(1, 20));
    }

    #[test]
    fn a_missing_payload_is_an_error_not_a_panic() {
        assert!(from_payload(None).is_err());
    }
}
