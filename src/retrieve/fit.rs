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

/// What a story's fit score is read from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FitEvidence {
    /// Cosine of the story's best chunk to the question.
    pub dense: f32,
    /// Cosine of the story to the question's competency prototype.
    pub competency: f32,
    /// Mean cosine of the story's two best sentences to the question.
    pub sentence: f32,
    /// Best cosine of one of the story's own tags to the question (`None`: no tags).
    pub tag: Option<f32>,
}

/// The fit score of a story: the cosine of its best chunk to the question, blended
/// with the mean cosine of its two best sentences to the question (and, if
/// configured, its cosine to the question's competency prototype); then, when one of
/// the author's tags names what the question asks better than that, moved towards it.
pub fn fit_score(settings: &FitSettings, evidence: FitEvidence) -> f32 {
    let c = settings.competency_weight.clamp(0.0, 1.0);
    let s = settings.sentence_weight.clamp(0.0, 1.0 - c);
    let text = (1.0 - c - s) * evidence.dense + c * evidence.competency + s * evidence.sentence;
    match evidence.tag {
        Some(tag) if tag > text => text + settings.tag_weight.clamp(0.0, 1.0) * (tag - text),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_that_names_the_question_raises_the_fit_and_never_lowers_it() {
        let settings = FitSettings {
            tag_weight: 0.5,
            sentence_weight: 0.0,
            ..FitSettings::default()
        };
        let evidence = |tag| FitEvidence {
            dense: 0.3,
            tag,
            ..FitEvidence::default()
        };
        assert_eq!(fit_score(&settings, evidence(None)), 0.3);
        assert_eq!(fit_score(&settings, evidence(Some(0.1))), 0.3);
        assert!((fit_score(&settings, evidence(Some(0.5))) - 0.4).abs() < 1e-6);
        let off = FitSettings {
            tag_weight: 0.0,
            ..settings
        };
        assert_eq!(fit_score(&off, evidence(Some(0.9))), 0.3);
    }

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
