//! Reading a person's story files: format detection and one parser per format.

// Every parser turns a file's text into [`Document`]s (stories and notes) plus the
// parts it deliberately skipped, each with a reason that the ingest report shows.
//
// - [`detect`](mod@detect): which format a text is ([`Format`]).
// - [`story_bank`]: Markdown story banks (`### Title`, `#### Situation`, ...).
// - [`brag_doc`]: brag documents with bare `S`/`T`/`A`/`R` marker lines.
// - [`notes`]: dated or conference notes, chunked into notes.
// - `files`: finding files on disk ([`collect_files`]) and decoding their bytes
//   ([`decode_text`]).
//
// A file that is empty, binary or not UTF-8 is never an error: it yields no documents
// and one [`Skipped`] entry that says why.

pub mod brag_doc;
pub mod detect;
mod error;
mod files;
mod model;
pub mod notes;
pub mod story_bank;
mod text;

use std::path::Path;

pub use detect::{detect, Format};
pub use error::CorpusError;
pub use files::{collect_files, decode_text, STORY_EXTENSIONS};
pub use model::{
    is_story_id, story_id, Document, DocumentKind, LineSpan, ParsedFile, Section, SectionKind,
    Skipped,
};
pub use text::{clip_chars, slug, word_count};

/// A whole file skipped for `reason`.
fn skipped_file(source: &str, reason: &str) -> ParsedFile {
    ParsedFile {
        documents: Vec::new(),
        skipped: vec![Skipped {
            source: source.to_string(),
            lines: None,
            reason: reason.to_string(),
        }],
    }
}

/// Detect the format of `text` and parse it; `source` is the name documents are
/// stored under (it prefixes their ids). Empty text, or text holding NUL bytes, gives
/// no documents and one [`Skipped`] entry.
pub fn parse_text(source: &str, text: &str) -> ParsedFile {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return skipped_file(source, "empty file");
    }
    if text.contains('\0') {
        return skipped_file(source, "binary file");
    }
    let mut parsed = match detect(text) {
        Format::StoryBank => story_bank::parse(source, text),
        Format::BragDoc => brag_doc::parse(source, text),
        Format::Notes => notes::parse(source, text),
    };
    if parsed.documents.is_empty() && parsed.skipped.is_empty() {
        parsed.skipped.push(Skipped {
            source: source.to_string(),
            lines: None,
            reason: "no stories or notes found".to_string(),
        });
    }
    parsed
}

/// Read and parse one file. Only I/O failures are errors (a missing file is
/// [`CorpusError::NotFound`]); content that is not text is reported as skipped.
pub fn parse_file(path: &Path, source: &str) -> Result<ParsedFile, CorpusError> {
    let bytes = std::fs::read(path).map_err(|e| CorpusError::io(path, e))?;
    Ok(match decode_text(&bytes) {
        Ok(text) => parse_text(source, &text),
        Err(reason) => skipped_file(source, &reason),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn only_skip(parsed: &ParsedFile) -> &Skipped {
        assert!(parsed.documents.is_empty(), "{:?}", parsed.documents);
        assert_eq!(parsed.skipped.len(), 1, "{:?}", parsed.skipped);
        assert_eq!(parsed.skipped[0].lines, None);
        &parsed.skipped[0]
    }

    #[test]
    fn empty_binary_and_invalid_files_are_skipped_not_errors() {
        let dir = tempfile::tempdir().unwrap();
        let empty = write(dir.path(), "empty.md", b"");
        let blank = write(dir.path(), "blank.txt", b"  \n\n\t\n");
        let binary = write(dir.path(), "bin.md", b"PK\x03\x04\0\0data");
        let latin1 = write(dir.path(), "latin1.txt", b"caf\xe9 notes");
        assert_eq!(
            only_skip(&parse_file(&empty, "empty.md").unwrap()).reason,
            "empty file"
        );
        assert_eq!(
            only_skip(&parse_file(&blank, "blank.txt").unwrap()).reason,
            "empty file"
        );
        assert_eq!(
            only_skip(&parse_file(&binary, "bin.md").unwrap()).reason,
            "binary file"
        );
        let skip = only_skip(&parse_file(&latin1, "latin1.txt").unwrap()).clone();
        assert_eq!(skip.reason, "not valid UTF-8 (byte offset 3)");
        assert_eq!(skip.source, "latin1.txt");
    }

    #[test]
    fn missing_file_is_an_error_that_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let err = parse_file(&dir.path().join("gone.md"), "gone.md").unwrap_err();
        assert!(matches!(err, CorpusError::NotFound { .. }));
        assert!(err.to_string().contains("does not exist"));
    }

    #[test]
    fn only_empty_templates_give_skipped_entries() {
        let parsed = parse_text("t.txt", "S\nT\nA\nR\n\nS\nT\nA\nR\n");
        assert!(parsed.documents.is_empty());
        assert_eq!(parsed.skipped.len(), 2);
        assert!(parsed.skipped.iter().all(|s| s.lines.is_some()));
    }

    #[test]
    fn dispatch_by_format() {
        let bank = parse_text("b.md", "# T\n\n### Story\n#### Situation\nIt broke.\n");
        assert_eq!(bank.documents[0].kind, DocumentKind::Story);
        assert_eq!(bank.documents[0].id, "b.md#story");
        let brag = parse_text("b.txt", "S\nIt broke.\nA\nFixed it.\nR\nUp again.\n");
        assert_eq!(brag.documents[0].title, "It broke.");
        let notes = parse_text("n.txt", "2024-01-02\n\nThoughts\n\nSome text here.\n");
        assert_eq!(notes.documents[0].kind, DocumentKind::Note);
        let toc_only = parse_text("toc.md", "# T\n\n+ [A](#a)\n\n### S\n#### Task\n");
        assert!(toc_only.documents.len() == 1 && toc_only.documents[0].sections.is_empty());
    }

    #[test]
    fn windows_line_endings_parse_like_unix_ones() {
        let bank = "# T\n\n### Story\n[tag]\n#### Situation\nIt broke.\n#### Result\nFixed.\n";
        let brag = "S\nIt broke.\nT\nFix it.\nR\nFixed.\nmetrics\n- 2x\nS\nAgain.\nR\nDone.\n";
        for text in [bank, brag] {
            let unix = parse_text("f", text);
            let windows = parse_text("f", &text.replace('\n', "\r\n"));
            assert_eq!(unix, windows);
            assert!(!unix.documents.is_empty());
        }
    }

    #[test]
    fn ids_survive_edits_to_an_earlier_story() {
        let before = "# Bank\n\n### First\n#### Situation\nShort.\n\n### Second\n#### Situation\nOther.\n\n### First\n#### Result\nDup title.\n";
        let after = "# Bank\n\n### First\n#### Situation\nLonger now.\n\nWith a second paragraph\nand more lines.\n\n#### Result\nAdded.\n\n### Second\n#### Situation\nOther.\n\n### First\n#### Result\nDup title.\n";
        let ids = |t: &str| {
            parse_text("bank.md", t)
                .documents
                .iter()
                .map(|d| d.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(before),
            ["bank.md#first", "bank.md#second", "bank.md#first-2"]
        );
        assert_eq!(ids(before), ids(after));
        let second_before = parse_text("bank.md", before).documents[1].clone();
        let second_after = parse_text("bank.md", after).documents[1].clone();
        assert_ne!(second_before.lines, second_after.lines);
        assert_eq!(second_before.content_hash(), second_after.content_hash());

        let brag_before =
            "S\nFirst story.\nR\nDone.\nmetrics\n- 3x\nS\nSecond story.\nR\nDone too.\n";
        let brag_after = "S\nFirst story.\nT\nA new task line.\nR\nDone.\nMore.\nmetrics\n- 3x\n- 4x\nS\nSecond story.\nR\nDone too.\n";
        let brag_ids = |t: &str| {
            parse_text("brag.txt", t)
                .documents
                .iter()
                .map(|d| d.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            brag_ids(brag_before),
            ["brag.txt#first-story", "brag.txt#second-story"]
        );
        assert_eq!(brag_ids(brag_before), brag_ids(brag_after));
    }
}
