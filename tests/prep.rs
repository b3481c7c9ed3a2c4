//! `prep`: a job description to competencies (with the job's own sentences), likely
//! questions from the bank and the user's best story for each, and the gaps; measured
//! on the labelled job descriptions of `tests/eval/jobs.toml`.

mod common;

use std::path::Path;
use std::sync::Arc;

use starcoach::app::Coach;
use starcoach::config::Settings;
use starcoach::eval::prep::{run, JobSet};
use starcoach::eval::SplitFilter;
use starcoach::prep::{JobError, PrepError};
use starcoach::store::EdgeStore;

/// Measured with EmbeddingGemma (the default model): recall@5 0.919 on the dev half
/// (where the method was chosen) and 0.895 on the held-out half.
const FLOOR_RECALL_AT_5: f64 = 0.85;

fn example_job() -> String {
    std::fs::read_to_string(common::corpus_dir().join("example.job.md")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competency_detection_keeps_its_figures_on_the_labelled_jobs() {
    let Some(gemma) = common::gemma() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.store.path = tmp.path().join("store");
    let store = EdgeStore::open(&settings.store.path, gemma.dimension()).unwrap();
    let coach = Coach::from_parts(settings, Arc::new(store), gemma);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = JobSet::load(&root.join("tests/eval/jobs.toml")).unwrap();
    assert!(set.jobs.len() >= 12, "{} labelled jobs", set.jobs.len());
    let report = run(&coach, &set, SplitFilter::All).await.unwrap();
    assert_eq!(report.splits.len(), 2);
    for split in &report.splits {
        eprintln!(
            "{:?}: recall@5 {:.3}, recall@3 {:.3}, precision@5 {:.3}",
            split.split, split.recall_at_5, split.recall_at_3, split.precision_at_5
        );
        assert!(
            split.recall_at_5 >= FLOOR_RECALL_AT_5,
            "{:?} recall@5 {:.3} under the floor {FLOOR_RECALL_AT_5}",
            split.split,
            split.recall_at_5
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prep_plan_quotes_the_job_asks_the_banks_questions_and_finds_stories() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = common::coach(tmp.path());
    common::ingest_corpus(&coach, "ana").await;
    let job = example_job();
    let report = coach.prep("ana", &job).await.unwrap();
    let settings = &coach.settings().practice;
    assert_eq!(report.competencies.len(), settings.prep_competencies);
    assert!(
        report.job.job_sentences < report.job.sentences,
        "boilerplate counted"
    );
    let lines: Vec<&str> = job.lines().collect();
    let bank = coach.question_bank().unwrap();
    for (i, c) in report.competencies.iter().enumerate() {
        assert_eq!(c.rank, i + 1);
        assert!(
            !c.evidence.is_empty(),
            "{} has no sentence of the job",
            c.id
        );
        for sentence in &c.evidence {
            assert!(
                lines[sentence.line - 1].contains(&sentence.text),
                "{:?} is not verbatim on line {}",
                sentence.text,
                sentence.line
            );
        }
        assert_eq!(c.questions.len(), settings.questions_per_competency);
        for q in &c.questions {
            let asked = bank.get(&q.id).expect("a question of the bank");
            assert_eq!(asked.competency, c.id);
            assert_eq!(asked.text, q.text);
        }
    }
    assert!(
        report
            .competencies
            .iter()
            .flat_map(|c| &c.questions)
            .any(|q| q.story.is_some()),
        "the corpus answers none of the questions"
    );
    // The same job on a bank of conference notes only: every competency is a gap, and
    // the notes are offered as material.
    let notes = tmp.path().join("notes-only");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::copy(
        common::corpus_dir().join("notes/conference-notes.txt"),
        notes.join("conference-notes.txt"),
    )
    .unwrap();
    coach
        .ingest_paths("ben", &[notes], &starcoach::ingest::NoProgress)
        .await
        .unwrap();
    let report = coach.prep("ben", &job).await.unwrap();
    assert_eq!(report.gaps.len(), report.competencies.len());
    for gap in &report.gaps {
        assert!(gap.message.starts_with("No story shows"), "{}", gap.message);
    }
    assert!(report.gaps.iter().any(|g| !g.notes.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_huge_and_boilerplate_only_jobs_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = common::coach(tmp.path());
    let limit = coach.settings().practice.max_job_chars;
    for (job, expected) in [
        (" \n ".to_string(), JobError::Empty),
        (
            "x".repeat(limit + 1),
            JobError::TooLong {
                chars: limit + 1,
                limit,
            },
        ),
        (
            "## Benefits\n- 30 days of paid holiday every year\n".to_string(),
            JobError::NothingToRead,
        ),
    ] {
        match coach.prep("ana", &job).await {
            Err(PrepError::Job(e)) => assert_eq!(e, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
}
