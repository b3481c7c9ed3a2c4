//! The coach in a conversation (the OpenAI-compatible chat endpoint): read the last
//! user message and answer it.

// - "Which story should I use for ...?" (or a bare behavioral question): the ranked
//   stories with fit, evidence and advice, without an LLM.
// - A pasted answer (a long first-person text, or a transcript): the critique, with
//   the question taken from the message ("Question: ...") or the conversation.
// - "Mock interview for this job: ..." or "let's practise": a mock interview inside
//   the conversation (`mock`): a question, the short critique and a follow-up, the
//   next question, read back from the conversation each turn.
// - Anything else: the configured LLM with the coach's system prompt
//   (`prompts/chat_system.md`) and the user's best-matching stories as context; without
//   an LLM, a short deterministic reply saying what works.

mod mock;

use std::fmt::Write;
use std::sync::OnceLock;
use std::time::Instant;

use futures::stream::{self, BoxStream, StreamExt};
use regex::Regex;

use crate::analysis::count_tokens;
use crate::app::Coach;
use crate::corpus::{clip_chars, word_count};
use crate::critique::{CritiqueError, CritiqueRequest, TranscriptInput};
use crate::llm::{ChatMessage, ChatRole, LlmClient, StreamEvent};
use crate::retrieve::{MatchError, MatchRequest, MatchResponse};

const SYSTEM: &str = include_str!("../../prompts/chat_system.md");

/// A pasted answer has at least this many words.
const ANSWER_MIN_WORDS: usize = 60;
/// Stories put in the LLM's context.
const CONTEXT_STORIES: usize = 3;
/// Stories listed for "which story" questions.
const LISTED_STORIES: usize = 3;
/// Most recent messages passed on to the LLM.
const HISTORY: usize = 8;

/// What the last user message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Rank the user's stories for this interview question.
    Match { question: String },
    /// Critique this answer; the question, when found.
    Critique {
        question: Option<String>,
        answer: String,
    },
    /// Anything else.
    Chat,
}

/// How to answer.
#[derive(Debug, Clone)]
enum Reply {
    /// A finished answer.
    Text(String),
    /// Ask the LLM with these messages (system prompt and context included).
    Llm(Vec<ChatMessage>),
}

/// Errors that make the request itself wrong.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Match(#[from] MatchError),
    #[error(transparent)]
    Practice(#[from] crate::practice::PracticeError),
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

fn asks_for_a_story(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"(?i)\b(which|what) (of my )?(story|stories|example)\b|\bstor(y|ies) (should|could|would|can|do) i\b|\bbest (story|example)\b|\bmatch (my )?stor",
    )
    .is_match(text)
}

fn is_behavioral_question(text: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"(?i)^\W*(tell me about|describe|give me an example|talk me through|walk me through|have you ever|share an example|can you tell me about|what is a time|what's a time)\b",
    )
    .is_match(text)
}

/// A quoted question in the text, or the text after "for" / ":".
fn question_in(text: &str) -> String {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    static AFTER: OnceLock<Regex> = OnceLock::new();
    let quoted = regex(&QUOTED, r#"["“']([^"”]{8,400})["”']"#);
    if let Some(c) = quoted.captures(text) {
        return c[1].trim().to_string();
    }
    let after = regex(
        &AFTER,
        r"(?is)\b(?:for|to answer|answering|about)\s+(?:the question\s+)?(?:[:\-]\s*)?(.{8,})$",
    );
    if let Some(c) = after.captures(text) {
        let q = c[1].trim();
        if is_behavioral_question(q) {
            return q.to_string();
        }
    }
    match text.split_once(':') {
        Some((_, rest)) if rest.trim().len() >= 8 => rest.trim().to_string(),
        _ => text.trim().to_string(),
    }
}

/// "Question: ..." / "Q: ..." on its own line, and the rest as the answer.
fn split_labelled_question(text: &str) -> Option<(String, String)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = regex(&R, r"(?im)^\s*(?:question|q)\s*:\s*(.+)$");
    let c = r.captures(text)?;
    let whole = c.get(0)?;
    let answer = format!("{}{}", &text[..whole.start()], &text[whole.end()..]);
    let answer = answer.trim();
    static A: OnceLock<Regex> = OnceLock::new();
    let answer = regex(&A, r"(?i)^\s*(?:answer|a|me)\s*:\s*").replace(answer, "");
    Some((c[1].trim().to_string(), answer.trim().to_string()))
}

fn looks_like_a_transcript(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("WEBVTT")
        || t.contains(" --> ")
        || (t.starts_with('{') && t.contains("\"segments\""))
        || t.lines()
            .filter(|l| l.trim_start().starts_with("Me:"))
            .count()
            >= 1
}

fn looks_like_an_answer(text: &str) -> bool {
    let words = word_count(text);
    let first_person = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| matches!(*w, "I" | "we" | "We" | "my" | "My"))
        .count();
    words >= ANSWER_MIN_WORDS && first_person >= 3
}

/// The latest behavioral question in the earlier messages (either side's): a message
/// that is one, or its last sentence that is one.
fn earlier_question(history: &[ChatMessage]) -> Option<String> {
    history.iter().rev().find_map(|m| {
        let text = m.content.trim();
        if is_behavioral_question(text) && word_count(text) <= 60 {
            return Some(text.to_string());
        }
        text.split_inclusive(['.', '!', '?', '\n'])
            .map(str::trim)
            .rfind(|s| is_behavioral_question(s))
            .map(str::to_string)
    })
}

/// Decide what the last user message asks for.
pub fn classify(messages: &[ChatMessage]) -> Intent {
    let Some((last, earlier)) = messages.split_last() else {
        return Intent::Chat;
    };
    let text = last.content.trim();
    if looks_like_a_transcript(text) || looks_like_an_answer(text) {
        return match split_labelled_question(text) {
            Some((question, answer)) => Intent::Critique {
                question: Some(question),
                answer,
            },
            None => Intent::Critique {
                question: earlier_question(earlier),
                answer: text.to_string(),
            },
        };
    }
    if asks_for_a_story(text) || is_behavioral_question(text) {
        return Intent::Match {
            question: question_in(text),
        };
    }
    Intent::Chat
}

/// Answer the conversation for `user` (the OpenAI-compatible chat), to be complete
/// within the request budget ([`crate::config::Settings::request_budget`]): the LLM,
/// when it answers, is cut off then.
pub async fn answer(
    coach: &Coach,
    user: &str,
    messages: &[ChatMessage],
) -> Result<ChatAnswer, ChatError> {
    let deadline = Instant::now() + coach.settings().request_budget();
    let reply = reply(coach, user, messages).await?;
    Ok(ChatAnswer {
        reply,
        llm: coach.llm().cloned(),
        deadline,
    })
}

async fn reply(coach: &Coach, user: &str, messages: &[ChatMessage]) -> Result<Reply, ChatError> {
    if !messages.iter().any(|m| m.role == ChatRole::User) {
        return Err(ChatError::Invalid {
            field: "messages",
            message: "needs at least one user message".into(),
        });
    }
    if let Some(text) = mock::reply(coach, user, messages).await? {
        return Ok(Reply::Text(text));
    }
    let max_question = coach.settings().retrieval.max_question_chars;
    let settings = &coach.settings().retrieval;
    let request = |text: &str, top_k: usize| {
        MatchRequest::new(
            clip_chars(text, max_question).to_string(),
            Some(top_k),
            settings,
        )
    };
    match classify(messages) {
        Intent::Match { question: asked } => {
            let matched = coach
                .match_stories(user, &request(&asked, LISTED_STORIES))
                .await?;
            Ok(Reply::Text(crate::render::matches_markdown(&matched)))
        }
        Intent::Critique { question: None, .. } => Ok(Reply::Text(
            "Which question were you answering? Paste your answer again with the question on the first line, as `Question: Tell me about a time ...`.".into(),
        )),
        Intent::Critique { question, answer } => {
            let request = CritiqueRequest {
                question,
                transcript: TranscriptInput::Text(answer),
                format: None,
            };
            match coach.critique(user, &request, true).await {
                Ok(c) => {
                    coach
                        .record_critique(user, &c, crate::history::Origin::Chat, None, None)
                        .await;
                    Ok(Reply::Text(format!("```text\n{}```", crate::render::critique(&c))))
                }
                Err(CritiqueError::Match(e)) => Err(e.into()),
                Err(e) => Ok(Reply::Text(format!("I could not read that answer: {e}"))),
            }
        }
        Intent::Chat => {
            let last = messages.last().map(|m| m.content.as_str()).unwrap_or("");
            let matched = coach
                .match_stories(user, &request(last, CONTEXT_STORIES))
                .await?;
            if coach.llm().is_none() {
                return Ok(Reply::Text(without_llm(&matched)));
            }
            Ok(Reply::Llm(llm_messages(coach, messages, &matched)))
        }
    }
}

/// A chat reply ready to send: as a whole ([`ChatAnswer::text`]) or in pieces
/// ([`ChatAnswer::pieces`]), the LLM's when it answers.
pub struct ChatAnswer {
    reply: Reply,
    llm: Option<LlmClient>,
    deadline: Instant,
}

/// How the LLM should sample, as the chat request asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sampling {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
}

impl ChatAnswer {
    /// The messages the reply answers: the conversation, or the LLM's prompt (system
    /// prompt and stories included), for counting tokens.
    pub fn prompt<'a>(&'a self, conversation: &'a [ChatMessage]) -> &'a [ChatMessage] {
        match &self.reply {
            Reply::Text(_) => conversation,
            Reply::Llm(prompt) => prompt,
        }
    }

    /// The reply in stream-sized pieces; an error is the reason the LLM stopped.
    pub async fn pieces(self, sampling: Sampling) -> BoxStream<'static, Result<String, String>> {
        match self.reply {
            Reply::Text(text) => stream::iter(split_text(&text).into_iter().map(Ok)).boxed(),
            Reply::Llm(prompt) => {
                let Some(llm) = self.llm else {
                    return stream::iter([Err("no LLM is configured".to_string())]).boxed();
                };
                match llm
                    .chat_stream(
                        &prompt,
                        sampling.max_tokens,
                        sampling.temperature,
                        Some(self.deadline),
                    )
                    .await
                {
                    Ok(s) => s
                        .filter_map(|event| async move {
                            match event {
                                Ok(StreamEvent::Delta(d)) => Some(Ok(d)),
                                Ok(StreamEvent::Finished { .. }) => None,
                                Err(e) => Some(Err(e.reason().to_string())),
                            }
                        })
                        .boxed(),
                    Err(e) => stream::iter([Err(e.reason().to_string())]).boxed(),
                }
            }
        }
    }

    /// The whole reply; a failure of the LLM becomes a short note in the text.
    pub async fn text(self, sampling: Sampling) -> String {
        let from_llm = matches!(self.reply, Reply::Llm(_));
        let mut pieces = self.pieces(sampling).await;
        let mut text = String::new();
        while let Some(piece) = pieces.next().await {
            match piece {
                Ok(d) => text.push_str(&d),
                Err(reason) if from_llm && text.is_empty() => {
                    text = format!("[the LLM is unavailable: {reason}]");
                    break;
                }
                Err(reason) => {
                    text.push_str(&format!("\n\n[the LLM stopped: {reason}]"));
                    break;
                }
            }
        }
        text
    }
}

/// Characters per streamed piece of a finished answer.
const PIECE_CHARS: usize = 48;

/// Split a finished answer into stream-sized pieces on character boundaries.
fn split_text(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if current.chars().count() >= PIECE_CHARS && (c == ' ' || c == '\n') {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn without_llm(matched: &MatchResponse) -> String {
    let mut out = String::from(
        "No LLM is configured, so I can do two things here:\n\
         - ask **\"Which story should I use for 'Tell me about a time you ...'?\"** and I rank your stories;\n\
         - paste your answer with **`Question: ...`** on the first line and I critique it.\n",
    );
    if let Some(best) = matched.stories.first() {
        let _ = write!(
            out,
            "\nClosest story to your message: **{}** ({} fit).",
            best.title,
            best.fit.as_str()
        );
    }
    out
}

/// System prompt with the stories as context, then the recent conversation, trimmed to
/// the model's context window.
fn llm_messages(
    coach: &Coach,
    messages: &[ChatMessage],
    matched: &MatchResponse,
) -> Vec<ChatMessage> {
    let mut stories = String::new();
    for s in &matched.stories {
        let _ = writeln!(stories, "- {} ({} fit)", s.title, s.fit.as_str());
        for e in &s.evidence {
            let _ = writeln!(stories, "  \"{}\"", e.text.replace(['<', '>'], ""));
        }
    }
    if stories.is_empty() {
        stories.push_str("(none stored yet)");
    }
    let system = ChatMessage::system(SYSTEM.replace("{{stories}}", stories.trim_end()));
    let budget = coach
        .settings()
        .llm
        .context_tokens
        .saturating_sub(coach.settings().llm.max_tokens as usize);
    let mut used = count_tokens(&system.content).unwrap_or(0);
    let mut kept: Vec<ChatMessage> = Vec::new();
    for m in messages
        .iter()
        .rev()
        .filter(|m| m.role != ChatRole::System)
        .take(HISTORY)
    {
        let tokens = count_tokens(&m.content).unwrap_or(0) + 4;
        if used + tokens > budget && !kept.is_empty() {
            break;
        }
        used += tokens;
        kept.push(m.clone());
    }
    kept.reverse();
    let mut out = vec![system];
    out.extend(kept);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_split_on_spaces_without_losing_characters() {
        let text = "é".repeat(10) + " " + &"word ".repeat(40) + "end";
        let parts = split_text(&text);
        assert!(parts.len() > 2);
        assert_eq!(parts.concat(), text);
    }

    fn user(text: &str) -> ChatMessage {
        ChatMessage::user(text)
    }

    #[test]
    fn story_questions_are_matches() {
        let q = "Which story should I use for \"Tell me about a time you disagreed with your manager\"?";
        assert_eq!(
            classify(&[user(q)]),
            Intent::Match {
                question: "Tell me about a time you disagreed with your manager".into()
            }
        );
        match classify(&[user("Tell me about a time you failed.")]) {
            Intent::Match { question } => assert_eq!(question, "Tell me about a time you failed."),
            other => panic!("{other:?}"),
        }
        match classify(&[user(
            "what story could I tell for a time I led without authority?",
        )]) {
            Intent::Match { question } => {
                assert!(question.contains("led without authority"), "{question}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pasted_answers_are_critiques_with_the_question_found() {
        let answer = "At my last job I ran the payments team. I noticed our deploys took an hour, \
            so I wrote a plan to split the pipeline and I asked for two weeks. We rebuilt it together \
            and I reviewed every change. In the end deploys took ten minutes and we shipped twice as \
            often, which the VP mentioned in the quarterly review. I learned to measure first.";
        match classify(&[user(&format!(
            "Question: Tell me about a time you improved a process\n{answer}"
        ))]) {
            Intent::Critique {
                question,
                answer: a,
            } => {
                assert_eq!(
                    question.as_deref(),
                    Some("Tell me about a time you improved a process")
                );
                assert!(a.starts_with("At my last job"));
            }
            other => panic!("{other:?}"),
        }
        let convo = [
            ChatMessage::assistant("Let's practise. Tell me about a time you improved a process?"),
            user(answer),
        ];
        match classify(&convo) {
            Intent::Critique { question, .. } => assert_eq!(
                question.as_deref(),
                Some("Tell me about a time you improved a process?")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_messages_are_chat() {
        assert_eq!(
            classify(&[user("How long should an answer be?")]),
            Intent::Chat
        );
        assert_eq!(classify(&[user("hi")]), Intent::Chat);
    }
}
