//! Conversions between our payload types and the Qdrant server's payload maps (the
//! layout, shared with the embedded store, is in [`crate::store::payload`]).

use std::collections::HashMap;

use qdrant_client::qdrant::with_payload_selector::SelectorOptions;
use qdrant_client::qdrant::{PayloadExcludeSelector, Value};
use qdrant_client::Payload;
use serde::de::DeserializeOwned;

use crate::store::payload::{decode_error, encode_error};
pub use crate::store::payload::{DocFields, DOC_ID, KIND, SCOPE, SOURCE, USER};
use crate::store::{ChunkPayload, StoreError};

/// The payload stored with a chunk: [`ChunkPayload`], its scope and the ids of its BM25
/// `terms`, as a JSON object.
pub fn to_payload(payload: &ChunkPayload, terms: &[u32]) -> Result<Payload, StoreError> {
    let json = crate::store::payload::to_json(payload, terms)?;
    Payload::try_from(serde_json::Value::Object(json)).map_err(encode_error)
}

/// A chunk's payload as returned by a query.
pub fn from_payload(payload: HashMap<String, Value>) -> Result<ChunkPayload, StoreError> {
    parse(payload)
}

/// The payload fields a [`ChunkPayload`] is read from: all but the BM25 term ids,
/// which only filters read.
pub fn chunk_fields() -> SelectorOptions {
    SelectorOptions::Exclude(PayloadExcludeSelector {
        fields: vec![crate::store::payload::TERMS.to_owned()],
    })
}

/// Payload keys to fetch for [`DocFields`].
pub fn doc_fields_keys() -> Vec<String> {
    DocFields::KEYS.map(String::from).to_vec()
}

/// The [`DocFields`] of one point.
pub fn doc_fields(payload: HashMap<String, Value>) -> Result<DocFields, StoreError> {
    parse(payload)
}

fn parse<T: DeserializeOwned>(payload: HashMap<String, Value>) -> Result<T, StoreError> {
    Payload::from(payload).deserialize().map_err(decode_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::LineSpan;
    use crate::store::payload::{CHUNK_COUNT, CHUNK_INDEX, CONTENT_HASH, DOC_LINES, LINES};

    use crate::store::payload::sample_payload as sample;

    #[test]
    fn payload_round_trips_and_uses_the_filter_field_names() {
        let payload: HashMap<String, Value> = to_payload(&sample(), &[]).unwrap().into();
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
            SCOPE,
        ] {
            assert!(payload.contains_key(field), "missing {field}");
        }
        assert_eq!(payload[KIND].clone().into_json(), "story");
        assert_eq!(from_payload(payload).unwrap(), sample());
    }

    #[test]
    fn doc_fields_parse_from_a_partial_payload() {
        let mut payload: HashMap<String, Value> = to_payload(&sample(), &[]).unwrap().into();
        payload.retain(|k, _| DocFields::KEYS.contains(&k.as_str()));
        let fields = doc_fields(payload).unwrap();
        assert_eq!(fields.chunk_count, 3);
        assert_eq!(fields.doc_lines, LineSpan::new(1, 20));
    }

    #[test]
    fn an_empty_payload_is_an_error_not_a_panic() {
        assert!(from_payload(HashMap::new()).is_err());
    }
}
