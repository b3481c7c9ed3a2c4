//! The retrieval evaluation on the labeled set (tests/eval/questions.toml) over the
//! real samples in ../shared/samples and our corpus, with the real model and store.
//!
//! `heldout_meets_the_issue_targets` is the target of issue 5 (hybrid hit@3 >= 0.90,
//! hit@1 >= 0.75, MRR >= 0.80, hit@1 >= dense hit@1 + 0.10 on the held-out half). It
//! is not met yet (see README "Retrieval quality"), so it is ignored in the default run
//! and `heldout_does_not_regress` guards the numbers reached so far.

mod common;

use starcoach::eval::{run, EvalReport, LabelSet, SplitFilter};
use starcoach::retrieve::Method;
use tokio::sync::OnceCell;

/// The held-out evaluation, computed once per test binary.
async fn heldout() -> &'static EvalReport {
    static REPORT: OnceCell<EvalReport> = OnceCell::const_new();
    REPORT
        .get_or_init(|| async {
            let tmp = tempfile::tempdir().unwrap();
            let coach = common::coach(&tmp.path().join("store"));
            let report = heldout_in(&coach).await;
            eprintln!("{}", starcoach::render::eval(&report));
            report
        })
        .await
}

/// The held-out evaluation with `coach`'s store and model.
async fn heldout_in(coach: &starcoach::app::Coach) -> EvalReport {
    let labels = LabelSet::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/questions.toml"),
    )
    .unwrap();
    run(
        &labels,
        SplitFilter::Heldout,
        coach.ingestor(),
        coach.retriever(),
        coach.store().as_ref(),
    )
    .await
    .unwrap()
}

fn metrics(report: &EvalReport) -> (f64, f64, f64, f64) {
    let split = report.split(SplitFilter::Heldout).unwrap();
    let hybrid = split.method(Method::Hybrid).unwrap();
    let dense = split.method(Method::Dense).unwrap();
    (hybrid.hit_at_1, hybrid.hit_at_3, hybrid.mrr, dense.hit_at_1)
}

#[tokio::test]
#[ignore = "issue 5 targets not met yet: held-out hybrid hit@1 0.66, hit@3 0.84, MRR 0.75"]
async fn heldout_meets_the_issue_targets() {
    let (h1, h3, mrr, dense_h1) = metrics(heldout().await);
    assert!(h3 >= 0.90, "hybrid hit@3 {h3:.3} < 0.90");
    assert!(h1 >= 0.75, "hybrid hit@1 {h1:.3} < 0.75");
    assert!(mrr >= 0.80, "hybrid MRR {mrr:.3} < 0.80");
    assert!(
        h1 >= dense_h1 + 0.10,
        "hybrid hit@1 {h1:.3} < dense {dense_h1:.3} + 0.10"
    );
}

/// The fit score separates acceptable stories from the others in the hybrid top 5
/// (0.713 held-out with the sentence blend, 0.665 with the chunk cosine alone).
#[tokio::test]
async fn heldout_fit_scores_separate_acceptable_stories() {
    let report = heldout().await;
    let hybrid = report
        .split(SplitFilter::Heldout)
        .unwrap()
        .method(Method::Hybrid)
        .unwrap();
    let separation = hybrid.fit_separation.unwrap();
    assert!(separation >= 0.69, "fit separation {separation:.3} < 0.69");
}

#[tokio::test]
async fn heldout_does_not_regress() {
    let (h1, h3, mrr, dense_h1) = metrics(heldout().await);
    assert!(h3 >= 0.84, "hybrid hit@3 {h3:.3} < 0.84");
    assert!(h1 >= 0.60, "hybrid hit@1 {h1:.3} < 0.60");
    assert!(mrr >= 0.72, "hybrid MRR {mrr:.3} < 0.72");
    assert!(
        h1 >= dense_h1 + 0.10,
        "hybrid hit@1 {h1:.3} < dense {dense_h1:.3} + 0.10"
    );
}

/// The figures depend only on the banks and the questions, not on who else keeps
/// stories in the store (BM25 statistics are per user): the held-out evaluation in a
/// store where other users ingested, edited and deleted documents first is the same,
/// question by question, to the last digit.
#[tokio::test]
async fn heldout_figures_are_the_same_in_a_store_shared_with_other_users() {
    let alone = heldout().await;
    let tmp = tempfile::tempdir().unwrap();
    let coach = common::coach(&tmp.path().join("store"));
    let theirs = tmp.path().join("theirs");
    common::copy_dir(&common::samples_dir(), &theirs.join("samples"));
    common::copy_dir(&common::corpus_dir(), &theirs.join("corpus"));
    let ingest = |user: &'static str| {
        let paths = [theirs.clone()];
        let ingestor = coach.ingestor();
        async move {
            ingestor
                .ingest_paths(user, &paths, &starcoach::ingest::NoProgress)
                .await
                .unwrap();
        }
    };
    ingest("someone-else").await;
    let bank = theirs.join("samples/story-bank.md");
    let text = std::fs::read_to_string(&bank).unwrap();
    std::fs::write(&bank, text.replace(" the ", " the whole ")).unwrap();
    std::fs::remove_file(theirs.join("corpus/story-bank.md")).unwrap();
    ingest("someone-else").await;
    ingest("a-third-user").await;

    let shared = heldout_in(&coach).await;
    let figures = |report: &EvalReport| {
        let split = report.split(SplitFilter::Heldout).unwrap();
        serde_json::to_value((&split.methods, &split.competency, &report.questions)).unwrap()
    };
    if let Some(at) = first_difference(&figures(&shared), &figures(alone), String::new()) {
        panic!("the shared store's figures differ at {at}");
    }
}

/// The path of the first place where two JSON values differ, and both values there.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, format!("{at}[{i}]"))),
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
            x.iter().find_map(|(k, v)| {
                y.get(k).map_or(Some(format!("{at}.{k} (missing)")), |w| {
                    first_difference(v, w, format!("{at}.{k}"))
                })
            })
        }
        _ if a == b => None,
        _ => Some(format!("{at}: {a} against {b}")),
    }
}
