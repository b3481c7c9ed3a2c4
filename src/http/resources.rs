//! The caller's documents and stories: upload (JSON or multipart), list, get, delete.
//!
//! Uploaded files are stored under the source name `upload:<name>` in the caller's
//! bank only; names are checked (no absolute paths, `..`, backslashes or control
//! characters) and never touch the filesystem. Stories are addressed by an opaque id
//! (a hash of the stored document id) that is looked up in the caller's bank only, so
//! another user's id is simply not found.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::AuthUser;
use super::error::ApiError;
use super::extract::ApiJson;
use crate::app::Coach;
use crate::corpus::{LineSpan, SectionKind};
use crate::ingest::{IngestReport, NoProgress};
use crate::retrieve::BankStory;

/// Prefix of the source name of uploaded files.
pub const UPLOAD_PREFIX: &str = "upload:";
/// Longest accepted file name.
const MAX_NAME_CHARS: usize = 200;
/// Most files in one upload.
const MAX_FILES: usize = 100;

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

/// Check an uploaded file name; the error names `field`.
pub fn source_for(name: &str, field: &str) -> Result<String, ApiError> {
    let bad = |message: &str| ApiError::Validation {
        field: field.to_string(),
        message: format!("{message} (got {name:?})"),
    };
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(bad("must not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(bad("must be at most 200 characters"));
    }
    if trimmed.chars().any(char::is_control) || trimmed.contains('\\') {
        return Err(bad("must not contain control characters or backslashes"));
    }
    if trimmed.starts_with('/') || trimmed.contains(':') {
        return Err(bad("must be a relative name without ':'"));
    }
    if trimmed
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(bad("must not contain empty, '.' or '..' path segments"));
    }
    Ok(format!("{UPLOAD_PREFIX}{trimmed}"))
}

async fn ingest(
    coach: &Coach,
    user: &str,
    files: Vec<(String, String)>,
) -> Result<IngestReport, ApiError> {
    let report = coach
        .ingestor
        .ingest_texts(user, files, &NoProgress)
        .await?;
    metrics::counter!("starcoach_ingest_documents_total")
        .increment((report.counts.added + report.counts.changed + report.counts.deleted) as u64);
    metrics::counter!("starcoach_ingest_chunks_embedded_total")
        .increment(report.chunks_embedded as u64);
    Ok(report)
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
    if body.documents.is_empty() || body.documents.len() > MAX_FILES {
        return Err(ApiError::Validation {
            field: "documents".into(),
            message: format!(
                "must hold 1 to {MAX_FILES} files, got {}",
                body.documents.len()
            ),
        });
    }
    let mut files = Vec::with_capacity(body.documents.len());
    for (i, doc) in body.documents.into_iter().enumerate() {
        let source = source_for(&doc.name, &format!("documents[{i}].name"))?;
        files.push((source, doc.content));
    }
    Ok(Json(ingest(&coach, &user, files).await?))
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
        let source = source_for(&name, &format!("{field_name}.filename"))?;
        let bytes = field.bytes().await.map_err(|e| ApiError::Validation {
            field: field_name.clone(),
            message: format!("could not read the part: {e}"),
        })?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::Validation {
            field: field_name.clone(),
            message: "must be UTF-8 text".into(),
        })?;
        files.push((source, text));
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
    Ok(Json(ingest(&coach, &user, files).await?))
}

/// The opaque id of a stored story.
pub fn story_id(doc_id: &str) -> String {
    hex::encode(&Sha256::digest(doc_id.as_bytes())[..8])
}

/// A story in a listing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StorySummary {
    pub id: String,
    pub title: String,
    pub source: String,
    #[schema(value_type = Object)]
    pub lines: LineSpan,
    pub tags: Vec<String>,
}

/// One section of a story.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StorySection {
    #[schema(value_type = String)]
    pub section: SectionKind,
    pub text: String,
    #[schema(value_type = Object)]
    pub lines: LineSpan,
}

/// A story with its text.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoryDetail {
    #[serde(flatten)]
    pub summary: StorySummary,
    pub sections: Vec<StorySection>,
}

/// `GET /v1/stories` answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoryList {
    pub total: usize,
    pub stories: Vec<StorySummary>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Stories to skip.
    pub offset: Option<usize>,
    /// Stories to return (1-200, default 50).
    pub limit: Option<usize>,
}

fn summary(story: &BankStory) -> StorySummary {
    StorySummary {
        id: story_id(&story.doc_id),
        title: story.title.clone(),
        source: story.source.clone(),
        lines: story.lines,
        tags: story.tags.clone(),
    }
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
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::Validation {
            field: "limit".into(),
            message: format!("must be between 1 and 200, got {limit}"),
        });
    }
    let bank = coach.retriever.load_bank(&user).await?;
    let stories: Vec<StorySummary> = bank
        .stories()
        .skip(params.offset.unwrap_or(0))
        .take(limit)
        .map(summary)
        .collect();
    Ok(Json(StoryList {
        total: bank.len(),
        stories,
    }))
}

async fn find(coach: &Coach, user: &str, id: &str) -> Result<BankStory, ApiError> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::NotFound);
    }
    let bank = coach.retriever.load_bank(user).await?;
    let found = bank.stories().find(|s| story_id(&s.doc_id) == id).cloned();
    found.ok_or(ApiError::NotFound)
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
    let story = find(&coach, &user, &id).await?;
    Ok(Json(StoryDetail {
        summary: summary(&story),
        sections: story
            .chunks
            .iter()
            .map(|c| StorySection {
                section: c.section,
                text: c.text.clone(),
                lines: c.lines,
            })
            .collect(),
    }))
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
    let story = find(&coach, &user, &id).await?;
    coach
        .store
        .delete_documents(&user, std::slice::from_ref(&story.doc_id))
        .await?;
    coach.store.flush().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_checked() {
        assert_eq!(source_for("bank.md", "f").unwrap(), "upload:bank.md");
        assert_eq!(
            source_for("notes/2024.md", "f").unwrap(),
            "upload:notes/2024.md"
        );
        for bad in [
            "",
            "../x.md",
            "a/../b.md",
            "/etc/passwd",
            "a\\b.md",
            "c:x",
            "a//b",
            "./a",
            "x\u{0}y",
        ] {
            assert!(source_for(bad, "f").is_err(), "{bad:?} accepted");
        }
    }
}
