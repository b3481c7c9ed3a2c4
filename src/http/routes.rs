//! Route handlers: validate, call the library, map errors.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::auth::AuthUser;
use super::error::ApiError;
use super::extract::ApiJson;
use std::time::{Duration, Instant};

use crate::analysis::TranscriptFormat;
use crate::app::Coach;
use crate::coach::{Critique, CritiqueRequest, TranscriptInput};
use crate::retrieve::{MatchRequest, MatchResponse};

#[derive(Debug, Serialize)]
pub struct Health {
    status: &'static str,
}

/// Liveness: the process answers.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Body of `POST /v1/stories/match`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchBody {
    question: String,
    top_k: Option<usize>,
}

/// Rank the caller's stories for a question.
pub async fn match_stories(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<MatchBody>,
) -> Result<Json<MatchResponse>, ApiError> {
    let request = MatchRequest {
        question: body.question,
        top_k: body.top_k.unwrap_or(coach.settings.retrieval.default_top_k),
    };
    let response = coach.retriever.match_stories(&user, &request).await?;
    Ok(Json(response))
}

/// Which competencies the caller's stories cover, with their level, and the gaps.
pub async fn coverage(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
) -> Result<Json<crate::coverage::CoverageReport>, ApiError> {
    let report = crate::coverage::coverage(&coach.retriever, &user).await?;
    Ok(Json(report))
}

/// Body of `POST /v1/answers/critique`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CritiqueBody {
    /// The interview question; taken from the transcript's interviewer turn if absent.
    question: Option<String>,
    /// Text (plain, WebVTT, SRT or Whisper JSON as a string), or a Whisper JSON object.
    transcript: TranscriptInput,
    /// Force the text's format instead of detecting it.
    format: Option<TranscriptFormat>,
}

/// Critique a spoken answer against STAR, grounded in the caller's stories.
pub async fn critique(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<CritiqueBody>,
) -> Result<Json<Critique>, ApiError> {
    let request = CritiqueRequest {
        question: body.question,
        transcript: body.transcript,
        format: body.format,
    };
    // Answer (with the deterministic critique if need be) before the request times out.
    let budget = Duration::from_secs(coach.settings.critique.deadline_secs).min(
        Duration::from_secs(coach.settings.server.request_timeout_secs)
            .saturating_sub(RESPONSE_MARGIN),
    );
    let critique = coach
        .critic
        .critique(&user, &request, Instant::now() + budget)
        .await?;
    Ok(Json(critique))
}

/// Time kept back from the request timeout to build and send the fallback critique.
const RESPONSE_MARGIN: Duration = Duration::from_secs(2);

/// Unknown routes answer with a problem body too.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
