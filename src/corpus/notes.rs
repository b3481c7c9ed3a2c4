//! Parser for free-form notes (dated manager notes, conference notes): every chunk is
//! a [`DocumentKind::Note`] with one `Body` section, never presented as a story.

// Chunking, in order:
// 1. by date line (`2022年7月31日星期日`, `2024-03-14`, `March 14, 2024`) or `Day N`
//    line: the group label;
// 2. by heading: a Markdown `#` heading, a setext heading (underlined with `---`), a
//    time-slot line (`16:10 microservices at Monzo:`, `0900 keynote:`), or a short
//    line (at most 60 characters, not a list item, not a URL, not ending with `.`)
//    after a blank line;
// 3. by paragraph, then line, then sentence, so that no chunk exceeds
//    [`MAX_NOTE_WORDS`] words.
//
// A heading with no text of its own is kept as a line of the next chunk (a
// "parent" heading); of such a run of headings the shortest names the chunk, since a
// short first line of text after a blank line looks like a heading too. A block
// smaller than [`MIN_NOTE_WORDS`] joins the previous chunk of the same group
// (time-slot talks excepted) when the result stays within the limit; headings with no
// text at the end of a group join the previous chunk, or are reported as skipped.
// Titles are `date › heading` (or one of them, or the first sentence of the text).
// The language is kept as written; long blocks give several notes with one title.

use std::sync::OnceLock;

use regex::Regex;

use super::model::{Document, LineSpan, ParsedFile, Skipped};
use super::story_bank::markdown_heading;
use super::text::{clean_lines, short_title, title_from_line, word_count, IdAllocator};
use crate::text::{is_cjk, pack_evenly, sentences, split_words, Packing, SentenceRules};

/// No note chunk has more words than this (a CJK character counts as a word).
pub const MAX_NOTE_WORDS: usize = 180;
/// Blocks with fewer words join the previous chunk of their group when they fit.
pub const MIN_NOTE_WORDS: usize = 30;
/// Longest line (in characters) that can be a plain heading.
const MAX_HEADING_CHARS: usize = 60;
/// Separator between the date and the heading in a title.
const TITLE_SEPARATOR: &str = " › ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    /// `----` / `====` under a heading or on its own: not text.
    Decoration,
    /// A date or `Day N` line.
    Group,
    Heading {
        time_slot: bool,
    },
    Text,
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex"))
}

/// A line that is only a date.
pub(crate) fn is_date_line(line: &str) -> bool {
    static CJK: OnceLock<Regex> = OnceLock::new();
    static ISO: OnceLock<Regex> = OnceLock::new();
    static EN: OnceLock<Regex> = OnceLock::new();
    let t = line.trim().trim_end_matches([':', '：']).trim();
    regex(&CJK, r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:(?:星期|周|礼拜)[一二三四五六日天])?$")
        .is_match(t)
        || regex(
            &ISO,
            r"(?i)^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s*\(?(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\)?)?$",
        )
        .is_match(t)
        || regex(
            &EN,
            r"(?i)^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4})$",
        )
        .is_match(t)
}

/// `Day 3`, `Day 1 - workshops` (a short line).
fn is_day_line(line: &str) -> bool {
    static DAY: OnceLock<Regex> = OnceLock::new();
    line.chars().count() <= 40 && regex(&DAY, r"(?i)^day\s+\d{1,2}\b").is_match(line.trim_end())
}

/// `16:10 microservices at Monzo:` or `0900 keynote:` (a talk in a conference day).
fn is_time_slot(line: &str) -> bool {
    static COLON: OnceLock<Regex> = OnceLock::new();
    static COMPACT: OnceLock<Regex> = OnceLock::new();
    if line.starts_with(char::is_whitespace) || line.chars().count() > 80 || line.ends_with('.') {
        return false;
    }
    let colon = regex(
        &COLON,
        r"^([01]?\d|2[0-3]):[0-5]\d(?:\s*[-–]\s*([01]?\d|2[0-3]):[0-5]\d)?\s+\S",
    );
    let compact = regex(&COMPACT, r"^([01]\d|2[0-3])[0-5]\d\s+\S.*:$");
    colon.is_match(line) || compact.is_match(line.trim_end())
}

fn is_list_item(line: &str) -> bool {
    static ITEM: OnceLock<Regex> = OnceLock::new();
    regex(
        &ITEM,
        r"^\s*(?:[-*+•·▪◦–—>]|\d+[.)]|\(\d+\)|[a-zA-Z][.)])(?:\s|$)",
    )
    .is_match(line)
}

fn is_underline(line: &str) -> bool {
    static UNDERLINE: OnceLock<Regex> = OnceLock::new();
    regex(&UNDERLINE, r"^\s*(?:-{3,}|={3,})\s*$").is_match(line)
}

/// A short line that reads as a heading (the caller checks the blank line before it).
fn is_plain_heading(line: &str) -> bool {
    let t = line.trim_end();
    !t.is_empty()
        && !t.starts_with(char::is_whitespace)
        && t.chars().count() <= MAX_HEADING_CHARS
        && !is_list_item(t)
        && !t.contains("://")
        && !t.starts_with("www.")
        && !t.ends_with(['.', '。', ',', '，', ';', '；'])
        && t.chars().any(|c| c.is_alphanumeric() || is_cjk(c))
}

fn classify(lines: &[&str]) -> Vec<Kind> {
    let mut kinds: Vec<Kind> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| kinds[p]);
        let kind = if line.trim().is_empty() {
            Kind::Blank
        } else if is_underline(line) {
            if prev == Some(Kind::Text) {
                kinds[i - 1] = Kind::Heading { time_slot: false };
            }
            Kind::Decoration
        } else if is_date_line(line) || is_day_line(line) {
            Kind::Group
        } else if markdown_heading(line).is_some() {
            Kind::Heading { time_slot: false }
        } else if is_time_slot(line) {
            Kind::Heading { time_slot: true }
        } else if is_plain_heading(line)
            && matches!(
                prev,
                None | Some(Kind::Blank | Kind::Decoration | Kind::Group)
            )
        {
            Kind::Heading { time_slot: false }
        } else {
            Kind::Text
        };
        kinds.push(kind);
    }
    kinds
}

/// The display text of a heading line (Markdown `#` removed).
fn heading_text(line: &str) -> &str {
    markdown_heading(line).map_or(line.trim(), |(_, text)| text)
}

/// One line of a chunk: its 0-based line index and text (a fragment for split lines;
/// empty for a paragraph break).
type Entry = (usize, String);

fn entries_words(entries: &[Entry]) -> usize {
    entries.iter().map(|(_, t)| word_count(t)).sum()
}

/// A heading and the lines up to the next heading.
struct Block {
    heading: Option<usize>,
    time_slot: bool,
    body: Vec<Entry>,
}

impl Block {
    fn has_text(&self) -> bool {
        self.body.iter().any(|(_, t)| !t.trim().is_empty())
    }
}

struct Chunk {
    heading: Option<usize>,
    /// Whether the chunk's own heading line is part of its span (first part only).
    owns_heading: bool,
    entries: Vec<Entry>,
}

impl Chunk {
    fn words(&self) -> usize {
        entries_words(&self.entries)
    }
}

/// Split `text` into pieces of at most `max` words, at sentence ends where possible
/// (see [`SentenceRules::WRITTEN`]), of about even size.
fn split_sentences(text: &str, max: usize) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for sentence in sentences(text, &SentenceRules::WRITTEN) {
        if word_count(sentence) > max {
            pieces.extend(split_words(sentence, max, Packing::Even));
        } else {
            pieces.push(sentence.to_string());
        }
    }
    pack_evenly(pieces, max)
}

/// Split a chunk's entries into parts of at most `max` words: at paragraph breaks,
/// then at line breaks, then inside a long line at sentence ends.
fn split_entries(entries: Vec<Entry>, max: usize) -> Vec<Vec<Entry>> {
    let total = entries_words(&entries);
    if total <= max {
        return vec![entries];
    }
    // Units to pack: (entries, starts a paragraph).
    let mut paragraphs: Vec<Vec<Entry>> = vec![Vec::new()];
    for entry in entries {
        if entry.1.trim().is_empty() {
            if paragraphs.last().is_some_and(|p| !p.is_empty()) {
                paragraphs.push(Vec::new());
            }
        } else {
            paragraphs.last_mut().expect("non-empty").push(entry);
        }
    }
    let mut units: Vec<(Vec<Entry>, bool)> = Vec::new();
    for paragraph in paragraphs.into_iter().filter(|p| !p.is_empty()) {
        if entries_words(&paragraph) <= max {
            units.push((paragraph, true));
            continue;
        }
        let mut first = true;
        for (line, text) in paragraph {
            if word_count(&text) <= max {
                units.push((vec![(line, text)], first));
            } else {
                for (k, piece) in split_sentences(&text, max).into_iter().enumerate() {
                    units.push((vec![(line, piece)], first && k == 0));
                }
            }
            first = false;
        }
    }
    let target = total.div_ceil(total.div_ceil(max));
    let mut parts: Vec<Vec<Entry>> = Vec::new();
    let mut current: Vec<Entry> = Vec::new();
    let mut words = 0;
    for (unit, starts_paragraph) in units {
        let w = entries_words(&unit);
        if !current.is_empty() && (words + w > max || words >= target) {
            parts.push(std::mem::take(&mut current));
            words = 0;
        }
        if starts_paragraph && !current.is_empty() {
            current.push((unit[0].0, String::new()));
        }
        current.extend(unit);
        words += w;
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// A group of lines under one date (or `Day N`) line.
struct Group {
    label: Option<usize>,
    start: usize,
    end: usize,
}

fn groups(kinds: &[Kind]) -> Vec<Group> {
    let mut out = vec![Group {
        label: None,
        start: 0,
        end: kinds.len(),
    }];
    for (i, kind) in kinds.iter().enumerate() {
        if *kind == Kind::Group {
            if let Some(last) = out.last_mut() {
                last.end = i;
            }
            out.push(Group {
                label: Some(i),
                start: i + 1,
                end: kinds.len(),
            });
        }
    }
    out
}

fn blocks(lines: &[&str], kinds: &[Kind], group: &Group) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for i in group.start..group.end {
        match kinds[i] {
            Kind::Heading { time_slot } => out.push(Block {
                heading: Some(i),
                time_slot,
                body: Vec::new(),
            }),
            Kind::Decoration | Kind::Group => {}
            Kind::Blank | Kind::Text => {
                let text = if kinds[i] == Kind::Blank {
                    String::new()
                } else {
                    lines[i].trim_end().to_string()
                };
                if out.is_empty() {
                    if kinds[i] == Kind::Blank {
                        continue;
                    }
                    out.push(Block {
                        heading: None,
                        time_slot: false,
                        body: Vec::new(),
                    });
                }
                out.last_mut().expect("a block").body.push((i, text));
            }
        }
    }
    out
}

/// Lines of a chunk: the headings in order (all but `skip`, the one that names the
/// chunk), parent headings as paragraphs of their own, then the block's text.
fn layout(
    lines: &[&str],
    parents: &[usize],
    own: Option<usize>,
    body: &[Entry],
    skip: Option<usize>,
) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for &h in parents.iter().filter(|h| Some(**h) != skip) {
        out.push((h, heading_text(lines[h]).to_string()));
        out.push((h, String::new()));
    }
    if let Some(h) = own.filter(|h| Some(*h) != skip) {
        out.push((h, heading_text(lines[h]).to_string()));
    }
    out.extend(body.iter().cloned());
    out
}

/// The chunks of one group, and the lines of headings that had no text at all.
///
/// Headings with no text of their own are parents of the next block. Of a run of
/// headings, the shortest (the latest on a tie) names the chunk: a short first line of
/// text after a blank line looks like a heading too, and it is the longer one.
fn chunk_group(lines: &[&str], blocks: Vec<Block>) -> (Vec<Chunk>, Vec<usize>) {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    for block in blocks {
        if !block.has_text() {
            pending.extend(block.heading);
            continue;
        }
        let parents = std::mem::take(&mut pending);
        let title = parents
            .iter()
            .copied()
            .chain(block.heading)
            .min_by_key(|&h| (word_count(heading_text(lines[h])), std::cmp::Reverse(h)));
        let entries = layout(lines, &parents, block.heading, &block.body, title);
        let all_words =
            entries_words(&entries) + title.map_or(0, |h| word_count(heading_text(lines[h])));
        if all_words < MIN_NOTE_WORDS && !block.time_slot {
            if let Some(last) = chunks.last_mut() {
                if last.words() + all_words <= MAX_NOTE_WORDS {
                    let all = layout(lines, &parents, block.heading, &block.body, None);
                    last.entries.push((all[0].0, String::new()));
                    last.entries.extend(all);
                    continue;
                }
            }
        }
        for (k, part) in split_entries(entries, MAX_NOTE_WORDS)
            .into_iter()
            .enumerate()
        {
            chunks.push(Chunk {
                heading: title,
                owns_heading: k == 0,
                entries: part,
            });
        }
    }
    let mut orphans = Vec::new();
    if !pending.is_empty() {
        let entries = layout(lines, &pending, None, &[], None);
        match chunks.last_mut() {
            Some(last) if last.words() + entries_words(&entries) <= MAX_NOTE_WORDS => {
                last.entries.push((pending[0], String::new()));
                last.entries.extend(entries);
            }
            _ => orphans = pending,
        }
    }
    (chunks, orphans)
}

fn title_for(label: Option<&str>, heading: Option<&str>, text: &str) -> String {
    let heading = heading.map(|h| short_title(h.trim_end_matches([':', '：']).trim()));
    match (label, heading) {
        (Some(label), Some(heading)) => format!("{label}{TITLE_SEPARATOR}{heading}"),
        (Some(label), None) => label.to_string(),
        (None, Some(heading)) => heading,
        (None, None) => title_from_line(text.lines().next().unwrap_or("notes")),
    }
}

/// Parse free-form notes into note chunks.
pub fn parse(source: &str, text: &str) -> ParsedFile {
    let lines: Vec<&str> = text.lines().collect();
    let kinds = classify(&lines);
    let mut ids = IdAllocator::new(source);
    let mut out = ParsedFile::default();

    for group in groups(&kinds) {
        let label = group.label.map(|l| lines[l].trim());
        let blocks = blocks(&lines, &kinds, &group);
        if blocks.is_empty() {
            if let Some(l) = group.label {
                out.skipped.push(Skipped {
                    source: source.to_string(),
                    lines: Some(LineSpan::new(l + 1, l + 1)),
                    reason: "date without any notes under it".to_string(),
                });
            }
            continue;
        }
        let (chunks, orphans) = chunk_group(&lines, blocks);
        if let (Some(first), Some(last)) = (orphans.first(), orphans.last()) {
            out.skipped.push(Skipped {
                source: source.to_string(),
                lines: Some(LineSpan::new(first + 1, last + 1)),
                reason: "heading without any text under it".to_string(),
            });
        }
        for chunk in chunks {
            let body = clean_lines(chunk.entries.iter().map(|(_, t)| t.as_str()));
            if body.is_empty() {
                continue;
            }
            let content = chunk.entries.iter().filter(|(_, t)| !t.trim().is_empty());
            let first = content.clone().map(|(l, _)| *l).min().unwrap_or(0);
            let last = content.map(|(l, _)| *l).max().unwrap_or(first);
            let start = match chunk.heading {
                Some(h) if chunk.owns_heading => h.min(first),
                _ => first,
            };
            let heading = chunk.heading.map(|h| lines[h].trim());
            let title = title_for(label, chunk.heading.map(|h| heading_text(lines[h])), &body);
            let span = LineSpan::new(start + 1, last + 1);
            out.documents.push(Document::note(
                ids.id_for(&title),
                source,
                title,
                heading.map(str::to_string),
                body,
                span,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::model::{DocumentKind, SectionKind};

    fn titles(p: &ParsedFile) -> Vec<&str> {
        p.documents.iter().map(|d| d.title.as_str()).collect()
    }

    #[test]
    fn dates_and_headings_make_titles() {
        let text = "\
2024-03-14

Platform sync

We agreed to move the deploy freeze to Friday because the release train slips every \
week and people are tired of it; the team wants a calmer schedule and fewer surprises \
for on-call engineers, so the change starts next sprint.

2022年7月31日星期日

面试

https://example.com/questions
";
        let p = parse("n.txt", text);
        assert_eq!(
            titles(&p),
            ["2024-03-14 › Platform sync", "2022年7月31日星期日 › 面试"]
        );
        assert!(p.documents.iter().all(|d| d.kind == DocumentKind::Note));
        let first = &p.documents[0];
        assert_eq!(first.lines, LineSpan::new(3, 5));
        assert_eq!(first.sections[0].kind, SectionKind::Body);
        assert_eq!(first.sections[0].heading.as_deref(), Some("Platform sync"));
        assert!(first.sections[0].text.starts_with("We agreed"));
        assert_eq!(p.documents[1].lines, LineSpan::new(9, 11));
    }

    #[test]
    fn parent_headings_and_small_blocks() {
        let text = "\
Kubernetes

How to expose services

Ingress, a load balancer per service, or node ports: each has a cost in money, in \
operations and in how much of the cluster the outside world can see, and the right \
choice depends on the traffic and on the team that owns it.

Tiny

two words of text.

Retro
";
        let p = parse("n.txt", text);
        // The shorter of two stacked headings names the chunk; the other stays in the text.
        assert_eq!(titles(&p), ["Kubernetes"]);
        let body = &p.documents[0].sections[0].text;
        assert!(
            body.starts_with("How to expose services\n\nIngress"),
            "{body}"
        );
        assert!(body.contains("Tiny\n\ntwo words of text."), "{body}");
        assert!(body.ends_with("Retro"), "{body}");
        assert_eq!(p.documents[0].lines, LineSpan::new(1, 11));
        assert!(p.skipped.is_empty());
    }

    #[test]
    fn a_short_first_line_does_not_steal_the_title() {
        let text =
            "2018-10-28\n\nCache warming\n\nA -> cache -> B\n- key point one\n- key point two\n";
        let p = parse("n.txt", text);
        assert_eq!(titles(&p), ["2018-10-28 › Cache warming"]);
        assert!(p.documents[0].sections[0]
            .text
            .starts_with("A -> cache -> B\n- key point one"));
        assert_eq!(p.documents[0].lines, LineSpan::new(3, 7));
    }

    #[test]
    fn days_and_time_slots() {
        let text = "\
CONF NOTES
----------
Day 2
-----
09:00 keynote:
- short

10:30 talk about queues:
- backpressure
";
        let p = parse("c.txt", text);
        assert_eq!(
            titles(&p),
            ["Day 2 › 09:00 keynote", "Day 2 › 10:30 talk about queues"]
        );
        assert_eq!(p.documents[0].lines, LineSpan::new(5, 6));
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].lines, Some(LineSpan::new(1, 1)));
    }

    #[test]
    fn long_text_is_split_within_the_limit() {
        let sentence = "This sentence has exactly eight words in it. ";
        let giant = sentence.repeat(100);
        let paragraphs = (0..12)
            .map(|i| format!("Paragraph {i} {}", "word ".repeat(40)))
            .collect::<Vec<_>>();
        let text = format!("Topic\n\n{giant}\n\n{}\n", paragraphs.join("\n\n"));
        let p = parse("n.txt", &text);
        assert!(p.documents.len() > 5);
        for doc in &p.documents {
            let words = word_count(&doc.sections[0].text);
            assert!(words <= MAX_NOTE_WORDS, "{words} words in {}", doc.id);
            assert_eq!(doc.title, "Topic");
        }
        let ids: std::collections::HashSet<_> = p.documents.iter().map(|d| &d.id).collect();
        assert_eq!(ids.len(), p.documents.len());
        assert_eq!(p.documents[0].lines, LineSpan::new(1, 3));
        assert_eq!(p.documents[1].lines, LineSpan::new(3, 3));
    }

    #[test]
    fn line_kinds() {
        assert!(is_date_line("2018年10月28日星期日"));
        assert!(is_date_line("2024-03-14"));
        assert!(is_date_line("March 14, 2024"));
        assert!(is_date_line("Thursday, 2024-03-14"));
        assert!(!is_date_line("2024 was a good year"));
        assert!(is_time_slot("16:10 microservices at Monzo:"));
        assert!(is_time_slot("0900 keynote:"));
        assert!(!is_time_slot("2019 was a good year"));
        assert!(!is_time_slot("1:1 meetings matter."));
        assert!(is_day_line("Day 3"));
        assert!(!is_day_line(
            "Day 2 of the conference started with an introduction from the chairs"
        ));
        assert!(is_plain_heading("Double proxy"));
        assert!(!is_plain_heading("- a bullet"));
        assert!(!is_plain_heading("https://example.com"));
        assert!(!is_plain_heading("A sentence."));
        assert!(!is_plain_heading("   indented"));
    }

    #[test]
    fn chinese_sentences_split() {
        let line = "这是一个很长的句子。".repeat(60);
        let pieces = split_sentences(&line, 50);
        assert!(pieces.len() > 1);
        assert!(pieces.iter().all(|p| word_count(p) <= 50));
        let cjk_only = "字".repeat(500);
        assert!(split_words(&cjk_only, 100, Packing::Even)
            .iter()
            .all(|p| word_count(p) <= 100));
    }
}
