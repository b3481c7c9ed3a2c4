//! Preparing for a job: from a job description to the competencies it asks for (with
//! the job's own sentences), the questions an interviewer is likely to ask for each,
//! the user's best story for each question, and the gaps to prepare.

// Reads the job (`job`), ranks the competencies from its sentences' embeddings
// (`detect`), picks questions from the bank (`bank`, `questions`) and runs the match
// machinery on each question. With an LLM (`tailored`), a few questions written for
// the job's specifics join the bank's, once they pass the checks.

pub mod bank;
pub mod detect;
pub mod job;
mod questions;
pub mod tailored;

use std::collections::HashSet;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::Instrument;

pub use bank::{BankQuestion, Level, QuestionBank};
pub use detect::{rank_competencies, DetectedCompetency};
pub use job::{JobDescription, JobError, JobSentence};
pub use questions::pick_questions;
pub use tailored::{PrepLlm, TailoredQuestion};

use crate::config::PracticeSettings;
use crate::embed::TextRole;
use crate::llm::LlmClient;
use crate::retrieve::{
    Evidence, FitLevel, MatchError, MatchRequest, NoteMatch, Retriever, StoryMatch,
};

/// Errors of a prep request.
#[derive(Debug, thiserror::Error)]
pub enum PrepError {
    #[error(transparent)]
    Job(#[from] JobError),
    #[error(transparent)]
    Match(#[from] MatchError),
    /// The question bank could not be read (`practice.questions_file`).
    #[error("practice.questions_file: {0}")]
    Bank(String),
}

/// The job as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobSummary {
    pub words: usize,
    /// Sentences read, and those that describe the work (not boilerplate).
    pub sentences: usize,
    pub job_sentences: usize,
    /// The seniority the posting names, if any.
    pub level: Option<Level>,
}

/// The best story for a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoryPick {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    pub fit: FitLevel,
    pub fit_score: f32,
    /// The story's sentences that answer the question, verbatim.
    pub evidence: Vec<Evidence>,
}

impl From<&StoryMatch> for StoryPick {
    fn from(s: &StoryMatch) -> Self {
        Self {
            doc_id: s.doc_id.clone(),
            title: s.title.clone(),
            source: s.source.clone(),
            fit: s.fit,
            fit_score: s.fit_score,
            evidence: s.evidence.clone(),
        }
    }
}

/// Where a proposed question comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionSource {
    /// The question bank (`config/questions.toml`).
    Bank,
    /// Written by the LLM for this job, checked.
    Llm,
}

/// A question likely to be asked for a competency, with the user's best story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrepQuestion {
    /// The bank's id for it (`llm-N` for the LLM's).
    pub id: String,
    pub text: String,
    pub source: QuestionSource,
    /// The best story; absent when nothing in the bank fits (a gap).
    pub story: Option<StoryPick>,
}

/// One competency the job asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrepCompetency {
    pub rank: usize,
    pub id: String,
    pub name: String,
    pub score: f32,
    /// The job's sentences that ask for it, verbatim, best first.
    pub evidence: Vec<JobSentence>,
    pub questions: Vec<PrepQuestion>,
    /// The best fit any of its questions' stories reaches; absent: a gap.
    pub level: Option<FitLevel>,
}

/// A competency the user has no good story for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrepGap {
    pub competency: String,
    pub name: String,
    /// `None`: nothing fits; `stretch`: only a stretch does.
    pub level: Option<FitLevel>,
    pub message: String,
    /// The user's notes closest to the competency's questions: material for a story.
    pub notes: Vec<NoteMatch>,
}

/// A preparation plan for one job (the same JSON from the CLI and the HTTP API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrepReport {
    pub user: String,
    pub job: JobSummary,
    /// The competencies the job asks for, best first.
    pub competencies: Vec<PrepCompetency>,
    /// Competencies without a strong or workable story: prepare these.
    pub gaps: Vec<PrepGap>,
    /// What the LLM added (questions tailored to the job), or why not.
    pub llm: PrepLlm,
    pub took_ms: f64,
}

/// Notes listed per gap.
const MAX_GAP_NOTES: usize = 3;

/// The competencies `job_text` asks for, best first (all of them, scored), with the
/// job as read: what `prep` and its evaluation share.
pub async fn detect_competencies(
    retriever: &Retriever,
    job_text: &str,
    max_chars: usize,
) -> Result<(JobDescription, Vec<DetectedCompetency>), PrepError> {
    let job = JobDescription::read(job_text, max_chars)?;
    let index = retriever.competency_index().await?;
    let sentences: Vec<JobSentence> = job.job_sentences().cloned().collect();
    let texts = sentences.iter().map(|s| s.text.clone()).collect();
    let vectors = retriever
        .embedder()
        .embed(texts, TextRole::Query)
        .await
        .map_err(MatchError::from)?;
    let ranked = rank_competencies(&index, &sentences, &vectors);
    Ok((job, ranked))
}

/// The LLM a prep may ask for tailored questions, and until when.
pub struct PrepLlmCall<'a> {
    pub llm: &'a LlmClient,
    pub deadline: Instant,
}

/// A preparation plan for `user` and the job in `job_text`; with `llm`, also a few
/// questions written for the job.
pub async fn prepare(
    retriever: &Retriever,
    bank: &QuestionBank,
    settings: &PracticeSettings,
    user: &str,
    job_text: &str,
    llm: Option<PrepLlmCall<'_>>,
) -> Result<PrepReport, PrepError> {
    let started = Instant::now();
    let span = tracing::info_span!("prep.detect", user = %user, chars = job_text.len());
    let (job, ranked) = detect_competencies(retriever, job_text, settings.max_job_chars)
        .instrument(span)
        .await?;
    let top: Vec<DetectedCompetency> = ranked
        .into_iter()
        .take(settings.prep_competencies)
        .collect();
    let (tailored, llm_report) = match llm {
        Some(call) => {
            let job_sentences: Vec<&str> = job.job_sentences().map(|s| s.text.as_str()).collect();
            let known: Vec<&BankQuestion> = bank
                .questions()
                .iter()
                .filter(|q| top.iter().any(|c| c.id == q.competency))
                .collect();
            let span = tracing::info_span!("prep.llm_questions", user = %user);
            tailored::tailored_questions(
                call.llm,
                retriever.embedder().as_ref(),
                &job_sentences.join("\n"),
                &top,
                &known,
                call.deadline,
            )
            .instrument(span)
            .await
        }
        None => (Vec::new(), PrepLlm::unavailable()),
    };
    let mut competencies = Vec::new();
    let mut gaps = Vec::new();
    for (rank, detected) in top.into_iter().enumerate() {
        let mut picked: Vec<(String, String, QuestionSource)> = pick_questions(
            bank,
            &detected,
            job.level,
            settings.questions_per_competency,
        )
        .into_iter()
        .map(|q| (q.id.clone(), q.text.clone(), QuestionSource::Bank))
        .collect();
        for (i, q) in tailored.iter().enumerate() {
            if q.competency == detected.id {
                picked.push((
                    format!("llm-{}", i + 1),
                    q.text.clone(),
                    QuestionSource::Llm,
                ));
            }
        }
        let (competency, gap) =
            plan_competency(retriever, user, rank + 1, detected, picked).await?;
        competencies.push(competency);
        gaps.extend(gap);
    }
    Ok(PrepReport {
        user: user.to_string(),
        job: JobSummary {
            words: job.words,
            sentences: job.units.len(),
            job_sentences: job.job_sentences().count(),
            level: job.level,
        },
        competencies,
        gaps,
        llm: llm_report,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The user's best story for each of a competency's questions, its level, and the gap
/// when no story is better than a stretch.
async fn plan_competency(
    retriever: &Retriever,
    user: &str,
    rank: usize,
    detected: DetectedCompetency,
    picked: Vec<(String, String, QuestionSource)>,
) -> Result<(PrepCompetency, Option<PrepGap>), PrepError> {
    let mut questions = Vec::new();
    let mut notes: Vec<NoteMatch> = Vec::new();
    for (id, text, source) in picked {
        let span = tracing::info_span!("prep.match", competency = %detected.id, question = %id);
        let request = MatchRequest::new(text.clone(), Some(1), retriever.settings());
        let found = retriever
            .match_stories(user, &request)
            .instrument(span)
            .await?;
        let story = found
            .stories
            .first()
            .filter(|_| found.gap.is_none())
            .map(StoryPick::from);
        for note in found.related_notes {
            if !notes.iter().any(|n| n.doc_id == note.doc_id) {
                notes.push(note);
            }
        }
        questions.push(PrepQuestion {
            id,
            text,
            source,
            story,
        });
    }
    let level = questions
        .iter()
        .filter_map(|q| q.story.as_ref().map(|s| s.fit))
        .max();
    let gap = if level.is_none_or(|l| l == FitLevel::Stretch) {
        notes.sort_by(|a, b| b.score.total_cmp(&a.score));
        notes.truncate(MAX_GAP_NOTES);
        Some(gap(&detected, level, &questions, notes))
    } else {
        None
    };
    let competency = PrepCompetency {
        rank,
        id: detected.id,
        name: detected.name,
        score: detected.score,
        evidence: detected.evidence,
        questions,
        level,
    };
    Ok((competency, gap))
}

fn gap(
    detected: &DetectedCompetency,
    level: Option<FitLevel>,
    questions: &[PrepQuestion],
    notes: Vec<NoteMatch>,
) -> PrepGap {
    let name = detected.name.to_lowercase();
    let message = match level {
        None => format!("No story shows {name}: prepare one."),
        Some(_) => {
            let titles: HashSet<&str> = questions
                .iter()
                .filter_map(|q| q.story.as_ref().map(|s| s.title.as_str()))
                .collect();
            let mut titles: Vec<&str> = titles.into_iter().collect();
            titles.sort_unstable();
            format!(
                "Only a stretch shows {name} ({}): prepare a story that shows it directly.",
                titles.join(", ")
            )
        }
    };
    PrepGap {
        competency: detected.id.clone(),
        name: detected.name.clone(),
        level,
        message,
        notes,
    }
}
