//! Operability: readiness, Prometheus metrics, the OpenAPI document and an offline
//! docs page rendered from it.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::{json, Value};
use utoipa::OpenApi;

use crate::app::Coach;

/// The process-wide Prometheus recorder (installed on first use).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ])
            .expect("static buckets are valid")
            .install_recorder()
            .unwrap_or_else(|_| {
                // Another recorder is installed (embedding application): keep ours
                // unregistered rather than fail.
                PrometheusBuilder::new().build_recorder().handle()
            })
    })
}

/// Middleware: count requests and time them by route template and status.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("starcoach_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("starcoach_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics_text() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus().render(),
    )
}

/// `GET /readyz`: the store answers, and the LLM when one is configured.
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, description = "Ready", body = Object),
    (status = 503, description = "A dependency is not reachable", body = Object)), tag = "operations")]
pub async fn readyz(State(coach): State<Coach>) -> Response {
    let store = match coach.store().count(&coach.settings().default_user).await {
        Ok(_) => json!({"status": "ok"}),
        Err(e) => json!({"status": "error", "detail": e.to_string()}),
    };
    let llm = match coach.critic().llm() {
        None => json!({"status": "not_configured"}),
        Some(client) => match client.ping().await {
            Ok(()) => json!({"status": "ok", "model": client.model()}),
            Err(e) => json!({"status": "error", "detail": e.reason()}),
        },
    };
    let ready = store["status"] == "ok" && llm["status"] != "error";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({"ready": ready, "store": store, "llm": llm})),
    )
        .into_response()
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document of every route, generated from the handlers' types.
#[derive(OpenApi)]
#[openapi(
    info(title = "starcoach", description = "An interview coach over your own STAR stories. Every /v1 route needs `Authorization: Bearer <key>` when API keys are configured; errors are application/problem+json naming the field."),
    paths(
        super::routes::healthz,
        readyz,
        super::routes::match_stories,
        super::routes::coverage,
        super::routes::critique,
        super::routes::prep,
        super::practice::start,
        super::practice::list,
        super::practice::get_one,
        super::practice::answer,
        super::practice::history,
        super::practice::delete_entry,
        super::practice::delete_all,
        super::practice::progress,
        super::resources::upload_json,
        super::resources::upload_multipart,
        super::resources::list,
        super::resources::get_one,
        super::resources::delete_one,
        super::openai::models,
        super::openai::chat_completions,
        super::embeddings::embeddings,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `GET /docs`: the OpenAPI document as a self-contained HTML page (no external
/// assets, so it works offline).
pub async fn docs() -> Html<String> {
    let doc: Value = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>starcoach API</title>\
         <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\
         .op{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}\
         .m{font-weight:bold;text-transform:uppercase;margin-right:.5rem}pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style>\
         </head><body><h1>starcoach API</h1>",
    );
    if let Some(d) = doc.pointer("/info/description").and_then(Value::as_str) {
        html.push_str(&format!("<p>{}</p>", escape(d)));
    }
    html.push_str("<p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a></p>");
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, ops) in paths {
            for (method, op) in ops.as_object().into_iter().flatten() {
                html.push_str(&format!(
                    "<div class=\"op\"><p><span class=\"m\">{}</span><code>{}</code></p>",
                    escape(method),
                    escape(path)
                ));
                for key in ["summary", "description"] {
                    if let Some(t) = op.get(key).and_then(Value::as_str) {
                        html.push_str(&format!("<p>{}</p>", escape(t)));
                    }
                }
                if let Some(body) = op.get("requestBody") {
                    html.push_str(&format!(
                        "<details><summary>Request body</summary><pre>{}</pre></details>",
                        escape(&serde_json::to_string_pretty(body).unwrap_or_default())
                    ));
                }
                if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                    let codes: Vec<String> = responses
                        .iter()
                        .map(|(code, r)| {
                            format!(
                                "{code} {}",
                                r.get("description").and_then(Value::as_str).unwrap_or("")
                            )
                        })
                        .collect();
                    html.push_str(&format!("<p>Responses: {}</p>", escape(&codes.join("; "))));
                }
                html.push_str("</div>");
            }
        }
    }
    if let Some(schemas) = doc.pointer("/components/schemas") {
        html.push_str(&format!(
            "<h2>Schemas</h2><pre>{}</pre>",
            escape(&serde_json::to_string_pretty(schemas).unwrap_or_default())
        ));
    }
    html.push_str("</body></html>");
    Html(html)
}
