//! Who is calling: bearer API keys mapped to users.

// Keys are configured as SHA-256 digests (`[[server.api_keys]] user = "dana",
// key_sha256 = "..."`), never in clear; a presented key is hashed and compared with
// every configured digest in constant time. With no keys configured the server is
// single-user: every request acts as `default_user`, and `serve` refuses to bind
// anything but a loopback address.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::app::Coach;
pub use crate::config::ApiKeyEntry;

/// The authenticated caller; every store access of a handler uses this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser(pub String);

/// Hex SHA-256 of a key, as configured.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The user owning `key`, checking every entry so timing does not reveal which matched.
pub fn user_for_key<'a>(entries: &'a [ApiKeyEntry], key: &str) -> Option<&'a str> {
    let presented = hash_key(key);
    let mut found = None;
    for entry in entries {
        let configured = entry.key_sha256.trim().to_ascii_lowercase();
        // Equal lengths (64 hex digits, checked when the configuration loads): the
        // comparison's time does not depend on where the digests differ.
        if bool::from(presented.as_bytes().ct_eq(configured.as_bytes())) {
            found = Some(entry.user.as_str());
        }
    }
    found
}

/// 401 with a `WWW-Authenticate` challenge and a problem body.
pub struct Unauthorized(&'static str);

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let mut response = ApiError::Unauthorized(self.0.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

impl FromRequestParts<Coach> for AuthUser {
    type Rejection = Unauthorized;

    async fn from_request_parts(parts: &mut Parts, coach: &Coach) -> Result<Self, Self::Rejection> {
        let keys = &coach.settings().server.api_keys;
        if keys.is_empty() {
            return Ok(AuthUser(coach.settings().default_user.clone()));
        }
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(Unauthorized(
                "missing Authorization: Bearer <api key> header",
            ))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Unauthorized(
                "Authorization header must be `Bearer <api key>`",
            ))?;
        user_for_key(keys, token)
            .map(|user| AuthUser(user.to_string()))
            .ok_or(Unauthorized("unknown API key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_user_of_a_key_by_its_hash() {
        let entries = vec![
            ApiKeyEntry {
                user: "alice".into(),
                key_sha256: hash_key("alice-secret"),
            },
            ApiKeyEntry {
                user: "bob".into(),
                key_sha256: hash_key("bob-secret").to_uppercase(),
            },
        ];
        assert_eq!(user_for_key(&entries, "alice-secret"), Some("alice"));
        assert_eq!(user_for_key(&entries, "bob-secret"), Some("bob"));
        assert_eq!(user_for_key(&entries, "alice-secret "), None);
        assert_eq!(user_for_key(&entries, ""), None);
        assert_eq!(user_for_key(&[], "alice-secret"), None);
    }

    #[test]
    fn known_digest() {
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
