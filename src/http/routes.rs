//! Route handlers: validate, call the library, map errors.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::auth::AuthUser;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::app::Coach;
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

/// Unknown routes answer with a problem body too.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
