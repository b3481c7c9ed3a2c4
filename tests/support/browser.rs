//! Headless Chromium driven through WebDriver (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/setup-browser.sh`): a ChromeDriver on a
//! free port, one browser session, its console log and screenshots.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Laptop and phone window sizes for screenshots.
pub const LAPTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

pub struct Browser {
    pub client: Client,
    driver: Driver,
    _profile: tempfile::TempDir,
}

/// The ChromeDriver process, stopped when dropped (also when a test fails early).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Browser {
    /// Start ChromeDriver and a headless Chromium (the test fails if either is
    /// missing: `bash scripts/setup-browser.sh` installs them).
    pub async fn start() -> Browser {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: run `bash scripts/setup-browser.sh` (Debian's chromium and chromium-driver)"
            );
        }
        let port = free_port();
        let driver = Driver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start chromedriver"),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        // The flags keep Chromium off the network (this machine has none but the
        // registries) and runnable as root in a container.
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            format!("--window-size={},{}", LAPTOP.0, LAPTOP.1),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        // ChromeDriver speaks plain HTTP on loopback.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("start a Chromium session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Console messages since the last call: `(level, message)`.
    pub async fn console(&self) -> Vec<(String, String)> {
        let value = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("read the browser log");
        value
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        (
                            e["level"].as_str().unwrap_or("").to_string(),
                            e["message"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Console errors since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        self.console()
            .await
            .into_iter()
            .filter(|(level, _)| level == "SEVERE")
            .map(|(_, message)| message)
            .collect()
    }

    /// Wait until the script returns true (polling), or fail with `what`.
    pub async fn wait_for(&self, script: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let done = self
                .client
                .execute(script, vec![])
                .await
                .map(|v| v.as_bool() == Some(true))
                .unwrap_or(false);
            if done {
                return;
            }
            if Instant::now() > deadline {
                let errors = self.console_errors().await;
                panic!("timed out waiting for {what}; console errors: {errors:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Run a script and return its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Type into the element matching `css` (replacing its value).
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.client.find(Locator::Css(css)).await.expect(css);
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("click");
    }

    /// Screenshots of the current page at laptop and phone width, in `dir`.
    pub async fn screenshots(&self, dir: &Path, name: &str) -> Vec<PathBuf> {
        std::fs::create_dir_all(dir).unwrap();
        let mut saved = Vec::new();
        for (label, (w, h)) in [("laptop", LAPTOP), ("phone", PHONE)] {
            self.client.set_window_size(w, h).await.expect("resize");
            tokio::time::sleep(Duration::from_millis(400)).await;
            // The whole page from its top, not only the first screen.
            let height = self
                .eval("window.scrollTo(0, 0); return Math.ceil(document.documentElement.scrollHeight)")
                .await
                .as_u64()
                .unwrap_or(h as u64)
                .clamp(h as u64, 6000) as u32;
            self.client
                .set_window_size(w, height)
                .await
                .expect("resize");
            tokio::time::sleep(Duration::from_millis(300)).await;
            let png = self.client.screenshot().await.expect("screenshot");
            let path = dir.join(format!("{name}-{label}.png"));
            std::fs::write(&path, png).unwrap();
            saved.push(path);
        }
        self.client
            .set_window_size(LAPTOP.0, LAPTOP.1)
            .await
            .expect("resize");
        saved
    }

    /// A picture of one element (for README), in `dir`.
    pub async fn element_screenshot(&self, css: &str, path: &Path) {
        let el = self.client.find(Locator::Css(css)).await.expect(css);
        let png = el.screenshot().await.expect("element screenshot");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// A picture of the window at laptop size with `css` scrolled to the top.
    pub async fn viewport_screenshot(&self, css: &str, path: &Path) {
        self.client
            .set_window_size(LAPTOP.0, LAPTOP.1)
            .await
            .expect("resize");
        self.eval(&format!(
            "document.querySelector('{css}').scrollIntoView(); return true"
        ))
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// End the browser session (ChromeDriver stops when `self` drops).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Where screenshots go (`STARCOACH_SCREENSHOTS`, else `target/web-screenshots`).
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("STARCOACH_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/web-screenshots"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// ChromeDriver's console log (`POST /session/{id}/se/log`).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}
