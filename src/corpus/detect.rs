//! Format detection: which parser a file's text is for.

// - [`Format::StoryBank`]: Markdown whose headings own STAR subsections
//   (`### Title` followed by `#### Situation`, `#### Action`, ...).
// - [`Format::BragDoc`]: plain text with bare marker lines `S`, `T`, `A`, `R`.
// - [`Format::Notes`]: everything else (dated notes, conference notes).

use serde::Serialize;

use super::model::SectionKind;
use super::story_bank::{markdown_headings, section_kind};

/// The formats the corpus parsers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    StoryBank,
    BragDoc,
    Notes,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::StoryBank => "story_bank",
            Format::BragDoc => "brag_doc",
            Format::Notes => "notes",
        }
    }
}

/// Detect the format of a file's text (never fails: unknown text is [`Format::Notes`]).
pub fn detect(text: &str) -> Format {
    if is_story_bank(text) {
        Format::StoryBank
    } else if is_brag_doc(text) {
        Format::BragDoc
    } else {
        Format::Notes
    }
}

/// Some heading that is not a section name is followed by a deeper-or-equal STAR
/// section heading (`#### Situation` under `### Title`).
fn is_story_bank(text: &str) -> bool {
    let mut seen_title = false;
    for heading in markdown_headings(text) {
        match section_kind(heading.text) {
            None => seen_title = true,
            Some(SectionKind::Learnings) => {}
            Some(_) if seen_title => return true,
            Some(_) => {}
        }
    }
    false
}

/// A bare `S` line followed, before the next `S`, by a bare `T`, `A` or `R` line (a
/// lone letter on a line is not enough).
fn is_brag_doc(text: &str) -> bool {
    let mut in_story = false;
    for line in text.lines() {
        match brag_marker(line) {
            Some('S') => in_story = true,
            Some(_) if in_story => return true,
            _ => {}
        }
    }
    false
}

/// `Some('S' | 'T' | 'A' | 'R')` when the line is exactly that marker.
pub(crate) fn brag_marker(line: &str) -> Option<char> {
    match line.trim() {
        "S" => Some('S'),
        "T" => Some('T'),
        "A" => Some('A'),
        "R" => Some('R'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_with_star_subsections_is_a_story_bank() {
        let text = "# Stories\n\n### Outage\n\n#### Situation\nIt broke.\n\n#### Result\nFixed.\n";
        assert_eq!(detect(text), Format::StoryBank);
    }

    #[test]
    fn story_level_section_headings_count() {
        let text = "## Talk\n### Situation\nx\n### Actions\ny\n";
        assert_eq!(detect(text), Format::StoryBank);
    }

    #[test]
    fn markdown_without_star_sections_is_notes() {
        let text = "# Notes\n\n## Monday\nSome thoughts.\n\n## Tuesday\nMore.\n";
        assert_eq!(detect(text), Format::Notes);
    }

    #[test]
    fn star_names_inside_code_fences_do_not_count() {
        let text = "# Notes\n\n```\n#### Situation\n#### Action\n```\n";
        assert_eq!(detect(text), Format::Notes);
    }

    #[test]
    fn bare_markers_are_a_brag_doc() {
        let text = "header\nS\n- context\nT\n- goal\nA\n- did\nR\n- done\n";
        assert_eq!(detect(text), Format::BragDoc);
    }

    #[test]
    fn a_lone_letter_line_is_not_a_brag_doc() {
        assert_eq!(detect("Plan\nA\nsomething\n"), Format::Notes);
        assert_eq!(detect("S\nonly a situation\n"), Format::Notes);
    }

    #[test]
    fn dated_notes_are_notes() {
        assert_eq!(
            detect("2022年7月31日星期日\n\n面试\n\nquestions\n"),
            Format::Notes
        );
        assert_eq!(detect(""), Format::Notes);
    }
}
