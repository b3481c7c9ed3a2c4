//! The local embedder against vectors from Python sentence-transformers
//! (`tests/fixtures/embedding_reference.json`, made by `scripts/reference_vectors.py`).
//!
//! Needs the model: `bash scripts/setup-model.sh` (or STARCOACH__EMBEDDING__MODEL_DIR).
//! Without it the model tests say so and pass, unless STARCOACH_REQUIRE_MODEL=1 or CI is
//! set, where a missing model fails them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use starcoach::embed::{default_model_dir, EmbedError, Embedder, LocalEmbedder, TextRole};

const MIN_COSINE: f32 = 0.999;

struct Reference {
    model: String,
    sentences: Vec<String>,
    token_counts: Vec<usize>,
    vectors: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/embedding_reference.json");
    let text = std::fs::read_to_string(&path).expect("read the reference fixture");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("parse the reference fixture");
    let strings = |key: &str| -> Vec<String> {
        doc[key]
            .as_array()
            .unwrap_or_else(|| panic!("fixture lacks {key}"))
            .iter()
            .map(|s| s.as_str().expect("string").to_owned())
            .collect()
    };
    let reference = Reference {
        model: doc["model"].as_str().expect("model").to_owned(),
        sentences: strings("sentences"),
        token_counts: doc["token_counts"]
            .as_array()
            .expect("token_counts")
            .iter()
            .map(|n| n.as_u64().expect("count") as usize)
            .collect(),
        vectors: doc["vectors"]
            .as_array()
            .expect("vectors")
            .iter()
            .map(|v| {
                v.as_array()
                    .expect("vector")
                    .iter()
                    .map(|x| x.as_f64().expect("number") as f32)
                    .collect()
            })
            .collect(),
    };
    assert_eq!(reference.sentences.len(), reference.vectors.len());
    assert_eq!(reference.sentences.len(), reference.token_counts.len());
    reference
}

fn model_dir() -> PathBuf {
    match std::env::var_os("STARCOACH__EMBEDDING__MODEL_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => default_model_dir(),
    }
}

/// The embedder, loaded once for all tests; `None` (after saying why) when the model is
/// not installed and not required.
fn embedder() -> Option<&'static LocalEmbedder> {
    static EMBEDDER: OnceLock<Option<LocalEmbedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let dir = model_dir();
            match LocalEmbedder::load(&dir, 32) {
                Ok(embedder) => Some(embedder),
                Err(EmbedError::ModelMissing { path }) if !model_required() => {
                    eprintln!(
                        "SKIPPED: no embedding model at {path}; run `bash scripts/setup-model.sh` \
                         (set STARCOACH_REQUIRE_MODEL=1 to make this a failure)"
                    );
                    None
                }
                Err(err) => panic!("loading the model from {}: {err}", dir.display()),
            }
        })
        .as_ref()
}

fn model_required() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("STARCOACH_REQUIRE_MODEL") || set("CI")
}

fn cosine64(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    cosine64(a, b) as f32
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt() as f32
}

fn check_against_reference(label: &str, got: &[Vec<f32>], reference: &Reference) {
    assert_eq!(got.len(), reference.vectors.len(), "{label}: vector count");
    let mut worst = (f64::INFINITY, 0usize);
    let mut max_abs_diff = 0f32;
    for (i, (g, want)) in got.iter().zip(&reference.vectors).enumerate() {
        assert_eq!(g.len(), want.len(), "{label}: dimension of #{i}");
        let c = cosine64(g, want);
        for (x, y) in g.iter().zip(want) {
            max_abs_diff = max_abs_diff.max((x - y).abs());
        }
        assert!(
            c >= f64::from(MIN_COSINE),
            "{label}: cosine {c} < {MIN_COSINE} for sentence #{i} {:?}",
            reference.sentences[i]
        );
        let n = norm(g);
        assert!(
            (n - 1.0).abs() < 1e-4,
            "{label}: norm {n} for sentence #{i}"
        );
        if c < worst.0 {
            worst = (c, i);
        }
    }
    eprintln!(
        "{label}: worst 1 - cosine {:.2e} (sentence #{}), max |element diff| {max_abs_diff:.2e}",
        1.0 - worst.0,
        worst.1
    );
}

#[test]
fn batch_matches_sentence_transformers() {
    let Some(embedder) = embedder() else { return };
    let reference = reference();
    assert_eq!(embedder.model_id(), reference.model);
    assert_eq!(embedder.dimension(), 384);
    let texts: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    let got = embedder.embed_sync(&texts).expect("embed");
    check_against_reference("one batch", &got, &reference);
}

#[test]
fn one_at_a_time_matches_sentence_transformers() {
    let Some(embedder) = embedder() else { return };
    let reference = reference();
    let got: Vec<Vec<f32>> = reference
        .sentences
        .iter()
        .map(|s| embedder.embed_sync(&[s.as_str()]).expect("embed").remove(0))
        .collect();
    check_against_reference("one at a time", &got, &reference);
}

#[test]
fn small_batches_and_shuffled_order_give_the_same_vectors() {
    let Some(embedder) = embedder() else { return };
    let reference = reference();
    let dir = model_dir();
    // Batch size 3 mixes lengths differently from 32; the order is reversed and doubled.
    let small = LocalEmbedder::load(&dir, 3).expect("load");
    let mut texts: Vec<&str> = reference
        .sentences
        .iter()
        .rev()
        .map(String::as_str)
        .collect();
    texts.extend(reference.sentences.iter().map(String::as_str));
    let got = small.embed_sync(&texts).expect("embed");
    let n = reference.sentences.len();
    let mut reordered: Vec<Vec<f32>> = got[..n].iter().rev().cloned().collect();
    check_against_reference("batch size 3, reversed", &reordered, &reference);
    reordered = got[n..].to_vec();
    check_against_reference("batch size 3, second copy", &reordered, &reference);
    let single = embedder.embed_sync(&[texts[0]]).expect("embed");
    assert!(cosine(&single[0], &got[0]) > 0.99999);
}

#[tokio::test]
async fn async_embed_matches_sync() {
    let Some(embedder) = embedder() else { return };
    let reference = reference();
    assert!(embedder
        .embed(Vec::new(), TextRole::Document)
        .await
        .expect("empty")
        .is_empty());
    assert!(embedder.embed_sync(&[]).expect("empty").is_empty());
    let got = embedder
        .embed(reference.sentences.clone(), TextRole::Document)
        .await
        .expect("embed");
    check_against_reference("async", &got, &reference);
}

#[test]
fn token_counts_match_the_python_tokenizer() {
    let Some(embedder) = embedder() else { return };
    let reference = reference();
    for (sentence, &want) in reference.sentences.iter().zip(&reference.token_counts) {
        assert_eq!(embedder.count_tokens(sentence), want, "{sentence:?}");
    }
    assert_eq!(embedder.max_tokens(), 256);
    // The long sentence really exercises truncation.
    assert!(reference
        .token_counts
        .iter()
        .any(|&n| n > embedder.max_tokens()));
}

#[test]
fn missing_model_dir_names_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let absent = dir.path().join("no-such-model");
    let err = LocalEmbedder::load(&absent, 32).expect_err("must fail");
    assert!(matches!(err, EmbedError::ModelMissing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("scripts/setup-model.sh"), "{message}");
    assert!(message.contains("no-such-model"), "{message}");
}

#[test]
fn missing_model_file_is_model_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.json"), "{}").expect("write");
    let err = LocalEmbedder::load(dir.path(), 32).expect_err("must fail");
    match err {
        EmbedError::ModelMissing { path } => assert!(path.ends_with("tokenizer.json"), "{path}"),
        other => panic!("expected ModelMissing, got {other:?}"),
    }
}

#[test]
fn default_model_dir_ends_with_the_model_name() {
    // Only the suffix is checked: the environment is shared with other tests.
    assert!(default_model_dir().ends_with("models/all-MiniLM-L6-v2"));
}

/// Throughput on realistic sentences. Run via `bash scripts/bench-embed.sh`, which also
/// times Python on the same sentences; standalone:
/// `cargo test --test embedding_reference -- --ignored --nocapture throughput`.
/// STARCOACH_BENCH_SENTENCES names a JSON list of sentences; STARCOACH_BENCH_BATCH the batch size.
#[test]
#[ignore = "benchmark: run explicitly"]
fn throughput() {
    let Some(_) = embedder() else { return };
    let sentences: Vec<String> = match std::env::var_os("STARCOACH_BENCH_SENTENCES") {
        Some(path) => {
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
        }
        None => reference()
            .sentences
            .iter()
            .filter(|s| s.split_whitespace().count() >= 8 && s.len() < 400)
            .cycle()
            .take(500)
            .cloned()
            .collect(),
    };
    let batch: usize = std::env::var("STARCOACH_BENCH_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(32);
    let embedder = LocalEmbedder::load(&model_dir(), batch).expect("load");
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    embedder
        .embed_sync(&texts[..texts.len().min(64)])
        .expect("warm-up");
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t0 = std::time::Instant::now();
        let out = embedder.embed_sync(&texts).expect("embed");
        best = best.min(t0.elapsed().as_secs_f64());
        assert_eq!(out.len(), texts.len());
    }
    println!(
        "rust candle LocalEmbedder: {} sentences, best of 3 {best:.2}s, {:.0} sentences/s (batch {batch})",
        texts.len(),
        texts.len() as f64 / best
    );
}
