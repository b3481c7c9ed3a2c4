//! The one place where errors become HTTP responses: RFC 9457 problem details
//! (`application/problem+json`) naming the field at fault.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::chat::ChatError;
use crate::critique::CritiqueError;
use crate::embed::EmbedError;
use crate::history::HistoryError;
use crate::ingest::IngestError;
use crate::practice::PracticeError;
use crate::prep::PrepError;
use crate::retrieve::MatchError;
use crate::store::StoreError;
use crate::stories::StoryError;

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    Unauthorized(String),
    #[error("not found")]
    NotFound,
    /// The request conflicts with the resource's state (a finished session, the
    /// history switched off).
    #[error("{0}")]
    Conflict(String),
    /// A component the answer needs (the store, a remote embeddings endpoint) failed.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

/// Problem details body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation",
            ApiError::MalformedJson(_) => "malformed-json",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound => "not-found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::Validation { field, .. } => Some(field.clone()),
            ApiError::MalformedJson(_)
            | ApiError::UnsupportedMediaType
            | ApiError::PayloadTooLarge { .. } => Some("body".into()),
            _ => None,
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("https://starcoach.dev/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
            field: self.field(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(reason) | ApiError::Unavailable(reason) = &self {
            tracing::error!(%reason, "request failed");
        }
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        (
            self.status(),
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl From<MatchError> for ApiError {
    fn from(err: MatchError) -> Self {
        match err {
            MatchError::Invalid { field, message } => ApiError::Validation {
                field: field.to_string(),
                message,
            },
            MatchError::Store(e) => e.into(),
            MatchError::Embed(e) => e.into(),
            MatchError::Config(e) => ApiError::Internal(e),
        }
    }
}

impl From<HistoryError> for ApiError {
    fn from(err: HistoryError) -> Self {
        match err {
            HistoryError::Disabled => ApiError::Conflict(err.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<PracticeError> for ApiError {
    fn from(err: PracticeError) -> Self {
        match err {
            PracticeError::Invalid { field, message } => ApiError::Validation {
                field: field.to_string(),
                message,
            },
            PracticeError::NotFound => ApiError::NotFound,
            PracticeError::Finished => ApiError::Conflict(err.to_string()),
            PracticeError::History(e) => e.into(),
            PracticeError::Prep(e) => e.into(),
            PracticeError::Critique(e) => e.into(),
            PracticeError::Corrupt(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<PrepError> for ApiError {
    fn from(err: PrepError) -> Self {
        match err {
            PrepError::Job(e) => ApiError::Validation {
                field: "job".into(),
                message: e.to_string().trim_start_matches("job: ").to_string(),
            },
            PrepError::Match(e) => e.into(),
            PrepError::Bank(e) => ApiError::Internal(e),
        }
    }
}

impl From<EmbedError> for ApiError {
    fn from(err: EmbedError) -> Self {
        match err {
            // A remote embeddings endpoint that failed: the service cannot answer now.
            EmbedError::Remote { .. } => ApiError::Unavailable(err.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<CritiqueError> for ApiError {
    fn from(err: CritiqueError) -> Self {
        match err {
            CritiqueError::Transcript(e) => ApiError::Validation {
                field: "transcript".into(),
                message: e.to_string(),
            },
            CritiqueError::Invalid { field, message } => ApiError::Validation {
                field: field.to_string(),
                message,
            },
            CritiqueError::Match(e) => e.into(),
        }
    }
}

impl From<ChatError> for ApiError {
    fn from(err: ChatError) -> Self {
        match err {
            ChatError::Invalid { field, message } => ApiError::Validation {
                field: field.to_string(),
                message,
            },
            ChatError::Match(e) => e.into(),
            ChatError::Practice(e) => e.into(),
        }
    }
}

impl From<StoryError> for ApiError {
    fn from(err: StoryError) -> Self {
        match err {
            StoryError::Invalid { field, message } => ApiError::Validation { field, message },
            StoryError::NotFound => ApiError::NotFound,
            StoryError::Match(e) => e.into(),
            StoryError::Store(e) => e.into(),
            StoryError::Ingest(e) => e.into(),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(err: IngestError) -> Self {
        match err {
            IngestError::Store(e) => e.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Locked { .. } | StoreError::Open { .. } => {
                ApiError::Unavailable(format!("the store is unavailable: {err}"))
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}
