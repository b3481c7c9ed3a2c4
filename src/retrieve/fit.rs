//! Fit levels: how well a story answers a question, on a scale a user can act on.

// The fit score is an absolute number (see [`fit_score`]) so that one set of
// thresholds works for every question; the thresholds were calibrated on the
// development half of the labeled set (`starcoach eval --split dev`, README
// "Retrieval quality").

use serde::{Deserialize, Serialize};

pub use crate::config::FitSettings;

/// How well a story fits a question.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FitLevel {
    /// Only with a stretch: it touches the question but is not about it.
    Stretch,
    /// Answers the question with some framing.
    Workable,
    /// Answers the question directly.
    Strong,
}

impl FitLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            FitLevel::Strong => "strong",
            FitLevel::Workable => "workable",
            FitLevel::Stretch => "stretch",
        }
    }
}

impl FitSettings {
    pub fn level(&self, fit_score: f32) -> FitLevel {
        if fit_score >= self.strong {
            FitLevel::Strong
        } else if fit_score >= self.workable {
            FitLevel::Workable
        } else {
            FitLevel::Stretch
        }
    }

    pub fn is_gap(&self, best_fit_score: Option<f32>) -> bool {
        best_fit_score.is_none_or(|s| s < self.gap)
    }
}

/// The fit score of a story: the cosine of its best chunk to the question, blended
/// with the mean cosine of its two best sentences to the question (and, if
/// configured, its cosine to the question's competency prototype).
pub fn fit_score(settings: &FitSettings, dense: f32, competency: f32, sentence: f32) -> f32 {
    let c = settings.competency_weight.clamp(0.0, 1.0);
    let s = settings.sentence_weight.clamp(0.0, 1.0 - c);
    (1.0 - c - s) * dense + c * competency + s * sentence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_thresholds() {
        let s = FitSettings::default();
        assert_eq!(s.level(s.strong), FitLevel::Strong);
        assert_eq!(s.level(s.workable), FitLevel::Workable);
        assert_eq!(s.level(s.workable - 0.01), FitLevel::Stretch);
        assert!(s.is_gap(None));
        assert!(s.is_gap(Some(s.gap - 0.01)));
        assert!(!s.is_gap(Some(s.gap)));
        assert!(FitLevel::Strong > FitLevel::Workable && FitLevel::Workable > FitLevel::Stretch);
        assert_eq!(
            serde_json::to_string(&FitLevel::Strong).unwrap(),
            "\"strong\""
        );
    }
}
