//! The one probing follow-up an interviewer would ask after an answer: from the
//! measured facts, or the LLM's when it wrote one about this answer.

use crate::analysis::Flag;
use crate::critique::{Critique, LlmStatus};

/// Where a follow-up came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpSource {
    Facts,
    Llm,
}

/// The follow-up question for `critique` of `answer`.
pub fn follow_up(critique: &Critique, answer: &str) -> (String, FollowUpSource) {
    if matches!(critique.llm, LlmStatus::Used | LlmStatus::Partial) {
        if let Some(question) = critique
            .follow_ups
            .iter()
            .find(|q| is_about_this_answer(q, answer))
        {
            return (question.trim().to_string(), FollowUpSource::Llm);
        }
    }
    (from_facts(critique), FollowUpSource::Facts)
}

/// The follow-up the facts call for, the most serious gap first.
pub fn from_facts(critique: &Critique) -> String {
    let a = &critique.analysis;
    let has = |flag: Flag| a.flags.contains(&flag);
    if let Some(off) = &critique.off_topic {
        return format!(
            "That story shows {}. Can you tell me about a time that shows {}?",
            off.answer_shows, off.question_asks
        );
    }
    if has(Flag::MissingResult) || has(Flag::TokenResult) {
        return "How did it end, and how did you know?".into();
    }
    if a.ownership.we_dominates || a.ownership.i_count == 0 {
        return "What did you personally do?".into();
    }
    if has(Flag::NoTask) {
        return "What were you asked to achieve?".into();
    }
    if has(Flag::ThinAction) || has(Flag::TooShort) {
        return "Walk me through the hardest decision you made.".into();
    }
    if has(Flag::UnquantifiedResult) {
        return "How did you measure the result? What changed, in numbers?".into();
    }
    "What would you do differently if it happened again?".into()
}

/// A question (ends with "?", at least 4 words) that names something the answer said
/// (a word of 5 letters or more in common).
fn is_about_this_answer(question: &str, answer: &str) -> bool {
    let question = question.trim();
    if !question.ends_with('?') || question.split_whitespace().count() < 4 {
        return false;
    }
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 5)
            .map(str::to_lowercase)
            .collect()
    };
    let answer_words = words(answer);
    words(question).iter().any(|w| answer_words.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_llm_follow_up_must_be_a_question_about_this_answer() {
        let answer = "I rewrote the deployment pipeline and cut release time by half.";
        assert!(is_about_this_answer(
            "Why did you rewrite the pipeline yourself?",
            answer
        ));
        assert!(!is_about_this_answer(
            "What is your favourite colour?",
            answer
        ));
        assert!(!is_about_this_answer(
            "Tell me more about the pipeline",
            answer
        ));
        assert!(!is_about_this_answer("Pipeline?", answer));
    }
}
