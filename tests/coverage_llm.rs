//! Coverage with competency tags from the LLM: the real local SmolLM2 server for the
//! plumbing, and a deliberately FAKE LLM server to count calls (the cache) and to
//! inject a hanging model (the budget).

mod common;
mod support;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use starcoach::app::Coach;
use starcoach::coverage::{CompetencyCoverage, CompetencySet, CoverageReport};
use starcoach::tagging::{TaggingStatus, MAX_TAGS};
use support::fake_llm::{FakeBehavior, FakeLlmServer};
use support::llm_server::LlmServer;

/// A coach over our corpus with the LLM at `llm_url` ("" = none) and this budget.
async fn coach(dir: &Path, llm_url: &str, budget_secs: u64) -> Coach {
    let url = llm_url.to_string();
    let coach = common::coach_with(&dir.join("store"), move |s| {
        s.llm.base_url = url;
        s.llm.timeout_secs = 120;
        s.llm.max_tokens = 64;
        s.coverage.llm_budget_secs = budget_secs;
    });
    common::ingest_corpus(&coach, "local").await;
    coach
}

/// The embedding half of a report: levels, stories and gaps per competency.
fn embedding_view(report: &CoverageReport) -> Vec<(String, Vec<String>, bool)> {
    report
        .competencies
        .iter()
        .map(|c| {
            let ids = c.stories.iter().map(|s| s.doc_id.clone()).collect();
            (c.id.clone(), ids, c.gap)
        })
        .collect()
}

fn competency<'a>(report: &'a CoverageReport, id: &str) -> &'a CompetencyCoverage {
    report
        .competencies
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no competency {id} in the report"))
}

fn known_ids() -> HashSet<String> {
    CompetencySet::builtin()
        .competencies
        .into_iter()
        .map(|c| c.id)
        .collect()
}

#[tokio::test]
async fn the_real_llm_tags_every_story_with_known_competencies() {
    let tmp = tempfile::tempdir().unwrap();
    let coach = coach(tmp.path(), &LlmServer::shared().base_url(), 900).await;
    let report = coach.coverage("local").await.unwrap();
    let t = &report.llm_tagging;
    assert_eq!(t.status, TaggingStatus::Used, "{t:?}");
    assert_eq!(t.tagged, report.stories);
    assert_eq!(t.untagged, 0);
    let known = known_ids();
    for story in &report.story_competencies {
        let tags = story.llm.as_ref().expect("every story tagged");
        assert!(tags.len() <= MAX_TAGS, "{tags:?}");
        for tag in tags {
            assert!(known.contains(tag), "unknown competency {tag:?}");
        }
    }
    for c in &report.competencies {
        for s in &c.stories {
            let tagged = report
                .story_competencies
                .iter()
                .find(|x| x.doc_id == s.doc_id)
                .and_then(|x| x.llm.as_ref())
                .unwrap();
            assert_eq!(s.llm_agrees, Some(tagged.contains(&c.id)));
        }
        for also in &c.llm_also {
            assert!(!c.stories.iter().any(|s| s.doc_id == also.doc_id));
        }
    }

    // The embedding half is the same as without an LLM.
    let plain = common::coach(&tmp.path().join("plain"));
    common::ingest_corpus(&plain, "local").await;
    let without = plain.coverage("local").await.unwrap();
    assert_eq!(without.llm_tagging.status, TaggingStatus::Unavailable);
    assert!(without.llm_tagging.reason.is_some());
    assert!(without.story_competencies.iter().all(|s| s.llm.is_none()));
    assert_eq!(embedding_view(&report), embedding_view(&without));
}

#[tokio::test]
async fn tags_are_cached_per_story_and_shown_beside_the_embedding() {
    let fake = FakeLlmServer::start(FakeBehavior::Contents {
        contents: vec![r#"{"competencies": ["mentoring", "conflict", "mentoring"]}"#.into()],
        usage: true,
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let coach = coach(tmp.path(), &fake.base_url(), 60).await;
    let first = coach.coverage("local").await.unwrap();
    assert_eq!(first.llm_tagging.status, TaggingStatus::Used);
    assert_eq!(fake.requests(), first.stories, "one call per story");
    for s in &first.story_competencies {
        // Repeats are dropped.
        assert_eq!(
            s.llm.as_deref(),
            Some(&["mentoring".to_string(), "conflict".into()][..])
        );
    }
    let mentoring = competency(&first, "mentoring");
    assert!(mentoring.stories.iter().all(|s| s.llm_agrees == Some(true)));
    let listed = mentoring.stories.len() + mentoring.llm_also.len();
    assert_eq!(
        listed, first.stories,
        "every story is listed or named by the LLM"
    );
    let failure = competency(&first, "failure");
    assert!(failure.stories.iter().all(|s| s.llm_agrees == Some(false)));
    assert!(failure.llm_also.is_empty());

    let second = coach.coverage("local").await.unwrap();
    assert_eq!(
        fake.requests(),
        first.stories,
        "unchanged stories are not asked again"
    );
    assert_eq!(second.story_competencies, first.story_competencies);
    // The prompt carries the story as data and the list of competencies.
    let body = &fake.bodies()[0];
    let text = body.to_string();
    assert!(
        text.contains("<story>") && text.contains("disagree-manager"),
        "{text}"
    );
}

#[tokio::test]
async fn a_hanging_llm_costs_the_budget_and_leaves_the_embedding_coverage() {
    let fake = FakeLlmServer::start(FakeBehavior::Hang).await;
    let tmp = tempfile::tempdir().unwrap();
    let coach = coach(tmp.path(), &fake.base_url(), 2).await;
    let started = Instant::now();
    let report = coach.coverage("local").await.unwrap();
    let took = started.elapsed();
    // The budget plus the embedding coverage itself (seconds on a busy CI machine).
    assert!(took < Duration::from_secs(2 + 60), "took {took:?}");
    let t = &report.llm_tagging;
    assert_eq!(t.status, TaggingStatus::Unavailable, "{t:?}");
    assert_eq!(t.untagged, report.stories);
    assert!(t.reason.as_deref().is_some_and(|r| !r.is_empty()));
    assert!(report.story_competencies.iter().all(|s| s.llm.is_none()));
    assert!(report
        .competencies
        .iter()
        .flat_map(|c| &c.stories)
        .all(|s| s.llm_agrees.is_none()));
    assert!(report.competencies.iter().any(|c| !c.stories.is_empty()));
}
