//! The deterministic critique (no LLM) on the labelled answers of
//! `tests/eval/answers.toml`, with EmbeddingGemma-300M (the default model; relevance is
//! read from its vectors) and grounded in `corpus/`: floors under what the held-out half
//! measured (README "Critique quality"), so that a change that names fewer planted
//! defects, raises more false alarms or orders answers worse fails CI. The issue's
//! targets (90% named, at most 10% false alarms, Spearman 0.8, every strong answer above
//! every weak one) are met on both halves: see README.
//!
//! Then, with the real local LLM (SmolLM2-135M through llama.cpp) configured, the
//! held-out half again: the critique is never worse than without it (issue 25): no
//! fewer planted defects named, no more false alarms, a rank correlation at least as
//! high, and strong answers still above weak ones when they were. A model whose
//! statements fail the checks is held to the deterministic critique, so a small model
//! can add little, but it must not take away. (One test, so the held-out half without
//! the LLM is critiqued once for both.)

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

/// Measured on the held-out half (28 answers) with relevance read from the question's
/// core, the agreement of the competency profiles and the competencies' hallmarks,
/// results in words (text2num, zero counts, fractions, outcome phrases) and the
/// overall's weights calibrated on dev: 36 of 36 planted defects named, 5 of 258 checks
/// raised wrongly (0.019), Spearman 0.868, every strong answer above every weak or
/// off-topic one (dev: 38/39, 0/254, 0.943, yes). Before the hallmarks: held out 35/36,
/// 4/258, 0.762, no; dev 36/39, 0/254, 0.848, yes. On the first 44 answers the figures
/// were 0.94, 0.015 and 0.596; before relevance (MiniLM): 0.87, 0.03, 0.54. The
/// Spearman floors sit about 0.06 under the measured figures; the held-out one is the
/// issue's target.
const FLOOR_RECALL: f64 = 0.90;
const CEILING_FALSE_ALARMS: f64 = 0.05;
const FLOOR_SPEARMAN: f64 = 0.80;
const FLOOR_SPEARMAN_DEV: f64 = 0.88;
/// Off-topic answers named on each half (6 of 6 on both).
const FLOOR_OFF_TOPIC_NAMED: usize = 5;

/// A coach on an empty store with the model, and the LLM at `llm_url` (none when empty).
fn coach(gemma: &Arc<dyn Embedder>, llm_url: &str, dir: &Path) -> Coach {
    let mut settings = Settings::default();
    settings.store.path = dir.join("store");
    settings.llm.base_url = llm_url.to_string();
    let store = EdgeStore::open(&settings.store.path, gemma.dimension()).unwrap();
    Coach::from_parts(settings, Arc::new(store), gemma.clone())
}

fn say(label: &str, split: &CritiqueSplitReport) {
    eprintln!(
        "{label} {}: named {}/{}, false alarms {}/{}, Spearman {:.3}, strong above weak {}, LLM {:?}",
        split.split,
        split.named,
        split.planted,
        split.raised_wrongly,
        split.checks,
        split.spearman,
        split.strong_above_weak,
        split.llm_outcomes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_critique_keeps_its_figures_without_an_llm_and_the_local_llm_never_makes_it_worse() {
    let Some(gemma) = common::gemma() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let coach_alone = coach(&gemma, "", tmp.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = AnswerSet::load(&root.join("tests/eval/answers.toml")).unwrap();
    assert!(
        set.answers.len() >= 40,
        "{} labelled answers",
        set.answers.len()
    );
    let report = run(&coach_alone, &set, &[root.join("corpus")], SplitFilter::All)
        .await
        .unwrap();
    assert!(!report.llm);
    for split in &report.splits {
        say("no LLM", split);
    }
    let heldout = report
        .splits
        .iter()
        .find(|s| s.split == "heldout")
        .expect("a held-out half");
    assert!(
        heldout.defect_recall >= FLOOR_RECALL,
        "defects named {:.2}",
        heldout.defect_recall
    );
    assert!(
        heldout.false_alarm_rate <= CEILING_FALSE_ALARMS,
        "false alarms {:.2}",
        heldout.false_alarm_rate
    );
    assert!(
        heldout.spearman >= FLOOR_SPEARMAN && heldout.strong_above_weak,
        "held out: Spearman {:.2}, strong above weak {}",
        heldout.spearman,
        heldout.strong_above_weak
    );
    let dev = report
        .splits
        .iter()
        .find(|s| s.split == "dev")
        .expect("a dev half");
    assert!(
        dev.spearman >= FLOOR_SPEARMAN_DEV && dev.strong_above_weak,
        "dev: Spearman {:.2}, strong above weak {}",
        dev.spearman,
        dev.strong_above_weak
    );
    // An answer to another question is named as such, on both halves.
    for split in &report.splits {
        let named = split
            .by_defect
            .get("off_topic")
            .map_or(0, |(named, _)| *named);
        assert!(
            named >= FLOOR_OFF_TOPIC_NAMED,
            "{}: off-topic answers named {named}",
            split.split
        );
    }

    // The held-out half again, with the real local LLM.
    let llm_dir = tempfile::tempdir().unwrap();
    // Two llama.cpp threads: nothing else runs while the model generates here (the
    // critiques' embeddings come before each request), and they nearly halve this half.
    let server = LlmServer::start_with_threads(2);
    let with_llm = coach(&gemma, &server.base_url(), llm_dir.path());
    let report = run(
        &with_llm,
        &set,
        &[root.join("corpus")],
        SplitFilter::Heldout,
    )
    .await
    .unwrap();
    assert!(report.llm);
    let with = report.splits.into_iter().next().expect("the held-out half");
    say("SmolLM2", &with);
    let without = heldout;
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
