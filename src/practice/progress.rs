//! Progress over the history: per rubric dimension and delivery metric the trend
//! (first and recent averages, direction, every point for a chart), the competencies
//! practised against those a job needs, the stories told (and over-used), the days.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::critique::Dimension;
use crate::history::HistoryEntry;

/// Points averaged for the "first" and the "recent" value (fewer when there are few).
const WINDOW: usize = 3;
/// A change smaller than this share of the scale is "flat".
const FLAT_SHARE: f64 = 0.05;
/// A story told in more than this share of the answers (and at least 3 times) is
/// over-used: interviewers hear the same story twice.
const OVER_USED_SHARE: f64 = 0.4;
const OVER_USED_MIN: usize = 3;

/// Which way a metric moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    Flat,
    /// Fewer than two points.
    TooFew,
}

/// Which way is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
    /// Neither: a band (pace) or a size (words).
    InBand,
}

/// One point of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// The trend of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trend {
    /// e.g. `structure`, `overall`, `wpm`, `fillers_per_minute`.
    pub metric: String,
    pub better: Better,
    pub first: Option<f64>,
    pub recent: Option<f64>,
    pub direction: Direction,
    /// Whether the move is for the better (absent when flat, too few, or in a band).
    pub improving: Option<bool>,
    pub points: Vec<Point>,
}

/// A competency and how often it was practised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompetencyPractice {
    pub id: String,
    pub answers: usize,
    /// Mean overall score of its answers.
    pub mean_overall: Option<f64>,
    /// Whether the target job asks for it (absent without a job).
    pub needed: Option<bool>,
}

/// A story and how often it was told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoryUse {
    pub doc_id: String,
    pub title: String,
    pub told: usize,
    pub share: f64,
    pub over_used: bool,
}

/// Answers on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PracticeDay {
    pub date: NaiveDate,
    pub answers: usize,
}

/// The progress report (`starcoach progress`, `GET /v1/progress`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProgressReport {
    pub user: String,
    pub answers: usize,
    pub days_practised: usize,
    /// Rubric dimensions and the overall score (1-5).
    pub dimensions: Vec<Trend>,
    /// Words, pace, fillers per minute, share of "I", STAR shares.
    pub delivery: Vec<Trend>,
    pub competencies: Vec<CompetencyPractice>,
    /// Competencies the job needs that have not been practised (with a job only).
    pub not_practised: Vec<String>,
    pub stories: Vec<StoryUse>,
    pub days: Vec<PracticeDay>,
}

/// Progress over `entries` (oldest first); `needed` lists the competencies a target
/// job asks for, when there is one.
pub fn progress(user: &str, entries: &[HistoryEntry], needed: Option<&[String]>) -> ProgressReport {
    let mut dimensions: Vec<Trend> = Dimension::ALL
        .iter()
        .map(|d| {
            trend(d.as_str(), Better::Higher, 4.0, entries, |e| {
                e.record.score(*d).map(f64::from)
            })
        })
        .collect();
    dimensions.push(trend("overall", Better::Higher, 4.0, entries, |e| {
        e.record.overall
    }));
    let delivery = vec![
        trend("words", Better::InBand, 300.0, entries, |e| {
            Some(e.record.delivery.words as f64)
        }),
        trend("wpm", Better::InBand, 160.0, entries, |e| {
            Some(e.record.delivery.wpm)
        }),
        trend("fillers_per_minute", Better::Lower, 6.0, entries, |e| {
            Some(e.record.delivery.fillers_per_minute)
        }),
        trend("i_share", Better::Higher, 1.0, entries, |e| {
            e.record.delivery.i_share
        }),
        trend("situation_task_share", Better::Lower, 1.0, entries, |e| {
            Some(e.record.delivery.situation + e.record.delivery.task)
        }),
        trend("action_share", Better::Higher, 1.0, entries, |e| {
            Some(e.record.delivery.action)
        }),
        trend("result_share", Better::Higher, 1.0, entries, |e| {
            Some(e.record.delivery.result)
        }),
    ];

    let mut by_competency: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    for e in entries {
        if let Some(c) = &e.record.competency {
            by_competency
                .entry(c.clone())
                .or_default()
                .push(e.record.overall);
        }
    }
    let mut competencies: Vec<CompetencyPractice> = by_competency
        .iter()
        .map(|(id, overalls)| CompetencyPractice {
            id: id.clone(),
            answers: overalls.len(),
            mean_overall: mean(overalls.iter().flatten().copied()),
            needed: needed.map(|n| n.contains(id)),
        })
        .collect();
    let mut not_practised = Vec::new();
    if let Some(needed) = needed {
        for id in needed {
            if !by_competency.contains_key(id) {
                not_practised.push(id.clone());
                competencies.push(CompetencyPractice {
                    id: id.clone(),
                    answers: 0,
                    mean_overall: None,
                    needed: Some(true),
                });
            }
        }
    }
    competencies.sort_by(|a, b| b.answers.cmp(&a.answers).then(a.id.cmp(&b.id)));

    let mut told: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for e in entries {
        if let Some(story) = &e.record.story {
            told.entry(&story.doc_id).or_insert((&story.title, 0)).1 += 1;
        }
    }
    let mut stories: Vec<StoryUse> = told
        .into_iter()
        .map(|(doc_id, (title, count))| {
            let share = count as f64 / entries.len().max(1) as f64;
            StoryUse {
                doc_id: doc_id.to_string(),
                title: title.to_string(),
                told: count,
                share,
                over_used: count >= OVER_USED_MIN && share > OVER_USED_SHARE,
            }
        })
        .collect();
    stories.sort_by(|a, b| b.told.cmp(&a.told).then(a.doc_id.cmp(&b.doc_id)));

    let mut days: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for e in entries {
        *days.entry(e.record.recorded_at.date_naive()).or_default() += 1;
    }
    let distinct: BTreeSet<&NaiveDate> = days.keys().collect();
    ProgressReport {
        user: user.to_string(),
        answers: entries.len(),
        days_practised: distinct.len(),
        dimensions,
        delivery,
        competencies,
        not_practised,
        stories,
        days: days
            .into_iter()
            .map(|(date, answers)| PracticeDay { date, answers })
            .collect(),
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The trend of `value` over `entries`; `scale` is the metric's usual range (what a
/// flat change is measured against).
fn trend(
    metric: &str,
    better: Better,
    scale: f64,
    entries: &[HistoryEntry],
    value: impl Fn(&HistoryEntry) -> Option<f64>,
) -> Trend {
    let points: Vec<Point> = entries
        .iter()
        .filter_map(|e| {
            value(e).map(|v| Point {
                at: e.record.recorded_at,
                value: v,
            })
        })
        .collect();
    let window = WINDOW.min(points.len() / 2).max(1);
    let first = mean(points.iter().take(window).map(|p| p.value));
    let recent = mean(points.iter().rev().take(window).map(|p| p.value));
    let direction = match (first, recent) {
        _ if points.len() < 2 => Direction::TooFew,
        (Some(f), Some(r)) if (r - f).abs() < FLAT_SHARE * scale => Direction::Flat,
        (Some(f), Some(r)) if r > f => Direction::Up,
        _ => Direction::Down,
    };
    let improving = match (direction, better) {
        (Direction::Up, Better::Higher) | (Direction::Down, Better::Lower) => Some(true),
        (Direction::Down, Better::Higher) | (Direction::Up, Better::Lower) => Some(false),
        _ => None,
    };
    Trend {
        metric: metric.to_string(),
        better,
        first,
        recent,
        direction,
        improving,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{DeliveryMetrics, HistoryRecord, Origin, ToldStory};
    use chrono::TimeZone;

    fn entry(id: i64, day: u32, overall: f64, fillers: f64, story: &str) -> HistoryEntry {
        let score = overall.round() as u8;
        HistoryEntry {
            id,
            record: HistoryRecord {
                recorded_at: Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap(),
                origin: Origin::Practice,
                session_id: None,
                question: "Tell me about a time you failed.".into(),
                competency: Some(if id % 2 == 0 { "failure" } else { "conflict" }.into()),
                story: Some(ToldStory {
                    doc_id: story.into(),
                    title: story.to_uppercase(),
                }),
                overall: Some(overall),
                scores: [("structure".to_string(), score)].into_iter().collect(),
                caps: vec![],
                flags: vec![],
                delivery: DeliveryMetrics {
                    words: 250,
                    duration_seconds: 120.0,
                    timed: true,
                    wpm: 125.0,
                    fillers_per_minute: fillers,
                    i_share: Some(0.7),
                    situation: 0.2,
                    task: 0.1,
                    action: 0.5,
                    result: 0.2,
                },
                llm: "unavailable".into(),
            },
        }
    }

    #[test]
    fn trends_compare_the_first_and_the_recent_answers() {
        let entries: Vec<HistoryEntry> = (0..6)
            .map(|i| {
                let story = if i < 4 { "a" } else { "b" };
                entry(
                    i,
                    1 + (i as u32 / 2),
                    2.0 + 0.4 * i as f64,
                    5.0 - i as f64,
                    story,
                )
            })
            .collect();
        let needed = vec!["failure".to_string(), "mentoring".to_string()];
        let report = progress("ana", &entries, Some(&needed));
        let overall = report
            .dimensions
            .iter()
            .find(|t| t.metric == "overall")
            .unwrap();
        assert_eq!(overall.points.len(), 6);
        assert!((overall.first.unwrap() - 2.4).abs() < 1e-9);
        assert!((overall.recent.unwrap() - 3.6).abs() < 1e-9);
        assert_eq!(overall.direction, Direction::Up);
        assert_eq!(overall.improving, Some(true));
        let fillers = report
            .delivery
            .iter()
            .find(|t| t.metric == "fillers_per_minute")
            .unwrap();
        assert_eq!(fillers.direction, Direction::Down);
        assert_eq!(fillers.improving, Some(true));
        let wpm = report.delivery.iter().find(|t| t.metric == "wpm").unwrap();
        assert_eq!(wpm.direction, Direction::Flat);
        assert_eq!(report.days_practised, 3);
        assert_eq!(report.not_practised, ["mentoring"]);
        assert_eq!(report.stories[0].doc_id, "a");
        assert!(report.stories[0].over_used, "{:?}", report.stories);
        assert!(!report.stories[1].over_used);
        let failure = report
            .competencies
            .iter()
            .find(|c| c.id == "failure")
            .unwrap();
        assert_eq!((failure.answers, failure.needed), (3, Some(true)));
    }

    #[test]
    fn one_answer_is_too_few_for_a_direction() {
        let report = progress("ana", &[entry(1, 1, 3.0, 2.0, "a")], None);
        assert!(report
            .dimensions
            .iter()
            .all(|t| t.direction == Direction::TooFew));
        assert!(report.competencies.iter().all(|c| c.needed.is_none()));
        let empty = progress("ana", &[], None);
        assert_eq!(empty.answers, 0);
        assert_eq!(empty.dimensions[0].first, None);
    }
}
