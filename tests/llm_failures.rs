//! Failure injection for the LLM client against a deliberately FAKE server
//! (`support::fake_llm::FakeLlmServer`): every way the LLM can fail must end in the
//! right `LlmError`, with a reason, before the caller's deadline.

mod support;

use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use starcoach::config::LlmSettings;
use starcoach::llm::{ApiKey, ChatMessage, LlmClient, LlmError, StreamEvent};
use std::time::Instant;
use support::fake_llm::{FakeBehavior, FakeLlmServer};

/// Slack allowed past a deadline for scheduling and connection teardown.
const MARGIN: Duration = Duration::from_millis(500);

#[derive(Debug, Deserialize, PartialEq)]
struct Verdict {
    title: String,
    score: u8,
}

fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "title": { "type": "string", "maxLength": 20 },
            "score": { "type": "integer", "minimum": 1, "maximum": 5 }
        },
        "required": ["title", "score"],
        "additionalProperties": false
    })
}

fn client(base_url: &str) -> LlmClient {
    client_with(base_url, |_| {})
}

fn client_with(base_url: &str, tweak: impl FnOnce(&mut LlmSettings)) -> LlmClient {
    let mut settings = LlmSettings {
        base_url: base_url.to_string(),
        model: "fake-model".into(),
        timeout_secs: 30,
        ..LlmSettings::default()
    };
    tweak(&mut settings);
    LlmClient::from_settings(&settings).expect("base_url is set")
}

async fn ask(client: &LlmClient, within: Duration) -> (Result<Verdict, LlmError>, Duration) {
    let started = Instant::now();
    let deadline = started + within;
    let result = client
        .complete_json::<Verdict>("You judge.", "Judge this.", "verdict", schema(), deadline)
        .await
        .map(|done| done.value);
    (result, started.elapsed())
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_at_the_deadline() {
    let fake = FakeLlmServer::start(FakeBehavior::Hang).await;
    let deadline = Duration::from_millis(1500);
    let (result, elapsed) = ask(&client(&fake.base_url()), deadline).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::Timeout { .. }), "{err:?}");
    assert!(err.reason().contains("no answer"), "{err}");
    assert!(
        elapsed >= deadline - MARGIN && elapsed < deadline + MARGIN,
        "{elapsed:?}"
    );
    assert_eq!(fake.requests(), 1, "no retry after a timeout");
}

#[tokio::test]
async fn the_request_timeout_applies_when_shorter_than_the_deadline() {
    let fake = FakeLlmServer::start(FakeBehavior::Hang).await;
    let llm = client_with(&fake.base_url(), |s| s.timeout_secs = 1);
    let (result, elapsed) = ask(&llm, Duration::from_secs(10)).await;
    assert!(
        matches!(result, Err(LlmError::Timeout { .. })),
        "{result:?}"
    );
    assert!(elapsed < Duration::from_secs(1) + MARGIN, "{elapsed:?}");
    assert_eq!(fake.requests(), 1);
}

#[tokio::test]
async fn an_answer_slower_than_the_deadline_times_out() {
    let fake = FakeLlmServer::start(FakeBehavior::Slow {
        delay: Duration::from_secs(3),
        content: r#"{"title":"late","score":3}"#.into(),
    })
    .await;
    let deadline = Duration::from_millis(800);
    let (result, elapsed) = ask(&client(&fake.base_url()), deadline).await;
    assert!(
        matches!(result, Err(LlmError::Timeout { .. })),
        "{result:?}"
    );
    assert!(elapsed < deadline + MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn http_500_is_unavailable_after_one_retry() {
    let fake = FakeLlmServer::start(FakeBehavior::Status(500, "model crashed".into())).await;
    let deadline = Duration::from_secs(3);
    let (result, elapsed) = ask(&client(&fake.base_url()), deadline).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::Unavailable { .. }), "{err:?}");
    assert!(err.reason().contains("HTTP 500"), "{err}");
    assert!(err.reason().contains("model crashed"), "{err}");
    assert_eq!(
        fake.requests(),
        2,
        "a transient failure is retried exactly once"
    );
    assert!(elapsed < deadline + MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn http_500_with_no_time_left_is_not_retried() {
    let fake = FakeLlmServer::start(FakeBehavior::SlowStatus {
        delay: Duration::from_millis(450),
        code: 503,
        body: "busy".into(),
    })
    .await;
    // After the first answer less than the minimum budget for an attempt (250 ms) is
    // left: the first error is reported instead of starting a doomed retry.
    let deadline = Duration::from_millis(600);
    let (result, elapsed) = ask(&client(&fake.base_url()), deadline).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::Unavailable { .. }), "{err:?}");
    assert!(err.reason().contains("503"), "{err}");
    assert_eq!(fake.requests(), 1);
    assert!(elapsed < deadline + MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn http_401_is_unavailable_without_retry_and_points_at_the_key() {
    let body = r#"{"error":{"message":"Invalid API Key","type":"authentication_error"}}"#;
    let fake = FakeLlmServer::start(FakeBehavior::Status(401, body.into())).await;
    let (result, _) = ask(&client(&fake.base_url()), Duration::from_secs(3)).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::Unavailable { .. }), "{err:?}");
    assert!(
        err.reason().contains("401") && err.reason().contains("api_key"),
        "{err}"
    );
    assert_eq!(fake.requests(), 1, "client errors are not retried");
}

#[tokio::test]
async fn a_closed_port_is_unavailable_quickly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let deadline = Duration::from_secs(3);
    let (result, elapsed) = ask(&client(&format!("http://127.0.0.1:{port}/v1")), deadline).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::Unavailable { .. }), "{err:?}");
    assert!(err.reason().contains("could not connect"), "{err}");
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
}

#[tokio::test]
async fn invalid_json_is_retried_once_then_invalid_output() {
    let fake = FakeLlmServer::start(FakeBehavior::Contents {
        contents: vec!["Sure! Here is my verdict: great answer".into()],
        usage: true,
    })
    .await;
    let deadline = Duration::from_secs(3);
    let (result, elapsed) = ask(&client(&fake.base_url()), deadline).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::InvalidOutput { .. }), "{err:?}");
    assert!(err.reason().contains("not valid JSON"), "{err}");
    assert!(err.reason().contains("also on the retry"), "{err}");
    assert_eq!(fake.requests(), 2);
    assert!(elapsed < deadline + MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn schema_violating_json_is_retried_exactly_once_then_invalid_output() {
    let fake = FakeLlmServer::start(FakeBehavior::Contents {
        contents: vec![
            r#"{"title":"a title that is far too long for the schema","score":9}"#.into(),
        ],
        usage: true,
    })
    .await;
    let deadline = Duration::from_secs(3);
    let (result, elapsed) = ask(&client(&fake.base_url()), deadline).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::InvalidOutput { .. }), "{err:?}");
    assert!(err.reason().contains("does not follow the schema"), "{err}");
    assert!(err.reason().contains("/score"), "{err}");
    assert_eq!(fake.requests(), 2, "exactly one retry");
    assert!(elapsed < deadline + MARGIN, "{elapsed:?}");

    // The retry tells the model what was wrong.
    let retry = &fake.bodies()[1];
    let messages = retry["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4, "{retry}");
    assert_eq!(messages[2]["role"], "assistant");
    let last = messages[3]["content"].as_str().unwrap();
    assert!(
        last.contains("rejected") && last.contains("/score"),
        "{last}"
    );
}

#[tokio::test]
async fn a_good_retry_succeeds_and_tokens_add_up() {
    let fake = FakeLlmServer::start(FakeBehavior::Contents {
        contents: vec!["{not json".into(), r#"{"title":"ok","score":3}"#.into()],
        usage: true,
    })
    .await;
    let llm = client(&fake.base_url());
    let done = llm
        .complete_json::<Verdict>(
            "You judge.",
            "Judge this.",
            "verdict",
            schema(),
            Instant::now() + Duration::from_secs(3),
        )
        .await
        .unwrap();
    assert_eq!(
        done.value,
        Verdict {
            title: "ok".into(),
            score: 3
        }
    );
    assert_eq!(done.attempts, 2);
    assert_eq!((done.prompt_tokens, done.completion_tokens), (22, 14));
    assert!(!done.tokens_estimated);
    assert_eq!(done.model, "fake-llm");
}

#[tokio::test]
async fn the_request_asks_for_strict_json_schema_output() {
    let fake = FakeLlmServer::start(FakeBehavior::Contents {
        contents: vec!["```json\n{\"title\":\"fenced\",\"score\":2}\n```".into()],
        usage: false,
    })
    .await;
    let llm = client_with(&fake.base_url(), |s| {
        s.api_key = ApiKey::new("sk-test-not-logged");
        s.max_tokens = 321;
        s.temperature = 0.0;
        s.seed = 11;
    });
    let done = llm
        .complete_json::<Verdict>(
            "SYSTEM TEXT",
            "USER TEXT",
            "verdict",
            schema(),
            Instant::now() + Duration::from_secs(3),
        )
        .await
        .unwrap();
    assert_eq!(done.value.title, "fenced", "a Markdown fence is tolerated");
    assert!(done.tokens_estimated, "no usage from the server: estimated");
    assert!(done.prompt_tokens > 0 && done.completion_tokens > 0);

    let body = &fake.bodies()[0];
    assert_eq!(body["model"], "fake-model");
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "SYSTEM TEXT"})
    );
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "USER TEXT"})
    );
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["name"], "verdict");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(body["response_format"]["json_schema"]["schema"], schema());
    assert_eq!(body["max_completion_tokens"], 321);
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["seed"], 11);
    assert!(body.get("stream").is_none_or(|s| s == false));
}

#[tokio::test]
async fn a_negative_seed_sends_none() {
    let fake = FakeLlmServer::start(FakeBehavior::Contents {
        contents: vec![r#"{"title":"free","score":3}"#.into()],
        usage: false,
    })
    .await;
    let llm = client_with(&fake.base_url(), |s| s.seed = -1);
    let (answer, _) = ask(&llm, Duration::from_secs(3)).await;
    assert_eq!(answer.unwrap().title, "free");
    let body = &fake.bodies()[0];
    assert!(body.get("seed").is_none(), "{body}");
}

#[tokio::test]
async fn a_schema_refused_for_its_constraints_is_resent_without_them_once() {
    let fake = FakeLlmServer::start(FakeBehavior::RejectsMaxLength(
        r#"{"title":"ok","score":4}"#.into(),
    ))
    .await;
    let llm = client(&fake.base_url());
    let deadline = || Instant::now() + Duration::from_secs(3);
    let done = llm
        .complete_json::<Verdict>("s", "u", "verdict", schema(), deadline())
        .await
        .unwrap();
    assert_eq!(
        done.value,
        Verdict {
            title: "ok".into(),
            score: 4
        }
    );
    assert_eq!(fake.requests(), 2);
    let resent = fake.bodies()[1]["response_format"]["json_schema"]["schema"].clone();
    assert!(!resent.to_string().contains("maxLength"), "{resent}");
    assert_eq!(resent["required"], json!(["title", "score"]));

    // Remembered: the next call goes straight to the portable schema.
    llm.complete_json::<Verdict>("s", "u", "verdict", schema(), deadline())
        .await
        .unwrap();
    assert_eq!(fake.requests(), 3);
}

#[tokio::test]
async fn the_full_schema_is_still_enforced_locally_with_a_portable_one() {
    let fake = FakeLlmServer::start(FakeBehavior::RejectsMaxLength(
        r#"{"title":"a title much longer than twenty characters","score":4}"#.into(),
    ))
    .await;
    let (result, _) = ask(&client(&fake.base_url()), Duration::from_secs(3)).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::InvalidOutput { .. }), "{err:?}");
    assert!(err.reason().contains("/title"), "{err}");
    assert_eq!(
        fake.requests(),
        3,
        "the 400, the portable request, one retry"
    );
}

#[tokio::test]
async fn a_stream_is_text_deltas_then_finished() {
    let fake = FakeLlmServer::start(FakeBehavior::Stream(vec!["Hel".into(), "lo".into()])).await;
    let llm = client(&fake.base_url());
    let mut stream = llm
        .chat_stream(&[ChatMessage::user("hi")], None, None, None)
        .await
        .unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    assert_eq!(
        events,
        vec![
            StreamEvent::Delta("Hel".into()),
            StreamEvent::Delta("lo".into()),
            StreamEvent::Finished {
                finish_reason: Some("stop".into()),
                prompt_tokens: None,
                completion_tokens: None
            }
        ]
    );
    let body = &fake.bodies()[0];
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn a_stream_that_stalls_errors_after_the_idle_timeout() {
    let fake = FakeLlmServer::start(FakeBehavior::StreamThenStall(vec![
        "Hel".into(),
        "lo".into(),
    ]))
    .await;
    let llm = client_with(&fake.base_url(), |s| s.stream_idle_secs = 1);
    let started = Instant::now();
    let mut stream = llm
        .chat_stream(&[ChatMessage::user("hi")], None, None, None)
        .await
        .unwrap();
    let mut text = String::new();
    let err = loop {
        match stream
            .next()
            .await
            .expect("the stream ends with an error, not silently")
        {
            Ok(StreamEvent::Delta(d)) => text.push_str(&d),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => break e,
        }
    };
    let elapsed = started.elapsed();
    assert_eq!(text, "Hello");
    assert!(matches!(err, LlmError::Stalled { .. }), "{err:?}");
    assert!(err.reason().contains("no data"), "{err}");
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(1) + MARGIN,
        "{elapsed:?}"
    );
    assert!(stream.next().await.is_none(), "nothing after the error");
}

#[tokio::test]
async fn a_stalled_stream_stops_at_the_deadline_when_that_comes_first() {
    let fake = FakeLlmServer::start(FakeBehavior::StreamThenStall(vec!["x".into()])).await;
    let llm = client_with(&fake.base_url(), |s| s.stream_idle_secs = 10);
    let started = Instant::now();
    let deadline = started + Duration::from_millis(700);
    let mut stream = llm
        .chat_stream(&[ChatMessage::user("hi")], None, None, Some(deadline))
        .await
        .unwrap();
    let mut last = None;
    while let Some(event) = stream.next().await {
        last = Some(event);
    }
    let err = last.unwrap().unwrap_err();
    assert!(matches!(err, LlmError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(700) + MARGIN);
}

#[tokio::test]
async fn a_stream_that_never_starts_times_out() {
    let fake = FakeLlmServer::start(FakeBehavior::Hang).await;
    let llm = client_with(&fake.base_url(), |s| s.timeout_secs = 1);
    let started = Instant::now();
    let result = llm
        .chat_stream(&[ChatMessage::user("hi")], None, None, None)
        .await;
    assert!(matches!(result, Err(LlmError::Timeout { .. })));
    assert!(started.elapsed() < Duration::from_secs(1) + MARGIN);
}
