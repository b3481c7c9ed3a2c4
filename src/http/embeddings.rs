//! `POST /v1/embeddings` in OpenAI's shape, answered by the configured local model, so
//! chat UIs (Open WebUI's document search, ...) and another starcoach can use it.

// The input is embedded exactly as sent (no prompt is added: a client that wants
// EmbeddingGemma's prompts puts them in front, as with Ollama), in the configured
// model's dimension, or truncated to `dimensions` and normalised again (Matryoshka).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::AuthUser;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::analysis::count_tokens;
use crate::app::Coach;
use crate::embed::TextRole;

/// Most texts in one request (OpenAI's limit).
pub const MAX_INPUTS: usize = 2048;

/// `input`: one text or a list of texts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingsInput {
    One(String),
    Many(Vec<String>),
}

/// Body of `POST /v1/embeddings`. Other fields are ignored: `model` (the answer comes
/// from the configured model, named in the response), `user`, ...
#[derive(Debug, Deserialize)]
pub struct EmbeddingsBody {
    pub input: EmbeddingsInput,
    /// Only "float" (the default).
    #[serde(default)]
    pub encoding_format: Option<String>,
    #[serde(default)]
    pub dimensions: Option<usize>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation {
        field: field.to_string(),
        message: message.into(),
    }
}

/// `POST /v1/embeddings`: OpenAI-compatible embeddings with the configured model.
#[utoipa::path(post, path = "/v1/embeddings", request_body(content = Object, description = "An OpenAI embeddings request: input (a string or a list of strings), optional dimensions; encoding_format float"),
    responses((status = 200, description = "A list of embeddings, in input order, with the model's name", body = Object),
              (status = 422, body = super::error::Problem)),
    security(("bearer" = [])), tag = "openai")]
pub async fn embeddings(
    State(coach): State<Coach>,
    _caller: AuthUser,
    ApiJson(body): ApiJson<EmbeddingsBody>,
) -> Result<Json<Value>, ApiError> {
    let texts = match body.input {
        EmbeddingsInput::One(text) => vec![text],
        EmbeddingsInput::Many(texts) => texts,
    };
    if texts.is_empty() {
        return Err(invalid("input", "must hold at least one text"));
    }
    if texts.len() > MAX_INPUTS {
        return Err(invalid(
            "input",
            format!(
                "at most {MAX_INPUTS} texts per request, got {}",
                texts.len()
            ),
        ));
    }
    if let Some(i) = texts.iter().position(|t| t.trim().is_empty()) {
        return Err(invalid(&format!("input[{i}]"), "must not be empty"));
    }
    match body.encoding_format.as_deref() {
        None | Some("float") => {}
        Some(other) => {
            return Err(invalid(
                "encoding_format",
                format!("only \"float\" is served, got {other:?}"),
            ))
        }
    }
    let embedder = coach.embedder();
    let dimension = embedder.dimension();
    let keep = match body.dimensions {
        None => dimension,
        Some(d) if (1..=dimension).contains(&d) => d,
        Some(d) => {
            return Err(invalid(
                "dimensions",
                format!("between 1 and the model's {dimension}, got {d}"),
            ))
        }
    };
    let tokens: usize = texts.iter().map(|t| count_tokens(t).unwrap_or(0)).sum();
    let vectors = embedder.embed(texts, TextRole::Plain).await?;
    let data: Vec<Value> = vectors
        .into_iter()
        .enumerate()
        .map(|(index, mut vector)| {
            if keep < vector.len() {
                vector.truncate(keep);
                crate::vector::normalise(&mut vector);
            }
            json!({"object": "embedding", "index": index, "embedding": vector})
        })
        .collect();
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "model": embedder.model_id(),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    })))
}
