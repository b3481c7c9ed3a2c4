//! The deterministic critique (no LLM) on the labelled answers of
//! `tests/eval/answers.toml`, grounded in `corpus/`: floors under what the held-out half
//! measured (README "Critique quality"), so that a change that names fewer planted
//! defects, raises more false alarms or orders answers worse fails CI. The issue's
//! targets (90% named, at most 10% false alarms, Spearman 0.8) are higher: see README.

mod common;

use std::path::Path;

use starcoach::eval::critique::{run, AnswerSet};
use starcoach::eval::SplitFilter;

/// Measured on the held-out half when the set was first run (no change tuned on it yet):
/// 27 of 31 planted defects named (0.87; the 4 missed are the off-topic answers, which
/// nothing detects without an LLM yet), 6 of 202 checks raised wrongly (0.03),
/// Spearman 0.54.
const FLOOR_RECALL: f64 = 0.83;
const CEILING_FALSE_ALARMS: f64 = 0.06;
const FLOOR_SPEARMAN: f64 = 0.45;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_critique_keeps_its_heldout_figures_without_an_llm() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = common::coach(&tmp.path().join("store"));
    let labels = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/answers.toml");
    let set = AnswerSet::load(&labels).unwrap();
    assert!(
        set.answers.len() >= 40,
        "{} labelled answers",
        set.answers.len()
    );
    let report = run(&coach, &set, &[common::corpus_dir()], SplitFilter::All)
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
    // Floors a little under the held-out figures measured when the set was labelled
    // (before any change tuned on it).
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
}
