//! Splitting documents into embeddable chunks that fit the model's window.

// all-MiniLM-L6-v2 reads at most 256 tokens, so a story is embedded per section:
// each S/T/A/R/Learnings/preamble section becomes one chunk (long sections are split
// at line, then sentence, boundaries into pieces of at most [`MAX_CHUNK_WORDS`]
// words; a CJK character counts as a word), and tiny sections are merged into the
// next one so that no vector is computed from three words. A story with no
// sections (a title-only stub) becomes one chunk holding its title.
//
// Every chunk is embedded with its document's title and tags in front, so a chunk
// of the Action section still "knows" which story it belongs to; the payload keeps
// the bare text for display.

use crate::corpus::{word_count, Document, LineSpan, SectionKind};
use crate::text::{sentences, split_words, Packing, SentenceRules};

/// Upper bound of words per chunk: ~160 English words is ~210 WordPiece tokens,
/// leaving room for the title prefix inside the 256-token window.
pub const MAX_CHUNK_WORDS: usize = 160;
/// Sections shorter than this are merged with the following section.
pub const MIN_CHUNK_WORDS: usize = 12;

/// One piece of a document to embed and store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub index: usize,
    pub section: SectionKind,
    /// The text shown to users.
    pub text: String,
    /// The text the dense and sparse vectors are computed from.
    pub embed_text: String,
    pub lines: LineSpan,
}

/// Split a document into chunks, in document order.
pub fn chunk_document(doc: &Document) -> Vec<Chunk> {
    let prefix = embed_prefix(&doc.title, &doc.tags);
    let mut pieces: Vec<(SectionKind, String, LineSpan)> = Vec::new();
    let mut pending: Option<(SectionKind, String, LineSpan)> = None;
    for section in &doc.sections {
        let text = section.text.trim();
        if text.is_empty() {
            continue;
        }
        let labelled = match &section.heading {
            Some(h) if doc.kind == crate::corpus::DocumentKind::Story => format!("{h}: {text}"),
            _ => text.to_string(),
        };
        let merged = match pending.take() {
            Some((kind, prev, lines)) => (
                kind,
                format!("{prev}\n{labelled}"),
                LineSpan::new(lines.start, section.lines.end),
            ),
            None => (section.kind, labelled, section.lines),
        };
        if word_count(&merged.1) < MIN_CHUNK_WORDS {
            pending = Some(merged);
        } else {
            pieces.push(merged);
        }
    }
    if let Some(rest) = pending {
        match pieces.last_mut() {
            Some(last) if word_count(&last.1) + word_count(&rest.1) <= MAX_CHUNK_WORDS => {
                last.1 = format!("{}\n{}", last.1, rest.1);
                last.2.end = last.2.end.max(rest.2.end);
            }
            _ => pieces.push(rest),
        }
    }
    if pieces.is_empty() {
        return vec![Chunk {
            index: 0,
            section: SectionKind::Preamble,
            text: doc.title.clone(),
            embed_text: embedding_text(&doc.title, &doc.tags, None),
            lines: doc.lines,
        }];
    }
    let mut chunks = Vec::new();
    for (kind, text, lines) in pieces {
        for part in split_to_limit(&text, MAX_CHUNK_WORDS) {
            chunks.push(Chunk {
                index: chunks.len(),
                section: kind,
                embed_text: format!("{prefix}{part}"),
                text: part,
                lines,
            });
        }
    }
    chunks
}

/// What a chunk's vectors are computed from ([`Chunk::embed_text`]): its document's
/// title and tags, then its text; `None` for the one chunk of a document with no text
/// (its title and tags alone). Rebuilt from a stored payload by `starcoach reindex`.
pub fn embedding_text(title: &str, tags: &[String], text: Option<&str>) -> String {
    let prefix = embed_prefix(title, tags);
    match text {
        Some(text) => format!("{prefix}{text}"),
        None => prefix.trim_end_matches(['\n', ' ']).to_string(),
    }
}

fn embed_prefix(title: &str, tags: &[String]) -> String {
    if tags.is_empty() {
        format!("{title}\n")
    } else {
        format!("{title} [{}]\n", tags.join(", "))
    }
}

/// Split text into pieces of at most `limit` words, preferring line breaks, then
/// sentence ends, then plain word boundaries.
fn split_to_limit(text: &str, limit: usize) -> Vec<String> {
    if word_count(text) <= limit {
        return vec![text.to_string()];
    }
    let mut units: Vec<String> = Vec::new();
    for line in text.lines() {
        if word_count(line) <= limit {
            units.push(line.to_string());
        } else {
            units.extend(split_sentences(line, limit));
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for unit in units {
        if !current.is_empty() && word_count(&current) + word_count(&unit) > limit {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&unit);
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// A line too long for one chunk, cut at every stop (see [`SentenceRules::CHUNKS`]),
/// a sentence still too long cut between words.
fn split_sentences(line: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in sentences(line, &SentenceRules::CHUNKS) {
        if word_count(sentence) <= limit {
            out.push(sentence.to_string());
        } else {
            out.extend(split_words(sentence, limit, Packing::Greedy));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{DocumentKind, Section};

    fn story(sections: Vec<(SectionKind, &str)>) -> Document {
        Document {
            id: "bank.md#s".into(),
            source: "bank.md".into(),
            kind: DocumentKind::Story,
            title: "Saving the launch".into(),
            tags: vec!["leadership".into()],
            sections: sections
                .into_iter()
                .enumerate()
                .map(|(i, (kind, text))| Section {
                    kind,
                    heading: None,
                    text: text.into(),
                    lines: LineSpan::new(i * 10 + 1, i * 10 + 5),
                })
                .collect(),
            lines: LineSpan::new(1, 100),
        }
    }

    #[test]
    fn one_chunk_per_section_with_title_prefix() {
        let long = "word ".repeat(40);
        let doc = story(vec![
            (SectionKind::Situation, &long),
            (SectionKind::Action, &long),
        ]);
        let chunks = chunk_document(&doc);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[1].section, SectionKind::Action);
        assert!(chunks[1]
            .embed_text
            .starts_with("Saving the launch [leadership]\n"));
        assert_eq!(chunks[1].lines, LineSpan::new(11, 15));
        assert_eq!(chunks[1].index, 1);
    }

    #[test]
    fn tiny_sections_merge_into_the_next() {
        let long = "word ".repeat(40);
        let doc = story(vec![
            (SectionKind::Task, "Fix performance"),
            (SectionKind::Action, &long),
        ]);
        let chunks = chunk_document(&doc);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].section, SectionKind::Task);
        assert!(chunks[0].text.starts_with("Fix performance\n"));
        assert_eq!(chunks[0].lines, LineSpan::new(1, 15));
    }

    #[test]
    fn long_sections_are_split_under_the_limit() {
        let sentence = "We measured the latency again and again. ".repeat(60);
        let doc = story(vec![(SectionKind::Action, &sentence)]);
        let chunks = chunk_document(&doc);
        assert!(chunks.len() >= 3);
        for chunk in &chunks {
            assert!(
                word_count(&chunk.text) <= MAX_CHUNK_WORDS,
                "{}",
                word_count(&chunk.text)
            );
        }
        let rejoined: usize = chunks.iter().map(|c| word_count(&c.text)).sum();
        assert_eq!(rejoined, word_count(&sentence));
    }

    #[test]
    fn unbroken_chinese_text_is_split_by_characters() {
        let text = "数".repeat(500);
        let doc = story(vec![(SectionKind::Body, &text)]);
        let chunks = chunk_document(&doc);
        assert_eq!(chunks.len(), 4);
        assert!(chunks
            .iter()
            .all(|c| word_count(&c.text) <= MAX_CHUNK_WORDS));
    }

    #[test]
    fn title_only_stub_becomes_one_chunk() {
        let doc = story(vec![]);
        let chunks = chunk_document(&doc);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, "Saving the launch");
        assert_eq!(chunks[0].embed_text, "Saving the launch [leadership]");
    }
}
