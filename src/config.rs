//! All configuration in one place: `config/default.toml` < `config/local.toml` <
//! `STARCOACH__*` environment variables (`__` separates levels).

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Errors while reading configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
}

/// The whole configuration of starcoach.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    pub default_user: String,
    pub store: StoreSettings,
    pub embedding: EmbeddingSettings,
    pub ingest: IngestSettings,
    pub retrieval: RetrievalSettings,
    pub server: ServerSettings,
    /// Optional (older configs have no `[llm]`): no LLM means the deterministic critique.
    #[serde(default)]
    pub llm: LlmSettings,
    #[serde(default)]
    pub critique: CritiqueSettings,
    #[serde(default)]
    pub coverage: CoverageSettings,
}

/// Competency coverage (`starcoach coverage`, `GET /v1/coverage`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CoverageSettings {
    /// Ask the LLM (when `[llm]` is set) which competencies each story demonstrates,
    /// beside the embedding similarity.
    pub llm_tagging: bool,
    /// Time the LLM gets per coverage report; stories it has not reached are tagged
    /// by later reports (answers are cached). Keep it below the HTTP request timeout.
    pub llm_budget_secs: u64,
}

impl Default for CoverageSettings {
    fn default() -> Self {
        Self {
            llm_tagging: true,
            llm_budget_secs: 20,
        }
    }
}

/// Limits of the answer critique.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CritiqueSettings {
    /// Longest transcript accepted (text, or the JSON of a Whisper object), in characters.
    pub max_transcript_chars: usize,
    /// Longest a critique may take, LLM included (the CLI's deadline; HTTP requests
    /// also stop at `server.request_timeout_secs`).
    pub deadline_secs: u64,
    /// Largest `POST /v1/answers/critique` body (Whisper JSON with words is large).
    pub max_body_bytes: usize,
}

impl Default for CritiqueSettings {
    fn default() -> Self {
        Self {
            max_transcript_chars: 40_000,
            deadline_secs: 90,
            max_body_bytes: 1 << 20,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoreSettings {
    /// Directory of the embedded store (used when `qdrant_url` is empty).
    pub path: PathBuf,
    /// gRPC URL of a Qdrant server, e.g. `http://localhost:6334`. Empty: the embedded
    /// store at `path`. `QDRANT_URL` sets it too.
    #[serde(default)]
    pub qdrant_url: String,
    /// API key of the Qdrant server (`QDRANT_API_KEY`). Never serialized or logged.
    #[serde(default, skip_serializing)]
    pub qdrant_api_key: crate::llm::ApiKey,
    /// Collection on the Qdrant server (created on first use).
    #[serde(default = "default_collection")]
    pub collection: String,
    /// Build per-user HNSW graphs for large banks and let a story or note search
    /// walk them, instead of scanning int8 copies of the vectors (see
    /// `store::dense`). Off by default: on the benchmark's 100,000-story bank the
    /// graph's recall@10 is 0.46 (BENCHMARKS.md). The embedded store rebuilds its
    /// dense index when opened with the other setting.
    #[serde(default)]
    pub graph_search: bool,
}

fn default_collection() -> String {
    "starcoach".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EmbeddingSettings {
    /// Empty means the default cache location (see [`crate::embed::default_model_dir`]).
    pub model_dir: PathBuf,
    pub batch_size: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IngestSettings {
    pub write_batch: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RetrievalSettings {
    pub default_top_k: usize,
    pub max_top_k: usize,
    pub max_question_chars: usize,
    pub candidate_chunks: usize,
    /// Competency list (TOML); empty: the built-in `config/competencies.toml`.
    #[serde(default)]
    pub competencies_file: PathBuf,
    /// Hybrid ranking weights (see [`crate::retrieve::RankingSettings`]).
    #[serde(default)]
    pub ranking: crate::retrieve::RankingSettings,
    /// Fit-level thresholds (see [`crate::retrieve::FitSettings`]).
    #[serde(default)]
    pub fit: crate::retrieve::FitSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerSettings {
    pub addr: String,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// Bearer API keys (hashed) mapped to users; empty = single-user, loopback only.
    #[serde(default)]
    pub api_keys: Vec<crate::http::ApiKeyEntry>,
    /// Origins allowed to call the API from a browser ("*" for any); empty: none.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

/// The OpenAI-compatible chat endpoint behind the critique (see [`crate::llm`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct LlmSettings {
    /// Up to and including `/v1`, e.g. `http://127.0.0.1:8080/v1`. Empty: no LLM.
    pub base_url: String,
    pub model: String,
    /// Never serialized or logged; set it with `STARCOACH__LLM__API_KEY`.
    #[serde(skip_serializing)]
    pub api_key: crate::llm::ApiKey,
    pub timeout_secs: u64,
    /// A streamed answer that sends nothing for this long is abandoned.
    pub stream_idle_secs: u64,
    pub max_tokens: u32,
    pub temperature: f32,
    /// Sent with every request so that the same prompt gets the same answer (llama.cpp,
    /// vLLM and Ollama honour it; OpenAI on a best-effort basis). Negative: none is sent
    /// and the server samples freely.
    pub seed: i64,
    /// The model's context window per request, in tokens: a prompt that does not fit
    /// with `max_tokens` of answer is not sent (the critique says so).
    pub context_tokens: usize,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            base_url: String::new(),
            model: "smollm2-135m".into(),
            api_key: crate::llm::ApiKey::default(),
            timeout_secs: 60,
            stream_idle_secs: 15,
            max_tokens: 1024,
            temperature: 0.2,
            seed: 7,
            context_tokens: 4096,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_user: "local".into(),
            store: StoreSettings {
                path: PathBuf::from(".starcoach/store"),
                qdrant_url: String::new(),
                qdrant_api_key: Default::default(),
                collection: default_collection(),
                graph_search: false,
            },
            embedding: EmbeddingSettings {
                model_dir: PathBuf::new(),
                batch_size: 32,
            },
            ingest: IngestSettings { write_batch: 64 },
            retrieval: RetrievalSettings {
                default_top_k: 5,
                max_top_k: 20,
                max_question_chars: 2000,
                candidate_chunks: 60,
                competencies_file: PathBuf::new(),
                ranking: Default::default(),
                fit: Default::default(),
            },
            server: ServerSettings {
                addr: "127.0.0.1:8787".into(),
                max_body_bytes: 64 * 1024,
                request_timeout_secs: 30,
                api_keys: Vec::new(),
                cors_origins: Vec::new(),
            },
            llm: LlmSettings::default(),
            critique: CritiqueSettings::default(),
            coverage: CoverageSettings::default(),
        }
    }
}

impl Settings {
    /// Load from `config_dir/default.toml`, then `config_dir/local.toml`, then the
    /// environment. Missing files are fine: the built-in defaults equal default.toml.
    pub fn load(config_dir: &Path) -> Result<Self, ConfigError> {
        Self::figment(config_dir)
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))
    }

    /// The layered provider, exposed so that callers (tests) can merge more on top.
    pub fn figment(config_dir: &Path) -> Figment {
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(config_dir.join("default.toml")))
            .merge(Toml::file(config_dir.join("local.toml")))
            .merge(Self::qdrant_env())
            .merge(Env::prefixed("STARCOACH__").split("__"))
    }

    /// The conventional `QDRANT_URL` and `QDRANT_API_KEY` as `store.qdrant_url` and
    /// `store.qdrant_api_key` (`STARCOACH__STORE__*` still wins over them). Read as
    /// plain strings: figment's `Env` would turn a key like `12345` into a number.
    fn qdrant_env() -> Serialized<std::collections::BTreeMap<&'static str, String>> {
        let vars = [
            ("qdrant_url", "QDRANT_URL"),
            ("qdrant_api_key", "QDRANT_API_KEY"),
        ];
        let store = vars
            .into_iter()
            .filter_map(|(key, var)| std::env::var(var).ok().map(|value| (key, value)))
            .collect();
        Serialized::default("store", store)
    }

    /// The model directory to load, resolving the empty default.
    pub fn model_dir(&self) -> PathBuf {
        if self.embedding.model_dir.as_os_str().is_empty() {
            crate::embed::default_model_dir()
        } else {
            self.embedding.model_dir.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toml_matches_builtin_defaults() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let from_file: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(dir.join("default.toml")))
            .extract()
            .unwrap();
        assert_eq!(from_file, Settings::default());
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns figment::Error
    fn environment_overrides_files() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "default.toml",
                "default_user = \"file\"\n[server]\naddr = \"0.0.0.0:1\"",
            )?;
            jail.set_env("STARCOACH__SERVER__ADDR", "127.0.0.1:9");
            let settings = Settings::load(jail.directory()).unwrap();
            assert_eq!(settings.default_user, "file");
            assert_eq!(settings.server.addr, "127.0.0.1:9");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns figment::Error
    fn qdrant_env_vars_select_the_server_store_and_the_key_stays_hidden() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("QDRANT_URL", "http://qdrant:6334");
            jail.set_env("QDRANT_API_KEY", "s3cret-key");
            let settings = Settings::load(jail.directory()).unwrap();
            assert_eq!(settings.store.qdrant_url, "http://qdrant:6334");
            assert_eq!(settings.store.qdrant_api_key.expose(), "s3cret-key");
            assert_eq!(settings.store.collection, "starcoach");
            assert!(!format!("{settings:?}").contains("s3cret-key"));

            jail.set_env("QDRANT_API_KEY", "12345");
            let settings = Settings::load(jail.directory()).unwrap();
            assert_eq!(settings.store.qdrant_api_key.expose(), "12345");

            jail.set_env("STARCOACH__STORE__QDRANT_URL", "http://other:6334");
            let settings = Settings::load(jail.directory()).unwrap();
            assert_eq!(settings.store.qdrant_url, "http://other:6334");
            Ok(())
        });
    }
}
