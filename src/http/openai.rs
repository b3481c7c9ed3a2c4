//! OpenAI-compatible endpoints (`GET /v1/models`, `POST /v1/chat/completions`, with
//! SSE streaming) so that chat UIs can talk to the coach; the reply is [`crate::chat`]'s.

// OpenAI-compatible endpoints so that chat UIs (Open WebUI, LibreChat, ...) can talk to
// the coach: `GET /v1/models` and `POST /v1/chat/completions`, streaming included
// (SSE chunks, then `data: [DONE]`). The conversation is answered by [`crate::chat`].

use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::AuthUser;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::analysis::count_tokens;
use crate::app::Coach;
use crate::chat::{self, Sampling};
use crate::llm::{ChatMessage, ChatRole};

/// The model name chat UIs see and send back.
pub const MODEL_ID: &str = "starcoach";

/// `GET /v1/models`: the one model, "starcoach".
#[utoipa::path(get, path = "/v1/models", responses((status = 200, body = Object)), security(("bearer" = [])), tag = "openai")]
pub async fn models(_caller: AuthUser) -> Json<Value> {
    Json(json!({
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "starcoach"}]
    }))
}

/// A message's content: a string, or an array of parts of which the text ones count.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
pub struct Part {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct InMessage {
    pub role: String,
    #[serde(default)]
    pub content: Option<Content>,
}

/// Body of `POST /v1/chat/completions`. Unknown fields are ignored: clients send many.
#[derive(Debug, Deserialize)]
pub struct ChatBody {
    pub messages: Vec<InMessage>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f32>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation {
        field: field.to_string(),
        message: message.into(),
    }
}

fn to_messages(body: &ChatBody) -> Result<Vec<ChatMessage>, ApiError> {
    if body.messages.is_empty() {
        return Err(invalid("messages", "must not be empty"));
    }
    let mut out = Vec::with_capacity(body.messages.len());
    for (i, m) in body.messages.iter().enumerate() {
        let role = match m.role.as_str() {
            "system" | "developer" => ChatRole::System,
            "user" => ChatRole::User,
            "assistant" => ChatRole::Assistant,
            // Tool results carry no coaching content.
            "tool" | "function" => continue,
            other => {
                return Err(invalid(
                    &format!("messages[{i}].role"),
                    format!("unknown role {other:?}"),
                ))
            }
        };
        let content = match &m.content {
            None => String::new(),
            Some(Content::Text(t)) => t.clone(),
            Some(Content::Parts(parts)) => parts
                .iter()
                .filter(|p| p.kind == "text")
                .filter_map(|p| p.text.as_deref())
                .collect::<Vec<_>>()
                .join("\n"),
        };
        out.push(ChatMessage { role, content });
    }
    match out.last() {
        Some(m) if m.role == ChatRole::User && !m.content.trim().is_empty() => Ok(out),
        _ => Err(invalid(
            "messages",
            "the last message must be a non-empty user message",
        )),
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn completion_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4().simple())
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: usize,
    completion_tokens: usize,
    total_tokens: usize,
}

fn usage(messages: &[ChatMessage], answer: &str) -> Usage {
    let prompt: usize = messages
        .iter()
        .map(|m| count_tokens(&m.content).unwrap_or(0))
        .sum();
    let completion = count_tokens(answer).unwrap_or(0);
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
    }
}

/// `POST /v1/chat/completions`: OpenAI-compatible chat with the coach, `stream: true`
/// for SSE.
#[utoipa::path(post, path = "/v1/chat/completions", request_body(content = Object, description = "An OpenAI chat completion request"),
    responses((status = 200, description = "A chat.completion, or an SSE stream of chat.completion.chunk ending with [DONE]", body = Object),
              (status = 422, body = super::error::Problem)),
    security(("bearer" = [])), tag = "openai")]
pub async fn chat_completions(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<ChatBody>,
) -> Result<Response, ApiError> {
    let messages = to_messages(&body)?;
    let answer = chat::answer(&coach, &user, &messages).await?;
    let sampling = Sampling {
        max_tokens: body.max_completion_tokens.or(body.max_tokens),
        temperature: body.temperature,
    };
    let id = completion_id();
    let created = now_secs();
    if body.stream {
        return Ok(sse(id, created, answer.pieces(sampling).await).into_response());
    }
    let prompt = answer.prompt(&messages).to_vec();
    let text = answer.text(sampling).await;
    let counted = usage(&prompt, &text);
    Ok(Json(json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop"
        }],
        "usage": counted,
    }))
    .into_response())
}

fn chunk(id: &str, created: u64, delta: Value, finish: Option<&str>) -> Event {
    let body = json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    });
    Event::default().data(body.to_string())
}

/// The SSE response: a role chunk, content chunks, a final chunk, `[DONE]`.
fn sse(
    id: String,
    created: u64,
    pieces: BoxStream<'static, Result<String, String>>,
) -> impl IntoResponse {
    let head = stream::iter([chunk(
        &id,
        created,
        json!({"role": "assistant", "content": ""}),
        None,
    )]);
    let body_id = id.clone();
    let body = pieces.map(move |piece| match piece {
        Ok(text) => chunk(&body_id, created, json!({"content": text}), None),
        Err(reason) => chunk(
            &body_id,
            created,
            json!({"content": format!("\n\n[the LLM stopped: {reason}]")}),
            None,
        ),
    });
    let tail = stream::iter([
        chunk(&id, created, json!({}), Some("stop")),
        Event::default().data("[DONE]"),
    ]);
    let events = head.chain(body).chain(tail).map(Ok::<_, Infallible>);
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_parts_and_roles_are_read() {
        let body: ChatBody = serde_json::from_value(json!({
            "model": "starcoach",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hello"}, {"type": "image_url", "image_url": {}}]}
            ],
            "stream": true,
            "user": "ignored"
        }))
        .unwrap();
        let messages = to_messages(&body).unwrap();
        assert_eq!(messages[1].content, "hello");
        let bad: ChatBody =
            serde_json::from_value(json!({"messages": [{"role": "wizard", "content": "x"}]}))
                .unwrap();
        assert!(
            matches!(to_messages(&bad), Err(ApiError::Validation { field, .. }) if field == "messages[0].role")
        );
    }
}
