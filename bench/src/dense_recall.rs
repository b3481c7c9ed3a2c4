//! The store's dense search against an exact scan of float vectors, same store, same
//! run: recall@10 and both latencies.

// The store's dense search (int8 scan by default, the HNSW graph with graph search
// on) against an exact scan of float vectors, on the same store in the same run:
// recall@10 and both latencies.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use starcoach::corpus::DocumentKind;
use starcoach::embed::{Embedder, TextRole};
use starcoach::store::{EdgeOptions, EdgeStore, SearchMode, SearchQuery, Store};
use starcoach::store::{GRAPH_EF, RESCORE_OVERSAMPLING};

use super::bank;
use super::table::{Figure, Row, Section, Target, Unit};

/// Chunks compared per question.
const TOP: usize = 10;

/// Two chunks whose cosines differ by less than this are tied.
const TIE: f32 = 1e-6;

/// The store's dense search against an exact float scan over the same questions.
#[derive(Debug, Clone)]
pub struct AgainstExact {
    /// What the store's dense search is: "int8 scan" or "HNSW graph".
    pub method: &'static str,
    pub questions: usize,
    /// Share of the scan's top 10 chunks the store's search returned.
    pub recall: f64,
    /// Share of the search's top 10 scoring at least the scan's 10th (ties count: a
    /// bank of near-copies has many chunks at the same cosine).
    pub tie_recall: f64,
    /// Mean of (scan's 10th cosine - search's 10th cosine).
    pub tenth_shortfall: f64,
    pub search_p50_ms: f64,
    pub exact_p50_ms: f64,
}

/// Open the store in `store_dir` as `options` say and search `user`'s stories for
/// `questions` distinct questions, once as the retriever does (top 10: the int8
/// scan, or the graph with graph search on) and once by an exact scan of the float
/// vectors.
pub async fn measure(
    store_dir: &Path,
    options: &EdgeOptions,
    embedder: &dyn Embedder,
    user: &str,
    questions: usize,
) -> anyhow::Result<AgainstExact> {
    let store = EdgeStore::open_with(store_dir, embedder.dimension(), options)?;
    // Offset so that none of these is a question the load runs ask.
    let texts: Vec<String> = (0..questions)
        .map(|i| bank::question(1_000_000 + i, true))
        .collect();
    let vectors = embedder.embed(texts, TextRole::Document).await?;
    let (mut search_ms, mut exact_ms) = (Vec::new(), Vec::new());
    let (mut found, mut expected, mut tied, mut shortfall) = (0, 0, 0, 0.0);
    for dense in vectors {
        let query = SearchQuery {
            dense,
            text: String::new(),
            mode: SearchMode::Dense,
            kind: Some(DocumentKind::Story),
            limit: TOP,
        };
        let started = Instant::now();
        let search_hits = store.search(user, &query).await?;
        search_ms.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let exact_hits = store.search_exact(user, &query).await?;
        exact_ms.push(started.elapsed().as_secs_f64() * 1e3);

        let key =
            |h: &starcoach::store::ChunkHit| (h.payload.doc_id.clone(), h.payload.chunk_index);
        let exact_top = &exact_hits[..exact_hits.len().min(TOP)];
        let truth: HashSet<_> = exact_top.iter().map(key).collect();
        let got: HashSet<_> = search_hits.iter().map(key).collect();
        found += truth.intersection(&got).count();
        expected += truth.len();
        if let (Some(exact_last), Some(search_last)) = (exact_top.last(), search_hits.last()) {
            tied += search_hits
                .iter()
                .filter(|h| h.score >= exact_last.score - TIE)
                .count();
            shortfall += f64::from(exact_last.score - search_last.score);
        }
    }
    Ok(AgainstExact {
        method: if options.graph_search {
            "HNSW graph"
        } else {
            "int8 scan"
        },
        questions,
        recall: found as f64 / expected.max(1) as f64,
        tie_recall: tied as f64 / expected.max(1) as f64,
        tenth_shortfall: shortfall / questions.max(1) as f64,
        search_p50_ms: median(&mut search_ms),
        exact_p50_ms: median(&mut exact_ms),
    })
}

/// The comparison as a table section for a bank of `stories`.
pub fn section(stories: usize, m: &AgainstExact) -> Section {
    let exact = "exact float scan, same questions";
    let method = m.method;
    Section {
        title: format!("Dense search at {stories} stories: {method} against exact float scan"),
        rows: vec![
            Row::new(
                format!("store search, top 10 story chunks, {method} (median)"),
                Figure::new(m.search_p50_ms, Unit::Ms),
                exact,
                Some(Figure::new(m.exact_p50_ms, Unit::Ms)),
                Target::None,
            ),
            Row::new(
                format!("recall@10 of the {method}, ties counted"),
                Figure::new(m.tie_recall, Unit::Fraction),
                exact,
                Some(Figure::new(1.0, Unit::Fraction)),
                Target::AtLeast(0.95),
            ),
            Row::new(
                format!("recall@10 of the {method}, by chunk"),
                Figure::new(m.recall, Unit::Fraction),
                exact,
                Some(Figure::new(1.0, Unit::Fraction)),
                Target::None,
            ),
        ],
        notes: vec![format!(
            "{} questions not asked elsewhere in this run, embedded beforehand; each \
             searched at the store (no HTTP) the way the retriever searches ({method}; \
             the int8 scan rescores the best {RESCORE_OVERSAMPLING}x on float vectors, \
             the graph walks with ef {GRAPH_EF}) and by an exact scan of every float \
             vector. Recall by chunk: the share of the exact scan's top 10 chunks the \
             {method} returned. Ties counted: the share of the {method}'s top 10 whose \
             cosine reaches the exact scan's 10th (within {TIE}); the synthetic bank is \
             made of 16 topics, 8 actions and 6 results, so thousands of chunks are \
             near-copies and which of them fill a top 10 is arbitrary. The {method}'s \
             10th cosine is on average {:.4} below the exact scan's.",
            m.questions, m.tenth_shortfall
        )],
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
