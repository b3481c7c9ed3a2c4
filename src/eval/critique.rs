//! Critique evaluation on a labelled set of spoken answers (`tests/eval/answers.toml`):
//! planted defects named, false alarms, and how well the overall score orders answers.

// Each answer has its question, a hand-assigned tier and rank within its half, the
// defects planted in it and the checks that must not be raised on it. Every answer is
// critiqued as `starcoach critique` would (the labelled set's own bank, `corpus/`,
// ingested for grounding), then per half: the share of planted defects the critique
// names, the share of must-not-flag checks it raises, the Spearman correlation of the
// overall score with the hand ranking, and whether every strong answer scores above
// every weak or off-topic one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use super::{EvalError, Split, SplitFilter};
use crate::analysis::TranscriptFormat;
use crate::app::Coach;
use crate::critique::{Critique, CritiqueRequest, TranscriptInput};
use crate::ingest::NoProgress;

/// The user whose bank grounds the critiques.
const EVAL_USER: &str = "eval-critique";

/// How an answer's file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerFormat {
    Plain,
    Vtt,
    Srt,
    Whisper,
    WhisperWords,
}

/// A hand-assigned quality tier, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Strong,
    Good,
    Mediocre,
    Weak,
    OffTopic,
}

/// One labelled answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabeledAnswer {
    pub id: String,
    /// Relative to the label file's directory.
    pub file: PathBuf,
    pub format: AnswerFormat,
    pub split: Split,
    pub competency: String,
    pub question: String,
    pub tier: Tier,
    /// Within its half, 1 = best.
    pub rank: usize,
    #[serde(default)]
    pub defects: Vec<String>,
    #[serde(default)]
    pub must_not_flag: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct AnswerFile {
    answer: Vec<LabeledAnswer>,
}

/// The labelled answers and where their files are.
#[derive(Debug, Clone)]
pub struct AnswerSet {
    pub answers: Vec<LabeledAnswer>,
    pub dir: PathBuf,
}

impl AnswerSet {
    pub fn load(path: &Path) -> Result<Self, EvalError> {
        let labels = |reason: String| EvalError::Labels {
            path: path.display().to_string(),
            reason,
        };
        let file: AnswerFile = Figment::from(Toml::file(path))
            .extract()
            .map_err(|e| labels(e.to_string()))?;
        if file.answer.is_empty() {
            return Err(labels("no [[answer]] entries".into()));
        }
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        for answer in &file.answer {
            for name in answer.defects.iter().chain(&answer.must_not_flag) {
                if !CHECKS.contains(&name.as_str()) {
                    return Err(labels(format!("{}: unknown check {name:?}", answer.id)));
                }
            }
        }
        Ok(Self {
            answers: file.answer,
            dir,
        })
    }
}

/// The checks the labels name, as the critique calls them.
pub const CHECKS: [&str; 15] = [
    "off_topic",
    "missing_result",
    "unquantified_result",
    "situation_heavy",
    "thin_action",
    "no_task",
    "we_heavy",
    "filler_heavy",
    "hedge_heavy",
    "too_long",
    "too_short",
    "rushed_pace",
    "slow_pace",
    "long_pauses",
    "token_result",
];

/// The checks a critique raised, in the labels' names.
pub fn raised_checks(critique: &Critique) -> Vec<String> {
    let mut raised: Vec<String> = critique
        .analysis
        .flags
        .iter()
        .map(|f| match f.as_str() {
            "we_dominates" => "we_heavy".to_string(),
            other => other.to_string(),
        })
        .collect();
    if critique.off_topic.is_some() {
        raised.push("off_topic".into());
    }
    raised
}

/// One answer's outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerResult {
    pub id: String,
    pub split: Split,
    pub tier: Tier,
    pub rank: usize,
    pub overall: Option<f64>,
    /// Each rubric dimension's score that stands (those without a score left out).
    #[serde(default)]
    pub scores: BTreeMap<String, u8>,
    /// The vectors' relevance reading (question to Action and Result).
    pub relevance: Option<f32>,
    /// Rank of the question's competency among those the answer shows.
    pub competency_rank: Option<usize>,
    /// Agreement of the question's and the answer's competency similarities.
    #[serde(default)]
    pub competency_agreement: Option<f32>,
    pub raised: Vec<String>,
    /// What came of the LLM: used, partial, rejected or unavailable.
    pub llm: String,
    /// Planted defects not raised.
    pub missed: Vec<String>,
    /// Must-not-flag checks raised.
    pub false_alarms: Vec<String>,
}

/// The figures of one half.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CritiqueSplitReport {
    pub split: String,
    pub answers: usize,
    pub planted: usize,
    pub named: usize,
    /// named / planted.
    pub defect_recall: f64,
    pub checks: usize,
    pub raised_wrongly: usize,
    /// raised_wrongly / checks.
    pub false_alarm_rate: f64,
    /// Spearman correlation of the overall score with the hand ranking (1 = same order).
    pub spearman: f64,
    /// Every strong answer scores above every weak or off-topic one.
    pub strong_above_weak: bool,
    /// Recall per planted defect kind: (named, planted).
    pub by_defect: BTreeMap<String, (usize, usize)>,
    /// False alarms per check: (raised, checked).
    pub by_check: BTreeMap<String, (usize, usize)>,
    /// How many critiques the LLM took part in, by outcome (used, partial, rejected,
    /// unavailable).
    pub llm_outcomes: BTreeMap<String, usize>,
    pub results: Vec<AnswerResult>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CritiqueEvalReport {
    pub llm: bool,
    pub splits: Vec<CritiqueSplitReport>,
}

/// Run the evaluation as `starcoach eval-critique` does: the model and LLM `settings`
/// name, a temporary embedded store holding `bank`.
pub async fn run_with_settings(
    mut settings: crate::config::Settings,
    set: &AnswerSet,
    bank: &[PathBuf],
    filter: SplitFilter,
) -> Result<CritiqueEvalReport, EvalError> {
    let (coach, temp) = super::open_coach(&mut settings, None).await?;
    let report = run(&coach, set, bank, filter).await;
    // The store closes before its temporary directory goes.
    drop(coach);
    drop(temp);
    report
}

/// Critique every answer of `set` in `filter`'s halves with `coach`, whose store gets
/// `bank` ingested first for grounding.
pub async fn run(
    coach: &Coach,
    set: &AnswerSet,
    bank: &[PathBuf],
    filter: SplitFilter,
) -> Result<CritiqueEvalReport, EvalError> {
    coach
        .ingestor()
        .ingest_paths(EVAL_USER, bank, &NoProgress)
        .await?;
    let mut results = Vec::new();
    for answer in set.answers.iter().filter(|a| filter.includes(a.split)) {
        let path = set.dir.join(&answer.file);
        let text = std::fs::read_to_string(&path).map_err(|e| EvalError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let (transcript, format) = match answer.format {
            AnswerFormat::Whisper | AnswerFormat::WhisperWords => {
                let value = serde_json::from_str(&text).map_err(|e| EvalError::Labels {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                (TranscriptInput::Whisper(value), None)
            }
            AnswerFormat::Plain => (TranscriptInput::Text(text), Some(TranscriptFormat::Plain)),
            AnswerFormat::Vtt => (TranscriptInput::Text(text), Some(TranscriptFormat::Vtt)),
            AnswerFormat::Srt => (TranscriptInput::Text(text), Some(TranscriptFormat::Srt)),
        };
        let request = CritiqueRequest {
            question: Some(answer.question.clone()),
            transcript,
            format,
        };
        let critique = coach
            .critique(EVAL_USER, &request, false)
            .await
            .map_err(|e| EvalError::Labels {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        let raised = raised_checks(&critique);
        let missed = answer
            .defects
            .iter()
            .filter(|d| !raised.contains(d))
            .cloned()
            .collect();
        let false_alarms = answer
            .must_not_flag
            .iter()
            .filter(|c| raised.contains(c))
            .cloned()
            .collect();
        results.push((
            answer,
            AnswerResult {
                id: answer.id.clone(),
                split: answer.split,
                tier: answer.tier,
                rank: answer.rank,
                overall: critique.overall,
                scores: critique.scores_by_name(),
                relevance: critique.relevance.as_ref().map(|r| r.similarity),
                competency_rank: critique
                    .relevance
                    .as_ref()
                    .and_then(|r| r.question_competency_rank),
                competency_agreement: critique.relevance.as_ref().map(|r| r.competency_agreement),
                raised,
                llm: critique.llm.as_str().to_string(),
                missed,
                false_alarms,
            },
        ));
    }
    let mut splits = Vec::new();
    for split in [Split::Dev, Split::Heldout] {
        let of: Vec<&(&LabeledAnswer, AnswerResult)> =
            results.iter().filter(|(a, _)| a.split == split).collect();
        if !of.is_empty() {
            splits.push(split_report(split, &of));
        }
    }
    Ok(CritiqueEvalReport {
        llm: coach.settings().llm.base_url.trim() != "",
        splits,
    })
}

fn split_report(split: Split, of: &[&(&LabeledAnswer, AnswerResult)]) -> CritiqueSplitReport {
    let mut by_defect: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut by_check: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (answer, result) in of {
        for defect in &answer.defects {
            let entry = by_defect.entry(defect.clone()).or_default();
            entry.1 += 1;
            entry.0 += usize::from(!result.missed.contains(defect));
        }
        for check in &answer.must_not_flag {
            let entry = by_check.entry(check.clone()).or_default();
            entry.1 += 1;
            entry.0 += usize::from(result.false_alarms.contains(check));
        }
    }
    let planted: usize = by_defect.values().map(|(_, n)| n).sum();
    let named: usize = by_defect.values().map(|(k, _)| k).sum();
    let checks: usize = by_check.values().map(|(_, n)| n).sum();
    let raised_wrongly: usize = by_check.values().map(|(k, _)| k).sum();
    let score = |r: &AnswerResult| r.overall.unwrap_or(0.0);
    // Higher score should go with a better (smaller) rank.
    let scores: Vec<f64> = of.iter().map(|(_, r)| score(r)).collect();
    let goodness: Vec<f64> = of.iter().map(|(_, r)| -(r.rank as f64)).collect();
    let lowest_strong = of
        .iter()
        .filter(|(a, _)| a.tier == Tier::Strong)
        .map(|(_, r)| score(r))
        .fold(f64::INFINITY, f64::min);
    let highest_weak = of
        .iter()
        .filter(|(a, _)| a.tier >= Tier::Weak)
        .map(|(_, r)| score(r))
        .fold(f64::NEG_INFINITY, f64::max);
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    CritiqueSplitReport {
        split: match split {
            Split::Dev => "dev".into(),
            Split::Heldout => "heldout".into(),
        },
        answers: of.len(),
        planted,
        named,
        defect_recall: ratio(named, planted),
        checks,
        raised_wrongly,
        false_alarm_rate: ratio(raised_wrongly, checks),
        spearman: spearman(&scores, &goodness),
        strong_above_weak: lowest_strong > highest_weak,
        by_defect,
        by_check,
        llm_outcomes: of.iter().fold(BTreeMap::new(), |mut m, (_, r)| {
            *m.entry(r.llm.clone()).or_default() += 1;
            m
        }),
        results: of.iter().map(|(_, r)| r.clone()).collect(),
    }
}

/// Ranks 1..n with ties sharing their mean rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mean;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rank correlation (Pearson's on the ranks, ties averaged); 0 when either
/// side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    crate::vector::pearson(&ranks(a), &ranks(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_reads_order_and_ties() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[2.0, 2.0, 2.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(ranks(&[5.0, 1.0, 5.0]), vec![2.5, 1.0, 2.5]);
    }
}
