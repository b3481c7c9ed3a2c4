//! A mock-interview session's state: the planned questions, the turns so far (each
//! answer's short critique and its follow-up), and what is awaited next. Kept as JSON
//! in the history database after every step, so a session survives the process.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::follow_up::FollowUpSource;
use crate::critique::{Critique, Dimension};
use crate::history::{RecordedCap, ToldStory};

/// A question planned for the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedQuestion {
    /// The bank's id.
    pub id: String,
    pub competency: String,
    pub text: String,
}

/// What the session waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "index")]
pub enum Awaiting {
    /// The answer to planned question `index`.
    Question(usize),
    /// The answer to the follow-up of question `index`.
    FollowUp(usize),
    /// Nothing: the session is finished.
    Done,
}

/// The critique of an answer, short: what a mock interview shows between questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShortCritique {
    pub overall: Option<f64>,
    pub scores: BTreeMap<String, u8>,
    pub caps: Vec<RecordedCap>,
    pub flags: Vec<String>,
    /// The two most important changes, as "Part: change".
    pub changes: Vec<String>,
    /// Set when the answer is about something else than the question.
    pub off_topic: Option<String>,
    pub story: Option<ToldStory>,
    pub words: usize,
    pub wpm: f64,
    /// The pace is estimated (a plain-text answer has no timestamps).
    #[serde(default)]
    pub pace_estimated: bool,
    pub llm: String,
}

impl From<&Critique> for ShortCritique {
    fn from(c: &Critique) -> Self {
        Self {
            overall: c.overall,
            scores: c.scores_by_name(),
            caps: RecordedCap::all_of(c),
            flags: c
                .analysis
                .flags
                .iter()
                .map(|f| f.as_str().to_string())
                .collect(),
            changes: c
                .changes
                .iter()
                .take(2)
                .map(|ch| format!("{}: {}", ch.part, ch.change))
                .collect(),
            off_topic: c.off_topic.as_ref().map(|o| o.finding.clone()),
            story: ToldStory::of(c),
            words: c.analysis.word_count,
            wpm: c.analysis.pace_wpm,
            pace_estimated: c.analysis.pace_estimated,
            llm: c.llm.as_str().to_string(),
        }
    }
}

/// One planned question, as it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Turn {
    pub question: PlannedQuestion,
    /// The answer's text (as critiqued: a transcript's spoken words).
    pub answer: Option<String>,
    pub critique: Option<ShortCritique>,
    pub follow_up: Option<String>,
    pub follow_up_source: Option<FollowUpSource>,
    pub follow_up_answer: Option<String>,
    /// The answer and the follow-up's answer critiqued together against the question
    /// (what the question's score is, once the follow-up is answered).
    pub with_follow_up: Option<ShortCritique>,
    /// The history entries recorded for this question.
    pub history_ids: Vec<i64>,
    pub skipped: bool,
}

impl Turn {
    /// The critique that stands for this question: with the follow-up when answered.
    pub fn final_critique(&self) -> Option<&ShortCritique> {
        self.with_follow_up.as_ref().or(self.critique.as_ref())
    }
}

/// A mock-interview session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Session {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The competencies the session practises (the job's, or the one asked for).
    pub competencies: Vec<String>,
    /// The competencies of the job description the session was planned from (what
    /// progress compares practice with); empty without a job.
    #[serde(default)]
    pub job_competencies: Vec<String>,
    pub questions: Vec<PlannedQuestion>,
    /// One per question reached, in order.
    pub turns: Vec<Turn>,
    pub awaiting: Awaiting,
}

/// Per dimension, the mean over the answered questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionSummary {
    pub answered: usize,
    pub skipped: usize,
    pub scores: BTreeMap<String, f64>,
    pub overall: Option<f64>,
    /// Index (in `questions`) of the best and the weakest answer.
    pub strongest: Option<usize>,
    pub weakest: Option<usize>,
    /// The weakest dimension and what to practise for it.
    pub next_focus: Option<String>,
}

impl Session {
    pub fn is_finished(&self) -> bool {
        self.awaiting == Awaiting::Done
    }

    /// The question awaiting an answer and whether it is a follow-up.
    pub fn pending(&self) -> Option<(String, bool)> {
        match self.awaiting {
            Awaiting::Question(i) => Some((self.questions[i].text.clone(), false)),
            Awaiting::FollowUp(i) => self.turns[i].follow_up.clone().map(|f| (f, true)),
            Awaiting::Done => None,
        }
    }

    /// Scores per dimension over the answered questions, the best and weakest answer,
    /// and the next thing to practise.
    pub fn summary(&self) -> SessionSummary {
        let answered: Vec<(usize, &ShortCritique)> = self
            .turns
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.final_critique().map(|c| (i, c)))
            .collect();
        let mut scores = BTreeMap::new();
        for d in Dimension::ALL {
            let values: Vec<f64> = answered
                .iter()
                .filter_map(|(_, c)| c.scores.get(d.as_str()).map(|&v| f64::from(v)))
                .collect();
            if !values.is_empty() {
                scores.insert(
                    d.as_str().to_string(),
                    values.iter().sum::<f64>() / values.len() as f64,
                );
            }
        }
        let overalls: Vec<(usize, f64)> = answered
            .iter()
            .filter_map(|(i, c)| c.overall.map(|o| (*i, o)))
            .collect();
        let overall = (!overalls.is_empty())
            .then(|| overalls.iter().map(|(_, o)| o).sum::<f64>() / overalls.len() as f64);
        let strongest = overalls
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| *i);
        let weakest = overalls
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(i, _)| *i);
        let next_focus = scores
            .iter()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map(|(d, v)| format!("{d} ({v:.1} of 5): {}", advice(d)));
        SessionSummary {
            answered: answered.len(),
            skipped: self.turns.iter().filter(|t| t.skipped).count(),
            scores,
            overall,
            strongest,
            weakest,
            next_focus,
        }
    }
}

/// What to practise for a weak dimension.
fn advice(dimension: &str) -> &'static str {
    match dimension {
        "structure" => "tell Situation and Task in a few sentences, then spend most of the answer on what you did and how it ended",
        "relevance" => "before answering, name the competency the question asks for and pick the story that shows it",
        "ownership" => "say 'I' for what you did yourself; keep 'we' for the team's part",
        "impact" => "end with the result in numbers (time, money, errors, people) and how you knew",
        _ => "rehearse out loud: fewer fillers, steady pace, pauses instead of 'um'",
    }
}
