//! A mock interview inside a chat conversation, for any OpenAI client: the coach asks,
//! the user answers, the coach gives the short critique and a follow-up, then the next
//! question. Chat UIs resend the whole conversation each turn, so the interview's
//! state rides in the coach's own messages, as an HTML comment a Markdown view hides
//! (`<!-- starcoach-mock {...} -->`): nothing is kept on the server but the history.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::ChatError;
use crate::app::Coach;
use crate::critique::{CritiqueRequest, TranscriptInput};
use crate::history::Origin;
use crate::llm::{ChatMessage, ChatRole};
use crate::practice::{follow_up, PracticeError, ShortCritique, StartSession, DEFAULT_QUESTIONS};

const MARKER: &str = "<!-- starcoach-mock ";

/// What is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stage {
    Question,
    FollowUp,
}

/// An answered question's scores, for the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Scored {
    overall: Option<f64>,
    scores: BTreeMap<String, u8>,
}

/// The interview's state, written into each of the coach's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MockState {
    /// The bank's question ids, in order.
    ids: Vec<String>,
    at: usize,
    stage: Stage,
    /// Per question reached: its scores, or `None` when skipped.
    answers: Vec<Option<Scored>>,
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

/// "mock interview", "let's practise", "interview me", with an optional job after it.
fn starts_an_interview(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"(?i)^\W*(?:(?:let'?s|let us|can we|i want to|i'd like to|start|begin)\s+(?:an?\s+)?(?:mock interview|practi[cs]e|interview)|(?:an?\s+)?mock interview|interview me|practi[cs]e\W*$)",
    )
    .is_match(text)
}

/// The job description after "for this job:" / "job:", if any.
fn job_in(text: &str) -> Option<String> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = regex(&R, r"(?is)\bjob(?: description)?\s*:\s*(.+)$");
    r.captures(text)
        .map(|c| c[1].trim().to_string())
        .filter(|j| !j.is_empty())
}

/// "with 3 questions".
fn count_in(text: &str) -> Option<usize> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = regex(&R, r"(?i)\b(\d{1,2})\s+questions?\b");
    r.captures(text).and_then(|c| c[1].parse().ok())
}

fn is_skip(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, r"(?i)^\W*(skip|next|pass)\W*$").is_match(text)
}

fn is_stop(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"(?i)^\W*(stop|quit|end|finish)(?: the)?(?: mock)?(?: interview)?\W*$",
    )
    .is_match(text)
}

fn state_in(message: &ChatMessage) -> Option<MockState> {
    let start = message.content.rfind(MARKER)? + MARKER.len();
    let end = start + message.content[start..].find("-->")?;
    serde_json::from_str(message.content[start..end].trim()).ok()
}

fn marker(state: &MockState) -> String {
    let json = serde_json::to_string(state).unwrap_or_default();
    format!("\n\n{MARKER}{json} -->")
}

/// The mock-interview reply to the conversation, or `None` when the last message is
/// not part of one.
pub(super) async fn reply(
    coach: &Coach,
    user: &str,
    messages: &[ChatMessage],
) -> Result<Option<String>, ChatError> {
    let Some((last, earlier)) = messages.split_last() else {
        return Ok(None);
    };
    if last.role != ChatRole::User {
        return Ok(None);
    }
    let text = last.content.trim();
    let previous = earlier
        .iter()
        .enumerate()
        .rev()
        .find(|(_, m)| m.role == ChatRole::Assistant);
    if let Some((index, state)) = previous.and_then(|(i, m)| state_in(m).map(|state| (i, state))) {
        // The user's first answer to the question, for a follow-up's answer.
        let first_answer = index
            .checked_sub(1)
            .and_then(|i| earlier.get(i))
            .filter(|m| m.role == ChatRole::User)
            .map(|m| m.content.clone());
        return continue_interview(coach, user, state, text, first_answer)
            .await
            .map(Some);
    }
    if starts_an_interview(text) {
        return start(coach, user, text).await.map(Some);
    }
    Ok(None)
}

async fn start(coach: &Coach, user: &str, text: &str) -> Result<String, ChatError> {
    let request = StartSession {
        job: job_in(text),
        questions: Some(count_in(text).unwrap_or(DEFAULT_QUESTIONS)),
        competency: None,
    };
    let questions = match crate::practice::plan_questions(coach, user, &request).await {
        Ok((questions, _)) => questions,
        Err(PracticeError::Invalid { field, message }) => {
            return Ok(format!(
                "I could not start the mock interview: {field} {message}."
            ))
        }
        Err(PracticeError::Prep(crate::prep::PrepError::Job(e))) => {
            return Ok(format!(
                "I could not read that job description ({e}). Paste it after `job:`."
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let state = MockState {
        ids: questions.iter().map(|q| q.id.clone()).collect(),
        at: 0,
        stage: Stage::Question,
        answers: Vec::new(),
    };
    let intro = match &request.job {
        Some(_) => "Mock interview for this job",
        None => "Mock interview",
    };
    Ok(format!(
        "**{intro}: {} questions.** Answer each as you would out loud; say `skip` to pass, `stop` to finish.\n\n{}{}",
        state.ids.len(),
        ask(coach, &state)?,
        marker(&state)
    ))
}

/// The question the state is at, as a message.
fn ask(coach: &Coach, state: &MockState) -> Result<String, ChatError> {
    let mut question = question_text(coach, state)?;
    if question.is_empty() {
        question = "Tell me about a time you solved a hard problem.".into();
    }
    Ok(format!(
        "**Question {} of {}:** {question}",
        state.at + 1,
        state.ids.len()
    ))
}

fn question_text(coach: &Coach, state: &MockState) -> Result<String, ChatError> {
    let bank = coach.question_bank().map_err(PracticeError::from)?;
    Ok(bank
        .get(&state.ids[state.at])
        .map(|q| q.text.clone())
        .unwrap_or_default())
}

async fn continue_interview(
    coach: &Coach,
    user: &str,
    mut state: MockState,
    text: &str,
    first_answer: Option<String>,
) -> Result<String, ChatError> {
    if state.at >= state.ids.len() {
        return Ok(summary(&state));
    }
    if is_stop(text) {
        return Ok(summary(&state));
    }
    let question = question_text(coach, &state)?;
    let competency = coach
        .question_bank()
        .ok()
        .and_then(|b| b.get(&state.ids[state.at]))
        .map(|q| q.competency.clone());
    if is_skip(text) {
        if state.stage == Stage::Question {
            state.answers.push(None);
        }
        return next(coach, state, String::from("Skipped.\n\n"));
    }
    let answer = match (state.stage, first_answer) {
        (Stage::FollowUp, Some(first)) => format!("{first}\n\n{text}"),
        _ => text.to_string(),
    };
    let request = CritiqueRequest {
        question: Some(question),
        transcript: TranscriptInput::Text(answer),
        format: None,
    };
    let critique = match coach.critique(user, &request, true).await {
        Ok(c) => c,
        Err(crate::critique::CritiqueError::Match(e)) => return Err(e.into()),
        Err(e) => {
            return Ok(format!(
                "I could not read that answer: {e}. Answer again, or say `skip`.{}",
                marker(&state)
            ))
        }
    };
    coach
        .record_critique(user, &critique, Origin::Chat, None, competency)
        .await;
    let short = ShortCritique::from(&critique);
    let scored = Some(Scored {
        overall: short.overall,
        scores: short.scores.clone(),
    });
    let shown = format!("```text\n{}```\n", crate::render::short_critique(&short));
    match state.stage {
        Stage::Question => {
            state.answers.push(scored);
            let (follow, _) = follow_up(&critique, text);
            state.stage = Stage::FollowUp;
            Ok(format!(
                "Your answer:\n{shown}\n**Follow-up:** {follow}\n\n(answer it, or say `skip` for the next question){}",
                marker(&state)
            ))
        }
        Stage::FollowUp => {
            // The follow-up's answer and the first one, critiqued as one answer.
            if let Some(last) = state.answers.last_mut() {
                *last = scored;
            }
            next(
                coach,
                state,
                format!("Your answer with the follow-up:\n{shown}\n"),
            )
        }
    }
}

/// Move to the next question (or the summary after the last), after `before`.
fn next(coach: &Coach, mut state: MockState, before: String) -> Result<String, ChatError> {
    state.at += 1;
    state.stage = Stage::Question;
    if state.at >= state.ids.len() {
        return Ok(format!("{before}{}", summary(&state)));
    }
    Ok(format!("{before}{}{}", ask(coach, &state)?, marker(&state)))
}

fn summary(state: &MockState) -> String {
    let answered: Vec<(usize, &Scored)> = state
        .answers
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.as_ref().map(|a| (i, a)))
        .collect();
    let mut out = format!(
        "**Mock interview finished:** {} answered, {} skipped.",
        answered.len(),
        state.answers.len() - answered.len()
    );
    let overalls: Vec<(usize, f64)> = answered
        .iter()
        .filter_map(|(i, a)| a.overall.map(|o| (*i, o)))
        .collect();
    if !overalls.is_empty() {
        let mean = overalls.iter().map(|(_, o)| o).sum::<f64>() / overalls.len() as f64;
        let best = overalls
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|p| p.0 + 1);
        let worst = overalls
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|p| p.0 + 1);
        out.push_str(&format!(
            " Overall {mean:.1}/5; strongest answer: question {}, weakest: question {}.",
            best.unwrap_or(1),
            worst.unwrap_or(1)
        ));
    }
    let mut by_dimension: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for (_, a) in &answered {
        for (d, s) in &a.scores {
            let e = by_dimension.entry(d.as_str()).or_default();
            e.0 += f64::from(*s);
            e.1 += 1;
        }
    }
    if let Some((d, (sum, n))) = by_dimension
        .iter()
        .min_by(|a, b| (a.1 .0 / a.1 .1 as f64).total_cmp(&(b.1 .0 / b.1 .1 as f64)))
    {
        out.push_str(&format!(
            " Practise next: {d} ({:.1} of 5). `starcoach progress` shows the trend.",
            sum / *n as f64
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_rides_in_the_message_and_reads_back() {
        let state = MockState {
            ids: vec!["failure-01".into(), "conflict-02".into()],
            at: 1,
            stage: Stage::FollowUp,
            answers: vec![Some(Scored {
                overall: Some(3.5),
                scores: [("structure".to_string(), 4)].into_iter().collect(),
            })],
        };
        let message = ChatMessage::assistant(format!("Your answer: ...{}", marker(&state)));
        assert_eq!(state_in(&message), Some(state));
        assert_eq!(state_in(&ChatMessage::assistant("no marker")), None);
    }

    #[test]
    fn starts_skips_and_stops_are_recognised() {
        for start in [
            "let's practise",
            "Mock interview for this job: Senior engineer...",
            "interview me",
            "Let's practice with 3 questions",
            "practise",
        ] {
            assert!(starts_an_interview(start), "{start}");
        }
        for not in [
            "Tell me about a time you practised a talk",
            "What is a mock object?",
            "Practice makes perfect",
        ] {
            assert!(!starts_an_interview(not), "{not}");
        }
        assert_eq!(
            job_in("mock interview for this job: Staff engineer, payments"),
            Some("Staff engineer, payments".into())
        );
        assert_eq!(count_in("let's practise with 3 questions"), Some(3));
        assert!(is_skip("skip") && is_skip(" Next! ") && !is_skip("skip the intro and tell me"));
        assert!(is_stop("stop") && is_stop("end the interview") && !is_stop("stop me if"));
    }
}
