//! Competencies and coverage: which behavioral competencies a user's bank can answer,
//! with which stories, and where a story is missing.
//!
//! The competency list lives in `config/competencies.toml` (compiled in as the default;
//! `retrieval.competencies_file` replaces it). Every competency's description and
//! example questions are embedded once per process ([`CompetencyIndex`]); a question is
//! mapped to competencies by its similarity to those texts, and [`coverage`] runs the
//! match pipeline with each competency's example questions to find, per competency,
//! the stories that answer it and their fit level.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use figment::providers::{Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::embed::{EmbedError, Embedder};
use crate::retrieve::{dot, FitLevel, MatchError, Retriever};
use crate::tagging::{LlmTagging, StoryTagger, StoryText};

/// The built-in competency list (the repository's `config/competencies.toml`).
pub const BUILTIN_COMPETENCIES: &str = include_str!("../config/competencies.toml");

/// One behavioral competency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Competency {
    /// Stable identifier used in JSON, e.g. `disagree-manager`.
    pub id: String,
    /// Human-readable name, e.g. "Disagreement with a manager".
    pub name: String,
    /// What a good story for this competency shows.
    pub description: String,
    /// Typical phrasings of interview questions for it.
    #[serde(default)]
    pub questions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompetencyFile {
    competency: Vec<Competency>,
}

/// The list of competencies, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetencySet {
    pub competencies: Vec<Competency>,
}

impl CompetencySet {
    /// The built-in list.
    pub fn builtin() -> Self {
        Self::from_toml(BUILTIN_COMPETENCIES).expect("the built-in competency list is valid")
    }

    /// Read the list from `path`; an empty path means the built-in list.
    pub fn load(path: &Path) -> Result<Self, String> {
        if path.as_os_str().is_empty() {
            return Ok(Self::builtin());
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("could not read competencies file {}: {e}", path.display()))?;
        Self::from_toml(&text).map_err(|e| format!("competencies file {}: {e}", path.display()))
    }

    /// Parse and validate a competency list (`[[competency]]` tables).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: CompetencyFile = Figment::from(Toml::string(text))
            .extract()
            .map_err(|e| e.to_string())?;
        if file.competency.is_empty() {
            return Err("it defines no [[competency]]".into());
        }
        let mut seen = std::collections::HashSet::new();
        for c in &file.competency {
            if c.id.trim().is_empty() || c.name.trim().is_empty() || c.description.trim().is_empty()
            {
                return Err(format!(
                    "competency {:?}: id, name and description must not be empty",
                    c.id
                ));
            }
            if !seen.insert(c.id.clone()) {
                return Err(format!("competency id {:?} appears twice", c.id));
            }
        }
        Ok(Self {
            competencies: file.competency,
        })
    }

    pub fn len(&self) -> usize {
        self.competencies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.competencies.is_empty()
    }
}

/// How strongly a question (or a story) is about one competency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompetencyScore {
    pub id: String,
    pub name: String,
    /// Cosine similarity to the competency's closest example text (higher is closer).
    pub score: f32,
}

/// The competencies with their embedded texts, built once per process.
#[derive(Debug)]
pub struct CompetencyIndex {
    pub set: CompetencySet,
    /// Per competency: the vectors of its description and example questions.
    phrases: Vec<Vec<Vec<f32>>>,
    /// Per competency: the normalised mean of its phrase vectors.
    prototypes: Vec<Vec<f32>>,
}

impl CompetencyIndex {
    /// Embed every competency's description and questions (one batch).
    pub async fn build(set: CompetencySet, embedder: &dyn Embedder) -> Result<Self, EmbedError> {
        let mut texts = Vec::new();
        let mut owner = Vec::new();
        for (i, c) in set.competencies.iter().enumerate() {
            texts.push(c.description.clone());
            owner.push(i);
            for q in &c.questions {
                texts.push(q.clone());
                owner.push(i);
            }
        }
        let vectors = embedder.embed(texts).await?;
        let mut phrases: Vec<Vec<Vec<f32>>> = vec![Vec::new(); set.len()];
        for (i, v) in owner.into_iter().zip(vectors) {
            phrases[i].push(v);
        }
        let prototypes = phrases.iter().map(|p| mean_normalised(p)).collect();
        Ok(Self {
            set,
            phrases,
            prototypes,
        })
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn competency(&self, index: usize) -> &Competency {
        &self.set.competencies[index]
    }

    pub fn prototype(&self, index: usize) -> &[f32] {
        &self.prototypes[index]
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.set.competencies.iter().position(|c| c.id == id)
    }

    /// Similarity of a vector to each competency: the mean of its two closest
    /// phrases (one close example question is strong evidence, two are stronger).
    pub fn similarities(&self, vector: &[f32]) -> Vec<f32> {
        self.phrases
            .iter()
            .map(|phrases| {
                let mut sims: Vec<f32> = phrases.iter().map(|p| dot(vector, p)).collect();
                sims.sort_by(|a, b| b.total_cmp(a));
                let top = &sims[..sims.len().min(2)];
                top.iter().sum::<f32>() / top.len().max(1) as f32
            })
            .collect()
    }

    /// The competencies a question asks about, best first: the best one always, and
    /// the others within `margin` of it.
    pub fn detect(&self, vector: &[f32], margin: f32, max: usize) -> Vec<(usize, f32)> {
        let sims = self.similarities(vector);
        let mut ranked: Vec<(usize, f32)> = sims.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let best = ranked.first().map_or(0.0, |r| r.1);
        ranked
            .into_iter()
            .enumerate()
            .take_while(|(i, r)| *i == 0 || best - r.1 <= margin)
            .map(|(_, r)| r)
            .take(max.max(1))
            .collect()
    }

    pub fn score(&self, index: usize, score: f32) -> CompetencyScore {
        let c = self.competency(index);
        CompetencyScore {
            id: c.id.clone(),
            name: c.name.clone(),
            score,
        }
    }
}

fn mean_normalised(vectors: &[Vec<f32>]) -> Vec<f32> {
    let dim = vectors.first().map_or(0, Vec::len);
    let mut mean = vec![0.0f32; dim];
    for v in vectors {
        for (m, x) in mean.iter_mut().zip(v) {
            *m += x;
        }
    }
    normalise(&mut mean);
    mean
}

/// Scale a vector to unit length (a zero vector stays zero).
pub(crate) fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_has_the_fifteen_competencies() {
        let set = CompetencySet::builtin();
        assert_eq!(set.len(), 15);
        for id in [
            "leadership",
            "conflict",
            "failure",
            "ambiguity",
            "influence",
            "disagree-manager",
            "mentoring",
            "prioritisation",
            "customer-focus",
            "ownership",
            "pressure",
            "learning",
            "technical-depth",
            "cross-team",
            "mistake",
        ] {
            assert!(set.competencies.iter().any(|c| c.id == id), "{id}");
        }
        assert!(set.competencies.iter().all(|c| c.questions.len() >= 3));
    }

    #[test]
    fn bad_lists_are_rejected_with_a_reason() {
        assert!(CompetencySet::from_toml("").is_err());
        let dup = "[[competency]]\nid='a'\nname='A'\ndescription='d'\n[[competency]]\nid='a'\nname='B'\ndescription='e'\n";
        assert!(CompetencySet::from_toml(dup).unwrap_err().contains("twice"));
        let unknown = "[[competency]]\nid='a'\nname='A'\ndescription='d'\nextra=1\n";
        assert!(CompetencySet::from_toml(unknown).is_err());
        assert!(CompetencySet::load(Path::new("no/such/file.toml"))
            .unwrap_err()
            .contains("no/such/file.toml"));
    }
}
