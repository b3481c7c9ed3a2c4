//! `prep`: a job description to competencies (with the job's own sentences), likely
//! questions from the bank and the user's best story for each, and the gaps; measured
//! on the labelled job descriptions of `tests/eval/jobs.toml`.

mod common;
mod support;

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
    let report = coach.prep("ana", &job, None).await.unwrap();
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
    let report = coach.prep("ben", &job, None).await.unwrap();
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
        match coach.prep("ana", &job, None).await {
            Err(PrepError::Job(e)) => assert_eq!(e, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
}

/// Failure injection: an LLM that proposes a hypothetical, a copy of a bank question
/// and one good question; only the good one may join the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_llms_questions_join_only_when_behavioral_and_new() {
    use support::fake_llm::{FakeBehavior, FakeLlmServer};
    let tmp = tempfile::tempdir().unwrap();
    let job = example_job();
    let plain = common::coach(&tmp.path().join("plain"));
    common::ingest_corpus(&plain, "ana").await;
    let without = plain.prep("ana", &job, None).await.unwrap();
    assert_eq!(without.llm.status, "unavailable");
    let top = without.competencies[0].id.clone();
    let bank_copy = without.competencies[0].questions[0].text.clone();
    let good = "Tell me about a time you led the response to an incident that stopped customers from sending invoices at month end.";
    let content = serde_json::json!({"questions": [
        {"competency": top, "question": "What would you do if the database went down during month end?"},
        {"competency": top, "question": bank_copy},
        {"competency": top, "question": good},
    ]})
    .to_string();
    let fake = FakeLlmServer::start(FakeBehavior::Contents {
        contents: vec![content],
        usage: true,
    })
    .await;
    let url = fake.base_url();
    let coach = common::coach_with(&tmp.path().join("llm"), move |s| s.llm.base_url = url);
    common::ingest_corpus(&coach, "ana").await;
    let report = coach
        .prep("ana", &job, Some(std::time::Duration::from_secs(30)))
        .await
        .unwrap();
    let llm = &report.llm;
    assert_eq!(
        (
            llm.status.as_str(),
            llm.proposed,
            llm.kept,
            llm.not_behavioral,
            llm.duplicates
        ),
        ("used", 3, 1, 1, 1),
        "{llm:?}"
    );
    let c = report.competencies.iter().find(|c| c.id == top).unwrap();
    let added: Vec<&starcoach::prep::PrepQuestion> = c
        .questions
        .iter()
        .filter(|q| q.source == starcoach::prep::QuestionSource::Llm)
        .collect();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].text, good);
    assert_eq!(
        c.questions.len(),
        coach.settings().practice.questions_per_competency + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prep_with_the_real_local_llm_keeps_only_checked_questions() {
    let tmp = tempfile::tempdir().unwrap();
    let url = support::llm_server::LlmServer::shared().base_url();
    let coach = common::coach_with(&tmp.path().join("store"), move |s| {
        s.llm.base_url = url;
        s.llm.timeout_secs = 200;
        s.llm.max_tokens = 512;
        s.llm.context_tokens = 4096;
    });
    common::ingest_corpus(&coach, "ana").await;
    let report = coach
        .prep(
            "ana",
            &example_job(),
            Some(std::time::Duration::from_secs(240)),
        )
        .await
        .unwrap();
    let llm = &report.llm;
    eprintln!("SmolLM2 in prep: {llm:?}");
    assert_ne!(llm.status, "unavailable");
    assert_eq!(
        llm.kept + llm.not_behavioral + llm.off_list + llm.duplicates,
        llm.proposed.min(starcoach::prep::tailored::MAX_TAILORED),
        "{llm:?}"
    );
    for q in report.competencies.iter().flat_map(|c| &c.questions) {
        if q.source == starcoach::prep::QuestionSource::Llm {
            assert!(
                starcoach::prep::tailored::is_behavioral(&q.text),
                "{}",
                q.text
            );
        }
    }
}
