//! The LLM behind the critique: a client for any OpenAI-compatible chat endpoint
//! (OpenAI, Ollama, vLLM, llama.cpp's server, ...), built on `async-openai`.

// Two calls:
// - [`LlmClient::complete_json`] asks for structured output with a strict JSON schema
//   (`response_format: json_schema`), validates the answer against that schema and
//   deserializes it. An answer that is not JSON or breaks the schema is retried once,
//   with the reason told to the model; transient failures (HTTP 5xx/429, connection
//   errors) are retried once too. Every attempt runs under the caller's overall
//   deadline, so the caller can fall back to the deterministic critique in time.
// - [`LlmClient::chat_stream`] streams text deltas for a chat endpoint and fails when
//   the stream stalls longer than an idle timeout.
//
// Every failure is an [`LlmError`] whose [`LlmError::reason`] is a short sentence for
// `"llm": "unavailable", "reason": ...`. The API key lives in an [`ApiKey`], whose
// `Debug` is redacted, and it is never put in a log line or a span.

use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    ChatCompletionStreamOptions, CompletionUsage, CreateChatCompletionRequest,
    CreateChatCompletionResponse, FinishReason, ResponseFormat, ResponseFormatJsonSchema,
};
use futures::{Stream, StreamExt};

use serde::de::DeserializeOwned;

use tracing::{field, Instrument};

pub use crate::config::ApiKey;
use crate::config::LlmSettings;

/// Fewer milliseconds than this left before the deadline: do not start another attempt.
const MIN_ATTEMPT_BUDGET: Duration = Duration::from_millis(250);
/// Pause before retrying a transient failure (HTTP 5xx/429, connection error).
const TRANSIENT_RETRY_PAUSE: Duration = Duration::from_millis(200);
/// Longest excerpt of a server message or a model answer quoted in a reason.
const REASON_EXCERPT_CHARS: usize = 160;

/// Why an LLM call gave no usable answer. [`LlmError::reason`] is the short human
/// sentence to show next to `"llm": "unavailable"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// No endpoint configured (`[llm] base_url` is empty).
    #[error("LLM not configured: {reason}")]
    NotConfigured { reason: String },
    /// The endpoint could not be reached, failed (5xx), or refused the request (4xx).
    #[error("LLM unavailable: {reason}")]
    Unavailable { reason: String },
    /// The answer did not arrive before the deadline or the request timeout.
    #[error("LLM timed out: {reason}")]
    Timeout { reason: String },
    /// A stream stopped sending data for longer than the idle timeout.
    #[error("LLM stream stalled: {reason}")]
    Stalled { reason: String },
    /// The model's answer was not JSON or broke the schema, also after the retry.
    #[error("LLM gave invalid output: {reason}")]
    InvalidOutput { reason: String },
    /// The caller's JSON schema itself is invalid (a programming error; not retried).
    #[error("invalid JSON schema for the LLM: {reason}")]
    BadSchema { reason: String },
}

impl LlmError {
    /// The short human-readable reason, without the kind prefix.
    pub fn reason(&self) -> &str {
        match self {
            LlmError::NotConfigured { reason }
            | LlmError::Unavailable { reason }
            | LlmError::Timeout { reason }
            | LlmError::Stalled { reason }
            | LlmError::InvalidOutput { reason }
            | LlmError::BadSchema { reason } => reason,
        }
    }

    /// A stable machine-readable kind: `not_configured`, `unavailable`, `timeout`,
    /// `stalled`, `invalid_output`, `bad_schema`.
    pub fn kind(&self) -> &'static str {
        match self {
            LlmError::NotConfigured { .. } => "not_configured",
            LlmError::Unavailable { .. } => "unavailable",
            LlmError::Timeout { .. } => "timeout",
            LlmError::Stalled { .. } => "stalled",
            LlmError::InvalidOutput { .. } => "invalid_output",
            LlmError::BadSchema { .. } => "bad_schema",
        }
    }
}

/// A parsed, schema-valid structured answer and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonCompletion<T> {
    pub value: T,
    /// Prompt tokens over all attempts (server-reported, else estimated).
    pub prompt_tokens: u32,
    /// Completion tokens over all attempts (server-reported, else estimated).
    pub completion_tokens: u32,
    /// True when the server sent no `usage` and the counts come from tiktoken-rs
    /// (an estimate: the model's own tokenizer may differ).
    pub tokens_estimated: bool,
    /// The model that answered, as the server names it.
    pub model: String,
    /// Requests made: 1, 2 after a retry (or after re-sending a refused schema
    /// without its constraint keywords), at most 3.
    pub attempts: u32,
}

/// Who says what in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

/// One message of a chat conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: ChatRole::System,
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: ChatRole::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage {
            role: ChatRole::Assistant,
            content: content.into(),
        }
    }
}

/// One item of [`LlmClient::chat_stream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The next piece of the answer's text.
    Delta(String),
    /// The answer is complete. Token counts are present when the server reports usage.
    Finished {
        finish_reason: Option<String>,
        prompt_tokens: Option<u32>,
        completion_tokens: Option<u32>,
    },
}

/// The stream returned by [`LlmClient::chat_stream`].
pub type ChatStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, LlmError>> + Send>>;

/// How long readiness waits for the LLM server.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// A configured OpenAI-compatible chat endpoint. Cheap to clone.
#[derive(Clone)]
pub struct LlmClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: async_openai::Client<OpenAIConfig>,
    base_url: String,
    model: String,
    timeout: Duration,
    stream_idle: Duration,
    max_tokens: u32,
    temperature: f32,
    /// `None` when `[llm] seed` is negative.
    seed: Option<i64>,
    /// A configuration mistake found at construction, reported by every call as
    /// [`LlmError::Unavailable`] so that it reaches the user with its reason.
    config_error: Option<String>,
    /// Set once the endpoint rejected a schema's constraint keywords (OpenAI's and
    /// Azure's strict mode refuse e.g. `maxLength`): from then on schemas are sent
    /// without them (validation here still applies them).
    portable_schema: AtomicBool,
}

impl fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmClient")
            .field("base_url", &self.inner.base_url)
            .field("model", &self.inner.model)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    /// The client for `[llm]`, or `None` when no endpoint is configured (empty
    /// `base_url`). A malformed setting (a base URL that is not http(s), an API key with
    /// characters a header cannot carry) does not fail here: every call then returns
    /// [`LlmError::Unavailable`] naming the setting, so the caller's fallback shows it.
    pub fn from_settings(settings: &LlmSettings) -> Option<LlmClient> {
        let base_url = settings.base_url.trim().trim_end_matches('/').to_string();
        if base_url.is_empty() {
            return None;
        }
        let mut config_error = None;
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            config_error = Some(format!(
                "[llm] base_url {base_url:?} must start with http:// or https:// (e.g. http://127.0.0.1:8080/v1)"
            ));
        }
        let key = settings.api_key.expose();
        if !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            // async-openai would panic building the Authorization header.
            config_error = Some(
                "[llm] api_key contains spaces or non-printable characters (check STARCOACH__LLM__API_KEY)"
                    .into(),
            );
        }
        // Everything explicit: OpenAIConfig::new() would pick up OPENAI_API_KEY,
        // OPENAI_ORG_ID and OPENAI_PROJECT_ID from the environment and send them to
        // whatever endpoint is configured.
        let config = OpenAIConfig::new()
            .with_api_base(base_url.clone())
            .with_api_key(if config_error.is_some() { "" } else { key })
            .with_org_id("")
            .with_project_id("");
        Some(LlmClient {
            inner: Arc::new(Inner {
                // The default executor retries 429/5xx/connection errors up to 3 times
                // with backoff of up to 8 s, invisible to us and blind to the deadline.
                // A bare transport instead: retries happen in complete_json, counted.
                client: async_openai::Client::with_config(config)
                    .with_http_service(ReqwestService::default()),
                base_url,
                model: settings.model.clone(),
                timeout: Duration::from_secs(settings.timeout_secs.max(1)),
                stream_idle: Duration::from_secs(settings.stream_idle_secs.max(1)),
                max_tokens: settings.max_tokens.max(1),
                temperature: settings.temperature,
                seed: (settings.seed >= 0).then_some(settings.seed),
                config_error,
                portable_schema: AtomicBool::new(false),
            }),
        })
    }

    /// The configured model name.
    pub fn model(&self) -> &str {
        &self.inner.model
    }

    /// The configured base URL (without a trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Ask for a JSON answer that follows `schema` (strict `json_schema` structured
    /// output), validate it against the schema and deserialize it into `T`.
    ///
    /// One retry when the answer is not JSON, breaks the schema or does not fit `T`,
    /// and one when the server fails transiently (5xx, 429, connection error); never
    /// after a timeout. Each attempt is limited by the request timeout and by
    /// `deadline`, and no attempt starts with less than 250 ms left: the call returns
    /// by `deadline` (plus scheduling slack) whatever the server does.
    ///
    /// Give every string in `schema` a `maxLength`: grammar-constrained local servers
    /// otherwise let small models ramble until `max_tokens`. Hosted strict modes
    /// (OpenAI, Azure) refuse such constraint keywords with HTTP 400: the schema is then
    /// re-sent once without them (not counted as the retry) and this client keeps
    /// sending it that way; the answer is still validated against the full schema.
    pub async fn complete_json<T: DeserializeOwned>(
        &self,
        system: &str,
        user: &str,
        schema_name: &str,
        schema: serde_json::Value,
        deadline: Instant,
    ) -> Result<JsonCompletion<T>, LlmError> {
        let span = tracing::info_span!(
            "llm.complete_json",
            model = %self.inner.model,
            schema = schema_name,
            attempts = field::Empty,
            prompt_tokens = field::Empty,
            completion_tokens = field::Empty,
            outcome = field::Empty,
        );
        let result = self
            .complete_json_inner(system, user, schema_name, schema, deadline)
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        metrics::counter!("starcoach_llm_requests_total", "outcome" => outcome).increment(1);
        match &result {
            Ok(done) => {
                metrics::counter!("starcoach_llm_tokens_total", "kind" => "prompt")
                    .increment(u64::from(done.prompt_tokens));
                metrics::counter!("starcoach_llm_tokens_total", "kind" => "completion")
                    .increment(u64::from(done.completion_tokens));
                span.record("attempts", done.attempts);
                span.record("prompt_tokens", done.prompt_tokens);
                span.record("completion_tokens", done.completion_tokens);
                span.record("outcome", "ok");
            }
            Err(e) => {
                span.record("outcome", e.kind());
                span.in_scope(|| {
                    tracing::warn!(kind = e.kind(), reason = e.reason(), "LLM call failed")
                });
            }
        }
        result
    }

    async fn complete_json_inner<T: DeserializeOwned>(
        &self,
        system: &str,
        user: &str,
        schema_name: &str,
        schema: serde_json::Value,
        deadline: Instant,
    ) -> Result<JsonCompletion<T>, LlmError> {
        self.check_config()?;
        let validator = jsonschema::validator_for(&schema).map_err(|e| LlmError::BadSchema {
            reason: format!("schema {schema_name:?}: {e}"),
        })?;
        let portable = portable_schema(&schema);
        let response_format = |schema: &serde_json::Value| ResponseFormat::JsonSchema {
            json_schema: ResponseFormatJsonSchema {
                description: None,
                name: schema_name.to_string(),
                schema: schema.clone(),
                strict: Some(true),
            },
        };
        let mut messages = vec![ChatMessage::system(system), ChatMessage::user(user)];
        let mut usage = UsageTotal::default();
        let mut last_error: Option<LlmError> = None;

        let mut attempt = 0u32;
        let mut max_attempts = 2u32;
        let mut retrying = false;
        while attempt < max_attempts {
            attempt += 1;
            let now = Instant::now();
            let remaining = deadline.saturating_duration_since(now);
            if remaining < MIN_ATTEMPT_BUDGET {
                return Err(match last_error {
                    // The retry had no time left: report why the first attempt failed.
                    Some(e) => e,
                    None => LlmError::Timeout {
                        reason: "no time left before the deadline to ask the LLM".into(),
                    },
                });
            }
            let budget = remaining.min(self.inner.timeout);
            let mut request = self.request(&messages);
            let send_portable = self.inner.portable_schema.load(Ordering::Relaxed);
            request.response_format = Some(response_format(if send_portable {
                &portable
            } else {
                &schema
            }));

            let span = tracing::info_span!(
                "llm.attempt",
                attempt,
                budget_ms = budget.as_millis() as u64,
                prompt_tokens = field::Empty,
                completion_tokens = field::Empty,
            );
            let started = std::time::Instant::now();
            let sent = tokio::time::timeout(budget, self.inner.client.chat().create(request))
                .instrument(span.clone())
                .await;
            let response = match sent {
                Err(_elapsed) => {
                    return Err(LlmError::Timeout {
                        reason: format!(
                            "no answer from the LLM at {} within {:.1} s{}",
                            self.inner.base_url,
                            budget.as_secs_f64(),
                            if retrying { " (on the retry)" } else { "" }
                        ),
                    });
                }
                Ok(Err(e)) => {
                    if !send_portable && portable != schema && rejects_schema(&e) {
                        // Not counted as the retry: this is negotiation, not failure.
                        self.inner.portable_schema.store(true, Ordering::Relaxed);
                        span.in_scope(|| {
                            tracing::warn!(
                                "the LLM endpoint rejected the schema's constraint keywords; \
                                 sending schemas without them from now on"
                            )
                        });
                        max_attempts += 1;
                        continue;
                    }
                    let (e, transient) = self.classify_api_error(e);
                    span.in_scope(|| {
                        tracing::warn!(kind = e.kind(), reason = e.reason(), "LLM attempt failed")
                    });
                    if !transient || attempt == max_attempts {
                        return Err(e);
                    }
                    last_error = Some(e);
                    retrying = true;
                    if deadline.saturating_duration_since(Instant::now())
                        > TRANSIENT_RETRY_PAUSE + MIN_ATTEMPT_BUDGET
                    {
                        tokio::time::sleep(TRANSIENT_RETRY_PAUSE).await;
                    }
                    continue;
                }
                Ok(Ok(response)) => response,
            };

            let (content, counted) = self.account(&response, &messages, &mut usage);
            span.record("prompt_tokens", counted.0);
            span.record("completion_tokens", counted.1);
            span.in_scope(|| {
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    chars = content.as_deref().map_or(0, str::len),
                    "LLM answered"
                )
            });

            match parse_answer::<T>(
                &response,
                content.as_deref(),
                &validator,
                self.inner.max_tokens,
            ) {
                Ok(value) => {
                    return Ok(JsonCompletion {
                        value,
                        prompt_tokens: usage.prompt,
                        completion_tokens: usage.completion,
                        tokens_estimated: usage.estimated,
                        model: if response.model.is_empty() {
                            self.inner.model.clone()
                        } else {
                            response.model.clone()
                        },
                        attempts: attempt,
                    });
                }
                Err(reason) => {
                    span.in_scope(|| tracing::warn!(%reason, "LLM answer rejected"));
                    let error = LlmError::InvalidOutput {
                        reason: if retrying {
                            format!("{reason} (also on the retry)")
                        } else {
                            reason.clone()
                        },
                    };
                    if attempt == max_attempts {
                        return Err(error);
                    }
                    // Tell the model what was wrong, once.
                    if let Some(previous) = content {
                        messages.push(ChatMessage::assistant(excerpt(&previous, 2000)));
                    }
                    messages.push(ChatMessage::user(format!(
                        "Your previous answer was rejected: {reason}. Answer again with only a JSON object that follows the {schema_name} schema exactly."
                    )));
                    last_error = Some(error);
                    retrying = true;
                }
            }
        }
        Err(last_error.unwrap_or_else(|| LlmError::Unavailable {
            reason: "the LLM gave no answer".into(),
        }))
    }

    /// Stream a chat answer as text deltas, ending with [`StreamEvent::Finished`].
    ///
    /// The response must start within the request timeout (and before `deadline`, if
    /// given); after that, each chunk must follow the previous one within the idle
    /// timeout (`[llm] stream_idle_secs`), else the stream yields
    /// [`LlmError::Stalled`] and ends. `max_tokens` and `temperature` default to the
    /// configured values.
    pub async fn chat_stream(
        &self,
        messages: &[ChatMessage],
        max_tokens: Option<u32>,
        temperature: Option<f32>,
        deadline: Option<Instant>,
    ) -> Result<ChatStream, LlmError> {
        self.check_config()?;
        let span = tracing::info_span!(
            "llm.chat_stream",
            model = %self.inner.model,
            messages = messages.len(),
        );
        let mut request = self.request(messages);
        if let Some(max) = max_tokens {
            request.max_completion_tokens = Some(max.max(1));
        }
        if let Some(t) = temperature {
            request.temperature = Some(t);
        }
        request.stream = Some(true);
        request.stream_options = Some(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        });

        let mut open_budget = self.inner.timeout;
        if let Some(deadline) = deadline {
            open_budget = open_budget.min(deadline.saturating_duration_since(Instant::now()));
        }
        let opened =
            tokio::time::timeout(open_budget, self.inner.client.chat().create_stream(request))
                .instrument(span.clone())
                .await;
        let upstream = match opened {
            Err(_) => {
                return Err(LlmError::Timeout {
                    reason: format!(
                        "the LLM at {} did not start answering within {:.1} s",
                        self.inner.base_url,
                        open_budget.as_secs_f64()
                    ),
                })
            }
            Ok(Err(e)) => return Err(self.map_api_error(e)),
            Ok(Ok(stream)) => stream,
        };

        let idle = self.inner.stream_idle;
        let first_chunk = self.inner.timeout;
        let span = span.clone();
        let initial = (StreamState::default(), upstream);
        let stream = futures::stream::unfold(initial, move |(mut state, mut upstream)| {
            let span = span.clone();
            async move {
                if state.done {
                    return None;
                }
                loop {
                    // The first text may wait for prompt processing (a server can send
                    // the empty role chunk before that): allow the request timeout.
                    // After it, chunks must keep coming within the idle timeout.
                    let mut wait = if state.deltas == 0 { first_chunk } else { idle };
                    if let Some(deadline) = deadline {
                        wait = wait.min(deadline.saturating_duration_since(Instant::now()));
                    }
                    let next = tokio::time::timeout(wait, upstream.next()).await;
                    match next {
                        Err(_) => {
                            state.done = true;
                            let error = if deadline.is_some_and(|d| Instant::now() >= d) {
                                LlmError::Timeout {
                                    reason: "the LLM answer did not finish before the deadline"
                                        .into(),
                                }
                            } else {
                                LlmError::Stalled {
                                    reason: format!(
                                        "no data from the LLM for {:.1} s after {} chunks",
                                        wait.as_secs_f64(),
                                        state.chunks
                                    ),
                                }
                            };
                            tracing::warn!(parent: &span, kind = error.kind(), reason = error.reason(), "LLM stream failed");
                            return Some((Err(error), (state, upstream)));
                        }
                        Ok(None) => {
                            state.done = true;
                            tracing::debug!(parent: &span, chunks = state.chunks, "LLM stream finished");
                            return Some((
                                Ok(StreamEvent::Finished {
                                    finish_reason: state.finish_reason.take(),
                                    prompt_tokens: state.usage.map(|u| u.0),
                                    completion_tokens: state.usage.map(|u| u.1),
                                }),
                                (state, upstream),
                            ));
                        }
                        Ok(Some(Err(e))) => {
                            state.done = true;
                            let e = map_stream_error(e);
                            return Some((Err(e), (state, upstream)));
                        }
                        Ok(Some(Ok(chunk))) => {
                            state.chunks += 1;
                            if let Some(u) = &chunk.usage {
                                state.usage = Some((u.prompt_tokens, u.completion_tokens));
                            }
                            let mut text = String::new();
                            for choice in &chunk.choices {
                                if let Some(reason) = &choice.finish_reason {
                                    state.finish_reason = Some(finish_reason_name(reason).into());
                                }
                                if let Some(delta) = &choice.delta.content {
                                    text.push_str(delta);
                                }
                            }
                            if !text.is_empty() {
                                state.deltas += 1;
                                return Some((Ok(StreamEvent::Delta(text)), (state, upstream)));
                            }
                        }
                    }
                }
            }
        });
        Ok(Box::pin(stream))
    }

    /// Whether the server answers `GET /models` within a few seconds (readiness).
    pub async fn ping(&self) -> Result<(), LlmError> {
        self.check_config()?;
        use async_openai::config::Config;
        let request = reqwest::Client::new()
            .get(format!("{}/models", self.inner.base_url))
            .headers(self.inner.client.config().headers())
            .timeout(PING_TIMEOUT)
            .send();
        match tokio::time::timeout(PING_TIMEOUT, request).await {
            Ok(Ok(r)) if r.status().is_success() => Ok(()),
            Ok(Ok(r)) => Err(LlmError::Unavailable {
                reason: format!("GET /models answered HTTP {}", r.status()),
            }),
            Ok(Err(e)) => Err(LlmError::Unavailable {
                reason: format!("GET /models failed: {e}"),
            }),
            Err(_) => Err(LlmError::Timeout {
                reason: format!("GET /models did not answer within {PING_TIMEOUT:?}"),
            }),
        }
    }

    fn check_config(&self) -> Result<(), LlmError> {
        match &self.inner.config_error {
            Some(reason) => Err(LlmError::Unavailable {
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    // `seed` is deprecated in OpenAI's own API (kept there as best effort); llama.cpp,
    // vLLM and Ollama honour it, and it is what makes their answers reproducible.
    #[allow(deprecated)]
    fn request(&self, messages: &[ChatMessage]) -> CreateChatCompletionRequest {
        CreateChatCompletionRequest {
            model: self.inner.model.clone(),
            messages: messages.iter().map(to_openai_message).collect(),
            // max_completion_tokens, not the deprecated max_tokens: OpenAI's newer models
            // reject max_tokens; llama.cpp, vLLM and Ollama accept both.
            max_completion_tokens: Some(self.inner.max_tokens),
            temperature: Some(self.inner.temperature),
            seed: self.inner.seed,
            ..Default::default()
        }
    }

    /// Add this response's usage to the total (estimating when the server sent none)
    /// and return the answer text and this attempt's (prompt, completion) counts.
    fn account(
        &self,
        response: &CreateChatCompletionResponse,
        messages: &[ChatMessage],
        total: &mut UsageTotal,
    ) -> (Option<String>, (u32, u32)) {
        let content = response
            .choices
            .first()
            .and_then(|c| c.message.content.clone());
        let counted = match &response.usage {
            Some(CompletionUsage {
                prompt_tokens,
                completion_tokens,
                ..
            }) => (*prompt_tokens, *completion_tokens),
            None => {
                total.estimated = true;
                (
                    estimate_prompt_tokens(&self.inner.model, messages),
                    count_tokens(&self.inner.model, content.as_deref().unwrap_or("")),
                )
            }
        };
        total.prompt += counted.0;
        total.completion += counted.1;
        (content, counted)
    }

    fn map_api_error(&self, error: OpenAIError) -> LlmError {
        self.classify_api_error(error).0
    }

    /// The error to report, and whether it is transient (worth one retry): connection
    /// failures, HTTP 5xx, and 429 rate limits (not an exhausted quota).
    fn classify_api_error(&self, error: OpenAIError) -> (LlmError, bool) {
        let base = &self.inner.base_url;
        let unavailable = |reason: String| LlmError::Unavailable { reason };
        match error {
            OpenAIError::Reqwest(e) => {
                let cause = root_cause(&e);
                let reason = if e.is_connect() {
                    format!("could not connect to the LLM at {base} ({cause})")
                } else if e.is_timeout() {
                    format!("the request to the LLM at {base} timed out ({cause})")
                } else if e.is_body() || e.is_decode() {
                    format!("the LLM at {base} sent a broken response ({cause})")
                } else {
                    format!("the request to the LLM at {base} failed ({cause})")
                };
                (unavailable(reason), true)
            }
            OpenAIError::ApiError(api) => {
                let status = api.status_code.as_u16();
                let quota = api.api_error.r#type.as_deref() == Some("insufficient_quota");
                let message = excerpt(api.api_error.message.trim(), REASON_EXCERPT_CHARS);
                let hint = match status {
                    401 | 403 => " (check [llm] api_key / STARCOACH__LLM__API_KEY)",
                    404 => " (does [llm] base_url end in /v1, and does it serve [llm] model?)",
                    429 if quota => " (quota exhausted)",
                    429 => " (rate limited)",
                    _ => "",
                };
                let reason = if message.is_empty() {
                    format!("the LLM at {base} answered HTTP {status}{hint}")
                } else {
                    format!("the LLM at {base} answered HTTP {status}: {message}{hint}")
                };
                let transient = status >= 500 || (status == 429 && !quota);
                (unavailable(reason), transient)
            }
            OpenAIError::JSONDeserialize(e, body) => (
                unavailable(format!(
                    "the LLM at {base} sent a response that is not a chat completion ({e}): {}",
                    excerpt(body.trim(), 80)
                )),
                false,
            ),
            OpenAIError::StreamError(e) => (
                unavailable(format!("the LLM stream from {base} broke: {e}")),
                true,
            ),
            other => (
                unavailable(format!("the request to the LLM at {base} failed: {other}")),
                false,
            ),
        }
    }
}

/// The state carried between items of a chat stream.
#[derive(Default)]
struct StreamState {
    chunks: u64,
    /// Chunks that carried text.
    deltas: u64,
    done: bool,
    finish_reason: Option<String>,
    usage: Option<(u32, u32)>,
}

fn to_openai_message(message: &ChatMessage) -> ChatCompletionRequestMessage {
    let content = message.content.as_str();
    match message.role {
        ChatRole::System => ChatCompletionRequestSystemMessage::from(content).into(),
        ChatRole::User => ChatCompletionRequestUserMessage::from(content).into(),
        ChatRole::Assistant => ChatCompletionRequestAssistantMessage::from(content).into(),
    }
}

/// Token counts summed over attempts.
#[derive(Debug, Default)]
struct UsageTotal {
    prompt: u32,
    completion: u32,
    estimated: bool,
}

/// Check one answer: present, complete, JSON, valid against the schema, fits `T`.
/// The error is the reason to report (and to tell the model on the retry).
fn parse_answer<T: DeserializeOwned>(
    response: &CreateChatCompletionResponse,
    content: Option<&str>,
    validator: &jsonschema::Validator,
    max_tokens: u32,
) -> Result<T, String> {
    let choice = response
        .choices
        .first()
        .ok_or_else(|| "the LLM response had no choices".to_string())?;
    if let Some(refusal) = choice.message.refusal.as_deref().filter(|r| !r.is_empty()) {
        return Err(format!(
            "the model refused: {}",
            excerpt(refusal, REASON_EXCERPT_CHARS)
        ));
    }
    let content = content.map(str::trim).unwrap_or("");
    if content.is_empty() {
        return Err("the model's answer was empty".into());
    }
    let truncated = matches!(choice.finish_reason, Some(FinishReason::Length));
    let json_text = strip_code_fence(content);
    let value: serde_json::Value = match serde_json::from_str(json_text) {
        Ok(v) => v,
        Err(_) if truncated => {
            return Err(format!(
                "the answer was cut off at max_tokens ({max_tokens}) before the JSON was complete"
            ))
        }
        Err(e) => {
            return Err(format!(
                "the answer is not valid JSON ({e}): {}",
                excerpt(json_text, 80)
            ))
        }
    };
    let violations: Vec<String> = validator
        .iter_errors(&value)
        .take(3)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            format!("{at}: {}", excerpt(&e.to_string(), 100))
        })
        .collect();
    if !violations.is_empty() {
        return Err(format!(
            "the JSON does not follow the schema: {}",
            violations.join("; ")
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        format!(
            "the JSON does not fit the expected shape at {}: {}",
            e.path(),
            excerpt(&e.inner().to_string(), 100)
        )
    })
}

/// Keywords that strict structured-output modes of hosted APIs (OpenAI, Azure) refuse.
const CONSTRAINT_KEYWORDS: &[&str] = &[
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// `schema` without [`CONSTRAINT_KEYWORDS`], walking only schema positions (so a
/// property that happens to be called `pattern` keeps its place).
fn portable_schema(schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        if CONSTRAINT_KEYWORDS.contains(&key.as_str()) {
            continue;
        }
        let value = match (key.as_str(), value) {
            ("properties" | "$defs" | "definitions" | "patternProperties", Value::Object(m)) => {
                Value::Object(
                    m.iter()
                        .map(|(k, v)| (k.clone(), portable_schema(v)))
                        .collect(),
                )
            }
            ("anyOf" | "oneOf" | "allOf" | "prefixItems", Value::Array(items)) => {
                Value::Array(items.iter().map(portable_schema).collect())
            }
            ("items" | "additionalProperties" | "not", v) => portable_schema(v),
            (_, v) => v.clone(),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// An HTTP 400 that blames the schema or the response format.
fn rejects_schema(error: &OpenAIError) -> bool {
    match error {
        OpenAIError::ApiError(api) if api.status_code.as_u16() == 400 => {
            let message = api.api_error.message.to_lowercase();
            message.contains("schema") || message.contains("response_format")
        }
        _ => false,
    }
}

/// Models without grammar enforcement often wrap JSON in a Markdown fence.
fn strip_code_fence(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

fn bpe(model: &str) -> &'static tiktoken_rs::CoreBPE {
    tiktoken_rs::bpe_for_model(model).unwrap_or_else(|_| tiktoken_rs::o200k_base_singleton())
}

/// Tokens in `text` with the model's tiktoken encoding (o200k_base for unknown models).
fn count_tokens(model: &str, text: &str) -> u32 {
    bpe(model).encode_ordinary(text).len() as u32
}

/// Prompt tokens of a chat: the messages plus ~4 tokens of framing each, +3 for the
/// reply priming (OpenAI's documented approximation).
fn estimate_prompt_tokens(model: &str, messages: &[ChatMessage]) -> u32 {
    3 + messages
        .iter()
        .map(|m| 4 + count_tokens(model, &m.content))
        .sum::<u32>()
}

fn map_stream_error(error: OpenAIError) -> LlmError {
    match error {
        OpenAIError::StreamError(e) => LlmError::Unavailable {
            reason: format!(
                "the LLM stream broke: {}",
                excerpt(&e.to_string(), REASON_EXCERPT_CHARS)
            ),
        },
        OpenAIError::JSONDeserialize(e, body) => LlmError::Unavailable {
            reason: format!(
                "the LLM stream sent a chunk that is not a chat completion chunk ({e}): {}",
                excerpt(body.trim(), 80)
            ),
        },
        other => LlmError::Unavailable {
            reason: format!(
                "the LLM stream failed: {}",
                excerpt(&other.to_string(), REASON_EXCERPT_CHARS)
            ),
        },
    }
}

fn finish_reason_name(reason: &FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
}

/// The innermost cause of an error chain (reqwest's top level says little).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    excerpt(&cause.to_string(), REASON_EXCERPT_CHARS)
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(base_url: &str, key: &str) -> LlmSettings {
        LlmSettings {
            base_url: base_url.into(),
            api_key: ApiKey::new(key),
            ..LlmSettings::default()
        }
    }

    #[test]
    fn empty_base_url_means_no_client() {
        assert!(LlmClient::from_settings(&settings("", "")).is_none());
        assert!(LlmClient::from_settings(&settings("  ", "")).is_none());
        let client = LlmClient::from_settings(&settings("http://127.0.0.1:9/v1/", "")).unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:9/v1");
    }

    #[test]
    fn api_key_is_never_in_debug_output() {
        let s = settings("http://127.0.0.1:9/v1", "sk-very-secret");
        let shown = format!("{s:?} {:?}", LlmClient::from_settings(&s).unwrap());
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("ApiKey(redacted)"), "{shown}");
        assert_eq!(format!("{:?}", ApiKey::default()), "ApiKey(empty)");
    }

    #[tokio::test]
    async fn malformed_settings_surface_as_unavailable_with_the_setting() {
        let deadline = Instant::now() + Duration::from_secs(1);
        for (url, key, needle) in [
            ("127.0.0.1:8080/v1", "", "base_url"),
            ("http://127.0.0.1:9/v1", "sk bad\n", "api_key"),
        ] {
            let client = LlmClient::from_settings(&settings(url, key)).unwrap();
            let err = client
                .complete_json::<serde_json::Value>("s", "u", "x", serde_json::json!({}), deadline)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), "unavailable");
            assert!(err.reason().contains(needle), "{err}");
        }
    }

    #[test]
    fn portable_schema_drops_constraints_but_not_properties_named_like_them() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "pattern": { "type": "string", "maxLength": 5 },
                "list": { "type": "array", "maxItems": 2, "items": { "type": "integer", "minimum": 1 } }
            },
            "required": ["pattern", "list"],
            "additionalProperties": false
        });
        assert_eq!(
            portable_schema(&schema),
            serde_json::json!({
                "type": "object",
                "properties": {
                    "pattern": { "type": "string" },
                    "list": { "type": "array", "items": { "type": "integer" } }
                },
                "required": ["pattern", "list"],
                "additionalProperties": false
            })
        );
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns figment::Error
    fn llm_settings_load_from_old_configs_and_the_key_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            // An old config without [llm]: still loads, no LLM.
            jail.create_file("default.toml", "default_user = \"old\"")?;
            let settings = crate::config::Settings::load(jail.directory()).unwrap();
            assert_eq!(settings.llm, LlmSettings::default());
            assert!(LlmClient::from_settings(&settings.llm).is_none());

            jail.create_file(
                "local.toml",
                "[llm]\nbase_url = \"http://127.0.0.1:8080/v1\"\nmodel = \"m\"",
            )?;
            jail.set_env("STARCOACH__LLM__API_KEY", "sk-from-env");
            let settings = crate::config::Settings::load(jail.directory()).unwrap();
            assert_eq!(settings.llm.model, "m");
            assert_eq!(
                settings.llm.timeout_secs,
                LlmSettings::default().timeout_secs
            );
            assert_eq!(settings.llm.api_key.expose(), "sk-from-env");
            assert!(!format!("{settings:?}").contains("sk-from-env"));
            let json = serde_json::to_string(&settings).unwrap();
            assert!(!json.contains("sk-from-env"), "never serialized: {json}");
            Ok(())
        });
    }

    #[test]
    fn code_fences_are_stripped() {
        assert_eq!(strip_code_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_code_fence(" {\"a\":1} "), "{\"a\":1}");
    }

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("héllo", 2), "hé…");
        assert_eq!(excerpt("hi", 5), "hi");
    }

    #[test]
    fn token_estimates_are_positive() {
        let n = estimate_prompt_tokens("smollm2-135m", &[ChatMessage::user("Hello there")]);
        assert!(n > 7, "{n}");
        assert_eq!(count_tokens("gpt-4o", ""), 0);
    }
}
