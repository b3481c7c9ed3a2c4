//! EmbeddingGemma-300M against vectors from Python sentence-transformers
//! (`tests/fixtures/embeddinggemma_reference.json`, made by
//! `python3 scripts/reference_vectors.py --model embeddinggemma`): queries and stored
//! texts each with their prompt, and the 256-dimension Matryoshka truncation.
//!
//! Needs the model: `bash scripts/setup-model.sh embeddinggemma --accept-gemma-terms`.
//! Without it the tests say so and pass, unless STARCOACH_REQUIRE_MODEL=1 or CI is set.

use std::path::Path;
use std::sync::OnceLock;

use starcoach::embed::{
    model_cache_dir, EmbedError, Embedder, EmbeddingModel, GemmaEmbedder, TextRole,
};

const MIN_COSINE: f64 = 0.999;

struct Reference {
    sentences: Vec<String>,
    token_counts: Vec<usize>,
    queries: Vec<Vec<f32>>,
    documents: Vec<Vec<f32>>,
    queries_256: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/embeddinggemma_reference.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read the fixture"))
            .expect("parse the fixture");
    let vectors = |key: &str| -> Vec<Vec<f32>> {
        doc[key]
            .as_array()
            .unwrap_or_else(|| panic!("fixture lacks {key}"))
            .iter()
            .map(|v| {
                v.as_array()
                    .expect("vector")
                    .iter()
                    .map(|x| x.as_f64().expect("number") as f32)
                    .collect()
            })
            .collect()
    };
    Reference {
        sentences: doc["sentences"]
            .as_array()
            .expect("sentences")
            .iter()
            .map(|s| s.as_str().expect("string").to_owned())
            .collect(),
        token_counts: doc["token_counts"]
            .as_array()
            .expect("token_counts")
            .iter()
            .map(|n| n.as_u64().expect("count") as usize)
            .collect(),
        queries: vectors("queries"),
        documents: vectors("documents"),
        queries_256: vectors("queries_256"),
    }
}

fn model_required() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("STARCOACH_REQUIRE_MODEL") || set("CI")
}

fn load(dimension: Option<usize>) -> Option<GemmaEmbedder> {
    let dir = model_cache_dir(EmbeddingModel::Embeddinggemma);
    match GemmaEmbedder::load(&dir, 8, dimension) {
        Ok(embedder) => Some(embedder),
        Err(EmbedError::ModelMissing { path }) if !model_required() => {
            eprintln!(
                "SKIPPED: no EmbeddingGemma at {path}; run `bash scripts/setup-model.sh embeddinggemma --accept-gemma-terms`"
            );
            None
        }
        Err(err) => panic!("loading EmbeddingGemma from {}: {err}", dir.display()),
    }
}

fn embedder() -> Option<&'static GemmaEmbedder> {
    static EMBEDDER: OnceLock<Option<GemmaEmbedder>> = OnceLock::new();
    EMBEDDER.get_or_init(|| load(None)).as_ref()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

fn check(label: &str, got: &[Vec<f32>], want: &[Vec<f32>], sentences: &[String]) {
    assert_eq!(got.len(), want.len(), "{label}: vector count");
    let worst = got
        .iter()
        .zip(want)
        .map(|(g, w)| cosine(g, w))
        .fold(f64::INFINITY, f64::min);
    eprintln!("{label}: worst cosine to sentence-transformers {worst:.7}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "{label}: dimension of vector {i}");
        let c = cosine(g, w);
        assert!(
            c >= MIN_COSINE,
            "{label}: cosine {c:.6} < {MIN_COSINE} for {:?}",
            sentences[i]
        );
        let norm: f64 = g.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "{label}: vector {i} has norm {norm}"
        );
    }
}

#[tokio::test]
async fn queries_and_documents_match_sentence_transformers() {
    let Some(embedder) = embedder() else { return };
    let reference = reference();
    assert_eq!(embedder.dimension(), 768);
    assert_eq!(embedder.model_id(), "google/embeddinggemma-300m");
    let queries = embedder
        .embed(reference.sentences.clone(), TextRole::Query)
        .await
        .expect("embed queries");
    check("query", &queries, &reference.queries, &reference.sentences);
    let documents = embedder
        .embed(reference.sentences.clone(), TextRole::Document)
        .await
        .expect("embed documents");
    check(
        "document",
        &documents,
        &reference.documents,
        &reference.sentences,
    );
    // The prompts matter: a question and the same text stored are different vectors.
    assert!(cosine(&queries[0], &documents[0]) < 0.99);
}

#[test]
fn token_counts_match_sentence_transformers() {
    let Some(embedder) = embedder() else { return };
    let reference = reference();
    for (sentence, &want) in reference.sentences.iter().zip(&reference.token_counts) {
        assert_eq!(embedder.count_tokens(sentence), want, "{sentence:?}");
    }
}

#[test]
fn one_text_at_a_time_gives_the_batch_vectors() {
    let Some(embedder) = embedder() else { return };
    let reference = reference();
    let texts: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    let batch = embedder
        .embed_sync(&texts, TextRole::Document)
        .expect("batch");
    for (text, want) in texts.iter().zip(&batch) {
        let single = embedder
            .embed_sync(&[text], TextRole::Document)
            .expect("single");
        assert!(cosine(&single[0], want) > 0.99999, "{text:?}");
    }
}

#[tokio::test]
async fn matryoshka_truncation_matches_sentence_transformers() {
    if embedder().is_none() {
        return;
    }
    let short = load(Some(256)).expect("model present");
    assert_eq!(short.dimension(), 256);
    assert_eq!(short.model_id(), "google/embeddinggemma-300m@256");
    let reference = reference();
    let got = short
        .embed(reference.sentences.clone(), TextRole::Query)
        .await
        .expect("embed");
    check(
        "query@256",
        &got,
        &reference.queries_256,
        &reference.sentences,
    );
}

#[test]
fn a_dimension_it_was_not_trained_for_is_refused() {
    let dir = model_cache_dir(EmbeddingModel::Embeddinggemma);
    if !dir.join("model.safetensors").is_file() && !model_required() {
        return;
    }
    let err = GemmaEmbedder::load(&dir, 8, Some(300)).expect_err("300 is not a Matryoshka size");
    assert!(err.to_string().contains("300"), "{err}");
}
