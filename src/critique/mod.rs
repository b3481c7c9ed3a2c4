//! Feedback on a spoken answer: the deterministic analysis, grounding in the user's
//! stories, and an LLM critique checked against the transcript and the measured facts.

// - `schema`: the JSON schema the LLM must follow and its Rust types.
// - `prompt`: `prompts/*.md` filled with the question, facts, story and transcript.
// - `verify`: quotes must occur in the answer; outline figures must have a source.
// - `baseline`: deterministic scores, changes, follow-ups, outline, and the caps and
//   floors the measured facts put on any score.
// - `witness`: an LLM score stands only with its quote, a reason and a value within
//   the caps and floors; most failing makes the critique the deterministic one.
// - `relevance`: relevance read from the vectors; `grounding`: the story told, and a
//   better-fitting one from the bank.
//
// Without an LLM, or when it fails (timeout, HTTP error, invalid output twice), the
// critique is the deterministic one, with `"llm": "unavailable"` and the reason.
// Sentences addressed to the grader are taken out before anything else
// (`analysis::grader`) and can only lower the scores.

mod baseline;
mod grounding;
mod model;
mod prompt;
mod relevance;
mod schema;
mod verify;
mod witness;

use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;
use tracing::{info_span, Instrument};

use crate::analysis::{self, analyze, Part, Transcript, TranscriptError, TranscriptFormat};
use crate::llm::{JsonCompletion, LlmClient};
use crate::retrieve::{BankStory, MatchError, Retriever};

pub use grounding::TOLD_STORY_MIN;
pub use model::{
    Change, Critique, Dimension, DimensionScore, Grounding, LlmChecks, LlmStatus, Outline,
    OutlinePart, OutlineSource, ScoreCap, ScoreFloor, ScoreSource, StoryRef, TokenUsage,
};
pub use prompt::{facts as prompt_facts, render as render_prompt, Prompt};
pub use schema::{critique_schema, RawCritique, SCHEMA_NAME};
pub use verify::{quote_occurs, Normalized};

/// The label every outline carries.
pub const OUTLINE_LABEL: &str = "Outline: the same story, tightened, using only facts from your answer and your stored story. Not new achievements.";

/// Errors that stop a critique (the LLM failing never does).
#[derive(Debug, thiserror::Error)]
pub enum CritiqueError {
    #[error("transcript: {0}")]
    Transcript(#[from] TranscriptError),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Match(#[from] MatchError),
}

/// The transcript as sent: text in any supported format, or a Whisper JSON object.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TranscriptInput {
    Text(String),
    Whisper(serde_json::Value),
}

/// What to critique.
#[derive(Debug, Clone)]
pub struct CritiqueRequest {
    /// The interview question; taken from the transcript's interviewer turn if `None`.
    pub question: Option<String>,
    pub transcript: TranscriptInput,
    /// Forced format for text transcripts (detected from content otherwise).
    pub format: Option<TranscriptFormat>,
}

/// Writes critiques: analysis, grounding, and the LLM when one is configured.
pub struct Critic {
    retriever: Arc<Retriever>,
    llm: Option<LlmClient>,
    max_transcript_chars: usize,
    context_tokens: usize,
    max_completion_tokens: usize,
}

impl Critic {
    pub fn new(
        retriever: Arc<Retriever>,
        llm: Option<LlmClient>,
        max_transcript_chars: usize,
        context_tokens: usize,
        max_completion_tokens: usize,
    ) -> Self {
        Self {
            retriever,
            llm,
            max_transcript_chars,
            context_tokens,
            max_completion_tokens,
        }
    }

    pub fn llm(&self) -> Option<&LlmClient> {
        self.llm.as_ref()
    }

    /// Parse the transcript (errors name the line or field).
    pub fn parse(&self, request: &CritiqueRequest) -> Result<Transcript, CritiqueError> {
        let transcript = match &request.transcript {
            TranscriptInput::Text(text) => {
                let chars = text.chars().count();
                if chars > self.max_transcript_chars {
                    return Err(CritiqueError::Invalid {
                        field: "transcript",
                        message: format!(
                            "is {chars} characters long; the limit is {}",
                            self.max_transcript_chars
                        ),
                    });
                }
                analysis::parse(text, request.format)?
            }
            TranscriptInput::Whisper(value) => {
                if request
                    .format
                    .is_some_and(|f| f != TranscriptFormat::WhisperJson)
                {
                    return Err(CritiqueError::Invalid {
                        field: "format",
                        message: "a JSON object transcript is Whisper JSON; leave format out or say \"whisper_json\"".into(),
                    });
                }
                analysis::transcript::parse_whisper_value(value)?
            }
        };
        if transcript.candidate_turns().next().is_none() {
            return Err(CritiqueError::Invalid {
                field: "transcript",
                message: "has no candidate speech (only interviewer turns)".into(),
            });
        }
        Ok(transcript)
    }

    /// Critique an answer for `user`, returning by `deadline` whatever the LLM does.
    pub async fn critique(
        &self,
        user: &str,
        request: &CritiqueRequest,
        deadline: Instant,
    ) -> Result<Critique, CritiqueError> {
        let started = Instant::now();
        let transcript = self.parse(request)?;
        let (question, question_source) = question_of(request, &transcript)?;
        // Sentences addressed to the grader are not part of the answer: everything
        // below (measures, grounding, the LLM's prompt) sees the answer without them.
        let (analysis, for_the_grader) = info_span!("critique.analyze").in_scope(|| {
            let full = analyze(&transcript);
            let aimed = analysis::grader::sentences_for_the_grader(&full);
            if aimed.is_empty() {
                (full, aimed)
            } else {
                let kept = analysis::grader::without_sentences(&transcript, &aimed);
                (analyze(&kept), aimed)
            }
        });
        if analysis.word_count == 0 {
            return Err(CritiqueError::Invalid {
                field: "transcript",
                message: if for_the_grader.is_empty() {
                    "the candidate's turns contain no words".into()
                } else {
                    "the candidate's turns hold nothing but sentences addressed to the grader"
                        .into()
                },
            });
        }
        let answer = prompt::answer_text(&analysis);
        let grounded = grounding::ground(&self.retriever, user, &question, &answer)
            .instrument(info_span!("critique.ground"))
            .await?;
        let relevance = self
            .retriever
            .relevance(&question, &action_and_result(&analysis), &answer)
            .instrument(info_span!("critique.relevance"))
            .await?;
        let story = grounded.told.as_ref().map(BankStory::text);
        let prompt = prompt::render(&question, &analysis, story.as_deref());
        // The answer as if the grader sentences had not been said (same prompt, same
        // facts): the critique never scores above it.
        let without_grader_sentences = (!for_the_grader.is_empty()).then(|| {
            let scores = with_relevance(
                baseline::scores(&analysis),
                &relevance,
                self.retriever.model_id(),
            );
            (analysis.clone(), scores)
        });
        let mut analysis = analysis;
        analysis::grader::note(&mut analysis, for_the_grader);

        let mut critique = Critique {
            question,
            question_source,
            user: user.to_string(),
            format: transcript.format,
            llm: LlmStatus::Unavailable,
            llm_reason: None,
            scores: with_relevance(
                baseline::scores(&analysis),
                &relevance,
                self.retriever.model_id(),
            ),
            overall: None,
            off_topic: relevance::thresholds(self.retriever.model_id())
                .and_then(|t| relevance::off_topic(&relevance, &t)),
            relevance: Some(relevance.clone()),
            invented_quotes: 0,
            llm_checks: None,
            changes: baseline::changes(&analysis),
            follow_ups: baseline::follow_ups(&analysis),
            outline: Outline {
                label: OUTLINE_LABEL.into(),
                parts: baseline::outline(&analysis, grounded.told.as_ref()),
                unsupported_figures: Vec::new(),
            },
            grounding: grounded.grounding,
            analysis,
            tokens: None,
            took_ms: 0.0,
        };
        match self
            .ask_llm(&prompt, deadline)
            .instrument(info_span!("critique.llm"))
            .await
        {
            Ok(done) => apply_llm(
                &mut critique,
                done,
                &answer,
                grounded.told.as_ref(),
                prompt.tokens,
                without_grader_sentences.as_ref(),
            ),
            Err(reason) => critique.llm_reason = Some(reason),
        }
        if let Some((_, scores)) = &without_grader_sentences {
            critique.scores = witness::lower_of(std::mem::take(&mut critique.scores), scores);
        }
        critique.overall = overall(&critique.scores, critique.off_topic.is_some());
        critique.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            llm = ?critique.llm,
            invented_quotes = critique.invented_quotes,
            took_ms = critique.took_ms,
            "critique done"
        );
        Ok(critique)
    }

    async fn ask_llm(
        &self,
        prompt: &Prompt,
        deadline: Instant,
    ) -> Result<JsonCompletion<RawCritique>, String> {
        let Some(llm) = &self.llm else {
            return Err("no LLM configured ([llm] base_url is empty)".into());
        };
        // Leave room for the answer; tiktoken counts differ from the model's own
        // tokenizer, hence the 10% margin.
        let needed = prompt.tokens + prompt.tokens / 10 + self.max_completion_tokens;
        if needed > self.context_tokens {
            return Err(format!(
                "the prompt ({} tokens) and the answer ({} tokens) do not fit the model's context ({} tokens, [llm] context_tokens)",
                prompt.tokens, self.max_completion_tokens, self.context_tokens
            ));
        }
        llm.complete_json::<RawCritique>(
            &prompt.system,
            &prompt.user,
            SCHEMA_NAME,
            critique_schema(),
            deadline,
        )
        .await
        .map_err(|e| e.reason().to_string())
    }
}

/// The deterministic scores with relevance read from the vectors.
fn with_relevance(
    mut scores: Vec<DimensionScore>,
    r: &crate::retrieve::Relevance,
    model_id: &str,
) -> Vec<DimensionScore> {
    let Some(thresholds) = relevance::thresholds(model_id) else {
        return scores;
    };
    for s in scores
        .iter_mut()
        .filter(|s| s.dimension == Dimension::Relevance)
    {
        let (score, reason) = relevance::score(r, &thresholds);
        s.score = Some(score);
        s.reason = reason;
    }
    scores
}

/// What the answer did and achieved (its Action and Result sentences), or the whole
/// answer when those are too short to read.
fn action_and_result(analysis: &crate::analysis::Analysis) -> String {
    use crate::analysis::Part;
    let picked: Vec<&str> = analysis
        .sentences
        .iter()
        .filter(|s| matches!(s.part, Part::Action | Part::Result))
        .map(|s| s.text.as_str())
        .collect();
    let words: usize = picked.iter().map(|s| s.split_whitespace().count()).sum();
    if words < 40 {
        prompt::answer_text(analysis)
    } else {
        picked.join(" ")
    }
}

fn question_of(
    request: &CritiqueRequest,
    transcript: &Transcript,
) -> Result<(String, &'static str), CritiqueError> {
    if let Some(q) = request.question.as_deref().map(str::trim) {
        if q.is_empty() {
            return Err(CritiqueError::Invalid {
                field: "question",
                message: "must not be empty (leave it out to take it from the transcript)".into(),
            });
        }
        return Ok((q.to_string(), "request"));
    }
    match transcript.question.as_deref().map(str::trim) {
        Some(q) if !q.is_empty() => Ok((q.to_string(), "transcript")),
        _ => Err(CritiqueError::Invalid {
            field: "question",
            message: "is missing, and the transcript has no interviewer turn to take it from"
                .into(),
        }),
    }
}

/// Each dimension's weight in the overall score: a real result and how it was told
/// first, then the candidate's own part, structure, and the graded relevance.
// Reasoned first from what an interviewer weighs (relevance and impact 2, ownership 1.5,
// structure and delivery 1), then calibrated on the dev half of the labelled answers
// (`scripts/calibrate_overall.py`: within 0.02 of the best rank correlation, closest to
// those weights; dev Spearman 0.80 -> 0.88). Whether the answer answers the question at
// all is the off-topic cap below; past it, the vectors' graded relevance follows the
// question's wording more than the answer's quality, so it weighs least. Pace, length
// and fillers told mediocre answers from good ones in the hand ranking, so delivery
// weighs as much as the result.
fn weight(dimension: Dimension) -> f64 {
    match dimension {
        Dimension::Impact | Dimension::Delivery => 2.0,
        Dimension::Ownership => 1.5,
        Dimension::Structure => 1.0,
        Dimension::Relevance => 0.5,
    }
}

/// An answer to another question scores at most this overall, however well told.
const OFF_TOPIC_OVERALL: f64 = 2.0;

/// The weighted mean of the scores present, one decimal; capped when off topic.
fn overall(scores: &[DimensionScore], off_topic: bool) -> Option<f64> {
    let present: Vec<(f64, f64)> = scores
        .iter()
        .filter_map(|s| s.score.map(|v| (f64::from(v), weight(s.dimension))))
        .collect();
    if present.is_empty() {
        return None;
    }
    let total: f64 = present.iter().map(|(_, w)| w).sum();
    let mean = present.iter().map(|(v, w)| v * w).sum::<f64>() / total;
    let mean = if off_topic {
        mean.min(OFF_TOPIC_OVERALL)
    } else {
        mean
    };
    Some((mean * 10.0).round() / 10.0)
}

/// Merge the LLM's answer: each score checked (quote, reason, the facts' bounds), the
/// outline's figures checked; when most scores fail, the critique stays deterministic.
/// `without_grader_sentences` is the answer's analysis and deterministic scores
/// without the sentences addressed to the grader, when there were any: the LLM's
/// scores are judged against both and the lower stands.
fn apply_llm(
    critique: &mut Critique,
    done: JsonCompletion<RawCritique>,
    answer: &str,
    story: Option<&BankStory>,
    prompt_tokens_tiktoken: usize,
    without_grader_sentences: Option<&(crate::analysis::Analysis, Vec<DimensionScore>)>,
) {
    let raw = done.value;
    let haystack = Normalized::new(answer);
    let off_topic = critique.off_topic.is_some();
    let judged = witness::judge(
        &raw.scores,
        &critique.scores,
        &critique.analysis,
        off_topic,
        &haystack,
    );
    critique.scores = match without_grader_sentences {
        Some((clean, clean_scores)) => {
            let plain = witness::judge(&raw.scores, clean_scores, clean, off_topic, &haystack);
            witness::lower_of(judged.scores, &plain.scores)
        }
        None => judged.scores,
    };
    critique.invented_quotes = judged.checks.invented_quotes;
    critique.llm = judged.status;
    critique.tokens = Some(TokenUsage {
        prompt_tokens: done.prompt_tokens,
        completion_tokens: done.completion_tokens,
        estimated: done.tokens_estimated,
        prompt_tokens_tiktoken,
        attempts: done.attempts,
        model: Some(done.model),
    });
    if judged.status == LlmStatus::Rejected {
        let c = &judged.checks;
        critique.llm_reason = Some(format!(
            "the model's answer failed the checks ({} of 5 scores rejected: {} invented quotes, {} empty reasons, {} outside what the facts allow): the critique is the deterministic one",
            c.rejected, c.invented_quotes, c.empty_reasons, c.out_of_bounds
        ));
        critique.llm_checks = Some(judged.checks);
        return;
    }
    critique.llm_checks = Some(judged.checks);
    critique.changes = raw
        .changes
        .into_iter()
        .map(|c| Change {
            part: c.part,
            change: c.change.trim().to_string(),
        })
        .collect();
    critique.follow_ups = raw
        .follow_ups
        .into_iter()
        .map(|f| f.trim().to_string())
        .collect();

    let story_text = story.map(BankStory::text).unwrap_or_default();
    let fallback = std::mem::take(&mut critique.outline.parts);
    let written = [
        (Part::Situation, raw.outline.situation),
        (Part::Task, raw.outline.task),
        (Part::Action, raw.outline.action),
        (Part::Result, raw.outline.result),
    ];
    let mut unsupported = Vec::new();
    critique.outline.parts = written
        .into_iter()
        .zip(fallback)
        .map(|((part, text), own)| {
            let bad = verify::unsupported_figures(&text, &[answer, &story_text]);
            if bad.is_empty() {
                OutlinePart {
                    part,
                    text: text.trim().to_string(),
                    source: OutlineSource::Llm,
                }
            } else {
                unsupported.extend(bad);
                own
            }
        })
        .collect();
    critique.outline.unsupported_figures = unsupported;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_is_the_weighted_mean_of_present_scores_capped_off_topic() {
        let s = |dimension, score| DimensionScore {
            dimension,
            score,
            quote: None,
            reason: String::new(),
            source: ScoreSource::Analysis,
            llm_score: None,
            rejected: None,
            cap: None,
            floor: None,
        };
        let told = [
            s(Dimension::Structure, Some(3)),
            s(Dimension::Delivery, Some(4)),
            s(Dimension::Relevance, None),
        ];
        // Delivery weighs twice what structure does: (3 + 2 * 4) / 3.
        assert_eq!(overall(&told, false), Some(3.7));
        // So does impact.
        let weighted = [
            s(Dimension::Structure, Some(2)),
            s(Dimension::Impact, Some(5)),
        ];
        assert_eq!(overall(&weighted, false), Some(4.0));
        assert_eq!(overall(&weighted, true), Some(2.0));
        assert_eq!(overall(&[s(Dimension::Structure, None)], false), None);
    }
}
