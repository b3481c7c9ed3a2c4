//! A JSON body extractor whose every rejection is a problem+json naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Like `axum::Json`, but rejections are [`ApiError`]s: wrong content type (415),
/// body over the limit (413), not JSON (400), wrong or missing field (422, naming it).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit = req
            .extensions()
            .get::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(usize::MAX);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::MalformedJson(rejection.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The configured body limit, put into request extensions so rejections can say it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Deserialize with the path of the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => Ok(value),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::MalformedJson(inner.to_string()));
            }
            let message = inner.to_string();
            let field = if path == "." {
                missing_field_name(&message).unwrap_or_else(|| "body".into())
            } else {
                path
            };
            Err(ApiError::Validation { field, message })
        }
    }
}

/// serde reports a missing or unknown field at the parent path, as
/// "missing field `name`" or "unknown field `name`, expected ...".
fn missing_field_name(message: &str) -> Option<String> {
    let start = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.find(p).map(|i| i + p.len()))?;
    let end = message[start..].find('`')? + start;
    Some(message[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        question: String,
        top_k: usize,
    }

    #[test]
    fn names_the_missing_field() {
        let err = parse_json::<Body>(br#"{"top_k": 3}"#).unwrap_err();
        assert!(
            matches!(err, ApiError::Validation { ref field, .. } if field == "question"),
            "{err:?}"
        );
    }

    #[test]
    fn names_the_field_of_the_wrong_type() {
        let err = parse_json::<Body>(br#"{"question": "q", "top_k": -1}"#).unwrap_err();
        assert!(
            matches!(err, ApiError::Validation { ref field, .. } if field == "top_k"),
            "{err:?}"
        );
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        let err = parse_json::<Body>(br#"{"question": "#).unwrap_err();
        assert!(matches!(err, ApiError::MalformedJson(_)), "{err:?}");
    }
}
