//! With the real local LLM (SmolLM2-135M through llama.cpp) configured, the critique of
//! the labelled answers is never worse than without it (issue 25): on the held-out
//! half, no fewer planted defects named, no more false alarms, a rank correlation with
//! the hand ranking at least as high, and strong answers still above weak ones when
//! they were. A model whose statements fail the checks is held to the deterministic
//! critique, so a small model can add little, but it must not take away.

mod common;
mod support;

use std::path::Path;
use std::sync::Arc;

use starcoach::app::Coach;
use starcoach::config::Settings;
use starcoach::embed::Embedder;
use starcoach::eval::critique::{run, AnswerSet, CritiqueSplitReport};
use starcoach::eval::SplitFilter;
use starcoach::store::EdgeStore;
use support::llm_server::LlmServer;

async fn heldout(llm_url: &str, gemma: &Arc<dyn Embedder>) -> CritiqueSplitReport {
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.store.path = tmp.path().join("store");
    settings.llm.base_url = llm_url.to_string();
    let store = EdgeStore::open(&settings.store.path, gemma.dimension()).unwrap();
    let coach = Coach::from_parts(settings, Arc::new(store), gemma.clone());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = AnswerSet::load(&root.join("tests/eval/answers.toml")).unwrap();
    let report = run(&coach, &set, &[root.join("corpus")], SplitFilter::Heldout)
        .await
        .unwrap();
    assert_eq!(report.llm, !llm_url.is_empty());
    let split = report.splits.into_iter().next().expect("the held-out half");
    eprintln!(
        "{}: named {}/{}, false alarms {}/{}, Spearman {:.3}, strong above weak {}, LLM {:?}",
        if llm_url.is_empty() {
            "no LLM"
        } else {
            "SmolLM2"
        },
        split.named,
        split.planted,
        split.raised_wrongly,
        split.checks,
        split.spearman,
        split.strong_above_weak,
        split.llm_outcomes
    );
    split
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_llm_never_makes_the_critique_worse() {
    let Some(gemma) = common::gemma() else {
        return;
    };
    let without = heldout("", &gemma).await;
    let with = heldout(&LlmServer::shared().base_url(), &gemma).await;
    let answered = with
        .llm_outcomes
        .iter()
        .filter(|(k, _)| k.as_str() != "unavailable")
        .map(|(_, n)| n)
        .sum::<usize>();
    assert!(
        answered * 2 >= with.answers,
        "the model answered only {answered} of {} critiques: {:?}",
        with.answers,
        with.llm_outcomes
    );
    assert!(with.named >= without.named, "defects named");
    assert!(
        with.raised_wrongly <= without.raised_wrongly,
        "false alarms"
    );
    assert!(
        with.spearman >= without.spearman - 1e-9,
        "Spearman {:.3} with the LLM, {:.3} without",
        with.spearman,
        without.spearman
    );
    assert!(with.strong_above_weak || !without.strong_above_weak);
}
