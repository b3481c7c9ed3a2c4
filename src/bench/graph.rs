//! Dense search through a scope's HNSW graph against the exact scan it replaces, on
//! the same store in the same run: the graph's recall@10 and both latencies.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use crate::corpus::DocumentKind;
use crate::embed::Embedder;
use crate::store::dense::GRAPH_EF;
use crate::store::{EdgeOptions, EdgeStore, SearchMode, SearchQuery, Store};

use super::bank;
use super::table::{Figure, Row, Section, Target, Unit};

/// Chunks compared per question.
const TOP: usize = 10;

/// Two chunks whose cosines differ by less than this are tied.
const TIE: f32 = 1e-6;

/// Graph against exact scan over the same questions.
#[derive(Debug, Clone)]
pub struct GraphVsExact {
    pub questions: usize,
    /// Share of the scan's top 10 chunks the graph returned.
    pub recall: f64,
    /// Share of the graph's top 10 scoring at least the scan's 10th (ties count: a
    /// bank of near-copies has many chunks at the same cosine).
    pub tie_recall: f64,
    /// Mean of (scan's 10th cosine - graph's 10th cosine).
    pub tenth_shortfall: f64,
    pub graph_p50_ms: f64,
    pub exact_p50_ms: f64,
}

/// Open the store in `store_dir` with graph search on and search `user`'s stories for
/// `questions` distinct questions, once as the retriever does (top 10, which walks the
/// graph when the store has one) and once asking for more than a walk keeps (which
/// the store serves by an exact scan).
pub async fn measure(
    store_dir: &Path,
    embedder: &dyn Embedder,
    user: &str,
    questions: usize,
) -> anyhow::Result<GraphVsExact> {
    let options = EdgeOptions {
        graph_search: true,
        ..EdgeOptions::default()
    };
    let store = EdgeStore::open_with(store_dir, embedder.dimension(), &options)?;
    // Offset so that none of these is a question the load runs ask.
    let texts: Vec<String> = (0..questions)
        .map(|i| bank::question(1_000_000 + i, true))
        .collect();
    let vectors = embedder.embed(texts).await?;
    let (mut graph_ms, mut exact_ms) = (Vec::new(), Vec::new());
    let (mut found, mut expected, mut tied, mut shortfall) = (0, 0, 0, 0.0);
    for dense in vectors {
        let graph = SearchQuery {
            dense,
            text: String::new(),
            mode: SearchMode::Dense,
            kind: Some(DocumentKind::Story),
            limit: TOP,
        };
        let exact = SearchQuery {
            limit: GRAPH_EF + 1,
            ..graph.clone()
        };
        let started = Instant::now();
        let graph_hits = store.search(user, &graph).await?;
        graph_ms.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let exact_hits = store.search(user, &exact).await?;
        exact_ms.push(started.elapsed().as_secs_f64() * 1e3);

        let key = |h: &crate::store::ChunkHit| (h.payload.doc_id.clone(), h.payload.chunk_index);
        let exact_top = &exact_hits[..exact_hits.len().min(TOP)];
        let truth: HashSet<_> = exact_top.iter().map(key).collect();
        let got: HashSet<_> = graph_hits.iter().map(key).collect();
        found += truth.intersection(&got).count();
        expected += truth.len();
        if let (Some(exact_last), Some(graph_last)) = (exact_top.last(), graph_hits.last()) {
            tied += graph_hits
                .iter()
                .filter(|h| h.score >= exact_last.score - TIE)
                .count();
            shortfall += f64::from(exact_last.score - graph_last.score);
        }
    }
    Ok(GraphVsExact {
        questions,
        recall: found as f64 / expected.max(1) as f64,
        tie_recall: tied as f64 / expected.max(1) as f64,
        tenth_shortfall: shortfall / questions.max(1) as f64,
        graph_p50_ms: median(&mut graph_ms),
        exact_p50_ms: median(&mut exact_ms),
    })
}

/// The comparison as a table section for a bank of `stories`.
pub fn section(stories: usize, m: &GraphVsExact) -> Section {
    let exact = "exact scan, same questions";
    Section {
        title: format!("Dense search at {stories} stories: HNSW graph against exact scan"),
        rows: vec![
            Row::new(
                "store search, top 10 story chunks (median)",
                Figure::new(m.graph_p50_ms, Unit::Ms),
                exact,
                Some(Figure::new(m.exact_p50_ms, Unit::Ms)),
                Target::None,
            ),
            Row::new(
                "recall@10 of the graph, ties counted",
                Figure::new(m.tie_recall, Unit::Fraction),
                exact,
                Some(Figure::new(1.0, Unit::Fraction)),
                Target::AtLeast(0.95),
            ),
            Row::new(
                "recall@10 of the graph, by chunk",
                Figure::new(m.recall, Unit::Fraction),
                exact,
                Some(Figure::new(1.0, Unit::Fraction)),
                Target::None,
            ),
        ],
        notes: vec![format!(
            "{} questions not asked elsewhere in this run, embedded beforehand; each \
             searched at the store (no HTTP) through the graph (HNSW, ef {GRAPH_EF}) and \
             by an exact scan (a search for more than {GRAPH_EF} chunks, which the store \
             never sends through the graph). Recall by chunk: the share of the scan's top \
             10 chunks the graph returned. Ties counted: the share of the graph's top 10 \
             whose cosine reaches the scan's 10th (within {TIE}); the synthetic bank is \
             made of 16 topics, 8 actions and 6 results, so thousands of chunks are \
             near-copies and which of them fill a top 10 is arbitrary. The graph's 10th \
             cosine is on average {:.4} below the scan's.",
            m.questions, m.tenth_shortfall
        )],
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
