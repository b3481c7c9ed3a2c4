//! What the LLM must answer: the JSON schema sent as structured output and the Rust
//! types it is parsed into.

// What the LLM must answer: the JSON schema sent as structured output and the Rust
// types it is parsed into. Every string has a `maxLength` (grammar-constrained local
// models otherwise ramble until `max_tokens`).

use serde::Deserialize;
use serde_json::{json, Value};

/// Name of the structured-output schema.
pub const SCHEMA_NAME: &str = "star_critique";

/// Longest quote accepted from the model, in characters.
pub const QUOTE_MAX_CHARS: usize = 120;

/// One rubric score as the model gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct RawScore {
    pub score: u8,
    pub quote: String,
    pub reason: String,
}

/// The five rubric scores.
#[derive(Debug, Clone, Deserialize)]
pub struct RawScores {
    pub structure: RawScore,
    pub relevance: RawScore,
    pub ownership: RawScore,
    pub impact: RawScore,
    pub delivery: RawScore,
}

/// One suggested change as the model gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct RawChange {
    pub part: String,
    pub change: String,
}

/// The STAR outline as the model gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct RawOutline {
    pub situation: String,
    pub task: String,
    pub action: String,
    pub result: String,
}

/// The model's whole answer.
#[derive(Debug, Clone, Deserialize)]
pub struct RawCritique {
    pub scores: RawScores,
    pub changes: Vec<RawChange>,
    pub follow_ups: Vec<String>,
    pub outline: RawOutline,
}

fn text(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max})
}

fn score() -> Value {
    json!({
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "quote": text(QUOTE_MAX_CHARS),
            "reason": text(120),
        },
        "required": ["score", "quote", "reason"],
        "additionalProperties": false,
    })
}

/// The JSON schema of [`RawCritique`].
pub fn critique_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "scores": {
                "type": "object",
                "properties": {
                    "structure": score(),
                    "relevance": score(),
                    "ownership": score(),
                    "impact": score(),
                    "delivery": score(),
                },
                "required": ["structure", "relevance", "ownership", "impact", "delivery"],
                "additionalProperties": false,
            },
            "changes": {
                "type": "array",
                "minItems": 3,
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "part": {"type": "string", "enum": ["situation", "task", "action", "result", "delivery"]},
                        "change": text(160),
                    },
                    "required": ["part", "change"],
                    "additionalProperties": false,
                },
            },
            "follow_ups": {"type": "array", "minItems": 2, "maxItems": 2, "items": text(120)},
            "outline": {
                "type": "object",
                "properties": {
                    "situation": text(200),
                    "task": text(160),
                    "action": text(260),
                    "result": text(200),
                },
                "required": ["situation", "task", "action", "result"],
                "additionalProperties": false,
            },
        },
        "required": ["scores", "changes", "follow_ups", "outline"],
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_accepts_a_full_answer_and_rejects_a_missing_score() {
        let schema = critique_schema();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let s = json!({"score": 3, "quote": "I wrote the plan", "reason": "clear"});
        let mut answer = json!({
            "scores": {"structure": s, "relevance": s, "ownership": s, "impact": s, "delivery": s},
            "changes": [
                {"part": "result", "change": "a"},
                {"part": "action", "change": "b"},
                {"part": "delivery", "change": "c"}
            ],
            "follow_ups": ["x?", "y?"],
            "outline": {"situation": "s", "task": "t", "action": "a", "result": "r"}
        });
        assert!(validator.is_valid(&answer));
        let parsed: RawCritique = serde_json::from_value(answer.clone()).unwrap();
        assert_eq!(parsed.scores.impact.score, 3);
        answer["scores"].as_object_mut().unwrap().remove("impact");
        assert!(!validator.is_valid(&answer));
    }
}
