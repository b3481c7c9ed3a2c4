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

/// Measured on the held-out half with relevance, results in words (text2num, zero
/// counts, fractions, outcome phrases) and the overall's weights calibrated on dev: 29 of
/// 31 planted defects named (0.94), 3 of 202 checks raised wrongly (0.015), Spearman
/// 0.596 (0.652 with the reasoned weights, 0.75 before results in words; dev went from
/// 0.69 to 0.80, then 0.88 with the calibration). Before relevance (MiniLM): 0.87, 0.03,
/// 0.54. Each Spearman floor sits about 0.05 under its measured figure.
const FLOOR_RECALL: f64 = 0.90;
const CEILING_FALSE_ALARMS: f64 = 0.05;
const FLOOR_SPEARMAN: f64 = 0.55;
const FLOOR_SPEARMAN_DEV: f64 = 0.83;

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
            named >= 2,
            "{}: off-topic answers named {named}",
            split.split
        );
    }
}
