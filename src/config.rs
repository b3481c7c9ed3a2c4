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
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoreSettings {
    pub path: PathBuf,
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
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerSettings {
    pub addr: String,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_user: "local".into(),
            store: StoreSettings {
                path: PathBuf::from(".starcoach/store"),
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
            },
            server: ServerSettings {
                addr: "127.0.0.1:8787".into(),
                max_body_bytes: 64 * 1024,
                request_timeout_secs: 30,
            },
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
            .merge(Env::prefixed("STARCOACH__").split("__"))
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
}
