//! The web page's routes: `/` and `/assets/...`, served from the binary
//! ([`crate::web`]). They carry no user data, so they need no key; the page asks for
//! one when the server has keys.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::app::Coach;
use crate::web;

/// The page.
pub async fn index(State(coach): State<Coach>) -> Response {
    let keyed = !coach.settings().server.api_keys.is_empty();
    with_headers(web::index(keyed).into_response(), web::INDEX_CONTENT_TYPE)
}

/// One of the page's files.
pub async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    let asset = web::asset(&name).ok_or(ApiError::NotFound)?;
    Ok(with_headers(asset.body.into_response(), asset.content_type))
}

fn with_headers(mut response: Response, content_type: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The binary is the version: revalidate after an upgrade rather than cache forever.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(web::CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
