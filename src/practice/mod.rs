//! Practice: mock interviews on the user's own stories (questions chosen from the
//! job's competencies, the user's gaps and weak spots, each answer critiqued with one
//! probing follow-up), and progress over the history.

// Works on top of the coach (like `chat` and `eval`): the critique, prep and the
// history are the coach's. A session's state is saved after every step, so a killed
// process resumes where it stopped; changes to one session are serialised in the
// process by the history's `SessionLocks`.

mod follow_up;
pub mod progress;
mod session;

use std::collections::HashSet;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

pub use follow_up::{follow_up, FollowUpSource};
pub use progress::{progress, ProgressReport};
pub use session::{Awaiting, PlannedQuestion, Session, SessionSummary, ShortCritique, Turn};

use crate::analysis::TranscriptFormat;
use crate::app::Coach;
use crate::critique::{Critique, CritiqueError, CritiqueRequest, TranscriptInput};
use crate::history::{HistoryEntry, HistoryError, Origin, StoredSession};
use crate::prep::{pick_questions, DetectedCompetency, PrepError};
use crate::retrieve::FitLevel;

/// Questions in a session when the caller does not say.
pub const DEFAULT_QUESTIONS: usize = 5;
pub const MAX_QUESTIONS: usize = 20;
/// Questions asked this recently (history entries) are asked again only when the bank
/// runs out.
const RECENT_ENTRIES: usize = 30;

/// Errors of practice and progress.
#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("no such practice session")]
    NotFound,
    #[error("this practice session is finished: start a new one")]
    Finished,
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Prep(#[from] PrepError),
    #[error(transparent)]
    Critique(#[from] CritiqueError),
    #[error("a stored session could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
}

fn invalid(field: &'static str, message: impl Into<String>) -> PracticeError {
    PracticeError::Invalid {
        field,
        message: message.into(),
    }
}

/// How to start a session.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSession {
    /// A job description: questions follow its competencies.
    pub job: Option<String>,
    /// How many questions (default 5, at most 20).
    pub questions: Option<usize>,
    /// Practise one competency (its id) only.
    pub competency: Option<String>,
}

/// A question put to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AskedQuestion {
    /// 1-based number of the planned question it belongs to.
    pub number: usize,
    pub of: usize,
    pub text: String,
    pub competency: String,
    /// Whether it is the follow-up of question `number`.
    pub follow_up: bool,
}

/// What a session shows: its state and what to answer now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionView {
    pub session: Session,
    /// What to answer now; absent when the session is finished.
    pub question: Option<AskedQuestion>,
    pub summary: Option<SessionSummary>,
}

/// An answer (or a skip) to what the session awaits.
#[derive(Debug, Clone, Default)]
pub struct AnswerInput {
    pub transcript: Option<TranscriptInput>,
    pub format: Option<TranscriptFormat>,
    /// Skip the awaited question or follow-up instead of answering.
    pub skip: bool,
}

/// The outcome of an answer: its short critique, the follow-up, what comes next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerOutcome {
    pub session_id: String,
    /// What was answered (or skipped).
    pub answered: AskedQuestion,
    pub skipped: bool,
    /// The critique; for a follow-up's answer, of the answer and the follow-up
    /// together against the question.
    pub critique: Option<ShortCritique>,
    /// The probing follow-up (after a question's first answer).
    pub follow_up: Option<String>,
    pub follow_up_source: Option<FollowUpSource>,
    /// What to answer now: the follow-up, or the next question; absent when finished.
    pub next: Option<AskedQuestion>,
    /// The next planned question (also after a follow-up is asked, so a client can
    /// skip it).
    pub next_question: Option<AskedQuestion>,
    pub finished: bool,
    pub summary: Option<SessionSummary>,
}

/// A session in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionListItem {
    pub id: String,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    pub finished: bool,
    pub questions: usize,
    pub answered: usize,
    pub overall: Option<f64>,
}

fn asked(session: &Session) -> Option<AskedQuestion> {
    let of = session.questions.len();
    match session.awaiting {
        Awaiting::Question(i) => Some(AskedQuestion {
            number: i + 1,
            of,
            text: session.questions[i].text.clone(),
            competency: session.questions[i].competency.clone(),
            follow_up: false,
        }),
        Awaiting::FollowUp(i) => Some(AskedQuestion {
            number: i + 1,
            of,
            text: session.turns[i].follow_up.clone().unwrap_or_default(),
            competency: session.questions[i].competency.clone(),
            follow_up: true,
        }),
        Awaiting::Done => None,
    }
}

fn planned_question(session: &Session, index: usize) -> Option<AskedQuestion> {
    session.questions.get(index).map(|q| AskedQuestion {
        number: index + 1,
        of: session.questions.len(),
        text: q.text.clone(),
        competency: q.competency.clone(),
        follow_up: false,
    })
}

impl SessionView {
    pub fn of(session: Session) -> Self {
        let summary = session.is_finished().then(|| session.summary());
        Self {
            question: asked(&session),
            summary,
            session,
        }
    }
}

fn stored(session: &Session) -> Result<StoredSession, PracticeError> {
    Ok(StoredSession {
        id: session.id.clone(),
        created_at: session.created_at,
        updated_at: session.updated_at,
        finished: session.is_finished(),
        state: serde_json::to_value(session)?,
    })
}

/// Start a session for `user`: plan the questions and ask the first.
pub async fn start(
    coach: &Coach,
    user: &str,
    request: &StartSession,
) -> Result<SessionView, PracticeError> {
    let span = tracing::info_span!("practice.start", user = %user);
    async {
        let history = coach.history()?.clone();
        let count = checked_count(request)?;
        let entries = history.all_entries(user).await?;
        let (questions, job_competencies) = plan(coach, user, request, count, &entries).await?;
        let competencies = {
            let mut seen = Vec::new();
            for q in &questions {
                if !seen.contains(&q.competency) {
                    seen.push(q.competency.clone());
                }
            }
            seen
        };
        let now = Utc::now();
        let session = Session {
            id: uuid::Uuid::new_v4().to_string(),
            created_at: now,
            updated_at: now,
            competencies,
            job_competencies,
            questions,
            turns: Vec::new(),
            awaiting: Awaiting::Question(0),
        };
        history.save_session(user, &stored(&session)?).await?;
        Ok(SessionView::of(session))
    }
    .instrument(span)
    .await
}

/// The questions a session would ask (and the job's competencies), without starting
/// one: for the chat, whose state lives in the conversation. Works with the history
/// off (no weak spots to favour then).
pub async fn plan_questions(
    coach: &Coach,
    user: &str,
    request: &StartSession,
) -> Result<(Vec<PlannedQuestion>, Vec<String>), PracticeError> {
    let count = checked_count(request)?;
    let entries = match coach.history() {
        Ok(history) => history.all_entries(user).await?,
        Err(_) => Vec::new(),
    };
    plan(coach, user, request, count, &entries).await
}

fn checked_count(request: &StartSession) -> Result<usize, PracticeError> {
    let count = request.questions.unwrap_or(DEFAULT_QUESTIONS);
    if !(1..=MAX_QUESTIONS).contains(&count) {
        return Err(invalid(
            "questions",
            format!("must be between 1 and {MAX_QUESTIONS}, got {count}"),
        ));
    }
    Ok(count)
}

/// The competencies to practise, most needed first, with candidate questions for
/// each (best first), then `count` questions taken round-robin; and the competencies
/// the job asks for (empty without a job).
async fn plan(
    coach: &Coach,
    user: &str,
    request: &StartSession,
    count: usize,
    entries: &[HistoryEntry],
) -> Result<(Vec<PlannedQuestion>, Vec<String>), PracticeError> {
    let bank = coach.question_bank()?;
    let set = coach
        .retriever()
        .competency_set()
        .map_err(|e| PrepError::Bank(e.to_string()))?;
    if let Some(id) = &request.competency {
        if !set.competencies.iter().any(|c| &c.id == id) {
            let known: Vec<&str> = set.competencies.iter().map(|c| c.id.as_str()).collect();
            return Err(invalid(
                "competency",
                format!("unknown competency {id:?}; known: {}", known.join(", ")),
            ));
        }
    }
    // (competency, priority, candidate question ids best first)
    let mut plans: Vec<(String, f64, Vec<&crate::prep::BankQuestion>)> = Vec::new();
    let mut job_competencies = Vec::new();
    if let Some(job) = &request.job {
        // Planning needs the job's competencies, not the LLM's extra questions.
        let report = coach.prep(user, job, None).await?;
        job_competencies = report.competencies.iter().map(|c| c.id.clone()).collect();
        for c in &report.competencies {
            if request.competency.as_ref().is_some_and(|id| id != &c.id) {
                continue;
            }
            let detected = DetectedCompetency {
                id: c.id.clone(),
                name: c.name.clone(),
                score: c.score,
                evidence: c.evidence.clone(),
            };
            let candidates = pick_questions(bank, &detected, report.job.level, usize::MAX);
            let gap_bonus = match c.level {
                None => 0.5,
                Some(FitLevel::Stretch) => 0.25,
                Some(_) => 0.0,
            };
            plans.push((
                c.id.clone(),
                1.0 - 0.08 * c.rank as f64 + gap_bonus,
                candidates,
            ));
        }
    }
    if plans.is_empty() {
        for c in &set.competencies {
            if request.competency.as_ref().is_some_and(|id| id != &c.id) {
                continue;
            }
            let candidates = bank.for_competency(&c.id).collect();
            plans.push((c.id.clone(), 0.5, candidates));
        }
    }
    // Weak spots from the history: competencies answered badly come first, and those
    // never practised before those answered well.
    for (id, priority, _) in &mut plans {
        let overalls: Vec<f64> = entries
            .iter()
            .filter(|e| e.record.competency.as_deref() == Some(id.as_str()))
            .filter_map(|e| e.record.overall)
            .collect();
        *priority += if overalls.is_empty() {
            0.25
        } else {
            let mean = overalls.iter().sum::<f64>() / overalls.len() as f64;
            (5.0 - mean) / 4.0 * 0.5
        };
    }
    plans.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let recent: HashSet<&str> = entries
        .iter()
        .rev()
        .take(RECENT_ENTRIES)
        .map(|e| e.record.question.as_str())
        .collect();
    let mut chosen: Vec<PlannedQuestion> = Vec::new();
    // Fresh questions first; asked-recently ones only when the fresh run out.
    for allow_recent in [false, true] {
        let mut round = 0;
        while chosen.len() < count {
            let mut added = false;
            for (_, _, candidates) in &plans {
                if chosen.len() >= count {
                    break;
                }
                let fresh = candidates.iter().filter(|q| {
                    !chosen.iter().any(|c| c.id == q.id)
                        && (allow_recent || !recent.contains(q.text.as_str()))
                });
                // One question per competency per round.
                if let Some(q) = fresh.into_iter().next() {
                    chosen.push(PlannedQuestion {
                        id: q.id.clone(),
                        competency: q.competency.clone(),
                        text: q.text.clone(),
                    });
                    added = true;
                }
            }
            round += 1;
            if !added || round > MAX_QUESTIONS {
                break;
            }
        }
    }
    if chosen.is_empty() {
        return Err(invalid(
            "competency",
            "the question bank has no question for it",
        ));
    }
    Ok((chosen, job_competencies))
}

/// One of `user`'s sessions.
pub async fn get(coach: &Coach, user: &str, id: &str) -> Result<Session, PracticeError> {
    let stored = coach
        .history()?
        .session(user, id)
        .await?
        .ok_or(PracticeError::NotFound)?;
    Ok(serde_json::from_value(stored.state)?)
}

/// `user`'s sessions, newest first.
pub async fn list(coach: &Coach, user: &str) -> Result<Vec<SessionListItem>, PracticeError> {
    let stored = coach.history()?.sessions(user).await?;
    stored
        .into_iter()
        .map(|s| {
            let session: Session = serde_json::from_value(s.state)?;
            let summary = session.summary();
            Ok(SessionListItem {
                id: s.id,
                created_at: s.created_at,
                updated_at: s.updated_at,
                finished: s.finished,
                questions: session.questions.len(),
                answered: summary.answered,
                overall: summary.overall,
            })
        })
        .collect()
}

/// The words of an answer as critiqued (the candidate's sentences).
fn spoken_text(critique: &Critique) -> String {
    critique
        .analysis
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Answer (or skip) what session `id` awaits; `in_request` bounds the critique by the
/// HTTP request's time as for `/v1/answers/critique`.
pub async fn answer(
    coach: &Coach,
    user: &str,
    id: &str,
    input: AnswerInput,
    in_request: bool,
) -> Result<AnswerOutcome, PracticeError> {
    let span = tracing::info_span!("practice.answer", user = %user, session = %id);
    async {
        let _guard = coach.session_locks().lock(id).await;
        let history = coach.history()?;
        let mut session = get(coach, user, id).await?;
        let answered = asked(&session).ok_or(PracticeError::Finished)?;
        if !input.skip && input.transcript.is_none() {
            return Err(invalid(
                "transcript",
                "give the answer (text, WebVTT, SRT or Whisper JSON), or skip",
            ));
        }
        let step = match session.awaiting {
            Awaiting::Question(i) => {
                answer_question(coach, user, &mut session, i, &input, in_request).await?
            }
            Awaiting::FollowUp(i) => {
                answer_follow_up(coach, user, &mut session, i, &input, in_request).await?
            }
            Awaiting::Done => return Err(PracticeError::Finished),
        };
        session.updated_at = Utc::now();
        history.save_session(user, &stored(&session)?).await?;
        let next_index = match session.awaiting {
            Awaiting::Question(i) => Some(i),
            Awaiting::FollowUp(i) => Some(i + 1),
            Awaiting::Done => None,
        };
        let finished = session.is_finished();
        Ok(AnswerOutcome {
            session_id: session.id.clone(),
            answered,
            skipped: input.skip,
            critique: step.critique,
            follow_up: step.follow_up.as_ref().map(|(text, _)| text.clone()),
            follow_up_source: step.follow_up.map(|(_, source)| source),
            next: asked(&session),
            next_question: next_index.and_then(|i| planned_question(&session, i)),
            finished,
            summary: finished.then(|| session.summary()),
        })
    }
    .instrument(span)
    .await
}

/// `user`'s progress; the competencies "needed" are those of `job` when given, else
/// those of the latest session started from a job description.
pub async fn progress_for(
    coach: &Coach,
    user: &str,
    job: Option<&str>,
) -> Result<ProgressReport, PracticeError> {
    let history = coach.history()?;
    let entries = history.all_entries(user).await?;
    let needed: Option<Vec<String>> = match job {
        Some(text) => {
            let (_, ranked) = crate::prep::detect_competencies(
                coach.retriever(),
                text,
                coach.settings().practice.max_job_chars,
            )
            .await?;
            Some(
                ranked
                    .into_iter()
                    .take(coach.settings().practice.prep_competencies)
                    .map(|c| c.id)
                    .collect(),
            )
        }
        None => {
            let mut needed = None;
            for stored in history.sessions(user).await? {
                let session: Session = serde_json::from_value(stored.state)?;
                if !session.job_competencies.is_empty() {
                    needed = Some(session.job_competencies);
                    break;
                }
            }
            needed
        }
    };
    Ok(progress(user, &entries, needed.as_deref()))
}

/// What answering one step of a session produced.
#[derive(Default)]
struct Step {
    critique: Option<ShortCritique>,
    follow_up: Option<(String, FollowUpSource)>,
}

/// A critique request for `input` as the answer to `question`.
fn request_for(question: &str, input: &AnswerInput) -> CritiqueRequest {
    CritiqueRequest {
        question: Some(question.to_string()),
        transcript: input
            .transcript
            .clone()
            .unwrap_or(TranscriptInput::Text(String::new())),
        format: input.format,
    }
}

/// Answer (or skip) planned question `i`: its critique, recorded, and its follow-up.
async fn answer_question(
    coach: &Coach,
    user: &str,
    session: &mut Session,
    i: usize,
    input: &AnswerInput,
    in_request: bool,
) -> Result<Step, PracticeError> {
    let question = session.questions[i].clone();
    let mut turn = Turn {
        question: question.clone(),
        answer: None,
        critique: None,
        follow_up: None,
        follow_up_source: None,
        follow_up_answer: None,
        with_follow_up: None,
        history_ids: Vec::new(),
        skipped: input.skip,
    };
    let mut step = Step::default();
    if input.skip {
        session.awaiting = next_question(session, i);
    } else {
        let request = request_for(&question.text, input);
        let critique = coach.critique(user, &request, in_request).await?;
        let spoken = spoken_text(&critique);
        let (text, source) = follow_up(&critique, &spoken);
        turn.history_ids.extend(
            coach
                .record_critique(
                    user,
                    &critique,
                    Origin::Practice,
                    Some(session.id.clone()),
                    Some(question.competency.clone()),
                )
                .await,
        );
        turn.answer = Some(spoken);
        turn.critique = Some(ShortCritique::from(&critique));
        turn.follow_up = Some(text.clone());
        turn.follow_up_source = Some(source);
        step.critique = turn.critique.clone();
        step.follow_up = Some((text, source));
        session.awaiting = Awaiting::FollowUp(i);
    }
    session.turns.push(turn);
    Ok(step)
}

/// Answer (or skip) the follow-up of question `i`: the follow-up's answer is read like
/// any transcript, then critiqued with the first answer as one answer to the question,
/// and that critique replaces the first one in the history.
async fn answer_follow_up(
    coach: &Coach,
    user: &str,
    session: &mut Session,
    i: usize,
    input: &AnswerInput,
    in_request: bool,
) -> Result<Step, PracticeError> {
    let mut step = Step::default();
    if !input.skip {
        let history = coach.history()?;
        let turn = &session.turns[i];
        let question = turn.question.text.clone();
        let competency = turn.question.competency.clone();
        let first = turn.answer.clone().unwrap_or_default();
        let follow_words = coach
            .critic()
            .parse(&request_for(&question, input))?
            .candidate_text();
        let request = CritiqueRequest {
            question: Some(question),
            transcript: TranscriptInput::Text(format!("{first}\n\n{follow_words}")),
            format: Some(TranscriptFormat::Plain),
        };
        let critique = coach.critique(user, &request, in_request).await?;
        for old in std::mem::take(&mut session.turns[i].history_ids) {
            history.delete(user, old).await?;
        }
        let recorded = coach
            .record_critique(
                user,
                &critique,
                Origin::Practice,
                Some(session.id.clone()),
                Some(competency),
            )
            .await;
        let turn = &mut session.turns[i];
        turn.history_ids.extend(recorded);
        turn.follow_up_answer = Some(follow_words);
        turn.with_follow_up = Some(ShortCritique::from(&critique));
        step.critique = turn.with_follow_up.clone();
    }
    session.awaiting = next_question(session, i);
    Ok(step)
}

fn next_question(session: &Session, answered: usize) -> Awaiting {
    if answered + 1 < session.questions.len() {
        Awaiting::Question(answered + 1)
    } else {
        Awaiting::Done
    }
}
