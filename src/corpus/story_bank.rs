//! Parser for Markdown story banks: `### Title` starts a story, `#### Situation`,
//! `#### Task`, `#### Action(s)`, `#### Result(s)` and `#### Learnings` are its sections.

// - The story level is the heading level that owns STAR subsections (the most common
//   one), so `# Behavior Interview` and `## Group` headings are never stories.
// - A heading whose text is a section name (`### Actions` at story level) is a section
//   of the current story, never a new story.
// - Deeper non-section headings (`##### Why` inside Actions) stay in the section they
//   are in, as a line of text.
// - Lines of bracketed labels (`[Conflict Resolution] [leadership]`) become tags.
// - Text between the title and the first section is the preamble; a stub (a title and
//   a few bullets, or a title alone) is still a story.
// - A table of contents of `[x](#x)` links outside stories is ignored; other text
//   outside any story is reported as skipped.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use super::model::{Document, DocumentKind, LineSpan, ParsedFile, Section, SectionKind, Skipped};
use super::text::{clean_lines, IdAllocator};

/// A Markdown ATX heading outside code fences.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heading<'a> {
    /// 0-based line index.
    pub line: usize,
    pub level: usize,
    pub text: &'a str,
}

/// `(level, text)` of an ATX heading line (`### Title ###`), else `None`.
pub(crate) fn markdown_heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None;
    }
    let text = after.trim();
    // An optional closing sequence (`### Title ###`) follows whitespace; `C#` keeps it.
    let unclosed = text.trim_end_matches('#');
    if unclosed.len() != text.len() && (unclosed.is_empty() || unclosed.ends_with([' ', '\t'])) {
        return Some((level, unclosed.trim()));
    }
    Some((level, text))
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

/// All ATX headings outside fenced code blocks, in order.
pub(crate) fn markdown_headings(text: &str) -> Vec<Heading<'_>> {
    let mut in_fence = false;
    let mut out = Vec::new();
    for (line, raw) in text.lines().enumerate() {
        if is_fence(raw) {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some((level, text)) = markdown_heading(raw) {
            out.push(Heading { line, level, text });
        }
    }
    out
}

/// The STAR section a heading names (`Situation`, `Tasks`, `Actions:`, `Results`,
/// `Learnings`, case-insensitive), else `None`.
pub(crate) fn section_kind(heading: &str) -> Option<SectionKind> {
    let name = heading
        .trim()
        .trim_matches(|c: char| matches!(c, '*' | '_' | '`'))
        .trim_end_matches([':', '.', '：'])
        .trim()
        .to_lowercase();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(match name.as_str() {
        "situation" | "situations" | "context" | "background" => SectionKind::Situation,
        "task" | "tasks" => SectionKind::Task,
        "action" | "actions" => SectionKind::Action,
        "result" | "results" | "outcome" | "outcomes" => SectionKind::Result,
        "learning" | "learnings" | "lessons" | "lessons learned" | "lessons learnt"
        | "lesson learned" | "takeaways" => SectionKind::Learnings,
        _ => return None,
    })
}

/// A line made only of bracketed labels: `[cross team] [take initiative to improve]`.
fn tags_in_line(line: &str) -> Option<Vec<String>> {
    static TAG_LINE: OnceLock<Regex> = OnceLock::new();
    static TAG: OnceLock<Regex> = OnceLock::new();
    let line_re = TAG_LINE.get_or_init(|| Regex::new(r"^\s*(\[[^\[\]]+\]\s*)+$").expect("regex"));
    if !line_re.is_match(line) {
        return None;
    }
    let tag_re = TAG.get_or_init(|| Regex::new(r"\[([^\[\]]+)\]").expect("regex"));
    Some(
        tag_re
            .captures_iter(line)
            .map(|c| c[1].trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

/// A table-of-contents entry: a list item that is only a link to an anchor.
fn is_toc_line(line: &str) -> bool {
    static TOC: OnceLock<Regex> = OnceLock::new();
    TOC.get_or_init(|| {
        Regex::new(r"^\s*(?:[-+*]|\d+[.)])\s+\[[^\]]*\]\(#[^)]*\)\s*$").expect("regex")
    })
    .is_match(line)
}

/// The heading level of stories: the level of the headings that own STAR section
/// headings (most common; ties go to the shallower level). Without any section
/// heading, the most common heading level below `#`.
fn story_level(headings: &[Heading<'_>]) -> usize {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, h) in headings.iter().enumerate() {
        if section_kind(h.text).is_none() {
            continue;
        }
        let owner = headings[..i]
            .iter()
            .rev()
            .find(|o| o.level < h.level && section_kind(o.text).is_none());
        if let Some(owner) = owner {
            *counts.entry(owner.level).or_default() += 1;
        }
    }
    if counts.is_empty() {
        for h in headings.iter().filter(|h| section_kind(h.text).is_none()) {
            *counts.entry(h.level).or_default() += 1;
        }
        if counts.len() > 1 {
            counts.remove(&1);
        }
    }
    // Max by count; on a tie the first (shallowest) level wins.
    let mut best: Option<(usize, usize)> = None;
    for (level, count) in counts {
        if best.is_none_or(|(_, c)| count > c) {
            best = Some((level, count));
        }
    }
    best.map(|(level, _)| level).unwrap_or(2)
}

struct SectionDraft<'a> {
    kind: SectionKind,
    heading: Option<&'a str>,
    /// 0-based line of the heading (or of the first content line for the preamble).
    start: Option<usize>,
    lines: Vec<(usize, &'a str)>,
}

impl<'a> SectionDraft<'a> {
    fn new(kind: SectionKind, heading: Option<&'a str>, start: Option<usize>) -> Self {
        Self {
            kind,
            heading,
            start,
            lines: Vec::new(),
        }
    }

    fn build(self) -> Option<Section> {
        let text = clean_lines(self.lines.iter().map(|(_, l)| *l));
        if text.is_empty() {
            return None;
        }
        let content: Vec<usize> = self
            .lines
            .iter()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, _)| *i)
            .collect();
        let first = *content.first()?;
        let last = *content.last()?;
        let start = self.start.unwrap_or(first);
        Some(Section {
            kind: self.kind,
            heading: self.heading.map(str::to_string),
            text,
            lines: LineSpan::new(start + 1, last + 1),
        })
    }
}

struct StoryDraft<'a> {
    title: &'a str,
    heading_line: usize,
    last_line: usize,
    tags: Vec<String>,
    preamble: SectionDraft<'a>,
    sections: Vec<SectionDraft<'a>>,
}

impl<'a> StoryDraft<'a> {
    fn new(title: &'a str, line: usize) -> Self {
        Self {
            title,
            heading_line: line,
            last_line: line,
            tags: Vec::new(),
            preamble: SectionDraft::new(SectionKind::Preamble, None, None),
            sections: Vec::new(),
        }
    }

    fn push_line(&mut self, line: usize, text: &'a str) {
        let target = self.sections.last_mut().unwrap_or(&mut self.preamble);
        target.lines.push((line, text));
        if !text.trim().is_empty() {
            self.last_line = line;
        }
    }

    fn build(self, ids: &mut IdAllocator<'_>, source: &str) -> Document {
        let mut sections = Vec::new();
        sections.extend(self.preamble.build());
        sections.extend(self.sections.into_iter().filter_map(SectionDraft::build));
        let mut tags: Vec<String> = Vec::new();
        for tag in self.tags {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Document {
            id: ids.id_for(self.title),
            source: source.to_string(),
            kind: DocumentKind::Story,
            title: self.title.to_string(),
            tags,
            sections,
            lines: LineSpan::new(self.heading_line + 1, self.last_line + 1),
        }
    }
}

/// Text outside any story (not a heading, not a table of contents), reported once per
/// contiguous run.
struct Orphans {
    runs: Vec<(usize, usize)>,
}

impl Orphans {
    fn add(&mut self, line: usize) {
        match self.runs.last_mut() {
            Some((_, end)) if *end + 1 == line || *end + 2 == line => *end = line,
            _ => self.runs.push((line, line)),
        }
    }
}

/// Parse a Markdown story bank.
pub fn parse(source: &str, text: &str) -> ParsedFile {
    let lines: Vec<&str> = text.lines().collect();
    let headings = markdown_headings(text);
    let level = story_level(&headings);
    let heading_at: BTreeMap<usize, Heading<'_>> = headings.iter().map(|h| (h.line, *h)).collect();

    let mut ids = IdAllocator::new(source);
    let mut documents = Vec::new();
    let mut orphans = Orphans { runs: Vec::new() };
    let mut current: Option<StoryDraft<'_>> = None;
    let mut in_fence = false;

    for (i, raw) in lines.iter().enumerate() {
        let fence = is_fence(raw);
        if in_fence || fence {
            if fence {
                in_fence = !in_fence;
            }
            match current.as_mut() {
                Some(story) => story.push_line(i, raw),
                None => orphans.add(i),
            }
            continue;
        }
        if let Some(h) = heading_at.get(&i) {
            if let Some(kind) = section_kind(h.text) {
                match current.as_mut() {
                    Some(story) => {
                        story
                            .sections
                            .push(SectionDraft::new(kind, Some(h.text), Some(i)));
                        story.last_line = i;
                    }
                    None => orphans.add(i),
                }
            } else if h.level <= level {
                if let Some(story) = current.take() {
                    documents.push(story.build(&mut ids, source));
                }
                if h.level == level {
                    current = Some(StoryDraft::new(h.text, i));
                }
            } else {
                match current.as_mut() {
                    Some(story) => story.push_line(i, h.text),
                    None => orphans.add(i),
                }
            }
            continue;
        }
        match current.as_mut() {
            Some(story) => match tags_in_line(raw) {
                Some(tags) => {
                    story.tags.extend(tags);
                    story.last_line = i;
                }
                None => story.push_line(i, raw),
            },
            None => {
                if !raw.trim().is_empty() && !is_toc_line(raw) {
                    orphans.add(i);
                }
            }
        }
    }
    if let Some(story) = current.take() {
        documents.push(story.build(&mut ids, source));
    }

    let skipped = orphans
        .runs
        .into_iter()
        .map(|(start, end)| Skipped {
            source: source.to_string(),
            lines: Some(LineSpan::new(start + 1, end + 1)),
            reason: "text outside any story (no story heading above it)".to_string(),
        })
        .collect();
    ParsedFile { documents, skipped }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANK: &str = "\
# My stories

+ [Outage](#outage)
+ [Stub](#stub)

### Outage
[incident] [leadership]

It was a long night.

#### Situation
The site was down.

#### Actions
I paged people.

##### Why
Because nobody else did.

#### Results
- Back in 20 minutes

### Stub
- one bullet

### Bare title

### Talk
#### Task
Teach.
### Actions
Gave talks.
### Results
People learned.
";

    fn parsed() -> ParsedFile {
        parse("bank.md", BANK)
    }

    #[test]
    fn stories_and_titles() {
        let p = parsed();
        let titles: Vec<&str> = p.documents.iter().map(|d| d.title.as_str()).collect();
        assert_eq!(titles, ["Outage", "Stub", "Bare title", "Talk"]);
        assert!(p.documents.iter().all(|d| d.kind == DocumentKind::Story));
        assert!(p.skipped.is_empty(), "{:?}", p.skipped);
    }

    #[test]
    fn sections_tags_and_spans() {
        let p = parsed();
        let outage = &p.documents[0];
        assert_eq!(outage.tags, ["incident", "leadership"]);
        assert_eq!(outage.lines, LineSpan::new(6, 21));
        let kinds: Vec<SectionKind> = outage.sections.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SectionKind::Preamble,
                SectionKind::Situation,
                SectionKind::Action,
                SectionKind::Result
            ]
        );
        assert_eq!(outage.sections[0].text, "It was a long night.");
        assert_eq!(outage.sections[0].lines, LineSpan::new(9, 9));
        let action = &outage.sections[2];
        assert_eq!(action.heading.as_deref(), Some("Actions"));
        assert_eq!(
            action.text,
            "I paged people.\n\nWhy\nBecause nobody else did."
        );
        assert_eq!(action.lines, LineSpan::new(14, 18));
        assert_eq!(outage.sections[3].text, "- Back in 20 minutes");
    }

    #[test]
    fn stubs_and_story_level_section_headings() {
        let p = parsed();
        let stub = &p.documents[1];
        assert_eq!(stub.sections.len(), 1);
        assert_eq!(stub.sections[0].kind, SectionKind::Preamble);
        assert!(p.documents[2].sections.is_empty());
        assert_eq!(p.documents[2].lines, LineSpan::new(26, 26));
        let talk = &p.documents[3];
        let kinds: Vec<SectionKind> = talk.sections.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [SectionKind::Task, SectionKind::Action, SectionKind::Result]
        );
        assert_eq!(talk.sections[2].lines, LineSpan::new(33, 34));
    }

    #[test]
    fn section_names() {
        assert_eq!(section_kind("Actions"), Some(SectionKind::Action));
        assert_eq!(section_kind("TASKS:"), Some(SectionKind::Task));
        assert_eq!(section_kind("**Result**"), Some(SectionKind::Result));
        assert_eq!(section_kind("Learnings"), Some(SectionKind::Learnings));
        assert_eq!(section_kind("Action items for next year"), None);
    }

    #[test]
    fn headings_parse() {
        assert_eq!(markdown_heading("### Title ###"), Some((3, "Title")));
        assert_eq!(markdown_heading("#### Situation"), Some((4, "Situation")));
        assert_eq!(markdown_heading("#hashtag"), None);
        assert_eq!(markdown_heading("####### seven"), None);
        assert_eq!(
            markdown_heading("### Learning C#"),
            Some((3, "Learning C#"))
        );
    }

    #[test]
    fn text_outside_stories_is_reported() {
        let p = parse(
            "x.md",
            "# Title\n\nAn intro paragraph.\n\n### Story\n#### Situation\nS\n",
        );
        assert_eq!(p.documents.len(), 1);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].lines, Some(LineSpan::new(3, 3)));
    }

    #[test]
    fn code_fences_are_content() {
        let text = "### Story\n#### Action\n```\n#### Result\n```\n#### Result\nok\n";
        let p = parse("x.md", text);
        let story = &p.documents[0];
        assert_eq!(story.sections[0].kind, SectionKind::Action);
        assert!(story.sections[0].text.contains("#### Result"));
        assert_eq!(story.sections[1].kind, SectionKind::Result);
    }
}
