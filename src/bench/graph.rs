//! Dense search through a scope's HNSW graph against the exact scan it replaces, on
//! the same store in the same run: the graph's recall@10 and both latencies.

use std::collections::HashSet;
use std::time::Instant;

use crate::corpus::DocumentKind;
use crate::embed::Embedder;
use crate::store::dense::GRAPH_EF;
use crate::store::{SearchMode, SearchQuery, Store};

use super::bank;
use super::table::{Figure, Row, Section, Target, Unit};

/// Chunks compared per question.
const TOP: usize = 10;

/// Graph against exact scan over the same questions.
#[derive(Debug, Clone)]
pub struct GraphVsExact {
    pub questions: usize,
    pub recall: f64,
    pub graph_p50_ms: f64,
    pub exact_p50_ms: f64,
}

/// Search `user`'s stories for `questions` distinct questions, once as the retriever
/// does (top 10, which walks the graph when the store has one) and once asking for
/// more than a walk keeps (which the store serves by an exact scan).
pub async fn measure(
    store: &dyn Store,
    embedder: &dyn Embedder,
    user: &str,
    questions: usize,
) -> anyhow::Result<GraphVsExact> {
    // Offset so that none of these is a question the load runs ask.
    let texts: Vec<String> = (0..questions)
        .map(|i| bank::question(1_000_000 + i, true))
        .collect();
    let vectors = embedder.embed(texts).await?;
    let (mut graph_ms, mut exact_ms) = (Vec::new(), Vec::new());
    let (mut found, mut expected) = (0, 0);
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
        let truth: HashSet<_> = exact_hits.iter().take(TOP).map(key).collect();
        let got: HashSet<_> = graph_hits.iter().map(key).collect();
        found += truth.intersection(&got).count();
        expected += truth.len();
    }
    Ok(GraphVsExact {
        questions,
        recall: found as f64 / expected.max(1) as f64,
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
                "recall@10 of the graph",
                Figure::new(m.recall, Unit::Fraction),
                exact,
                Some(Figure::new(1.0, Unit::Fraction)),
                Target::AtLeast(0.95),
            ),
        ],
        notes: vec![format!(
            "{} questions not asked elsewhere in this run, embedded beforehand; each \
             searched at the store (no HTTP) through the graph (HNSW, ef {GRAPH_EF}) and \
             by an exact scan (a search for more than {GRAPH_EF} chunks, which the store \
             never sends through the graph). Recall: the graph's top 10 against the scan's.",
            m.questions
        )],
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
