//! The HTTP API over a real server on port 0 (spawn_app style), real model and store.

mod common;

use std::net::SocketAddr;
use std::path::Path;

use serde_json::{json, Value};
use starcoach::ingest::NoProgress;

struct TestApp {
    addr: SocketAddr,
    client: reqwest::Client,
    _tmp: tempfile::TempDir,
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn post_match(&self, body: Value) -> reqwest::Response {
        self.client
            .post(self.url("/v1/stories/match"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

async fn spawn_app() -> TestApp {
    let tmp = tempfile::tempdir().unwrap();
    let coach = common::coach(&tmp.path().join("store"));
    common::ingest_corpus(&coach, "local").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(starcoach::http::serve_on(coach, listener));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        _tmp: tmp,
    }
}

async fn assert_problem(response: reqwest::Response, status: u16, field: &str) {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["field"], field, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn health_and_match_and_every_bad_input() {
    let app = spawn_app().await;

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));

    // A good request: same shape as the CLI's --json.
    let response = app
        .post_match(
            json!({"question": "Tell me about a time you disagreed with your manager", "top_k": 3}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let stories = body["stories"].as_array().unwrap();
    assert_eq!(stories.len(), 3);
    assert_eq!(stories[0]["rank"], 1);
    for key in [
        "doc_id",
        "title",
        "source",
        "lines",
        "score",
        "best_passage",
    ] {
        assert!(stories[0].get(key).is_some(), "missing {key}");
    }
    let scores: Vec<f64> = stories
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ranked by score: {scores:?}"
    );

    // Default top_k.
    let response = app
        .post_match(json!({"question": "a conflict with a peer"}))
        .await;
    assert_eq!(response.status(), 200);

    assert_problem(
        app.post_match(json!({"question": "   ", "top_k": 3})).await,
        422,
        "question",
    )
    .await;
    assert_problem(
        app.post_match(json!({"question": "x".repeat(2001)})).await,
        422,
        "question",
    )
    .await;
    assert_problem(
        app.post_match(json!({"question": "q", "top_k": 0})).await,
        422,
        "top_k",
    )
    .await;
    assert_problem(
        app.post_match(json!({"question": "q", "top_k": 21})).await,
        422,
        "top_k",
    )
    .await;
    assert_problem(
        app.post_match(json!({"question": "q", "top_k": -1})).await,
        422,
        "top_k",
    )
    .await;
    assert_problem(
        app.post_match(json!({"question": 7})).await,
        422,
        "question",
    )
    .await;
    assert_problem(app.post_match(json!({"top_k": 3})).await, 422, "question").await;
    assert_problem(
        app.post_match(json!({"question": "q", "topk": 3})).await,
        422,
        "topk",
    )
    .await;

    let malformed = app
        .client
        .post(app.url("/v1/stories/match"))
        .header("content-type", "application/json")
        .body("{\"question\": ")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, 400, "body").await;

    let not_json = app
        .client
        .post(app.url("/v1/stories/match"))
        .header("content-type", "text/plain")
        .body("question=hi")
        .send()
        .await
        .unwrap();
    assert_problem(not_json, 415, "body").await;

    let oversized = app
        .client
        .post(app.url("/v1/stories/match"))
        .header("content-type", "application/json")
        .body(format!("{{\"question\": \"{}\"}}", "a".repeat(200_000)))
        .send()
        .await
        .unwrap();
    assert_problem(oversized, 413, "body").await;

    let unknown = app.client.get(app.url("/v1/nope")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn api_keys_map_callers_to_their_own_stories() {
    use starcoach::http::{hash_key, ApiKeyEntry};
    let tmp = tempfile::tempdir().unwrap();
    let base = common::coach(&tmp.path().join("store"));
    base.ingestor()
        .ingest_paths("alice", &[common::corpus_dir()], &NoProgress)
        .await
        .unwrap();
    let mut settings = (*base.settings()).clone();
    settings.server.api_keys = vec![
        ApiKeyEntry {
            user: "alice".into(),
            key_sha256: hash_key("alice-key"),
        },
        ApiKeyEntry {
            user: "bob".into(),
            key_sha256: hash_key("bob-key"),
        },
    ];
    let coach =
        starcoach::app::Coach::from_parts(settings, base.store().clone(), base.embedder().clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(starcoach::http::serve_on(coach, listener));
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/stories/match");
    let body = json!({"question": "Tell me about a time you mentored someone", "top_k": 3});

    let anonymous = client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );

    let wrong = client
        .post(&url)
        .bearer_auth("alice-key-guess")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let alice: Value = client
        .post(&url)
        .bearer_auth("alice-key")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(alice["user"], "alice");
    assert_eq!(alice["stories"].as_array().unwrap().len(), 3);

    let bob: Value = client
        .post(&url)
        .bearer_auth("bob-key")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bob["user"], "bob");
    assert!(
        bob["stories"].as_array().unwrap().is_empty(),
        "bob must not see alice's stories"
    );
}

#[tokio::test]
async fn critique_over_http_takes_text_or_whisper_json_and_names_bad_fields() {
    let app = spawn_app().await;
    let url = app.url("/v1/answers/critique");
    let transcript = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/critique/priya_conflict.txt"),
    )
    .unwrap();
    let response = app
        .client
        .post(&url)
        .json(&json!({"transcript": transcript}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["llm"], "unavailable");
    assert!(body["llm_reason"].as_str().unwrap().contains("no LLM"));
    assert_eq!(body["question_source"], "transcript");
    assert_eq!(body["scores"].as_array().unwrap().len(), 5);
    assert_eq!(body["changes"].as_array().unwrap().len(), 3);
    assert_eq!(
        body["grounding"]["told_story"]["title"],
        "Rate limiter rewrite and Priya"
    );
    assert!(body["analysis"]["word_count"].as_u64().unwrap() > 200);

    // Whisper JSON as an object (larger than the 64 KiB limit of other routes is fine).
    let words: Vec<Value> = (0..3000)
        .map(|i| json!({"word": " I", "start": i as f64 * 0.3, "end": i as f64 * 0.3 + 0.2}))
        .collect();
    let whisper = json!({"segments": [
        {"start": 0.0, "end": 4.0, "text": " I fixed the flaky deploy pipeline at my last job.", "words": [
            {"word": " I", "start": 0.0, "end": 0.2}, {"word": " fixed", "start": 0.3, "end": 0.6},
            {"word": " the", "start": 0.7, "end": 0.8}, {"word": " flaky", "start": 0.9, "end": 1.2},
            {"word": " deploy", "start": 1.3, "end": 1.6}, {"word": " pipeline", "start": 1.7, "end": 2.2},
            {"word": " at", "start": 2.3, "end": 2.4}, {"word": " my", "start": 2.5, "end": 2.6},
            {"word": " last", "start": 2.7, "end": 2.9}, {"word": " job.", "start": 3.0, "end": 3.5}]},
        {"start": 4.5, "end": 8.0, "text": " As a result, deploys went from 40 minutes to 5."}
    ], "padding": words});
    let response = app
        .client
        .post(&url)
        .json(&json!({"question": "Tell me about a time you improved a process", "transcript": whisper}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let cases = [
        (
            json!({"transcript": "I fixed it and it worked well."}),
            "question",
        ),
        (
            json!({"question": "q", "transcript": "WEBVTT\n\n00:00:09.000 --> 00:00:01.000\nhi\n"}),
            "transcript",
        ),
        (
            json!({"question": "q", "transcript": {"segments": "nope"}}),
            "transcript",
        ),
        (
            json!({"question": "q", "transcript": "hi", "format": "mp3"}),
            "format",
        ),
        (json!({"question": "q"}), "transcript"),
        (
            json!({"question": "q", "transcript": "hi there", "extra": 1}),
            "extra",
        ),
    ];
    for (body, field) in cases {
        let response = app.client.post(&url).json(&body).send().await.unwrap();
        assert_problem(response, 422, field).await;
    }
}
