//! The HTTP API (axum): thin handlers over the library, one error type, request ids
//! and a tracing span on every request.

mod auth;
mod embeddings;
mod error;
mod extract;
mod openai;
mod ops;
mod page;
mod practice;
mod resources;
mod routes;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::Coach;
pub use auth::{hash_key, user_for_key, ApiKeyEntry, AuthUser};
pub use error::{ApiError, Problem};
pub use extract::{ApiJson, BodyLimit};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Build the router with all routes and middleware.
pub fn router(coach: Coach) -> Router {
    let limit = coach.settings().server.max_body_bytes;
    let upload_limit = coach.settings().critique.max_body_bytes;
    let cors = cors_layer(&coach.settings().server.cors_origins);
    ops::prometheus();
    let timeout = Duration::from_secs(coach.settings().server.request_timeout_secs);
    Router::new()
        .route("/", get(page::index))
        .route("/assets/{*name}", get(page::asset))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_text))
        .route("/openapi.json", get(ops::openapi_json))
        .route("/docs", get(ops::docs))
        .route("/v1/models", get(openai::models))
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/v1/embeddings", post(embeddings::embeddings))
        .route("/v1/stories", get(resources::list))
        .route("/v1/stories/{id}", get(resources::get_one).delete(resources::delete_one))
        .route("/v1/stories/match", post(routes::match_stories))
        .route("/v1/coverage", get(routes::coverage))
        .route("/v1/prep", post(routes::prep))
        .route("/v1/sessions", get(practice::list).post(practice::start))
        .route("/v1/sessions/{id}", get(practice::get_one))
        .route("/v1/history", get(practice::history).delete(practice::delete_all))
        .route("/v1/history/{id}", delete(practice::delete_entry))
        .route("/v1/progress", get(practice::progress))
        .merge(
            // Transcripts (Whisper JSON with word timings) and uploads are larger than
            // questions.
            Router::new()
                .route("/v1/answers/critique", post(routes::critique))
                .route("/v1/sessions/{id}/answers", post(practice::answer))
                .route("/v1/documents", post(resources::upload_json))
                .route("/v1/documents/upload", post(resources::upload_multipart))
                .layer(Extension(BodyLimit(upload_limit)))
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .fallback(routes::not_found)
        .route_layer(axum::middleware::from_fn(ops::track))
        .with_state(coach)
        .layer(Extension(BodyLimit(limit)))
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(cors)
}

/// CORS for browser frontends: the configured origins ("*" for any), any method, the
/// Authorization and Content-Type headers. No origins: no CORS headers (same-origin).
fn cors_layer(origins: &[String]) -> CorsLayer {
    use axum::http::{header, HeaderValue, Method};
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([REQUEST_ID]);
    if origins.iter().any(|o| o == "*") {
        base.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        base.allow_origin(AllowOrigin::list(list))
    }
}

/// Bind `addr` and serve until Ctrl-C / SIGTERM, finishing in-flight requests.
pub async fn serve(coach: Coach, addr: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    if coach.settings().server.api_keys.is_empty() && !listener.local_addr()?.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "refusing to serve on {addr} without API keys: anyone on the network could read the stories. \
                 Configure [[server.api_keys]] (see README) or bind a loopback address such as 127.0.0.1:8787"
            ),
        ));
    }
    if coach.settings().server.api_keys.is_empty() {
        tracing::warn!("no API keys configured: single-user mode, loopback only");
    }
    serve_on(coach, listener).await
}

/// Serve on an already bound listener (tests bind port 0) until Ctrl-C / SIGTERM.
pub async fn serve_on(coach: Coach, listener: TcpListener) -> std::io::Result<()> {
    serve_until(coach, listener, shutdown_signal()).await
}

/// Serve until `shutdown` completes; then stop accepting connections and return once
/// the requests in flight have been answered.
pub async fn serve_until(
    coach: Coach,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local: SocketAddr = listener.local_addr()?;
    tracing::info!(%local, "starcoach listening");
    axum::serve(listener, router(coach))
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
        })
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
