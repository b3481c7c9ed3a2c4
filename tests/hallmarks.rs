//! The competencies' hallmarks (`config/competencies.toml`) against stories that were
//! labelled, by hand and before the hallmarks existed, as answering a question about
//! that competency (`tests/eval/questions.toml`, both banks, both halves): such a story
//! must state every hallmark of the question's competency, or the critique would call
//! an answer telling it off topic. Text nobody wrote the hallmarks against: the real
//! sample files and our own corpus. No model needed.

use std::collections::BTreeMap;
use std::path::Path;

use starcoach::competency::{CompetencySet, Hallmarks};
use starcoach::corpus::{collect_files, parse_file, Document};
use starcoach::eval::LabelSet;

/// Measured when the hallmarks were added (after words chosen on the dev questions'
/// pairs): dev 51 of 55 pairs (0.93; 47 before), held out 41 of 47 (0.87; 36 before),
/// 0.90 in all. A story that fits its question but states no hallmark is a false
/// off-topic waiting to happen; the misses left are terse notes ("- came up with
/// data") and questions labelled with a neighbouring competency.
const FLOOR_STATED: f64 = 0.85;

fn documents(labels: &LabelSet, bank: &str) -> Vec<Document> {
    let files = collect_files(&labels.bank_paths(bank)).unwrap();
    files
        .iter()
        .flat_map(|(path, source)| parse_file(path, source).unwrap().documents)
        .collect()
}

#[test]
fn stories_labelled_for_a_question_state_its_competencys_hallmarks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let labels = LabelSet::load(&root.join("tests/eval/questions.toml")).unwrap();
    let samples_present = root.join("../shared/samples").exists();
    if !samples_present {
        eprintln!("../shared/samples missing: the samples bank is not checked");
    }
    let set = CompetencySet::builtin();
    let mut banks: BTreeMap<String, Vec<Document>> = BTreeMap::new();
    // (checked, stated) per half of the questions: dev was used to choose words.
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unstated_pairs = Vec::new();
    for q in &labels.question {
        let Some(competency) = q.competency.as_deref() else {
            continue;
        };
        let c = set
            .competencies
            .iter()
            .find(|c| c.id == competency)
            .unwrap_or_else(|| panic!("question {}: unknown competency {competency}", q.id));
        let hallmarks = Hallmarks::of(c);
        if hallmarks.is_empty() || q.accept.is_empty() {
            continue;
        }
        if q.bank == "samples" && !samples_present {
            continue;
        }
        let docs = banks
            .entry(q.bank.clone())
            .or_insert_with(|| documents(&labels, &q.bank));
        let accepted: Vec<&Document> = docs
            .iter()
            .filter(|d| {
                q.accept
                    .iter()
                    .any(|a| a == &d.id || a.ends_with(&format!("/{}", d.id)))
            })
            .collect();
        assert!(
            !accepted.is_empty(),
            "question {}: none of its accepted stories was parsed",
            q.id
        );
        let half = format!("{:?}", q.split).to_lowercase();
        for doc in accepted {
            let count = counts.entry(half.clone()).or_default();
            count.0 += 1;
            let missing = hallmarks.unstated(&format!("{}\n{}", doc.title, doc.text()));
            if missing.is_empty() {
                count.1 += 1;
            } else {
                unstated_pairs.push(format!(
                    "{half} {} / {}: {}",
                    q.id,
                    doc.id,
                    missing.join(", ")
                ));
            }
        }
    }
    for (half, (checked, stated)) in &counts {
        eprintln!(
            "{half}: hallmarks stated by {stated} of {checked} labelled (question, story) pairs ({:.3})",
            *stated as f64 / (*checked).max(1) as f64
        );
    }
    let (checked, stated) = counts.values().fold((0, 0), |(c, s), (checked, stated)| {
        (c + checked, s + stated)
    });
    let rate = stated as f64 / checked.max(1) as f64;
    for pair in &unstated_pairs {
        eprintln!("  unstated: {pair}");
    }
    assert!(checked >= 20, "only {checked} pairs checked");
    assert!(
        rate >= FLOOR_STATED,
        "{rate:.3} of fitting stories state their question's hallmarks, floor {FLOOR_STATED}"
    );
}
