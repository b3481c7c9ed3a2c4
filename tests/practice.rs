//! Practice on the real parts: mock interviews over the example corpus with the real
//! embedding model, the history in a real SQLite file (a temporary one), the HTTP
//! routes over a real server with two users, and the binary run from answer files,
//! killed mid-session and resumed.

mod common;
mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::{json, Value};
use starcoach::app::Coach;
use starcoach::critique::TranscriptInput;
use starcoach::history::{Origin, SqliteHistory};
use starcoach::http::{hash_key, ApiKeyEntry};
use starcoach::practice::{self, AnswerInput, Awaiting, PracticeError, StartSession};
use support::llm_server::LlmServer;

fn answers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/answers")
}

fn answer_text(file: &str) -> String {
    std::fs::read_to_string(answers_dir().join(file)).unwrap()
}

fn text(answer: &str) -> AnswerInput {
    AnswerInput {
        transcript: Some(TranscriptInput::Text(answer.to_string())),
        format: None,
        skip: false,
    }
}

fn skip() -> AnswerInput {
    AnswerInput {
        skip: true,
        ..AnswerInput::default()
    }
}

fn example_job() -> String {
    std::fs::read_to_string(common::corpus_dir().join("example.job.md")).unwrap()
}

/// A coach over a fresh store with the history in a temporary SQLite file.
async fn coach_with_history(
    dir: &Path,
    tweak: impl FnOnce(&mut starcoach::config::Settings),
) -> Coach {
    let coach = common::coach_with(&dir.join("store"), tweak);
    let history = SqliteHistory::open(&dir.join("history.sqlite"))
        .await
        .unwrap();
    coach.with_history(Arc::new(history))
}

const FOLLOW_UP_ANSWER: &str = "I personally wrote the checklist and ran the first three shadow shifts myself. Two months later he led an incident on his own, and pages to me dropped from six a week to one.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_mock_interview_is_recorded_and_shows_in_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = coach_with_history(tmp.path(), |_| {}).await;
    common::ingest_corpus(&coach, "ana").await;
    let start = StartSession {
        job: Some(example_job()),
        questions: Some(2),
        competency: None,
    };
    let view = practice::start(&coach, "ana", &start).await.unwrap();
    assert_eq!(view.session.questions.len(), 2);
    assert_eq!(view.session.job_competencies.len(), 5);
    for q in &view.session.questions {
        assert!(
            view.session.job_competencies.contains(&q.competency),
            "{q:?}"
        );
    }
    let first = view.question.clone().unwrap();
    assert!(!first.follow_up);
    let id = view.session.id.clone();

    let outcome = practice::answer(
        &coach,
        "ana",
        &id,
        text(&answer_text("a03_mentoring_strong.txt")),
        false,
    )
    .await
    .unwrap();
    let critique = outcome.critique.clone().unwrap();
    assert!(
        critique.overall.is_some() && critique.words > 100,
        "{critique:?}"
    );
    let follow_up = outcome.follow_up.clone().unwrap();
    assert!(follow_up.ends_with('?'), "{follow_up}");
    let next = outcome.next.clone().unwrap();
    assert!(next.follow_up && next.text == follow_up && next.number == 1);
    assert_eq!(outcome.next_question.clone().unwrap().number, 2);

    // The follow-up's answer is critiqued with the first one, as one answer.
    let outcome = practice::answer(&coach, "ana", &id, text(FOLLOW_UP_ANSWER), false)
        .await
        .unwrap();
    assert!(outcome.answered.follow_up);
    let combined = outcome.critique.clone().unwrap();
    assert!(
        combined.words > critique.words,
        "{} vs {}",
        combined.words,
        critique.words
    );
    assert_eq!(outcome.next.clone().unwrap().number, 2);

    let outcome = practice::answer(&coach, "ana", &id, skip(), false)
        .await
        .unwrap();
    assert!(outcome.skipped && outcome.finished && outcome.next.is_none());
    let summary = outcome.summary.unwrap();
    assert_eq!((summary.answered, summary.skipped), (1, 1));
    assert_eq!(summary.strongest, Some(0));
    assert!(summary.next_focus.is_some());
    match practice::answer(&coach, "ana", &id, text("More."), false).await {
        Err(PracticeError::Finished) => {}
        other => panic!("expected Finished, got {other:?}"),
    }

    // One history entry for the question (the first answer's was replaced by the
    // critique with the follow-up), tagged with the session and the planned competency.
    let history = coach.history().unwrap();
    let entries = history.all_entries("ana").await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0].record;
    assert_eq!(entry.origin, Origin::Practice);
    assert_eq!(entry.session_id.as_deref(), Some(id.as_str()));
    assert_eq!(entry.competency.as_deref(), Some(first.competency.as_str()));
    assert_eq!(entry.delivery.words, combined.words);

    // A critique outside practice is recorded too.
    let request = starcoach::critique::CritiqueRequest {
        question: Some("Tell me about a time you had to deliver under pressure.".into()),
        transcript: TranscriptInput::Text(answer_text("a06_customer_focus_strong.txt")),
        format: None,
    };
    let c = coach.critique("ana", &request, false).await.unwrap();
    coach
        .record_critique("ana", &c, Origin::Cli, None, None)
        .await
        .unwrap();

    let report = practice::progress_for(&coach, "ana", None).await.unwrap();
    assert_eq!(report.answers, 2);
    assert_eq!(report.days_practised, 1);
    let overall = report
        .dimensions
        .iter()
        .find(|t| t.metric == "overall")
        .unwrap();
    assert_eq!(overall.points.len(), 2);
    // The job's competencies come from the latest session planned from a job.
    assert!(report.competencies.iter().any(|c| c.needed == Some(true)));
    assert_eq!(
        report.not_practised.len()
            + report
                .competencies
                .iter()
                .filter(|c| c.needed == Some(true) && c.answers > 0)
                .count(),
        5
    );

    // Another user sees nothing of it.
    assert!(matches!(
        practice::get(&coach, "ben", &id).await,
        Err(PracticeError::NotFound)
    ));
    assert!(matches!(
        practice::answer(&coach, "ben", &id, text("Mine now."), false).await,
        Err(PracticeError::NotFound)
    ));
    assert_eq!(
        practice::progress_for(&coach, "ben", None)
            .await
            .unwrap()
            .answers,
        0
    );
    assert!(!history.delete("ben", entries[0].id).await.unwrap());
    assert_eq!(history.delete_all("ben").await.unwrap(), 0);
    assert_eq!(history.all_entries("ana").await.unwrap().len(), 2);

    // Deleting: one entry, then everything (sessions too).
    assert!(history.delete("ana", entries[0].id).await.unwrap());
    assert_eq!(history.delete_all("ana").await.unwrap(), 1);
    assert!(history.all_entries("ana").await.unwrap().is_empty());
    assert!(practice::list(&coach, "ana").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_answers_in_sessions_of_one_and_of_two_users_lose_no_history() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = coach_with_history(tmp.path(), |_| {}).await;
    common::ingest_corpus(&coach, "ana").await;
    common::ingest_corpus(&coach, "ben").await;
    let start = StartSession {
        questions: Some(2),
        competency: Some("mentoring".into()),
        ..StartSession::default()
    };
    let a1 = practice::start(&coach, "ana", &start)
        .await
        .unwrap()
        .session
        .id;
    let a2 = practice::start(&coach, "ana", &start)
        .await
        .unwrap()
        .session
        .id;
    let b1 = practice::start(&coach, "ben", &start)
        .await
        .unwrap()
        .session
        .id;
    let answer = answer_text("a03_mentoring_strong.txt");
    let mut tasks = Vec::new();
    // Three sessions at once, and two answers at once to ana's first session (the
    // second goes to the follow-up, after the first).
    for (user, id, body) in [
        ("ana", a1.clone(), answer.clone()),
        ("ana", a1.clone(), FOLLOW_UP_ANSWER.to_string()),
        ("ana", a2.clone(), answer.clone()),
        ("ben", b1.clone(), answer.clone()),
    ] {
        let coach = coach.clone();
        tasks.push(tokio::spawn(async move {
            practice::answer(&coach, user, &id, text(&body), false)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let history = coach.history().unwrap();
    let ana = history.all_entries("ana").await.unwrap();
    let ben = history.all_entries("ben").await.unwrap();
    assert_eq!((ana.len(), ben.len()), (2, 1), "{ana:?}");
    let s1 = practice::get(&coach, "ana", &a1).await.unwrap();
    assert_eq!(s1.awaiting, Awaiting::Question(1));
    assert!(s1.turns[0].with_follow_up.is_some());
    assert_eq!(
        practice::get(&coach, "ana", &a2).await.unwrap().awaiting,
        Awaiting::FollowUp(0)
    );
    let mut sessions: Vec<String> = ana
        .iter()
        .filter_map(|e| e.record.session_id.clone())
        .collect();
    sessions.sort();
    let mut expected = vec![a1, a2];
    expected.sort();
    assert_eq!(sessions, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_practice_input_is_refused_by_field_and_keeps_the_session() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = coach_with_history(tmp.path(), |_| {}).await;
    for (start, field) in [
        (
            StartSession {
                questions: Some(0),
                ..StartSession::default()
            },
            "questions",
        ),
        (
            StartSession {
                questions: Some(21),
                ..StartSession::default()
            },
            "questions",
        ),
        (
            StartSession {
                competency: Some("juggling".into()),
                ..StartSession::default()
            },
            "competency",
        ),
    ] {
        match practice::start(&coach, "ana", &start).await {
            Err(PracticeError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected {field} refused, got {other:?}"),
        }
    }
    match practice::start(
        &coach,
        "ana",
        &StartSession {
            job: Some(" ".into()),
            ..StartSession::default()
        },
    )
    .await
    {
        Err(PracticeError::Prep(starcoach::prep::PrepError::Job(_))) => {}
        other => panic!("expected the job refused, got {other:?}"),
    }
    let id = practice::start(&coach, "ana", &StartSession::default())
        .await
        .unwrap()
        .session
        .id;
    match practice::answer(&coach, "ana", &id, AnswerInput::default(), false).await {
        Err(PracticeError::Invalid {
            field: "transcript",
            ..
        }) => {}
        other => panic!("expected transcript refused, got {other:?}"),
    }
    let broken_vtt = "WEBVTT\n\n00:00:01.000 --> garbage\nhello\n";
    match practice::answer(&coach, "ana", &id, text(broken_vtt), false).await {
        Err(PracticeError::Critique(e)) => assert!(e.to_string().contains("line"), "{e}"),
        other => panic!("expected the transcript refused, got {other:?}"),
    }
    // Nothing moved: the first question still waits.
    assert_eq!(
        practice::get(&coach, "ana", &id).await.unwrap().awaiting,
        Awaiting::Question(0)
    );
    assert!(matches!(
        practice::get(&coach, "ana", "no-such-id").await,
        Err(PracticeError::NotFound)
    ));

    // With the history off, practice says so and nothing is written.
    let off = common::coach_with(&tmp.path().join("store2"), |s| s.history.enabled = false);
    assert!(matches!(
        practice::start(&off, "ana", &StartSession::default()).await,
        Err(PracticeError::History(
            starcoach::history::HistoryError::Disabled
        ))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_turn_with_the_real_local_llm() {
    let tmp = tempfile::tempdir().unwrap();
    let url = LlmServer::shared().base_url();
    let coach = coach_with_history(tmp.path(), move |s| {
        s.llm.base_url = url;
        s.llm.timeout_secs = 200;
        s.llm.max_tokens = 2048;
        s.llm.context_tokens = 4096;
    })
    .await;
    common::ingest_corpus(&coach, "ana").await;
    let start = StartSession {
        questions: Some(1),
        competency: Some("mentoring".into()),
        ..StartSession::default()
    };
    let id = practice::start(&coach, "ana", &start)
        .await
        .unwrap()
        .session
        .id;
    let outcome = practice::answer(
        &coach,
        "ana",
        &id,
        text(&answer_text("a03_mentoring_strong.txt")),
        false,
    )
    .await
    .unwrap();
    let critique = outcome.critique.unwrap();
    eprintln!(
        "llm: {}, follow-up ({:?}): {:?}",
        critique.llm, outcome.follow_up_source, outcome.follow_up
    );
    // The model answered, or its answer was checked and set aside: either way the
    // critique stands and the follow-up is a question.
    assert!(["used", "partial", "rejected", "unavailable"].contains(&critique.llm.as_str()));
    assert!(outcome.follow_up.unwrap().ends_with('?'));
    let outcome = practice::answer(&coach, "ana", &id, skip(), false)
        .await
        .unwrap();
    assert!(outcome.finished);
    let entries = coach.history().unwrap().all_entries("ana").await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].record.llm, critique.llm);
}

// ---- HTTP ----

const ALICE: &str = "alice-practice-key";
const BOB: &str = "bob-practice-key";

struct App {
    addr: std::net::SocketAddr,
    client: reqwest::Client,
    _tmp: tempfile::TempDir,
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
    async fn call(&self, method: &str, key: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .client
            .request(method.parse().unwrap(), self.url(path))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }
}

async fn spawn() -> App {
    let tmp = tempfile::tempdir().unwrap();
    let coach = coach_with_history(tmp.path(), |s| {
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
    })
    .await;
    common::ingest_corpus(&coach, "alice").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(starcoach::http::serve_on(coach, listener));
    App {
        addr,
        client: reqwest::Client::new(),
        _tmp: tmp,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mock_interview_over_http_is_the_callers_alone() {
    let app = spawn().await;
    let (status, prep) = app
        .call(
            "POST",
            ALICE,
            "/v1/prep",
            Some(json!({"job": example_job()})),
        )
        .await;
    assert_eq!(status, 200, "{prep}");
    assert_eq!(prep["competencies"].as_array().unwrap().len(), 5);

    let (status, view) = app
        .call(
            "POST",
            ALICE,
            "/v1/sessions",
            Some(json!({"questions": 1, "competency": "mentoring"})),
        )
        .await;
    assert_eq!(status, 201, "{view}");
    let id = view["session"]["id"].as_str().unwrap().to_string();
    assert_eq!(view["question"]["competency"], "mentoring");
    let answers = format!("/v1/sessions/{id}/answers");

    // Bob cannot see, answer or list Alice's session.
    let (status, problem) = app
        .call("GET", BOB, &format!("/v1/sessions/{id}"), None)
        .await;
    assert_eq!((status, problem["status"].as_u64()), (404, Some(404)));
    let (status, _) = app
        .call("POST", BOB, &answers, Some(json!({"transcript": "Mine."})))
        .await;
    assert_eq!(status, 404);
    let (_, list) = app.call("GET", BOB, "/v1/sessions", None).await;
    assert!(list["sessions"].as_array().unwrap().is_empty());

    let (status, outcome) = app
        .call(
            "POST",
            ALICE,
            &answers,
            Some(json!({"transcript": answer_text("a03_mentoring_strong.txt")})),
        )
        .await;
    assert_eq!(status, 200, "{outcome}");
    assert!(outcome["critique"]["overall"].as_f64().is_some());
    assert!(outcome["follow_up"].as_str().unwrap().ends_with('?'));
    assert_eq!(outcome["next"]["follow_up"], true);
    let (status, outcome) = app
        .call("POST", ALICE, &answers, Some(json!({"skip": true})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(outcome["finished"], true);
    assert_eq!(outcome["summary"]["answered"], 1);
    let (status, problem) = app
        .call(
            "POST",
            ALICE,
            &answers,
            Some(json!({"transcript": "Again."})),
        )
        .await;
    assert_eq!(
        (
            status,
            problem["type"].as_str().map(|t| t.ends_with("conflict"))
        ),
        (409, Some(true))
    );

    let (_, history) = app.call("GET", ALICE, "/v1/history", None).await;
    assert_eq!(history["total"], 1);
    let entry = history["entries"][0]["id"].as_i64().unwrap();
    assert_eq!(history["entries"][0]["origin"], "practice");
    let (_, bob_history) = app.call("GET", BOB, "/v1/history", None).await;
    assert_eq!(bob_history["total"], 0);
    let (status, _) = app
        .call("DELETE", BOB, &format!("/v1/history/{entry}"), None)
        .await;
    assert_eq!(status, 404);
    let (_, bob_deleted) = app.call("DELETE", BOB, "/v1/history", None).await;
    assert_eq!(bob_deleted["deleted"], 0);
    let (_, progress) = app.call("GET", ALICE, "/v1/progress", None).await;
    assert_eq!(progress["answers"], 1);
    assert_eq!(
        progress["dimensions"][0]["points"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, bob_progress) = app.call("GET", BOB, "/v1/progress", None).await;
    assert_eq!(bob_progress["answers"], 0);

    // Bad input names the field.
    for (path, body, field) in [
        ("/v1/prep", json!({"job": ""}), "job"),
        ("/v1/sessions", json!({"questions": 0}), "questions"),
        (
            "/v1/sessions",
            json!({"competency": "juggling"}),
            "competency",
        ),
    ] {
        let (status, problem) = app.call("POST", ALICE, path, Some(body)).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{path}: {problem}"
        );
    }
    let (status, _) = app.call("GET", ALICE, "/v1/history?limit=0", None).await;
    assert_eq!(status, 422);

    let (status, _) = app
        .call("DELETE", ALICE, &format!("/v1/history/{entry}"), None)
        .await;
    assert_eq!(status, 204);
    let (_, history) = app.call("GET", ALICE, "/v1/history", None).await;
    assert_eq!(history["total"], 0);

    // Every new route needs a key.
    for (method, path) in [
        ("POST", "/v1/prep"),
        ("POST", "/v1/sessions"),
        ("GET", "/v1/sessions"),
        ("GET", &format!("/v1/sessions/{id}")),
        ("POST", answers.as_str()),
        ("GET", "/v1/history"),
        ("DELETE", "/v1/history"),
        ("GET", "/v1/progress"),
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

// ---- The binary ----

fn starcoach(dir: &Path) -> Command {
    let mut cmd = common::starcoach_command(&dir.join("store"));
    cmd.env("STARCOACH__LLM__BASE_URL", "");
    cmd
}

fn json_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_binary_runs_an_interview_from_files_and_resumes_one_killed_mid_session() {
    let tmp = tempfile::tempdir().unwrap();
    let out = starcoach(tmp.path())
        .args(["ingest", "corpus"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Non-interactive: one file per question, a follow-up answered by its file.
    let files = tmp.path().join("answers");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::copy(
        answers_dir().join("a03_mentoring_strong.txt"),
        files.join("01.txt"),
    )
    .unwrap();
    std::fs::write(files.join("01-follow.txt"), FOLLOW_UP_ANSWER).unwrap();
    std::fs::copy(
        answers_dir().join("a04_prioritisation_strong.srt"),
        files.join("02.srt"),
    )
    .unwrap();
    let run = json_of(
        &starcoach(tmp.path())
            .args([
                "practice",
                "--job",
                "corpus/example.job.md",
                "--questions",
                "2",
                "--json",
                "--answers",
            ])
            .arg(&files)
            .output()
            .unwrap(),
    );
    let outcomes = run["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 4, "{run}");
    assert_eq!(outcomes[1]["answered"]["follow_up"], true);
    assert_eq!(outcomes[3]["skipped"], true);
    assert_eq!(run["session"]["summary"]["answered"], 2);

    let history = json_of(
        &starcoach(tmp.path())
            .args(["history", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(history["total"], 2);
    let progress = json_of(
        &starcoach(tmp.path())
            .args(["progress", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(progress["answers"], 2);
    let text = starcoach(tmp.path()).args(["progress"]).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("overall"));

    // Interactive: answer the first question, then the process is killed while the
    // session waits for the follow-up; it resumes from the database.
    let mut child = starcoach(tmp.path())
        .args(["practice", "--questions", "2", "--competency", "mentoring"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let id = first
        .split_whitespace()
        .nth(2)
        .expect("the session id on the first line")
        .to_string();
    writeln!(stdin, "{}\n.", answer_text("a03_mentoring_strong.txt")).unwrap();
    for line in lines.by_ref() {
        if line.unwrap().starts_with("Follow-up to question 1") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let history = json_of(
        &starcoach(tmp.path())
            .args(["history", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        history["total"], 3,
        "the first answer of the killed session is kept"
    );
    let resumed = tmp.path().join("resume");
    std::fs::create_dir_all(&resumed).unwrap();
    std::fs::write(resumed.join("01-follow.txt"), FOLLOW_UP_ANSWER).unwrap();
    std::fs::copy(
        answers_dir().join("a03_mentoring_strong.txt"),
        resumed.join("02.txt"),
    )
    .unwrap();
    let run = json_of(
        &starcoach(tmp.path())
            .args(["practice", "--resume", &id, "--json", "--answers"])
            .arg(&resumed)
            .output()
            .unwrap(),
    );
    assert_eq!(run["outcomes"][0]["answered"]["follow_up"], true, "{run}");
    assert_eq!(run["session"]["summary"]["answered"], 2);
    let history = json_of(
        &starcoach(tmp.path())
            .args(["history", "--json"])
            .output()
            .unwrap(),
    );
    // The follow-up replaced its question's first entry; the second question added one.
    assert_eq!(history["total"], 4);

    // Bad input: an unknown session, an empty job, --no-history records nothing.
    let out = starcoach(tmp.path())
        .args(["practice", "--resume", "nope", "--answers"])
        .arg(&resumed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));
    let empty = tmp.path().join("empty.job.md");
    std::fs::write(&empty, "\n").unwrap();
    let out = starcoach(tmp.path())
        .arg("prep")
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("job: must not be empty"));
    let transcript = answers_dir().join("a03_mentoring_strong.txt");
    let out = starcoach(tmp.path())
        .args([
            "--no-history",
            "critique",
            "--question",
            "Tell me about mentoring.",
        ])
        .arg(&transcript)
        .output()
        .unwrap();
    assert!(out.status.success());
    let history = json_of(
        &starcoach(tmp.path())
            .args(["history", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(history["total"], 4);
    let out = starcoach(tmp.path())
        .args(["critique", "--question", "Tell me about mentoring."])
        .arg(&transcript)
        .output()
        .unwrap();
    assert!(out.status.success());
    let history = json_of(
        &starcoach(tmp.path())
            .args(["history", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(history["total"], 5);
    assert_eq!(history["entries"][0]["origin"], "cli");
}

// ---- The chat endpoint ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mock_interview_through_the_chat_endpoint_with_an_openai_client() {
    use async_openai::config::OpenAIConfig;
    use async_openai::types::chat::{
        ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
        ChatCompletionRequestUserMessage, CreateChatCompletionRequest,
    };

    let app = spawn().await;
    let config = OpenAIConfig::new()
        .with_api_base(format!("http://{}/v1", app.addr))
        .with_api_key(ALICE);
    let client = async_openai::Client::with_config(config);
    let mut conversation: Vec<ChatCompletionRequestMessage> = Vec::new();
    let say = async |conversation: &mut Vec<ChatCompletionRequestMessage>, text: &str| -> String {
        conversation.push(ChatCompletionRequestMessage::User(
            ChatCompletionRequestUserMessage::from(text),
        ));
        let request = CreateChatCompletionRequest {
            model: "starcoach".into(),
            messages: conversation.clone(),
            ..Default::default()
        };
        let response = client.chat().create(request).await.unwrap();
        let reply = response.choices[0].message.content.clone().unwrap();
        conversation.push(ChatCompletionRequestMessage::Assistant(
            ChatCompletionRequestAssistantMessage::from(reply.as_str()),
        ));
        reply
    };
    let job = example_job();
    let reply = say(
        &mut conversation,
        &format!("Mock interview with 2 questions for this job: {job}"),
    )
    .await;
    assert!(reply.contains("Question 1 of 2"), "{reply}");
    let reply = say(&mut conversation, &answer_text("a03_mentoring_strong.txt")).await;
    assert!(
        reply.contains("Overall") && reply.contains("**Follow-up:**"),
        "{reply}"
    );
    let reply = say(&mut conversation, FOLLOW_UP_ANSWER).await;
    assert!(
        reply.contains("with the follow-up") && reply.contains("Question 2 of 2"),
        "{reply}"
    );
    let reply = say(&mut conversation, "skip").await;
    assert!(
        reply.contains("Mock interview finished:** 1 answered, 1 skipped"),
        "{reply}"
    );

    // The answer with its follow-up is in Alice's history, from the chat.
    let (_, history) = app.call("GET", ALICE, "/v1/history", None).await;
    assert_eq!(history["total"], 2, "{history}");
    assert_eq!(history["entries"][0]["origin"], "chat");
    // After the summary the conversation is an ordinary chat again.
    let reply = say(
        &mut conversation,
        "Which story should I use for a time I failed?",
    )
    .await;
    assert!(!reply.contains("starcoach-mock"), "{reply}");
}
