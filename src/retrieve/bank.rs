//! A user's stories as stored, held in memory: every story's chunks in order, for
//! evidence (sentences of the whole story) and coverage (the list of stories).

// Loaded with one store query and kept per user. It is checked against every match:
// when a hit's content hash or chunk count differs from the snapshot (the story was
// re-ingested) or names a story the snapshot lacks, the snapshot is loaded again.

use std::collections::BTreeMap;

use crate::corpus::{word_count, LineSpan, SectionKind};
use crate::store::ChunkPayload;

/// One chunk of a stored story.
#[derive(Debug, Clone)]
pub struct BankChunk {
    pub index: usize,
    pub section: SectionKind,
    pub text: String,
    pub lines: LineSpan,
}

/// One stored story.
#[derive(Debug, Clone)]
pub struct BankStory {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    pub tags: Vec<String>,
    pub lines: LineSpan,
    pub content_hash: String,
    pub chunk_count: usize,
    /// In chunk order.
    pub chunks: Vec<BankChunk>,
}

impl BankStory {
    /// Words of the whole story, and of its setup (preamble and situation).
    pub fn words(&self) -> (usize, usize) {
        let mut total = 0;
        let mut context = 0;
        for c in &self.chunks {
            let w = word_count(&c.text);
            total += w;
            if matches!(c.section, SectionKind::Situation | SectionKind::Preamble) {
                context += w;
            }
        }
        (context, total)
    }

    /// The story as text: its title, then its chunks in order.
    pub fn text(&self) -> String {
        let mut text = format!("{}\n", self.title);
        for chunk in &self.chunks {
            text.push_str(&chunk.text);
            text.push('\n');
        }
        text
    }
}

/// Snapshot of one user's stories.
#[derive(Debug, Default)]
pub struct Bank {
    stories: BTreeMap<String, BankStory>,
}

impl Bank {
    /// Build from every story chunk of the user (any order).
    pub fn from_chunks(chunks: Vec<ChunkPayload>) -> Self {
        let mut stories: BTreeMap<String, BankStory> = BTreeMap::new();
        for p in chunks {
            let story = stories
                .entry(p.doc_id.clone())
                .or_insert_with(|| BankStory {
                    doc_id: p.doc_id.clone(),
                    title: p.title.clone(),
                    source: p.source.clone(),
                    tags: p.tags.clone(),
                    lines: p.doc_lines,
                    content_hash: p.content_hash.clone(),
                    chunk_count: p.chunk_count,
                    chunks: Vec::new(),
                });
            story.chunks.push(BankChunk {
                index: p.chunk_index,
                section: p.section,
                text: p.text,
                lines: p.lines,
            });
        }
        for story in stories.values_mut() {
            story.chunks.sort_by_key(|c| c.index);
        }
        Self { stories }
    }

    pub fn get(&self, doc_id: &str) -> Option<&BankStory> {
        self.stories.get(doc_id)
    }

    pub fn stories(&self) -> impl Iterator<Item = &BankStory> {
        self.stories.values()
    }

    pub fn len(&self) -> usize {
        self.stories.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stories.is_empty()
    }

    /// True when the snapshot holds this hit's story in the same version, complete.
    pub fn is_current(&self, hit: &ChunkPayload) -> bool {
        self.stories.get(&hit.doc_id).is_some_and(|s| {
            s.content_hash == hit.content_hash
                && s.chunk_count == hit.chunk_count
                && s.chunks.len() == s.chunk_count
        })
    }
}
