//! With an LLM: a few questions tailored to the job's specifics, each checked to be a
//! behavioral question for one of the job's competencies and not a near-copy of a
//! question of the bank (by embedding), before it joins the plan.

use std::time::Instant;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::LazyLock;

use super::bank::BankQuestion;
use super::detect::DetectedCompetency;
use crate::embed::{Embedder, TextRole};
use crate::llm::LlmClient;
use crate::vector::dot;

const SYSTEM: &str = include_str!("../../prompts/prep_questions_system.md");
const USER: &str = include_str!("../../prompts/prep_questions_user.md");
const SCHEMA_NAME: &str = "job_questions";
/// Most questions the model may propose.
pub const MAX_TAILORED: usize = 3;
/// Job text sent to the model, in characters.
const MAX_JOB_CHARS: usize = 6_000;
/// A proposed question this close (cosine) to a bank question, or to another
/// proposed one, is a duplicate.
const DUPLICATE_COSINE: f32 = 0.85;

static BEHAVIORAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(tell me about|describe|give me an example|give an example|walk me through|talk me through|share an example|can you tell me about|what (was|is) the (hardest|most|biggest|best|toughest)|how did you|have you ever)\b")
        .expect("valid regex")
});
static HYPOTHETICAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(what would you|how would you|would you|imagine|suppose|if you were|what will you)\b")
        .expect("valid regex")
});

/// A question the LLM wrote for this job, as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct TailoredQuestion {
    pub competency: String,
    pub text: String,
}

/// What the LLM contributed to a prep plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrepLlm {
    /// "used" (some questions kept), "none_kept", "failed" or "unavailable".
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub proposed: usize,
    pub kept: usize,
    /// Not a behavioral question (a hypothetical, not about the past, too short).
    pub not_behavioral: usize,
    /// For a competency the job does not ask for.
    pub off_list: usize,
    /// A near-copy of a bank question or of another proposed one.
    pub duplicates: usize,
}

impl PrepLlm {
    pub fn unavailable() -> Self {
        Self {
            status: "unavailable".into(),
            reason: Some("no LLM configured ([llm] base_url is empty)".into()),
            proposed: 0,
            kept: 0,
            not_behavioral: 0,
            off_list: 0,
            duplicates: 0,
        }
    }

    fn failed(reason: String) -> Self {
        Self {
            status: "failed".into(),
            reason: Some(reason),
            ..Self::unavailable()
        }
    }
}

#[derive(Debug, Deserialize)]
struct RawQuestions {
    questions: Vec<RawQuestion>,
}

#[derive(Debug, Deserialize)]
struct RawQuestion {
    competency: String,
    question: String,
}

/// Whether `text` is a behavioral question: about a past experience, not a
/// hypothetical, at least six words.
pub fn is_behavioral(text: &str) -> bool {
    let text = text.trim();
    text.split_whitespace().count() >= 6
        && BEHAVIORAL.is_match(text)
        && !HYPOTHETICAL.is_match(text)
}

fn schema(detected: &[DetectedCompetency]) -> Value {
    let ids: Vec<&str> = detected.iter().map(|c| c.id.as_str()).collect();
    json!({
        "type": "object",
        "properties": {
            "questions": {
                "type": "array",
                "maxItems": MAX_TAILORED,
                "items": {
                    "type": "object",
                    "properties": {
                        "competency": {"type": "string", "enum": ids},
                        "question": {"type": "string", "maxLength": 220}
                    },
                    "required": ["competency", "question"],
                    "additionalProperties": false
                }
            }
        },
        "required": ["questions"],
        "additionalProperties": false
    })
}

/// Ask the LLM for questions tailored to the job whose sentences are `job_text`, for
/// the `detected` competencies; keep those that pass the checks, against `bank`.
pub async fn tailored_questions(
    llm: &LlmClient,
    embedder: &dyn Embedder,
    job_text: &str,
    detected: &[DetectedCompetency],
    bank: &[&BankQuestion],
    deadline: Instant,
) -> (Vec<TailoredQuestion>, PrepLlm) {
    let list: String = detected
        .iter()
        .map(|c| format!("- {}: {}\n", c.id, c.name))
        .collect();
    let system = SYSTEM.replace("{competencies}", list.trim_end());
    let job: String = job_text.chars().take(MAX_JOB_CHARS).collect();
    let user = USER.replace("{job}", &job.replace("</job>", "< /job>"));
    let answer = llm
        .complete_json::<RawQuestions>(&system, &user, SCHEMA_NAME, schema(detected), deadline)
        .await;
    let raw = match answer {
        Ok(answer) => answer.value.questions,
        Err(e) => return (Vec::new(), PrepLlm::failed(e.reason().to_string())),
    };
    let mut report = PrepLlm {
        status: "none_kept".into(),
        reason: None,
        proposed: raw.len(),
        kept: 0,
        not_behavioral: 0,
        off_list: 0,
        duplicates: 0,
    };
    let mut candidates = Vec::new();
    for q in raw.into_iter().take(MAX_TAILORED) {
        let text = q.question.trim().to_string();
        if !detected.iter().any(|c| c.id == q.competency) {
            report.off_list += 1;
        } else if !is_behavioral(&text) {
            report.not_behavioral += 1;
        } else {
            candidates.push(TailoredQuestion {
                competency: q.competency,
                text,
            });
        }
    }
    if candidates.is_empty() {
        return (candidates, report);
    }
    let mut texts: Vec<String> = candidates.iter().map(|c| c.text.clone()).collect();
    texts.extend(bank.iter().map(|q| q.text.clone()));
    let vectors = match embedder.embed(texts, TextRole::Query).await {
        Ok(v) => v,
        Err(e) => {
            report.status = "failed".into();
            report.reason = Some(format!(
                "the proposed questions could not be compared with the bank: {e}"
            ));
            return (Vec::new(), report);
        }
    };
    let (proposed, known) = vectors.split_at(candidates.len());
    let mut kept: Vec<TailoredQuestion> = Vec::new();
    let mut kept_vectors: Vec<&Vec<f32>> = Vec::new();
    for (candidate, vector) in candidates.into_iter().zip(proposed) {
        let duplicate = known
            .iter()
            .chain(kept_vectors.iter().copied())
            .any(|k| dot(vector, k) >= DUPLICATE_COSINE);
        if duplicate {
            report.duplicates += 1;
        } else {
            kept.push(candidate);
            kept_vectors.push(vector);
        }
    }
    report.kept = kept.len();
    if !kept.is_empty() {
        report.status = "used".into();
    }
    (kept, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_questions_about_a_past_experience_pass() {
        assert!(is_behavioral(
            "Tell me about a time you found the cause of lock contention in PostgreSQL."
        ));
        assert!(is_behavioral(
            "Walk me through an incident where month-end invoicing slowed down."
        ));
        assert!(!is_behavioral("What would you do if the queue backed up?"));
        assert!(!is_behavioral(
            "Tell me how you would handle an outage tomorrow."
        ));
        assert!(!is_behavioral("Describe PostgreSQL."));
        assert!(!is_behavioral(
            "Do you know Kubernetes and Terraform well enough?"
        ));
    }

    #[test]
    fn the_schema_only_allows_the_jobs_competencies() {
        let detected = vec![DetectedCompetency {
            id: "pressure".into(),
            name: "Delivering under pressure".into(),
            score: 1.0,
            evidence: vec![],
        }];
        let s = schema(&detected);
        assert_eq!(
            s["properties"]["questions"]["items"]["properties"]["competency"]["enum"],
            json!(["pressure"])
        );
    }
}
