//! Coverage: which behavioral competencies a user's bank can answer, with which
//! stories and fit level, and where a story is missing.

// Coverage: which behavioral competencies (`crate::competency`) a user's bank can
// answer, with which stories, and where a story is missing. [`coverage`] runs the
// match pipeline with each competency's example questions to find, per competency,
// the stories that answer it and their fit level.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use crate::competency::{
    Competency, CompetencyIndex, CompetencyScore, CompetencySet, BUILTIN_COMPETENCIES,
};
use crate::retrieve::{FitLevel, MatchError, Retriever};
use crate::tagging::{LlmTagging, StoryTagger, StoryText};

/// A story that answers a competency, with its level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoveredStory {
    pub doc_id: String,
    pub title: String,
    pub fit: FitLevel,
    pub fit_score: f32,
    /// The sentence of the story closest to the competency, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Whether the LLM also tags this story with the competency (absent when the LLM
    /// did not tag the story).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm_agrees: Option<bool>,
}

/// A story named by reference only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryRef {
    pub doc_id: String,
    pub title: String,
}

/// Coverage of one competency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetencyCoverage {
    pub id: String,
    pub name: String,
    /// The best level any story reaches; `None` when nothing fits (a gap).
    pub level: Option<FitLevel>,
    pub gap: bool,
    /// Best stories first (at most [`COVERAGE_STORIES`]).
    pub stories: Vec<CoveredStory>,
    /// Stories the LLM tags with this competency that the embedding does not list:
    /// worth a look, not counted in `level` (levels are calibrated on similarity).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub llm_also: Vec<StoryRef>,
}

/// The competencies a story shows, for the per-story view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryCompetencies {
    pub doc_id: String,
    pub title: String,
    /// Competency ids where this story is among the fitting stories, best fit first.
    pub competencies: Vec<String>,
    /// Competency ids the LLM tags the story with, strongest first (absent when the
    /// LLM did not tag it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<Vec<String>>,
}

/// The answer of `starcoach coverage` and `GET /v1/coverage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageReport {
    pub user: String,
    /// Stories in the bank.
    pub stories: usize,
    pub competencies: Vec<CompetencyCoverage>,
    /// Ids of competencies with no fitting story: prepare a story for these.
    pub gaps: Vec<String>,
    pub story_competencies: Vec<StoryCompetencies>,
    /// What the LLM contributed: `used`, `partial` (some stories tagged so far) or
    /// `unavailable`, with the reason.
    pub llm_tagging: LlmTagging,
    pub took_ms: f64,
}

/// Stories listed per competency.
pub const COVERAGE_STORIES: usize = 3;

/// Coverage of `user`'s bank over every competency.
///
/// Each competency is matched like a question: each of its example questions (and its
/// description) is ranked with the hybrid method, and a story's fit for the competency
/// is its best fit over those phrasings. Stories at `stretch` or better are listed; a
/// competency whose best story is below the gap threshold is a gap.
///
/// With a `tagger`, the LLM also tags each story ([`crate::tagging`]); its tags are
/// shown beside the similarity-based ones (`llm_agrees`, `llm_also`, per-story `llm`)
/// and do not change levels or gaps.
pub async fn coverage(
    retriever: &Retriever,
    tagger: Option<&StoryTagger>,
    user: &str,
) -> Result<CoverageReport, MatchError> {
    let started = Instant::now();
    let index = retriever.competency_index().await?;
    let bank = retriever.load_bank(user).await?;
    let (llm_tags, llm_tagging) = match tagger {
        Some(tagger) => {
            let stories: Vec<StoryText> = bank
                .stories()
                .map(|s| StoryText {
                    doc_id: s.doc_id.clone(),
                    text: s.text(),
                })
                .collect();
            tagger.tag(&index.set, &stories).await
        }
        None => (HashMap::new(), LlmTagging::not_configured()),
    };
    let llm_has = |doc_id: &str, competency: &str| {
        llm_tags
            .get(doc_id)
            .map(|tags| tags.iter().any(|t| t == competency))
    };
    let fit = retriever.settings().fit.clone();
    let mut per_story: HashMap<String, Vec<(f32, String)>> = HashMap::new();
    let mut competencies = Vec::new();
    for (ci, competency) in index.set.competencies.iter().enumerate() {
        let mut phrasings = competency.questions.clone();
        phrasings.push(competency.description.clone());
        // Best fit score per story over the phrasings.
        let mut best: HashMap<String, (String, f32)> = HashMap::new();
        for phrasing in &phrasings {
            let ranked = retriever
                .rank_for_competency(user, phrasing, ci, COVERAGE_STORIES * 2)
                .await?;
            for (doc_id, title, score) in ranked {
                let entry = best.entry(doc_id).or_insert((title, f32::NEG_INFINITY));
                entry.1 = entry.1.max(score);
            }
        }
        let mut ranked: Vec<(String, String, f32)> = best
            .into_iter()
            .map(|(id, (title, score))| (id, title, score))
            .filter(|(_, _, score)| !fit.is_gap(Some(*score)))
            .collect();
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(COVERAGE_STORIES);
        let mut stories = Vec::new();
        for (doc_id, title, fit_score) in ranked {
            let evidence = match bank.get(&doc_id) {
                Some(story) => retriever.best_sentence(story, index.prototype(ci)).await?,
                None => None,
            };
            per_story
                .entry(doc_id.clone())
                .or_default()
                .push((fit_score, competency.id.clone()));
            stories.push(CoveredStory {
                llm_agrees: llm_has(&doc_id, &competency.id),
                doc_id,
                title,
                fit: fit.level(fit_score),
                fit_score,
                evidence,
            });
        }
        let llm_also = bank
            .stories()
            .filter(|s| llm_has(&s.doc_id, &competency.id) == Some(true))
            .filter(|s| !stories.iter().any(|c| c.doc_id == s.doc_id))
            .map(|s| StoryRef {
                doc_id: s.doc_id.clone(),
                title: s.title.clone(),
            })
            .collect();
        competencies.push(CompetencyCoverage {
            id: competency.id.clone(),
            name: competency.name.clone(),
            level: stories.first().map(|s| s.fit),
            gap: stories.is_empty(),
            stories,
            llm_also,
        });
    }
    let gaps = competencies
        .iter()
        .filter(|c| c.gap)
        .map(|c| c.id.clone())
        .collect();
    let mut story_competencies: Vec<StoryCompetencies> = bank
        .stories()
        .map(|s| {
            let mut comps = per_story.remove(&s.doc_id).unwrap_or_default();
            comps.sort_by(|a, b| b.0.total_cmp(&a.0));
            StoryCompetencies {
                doc_id: s.doc_id.clone(),
                title: s.title.clone(),
                competencies: comps.into_iter().map(|(_, id)| id).collect(),
                llm: llm_tags.get(&s.doc_id).cloned(),
            }
        })
        .collect();
    story_competencies.sort_by(|a, b| a.title.cmp(&b.title).then(a.doc_id.cmp(&b.doc_id)));
    Ok(CoverageReport {
        user: user.to_string(),
        stories: bank.len(),
        competencies,
        gaps,
        story_competencies,
        llm_tagging,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}
