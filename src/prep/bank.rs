//! The question bank: behavioral questions tagged with a competency (and sometimes a
//! level), what `prep` proposes and `practice` asks.

use std::collections::HashSet;
use std::path::Path;

use figment::providers::{Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::competency::CompetencySet;

/// The built-in bank (the repository's `config/questions.toml`).
pub const BUILTIN_QUESTIONS: &str = include_str!("../../config/questions.toml");

/// The seniority a question (or a job) is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Junior,
    Senior,
    Manager,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Junior => "junior",
            Level::Senior => "senior",
            Level::Manager => "manager",
        }
    }
}

/// One question of the bank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankQuestion {
    /// Stable identifier, e.g. `mentoring-03`.
    pub id: String,
    /// The competency id it asks for (from the competency list).
    pub competency: String,
    pub text: String,
    /// The level it is aimed at; none: anyone.
    #[serde(default)]
    pub level: Option<Level>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    question: Vec<BankQuestion>,
}

/// The question bank, checked against the competency list.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionBank {
    questions: Vec<BankQuestion>,
}

impl QuestionBank {
    /// The built-in bank, checked against `competencies`.
    pub fn builtin(competencies: &CompetencySet) -> Result<Self, String> {
        Self::from_toml(BUILTIN_QUESTIONS, competencies)
            .map_err(|e| format!("the built-in question bank: {e}"))
    }

    /// Read the bank from `path`; an empty path means the built-in bank.
    pub fn load(path: &Path, competencies: &CompetencySet) -> Result<Self, String> {
        if path.as_os_str().is_empty() {
            return Self::builtin(competencies);
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("could not read question bank {}: {e}", path.display()))?;
        Self::from_toml(&text, competencies)
            .map_err(|e| format!("question bank {}: {e}", path.display()))
    }

    /// Parse `[[question]]` tables: ids unique, texts not empty, every competency known.
    pub fn from_toml(text: &str, competencies: &CompetencySet) -> Result<Self, String> {
        let file: BankFile = Figment::from(Toml::string(text))
            .extract()
            .map_err(|e| e.to_string())?;
        let known: HashSet<&str> = competencies
            .competencies
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let mut ids = HashSet::new();
        for q in &file.question {
            if q.id.trim().is_empty() || q.text.trim().is_empty() {
                return Err(format!(
                    "question {:?}: id and text must not be empty",
                    q.id
                ));
            }
            if !ids.insert(q.id.as_str()) {
                return Err(format!("question id {:?} appears twice", q.id));
            }
            if !known.contains(q.competency.as_str()) {
                return Err(format!(
                    "question {:?}: unknown competency {:?}",
                    q.id, q.competency
                ));
            }
        }
        if file.question.is_empty() {
            return Err("it defines no [[question]]".into());
        }
        Ok(Self {
            questions: file.question,
        })
    }

    pub fn questions(&self) -> &[BankQuestion] {
        &self.questions
    }

    pub fn len(&self) -> usize {
        self.questions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.questions.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&BankQuestion> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The questions for one competency, in bank order.
    pub fn for_competency<'a>(
        &'a self,
        competency: &'a str,
    ) -> impl Iterator<Item = &'a BankQuestion> + 'a {
        self.questions
            .iter()
            .filter(move |q| q.competency == competency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_bank_covers_every_competency_with_enough_questions() {
        let set = CompetencySet::builtin();
        let bank = QuestionBank::builtin(&set).unwrap();
        assert!(bank.len() >= 150, "{}", bank.len());
        for c in &set.competencies {
            assert!(bank.for_competency(&c.id).count() >= 10, "{}", c.id);
        }
        assert!(bank
            .questions()
            .iter()
            .any(|q| q.level == Some(Level::Manager)));
    }

    #[test]
    fn bad_banks_are_rejected_with_a_reason() {
        let set = CompetencySet::builtin();
        let unknown = "[[question]]\nid='x-1'\ncompetency='juggling'\ntext='Tell me.'\n";
        assert!(QuestionBank::from_toml(unknown, &set)
            .unwrap_err()
            .contains("juggling"));
        let dup = "[[question]]\nid='a'\ncompetency='failure'\ntext='T?'\n[[question]]\nid='a'\ncompetency='failure'\ntext='U?'\n";
        assert!(QuestionBank::from_toml(dup, &set)
            .unwrap_err()
            .contains("twice"));
        let level = "[[question]]\nid='a'\ncompetency='failure'\ntext='T?'\nlevel='intern'\n";
        assert!(QuestionBank::from_toml(level, &set).is_err());
        assert!(QuestionBank::from_toml("", &set).is_err());
    }
}
