//! The behavioral competencies: the list, embedded once per process, and a question
//! or story mapped to them by similarity.

// The behavioral competencies: the list (`config/competencies.toml`, compiled in as
// the default; `retrieval.competencies_file` replaces it), embedded once per process
// ([`CompetencyIndex`]), and a question or story mapped to them by similarity.
// Retrieval, coverage and tagging read it; it reads only the embedder.

use std::path::Path;

use figment::providers::{Format, Toml};
use figment::Figment;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::embed::{EmbedError, Embedder, TextRole};
use crate::vector::{dot, normalise};

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
    /// What every story answering a question about it states in so many words.
    #[serde(default)]
    pub hallmarks: Vec<Hallmark>,
}

/// One thing a story must state to answer a competency's question, and the words that
/// state it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hallmark {
    /// What is stated, as the critique names it ("a disagreement or tension with
    /// someone").
    pub says: String,
    /// A case-insensitive regular expression matched anywhere in the answer.
    pub pattern: String,
}

impl Hallmark {
    fn compile(&self) -> Result<Regex, regex::Error> {
        RegexBuilder::new(&self.pattern)
            .case_insensitive(true)
            .build()
    }
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
            for h in &c.hallmarks {
                if h.says.trim().is_empty() {
                    return Err(format!("competency {:?}: a hallmark has no `says`", c.id));
                }
                h.compile().map_err(|e| {
                    format!("competency {:?}: hallmark {:?}: pattern: {e}", c.id, h.says)
                })?;
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
    /// Per competency: its hallmarks, compiled.
    hallmarks: Vec<Hallmarks>,
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
        let vectors = embedder.embed(texts, TextRole::Query).await?;
        let mut phrases: Vec<Vec<Vec<f32>>> = vec![Vec::new(); set.len()];
        for (i, v) in owner.into_iter().zip(vectors) {
            phrases[i].push(v);
        }
        let prototypes = phrases.iter().map(|p| mean_normalised(p)).collect();
        let hallmarks = set.competencies.iter().map(Hallmarks::of).collect();
        Ok(Self {
            set,
            phrases,
            prototypes,
            hallmarks,
        })
    }

    /// The hallmarks of competency `index` that `text` never states (their `says`).
    pub fn unstated(&self, index: usize, text: &str) -> Vec<String> {
        self.hallmarks[index].unstated(text)
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

/// A competency's hallmarks, compiled.
#[derive(Debug, Clone)]
pub struct Hallmarks(Vec<(String, Regex)>);

impl Hallmarks {
    /// The hallmarks of `competency` (every pattern compiled when its list was loaded).
    pub fn of(competency: &Competency) -> Self {
        Self(
            competency
                .hallmarks
                .iter()
                .filter_map(|h| Some((h.says.clone(), h.compile().ok()?)))
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `says` of each hallmark whose pattern `text` never matches (a typographic
    /// apostrophe read as a plain one: "didn’t agree").
    pub fn unstated(&self, text: &str) -> Vec<String> {
        let text = text.replace('\u{2019}', "'");
        self.0
            .iter()
            .filter(|(_, pattern)| !pattern.is_match(&text))
            .map(|(says, _)| says.clone())
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
        let bad_pattern = "[[competency]]\nid='a'\nname='A'\ndescription='d'\n[[competency.hallmarks]]\nsays='x'\npattern='(unclosed'\n";
        let err = CompetencySet::from_toml(bad_pattern).unwrap_err();
        assert!(err.contains("hallmark") && err.contains("pattern"), "{err}");
        assert!(CompetencySet::load(Path::new("no/such/file.toml"))
            .unwrap_err()
            .contains("no/such/file.toml"));
    }

    fn hallmarks_of(id: &str) -> Hallmarks {
        let set = CompetencySet::builtin();
        Hallmarks::of(set.competencies.iter().find(|c| c.id == id).unwrap())
    }

    #[test]
    fn an_answer_that_never_states_a_hallmark_is_told_which() {
        let conflict = hallmarks_of("conflict");
        assert!(conflict
            .unstated("Priya and I didn\u{2019}t agree on the schema.")
            .is_empty());
        assert!(conflict.unstated("We DISAGREED about retries.").is_empty());
        assert_eq!(
            conflict.unstated("I won six teams over to one log format."),
            ["a disagreement or tension with someone"]
        );
        // Every hallmark is needed: a disagreement, and the manager it was with.
        let manager = hallmarks_of("disagree-manager");
        assert_eq!(manager.len(), 2);
        assert_eq!(
            manager.unstated("I disagreed with the plan."),
            ["the manager"]
        );
        assert!(manager.unstated("I disagreed with my manager.").is_empty());
        // Competencies without a concrete element have no hallmark.
        assert!(hallmarks_of("leadership").is_empty());
    }
}
