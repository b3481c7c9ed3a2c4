//! A deliberately FAKE OpenAI-compatible chat server for failure injection.
//!
//! It runs no model: every answer is scripted by a [`FakeBehavior`] (hang, HTTP error,
//! canned message contents, a stream that stalls). It binds 127.0.0.1 on port 0 inside
//! the test's tokio runtime, counts and records the requests it receives, and stops
//! when dropped. Use the real SmolLM2 server ([`super::llm_server`]) to test that the
//! plumbing works; use this one to test what happens when the LLM misbehaves.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// What the fake server does with every `POST /v1/chat/completions`.
#[derive(Debug, Clone)]
pub enum FakeBehavior {
    /// Accept the request and never answer.
    Hang,
    /// Answer with this HTTP status and body.
    Status(u16, String),
    /// Answer with this HTTP status and body after `delay`.
    SlowStatus {
        delay: Duration,
        code: u16,
        body: String,
    },
    /// Answer with a chat completion whose message content is `contents[n]` for the
    /// n-th request (the last one repeats). `usage: false` leaves out the usage block.
    Contents { contents: Vec<String>, usage: bool },
    /// Stream these text deltas as SSE, then `[DONE]`.
    Stream(Vec<String>),
    /// Stream these text deltas, then keep the connection open and send nothing more.
    StreamThenStall(Vec<String>),
    /// Like OpenAI's strict mode: HTTP 400 when the request's schema uses `maxLength`,
    /// else a completion with `content`.
    RejectsMaxLength(String),
    /// Answer correctly with `content`, but only after `delay`.
    Slow { delay: Duration, content: String },
}

/// A running fake server; dropped = stopped.
pub struct FakeLlmServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    bodies: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct FakeState {
    behavior: FakeBehavior,
    requests: Arc<AtomicUsize>,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl FakeLlmServer {
    /// Start on a free port. Call from inside a tokio runtime.
    pub async fn start(behavior: FakeBehavior) -> FakeLlmServer {
        let requests = Arc::new(AtomicUsize::new(0));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let state = FakeState {
            behavior,
            requests: requests.clone(),
            bodies: bodies.clone(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake LLM server");
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeLlmServer {
            addr,
            requests,
            bodies,
            task,
        }
    }

    /// The base URL to put in `[llm] base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// How many chat requests arrived so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The JSON bodies of the requests so far, in order.
    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

impl Drop for FakeLlmServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn chat(State(state): State<FakeState>, Json(body): Json<Value>) -> Response {
    let n = state.requests.fetch_add(1, Ordering::SeqCst);
    let uses_max_length = body["response_format"].to_string().contains("maxLength");
    state.bodies.lock().unwrap().push(body);
    match state.behavior {
        FakeBehavior::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        FakeBehavior::Status(code, text) => {
            (StatusCode::from_u16(code).unwrap(), text).into_response()
        }
        FakeBehavior::SlowStatus { delay, code, body } => {
            tokio::time::sleep(delay).await;
            (StatusCode::from_u16(code).unwrap(), body).into_response()
        }
        FakeBehavior::Contents { contents, usage } => {
            let content = &contents[n.min(contents.len() - 1)];
            Json(completion(content, usage)).into_response()
        }
        FakeBehavior::RejectsMaxLength(_) if uses_max_length => {
            let error = json!({ "error": {
                "message": "Invalid schema for response_format 'verdict': In context=('properties', 'title'), 'maxLength' is not permitted.",
                "type": "invalid_request_error",
                "param": "response_format",
                "code": null
            }});
            (StatusCode::BAD_REQUEST, Json(error)).into_response()
        }
        FakeBehavior::RejectsMaxLength(content) => Json(completion(&content, true)).into_response(),
        FakeBehavior::Slow { delay, content } => {
            tokio::time::sleep(delay).await;
            Json(completion(&content, true)).into_response()
        }
        FakeBehavior::Stream(deltas) => sse(deltas, false),
        FakeBehavior::StreamThenStall(deltas) => sse(deltas, true),
    }
}

fn completion(content: &str, usage: bool) -> Value {
    let mut v = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000u32,
        "model": "fake-llm",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content },
            "finish_reason": "stop"
        }]
    });
    if usage {
        v["usage"] = json!({ "prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18 });
    }
    v
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let v = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000u32,
        "model": "fake-llm",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }]
    });
    format!("data: {v}\n\n")
}

fn sse(deltas: Vec<String>, stall: bool) -> Response {
    let mut events = vec![chunk(json!({ "role": "assistant", "content": "" }), None)];
    events.extend(deltas.iter().map(|d| chunk(json!({ "content": d }), None)));
    if !stall {
        events.push(chunk(json!({}), Some("stop")));
        events.push("data: [DONE]\n\n".to_string());
    }
    let head = futures::stream::iter(
        events
            .into_iter()
            .map(|e| Ok::<_, std::io::Error>(axum::body::Bytes::from(e))),
    );
    let body = if stall {
        Body::from_stream(futures::StreamExt::chain(head, futures::stream::pending()))
    } else {
        Body::from_stream(head)
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap()
}
