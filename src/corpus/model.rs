//! The parsed shape of a story file: documents, their sections and where they came from.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// 1-based, inclusive line range in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineSpan {
    pub start: usize,
    pub end: usize,
}

impl LineSpan {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

/// A story is the user's own STAR story; a note is supporting material (meeting
/// notes, conference notes) that is never presented as a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Story,
    Note,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Story => "story",
            DocumentKind::Note => "note",
        }
    }
}

/// Which part of a story (or note) a piece of text belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    /// Text before the first S/T/A/R section: an intro, tags' context, metrics lists.
    Preamble,
    Situation,
    Task,
    Action,
    Result,
    Learnings,
    /// The body of a note chunk.
    Body,
}

impl SectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Preamble => "preamble",
            SectionKind::Situation => "situation",
            SectionKind::Task => "task",
            SectionKind::Action => "action",
            SectionKind::Result => "result",
            SectionKind::Learnings => "learnings",
            SectionKind::Body => "body",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "preamble" => SectionKind::Preamble,
            "situation" => SectionKind::Situation,
            "task" => SectionKind::Task,
            "action" => SectionKind::Action,
            "result" => SectionKind::Result,
            "learnings" => SectionKind::Learnings,
            "body" => SectionKind::Body,
            _ => return None,
        })
    }
}

/// One section of a document, with the lines it spans in the source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub kind: SectionKind,
    /// The heading as the author wrote it (e.g. "Actions", "WHAT"), if any.
    pub heading: Option<String>,
    pub text: String,
    pub lines: LineSpan,
}

/// A story or a note chunk parsed from a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Stable within a user's bank: `source#slug`, unique per source file.
    pub id: String,
    /// The source file's path as given to ingest (relative to the ingest root).
    pub source: String,
    pub kind: DocumentKind,
    pub title: String,
    /// The author's own labels, e.g. `Conflict Resolution` from `[Conflict Resolution]`.
    pub tags: Vec<String>,
    pub sections: Vec<Section>,
    pub lines: LineSpan,
}

impl Document {
    /// A note: one untagged body section spanning the whole document.
    pub fn note(
        id: String,
        source: &str,
        title: String,
        heading: Option<String>,
        text: String,
        lines: LineSpan,
    ) -> Self {
        Document {
            id,
            source: source.to_string(),
            kind: DocumentKind::Note,
            title,
            tags: Vec::new(),
            sections: vec![Section {
                kind: SectionKind::Body,
                heading,
                text,
                lines,
            }],
            lines,
        }
    }

    /// All section texts joined, in order.
    pub fn text(&self) -> String {
        self.sections
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// Hash of everything that is embedded or shown (not the line numbers), so that a
    /// story that only moved inside its file is not embedded again.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.kind.as_str());
        hasher.update([0]);
        hasher.update(&self.title);
        for tag in &self.tags {
            hasher.update([0]);
            hasher.update(tag);
        }
        for section in &self.sections {
            hasher.update([1]);
            hasher.update(section.kind.as_str());
            hasher.update([0]);
            hasher.update(section.heading.as_deref().unwrap_or(""));
            hasher.update([0]);
            hasher.update(&section.text);
        }
        hex::encode(hasher.finalize())
    }
}

/// A part of the input that was deliberately not ingested, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub source: String,
    /// Lines of the skipped part; `None` when the whole file was skipped.
    pub lines: Option<LineSpan>,
    pub reason: String,
}

/// What one file yielded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedFile {
    pub documents: Vec<Document>,
    pub skipped: Vec<Skipped>,
}

/// The opaque id of a stored story.
pub fn story_id(doc_id: &str) -> String {
    hex::encode(&Sha256::digest(doc_id.as_bytes())[..8])
}

/// Whether `id` has the shape of a story id (16 hex digits).
pub fn is_story_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}
