//! Parser for plain-text brag documents: a story is a run of bare marker lines `S`,
//! `T`, `A`, `R`, each followed by its content (`-` bullets or prose).

// - What stands between one story's `R` block and the next `S` (a `metrics` list,
//   leadership-principle lines such as `bias for action: ...`, `Project plan: URL`,
//   `summary`, `lessons learned:`) is the preamble of the *following* story; the
//   file header before the first `S` is the preamble of the first story.
// - Stories have no titles: the title is the first line of the Situation (else Task,
//   Action, Result), shortened to about 80 characters at a word boundary.
// - A story whose markers are all empty is an empty template: it is skipped and
//   reported; a non-empty preamble it had is kept as a note, never as a story.
// - Bullet markers are stripped (`- x` is `x`; a line that is only `-` is empty).

use super::detect::brag_marker;
use super::model::{Document, DocumentKind, LineSpan, ParsedFile, Section, SectionKind, Skipped};
use super::text::{clean_lines, short_title, strip_bullet, title_from_line, IdAllocator};

/// Reason reported for a skipped empty template.
pub const EMPTY_TEMPLATE: &str = "empty template: S/T/A/R markers with no content";

/// Header lines that end a story's `R` block (compared without a trailing `:`).
const HEADER_WORDS: &[&str] = &[
    "metrics",
    "summary",
    "lessons learned",
    "lessons learnt",
    "lesson learned",
    "extra info",
    "extra information",
    "notes",
    "links",
    "references",
    "faq",
    "leadership principles",
];

/// Amazon-style leadership principles (letters only, lowercase), as they appear in
/// labels like `bias for action:` or `right alot:`.
const PRINCIPLES: &[&str] = &[
    "customerobsession",
    "ownership",
    "inventandsimplify",
    "rightalot",
    "learnandbecurious",
    "developthebest",
    "higheststandard",
    "thinkbig",
    "biasforaction",
    "frugality",
    "earntrust",
    "divedeep",
    "havebackbone",
    "disagreeandcommit",
    "deliverresults",
    "bestemployer",
    "broadresponsibility",
];

fn section_for(marker: char) -> SectionKind {
    match marker {
        'S' => SectionKind::Situation,
        'T' => SectionKind::Task,
        'A' => SectionKind::Action,
        _ => SectionKind::Result,
    }
}

fn order(kind: SectionKind) -> u8 {
    match kind {
        SectionKind::Situation => 0,
        SectionKind::Task => 1,
        SectionKind::Action => 2,
        _ => 3,
    }
}

fn is_header_word(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    let word = lower.trim_end_matches([':', '：']).trim();
    HEADER_WORDS.contains(&word)
}

/// A line that cannot belong to an `R` block: it starts the material before the next
/// story (headers, leadership-principle labels, `label: URL` lines, bare URLs).
fn ends_result_block(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    let item = strip_bullet(t);
    let bulleted = item.len() != t.len();
    if !bulleted && (is_header_word(t) || t.starts_with("http://") || t.starts_with("https://")) {
        return true;
    }
    let Some((label, rest)) = item.split_once(':') else {
        return false;
    };
    let label_words = label.split_whitespace().count();
    let plain_label = label.chars().all(|c| {
        c.is_alphabetic() || c.is_whitespace() || matches!(c, ',' | '&' | '\'' | '-' | ';')
    });
    if label_words == 0 || label_words > 6 || !plain_label {
        return false;
    }
    let letters: String = label
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    if PRINCIPLES.iter().any(|p| letters.contains(p)) {
        return true;
    }
    !bulleted && label_words <= 3 && rest.trim_start().starts_with("http")
}

/// The text of content lines: bullets stripped, marker-only lines dropped.
fn content_text(lines: &[&str], indices: &[usize]) -> String {
    clean_lines(
        indices
            .iter()
            .map(|&i| lines[i])
            .filter(|l| l.trim().is_empty() || !strip_bullet(l).is_empty())
            .map(|l| {
                if l.trim().is_empty() {
                    ""
                } else {
                    strip_bullet(l)
                }
            }),
    )
}

/// First and last line (0-based) with content, ignoring blank and `-`-only lines.
fn content_span(lines: &[&str], indices: &[usize]) -> Option<(usize, usize)> {
    let mut it = indices
        .iter()
        .copied()
        .filter(|&i| !strip_bullet(lines[i]).is_empty());
    let first = it.next()?;
    Some((first, it.next_back().unwrap_or(first)))
}

struct Part {
    kind: SectionKind,
    marker_line: usize,
    lines: Vec<usize>,
}

struct Draft {
    preamble: Vec<usize>,
    parts: Vec<Part>,
}

/// Title of a note made of a preamble: its first line that is not a bare header.
fn note_title(lines: &[&str], indices: &[usize]) -> String {
    let mut first = None;
    for &i in indices {
        let item = strip_bullet(lines[i]);
        if item.is_empty() {
            continue;
        }
        first.get_or_insert(item);
        if !is_header_word(item) {
            return title_from_line(item);
        }
    }
    short_title(first.unwrap_or("notes"))
}

/// A note kept from text that belongs to no story (a template's preamble, the tail).
fn note(
    lines: &[&str],
    indices: &[usize],
    source: &str,
    ids: &mut IdAllocator<'_>,
) -> Option<Document> {
    let text = content_text(lines, indices);
    let (first, last) = content_span(lines, indices)?;
    if text.is_empty() {
        return None;
    }
    let title = note_title(lines, indices);
    let span = LineSpan::new(first + 1, last + 1);
    Some(Document::note(
        ids.id_for(&title),
        source,
        title,
        None,
        text,
        span,
    ))
}

/// Split the file into drafts (preamble + marker parts) and the trailing text.
fn drafts(lines: &[&str]) -> (Vec<Draft>, Vec<usize>) {
    let mut drafts = Vec::new();
    let mut preamble = Vec::new();
    let mut current: Option<Draft> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(marker) = brag_marker(line) {
            let kind = section_for(marker);
            match current.as_mut() {
                Some(draft)
                    if marker != 'S'
                        && draft
                            .parts
                            .last()
                            .is_some_and(|p| order(kind) > order(p.kind)) =>
                {
                    draft.parts.push(Part {
                        kind,
                        marker_line: i,
                        lines: Vec::new(),
                    });
                }
                _ => {
                    drafts.extend(current.take());
                    current = Some(Draft {
                        preamble: std::mem::take(&mut preamble),
                        parts: vec![Part {
                            kind,
                            marker_line: i,
                            lines: Vec::new(),
                        }],
                    });
                }
            }
            continue;
        }
        match current.as_mut() {
            Some(draft) => {
                let part = draft.parts.last_mut().expect("a draft has a part");
                if part.kind == SectionKind::Result && ends_result_block(line) {
                    drafts.extend(current.take());
                    preamble.push(i);
                } else {
                    part.lines.push(i);
                }
            }
            None => preamble.push(i),
        }
    }
    drafts.extend(current);
    (drafts, preamble)
}

/// Parse a brag document.
pub fn parse(source: &str, text: &str) -> ParsedFile {
    let lines: Vec<&str> = text.lines().collect();
    let (drafts, tail) = drafts(&lines);
    let mut ids = IdAllocator::new(source);
    let mut out = ParsedFile::default();

    for draft in drafts {
        let sections: Vec<Section> = draft
            .parts
            .iter()
            .filter_map(|part| {
                let text = content_text(&lines, &part.lines);
                let (_, last) = content_span(&lines, &part.lines)?;
                Some(Section {
                    kind: part.kind,
                    heading: None,
                    text,
                    lines: LineSpan::new(part.marker_line + 1, last + 1),
                })
            })
            .collect();
        let first_marker = draft.parts.first().map_or(0, |p| p.marker_line);
        let last_marker = draft.parts.last().map_or(0, |p| p.marker_line);

        if sections.is_empty() {
            out.skipped.push(Skipped {
                source: source.to_string(),
                lines: Some(LineSpan::new(first_marker + 1, last_marker + 1)),
                reason: EMPTY_TEMPLATE.to_string(),
            });
            out.documents
                .extend(note(&lines, &draft.preamble, source, &mut ids));
            continue;
        }

        let title = [
            SectionKind::Situation,
            SectionKind::Task,
            SectionKind::Action,
            SectionKind::Result,
        ]
        .iter()
        .find_map(|kind| sections.iter().find(|s| s.kind == *kind))
        .and_then(|s| s.text.lines().find(|l| !l.trim().is_empty()))
        .map(title_from_line)
        .unwrap_or_default();
        let mut all_sections = Vec::with_capacity(sections.len() + 1);
        let preamble_span = content_span(&lines, &draft.preamble);
        if let Some((first, last)) = preamble_span {
            all_sections.push(Section {
                kind: SectionKind::Preamble,
                heading: None,
                text: content_text(&lines, &draft.preamble),
                lines: LineSpan::new(first + 1, last + 1),
            });
        }
        let end = sections
            .iter()
            .map(|s| s.lines.end)
            .max()
            .unwrap_or(0)
            .max(last_marker + 1);
        let start = preamble_span.map_or(first_marker, |(first, _)| first) + 1;
        all_sections.extend(sections);
        out.documents.push(Document {
            id: ids.id_for(&title),
            source: source.to_string(),
            kind: DocumentKind::Story,
            title,
            tags: Vec::new(),
            sections: all_sections,
            lines: LineSpan::new(start, end),
        });
    }
    out.documents.extend(note(&lines, &tail, source, &mut ids));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
My brag doc
S
- The build took an hour.
T
- Make it fast.
A
- Cached dependencies
-
- Split the test suite
R
- Builds take 9 minutes.
bias for action: shipped the cache before the full plan
metrics
- 60 -> 9 minutes
S
T
A
R
Project plan: https://example.com/plan
S
On-call was noisy.
A
Deleted 40 alerts.
R
";

    #[test]
    fn stories_templates_and_notes() {
        let p = parse("brag.txt", DOC);
        let kinds: Vec<DocumentKind> = p.documents.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [DocumentKind::Story, DocumentKind::Note, DocumentKind::Story]
        );
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].lines, Some(LineSpan::new(15, 18)));
        assert_eq!(p.skipped[0].reason, EMPTY_TEMPLATE);
    }

    #[test]
    fn first_story_has_the_header_as_preamble() {
        let p = parse("brag.txt", DOC);
        let story = &p.documents[0];
        assert_eq!(story.title, "The build took an hour.");
        assert_eq!(story.lines, LineSpan::new(1, 11));
        let preamble = &story.sections[0];
        assert_eq!(preamble.kind, SectionKind::Preamble);
        assert_eq!(preamble.text, "My brag doc");
        let action = &story.sections[3];
        assert_eq!(action.kind, SectionKind::Action);
        assert_eq!(action.text, "Cached dependencies\nSplit the test suite");
        assert_eq!(action.lines, LineSpan::new(6, 9));
        assert_eq!(story.sections[4].lines, LineSpan::new(10, 11));
    }

    #[test]
    fn material_after_r_goes_to_the_next_story() {
        let p = parse("brag.txt", DOC);
        let note = &p.documents[1];
        assert_eq!(
            note.title,
            "bias for action: shipped the cache before the full plan"
        );
        assert_eq!(note.lines, LineSpan::new(12, 14));
        assert!(note.sections[0].text.contains("60 -> 9 minutes"));
        let last = &p.documents[2];
        assert_eq!(last.title, "On-call was noisy.");
        assert_eq!(last.sections[0].kind, SectionKind::Preamble);
        assert_eq!(
            last.sections[0].text,
            "Project plan: https://example.com/plan"
        );
        let kinds: Vec<SectionKind> = last.sections.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SectionKind::Preamble,
                SectionKind::Situation,
                SectionKind::Action
            ]
        );
        assert_eq!(last.lines, LineSpan::new(19, 24));
    }

    #[test]
    fn result_block_boundaries() {
        assert!(ends_result_block("metrics"));
        assert!(ends_result_block("lessons learned:"));
        assert!(ends_result_block("- invent and simplify: reuse the code"));
        assert!(ends_result_block("right alot: pin point the differences"));
        assert!(ends_result_block("FAQ: https://example.com/faq"));
        assert!(ends_result_block("https://example.com/issue/1"));
        assert!(!ends_result_block(
            "- Flamegraph result 24% -> 25% https://example.com"
        ));
        assert!(!ends_result_block("- Latency: down 30%"));
        assert!(!ends_result_block("The result was a clean migration."));
    }

    #[test]
    fn long_titles_are_shortened() {
        let text = format!("S\n{}\nR\ndone\n", "word ".repeat(40));
        let p = parse("b.txt", &text);
        assert!(p.documents[0].title.chars().count() <= 81);
        assert!(p.documents[0].title.ends_with('…'));
    }

    #[test]
    fn only_templates_give_no_documents() {
        let p = parse("b.txt", "S\nT\nA\nR\n\nS\nT\nA\nR\n");
        assert!(p.documents.is_empty());
        assert_eq!(p.skipped.len(), 2);
        assert_eq!(p.skipped[1].lines, Some(LineSpan::new(6, 9)));
    }
}
