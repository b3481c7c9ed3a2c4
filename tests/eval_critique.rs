//! The deterministic critique (no LLM) on the labelled answers of
//! `tests/eval/answers.toml`, with EmbeddingGemma-300M (the default model; relevance is
//! read from its vectors) and grounded in `corpus/`: floors under what the held-out half
//! measured (README "Critique quality"), so that a change that names fewer planted
//! defects, raises more false alarms or orders answers worse fails CI. The issue's
//! targets (90% named, at most 10% false alarms, Spearman 0.8, every strong answer above
//! every weak one) are not all met yet: see README.

mod common;

use std::path::Path;
use std::sync::Arc;

use starcoach::app::Coach;
use starcoach::config::Settings;
use starcoach::eval::critique::{run, AnswerSet};
use starcoach::eval::SplitFilter;
use starcoach::store::EdgeStore;

/// Measured on the held-out half (28 answers since a45-a56 were added) with relevance
/// read from the question's core and from the agreement of the competency profiles,
/// results in words (text2num, zero counts, fractions, outcome phrases) and the
/// overall's weights calibrated on dev: 35 of 36 planted defects named (0.97), 4 of 258
/// checks raised wrongly (0.016), Spearman 0.762 (0.467 on the same 28 answers before
/// the agreement; dev 0.779 -> 0.848). On the first 44 answers the figures were 0.94,
/// 0.015 and 0.596. Before relevance (MiniLM): 0.87, 0.03, 0.54. Each Spearman floor
/// sits about 0.05 under its measured figure.
const FLOOR_RECALL: f64 = 0.90;
const CEILING_FALSE_ALARMS: f64 = 0.05;
const FLOOR_SPEARMAN: f64 = 0.70;
const FLOOR_SPEARMAN_DEV: f64 = 0.80;
/// Off-topic answers named on each half (dev 4 of 6, held out 5 of 6).
const FLOOR_OFF_TOPIC_NAMED: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_critique_keeps_its_heldout_figures_without_an_llm() {
    let Some(gemma) = common::gemma() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.store.path = tmp.path().join("store");
    let store = EdgeStore::open(&settings.store.path, gemma.dimension()).unwrap();
    let coach = Coach::from_parts(settings, Arc::new(store), gemma);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = AnswerSet::load(&root.join("tests/eval/answers.toml")).unwrap();
    assert!(
        set.answers.len() >= 40,
        "{} labelled answers",
        set.answers.len()
    );
    let report = run(&coach, &set, &[root.join("corpus")], SplitFilter::All)
        .await
        .unwrap();
    assert!(!report.llm);
    for split in &report.splits {
        eprintln!(
            "{}: named {}/{}, false alarms {}/{}, Spearman {:.2}, strong above weak {}",
            split.split,
            split.named,
            split.planted,
            split.raised_wrongly,
            split.checks,
            split.spearman,
            split.strong_above_weak
        );
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
        heldout.spearman >= FLOOR_SPEARMAN,
        "Spearman {:.2}",
        heldout.spearman
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
}
