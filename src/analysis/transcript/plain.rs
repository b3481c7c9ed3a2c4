//! Plain-text transcripts: the answer as written, optionally with speaker prefixes.

// Plain-text transcripts: the answer as written, optionally with speaker prefixes
// (`Interviewer:`, `Me:`, `Q:`, `A:`, or names such as `Sarah:` used on two or more
// lines).
//
// A prefixed line starts a turn; following lines continue it. After a blank line an
// unprefixed paragraph still continues the turn, except after an interviewer's turn
// in a text that never labels the candidate: then it is the (unlabelled) answer.
// Plain text cannot be malformed; it has no timestamps.

use super::labels::{generic_labels_allowed, label_of, role_hint, RoleHint};
use super::RawTurn;

/// Turns of a plain-text transcript (never fails; empty text gives no turns).
pub(crate) fn parse_raw(input: &str) -> Vec<RawTurn> {
    let allow_generic = generic_labels_allowed(input.lines());
    let candidate_labelled = input
        .lines()
        .filter_map(|l| label_of(l, allow_generic))
        .any(|m| role_hint(m.label) == RoleHint::Candidate);

    let mut turns: Vec<Draft> = Vec::new();
    let mut after_blank = false;
    for line in input.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            after_blank = true;
            continue;
        }
        if let Some(m) = label_of(line, allow_generic) {
            turns.push(Draft::new(Some(m.label.to_string()), m.rest));
        } else {
            let continues = match turns.last() {
                None => false,
                Some(_) if !after_blank => true,
                Some(last) => match &last.label {
                    Some(label) => role_hint(label) != RoleHint::Interviewer || candidate_labelled,
                    None => true,
                },
            };
            match turns.last_mut() {
                Some(last) if continues => last.push(trimmed, after_blank),
                _ => turns.push(Draft::new(None, trimmed)),
            }
        }
        after_blank = false;
    }
    turns.into_iter().map(Draft::finish).collect()
}

/// A turn being collected: paragraphs of joined lines.
struct Draft {
    label: Option<String>,
    paragraphs: Vec<String>,
}

impl Draft {
    fn new(label: Option<String>, first: &str) -> Self {
        Draft {
            label,
            paragraphs: vec![first.trim().to_string()],
        }
    }

    fn push(&mut self, line: &str, new_paragraph: bool) {
        match self.paragraphs.last_mut() {
            Some(last) if !new_paragraph => {
                if !last.is_empty() {
                    last.push(' ');
                }
                last.push_str(line);
            }
            _ => self.paragraphs.push(line.to_string()),
        }
    }

    fn finish(self) -> RawTurn {
        let paragraphs: Vec<String> = self
            .paragraphs
            .into_iter()
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect();
        RawTurn {
            label: self.label,
            text: paragraphs.join("\n\n"),
            start: None,
            end: None,
            words: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turns(input: &str) -> Vec<(Option<String>, String)> {
        parse_raw(input)
            .into_iter()
            .map(|t| (t.label, t.text))
            .collect()
    }

    #[test]
    fn unlabelled_text_is_one_turn() {
        let t = turns("At my last job we had a problem.\nI fixed it.\n\nIt worked.");
        assert_eq!(
            t,
            vec![(
                None,
                "At my last job we had a problem. I fixed it.\n\nIt worked.".into()
            )]
        );
    }

    #[test]
    fn labelled_turns() {
        let t = turns("Interviewer: Tell me about a time.\n\nMe: Sure. At my last job\nI led it.\n\nIt worked.");
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[0],
            (Some("Interviewer".into()), "Tell me about a time.".into())
        );
        assert_eq!(
            t[1],
            (
                Some("Me".into()),
                "Sure. At my last job I led it.\n\nIt worked.".into()
            )
        );
    }

    #[test]
    fn answer_after_question_without_label() {
        let t = turns("Interviewer: Tell me about a failure.\n\nSo at my last job I broke prod.");
        assert_eq!(t[1], (None, "So at my last job I broke prod.".into()));
    }

    #[test]
    fn star_headings_are_not_speakers() {
        let t = turns("Situation: the build was slow.\nResult: it got fast.");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].0, None);
    }
}
