//! Route handlers: validate, call the library, map errors.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::auth::AuthUser;
use super::error::ApiError;
use super::extract::ApiJson;

use crate::analysis::TranscriptFormat;
use crate::app::Coach;
use crate::critique::{Critique, CritiqueRequest, TranscriptInput};
use crate::retrieve::{MatchRequest, MatchResponse};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)), tag = "operations")]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Body of `POST /v1/stories/match`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchBody {
    question: String,
    top_k: Option<usize>,
}

/// Rank the caller's stories for a question, with fit levels, evidence and advice.
#[utoipa::path(post, path = "/v1/stories/match", request_body = MatchBody,
    responses((status = 200, body = MatchResponse), (status = 422, body = super::error::Problem),
              (status = 401, body = super::error::Problem)),
    security(("bearer" = [])), tag = "stories")]
pub async fn match_stories(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<MatchBody>,
) -> Result<Json<MatchResponse>, ApiError> {
    let request = MatchRequest::new(body.question, body.top_k, &coach.settings().retrieval);
    let response = coach.match_stories(&user, &request).await?;
    Ok(Json(response))
}

/// Which competencies the caller's stories cover, with their level, and the gaps.
#[utoipa::path(get, path = "/v1/coverage", responses((status = 200, description = "Coverage report", body = Object)),
    security(("bearer" = [])), tag = "stories")]
pub async fn coverage(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
) -> Result<Json<crate::coverage::CoverageReport>, ApiError> {
    let report = coach.coverage(&user).await?;
    Ok(Json(report))
}

/// Body of `POST /v1/prep`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepBody {
    /// The job description as pasted from a posting (plain text or Markdown).
    job: String,
}

/// A preparation plan for a job: the competencies it asks for (with its sentences),
/// likely questions, the caller's best story for each, and the gaps.
#[utoipa::path(post, path = "/v1/prep", request_body = PrepBody,
    responses((status = 200, body = crate::prep::PrepReport), (status = 422, body = super::error::Problem),
              (status = 401, body = super::error::Problem)),
    security(("bearer" = [])), tag = "practice")]
pub async fn prep(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<PrepBody>,
) -> Result<Json<crate::prep::PrepReport>, ApiError> {
    let budget = coach.settings().critique_budget(true);
    Ok(Json(coach.prep(&user, &body.job, Some(budget)).await?))
}

/// Body of `POST /v1/answers/critique`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CritiqueBody {
    /// The interview question; taken from the transcript's interviewer turn if absent.
    question: Option<String>,
    /// Text (plain, WebVTT, SRT or Whisper JSON as a string), or a Whisper JSON object.
    #[schema(value_type = Object)]
    transcript: TranscriptInput,
    /// Force the text's format instead of detecting it: plain, vtt, srt, whisper_json.
    #[schema(value_type = Option<String>)]
    format: Option<TranscriptFormat>,
}

/// Critique a spoken answer against STAR, grounded in the caller's stories (the same
/// JSON as `starcoach critique --json`).
#[utoipa::path(post, path = "/v1/answers/critique", request_body = CritiqueBody,
    responses((status = 200, description = "The critique. `analysis.timeline` places the STAR segments, sentences, fillers and pace windows on one axis for drawing.", body = Critique),
              (status = 422, body = super::error::Problem)),
    security(("bearer" = [])), tag = "answers")]
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
    // Answers (with the deterministic critique if need be) before the request times out.
    let critique = coach.critique(&user, &request, true).await?;
    coach
        .record_critique(&user, &critique, crate::history::Origin::Http, None, None)
        .await;
    Ok(Json(critique))
}

/// Unknown routes answer with a problem body too.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
