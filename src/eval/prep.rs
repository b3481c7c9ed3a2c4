//! Competency detection on labelled job descriptions (`starcoach eval-prep`).

// The labelled set (`tests/eval/jobs.toml`) lists job descriptions we wrote, each with
// the competencies an interviewer reading it would expect to be asked about (labelled
// by hand before any run), split into a dev half (used for choices) and a held-out
// half (only reported). recall@k = the share of a job's labelled competencies among
// the k best detected, averaged over jobs.

use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use super::{EvalError, Split, SplitFilter};
use crate::app::Coach;
use crate::config::Settings;

/// One labelled job description.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledJob {
    /// Path relative to the label file's folder.
    pub file: String,
    pub split: Split,
    pub role: String,
    /// Competency ids, most important first.
    pub competencies: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobFile {
    job: Vec<LabelledJob>,
}

/// The labelled jobs and the folder their paths are relative to.
#[derive(Debug, Clone)]
pub struct JobSet {
    pub dir: PathBuf,
    pub jobs: Vec<LabelledJob>,
}

impl JobSet {
    pub fn load(path: &Path) -> Result<Self, EvalError> {
        let labels = |reason: String| EvalError::Labels {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| labels(e.to_string()))?;
        let file: JobFile = Figment::from(Toml::string(&text))
            .extract()
            .map_err(|e| labels(e.to_string()))?;
        if file.job.iter().any(|j| j.competencies.is_empty()) {
            return Err(labels("every [[job]] needs at least one competency".into()));
        }
        Ok(Self {
            dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            jobs: file.job,
        })
    }
}

/// Detection on one job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobResult {
    pub file: String,
    pub split: Split,
    pub role: String,
    pub labels: Vec<String>,
    /// The five best detected, best first.
    pub top5: Vec<String>,
    pub recall_at_3: f64,
    pub recall_at_5: f64,
    /// Labels not among the top 5.
    pub missed: Vec<String>,
}

/// Figures of one half.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrepSplitReport {
    pub split: Split,
    pub jobs: usize,
    pub recall_at_3: f64,
    pub recall_at_5: f64,
    /// Share of the top 5 that are labels.
    pub precision_at_5: f64,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrepEvalReport {
    pub model: String,
    pub splits: Vec<PrepSplitReport>,
    pub jobs: Vec<JobResult>,
}

/// Run `starcoach eval-prep`: the model `settings` name, no stories needed.
pub async fn run_with_settings(
    mut settings: Settings,
    set: &JobSet,
    filter: SplitFilter,
) -> Result<PrepEvalReport, EvalError> {
    let (coach, temp) = super::open_coach(&mut settings, None).await?;
    let report = run(&coach, set, filter).await;
    drop(coach);
    drop(temp);
    report
}

/// Detect the competencies of every job in `filter`'s halves.
pub async fn run(
    coach: &Coach,
    set: &JobSet,
    filter: SplitFilter,
) -> Result<PrepEvalReport, EvalError> {
    let mut jobs = Vec::new();
    for job in set.jobs.iter().filter(|j| filter.includes(j.split)) {
        let path = set.dir.join(&job.file);
        let text = std::fs::read_to_string(&path).map_err(|e| EvalError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let max_chars = coach.settings().practice.max_job_chars;
        let (_, ranked) = crate::prep::detect_competencies(coach.retriever(), &text, max_chars)
            .await
            .map_err(|e| EvalError::Labels {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        let ranked: Vec<String> = ranked.into_iter().map(|c| c.id).collect();
        let recall = |k: usize| {
            let found = job
                .competencies
                .iter()
                .filter(|c| ranked.iter().take(k).any(|r| r == *c))
                .count();
            found as f64 / job.competencies.len() as f64
        };
        jobs.push(JobResult {
            file: job.file.clone(),
            split: job.split,
            role: job.role.clone(),
            labels: job.competencies.clone(),
            top5: ranked.iter().take(5).cloned().collect(),
            recall_at_3: recall(3),
            recall_at_5: recall(5),
            missed: job
                .competencies
                .iter()
                .filter(|c| !ranked.iter().take(5).any(|r| r == *c))
                .cloned()
                .collect(),
        });
    }
    let splits = [Split::Dev, Split::Heldout]
        .into_iter()
        .filter_map(|split| {
            let half: Vec<&JobResult> = jobs.iter().filter(|j| j.split == split).collect();
            (!half.is_empty()).then(|| {
                let mean = |f: &dyn Fn(&JobResult) -> f64| {
                    half.iter().map(|j| f(j)).sum::<f64>() / half.len() as f64
                };
                PrepSplitReport {
                    split,
                    jobs: half.len(),
                    recall_at_3: mean(&|j| j.recall_at_3),
                    recall_at_5: mean(&|j| j.recall_at_5),
                    precision_at_5: mean(&|j| {
                        let hits = j.top5.iter().filter(|c| j.labels.contains(c)).count();
                        hits as f64 / j.top5.len().max(1) as f64
                    }),
                }
            })
        })
        .collect();
    Ok(PrepEvalReport {
        model: coach.embedder().model_id().to_string(),
        splits,
        jobs,
    })
}
