//! Who is the candidate: deciding each turn's [`Role`] and taking the question from the
//! interviewer's first turn.

// Rules, in order:
// 1. No speaker names at all: everything is the candidate's answer.
// 2. Names that say "candidate" (`Me`, `A`, `Answer`, `Candidate`, `Interviewee`):
//    those speakers are the candidate, everyone else is an interviewer.
// 3. Otherwise names that say "interviewer" (`Interviewer`, `Q`, `Recruiter`) are
//    interviewers; of the other named speakers the one with most words is the
//    candidate (the rest are interviewers too).
// 4. Only unknown names (`SPEAKER_00`, `Sarah`): the speaker with most words is the
//    candidate; on a tie, the one who spoke first is the interviewer.
//
// Turns without a name are the candidate's. The question is the first run of
// consecutive interviewer turns.

use std::collections::HashMap;

use super::labels::{role_hint, RoleHint};
use super::{RawTurn, Role, Transcript, TranscriptError, TranscriptFormat, Turn};

/// Decide roles and the question; drop turns with no text.
pub(crate) fn assign(
    format: TranscriptFormat,
    raw: Vec<RawTurn>,
) -> Result<Transcript, TranscriptError> {
    let raw: Vec<RawTurn> = raw
        .into_iter()
        .filter(|t| !t.text.trim().is_empty())
        .collect();
    if raw.is_empty() {
        return Err(TranscriptError::Empty);
    }
    let candidates = candidate_labels(&raw);
    let turns: Vec<Turn> = raw
        .into_iter()
        .map(|t| {
            let role = match &t.label {
                None => Role::Candidate,
                Some(label) if candidates.contains(label) => Role::Candidate,
                Some(_) => Role::Interviewer,
            };
            Turn {
                speaker: t.label,
                role,
                text: t.text,
                start: t.start,
                end: t.end,
                words: t.words,
            }
        })
        .collect();
    if !turns.iter().any(|t| t.role == Role::Candidate) {
        return Err(TranscriptError::NoCandidateSpeech);
    }
    let question = first_interviewer_run(&turns);
    Ok(Transcript {
        format,
        question,
        turns,
    })
}

/// The speaker names that belong to the candidate (see the module rules).
fn candidate_labels(raw: &[RawTurn]) -> Vec<String> {
    // Speakers in order of first appearance, with their word counts.
    let mut order: Vec<String> = Vec::new();
    let mut words: HashMap<&str, usize> = HashMap::new();
    for turn in raw {
        if let Some(label) = &turn.label {
            if !words.contains_key(label.as_str()) {
                order.push(label.clone());
            }
            *words.entry(label.as_str()).or_default() += turn.text.split_whitespace().count();
        }
    }
    if order.is_empty() {
        return Vec::new();
    }
    let hinted = |hint: RoleHint| -> Vec<String> {
        order
            .iter()
            .filter(|l| role_hint(l) == hint)
            .cloned()
            .collect()
    };
    let known_candidates = hinted(RoleHint::Candidate);
    if !known_candidates.is_empty() {
        return known_candidates;
    }
    let unknown = hinted(RoleHint::Unknown);
    // Most words wins; `max_by_key` keeps the last maximum, so on a tie the later
    // first appearance (not the one who spoke first) is the candidate.
    unknown
        .iter()
        .max_by_key(|l| words.get(l.as_str()).copied().unwrap_or(0))
        .cloned()
        .into_iter()
        .collect()
}

fn first_interviewer_run(turns: &[Turn]) -> Option<String> {
    let first = turns.iter().position(|t| t.role == Role::Interviewer)?;
    let run: Vec<&str> = turns[first..]
        .iter()
        .take_while(|t| t.role == Role::Interviewer)
        .map(|t| t.text.trim())
        .collect();
    let question = run.join(" ");
    (!question.is_empty()).then_some(question)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(label: Option<&str>, text: &str) -> RawTurn {
        RawTurn {
            label: label.map(str::to_string),
            text: text.to_string(),
            start: None,
            end: None,
            words: None,
        }
    }

    fn roles(turns: Vec<RawTurn>) -> Vec<Role> {
        assign(TranscriptFormat::Plain, turns)
            .unwrap()
            .turns
            .iter()
            .map(|t| t.role)
            .collect()
    }

    use Role::{Candidate as C, Interviewer as I};

    #[test]
    fn known_names() {
        let t = vec![raw(Some("Q"), "Why?"), raw(Some("A"), "Because I did it.")];
        assert_eq!(roles(t), vec![I, C]);
        let t = vec![
            raw(Some("Interviewer"), "Tell me."),
            raw(Some("Sam"), "Sure."),
        ];
        assert_eq!(roles(t), vec![I, C]);
    }

    #[test]
    fn most_words_is_the_candidate() {
        let t = vec![
            raw(Some("SPEAKER_00"), "Tell me about a conflict you had at work."),
            raw(Some("SPEAKER_01"), "At my last job I disagreed with my manager about the launch date and I built a plan."),
            raw(Some("SPEAKER_00"), "What happened?"),
        ];
        assert_eq!(roles(t), vec![I, C, I]);
    }

    #[test]
    fn tie_goes_to_the_second_speaker() {
        let t = vec![raw(Some("Ann"), "one two"), raw(Some("Bob"), "three four")];
        assert_eq!(roles(t), vec![I, C]);
    }

    #[test]
    fn question_is_the_first_interviewer_run() {
        let t = vec![
            raw(Some("Interviewer"), "Thanks for coming."),
            raw(Some("Interviewer"), "Tell me about a time you failed?"),
            raw(Some("Me"), "Sure."),
            raw(Some("Interviewer"), "And then?"),
        ];
        let tr = assign(TranscriptFormat::Plain, t).unwrap();
        assert_eq!(
            tr.question.as_deref(),
            Some("Thanks for coming. Tell me about a time you failed?")
        );
    }

    #[test]
    fn only_interviewer_is_an_error() {
        let t = vec![raw(Some("Interviewer"), "Hello?")];
        assert_eq!(
            assign(TranscriptFormat::Plain, t),
            Err(TranscriptError::NoCandidateSpeech)
        );
    }
}
