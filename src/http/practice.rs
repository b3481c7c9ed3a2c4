//! Practice routes: mock-interview sessions, the history of critiques (listing and
//! deleting it), and progress. Every route is scoped to the caller.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::auth::AuthUser;
use super::error::ApiError;
use super::extract::ApiJson;
use super::resources::ListParams;
use crate::analysis::TranscriptFormat;
use crate::app::Coach;
use crate::critique::TranscriptInput;
use crate::history::HistoryPage;
use crate::practice::{
    AnswerInput, AnswerOutcome, ProgressReport, SessionListItem, SessionView, StartSession,
};
use crate::stories::Page;

/// Start a mock interview: the questions are planned from the job description (if
/// given), the caller's gaps and weak spots; the first is asked.
#[utoipa::path(post, path = "/v1/sessions", request_body = StartSession,
    responses((status = 201, body = SessionView), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])), tag = "practice")]
pub async fn start(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<StartSession>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    let view = crate::practice::start(&coach, &user, &body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The caller's sessions, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionListItem>,
}

#[utoipa::path(get, path = "/v1/sessions",
    responses((status = 200, body = SessionList)),
    security(("bearer" = [])), tag = "practice")]
pub async fn list(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
) -> Result<Json<SessionList>, ApiError> {
    Ok(Json(SessionList {
        sessions: crate::practice::list(&coach, &user).await?,
    }))
}

/// One of the caller's sessions: every turn so far, what to answer now, and the
/// summary once it is finished.
#[utoipa::path(get, path = "/v1/sessions/{id}", params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = SessionView), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])), tag = "practice")]
pub async fn get_one(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    let session = crate::practice::get(&coach, &user, &id).await?;
    Ok(Json(SessionView::of(session)))
}

/// Body of `POST /v1/sessions/{id}/answers`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The answer: text (plain, WebVTT, SRT or Whisper JSON as a string), or a Whisper
    /// JSON object. Leave out with `skip`.
    #[schema(value_type = Option<Object>)]
    transcript: Option<TranscriptInput>,
    #[schema(value_type = Option<String>)]
    format: Option<TranscriptFormat>,
    /// Skip the awaited question or follow-up.
    #[serde(default)]
    skip: bool,
}

/// Answer what the session awaits: the short critique, one probing follow-up, and
/// the next question. A follow-up's answer is critiqued with the first answer.
#[utoipa::path(post, path = "/v1/sessions/{id}/answers", request_body = AnswerBody,
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = AnswerOutcome), (status = 404, body = super::error::Problem),
              (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])), tag = "practice")]
pub async fn answer(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<AnswerOutcome>, ApiError> {
    let input = AnswerInput {
        transcript: body.transcript,
        format: body.format,
        skip: body.skip,
    };
    Ok(Json(
        crate::practice::answer(&coach, &user, &id, input, true).await?,
    ))
}

/// The caller's recorded critiques, newest first.
#[utoipa::path(get, path = "/v1/history", params(ListParams),
    responses((status = 200, body = HistoryPage), (status = 409, body = super::error::Problem)),
    security(("bearer" = [])), tag = "practice")]
pub async fn history(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<HistoryPage>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::Validation {
        field: "query".into(),
        message: e.body_text(),
    })?;
    let (offset, limit) = Page {
        offset: params.offset,
        limit: params.limit,
    }
    .resolve()?;
    Ok(Json(coach.history_page(&user, offset, limit).await?))
}

/// Delete one recorded critique.
#[utoipa::path(delete, path = "/v1/history/{id}", params(("id" = i64, Path, description = "Entry id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])), tag = "practice")]
pub async fn delete_entry(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    if coach.history()?.delete(&user, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// How many entries a delete removed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub deleted: usize,
}

/// Delete all of the caller's history: every critique and practice session.
#[utoipa::path(delete, path = "/v1/history",
    responses((status = 200, body = Deleted)),
    security(("bearer" = [])), tag = "practice")]
pub async fn delete_all(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
) -> Result<Json<Deleted>, ApiError> {
    let deleted = coach.history()?.delete_all(&user).await?;
    Ok(Json(Deleted { deleted }))
}

/// The caller's progress: trends per rubric dimension and delivery metric, the
/// competencies practised against those of their latest job, stories told, days.
#[utoipa::path(get, path = "/v1/progress",
    responses((status = 200, body = ProgressReport), (status = 409, body = super::error::Problem)),
    security(("bearer" = [])), tag = "practice")]
pub async fn progress(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
) -> Result<Json<ProgressReport>, ApiError> {
    Ok(Json(
        crate::practice::progress_for(&coach, &user, None).await?,
    ))
}
