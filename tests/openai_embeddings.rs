//! The OpenAI-compatible embeddings backend against a real server: `starcoach serve`
//! itself answers `POST /v1/embeddings` with its configured local model, and the remote
//! backend pointed at it gives the local model's vectors (MiniLM, and EmbeddingGemma with
//! its prompts as prefixes), ranks stories as the local model does, and reports a failing
//! endpoint with its reason after one retry.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use starcoach::app::Coach;
use starcoach::config::{OpenAiEmbeddingSettings, Settings};
use starcoach::embed::{EmbedError, Embedder, OpenAiEmbedder, TextRole};
use starcoach::retrieve::MatchRequest;
use starcoach::store::EdgeStore;

const TEXTS: [&str; 5] = [
    "Tell me about a time you disagreed with your manager",
    "I rolled back the release within ten minutes and wrote the postmortem.",
    "Situation: our nightly batch missed its window three nights in a row.",
    "Ich habe das Team überzeugt, die Migration zu verschieben.",
    "short",
];

/// `starcoach serve` on a free port over `coach`; its `/v1` base URL.
async fn serve(coach: Coach) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(starcoach::http::serve_on(coach, listener));
    format!("http://{addr}/v1")
}

fn remote_settings(
    base_url: &str,
    query_prefix: &str,
    document_prefix: &str,
) -> OpenAiEmbeddingSettings {
    OpenAiEmbeddingSettings {
        base_url: base_url.to_string(),
        model: "served-model".into(),
        query_prefix: query_prefix.into(),
        document_prefix: document_prefix.into(),
        ..OpenAiEmbeddingSettings::default()
    }
}

fn assert_same_vectors(remote: &[Vec<f32>], local: &[Vec<f32>]) {
    assert_eq!(remote.len(), local.len());
    for (r, l) in remote.iter().zip(local) {
        assert_eq!(r.len(), l.len());
        let cosine: f32 = r.iter().zip(l).map(|(a, b)| a * b).sum();
        assert!(cosine > 0.99999, "cosine {cosine}");
    }
}

fn texts() -> Vec<String> {
    TEXTS.iter().map(|t| t.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remote_backend_gives_the_served_minilm_vectors_and_rankings() {
    let tmp = tempfile::tempdir().unwrap();
    let base_url = serve(common::coach(&tmp.path().join("served"))).await;
    // Batches of 2: three requests for five texts.
    let remote = OpenAiEmbedder::connect(&remote_settings(&base_url, "", ""), 2, 0)
        .await
        .unwrap();
    assert_eq!(remote.dimension(), 384);
    assert_eq!(remote.model_id(), "openai:served-model");
    let local = common::embedder();
    for role in [TextRole::Query, TextRole::Document] {
        let want = local.embed(texts(), role).await.unwrap();
        assert_same_vectors(&remote.embed(texts(), role).await.unwrap(), &want);
    }

    // The whole coach on the remote backend ranks as on the local model.
    let remote: Arc<dyn Embedder> = Arc::new(remote);
    let dir = tmp.path().join("remote-store");
    let store = EdgeStore::open(&dir, remote.dimension()).unwrap();
    let remote_coach = Coach::from_parts(common::settings(&dir), Arc::new(store), remote);
    common::ingest_corpus(&remote_coach, "a").await;
    let local_coach = common::coach(&tmp.path().join("local-store"));
    common::ingest_corpus(&local_coach, "a").await;
    for question in TEXTS[..1]
        .iter()
        .chain(["Describe a production incident you handled"].iter())
    {
        let request = MatchRequest::new(
            question.to_string(),
            Some(5),
            &local_coach.settings().retrieval,
        );
        let ids = |r: starcoach::retrieve::MatchResponse| {
            r.stories
                .into_iter()
                .map(|s| (s.doc_id, s.fit))
                .collect::<Vec<_>>()
        };
        let remote_ranking = ids(remote_coach.match_stories("a", &request).await.unwrap());
        let local_ranking = ids(local_coach.match_stories("a", &request).await.unwrap());
        assert_eq!(remote_ranking, local_ranking, "{question}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remote_backend_gives_the_served_embeddinggemma_vectors_with_its_prompts() {
    let Some(gemma) = common::gemma() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.store.path = tmp.path().join("served");
    let store = EdgeStore::open(&settings.store.path, gemma.dimension()).unwrap();
    let base_url = serve(Coach::from_parts(settings, Arc::new(store), gemma.clone())).await;
    let prompts = remote_settings(
        &base_url,
        "task: search result | query: ",
        "title: none | text: ",
    );
    let remote = OpenAiEmbedder::connect(&prompts, 8, 0).await.unwrap();
    assert_eq!(remote.dimension(), 768);
    for role in [TextRole::Query, TextRole::Document] {
        let want = gemma.embed(texts(), role).await.unwrap();
        assert_same_vectors(&remote.embed(texts(), role).await.unwrap(), &want);
    }
}

#[tokio::test]
async fn bad_embeddings_requests_get_a_problem_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let base_url = serve(common::coach(&tmp.path().join("served"))).await;
    let client = reqwest::Client::new();
    let post = |body: Value| {
        let request = client.post(format!("{base_url}/embeddings")).json(&body);
        async move { request.send().await.unwrap() }
    };
    for (body, field) in [
        (json!({"input": []}), "input"),
        (json!({"input": ["fine", "  "]}), "input[1]"),
        (
            json!({"input": "x", "encoding_format": "base64"}),
            "encoding_format",
        ),
        (json!({"input": "x", "dimensions": 0}), "dimensions"),
        (json!({"input": "x", "dimensions": 385}), "dimensions"),
    ] {
        let response = post(body.clone()).await;
        assert_eq!(response.status().as_u16(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["field"], field, "{problem}");
    }
    let response = post(json!({"model": "anything", "input": "one text", "dimensions": 128})).await;
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["object"], "list");
    assert_eq!(answer["model"], "sentence-transformers/all-MiniLM-L6-v2");
    let vector = answer["data"][0]["embedding"].as_array().unwrap();
    assert_eq!(vector.len(), 128);
    let norm: f64 = vector.iter().map(|x| x.as_f64().unwrap().powi(2)).sum();
    assert!((norm - 1.0).abs() < 1e-4, "norm² {norm}");
}

/// A fake for failure injection: an embeddings endpoint that always answers 503.
async fn always_unavailable_endpoint(requests: Arc<AtomicUsize>) -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/v1/embeddings",
        post(move || {
            let requests = requests.clone();
            async move {
                requests.fetch_add(1, Ordering::SeqCst);
                (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(json!({"error": {"message": "overloaded", "type": "server_error"}})),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_once_then_reported_with_its_reason() {
    let requests = Arc::new(AtomicUsize::new(0));
    let base_url = always_unavailable_endpoint(requests.clone()).await;
    let err = OpenAiEmbedder::connect(&remote_settings(&base_url, "", ""), 8, 0)
        .await
        .unwrap_err();
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "one request and one retry"
    );
    match &err {
        EmbedError::Remote { url, reason } => {
            assert_eq!(url, &base_url);
            assert!(
                reason.contains("503") && reason.contains("overloaded"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Nobody listening: a clear error too, naming the URL.
    let err = OpenAiEmbedder::connect(&remote_settings("http://127.0.0.1:9/v1", "", ""), 8, 0)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("http://127.0.0.1:9/v1"), "{err}");
}
