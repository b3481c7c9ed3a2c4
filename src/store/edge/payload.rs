//! Conversions between our payload types and the embedded store's JSON-object
//! payloads (the layout is in [`crate::store::payload`]).

use qdrant_edge::{
    JsonPath, Payload, PayloadSelector, PayloadSelectorExclude, WithPayloadInterface,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::store::payload::decode_error;
pub use crate::store::payload::{DocFields, DOC_ID, KIND, PARTITION, SCOPE, SOURCE, USER};
use crate::store::{ChunkPayload, StoreError};

/// A top-level payload key as a Qdrant path (infallible, unlike parsing).
pub fn key(name: &str) -> JsonPath {
    JsonPath {
        first_key: name.to_owned(),
        rest: Vec::new(),
    }
}

/// The payload stored with a chunk: [`ChunkPayload`], its scope and the ids of its BM25
/// `terms`, as a JSON object.
pub fn to_payload(payload: &ChunkPayload, terms: &[u32]) -> Result<Payload, StoreError> {
    Ok(Payload(crate::store::payload::to_json(payload, terms)?))
}

/// A chunk's payload as returned by a query.
pub fn from_payload(payload: Option<Payload>) -> Result<ChunkPayload, StoreError> {
    parse(payload)
}

/// The payload fields a [`ChunkPayload`] is read from: all but the BM25 term ids,
/// which only filters read.
pub fn chunk_fields() -> WithPayloadInterface {
    WithPayloadInterface::Selector(PayloadSelector::Exclude(PayloadSelectorExclude {
        exclude: vec![key(crate::store::payload::TERMS)],
    }))
}

/// Payload keys to fetch for [`DocFields`].
pub fn doc_fields_keys() -> Vec<JsonPath> {
    DocFields::KEYS.into_iter().map(key).collect()
}

/// The [`DocFields`] of one point.
pub fn doc_fields(payload: Option<Payload>) -> Result<DocFields, StoreError> {
    parse(payload)
}

fn parse<T: DeserializeOwned>(payload: Option<Payload>) -> Result<T, StoreError> {
    let map = payload.map(|p| p.0).unwrap_or_default();
    serde_json::from_value(Value::Object(map)).map_err(decode_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::LineSpan;
    use crate::store::payload::{CHUNK_COUNT, CHUNK_INDEX, DOC_LINES, LINES};

    use crate::store::payload::sample_payload as sample;

    #[test]
    fn payload_round_trips_and_uses_the_filter_field_names() {
        let payload = to_payload(&sample(), &[]).unwrap();
        for field in [
            USER,
            DOC_ID,
            KIND,
            SOURCE,
            CHUNK_INDEX,
            CHUNK_COUNT,
            DOC_LINES,
            LINES,
            SCOPE,
            PARTITION,
        ] {
            assert!(payload.0.contains_key(field), "missing {field}");
        }
        assert_eq!(payload.0[KIND], "story");
        assert_eq!(from_payload(Some(payload)).unwrap(), sample());
    }

    #[test]
    fn doc_fields_parse_from_a_partial_payload() {
        let mut payload = to_payload(&sample(), &[]).unwrap();
        payload
            .0
            .retain(|k, _| DocFields::KEYS.contains(&k.as_str()));
        let fields = doc_fields(Some(payload)).unwrap();
        assert_eq!(fields.chunk_count, 3);
        assert_eq!(fields.doc_lines, LineSpan::new(1, 20));
    }

    #[test]
    fn a_missing_payload_is_an_error_not_a_panic() {
        assert!(from_payload(None).is_err());
    }
}
