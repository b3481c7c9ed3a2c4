//! From chunk hits to ranked stories: story-level aggregation and fusion.

// Three ranked chunk lists can come back from the store for one question: dense
// (cosine to the question), BM25, and dense against the *competency prototype* of
// the question (the mean vector of the example questions of the competencies the
// question asks about). Each list is first aggregated per story (best chunk, section
// weighted, plus a small bonus when a second section matches too); the story lists are
// then fused (see [`Fusion`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use crate::config::{Fusion, RankingSettings, SectionWeights};
use crate::corpus::SectionKind;
use crate::store::ChunkHit;

/// Which ranking to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Dense cosine only, a story scores as its best chunk (the baseline).
    Dense,
    /// Qdrant's BM25 only, a story scores as its best chunk.
    Bm25,
    /// Dense + BM25 + competency, fused as configured in [`RankingSettings`].
    Hybrid,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Dense, Method::Bm25, Method::Hybrid];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Dense => "dense",
            Method::Bm25 => "bm25",
            Method::Hybrid => "hybrid",
        }
    }
}

impl SectionWeights {
    pub fn weight(&self, section: SectionKind) -> f32 {
        match section {
            SectionKind::Preamble | SectionKind::Body => self.preamble,
            SectionKind::Situation => self.situation,
            SectionKind::Task => self.task,
            SectionKind::Action => self.action,
            SectionKind::Result => self.result,
            SectionKind::Learnings => self.learnings,
        }
    }
}

/// Per-story values from one ranked chunk list.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// Section-weighted best chunk plus the second-chunk bonus.
    pub score: f32,
    /// Unweighted score of the best chunk.
    pub best: f32,
    /// Index into the list of the best chunk (by weighted score).
    pub best_hit: usize,
}

/// Aggregate one chunk list per story (doc id -> aggregate).
pub fn aggregate(
    hits: &[ChunkHit],
    weights: &SectionWeights,
    second_bonus: f32,
) -> HashMap<String, Aggregate> {
    // (weighted score, hit index), best two per story.
    let mut tops: HashMap<&str, [(f32, usize); 2]> = HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        let w = weights.weight(hit.payload.section) * hit.score;
        let entry = tops
            .entry(hit.payload.doc_id.as_str())
            .or_insert([(f32::NEG_INFINITY, usize::MAX); 2]);
        if w > entry[0].0 {
            entry[1] = entry[0];
            entry[0] = (w, i);
        } else if w > entry[1].0 {
            entry[1] = (w, i);
        }
    }
    tops.into_iter()
        .map(|(doc, [first, second])| {
            let bonus = if second.1 == usize::MAX {
                0.0
            } else {
                second_bonus * second.0.max(0.0)
            };
            (
                doc.to_string(),
                Aggregate {
                    score: first.0 + bonus,
                    best: hits[first.1].score,
                    best_hit: first.1,
                },
            )
        })
        .collect()
}

/// One story's scores for a question.
#[derive(Debug, Clone)]
pub struct StoryScore {
    pub doc_id: String,
    /// The ranking score (scale depends on the method; higher is better).
    pub score: f32,
    /// Cosine of the story's best chunk to the question (the floor of the dense list
    /// when the story was not in it).
    pub dense: f32,
    /// BM25 of the story relative to the best story of this question, 0..=1.
    pub bm25: f32,
    /// BM25 of the story's best chunk, as the store scored it.
    pub bm25_raw: f32,
    /// Cosine of the story's best chunk to the question's competency prototype.
    pub competency: f32,
    /// Mean cosine of the story's two sentences closest to the question (set by the
    /// rerank stage; 0 when not reranked).
    pub sentence: f32,
    /// Cosine of the story's closest author tag to the question's competencies
    /// (set by the rerank stage; 0 without tags).
    pub tag: f32,
    /// The chunk shown as the best passage.
    pub hit: ChunkHit,
}

/// The chunk lists of one question.
#[derive(Debug, Default)]
pub struct Lists {
    pub dense: Vec<ChunkHit>,
    pub bm25: Vec<ChunkHit>,
    pub competency: Vec<ChunkHit>,
    /// Qdrant's fused list (only for [`Fusion::Qdrant`]).
    pub fused: Vec<ChunkHit>,
    /// Dense hits for the question as asked (when the core differs).
    pub dense_full: Vec<ChunkHit>,
}

/// Rank stories for `method` from the lists; best first, ties by doc id.
pub fn rank(method: Method, lists: &Lists, settings: &RankingSettings) -> Vec<StoryScore> {
    let plain = SectionWeights::default();
    let (weights, bonus) = match method {
        Method::Hybrid => (&settings.section_weights, settings.second_chunk_bonus),
        _ => (&plain, 0.0),
    };
    let dense = aggregate(&lists.dense, weights, bonus);
    let bm25 = aggregate(&lists.bm25, weights, bonus);
    let comp = aggregate(&lists.competency, weights, bonus);
    let dense_floor = floor(&lists.dense);
    let comp_floor = floor(&lists.competency);
    let bm25_max = bm25.values().map(|a| a.score).fold(0.0f32, f32::max);

    let mut ids: Vec<&String> = match method {
        Method::Dense => dense.keys().collect(),
        Method::Bm25 => bm25.keys().collect(),
        Method::Hybrid => dense.keys().chain(bm25.keys()).collect(),
    };
    ids.sort();
    ids.dedup();

    let ranks = |m: &HashMap<String, Aggregate>| -> HashMap<String, usize> {
        let mut v: Vec<(&String, f32)> = m.iter().map(|(k, a)| (k, a.score)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v.into_iter()
            .enumerate()
            .map(|(i, (k, _))| (k.clone(), i + 1))
            .collect()
    };
    let (dense_rank, bm25_rank, comp_rank) = if settings.fusion == Fusion::Rrf {
        (ranks(&dense), ranks(&bm25), ranks(&comp))
    } else {
        Default::default()
    };
    let fused = match (method, settings.fusion) {
        (Method::Hybrid, Fusion::Qdrant) => aggregate(&lists.fused, weights, bonus),
        (Method::Hybrid, Fusion::ChunkRrf) => {
            aggregate(&chunk_rrf(lists, settings), weights, bonus)
        }
        _ => HashMap::new(),
    };

    let mut out: Vec<StoryScore> = ids
        .into_iter()
        .map(|id| {
            let d = dense.get(id);
            let b = bm25.get(id);
            let c = comp.get(id);
            let dense_score = d.map_or(dense_floor, |a| a.score);
            let bm25_rel = match (b, bm25_max > 0.0) {
                (Some(a), true) => a.score / bm25_max,
                _ => 0.0,
            };
            let comp_score = c.map_or(comp_floor, |a| a.score);
            let score = match method {
                Method::Dense => dense_score,
                Method::Bm25 => b.map_or(0.0, |a| a.score),
                Method::Hybrid => match settings.fusion {
                    Fusion::Score => {
                        dense_score
                            + settings.bm25_weight * bm25_rel
                            + settings.competency_weight * comp_score
                    }
                    Fusion::Rrf => {
                        let k = settings.rrf_k;
                        let rr = |r: Option<&usize>| r.map_or(0.0, |r| 1.0 / (k + *r as f32));
                        rr(dense_rank.get(id))
                            + settings.bm25_weight * rr(bm25_rank.get(id))
                            + settings.competency_weight * rr(comp_rank.get(id))
                    }
                    Fusion::Qdrant | Fusion::ChunkRrf => fused.get(id).map_or(0.0, |a| a.score),
                    Fusion::Saturated => {
                        let raw = b.map_or(0.0, |a| a.score).max(0.0);
                        dense_score
                            + settings.bm25_weight * raw / (raw + settings.bm25_saturation)
                            + settings.competency_weight * comp_score
                    }
                },
            };
            let score = match method {
                Method::Hybrid => {
                    let n = d.or(b).map_or(1, |a| {
                        let hits = if d.is_some() {
                            &lists.dense
                        } else {
                            &lists.bm25
                        };
                        hits[a.best_hit].payload.chunk_count.max(1)
                    });
                    score - settings.length_penalty * (n as f32).ln()
                }
                _ => score,
            };
            // The passage shown: the best dense chunk, else the best BM25 chunk.
            let hit = match (d, b) {
                (Some(a), _) => lists.dense[a.best_hit].clone(),
                (None, Some(a)) => lists.bm25[a.best_hit].clone(),
                (None, None) => unreachable!("a candidate comes from one of the lists"),
            };
            StoryScore {
                doc_id: id.clone(),
                score,
                dense: d.map_or(dense_floor, |a| a.best),
                bm25: bm25_rel,
                bm25_raw: b.map_or(0.0, |a| a.best),
                competency: comp_score,
                sentence: 0.0,
                tag: 0.0,
                hit,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.dense.total_cmp(&a.dense))
            .then_with(|| a.doc_id.cmp(&b.doc_id))
    });
    out
}

/// Fuse the chunk lists by weighted reciprocal rank: a chunk scores
/// `Σ weight / (rrf_k + rank)` over the lists it is in (rank from 1).
fn chunk_rrf(lists: &Lists, settings: &RankingSettings) -> Vec<ChunkHit> {
    let mut fused: HashMap<(&str, usize), (f32, &ChunkHit)> = HashMap::new();
    let k = settings.rrf_k;
    for (list, weight) in [
        (&lists.dense, 1.0),
        (&lists.dense_full, settings.full_list_weight),
        (&lists.bm25, settings.bm25_weight),
        (&lists.competency, settings.competency_weight),
    ] {
        if weight == 0.0 {
            continue;
        }
        for (rank, hit) in list.iter().enumerate() {
            let key = (hit.payload.doc_id.as_str(), hit.payload.chunk_index);
            let entry = fused.entry(key).or_insert((0.0, hit));
            entry.0 += weight / (k + rank as f32 + 1.0);
        }
    }
    let mut out: Vec<ChunkHit> = fused
        .into_values()
        .map(|(score, hit)| ChunkHit {
            score,
            payload: hit.payload.clone(),
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// Re-score the first `depth` stories with their sentence scores and re-sort them
/// (the rest keep their order below them).
pub fn rerank(stories: &mut [StoryScore], depth: usize, settings: &RankingSettings) {
    let depth = depth.min(stories.len());
    for s in stories[..depth].iter_mut() {
        s.score += settings.sentence_weight * s.sentence
            + settings.tag_weight * (s.tag - settings.tag_threshold).max(0.0);
    }
    stories[..depth].sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.dense.total_cmp(&a.dense))
            .then_with(|| a.doc_id.cmp(&b.doc_id))
    });
}

/// The mean of the two highest values (the highest alone when there is one).
pub fn top_two_mean(values: impl Iterator<Item = f32>) -> f32 {
    let mut top = [f32::NEG_INFINITY; 2];
    for v in values {
        if v > top[0] {
            top[1] = top[0];
            top[0] = v;
        } else if v > top[1] {
            top[1] = v;
        }
    }
    match (top[0].is_finite(), top[1].is_finite()) {
        (true, true) => (top[0] + top[1]) / 2.0,
        (true, false) => top[0],
        _ => 0.0,
    }
}

/// The lowest score of a list: what a story missing from it scores at most.
fn floor(hits: &[ChunkHit]) -> f32 {
    hits.iter().map(|h| h.score).reduce(f32::min).unwrap_or(0.0)
}

/// The core of a behavioral question: the interview frame ("Tell me about a time
/// you", "Describe a situation where", "Give an example of", ...) removed, so that
/// the search matches what the question is about rather than how questions sound.
/// Returns the question unchanged when no frame is found or nothing would remain.
pub fn question_core(question: &str) -> &str {
    use std::sync::OnceLock;
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?ix)^\s*
            (?:please\s+)?(?:can|could|would)?\s*(?:you\s+)?
            (?:tell\s+(?:me|us)\s+about|tell\s+me|describe|share|talk\s+(?:me\s+)?about|
               give\s+(?:me\s+|us\s+)?an?\s+example\s+of|walk\s+me\s+through|
               have\s+you\s+ever|how\s+(?:did|do|have)\s+you|when\s+did\s+you)\s+
            (?:(?:a|an|one|the)\s+(?:specific\s+|recent\s+)?
               (?:time|situation|moment|occasion|case|instance|period)\s*,?\s*
               (?:when|where|in\s+which|that|during\s+which)?\s*)?
            (?:you\s+)?",
        )
        .expect("valid regex")
    });
    match re.find(question) {
        Some(m) if m.end() > 0 && question[m.end()..].split_whitespace().count() >= 2 => {
            &question[m.end()..]
        }
        _ => question,
    }
}

/// Add `weight / (k + rank)` to each story by its rank in `sentence_scores` (doc id,
/// score; any order), add stories that only the sentence list found, and re-sort.
pub fn fuse_sentence_list(
    stories: &mut Vec<StoryScore>,
    sentence_scores: &[(String, f32, ChunkHit)],
    weight: f32,
    k: f32,
) {
    let mut ranked: Vec<&(String, f32, ChunkHit)> = sentence_scores.iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let floor = stories
        .iter()
        .map(|s| s.dense)
        .reduce(f32::min)
        .unwrap_or(0.0);
    for (i, (doc, sentence, hit)) in ranked.into_iter().enumerate() {
        let add = weight / (k + i as f32 + 1.0);
        match stories.iter_mut().find(|s| &s.doc_id == doc) {
            Some(s) => {
                s.score += add;
                s.sentence = *sentence;
            }
            None => stories.push(StoryScore {
                doc_id: doc.clone(),
                score: add,
                dense: floor,
                bm25: 0.0,
                bm25_raw: 0.0,
                competency: 0.0,
                sentence: *sentence,
                tag: 0.0,
                hit: hit.clone(),
            }),
        }
    }
    stories.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.dense.total_cmp(&a.dense))
            .then_with(|| a.doc_id.cmp(&b.doc_id))
    });
}

/// The question in the first person, the voice stories are written in: "you were"
/// becomes "I was", "your" "my", "you" "I" (or "me" after a preposition).
pub fn first_person(text: &str) -> String {
    use std::sync::OnceLock;
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\b(?:(to|with|for|about|at|from|of|by|on|against)\s+you\b|you\s+were\b|you\s+are\b|you're\b|you've\b|you'd\b|you'll\b|yourself\b|yours\b|your\b|you\b)",
        )
        .expect("valid regex")
    });
    re.replace_all(text, |c: &regex::Captures<'_>| {
        if let Some(prep) = c.get(1) {
            return format!("{} me", prep.as_str());
        }
        let m = c[0].to_lowercase();
        let m: String = m.split_whitespace().collect::<Vec<_>>().join(" ");
        match m.as_str() {
            "you were" => "I was",
            "you are" | "you're" => "I am",
            "you've" => "I have",
            "you'd" => "I would",
            "you'll" => "I will",
            "yourself" => "myself",
            "yours" => "mine",
            "your" => "my",
            _ => "I",
        }
        .to_string()
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{DocumentKind, LineSpan};
    use crate::store::ChunkPayload;

    fn hit(doc: &str, section: SectionKind, score: f32) -> ChunkHit {
        ChunkHit {
            score,
            payload: ChunkPayload {
                user: "u".into(),
                doc_id: doc.into(),
                content_hash: "h".into(),
                kind: DocumentKind::Story,
                section,
                source: "s".into(),
                title: doc.into(),
                tags: vec![],
                doc_lines: LineSpan::new(1, 2),
                lines: LineSpan::new(1, 2),
                chunk_index: 0,
                chunk_count: 1,
                text: "t".into(),
            },
        }
    }

    #[test]
    fn the_interview_frame_is_removed() {
        for (q, core) in [
            (
                "Tell me about a time you disagreed with your manager.",
                "disagreed with your manager.",
            ),
            (
                "Describe a situation where leadership insisted on X.",
                "leadership insisted on X.",
            ),
            (
                "Give me an example of a time when you failed badly.",
                "failed badly.",
            ),
            (
                "How did you get teams to adopt it?",
                "get teams to adopt it?",
            ),
            (
                "Tell me about the hardest bug you debugged.",
                "the hardest bug you debugged.",
            ),
            (
                "What is a project that failed?",
                "What is a project that failed?",
            ),
            ("Tell me about a time.", "Tell me about a time."),
        ] {
            assert_eq!(question_core(q), core, "{q}");
        }
    }

    #[test]
    fn questions_turn_into_the_first_person() {
        assert_eq!(
            first_person("disagreed with your manager and you were right, as he said to you"),
            "disagreed with my manager and I was right, as he said to me"
        );
        assert_eq!(first_person("Have you ever led?"), "Have I ever led?");
    }

    #[test]
    fn a_story_scores_as_its_best_chunk_by_default() {
        let hits = vec![
            hit("a", SectionKind::Situation, 0.6),
            hit("b", SectionKind::Action, 0.5),
            hit("a", SectionKind::Action, 0.4),
        ];
        let ranked = rank(
            Method::Dense,
            &Lists {
                dense: hits,
                ..Lists::default()
            },
            &RankingSettings::default(),
        );
        assert_eq!(ranked[0].doc_id, "a");
        assert!((ranked[0].score - 0.6).abs() < 1e-6);
        assert_eq!(ranked[0].hit.payload.section, SectionKind::Situation);
    }

    #[test]
    fn section_weights_and_bonus_change_the_order_in_hybrid() {
        let lists = Lists {
            dense: vec![
                hit("a", SectionKind::Situation, 0.6),
                hit("b", SectionKind::Action, 0.58),
                hit("b", SectionKind::Result, 0.5),
            ],
            ..Lists::default()
        };
        let settings = RankingSettings {
            fusion: Fusion::Score,
            competency_weight: 0.0,
            bm25_weight: 0.0,
            second_chunk_bonus: 0.1,
            section_weights: SectionWeights {
                situation: 0.9,
                ..SectionWeights::default()
            },
            ..RankingSettings::default()
        };
        let ranked = rank(Method::Hybrid, &lists, &settings);
        assert_eq!(ranked[0].doc_id, "b");
        assert!((ranked[0].score - (0.58 + 0.05)).abs() < 1e-6);
    }

    #[test]
    fn bm25_only_stories_join_the_hybrid_pool() {
        let lists = Lists {
            dense: vec![hit("a", SectionKind::Action, 0.5)],
            bm25: vec![hit("b", SectionKind::Action, 7.0)],
            ..Lists::default()
        };
        let ranked = rank(Method::Hybrid, &lists, &RankingSettings::default());
        assert_eq!(ranked.len(), 2);
        let b = ranked.iter().find(|s| s.doc_id == "b").unwrap();
        assert_eq!(b.bm25, 1.0);
        assert_eq!(b.dense, 0.5, "missing from the dense list: its floor");
    }
}
