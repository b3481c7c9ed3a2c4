//! Retrieval with real components: fit levels, verbatim evidence, advice, gaps and
//! competency coverage over the example corpus.

mod common;

use starcoach::coverage::coverage;
use starcoach::retrieve::{FitLevel, MatchRequest};

fn request(question: &str, top_k: usize) -> MatchRequest {
    MatchRequest {
        question: question.into(),
        top_k,
    }
}

#[tokio::test]
async fn matches_carry_fit_verbatim_evidence_and_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = common::coach(&tmp.path().join("store"));
    common::ingest_corpus(&coach, "local").await;
    let response = coach
        .retriever()
        .match_stories(
            "local",
            &request("Tell me about a time you disagreed with your manager", 3),
        )
        .await
        .unwrap();
    assert_eq!(response.method, "hybrid");
    assert!(response.gap.is_none(), "{:?}", response.gap);
    assert_eq!(response.competencies[0].id, "disagree-manager");
    let top = &response.stories[0];
    assert!(
        top.doc_id
            .ends_with("#pushing-back-on-the-argo-cd-migration-deadline"),
        "{}",
        top.doc_id
    );
    // A fit, not a gap (levels are absolute: see README "Fit levels").
    assert!(
        top.fit_score >= coach.settings().retrieval.fit.gap,
        "{:?} {}",
        top.fit,
        top.fit_score
    );
    assert!(!top.stress.is_empty());

    // Every quote is a verbatim substring of the stored story text.
    let bank = coach.retriever().load_bank("local").await.unwrap();
    for story in &response.stories {
        let stored = bank.get(&story.doc_id).expect("ranked story is stored");
        assert!(!story.evidence.is_empty(), "{}", story.title);
        assert!(story.evidence.len() <= 3);
        for e in &story.evidence {
            assert!(
                stored.chunks.iter().any(|c| c.text.contains(&e.text)),
                "not verbatim: {:?}",
                e.text
            );
        }
        for advice in story.stress.iter().chain(&story.avoid) {
            assert!(!advice.is_empty());
        }
    }

    // The JSON keeps the old fields and adds the new ones.
    let json = serde_json::to_value(&response).unwrap();
    for key in [
        "rank",
        "doc_id",
        "title",
        "source",
        "lines",
        "score",
        "best_passage",
        "fit",
        "fit_score",
        "evidence",
        "stress",
        "avoid",
    ] {
        assert!(json["stories"][0].get(key).is_some(), "missing {key}");
    }
    assert!(json.get("gap").is_some() && json.get("competencies").is_some());

    // A question the bank cannot answer is a gap that names a competency.
    let off_topic = coach
        .retriever()
        .match_stories(
            "local",
            &request("What is your favourite sourdough bread recipe?", 3),
        )
        .await
        .unwrap();
    let gap = off_topic.gap.expect("an off-topic question is a gap");
    assert!(!gap.competency.is_empty() && gap.message.contains("No story"));
    assert!(off_topic.stories.iter().all(|s| s.fit == FitLevel::Stretch));

    // An empty bank is a gap too, and says what to do.
    let empty = coach
        .retriever()
        .match_stories("nobody", &request("Tell me about a time you failed", 3))
        .await
        .unwrap();
    assert!(empty.stories.is_empty());
    assert!(empty.gap.unwrap().message.contains("starcoach ingest"));
}

#[tokio::test]
async fn coverage_lists_every_competency_with_levels_and_gaps() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = common::coach(&tmp.path().join("store"));
    common::ingest_corpus(&coach, "local").await;
    let report = coverage(coach.retriever(), None, "local").await.unwrap();
    assert_eq!(report.competencies.len(), 15);
    assert_eq!(report.stories, 16);
    let mentoring = report
        .competencies
        .iter()
        .find(|c| c.id == "mentoring")
        .unwrap();
    assert!(!mentoring.gap);
    assert!(
        mentoring.stories.iter().any(|s| s
            .doc_id
            .ends_with("#mentoring-tom-s-through-his-first-on-call")),
        "{:?}",
        mentoring.stories
    );
    for c in &report.competencies {
        assert_eq!(c.gap, c.stories.is_empty());
        assert_eq!(c.gap, report.gaps.contains(&c.id));
        assert_eq!(c.level, c.stories.first().map(|s| s.fit));
        assert!(c
            .stories
            .windows(2)
            .all(|w| w[0].fit_score >= w[1].fit_score));
    }
    assert_eq!(report.story_competencies.len(), report.stories);
}
