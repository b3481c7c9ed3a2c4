//! The web page in a real browser: headless Chromium (Debian's packages) through
//! WebDriver against `starcoach serve` (the binary, page embedded) on port 0, with the
//! real embedding model, the embedded Qdrant store, the example corpus and the SQLite
//! history beside it. Each page loads
//! with no console errors; what the page draws is checked against the API's JSON for
//! the same input; screenshots at laptop and phone width go to
//! `target/web-screenshots/` (or `$STARCOACH_SCREENSHOTS`).

mod common;
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{json, Value};
use starcoach::http::hash_key;
use support::browser::{screenshot_dir, Browser};

/// `starcoach serve` (the binary, with its embedded page) on port 0 over a store with
/// the example corpus.
struct Site {
    base: String,
    http: reqwest::Client,
    key: Option<&'static str>,
    server: Child,
    _tmp: tempfile::TempDir,
}

impl Drop for Site {
    fn drop(&mut self) {
        // A failed test must not leave the server running.
        let _ = self.server.kill();
    }
}

fn starcoach(store: &Path) -> Command {
    let mut cmd = common::starcoach_command(store);
    cmd.env_remove("RUST_LOG").env("NO_COLOR", "1");
    cmd
}

impl Site {
    /// Ingest the example corpus for `user`, then serve; keyed when `key` is set.
    async fn start(user: &str, key: Option<&'static str>) -> Site {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("store");
        let ingest = starcoach(&store)
            .args(["ingest", "corpus", "--user", user])
            .output()
            .unwrap();
        assert!(ingest.status.success(), "{ingest:?}");
        let config = tmp.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml"),
            config.join("default.toml"),
        )
        .unwrap();
        if let Some(key) = key {
            std::fs::write(
                config.join("local.toml"),
                format!(
                    "[[server.api_keys]]\nuser = \"{user}\"\nkey_sha256 = \"{}\"\n",
                    hash_key(key)
                ),
            )
            .unwrap();
        }
        let mut server = starcoach(&store)
            .arg("--config-dir")
            .arg(&config)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The log says where it listens; keep draining it so the pipe never fills.
        let stderr = server.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("local=").nth(1) {
                    let _ = tx.send(addr.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("starcoach serve says where it listens");
        Site {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            key,
            server,
            _tmp: tmp,
        }
    }

    /// The critique JSON of `transcript` for `question`, from the API.
    async fn critique(&self, transcript: &str, question: &str) -> Value {
        self.api(
            "POST",
            "/v1/answers/critique",
            Some(json!({"transcript": transcript, "question": question})),
        )
        .await
    }

    /// `value` is valid against the component schema `name` of `/openapi.json`.
    async fn assert_matches_openapi(&self, value: &Value, name: &str) {
        let mut doc = self.api("GET", "/openapi.json", None).await;
        doc["$ref"] = json!(format!("#/components/schemas/{name}"));
        let validator = jsonschema::validator_for(&doc).expect("the OpenAPI schemas compile");
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{name} does not match /openapi.json: {errors:#?}"
        );
    }

    /// Stop the server with SIGTERM (it finishes requests and closes the store) before
    /// its directory goes.
    async fn stop(mut self) {
        unsafe { libc::kill(self.server.id() as i32, libc::SIGTERM) };
        let status = self.server.wait().unwrap();
        assert!(status.success(), "serve exited with {status}");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(key) = self.key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{method} {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transcripts")
        .join(name)
}

/// Load the page afresh at `page` and wait until it has drawn.
async fn open(browser: &Browser, site: &Site, page: &str) {
    // A new hash on the same document would not reload it.
    browser.client.goto("about:blank").await.expect("blank");
    browser
        .client
        .goto(&site.url(&format!("/#/{page}")))
        .await
        .expect("navigate");
    browser
        .wait_for(
            &format!("return document.body.dataset.ready === '{page}'"),
            &format!("the {page} page"),
        )
        .await;
}

/// No console errors, and nothing drawn as a stringified object or a missing value.
async fn assert_no_console_errors(browser: &Browser, page: &str) {
    let errors = browser.console_errors().await;
    assert!(
        errors.is_empty(),
        "console errors on the {page} page: {errors:#?}"
    );
    let text = browser.eval("return document.body.innerText").await;
    let text = text.as_str().unwrap_or_default();
    for bad in ["[object ", "undefined", "NaN"] {
        assert!(
            !text.contains(bad),
            "the {page} page shows {bad:?}:\n{text}"
        );
    }
}

/// Position of each element matching `css` on the timeline bar, as (left, width)
/// fractions of the bar.
async fn positions(browser: &Browser, css: &str) -> Vec<(f64, f64, String)> {
    let v = browser
        .eval(&format!(
            "const bar = document.getElementById('timeline-bar').getBoundingClientRect();
             return [...document.querySelectorAll('{css}')].map(el => {{
               const r = el.getBoundingClientRect();
               return [(r.left - bar.left) / bar.width, r.width / bar.width, el.dataset.part || el.dataset.term || ''];
             }});"
        ))
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_f64().unwrap(),
                p[1].as_f64().unwrap(),
                p[2].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The timeline drawn for `transcript` matches the critique JSON of the same text.
async fn check_timeline(browser: &Browser, critique: &Value) {
    let t = &critique["analysis"]["timeline"];
    let (start, end) = (t["start"].as_f64().unwrap(), t["end"].as_f64().unwrap());
    let total = end - start;
    let segments = positions(browser, "#timeline-bar .segment").await;
    let expected = t["segments"].as_array().unwrap();
    assert_eq!(
        segments.len(),
        expected.len(),
        "one bar segment per STAR segment"
    );
    for ((left, width, part), want) in segments.iter().zip(expected) {
        let (a, b) = (
            want["start"].as_f64().unwrap(),
            want["end"].as_f64().unwrap(),
        );
        assert_eq!(part, want["part"].as_str().unwrap());
        assert!(
            ((a - start) / total - left).abs() < 0.005,
            "{part} starts at {left}, JSON {a}"
        );
        assert!(
            ((b - a) / total - width).abs() < 0.005,
            "{part} is {width} wide, JSON {}",
            (b - a) / total
        );
    }
    let fillers = positions(browser, "#timeline-bar .filler").await;
    let expected = t["fillers"].as_array().unwrap();
    assert_eq!(fillers.len(), expected.len(), "one tick per filler");
    assert_eq!(
        fillers.len() as u64,
        critique["analysis"]["fillers"]["total"].as_u64().unwrap()
    );
    for ((left, width, term), want) in fillers.iter().zip(expected) {
        let at = (want["at"].as_f64().unwrap() - start) / total;
        assert_eq!(term, want["term"].as_str().unwrap());
        // The tick is centred on its position.
        assert!(
            (left + width / 2.0 - at).abs() < 0.005,
            "{term} drawn at {left}, JSON {at}"
        );
    }
}

const UPLOADED_STORY: &str = "# Web upload\n\n### Moving the nightly export off the shared database\n[Ownership]\n\n#### Situation\nThe nightly export ran on the shared database and slowed every morning's reports.\n\n#### Task\nI had to move it without losing a night of data.\n\n#### Actions\nI copied the export to a replica, compared a week of outputs byte for byte, then switched over on a quiet Sunday.\n\n#### Results\nMorning reports went from 40 seconds to 6, and no export has been missed since.\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_works_in_headless_chromium_and_draws_what_the_api_says() {
    let site = Site::start("local", None).await;
    let browser = Browser::start().await;
    let shots = screenshot_dir();

    // ---- load time: first paint of the page against /healthz, same run ----
    let mut health = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        site.http.get(site.url("/healthz")).send().await.unwrap();
        health.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    health.sort_by(f64::total_cmp);
    let mut paints = Vec::new();
    for _ in 0..5 {
        open(&browser, &site, "stories").await;
        let paint = browser
            .eval("const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;")
            .await;
        paints.push(paint.as_f64().expect("first contentful paint"));
    }
    paints.sort_by(f64::total_cmp);
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(
        shots.join("load-times.md"),
        format!(
            "| measure | median ms |\n|---|---:|\n| GET /healthz (reqwest) | {:.2} |\n| page first contentful paint | {:.1} |\n| ratio | {:.0}x |\n",
            health[10],
            paints[2],
            paints[2] / health[10]
        ),
    )
    .unwrap();

    // ---- stories: list and coverage grid, as the API has them ----
    open(&browser, &site, "stories").await;
    browser
        .wait_for(
            "return document.querySelectorAll('#coverage tbody tr').length > 0 && document.querySelectorAll('.story').length > 0",
            "coverage and stories",
        )
        .await;
    let coverage = site.api("GET", "/v1/coverage", None).await;
    let drawn = browser
        .eval("return [...document.querySelectorAll('#coverage tbody tr')].map(r => [r.dataset.competency, r.dataset.level, r.querySelector('td.hit').textContent]);")
        .await;
    let competencies = coverage["competencies"].as_array().unwrap();
    assert_eq!(drawn.as_array().unwrap().len(), competencies.len());
    for (row, c) in drawn.as_array().unwrap().iter().zip(competencies) {
        let level = if c["gap"].as_bool().unwrap() {
            "gap"
        } else {
            c["level"].as_str().unwrap()
        };
        assert_eq!(row[0], c["id"]);
        assert_eq!(row[1], level, "{}", c["id"]);
        assert_eq!(row[2], level, "the level is written, not only coloured");
    }
    let listing = site.api("GET", "/v1/stories?limit=200", None).await;
    let before = listing["total"].as_u64().unwrap();
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('.story').length")
            .await,
        json!(before)
    );
    assert_no_console_errors(&browser, "stories").await;
    browser.screenshots(&shots, "stories").await;
    browser
        .element_screenshot("#coverage", &shots.join("readme-coverage.png"))
        .await;

    // Drop a file on the drop zone: it is uploaded, listed, then deleted.
    browser
        .client
        .execute(
            "const dt = new DataTransfer();
             dt.items.add(new File([arguments[0]], 'web-upload.md', {type: 'text/markdown'}));
             document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));",
            vec![json!(UPLOADED_STORY)],
        )
        .await
        .unwrap();
    browser
        .wait_for(
            "return [...document.querySelectorAll('.story strong')].some(s => s.textContent.includes('nightly export'))",
            "the dropped story in the list",
        )
        .await;
    let status = browser
        .eval("return document.querySelector('.status').textContent")
        .await;
    assert!(status.as_str().unwrap().starts_with("Added 1"), "{status}");
    assert_eq!(
        site.api("GET", "/v1/stories?limit=200", None).await["total"],
        json!(before + 1)
    );
    browser
        .eval("window.confirm = () => true; return true")
        .await;
    browser
        .eval("const li = [...document.querySelectorAll('.story')].find(s => s.textContent.includes('nightly export')); li.querySelector('button').click(); return true;")
        .await;
    browser
        .wait_for(
            "return ![...document.querySelectorAll('.story strong')].some(s => s.textContent.includes('nightly export'))",
            "the deleted story gone",
        )
        .await;
    assert_eq!(
        site.api("GET", "/v1/stories?limit=200", None).await["total"],
        json!(before)
    );
    assert_no_console_errors(&browser, "stories").await;

    // ---- match: evidence highlighted inside the story, gap banner when nothing fits ----
    for question in [
        "Tell me about a time you disagreed with your manager.",
        "Tell me about a time you had to learn a new skill very quickly.",
        "Describe a time you negotiated a contract with a supplier.",
    ] {
        open(&browser, &site, "match").await;
        browser.fill("#match-question", question).await;
        browser.click("#main form button[type=submit]").await;
        browser
            .wait_for(
                "return document.querySelectorAll('#match-results .match').length > 0",
                "match results",
            )
            .await;
        let api = site
            .api(
                "POST",
                "/v1/stories/match",
                Some(json!({"question": question, "top_k": 5})),
            )
            .await;
        site.assert_matches_openapi(&api, "MatchResponse").await;
        let first = &api["stories"][0];
        let drawn = browser
            .eval("const card = document.querySelector('#match-results .match'); return [card.dataset.id, card.dataset.fit, [...card.querySelectorAll('mark.evidence')].map(m => m.textContent.replace(/\\s+/g, ' ').trim())];")
            .await;
        assert_eq!(drawn[0], first["id"]);
        assert_eq!(drawn[1], first["fit"]);
        let mut marked: Vec<String> = drawn[2]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect();
        let mut evidence: Vec<String> = first["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e["text"]
                    .as_str()
                    .unwrap()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        marked.sort();
        marked.dedup();
        evidence.sort();
        evidence.dedup();
        assert!(!evidence.is_empty(), "{question}: the API gives evidence");
        assert_eq!(
            marked, evidence,
            "{question}: every evidence sentence is marked in the story text"
        );
        let banner = browser
            .eval("return document.getElementById('gap-banner') !== null")
            .await;
        assert_eq!(
            banner,
            json!(!api["gap"].is_null()),
            "{question}: gap banner iff the API says gap"
        );
        assert_no_console_errors(&browser, "match").await;
        if question.contains("manager") {
            browser.screenshots(&shots, "match").await;
        }
    }

    // ---- critique: a timed upload (Whisper JSON), then pasted plain text ----
    const QUESTION: &str = "Tell me about a time you used data to solve a problem.";
    open(&browser, &site, "critique").await;
    browser.fill("#critique-question", QUESTION).await;
    let whisper = fixture("11_whisper_words.json");
    browser
        .client
        .find(Locator::Css("#critique-file"))
        .await
        .unwrap()
        .send_keys(whisper.to_str().unwrap())
        .await
        .unwrap();
    browser
        .wait_for(
            "return document.getElementById('critique-transcript').value.length > 0",
            "the file read into the answer box",
        )
        .await;
    browser.click("#main form button[type=submit]").await;
    browser
        .wait_for(
            "return document.querySelectorAll('#timeline-bar .segment').length > 0",
            "the STAR timeline",
        )
        .await;
    let text = std::fs::read_to_string(&whisper).unwrap();
    let critique = site.critique(&text, QUESTION).await;
    assert_eq!(critique["analysis"]["timeline"]["unit"], "seconds");
    site.assert_matches_openapi(&critique, "Critique").await;
    check_timeline(&browser, &critique).await;
    browser
        .wait_for(
            "return document.querySelector('#pace-chart canvas') !== null",
            "the pace chart",
        )
        .await;
    // Focus on a sentence shows it.
    browser
        .eval("document.querySelectorAll('.sentence')[1].focus(); return true")
        .await;
    let caption = browser
        .eval("return document.getElementById('timeline-caption').textContent")
        .await;
    let second = critique["analysis"]["sentences"][1]["text"]
        .as_str()
        .unwrap();
    assert!(
        caption.as_str().unwrap().contains(second),
        "{caption} / {second}"
    );
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('.rubric tbody tr').length")
            .await,
        json!(critique["scores"].as_array().unwrap().len())
    );
    assert_no_console_errors(&browser, "critique").await;
    browser.screenshots(&shots, "critique").await;
    browser
        .viewport_screenshot("#timeline-card", &shots.join("readme-critique.png"))
        .await;

    let plain = std::fs::read_to_string(fixture("05_filler_heavy.txt")).unwrap();
    open(&browser, &site, "critique").await;
    browser.fill("#critique-question", QUESTION).await;
    browser
        .eval(&format!(
            "document.getElementById('critique-transcript').value = {}; return true",
            json!(plain)
        ))
        .await;
    browser.click("#main form button[type=submit]").await;
    browser
        .wait_for(
            "return document.querySelectorAll('#timeline-bar .segment').length > 0",
            "the STAR timeline of plain text",
        )
        .await;
    let critique = site.critique(&plain, QUESTION).await;
    assert_eq!(critique["analysis"]["timeline"]["unit"], "words");
    site.assert_matches_openapi(&critique, "Critique").await;
    assert!(critique["analysis"]["fillers"]["total"].as_u64().unwrap() >= 5);
    check_timeline(&browser, &critique).await;
    assert_eq!(
        browser
            .eval("return document.getElementById('pace-note') !== null")
            .await,
        json!(true),
        "plain text says its pace is not measured"
    );
    assert_no_console_errors(&browser, "critique").await;
    browser.screenshots(&shots, "critique-plain").await;

    // ---- practice: a two-question interview in the page ----
    open(&browser, &site, "practice").await;
    browser.fill("#practice-count", "2").await;
    browser.click("#main form button[type=submit]").await;
    browser
        .wait_for(
            "return document.getElementById('practice-question') !== null",
            "the first question",
        )
        .await;
    let answer = std::fs::read_to_string(fixture("01_balanced.txt")).unwrap();
    browser
        .eval(&format!(
            "document.getElementById('practice-transcript').value = {}; return true",
            json!(answer)
        ))
        .await;
    browser.click("#practice form button[type=submit]").await;
    browser
        .wait_for(
            "return document.getElementById('short-critique') !== null && document.getElementById('practice-question') !== null",
            "the critique and the next question",
        )
        .await;
    assert_no_console_errors(&browser, "practice").await;
    browser.screenshots(&shots, "practice").await;
    for _ in 0..6 {
        if browser
            .eval("return document.getElementById('practice-summary') !== null")
            .await
            == json!(true)
        {
            break;
        }
        browser.click("#practice form button.secondary").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        browser
            .wait_for(
                "return !document.querySelector('#practice button.busy')",
                "the skip to finish",
            )
            .await;
    }
    browser
        .wait_for(
            "return document.getElementById('practice-summary') !== null",
            "the interview summary",
        )
        .await;
    let sessions = site.api("GET", "/v1/sessions", None).await;
    assert_eq!(sessions["sessions"][0]["finished"], json!(true));
    assert_eq!(sessions["sessions"][0]["answered"], json!(1));
    assert_no_console_errors(&browser, "practice").await;

    // ---- progress: one chart per rubric dimension and delivery metric ----
    open(&browser, &site, "progress").await;
    let progress = site.api("GET", "/v1/progress", None).await;
    // One chart per trend that has a value; the others say there is none yet.
    let charts = ["dimensions", "delivery"]
        .iter()
        .flat_map(|k| progress[*k].as_array().unwrap())
        .filter(|t| {
            t["points"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| !p["value"].is_null())
        })
        .count();
    assert!(charts >= 10, "{progress}");
    browser
        .wait_for(
            &format!("return document.querySelectorAll('.chart canvas').length === {charts}"),
            "the progress charts",
        )
        .await;
    let summary = browser
        .eval("return document.getElementById('progress-summary').textContent")
        .await;
    assert!(
        summary
            .as_str()
            .unwrap()
            .starts_with(&format!("{} answers", progress["answers"])),
        "{summary}"
    );
    assert!(
        progress["answers"].as_u64().unwrap() >= 3,
        "two critiques and one practice answer"
    );
    assert_no_console_errors(&browser, "progress").await;
    browser.screenshots(&shots, "progress").await;
    browser.close().await;
    site.stop().await;
}

const KEY: &str = "web-page-test-key";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyed_server_shows_nothing_until_the_key_is_given() {
    let site = Site::start("dana", Some(KEY)).await;
    let browser = Browser::start().await;

    // The page and its files carry no one's data, and the API refuses without the key.
    let page = reqwest::get(site.url("/")).await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-auth="bearer""#));
    for path in [
        "/v1/stories",
        "/v1/coverage",
        "/v1/progress",
        "/v1/sessions",
    ] {
        let status = reqwest::get(site.url(path)).await.unwrap().status();
        assert_eq!(status, 401, "{path} without the key");
    }
    let titles: Vec<String> = site.api("GET", "/v1/stories?limit=200", None).await["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect();
    for asset in ["/", "/assets/app.js", "/assets/app.css"] {
        let body = reqwest::get(site.url(asset))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for title in &titles {
            assert!(
                !body.contains(title.as_str()),
                "{asset} contains a story title"
            );
        }
    }
    assert_eq!(
        reqwest::get(site.url("/assets/nope.js"))
            .await
            .unwrap()
            .status(),
        404
    );

    // The page asks for the key and shows no data before it has one.
    browser.client.goto(&site.url("/#/stories")).await.unwrap();
    browser
        .wait_for(
            "return !document.getElementById('auth').hidden",
            "the key form",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shown = browser
        .eval("return [document.getElementById('main').hidden, document.querySelectorAll('.story, #coverage tbody tr').length]")
        .await;
    assert_eq!(shown, json!([true, 0]));
    assert_no_console_errors(&browser, "key").await;
    browser.screenshots(&screenshot_dir(), "key").await;

    // A wrong key is refused and asked again; the right one shows the stories.
    browser.fill("#auth-key", "not-the-key").await;
    browser.click("#auth-form button").await;
    browser
        .wait_for(
            "return !document.getElementById('auth-error').hidden && !document.getElementById('auth').hidden",
            "the refusal",
        )
        .await;
    let errors = browser.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("401")),
        "only the refused request: {errors:?}"
    );
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('.story').length")
            .await,
        json!(0)
    );
    browser.fill("#auth-key", KEY).await;
    browser.click("#auth-form button").await;
    browser
        .wait_for(
            &format!(
                "return document.querySelectorAll('.story').length === {}",
                titles.len()
            ),
            "the stories after the key",
        )
        .await;
    assert_no_console_errors(&browser, "stories").await;

    // Kept for the tab's session: a reload does not ask again.
    browser.client.refresh().await.unwrap();
    browser
        .wait_for(
            &format!("return document.getElementById('auth').hidden && document.querySelectorAll('.story').length === {}", titles.len()),
            "the stories after a reload",
        )
        .await;
    assert_no_console_errors(&browser, "stories").await;
    browser.close().await;
    site.stop().await;
}
