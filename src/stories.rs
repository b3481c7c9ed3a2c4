//! A user's stories as resources: upload-name rules (`upload:<name>`, never a path),
//! opaque story ids looked up in the user's own bank only, and pages.

use serde::Serialize;

use crate::corpus::{LineSpan, SectionKind};
use crate::ingest::IngestError;
use crate::retrieve::{BankStory, MatchError};
use crate::store::StoreError;

/// Prefix of the source name of uploaded files.
pub const UPLOAD_PREFIX: &str = "upload:";
/// Longest accepted file name.
pub const MAX_NAME_CHARS: usize = 200;
/// Most files in one upload.
pub const MAX_FILES: usize = 100;
/// Stories in a listing page unless asked otherwise, and the most in one page.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;

/// Errors of the story operations; `field` names the input at fault.
#[derive(Debug, thiserror::Error)]
pub enum StoryError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("no such story")]
    NotFound,
    #[error(transparent)]
    Match(#[from] MatchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

impl StoryError {
    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// One file to upload: a relative name and its text.
#[derive(Debug, Clone)]
pub struct NamedText {
    pub name: String,
    /// The input field the name came from, for errors (`documents[0].name`).
    pub field: String,
    pub text: String,
}

/// The stored source name of an uploaded file, or why `name` is refused.
pub fn upload_source(name: &str) -> Result<String, String> {
    let bad = |message: &str| format!("{message} (got {name:?})");
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(bad("must not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(bad(&format!("must be at most {MAX_NAME_CHARS} characters")));
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

/// `(source, text)` pairs to ingest, every name checked; errors about the list as a
/// whole (none, or too many files) name `list_field`.
pub fn upload_sources(
    files: Vec<NamedText>,
    list_field: &str,
) -> Result<Vec<(String, String)>, StoryError> {
    if files.is_empty() || files.len() > MAX_FILES {
        return Err(StoryError::invalid(
            list_field,
            format!("must hold 1 to {MAX_FILES} files, got {}", files.len()),
        ));
    }
    files
        .into_iter()
        .map(|file| {
            let source =
                upload_source(&file.name).map_err(|m| StoryError::invalid(&file.field, m))?;
            Ok((source, file.text))
        })
        .collect()
}

pub use crate::corpus::{is_story_id, story_id};

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

impl From<&BankStory> for StorySummary {
    fn from(story: &BankStory) -> Self {
        Self {
            id: story_id(&story.doc_id),
            title: story.title.clone(),
            source: story.source.clone(),
            lines: story.lines,
            tags: story.tags.clone(),
        }
    }
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

impl From<&BankStory> for StoryDetail {
    fn from(story: &BankStory) -> Self {
        Self {
            summary: story.into(),
            sections: story
                .chunks
                .iter()
                .map(|c| StorySection {
                    section: c.section,
                    text: c.text.clone(),
                    lines: c.lines,
                })
                .collect(),
        }
    }
}

/// A page of a user's stories.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoryList {
    pub total: usize,
    pub stories: Vec<StorySummary>,
}

/// Which page of the listing: `limit` defaults to [`DEFAULT_PAGE`], at most
/// [`MAX_PAGE`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    pub offset: Option<usize>,
    pub limit: Option<usize>,
}

impl Page {
    /// `(offset, limit)`, or which one is out of range.
    pub fn resolve(self) -> Result<(usize, usize), StoryError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(StoryError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}, got {limit}"),
            ));
        }
        Ok((self.offset.unwrap_or(0), limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_checked() {
        assert_eq!(upload_source("bank.md").unwrap(), "upload:bank.md");
        assert_eq!(
            upload_source("notes/2024.md").unwrap(),
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
            assert!(upload_source(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn an_upload_names_the_field_of_the_bad_name_and_counts_files() {
        let file = |name: &str, field: &str| NamedText {
            name: name.into(),
            field: field.into(),
            text: "x".into(),
        };
        let err = upload_sources(
            vec![
                file("a.md", "documents[0].name"),
                file("../b", "documents[1].name"),
            ],
            "documents",
        )
        .unwrap_err();
        assert!(
            matches!(err, StoryError::Invalid { ref field, .. } if field == "documents[1].name")
        );
        let err = upload_sources(vec![], "documents").unwrap_err();
        assert!(matches!(err, StoryError::Invalid { ref field, .. } if field == "documents"));
    }

    #[test]
    fn pages_default_and_are_bounded() {
        assert_eq!(Page::default().resolve().unwrap(), (0, DEFAULT_PAGE));
        assert!(Page {
            offset: None,
            limit: Some(0)
        }
        .resolve()
        .is_err());
        assert!(Page {
            offset: Some(3),
            limit: Some(MAX_PAGE + 1)
        }
        .resolve()
        .is_err());
    }

    #[test]
    fn story_ids_are_16_hex_digits() {
        let id = story_id("doc-1");
        assert!(is_story_id(&id));
        assert!(!is_story_id("xyz"));
        assert!(!is_story_id(&format!("{id}0")));
    }
}
