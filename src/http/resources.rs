//! The caller's documents and stories: upload (JSON or multipart), list, get, delete.
//! The rules (upload names, story ids, pages) are the library's ([`crate::stories`]).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::auth::AuthUser;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::app::Coach;
use crate::corpus::decode_text;
use crate::ingest::IngestReport;
use crate::stories::{NamedText, Page, StoryDetail, StoryList, MAX_FILES};

/// One uploaded file.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadedFile {
    /// A relative file name such as `stories/bank.md` (its extension picks no parser:
    /// the format is detected from the content).
    pub name: String,
    pub content: String,
}

/// Body of `POST /v1/documents`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentsBody {
    pub documents: Vec<UploadedFile>,
}

/// Count what an upload changed (Prometheus).
fn record(report: &IngestReport) {
    let c = &report.counts;
    metrics::counter!("starcoach_ingest_documents_total")
        .increment((c.added + c.changed + c.deleted) as u64);
    metrics::counter!("starcoach_ingest_chunks_embedded_total")
        .increment(report.chunks_embedded as u64);
}

/// Ingest files sent as JSON; only documents of these names are replaced.
#[utoipa::path(post, path = "/v1/documents", request_body = DocumentsBody,
    responses((status = 200, description = "What was added, changed, unchanged or deleted", body = Object),
              (status = 422, description = "A field is invalid", body = super::error::Problem)),
    security(("bearer" = [])), tag = "documents")]
pub async fn upload_json(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<DocumentsBody>,
) -> Result<Json<IngestReport>, ApiError> {
    let files = body
        .documents
        .into_iter()
        .enumerate()
        .map(|(i, doc)| NamedText {
            name: doc.name,
            field: format!("documents[{i}].name"),
            text: doc.content,
        })
        .collect();
    let report = coach.upload(&user, files, "documents").await?;
    record(&report);
    Ok(Json(report))
}

/// Ingest files sent as `multipart/form-data` (one part per file, with a file name).
#[utoipa::path(post, path = "/v1/documents/upload",
    request_body(content_type = "multipart/form-data", description = "One part per file, each with a filename"),
    responses((status = 200, description = "What was added, changed, unchanged or deleted", body = Object),
              (status = 422, description = "A part is invalid", body = super::error::Problem)),
    security(("bearer" = [])), tag = "documents")]
pub async fn upload_multipart(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    mut multipart: Multipart,
) -> Result<Json<IngestReport>, ApiError> {
    let mut files = Vec::new();
    let mut index = 0usize;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::Validation {
            field: "body".into(),
            message: format!("invalid multipart body: {e}"),
        })?
    {
        let field_name = format!("files[{index}]");
        let name = field
            .file_name()
            .map(str::to_string)
            .ok_or_else(|| ApiError::Validation {
                field: field_name.clone(),
                message: "every part needs a filename".into(),
            })?;
        let bytes = field.bytes().await.map_err(|e| ApiError::Validation {
            field: field_name.clone(),
            message: format!("could not read the part: {e}"),
        })?;
        let text = decode_text(&bytes).map_err(|message| ApiError::Validation {
            field: field_name.clone(),
            message,
        })?;
        files.push(NamedText {
            name,
            field: format!("{field_name}.filename"),
            text,
        });
        index += 1;
        if index > MAX_FILES {
            return Err(ApiError::Validation {
                field: "files".into(),
                message: format!("at most {MAX_FILES} files per upload"),
            });
        }
    }
    if files.is_empty() {
        return Err(ApiError::Validation {
            field: "files".into(),
            message: "no file parts in the upload".into(),
        });
    }
    let report = coach.upload(&user, files, "files").await?;
    record(&report);
    Ok(Json(report))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Stories to skip.
    pub offset: Option<usize>,
    /// Stories to return (1-200, default 50).
    pub limit: Option<usize>,
}

/// List the caller's stories.
#[utoipa::path(get, path = "/v1/stories", params(ListParams),
    responses((status = 200, body = StoryList), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])), tag = "stories")]
pub async fn list(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<StoryList>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::Validation {
        field: "query".into(),
        message: e.body_text(),
    })?;
    let page = Page {
        offset: params.offset,
        limit: params.limit,
    };
    Ok(Json(coach.list_stories(&user, page).await?))
}

/// One of the caller's stories, with its sections.
#[utoipa::path(get, path = "/v1/stories/{id}", params(("id" = String, Path, description = "Story id from the listing")),
    responses((status = 200, body = StoryDetail), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])), tag = "stories")]
pub async fn get_one(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<StoryDetail>, ApiError> {
    Ok(Json(coach.story(&user, &id).await?))
}

/// Delete one of the caller's stories from the store (its file, if ingested again,
/// brings it back).
#[utoipa::path(delete, path = "/v1/stories/{id}", params(("id" = String, Path, description = "Story id from the listing")),
    responses((status = 204, description = "Deleted"), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])), tag = "stories")]
pub async fn delete_one(
    State(coach): State<Coach>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    coach.delete_story(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
