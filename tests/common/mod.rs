//! Shared test setup: the real embedding model (loaded once per test binary) and
//! real embedded Qdrant stores in temporary directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use starcoach::app::Coach;
use starcoach::config::Settings;
use starcoach::embed::{Embedder, LocalEmbedder};
use starcoach::store::EdgeStore;

/// The real all-MiniLM-L6-v2, loaded once (run `bash scripts/setup-model.sh` first).
pub fn embedder() -> Arc<LocalEmbedder> {
    static MODEL: OnceLock<Arc<LocalEmbedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = model_dir();
            Arc::new(LocalEmbedder::load(&dir, 32).unwrap_or_else(|e| panic!("{e}")))
        })
        .clone()
}

/// The `starcoach` binary as a user runs it, from the repository, on the embedded
/// store at `store`, with the tests' MiniLM model.
pub fn starcoach_command(store: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_starcoach"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--store")
        .arg(store)
        .env("STARCOACH__EMBEDDING__MODEL", "minilm")
        .env("STARCOACH__EMBEDDING__MODEL_DIR", model_dir());
    cmd
}

pub fn model_dir() -> PathBuf {
    std::env::var_os("STARCOACH__EMBEDDING__MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(starcoach::embed::default_model_dir)
}

/// `../shared/samples` beside the repository (CI has it there too).
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples")
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Test settings: defaults with MiniLM and the store in `store_dir`.
pub fn settings(store_dir: &Path) -> Settings {
    let mut settings = Settings::default();
    settings.store.path = store_dir.to_path_buf();
    // The shared test model is MiniLM (the fast one); EmbeddingGemma has tests of its own.
    settings.use_model(starcoach::config::EmbeddingModel::Minilm);
    settings.embedding.model_dir = model_dir();
    settings
}

/// A coach over a fresh embedded store in `store_dir` with the shared model.
pub fn coach(store_dir: &Path) -> Coach {
    let embedder: Arc<dyn Embedder> = embedder();
    let store = EdgeStore::open(store_dir, embedder.dimension()).expect("open edge store");
    Coach::from_parts(settings(store_dir), Arc::new(store), embedder)
}

/// Ingest our example corpus (`corpus/`) as `user`'s bank.
pub async fn ingest_corpus(coach: &Coach, user: &str) {
    coach
        .ingestor()
        .ingest_paths(user, &[corpus_dir()], &starcoach::ingest::NoProgress)
        .await
        .expect("ingest the example corpus");
}

/// A coach like [`coach`], with `tweak` applied to its settings first.
pub fn coach_with(store_dir: &Path, tweak: impl FnOnce(&mut Settings)) -> Coach {
    let embedder: Arc<dyn Embedder> = embedder();
    let store = EdgeStore::open(store_dir, embedder.dimension()).expect("open edge store");
    let mut settings = settings(store_dir);
    tweak(&mut settings);
    Coach::from_parts(settings, Arc::new(store), embedder)
}

/// Copy the sample files into a fresh directory the test may edit.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Whether a missing model must fail the test (STARCOACH_REQUIRE_MODEL or CI set).
pub fn model_required() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("STARCOACH_REQUIRE_MODEL") || set("CI")
}

/// The real EmbeddingGemma-300M, loaded once per test binary; `None` (the test says
/// SKIPPED and passes) when it is not set up and not required.
pub fn gemma() -> Option<Arc<dyn Embedder>> {
    use starcoach::config::EmbeddingModel;
    static MODEL: OnceLock<Option<Arc<dyn Embedder>>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = starcoach::embed::model_cache_dir(EmbeddingModel::Embeddinggemma);
            if !dir.join("model.safetensors").is_file() {
                assert!(
                    !model_required(),
                    "EmbeddingGemma is required but missing at {}",
                    dir.display()
                );
                eprintln!("SKIPPED: no EmbeddingGemma at {}", dir.display());
                return None;
            }
            let model = starcoach::embed::load_local(EmbeddingModel::Embeddinggemma, &dir, 16, 0);
            Some(model.unwrap_or_else(|e| panic!("{e}")))
        })
        .clone()
}

/// Failure injection: wraps the real model and fails every call after `ok_batches`
/// batches, like a process stopped in the middle of an ingest or a reindex. Not a
/// stand-in for the model.
pub struct FailingAfterBatchesEmbedder {
    inner: Arc<dyn Embedder>,
    ok_batches: usize,
    calls: std::sync::atomic::AtomicUsize,
}

impl FailingAfterBatchesEmbedder {
    pub fn new(inner: Arc<dyn Embedder>, ok_batches: usize) -> Self {
        Self {
            inner,
            ok_batches,
            calls: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

#[async_trait::async_trait]
impl Embedder for FailingAfterBatchesEmbedder {
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }
    async fn embed(
        &self,
        texts: Vec<String>,
        role: starcoach::embed::TextRole,
    ) -> Result<Vec<Vec<f32>>, starcoach::embed::EmbedError> {
        use std::sync::atomic::Ordering;
        if self.calls.fetch_add(1, Ordering::SeqCst) >= self.ok_batches {
            return Err(starcoach::embed::EmbedError::Inference(
                "injected failure".into(),
            ));
        }
        self.inner.embed(texts, role).await
    }
}
