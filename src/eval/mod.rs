//! Retrieval evaluation on a labeled set of behavioral questions.

// The labeled set (`tests/eval/questions.toml`) names banks of story files (ingested
// each as its own user) and questions with the stories that acceptably answer them,
// or none (the expected answer is a gap). Each question belongs to the `dev` half
// (used to choose methods, weights and thresholds) or the `heldout` half (only
// reported). [`run`] ingests the banks, ranks every question with the dense-only,
// BM25-only and hybrid methods, and reports hit@1, hit@3, MRR and gap-detection
// precision/recall per method, with the misses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use figment::providers::{Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::app::Coach;
use crate::config::Settings;
use crate::embed::EmbedError;
use crate::ingest::{IngestError, Ingestor, NoProgress};
use crate::retrieve::{MatchError, Method, RankedStory, Retriever};
use crate::store::{EdgeStore, Store, StoreError};

mod calibrate;
pub mod critique;
pub mod prep;
pub use calibrate::{fit_thresholds, FitCalibration};

/// Errors of an evaluation run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("labeled set {path}: {reason}")]
    Labels { path: String, reason: String },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Match(#[from] MatchError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("evaluation store directory {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Which half of the labeled set a question is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Dev,
    Heldout,
}

/// Which questions to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitFilter {
    Dev,
    Heldout,
    All,
}

impl SplitFilter {
    pub(crate) fn includes(self, split: Split) -> bool {
        match self {
            SplitFilter::Dev => split == Split::Dev,
            SplitFilter::Heldout => split == Split::Heldout,
            SplitFilter::All => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SplitFilter::Dev => "dev",
            SplitFilter::Heldout => "heldout",
            SplitFilter::All => "all",
        }
    }
}

impl std::str::FromStr for SplitFilter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [SplitFilter::Dev, SplitFilter::Heldout, SplitFilter::All]
            .into_iter()
            .find(|split| split.as_str() == s)
            .ok_or_else(|| format!("unknown split {s:?}: expected dev, heldout or all"))
    }
}

/// A bank of story files, ingested as one user.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BankSpec {
    /// Files or directories, relative to the label file's `root`.
    pub paths: Vec<String>,
}

/// One labeled question.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabeledQuestion {
    pub id: String,
    pub split: Split,
    pub bank: String,
    pub text: String,
    /// primary, paraphrase, secondary (the answer is a story's secondary theme),
    /// specific, or gap.
    pub kind: String,
    /// Acceptable stories: `dir/file#slug`, matched against the end of stored doc
    /// ids. Empty: no story fits, the right answer is a gap.
    #[serde(default)]
    pub accept: Vec<String>,
    /// The competency the question asks about (informative).
    #[serde(default)]
    pub competency: Option<String>,
}

impl LabeledQuestion {
    pub fn expects_gap(&self) -> bool {
        self.accept.is_empty()
    }

    pub fn accepts(&self, doc_id: &str) -> bool {
        self.accept
            .iter()
            .any(|a| doc_id == a || doc_id.ends_with(&format!("/{a}")))
    }
}

/// The labeled set file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSet {
    /// Directory the bank paths are relative to, relative to the label file.
    #[serde(default)]
    pub root: String,
    pub banks: BTreeMap<String, BankSpec>,
    pub question: Vec<LabeledQuestion>,
    #[serde(skip)]
    pub base: PathBuf,
}

impl LabelSet {
    /// Read and check a label file.
    pub fn load(path: &Path) -> Result<Self, EvalError> {
        let err = |reason: String| EvalError::Labels {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let mut set: LabelSet = Figment::from(Toml::string(&text))
            .extract()
            .map_err(|e| err(e.to_string()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        set.base = dir.join(&set.root);
        let mut ids = std::collections::HashSet::new();
        for q in &set.question {
            if !ids.insert(q.id.clone()) {
                return Err(err(format!("question id {} appears twice", q.id)));
            }
            if !set.banks.contains_key(&q.bank) {
                return Err(err(format!("question {}: unknown bank {:?}", q.id, q.bank)));
            }
        }
        Ok(set)
    }

    pub fn bank_paths(&self, bank: &str) -> Vec<PathBuf> {
        self.banks
            .get(bank)
            .map(|b| b.paths.iter().map(|p| self.base.join(p)).collect())
            .unwrap_or_default()
    }
}

/// The metrics of one method on one set of questions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MethodMetrics {
    pub method: Method,
    /// Questions with at least one acceptable story.
    pub answerable: usize,
    pub hit_at_1: f64,
    pub hit_at_3: f64,
    pub mrr: f64,
    /// Questions whose right answer is a gap.
    pub gap_expected: usize,
    pub gap_declared: usize,
    pub gap_correct: usize,
    pub gap_precision: f64,
    pub gap_recall: f64,
    /// How well fit scores separate acceptable stories from the others: over every
    /// pair of an acceptable and an unacceptable story in one question's top 5, the
    /// share where the acceptable one has the higher fit score (ties count half).
    /// `None` without such pairs.
    pub fit_separation: Option<f64>,
}

/// Metrics of every method on one split.
#[derive(Debug, Clone, Serialize)]
pub struct SplitReport {
    pub split: SplitFilter,
    pub questions: usize,
    pub methods: Vec<MethodMetrics>,
    /// How often the competency detected first is the labeled one.
    pub competency: CompetencyMetrics,
    /// The hybrid method's fit thresholds read off this split (use the dev half's).
    pub calibration: Option<FitCalibration>,
}

/// Question-to-competency mapping against the labels.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CompetencyMetrics {
    /// Questions with a labeled competency.
    pub labeled: usize,
    /// Share of those whose first detected competency is the labeled one.
    pub top1: f64,
    /// Share of those whose labeled competency is among the detected ones.
    pub detected: f64,
}

impl CompetencyMetrics {
    fn of(questions: &[&QuestionResult]) -> Self {
        let labeled: Vec<(&String, &[String])> = questions
            .iter()
            .filter_map(|q| {
                q.expected_competency
                    .as_ref()
                    .map(|c| (c, q.competencies.as_slice()))
            })
            .collect();
        let top1 = labeled
            .iter()
            .filter(|(c, found)| found.first() == Some(*c))
            .count();
        let detected = labeled
            .iter()
            .filter(|(c, found)| found.contains(c))
            .count();
        Self {
            labeled: labeled.len(),
            top1: ratio(top1, labeled.len()),
            detected: ratio(detected, labeled.len()),
        }
    }
}

impl SplitReport {
    pub fn method(&self, method: Method) -> Option<&MethodMetrics> {
        self.methods.iter().find(|m| m.method == method)
    }
}

/// One method's answer to one question.
#[derive(Debug, Clone, Serialize)]
pub struct MethodResult {
    pub method: Method,
    /// 1-based rank of the first acceptable story (within the top 10).
    pub rank: Option<usize>,
    pub gap: bool,
    /// The top stories with their scores.
    pub top: Vec<RankedStory>,
    /// Fit score of the first acceptable story, if ranked.
    pub accepted_fit: Option<f32>,
    /// Whether each story of `top` is acceptable.
    pub acceptable: Vec<bool>,
}

/// Every method's answer to one question.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionResult {
    pub id: String,
    pub split: Split,
    pub bank: String,
    pub kind: String,
    pub question: String,
    pub expects_gap: bool,
    /// The competency the label says the question asks about.
    pub expected_competency: Option<String>,
    /// The competencies detected in the question, best first.
    pub competencies: Vec<String>,
    pub results: Vec<MethodResult>,
}

impl QuestionResult {
    pub fn result(&self, method: Method) -> Option<&MethodResult> {
        self.results.iter().find(|r| r.method == method)
    }

    /// Wrong at rank 1 (or a wrong gap decision) for this method.
    pub fn is_miss(&self, method: Method) -> bool {
        self.result(method).is_none_or(|r| {
            if self.expects_gap {
                !r.gap
            } else {
                r.rank != Some(1) || r.gap
            }
        })
    }
}

/// The evaluation report (`starcoach eval --json`).
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The embedding model evaluated (its stored identifier).
    pub model: String,
    pub split: SplitFilter,
    /// One entry per half evaluated (dev, heldout) and for both together.
    pub splits: Vec<SplitReport>,
    pub questions: Vec<QuestionResult>,
    pub took_ms: f64,
}

impl EvalReport {
    pub fn split(&self, split: SplitFilter) -> Option<&SplitReport> {
        self.splits.iter().find(|s| s.split == split)
    }
}

/// A directory removed when dropped.
pub(crate) struct TempDir(PathBuf);

/// A coach over an embedded store in `store_dir` (a temporary directory, removed when
/// the pair is dropped, when `None`) with the model `settings` name.
pub(crate) async fn open_coach(
    settings: &mut Settings,
    store_dir: Option<PathBuf>,
) -> Result<(Coach, Option<TempDir>), EvalError> {
    let (dir, temp) = match store_dir {
        Some(dir) => (dir, None),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir =
                std::env::temp_dir().join(format!("starcoach-eval-{}-{nanos}", std::process::id()));
            (dir.clone(), Some(TempDir(dir)))
        }
    };
    std::fs::create_dir_all(&dir).map_err(|source| EvalError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let embedder = crate::embed::open(settings).await?;
    let dim = embedder.dimension();
    let store_path = dir.clone();
    let store = tokio::task::spawn_blocking(move || EdgeStore::open(&store_path, dim))
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))??;
    store.bind_model(embedder.model_id()).await?;
    settings.store.path = dir;
    Ok((
        Coach::from_parts(settings.clone(), std::sync::Arc::new(store), embedder),
        temp,
    ))
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run the evaluation as `starcoach eval` does: load the model named in `settings`,
/// open an embedded store in `store_dir` (a fresh temporary directory when `None`,
/// removed afterwards; a kept directory makes the next run skip embedding), ingest
/// the banks and rank every selected question.
pub async fn run_with_settings(
    mut settings: Settings,
    labels: &LabelSet,
    split: SplitFilter,
    store_dir: Option<PathBuf>,
) -> Result<EvalReport, EvalError> {
    let (coach, temp) = open_coach(&mut settings, store_dir).await?;
    let report = run(
        labels,
        split,
        coach.ingestor(),
        coach.retriever(),
        coach.store().as_ref(),
    )
    .await;
    // The store closes before its temporary directory goes.
    drop(coach);
    drop(temp);
    report
}

/// How deep the ranking is read for MRR.
pub const DEPTH: usize = 10;
/// Stories kept per question in the report, and read for the fit separation.
const TOP_SHOWN: usize = 5;

/// Ingest every bank the selected questions use (incremental: a kept store embeds
/// nothing the second time), then rank every selected question with every method.
pub async fn run(
    labels: &LabelSet,
    split: SplitFilter,
    ingestor: &Ingestor,
    retriever: &Retriever,
    store: &dyn Store,
) -> Result<EvalReport, EvalError> {
    let started = Instant::now();
    let selected: Vec<&LabeledQuestion> = labels
        .question
        .iter()
        .filter(|q| split.includes(q.split))
        .collect();
    let mut banks: Vec<&str> = selected.iter().map(|q| q.bank.as_str()).collect();
    banks.sort();
    banks.dedup();
    for bank in &banks {
        let paths = labels.bank_paths(bank);
        ingestor.ingest_paths(bank, &paths, &NoProgress).await?;
        store.flush().await.map_err(MatchError::from)?;
        check_labels(labels, bank, retriever).await?;
    }

    let mut questions = Vec::new();
    for q in selected {
        let mut results = Vec::new();
        let mut competencies = Vec::new();
        for method in Method::ALL {
            let ranking = retriever.rank(&q.bank, &q.text, method, DEPTH).await?;
            if method == Method::Hybrid {
                competencies = ranking.competencies.iter().map(|c| c.id.clone()).collect();
            }
            let rank = ranking
                .stories
                .iter()
                .position(|s| q.accepts(&s.doc_id))
                .map(|i| i + 1);
            results.push(MethodResult {
                method,
                rank,
                gap: ranking.gap,
                accepted_fit: rank.map(|r| ranking.stories[r - 1].fit_score),
                top: ranking.stories.iter().take(TOP_SHOWN).cloned().collect(),
                acceptable: ranking
                    .stories
                    .iter()
                    .take(TOP_SHOWN)
                    .map(|s| q.accepts(&s.doc_id))
                    .collect(),
            });
        }
        questions.push(QuestionResult {
            id: q.id.clone(),
            split: q.split,
            bank: q.bank.clone(),
            kind: q.kind.clone(),
            question: q.text.clone(),
            expects_gap: q.expects_gap(),
            expected_competency: q.competency.clone(),
            competencies,
            results,
        });
    }

    let mut splits = Vec::new();
    let halves: &[SplitFilter] = match split {
        SplitFilter::All => &[SplitFilter::Dev, SplitFilter::Heldout, SplitFilter::All],
        one => std::slice::from_ref(match one {
            SplitFilter::Dev => &SplitFilter::Dev,
            _ => &SplitFilter::Heldout,
        }),
    };
    for &half in halves {
        let qs: Vec<&QuestionResult> = questions
            .iter()
            .filter(|q| half.includes(q.split))
            .collect();
        splits.push(SplitReport {
            split: half,
            questions: qs.len(),
            methods: Method::ALL.iter().map(|&m| metrics(m, &qs)).collect(),
            competency: CompetencyMetrics::of(&qs),
            calibration: fit_thresholds(&qs, Method::Hybrid),
        });
    }
    Ok(EvalReport {
        model: retriever.model_id().to_owned(),
        split,
        splits,
        questions,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// Every label of `bank` must name a stored story: a typo would silently count as a
/// miss otherwise.
async fn check_labels(
    labels: &LabelSet,
    bank: &str,
    retriever: &Retriever,
) -> Result<(), EvalError> {
    let stored = retriever.load_bank(bank).await?;
    let ids: Vec<&str> = stored.stories().map(|s| s.doc_id.as_str()).collect();
    for q in labels.question.iter().filter(|q| q.bank == bank) {
        for a in &q.accept {
            let probe = LabeledQuestion {
                accept: vec![a.clone()],
                ..q.clone()
            };
            if !ids.iter().any(|id| probe.accepts(id)) {
                return Err(EvalError::Labels {
                    path: labels.base.display().to_string(),
                    reason: format!(
                        "question {}: no story {a:?} in bank {bank} ({} stories)",
                        q.id,
                        ids.len()
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Metrics of one method over some questions.
pub fn metrics(method: Method, questions: &[&QuestionResult]) -> MethodMetrics {
    let mut answerable = 0;
    let (mut h1, mut h3, mut rr) = (0.0, 0.0, 0.0);
    let (mut gap_expected, mut gap_declared, mut gap_correct) = (0, 0, 0);
    let (mut separated, mut pairs) = (0.0, 0usize);
    for q in questions {
        let Some(r) = q.result(method) else { continue };
        for (good, good_ok) in r.top.iter().zip(&r.acceptable) {
            for (other, other_ok) in r.top.iter().zip(&r.acceptable) {
                if *good_ok && !*other_ok {
                    pairs += 1;
                    separated += match good.fit_score.total_cmp(&other.fit_score) {
                        std::cmp::Ordering::Greater => 1.0,
                        std::cmp::Ordering::Equal => 0.5,
                        std::cmp::Ordering::Less => 0.0,
                    };
                }
            }
        }
        if r.gap {
            gap_declared += 1;
        }
        if q.expects_gap {
            gap_expected += 1;
            if r.gap {
                gap_correct += 1;
            }
            continue;
        }
        answerable += 1;
        if let Some(rank) = r.rank {
            if rank == 1 {
                h1 += 1.0;
            }
            if rank <= 3 {
                h3 += 1.0;
            }
            rr += 1.0 / rank as f64;
        }
    }
    let n = answerable.max(1) as f64;
    MethodMetrics {
        method,
        answerable,
        hit_at_1: h1 / n,
        hit_at_3: h3 / n,
        mrr: rr / n,
        gap_expected,
        gap_declared,
        gap_correct,
        gap_precision: ratio(gap_correct, gap_declared),
        gap_recall: ratio(gap_correct, gap_expected),
        fit_separation: (pairs > 0).then(|| separated / pairs as f64),
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        if a == 0 {
            1.0
        } else {
            0.0
        }
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieve::FitLevel;

    fn q(expects_gap: bool, results: Vec<(Method, Option<usize>, bool)>) -> QuestionResult {
        QuestionResult {
            id: "q".into(),
            split: Split::Dev,
            bank: "b".into(),
            kind: "primary".into(),
            question: "?".into(),
            expects_gap,
            expected_competency: None,
            competencies: vec![],
            results: results
                .into_iter()
                .map(|(method, rank, gap)| MethodResult {
                    method,
                    rank,
                    gap,
                    top: vec![],
                    accepted_fit: None,
                    acceptable: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn metrics_count_hits_ranks_and_gaps() {
        let qs = [
            q(false, vec![(Method::Hybrid, Some(1), false)]),
            q(false, vec![(Method::Hybrid, Some(2), false)]),
            q(false, vec![(Method::Hybrid, None, true)]),
            q(true, vec![(Method::Hybrid, None, true)]),
        ];
        let refs: Vec<&QuestionResult> = qs.iter().collect();
        let m = metrics(Method::Hybrid, &refs);
        assert_eq!(m.answerable, 3);
        assert!((m.hit_at_1 - 1.0 / 3.0).abs() < 1e-9);
        assert!((m.hit_at_3 - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.mrr - 0.5).abs() < 1e-9);
        assert_eq!((m.gap_expected, m.gap_declared, m.gap_correct), (1, 2, 1));
        assert!((m.gap_precision - 0.5).abs() < 1e-9);
        assert!((m.gap_recall - 1.0).abs() < 1e-9);
        assert_eq!(m.fit_separation, None);
    }

    #[test]
    fn fit_separation_counts_acceptable_over_other_pairs_within_a_question() {
        let story = |fit_score: f32| RankedStory {
            doc_id: String::new(),
            title: String::new(),
            score: 0.0,
            fit_score,
            fit: FitLevel::Stretch,
            dense: 0.0,
            bm25: 0.0,
            bm25_raw: 0.0,
            competency: 0.0,
            sentence: 0.0,
            tag: 0.0,
        };
        let mut first = q(false, vec![(Method::Hybrid, Some(2), false)]);
        // Acceptable 0.4 against others 0.5 (lost), 0.3 (won), 0.4 (tie).
        first.results[0].top = vec![story(0.5), story(0.4), story(0.3), story(0.4)];
        first.results[0].acceptable = vec![false, true, false, false];
        let mut second = q(false, vec![(Method::Hybrid, Some(1), false)]);
        // A pair across questions never counts: only 0.2 over 0.1 here.
        second.results[0].top = vec![story(0.2), story(0.1)];
        second.results[0].acceptable = vec![true, false];
        let m = metrics(Method::Hybrid, &[&first, &second]);
        let expected = (0.0 + 1.0 + 0.5 + 1.0) / 4.0;
        assert!((m.fit_separation.unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn labels_match_the_end_of_doc_ids() {
        let mut question = q(false, vec![]);
        question.id = "x".into();
        let l = LabeledQuestion {
            id: "x".into(),
            split: Split::Dev,
            bank: "b".into(),
            text: "t".into(),
            kind: "primary".into(),
            accept: vec!["samples/story-bank.md#faas".into()],
            competency: None,
        };
        assert!(l.accepts("/work/shared/samples/story-bank.md#faas"));
        assert!(!l.accepts("/work/shared/samples/story-bank.md#faas-2"));
        assert!(!l.accepts("/work/main/corpus/story-bank.md#faas"));
    }

    #[test]
    fn the_repository_label_set_is_well_formed() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/questions.toml");
        let set = LabelSet::load(&path).unwrap();
        assert!(set.question.len() >= 40, "{}", set.question.len());
        for split in [Split::Dev, Split::Heldout] {
            let half: Vec<_> = set.question.iter().filter(|q| q.split == split).collect();
            assert!(half.len() >= 20, "{split:?}: {}", half.len());
            assert!(half.iter().filter(|q| q.expects_gap()).count() >= 4);
            for kind in ["paraphrase", "secondary", "gap"] {
                assert!(
                    half.iter().any(|q| q.kind == kind),
                    "{split:?} lacks {kind}"
                );
            }
        }
    }
}
