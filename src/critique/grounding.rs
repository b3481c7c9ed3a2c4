//! Grounding: which of the user's stored stories the answer retells, and whether
//! another one fits the question better.

use crate::corpus::clip_chars;
use crate::retrieve::{
    BankStory, FitLevel, MatchError, MatchRequest, Method, RankedStory, Retriever,
};

use super::model::{Grounding, StoryRef};

/// An answer whose best story chunk is at least this close (cosine) retells it.
/// Retellings of a stored story measure 0.55-0.8; other stories of the same bank
/// stay under 0.5 (measured on corpus/ and tests/fixtures/critique/).
pub const TOLD_STORY_MIN: f32 = 0.5;

/// Characters of the answer used to recognise the story (the model reads 256 tokens).
const ANSWER_CHARS: usize = 1200;

/// The grounding and the stored story the answer retells (for the prompt).
pub struct Grounded {
    pub grounding: Grounding,
    pub told: Option<BankStory>,
}

fn story_ref(s: &RankedStory, source: &str) -> StoryRef {
    StoryRef {
        doc_id: s.doc_id.clone(),
        title: s.title.clone(),
        source: source.to_string(),
        fit: Some(s.fit),
        fit_score: Some(s.fit_score),
    }
}

/// Match the question and the answer against `user`'s stories.
pub async fn ground(
    retriever: &Retriever,
    user: &str,
    question: &str,
    answer: &str,
) -> Result<Grounded, MatchError> {
    let bank = retriever.load_bank(user).await?;
    if bank.is_empty() {
        return Ok(Grounded {
            grounding: Grounding {
                told_story: None,
                told_similarity: None,
                best_fit: None,
                better_story: None,
                better_story_evidence: Vec::new(),
                gap: None,
                message: "Your story bank is empty: ingest your stories to learn which one fits \
                          this question best."
                    .into(),
            },
            told: None,
        });
    }
    let limits = retriever.settings();
    let for_question = retriever
        .rank(user, question, Method::Hybrid, limits.max_top_k)
        .await?;
    let for_answer = retriever
        .rank(user, clip_chars(answer, ANSWER_CHARS), Method::Dense, 1)
        .await?;
    let source = |doc_id: &str| {
        bank.get(doc_id)
            .map(|s| s.source.clone())
            .unwrap_or_default()
    };
    let told_hit = for_answer
        .stories
        .first()
        .filter(|s| s.fit_score >= TOLD_STORY_MIN);
    let told_similarity = told_hit.map(|s| s.fit_score);
    let told_ref = told_hit.map(|t| {
        // The told story's fit for the question, when it ranks for it at all.
        match for_question.stories.iter().find(|s| s.doc_id == t.doc_id) {
            Some(s) => story_ref(s, &source(&s.doc_id)),
            None => StoryRef {
                doc_id: t.doc_id.clone(),
                title: t.title.clone(),
                source: source(&t.doc_id),
                fit: None,
                fit_score: None,
            },
        }
    });
    let best = (!for_question.gap)
        .then(|| for_question.stories.first())
        .flatten();
    let best_ref = best.map(|b| story_ref(b, &source(&b.doc_id)));
    let better = match (&told_ref, best) {
        // The best story ranks first for the question; it is better when the one told
        // ranks lower and does not fit at a higher level.
        (Some(t), Some(b)) if t.doc_id != b.doc_id && t.fit.is_none_or(|f| b.fit >= f) => {
            Some(story_ref(b, &source(&b.doc_id)))
        }
        (None, Some(b)) if b.fit >= FitLevel::Workable => Some(story_ref(b, &source(&b.doc_id))),
        _ => None,
    };
    // Evidence and the gap's wording come from a full match of the best story, only
    // when they are shown.
    let (evidence, gap) = if better.is_some() || for_question.gap {
        let matched = retriever
            .match_stories(
                user,
                &MatchRequest {
                    question: question.to_string(),
                    top_k: 1,
                },
            )
            .await?;
        let evidence = better
            .as_ref()
            .and_then(|b| matched.stories.iter().find(|s| s.doc_id == b.doc_id))
            .map(|s| s.evidence.clone())
            .unwrap_or_default();
        (evidence, matched.gap)
    } else {
        (Vec::new(), None)
    };
    let message = message(
        told_ref.as_ref(),
        best_ref.as_ref(),
        better.as_ref(),
        gap.as_ref(),
    );
    let told = told_ref.as_ref().and_then(|t| bank.get(&t.doc_id).cloned());
    Ok(Grounded {
        grounding: Grounding {
            told_story: told_ref,
            told_similarity,
            best_fit: best_ref,
            better_story: better,
            better_story_evidence: evidence,
            gap,
            message,
        },
        told,
    })
}

fn level(s: &StoryRef) -> &'static str {
    s.fit.map_or("below the list", FitLevel::as_str)
}

fn message(
    told: Option<&StoryRef>,
    best: Option<&StoryRef>,
    better: Option<&StoryRef>,
    gap: Option<&crate::retrieve::Gap>,
) -> String {
    match (told, better, best) {
        (Some(t), Some(b), _) => format!(
            "You told \"{}\" (fit for this question: {}); \"{}\" from your bank fits it better ({}).",
            t.title,
            level(t),
            b.title,
            level(b)
        ),
        (Some(t), None, Some(b)) if t.doc_id == b.doc_id => format!(
            "You told \"{}\", your best-fitting story for this question ({}).",
            t.title,
            level(t)
        ),
        (Some(t), None, _) => match gap {
            Some(g) => format!("You told \"{}\"; no story in your bank fits this question well. {}", t.title, g.message),
            None => format!(
                "You told \"{}\" ({}); no story in your bank fits this question clearly better.",
                t.title,
                level(t)
            ),
        },
        (None, Some(b), _) => format!(
            "This answer does not retell a story from your bank; \"{}\" fits the question ({}).",
            b.title,
            level(b)
        ),
        (None, None, _) => match gap {
            Some(g) => format!("This answer does not retell a story from your bank. {}", g.message),
            None => "This answer does not retell a story from your bank, and none fits the question clearly.".into(),
        },
    }
}
