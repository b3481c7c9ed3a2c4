//! The LLM client against a REAL local model: llama.cpp's server (PyPI `xllamacpp`) with
//! SmolLM2-135M-Instruct, started by `support::llm_server` (install it with
//! `bash scripts/setup-llm.sh`). These tests check the plumbing (request, schema,
//! parsing, usage, streaming), never the wisdom of a 135M model.

mod support;

use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use starcoach::config::LlmSettings;
use starcoach::llm::{ChatMessage, LlmClient, StreamEvent};
use std::time::Instant;
use support::llm_server::{LlmServer, MODEL};

/// Generous: 2 cores shared with other test binaries and builds.
const DEADLINE: Duration = Duration::from_secs(90);

fn client() -> LlmClient {
    let server = LlmServer::shared();
    LlmClient::from_settings(&LlmSettings {
        base_url: server.base_url(),
        model: MODEL.into(),
        timeout_secs: 90,
        max_tokens: 256,
        temperature: 0.2,
        ..LlmSettings::default()
    })
    .unwrap()
}

#[derive(Debug, Deserialize)]
struct Summary {
    title: String,
    summary: String,
    score: u8,
    tags: Vec<String>,
}

fn summary_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "title": { "type": "string", "maxLength": 40 },
            "summary": { "type": "string", "maxLength": 120 },
            "score": { "type": "integer", "minimum": 1, "maximum": 5 },
            "tags": {
                "type": "array",
                "items": { "type": "string", "maxLength": 20 },
                "maxItems": 3
            }
        },
        "required": ["title", "summary", "score", "tags"],
        "additionalProperties": false
    })
}

#[tokio::test]
async fn complete_json_returns_a_schema_valid_value_with_token_counts() {
    let llm = client();
    let started = Instant::now();
    let done = llm
        .complete_json::<Summary>(
            "You summarise interview stories. Answer with JSON only.",
            "Story: Our payment service went down on Black Friday. I led the rollback, \
             found a bad connection-pool setting and restored service in 40 minutes. \
             Give a title, a one-sentence summary, a score from 1 to 5 and up to 3 tags.",
            "story_summary",
            summary_schema(),
            started + DEADLINE,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let elapsed = started.elapsed();
    let v = &done.value;
    assert!(v.title.chars().count() <= 40, "{v:?}");
    assert!(v.summary.chars().count() <= 120, "{v:?}");
    assert!((1..=5).contains(&v.score), "{v:?}");
    assert!(
        v.tags.len() <= 3 && v.tags.iter().all(|t| t.chars().count() <= 20),
        "{v:?}"
    );
    assert!(
        done.prompt_tokens > 0 && done.completion_tokens > 0,
        "{done:?}"
    );
    assert!(!done.tokens_estimated, "llama.cpp reports usage");
    assert_eq!(done.model, MODEL);
    eprintln!(
        "complete_json: {:.2} s, {} prompt + {} completion tokens, {} attempt(s), {:.0} completion tokens/s end-to-end: {v:?}",
        elapsed.as_secs_f64(),
        done.prompt_tokens,
        done.completion_tokens,
        done.attempts,
        done.completion_tokens as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::test]
async fn chat_stream_yields_deltas_then_usage() {
    let llm = client();
    let started = Instant::now();
    let mut stream = llm
        .chat_stream(
            &[
                ChatMessage::system("You are a concise interview coach."),
                ChatMessage::user("Name one thing a strong STAR answer has."),
            ],
            Some(48),
            Some(0.0),
            Some(started + DEADLINE),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut text = String::new();
    let mut deltas = 0;
    let mut finished = None;
    while let Some(event) = stream.next().await {
        match event.unwrap_or_else(|e| panic!("{e}")) {
            StreamEvent::Delta(d) => {
                deltas += 1;
                text.push_str(&d);
            }
            f @ StreamEvent::Finished { .. } => finished = Some(f),
        }
    }
    let elapsed = started.elapsed();
    assert!(deltas > 1, "streamed in pieces: {deltas}");
    assert!(!text.trim().is_empty());
    let Some(StreamEvent::Finished {
        finish_reason,
        prompt_tokens,
        completion_tokens,
    }) = finished
    else {
        panic!("no Finished event")
    };
    assert!(
        matches!(finish_reason.as_deref(), Some("stop" | "length")),
        "{finish_reason:?}"
    );
    assert!(prompt_tokens.unwrap_or(0) > 0, "usage in the last chunk");
    let completion = completion_tokens.unwrap_or(0);
    assert!(completion > 0 && completion <= 48, "{completion}");
    eprintln!(
        "chat_stream: {deltas} deltas, {completion} tokens in {:.2} s ({:.0} tokens/s incl. prompt): {text:?}",
        elapsed.as_secs_f64(),
        completion as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::test]
async fn a_tiny_deadline_gives_a_timeout_not_a_hang() {
    let llm = client();
    let started = Instant::now();
    let result = llm
        .complete_json::<Summary>(
            "You summarise.",
            "Write a long summary of the history of computing.",
            "story_summary",
            summary_schema(),
            started + Duration::from_millis(400),
        )
        .await;
    // SmolLM2 cannot finish this in 400 ms on 2 shared cores; either way it must
    // return by the deadline.
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    if let Err(e) = result {
        assert_eq!(e.kind(), "timeout", "{e}");
    }
}
