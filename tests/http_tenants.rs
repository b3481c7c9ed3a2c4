//! The resource API and per-user isolation over a real server (port 0) with API keys:
//! an adversarial caller tries every route to read, match or delete another user's
//! stories, and must find nothing. Also readiness, metrics, OpenAPI, docs and CORS.

mod common;
mod support;

use std::net::SocketAddr;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use starcoach::http::{hash_key, ApiKeyEntry};

struct App {
    addr: SocketAddr,
    client: reqwest::Client,
    _tmp: tempfile::TempDir,
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
    fn get(&self, key: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(key)
    }
    async fn get_json(&self, key: &str, path: &str) -> Value {
        self.get(key, path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    fn post(&self, key: &str, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .json(&body)
    }
}

const ALICE: &str = "alice-secret-key";
const BOB: &str = "bob-secret-key";
const ALICE_TITLE: &str = "Rate limiter rewrite and Priya";

async fn spawn() -> App {
    let tmp = tempfile::tempdir().unwrap();
    let coach = common::coach_with(&tmp.path().join("store"), |s| {
        s.server.api_keys = vec![
            ApiKeyEntry {
                user: "alice".into(),
                key_sha256: hash_key(ALICE),
            },
            ApiKeyEntry {
                user: "bob".into(),
                key_sha256: hash_key(BOB),
            },
        ];
        s.server.cors_origins = vec!["http://localhost:3000".into()];
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(starcoach::http::serve_on(coach, listener));
    App {
        addr,
        client: reqwest::Client::new(),
        _tmp: tmp,
    }
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(
        response.status().as_u16(),
        status,
        "{:?}",
        response.url().path()
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}

async fn titles(app: &App, key: &str) -> Vec<String> {
    let list: Value = app
        .get(key, "/v1/stories")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn one_user_can_never_reach_another_users_stories() {
    let app = spawn().await;
    let bank = std::fs::read_to_string(common::corpus_dir().join("story-bank.md")).unwrap();
    // Alice uploads as JSON, Bob as multipart.
    let report: Value = app
        .post(
            ALICE,
            "/v1/documents",
            json!({"documents": [{"name": "stories/bank.md", "content": bank}]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(report["counts"]["added"].as_u64().unwrap() >= 8, "{report}");
    let bob_story = "### Rebuilding the onboarding flow\n\n#### Situation\nNew users dropped out of the signup wizard at step three.\n\n#### Actions\nI interviewed ten users and cut the wizard to two steps.\n\n#### Results\nSignups rose by 18 percent in a month.\n";
    let form = Form::new().part("file", Part::text(bob_story).file_name("bob.md"));
    let response = app
        .client
        .post(app.url("/v1/documents/upload"))
        .bearer_auth(BOB)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let alice_titles = titles(&app, ALICE).await;
    assert!(alice_titles.contains(&ALICE_TITLE.to_string()));
    assert_eq!(titles(&app, BOB).await, ["Rebuilding the onboarding flow"]);

    // Alice's ids, as Bob: not found, and nothing deleted.
    let list: Value = app
        .get(ALICE, "/v1/stories")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let alice_id = list["stories"][0]["id"].as_str().unwrap().to_string();
    let got: Value = app
        .get(ALICE, &format!("/v1/stories/{alice_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!got["sections"].as_array().unwrap().is_empty());
    problem(
        app.get(BOB, &format!("/v1/stories/{alice_id}"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let deleted = app
        .client
        .delete(app.url(&format!("/v1/stories/{alice_id}")))
        .bearer_auth(BOB)
        .send()
        .await
        .unwrap();
    problem(deleted, 404).await;
    assert_eq!(titles(&app, ALICE).await.len(), alice_titles.len());
    for tricky in [
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "0000000000000000",
        "*",
        &alice_id.to_uppercase(),
    ] {
        let r = app
            .get(BOB, &format!("/v1/stories/{tricky}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{tricky}");
    }

    // Forged fields and parameters are refused, not obeyed.
    let forged = app
        .post(
            BOB,
            "/v1/stories/match",
            json!({"question": "Tell me about a conflict with a coworker", "user": "alice"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(forged, 422).await["field"], "user");
    let forged = app.get(BOB, "/v1/stories?user=alice").send().await.unwrap();
    assert_eq!(problem(forged, 422).await["field"], "query");
    let forged = app
        .post(
            BOB,
            "/v1/documents",
            json!({"documents": [{"name": "x.md", "content": "hi", "user": "alice"}]}),
        )
        .send()
        .await
        .unwrap();
    problem(forged, 422).await;
    // Path tricks in uploaded file names.
    for name in [
        "../alice/bank.md",
        "/work/main/corpus/story-bank.md",
        "a/../../b.md",
        "C:\\x.md",
        "upload:bank.md",
    ] {
        let r = app
            .post(
                BOB,
                "/v1/documents",
                json!({"documents": [{"name": name, "content": "x"}]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem(r, 422).await["field"],
            "documents[0].name",
            "{name}"
        );
    }
    let form = Form::new().part(
        "file",
        Part::text("x").file_name("../../alice/stories/bank.md"),
    );
    let r = app
        .client
        .post(app.url("/v1/documents/upload"))
        .bearer_auth(BOB)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["field"], "files[0].filename");
    // Bob uploading Alice's file name only writes Bob's bank.
    let r = app
        .post(
            BOB,
            "/v1/documents",
            json!({"documents": [{"name": "stories/bank.md", "content": ""}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(titles(&app, ALICE).await.len(), alice_titles.len());

    // Matching, coverage, critique and chat as Bob never show Alice's stories.
    let header_forged = app
        .post(
            BOB,
            "/v1/stories/match",
            json!({"question": "Tell me about a time you had a conflict with a coworker"}),
        )
        .header("x-user", "alice")
        .send()
        .await
        .unwrap();
    let text = header_forged.text().await.unwrap();
    let coverage = app
        .get(BOB, "/v1/coverage")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let critique = app
        .post(BOB, "/v1/answers/critique", json!({"question": "Tell me about a conflict with a coworker",
            "transcript": "I asked Priya for a thirty-minute call about the rate limiter and we agreed on criteria. In the end quotas shipped in two weeks."}))
        .send().await.unwrap().text().await.unwrap();
    let chat = app
        .post(BOB, "/v1/chat/completions", json!({"model": "starcoach", "messages": [
            {"role": "user", "content": "Which story should I use for 'Tell me about a time you had a conflict with a coworker'?"}]}))
        .send().await.unwrap().text().await.unwrap();
    for (route, body) in [
        ("match", &text),
        ("coverage", &coverage),
        ("critique", &critique),
        ("chat", &chat),
    ] {
        for title in &alice_titles {
            assert!(
                !body.contains(title.as_str()),
                "{route} leaked {title:?}: {body}"
            );
        }
        assert!(
            !body.contains("Priya") || route == "critique",
            "{route} leaked Alice's text"
        );
    }
    // Alice still sees her own.
    let mine = app
        .post(
            ALICE,
            "/v1/stories/match",
            json!({"question": "Tell me about a time you had a conflict with a coworker"}),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mine.contains(ALICE_TITLE));

    // Alice deletes one of hers: it is gone for her.
    let r = app
        .client
        .delete(app.url(&format!("/v1/stories/{alice_id}")))
        .bearer_auth(ALICE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(titles(&app, ALICE).await.len(), alice_titles.len() - 1);

    // Every /v1 route needs a key.
    for (method, path) in [
        ("GET", "/v1/stories"),
        ("GET", "/v1/coverage"),
        ("GET", "/v1/models"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/documents"),
        ("POST", "/v1/answers/critique"),
        ("DELETE", &format!("/v1/stories/{alice_id}")),
    ] {
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
    }
}

#[tokio::test]
async fn readiness_metrics_openapi_docs_and_cors() {
    let app = spawn().await;
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    assert_eq!(ready["store"]["status"], "ok");
    assert_eq!(ready["llm"]["status"], "not_configured");

    app.get(ALICE, "/v1/stories").send().await.unwrap();
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("starcoach_http_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("route=\"/v1/stories\""), "{metrics}");
    assert!(metrics.contains("starcoach_http_request_duration_seconds"));

    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/stories/match",
        "/v1/answers/critique",
        "/v1/documents",
        "/v1/stories/{id}",
        "/v1/chat/completions",
        "/readyz",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(doc["components"]["schemas"]["MatchResponse"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let docs = app
        .client
        .get(app.url("/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        docs.contains("/v1/answers/critique") && !docs.contains("<script"),
        "offline page"
    );

    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/stories/match"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    let other = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/stories/match"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_and_refuses_new_ones() {
    use std::time::Duration;
    use support::fake_llm::{FakeBehavior, FakeLlmServer};
    // A deliberately FAKE, slow LLM keeps a critique in flight for two seconds.
    let slow = FakeLlmServer::start(FakeBehavior::Slow {
        delay: Duration::from_secs(2),
        content: "{}".into(),
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let url = slow.base_url();
    let coach = common::coach_with(&tmp.path().join("store"), move |s| s.llm.base_url = url);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(starcoach::http::serve_until(coach, listener, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .post(format!("http://{addr}/v1/answers/critique"))
                .json(&json!({"question": "Tell me about a time you fixed a build",
                    "transcript": "I fixed the build by pinning the compiler, and the team shipped on time."}))
                .send()
                .await
        }
    });
    // The critique embeds and grounds before it asks the LLM; on a busy machine that takes
    // a while, so wait for the LLM's request rather than for a fixed time.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while slow.requests() == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(slow.requests(), 1, "the critique is waiting for the LLM");
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = client
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "new connections are refused while shutting down"
    );
    let response = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(response.status(), 200);
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops once the request is answered")
        .unwrap()
        .unwrap();
}

/// Alice's answers, with the request's own timing removed.
async fn alice_matches(app: &App, questions: &[&str]) -> Vec<Value> {
    let mut all = Vec::new();
    for question in questions {
        let mut body: Value = app
            .post(
                ALICE,
                "/v1/stories/match",
                json!({"question": question, "top_k": 10}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body.as_object_mut().unwrap().remove("took_ms");
        all.push(body);
    }
    all
}

/// What other users upload, change or delete never moves a user's ranking or scores
/// (BM25 statistics are per user): otherwise the shifts would tell an attacker which
/// words are common in other people's banks.
#[tokio::test]
async fn other_users_uploads_edits_and_deletes_never_move_a_users_scores() {
    let app = spawn().await;
    let bank = std::fs::read_to_string(common::corpus_dir().join("story-bank.md")).unwrap();
    let brag = std::fs::read_to_string(common::corpus_dir().join("brag-doc.txt")).unwrap();
    let upload = |key: &'static str, name: String, content: String| {
        let request = app.post(
            key,
            "/v1/documents",
            json!({"documents": [{"name": name, "content": content}]}),
        );
        async move {
            let status = request.send().await.unwrap().status();
            assert_eq!(status, 200, "{name}");
        }
    };
    upload(ALICE, "bank.md".into(), bank.clone()).await;
    let questions = [
        "Describe a time you had to convince people who did not report to you",
        "Tell me about a time you disagreed with your manager",
        "Tell me about a production incident you handled",
        "Give an example of a deadline you missed",
    ];
    let before = alice_matches(&app, &questions).await;
    assert!(before
        .iter()
        .all(|m| !m["stories"].as_array().unwrap().is_empty()));

    // Bob uploads Alice's kind of stories, many times over, then edits and deletes.
    for copy in 0..3 {
        upload(BOB, format!("bank-{copy}.md"), bank.clone()).await;
    }
    upload(BOB, "brag.txt".into(), brag).await;
    assert_eq!(
        alice_matches(&app, &questions).await,
        before,
        "after Bob's uploads"
    );
    let edited = bank.replace("I ", "I quickly and personally ");
    upload(BOB, "bank-0.md".into(), edited).await;
    let list = app.get_json(BOB, "/v1/stories").await;
    for story in list["stories"].as_array().unwrap().iter().take(10) {
        let id = story["id"].as_str().unwrap();
        let r = app
            .client
            .delete(app.url(&format!("/v1/stories/{id}")))
            .bearer_auth(BOB)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    assert_eq!(
        alice_matches(&app, &questions).await,
        before,
        "after Bob's edits and deletes"
    );
}
