//! Which of the bank's questions to propose for a competency of a job: those aimed at
//! the job's level that share the most words with the job's sentences for it.

// Without an LLM the job's specifics reach the questions through their words: a
// posting that asks to "mentor two junior engineers through on-call" favours the
// mentoring questions about on-call and juniors. Questions aimed at another level are
// left out (a graduate is not asked about leading managers); ties keep the bank's
// order, so the choice is the same on every run.

use std::collections::HashSet;

use super::bank::{BankQuestion, Level, QuestionBank};
use super::detect::DetectedCompetency;

/// Words shorter than this carry no topic.
const MIN_WORD_CHARS: usize = 4;
const STOP_WORDS: &[&str] = &[
    "about", "after", "also", "been", "being", "could", "does", "from", "have", "into", "just",
    "like", "more", "most", "much", "over", "some", "such", "than", "that", "their", "them",
    "then", "there", "these", "they", "this", "those", "time", "tell", "were", "what", "when",
    "where", "which", "while", "will", "with", "would", "your", "yours", "describe", "example",
    "give", "walk", "through",
];

/// Up to `count` questions of `competency` for a job at `level`, best first.
pub fn pick_questions<'a>(
    bank: &'a QuestionBank,
    competency: &DetectedCompetency,
    level: Option<Level>,
    count: usize,
) -> Vec<&'a BankQuestion> {
    let job_words: HashSet<String> = competency
        .evidence
        .iter()
        .flat_map(|s| content_words(&s.text))
        .collect();
    let mut scored: Vec<(usize, bool, usize, &BankQuestion)> = bank
        .questions()
        .iter()
        .filter(|q| q.competency == competency.id)
        .enumerate()
        .filter(|(_, q)| suits(q.level, level))
        .map(|(order, q)| {
            let shared = content_words(&q.text)
                .filter(|w| job_words.contains(w))
                .count();
            let same_level = q.level.is_some() && q.level == level;
            (shared, same_level, order, q)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    scored.into_iter().take(count).map(|(.., q)| q).collect()
}

/// Whether a question aimed at `question` suits a job at `job`.
fn suits(question: Option<Level>, job: Option<Level>) -> bool {
    match (question, job) {
        (None, _) => true,
        (Some(q), Some(j)) => q == j || (j == Level::Manager && q == Level::Senior),
        // A posting that names no level: anything but questions for managers.
        (Some(q), None) => q != Level::Manager,
    }
}

/// Lowercased words of at least [`MIN_WORD_CHARS`] letters, a plural `s` removed.
fn content_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= MIN_WORD_CHARS)
        .map(|w| {
            let w = w.to_lowercase();
            match w.strip_suffix('s') {
                Some(stem) if stem.len() >= MIN_WORD_CHARS && !stem.ends_with('s') => {
                    stem.to_string()
                }
                _ => w,
            }
        })
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::competency::CompetencySet;
    use crate::prep::job::JobSentence;

    fn mentoring(evidence: &str) -> DetectedCompetency {
        DetectedCompetency {
            id: "mentoring".into(),
            name: "Mentoring".into(),
            score: 1.0,
            evidence: vec![JobSentence {
                line: 1,
                text: evidence.into(),
            }],
        }
    }

    #[test]
    fn questions_follow_the_jobs_words_and_level() {
        let set = CompetencySet::builtin();
        let bank = QuestionBank::builtin(&set).unwrap();
        let picked = pick_questions(
            &bank,
            &mentoring("Mentor engineers who join the on-call rotation"),
            Some(Level::Senior),
            3,
        );
        assert_eq!(picked.len(), 3);
        assert!(picked.iter().all(|q| q.competency == "mentoring"));
        assert!(
            picked.iter().all(|q| suits(q.level, Some(Level::Senior))),
            "{picked:?}"
        );
        let junior = pick_questions(&bank, &mentoring("Help others"), Some(Level::Junior), 11);
        assert!(junior
            .iter()
            .all(|q| q.level.is_none() || q.level == Some(Level::Junior)));
    }

    #[test]
    fn levels_suit_as_a_hiring_manager_would_expect() {
        assert!(suits(None, Some(Level::Junior)));
        assert!(!suits(Some(Level::Manager), Some(Level::Junior)));
        assert!(suits(Some(Level::Senior), Some(Level::Manager)));
        assert!(!suits(Some(Level::Manager), None));
        assert_eq!(
            content_words("Mentors joined the on-call rotations").collect::<Vec<_>>(),
            ["mentor", "joined", "call", "rotation"]
        );
    }
}
