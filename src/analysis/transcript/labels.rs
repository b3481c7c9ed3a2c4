//! Speaker labels written into the text: `Interviewer: ...`, `Me: ...`, `Q:`/`A:`,
//! `**Candidate:**`, `SPEAKER_00: ...`, and what a label's name says about the role.

// Known names (interviewer, recruiter, Q, question / me, candidate, A, answer,
// interviewee) are always labels. Any other capitalised `Name:` prefix (one to three
// words, or a name with a parenthesis) is a label only when the text is a dialogue:
// at least [`MIN_GENERIC_LABEL_LINES`] lines carry such a prefix, or some line has a
// known label (`Recruiter: ...` then `Jo: ...`). So a stray `Tip: ...` in an answer is
// not taken for a speaker; STAR words and common headings are never labels.

/// How many lines must carry an unknown `Name:` prefix before such prefixes are
/// taken for speaker labels.
pub(crate) const MIN_GENERIC_LABEL_LINES: usize = 2;

/// Words that look like `Name:` prefixes but are headings inside an answer.
const NOT_SPEAKERS: &[&str] = &[
    "situation",
    "task",
    "action",
    "actions",
    "result",
    "results",
    "context",
    "outcome",
    "learning",
    "learnings",
    "lesson",
    "lessons",
    "note",
    "notes",
    "example",
    "summary",
    "background",
    "challenge",
    "goal",
    "goals",
    "impact",
    "problem",
    "solution",
    "update",
    "edit",
    "tldr",
    "tl;dr",
    "ps",
    "p.s",
    "http",
    "https",
    "step",
    "time",
    "date",
    "subject",
    "re",
    "warning",
    "tip",
    "todo",
    "reflection",
    "star",
];

/// A `Name:` prefix found on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelMatch<'a> {
    /// The speaker name as written (`Interviewer`, `Sarah Chen`, `SPEAKER_00`).
    pub label: &'a str,
    /// The rest of the line after the colon.
    pub rest: &'a str,
    /// A name whose role is known (see [`role_hint`]).
    pub known: bool,
}

/// What a speaker's name says about their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleHint {
    Candidate,
    Interviewer,
    Unknown,
}

/// The role a name implies: `Me`, `A`, `Candidate (Jo)` -> candidate; `Q`,
/// `Interviewer 2`, `Recruiter` -> interviewer.
pub(crate) fn role_hint(label: &str) -> RoleHint {
    let lower = label.to_lowercase().replace('_', " ");
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let bare: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let bare = bare.join(" ");
    let has = |names: &[&str]| words.iter().any(|w| names.contains(w));
    const CANDIDATE_EXACT: &[&str] = &["me", "i", "a", "answer", "myself", "you me"];
    const CANDIDATE_WORDS: &[&str] = &["candidate", "interviewee", "applicant"];
    const INTERVIEWER_EXACT: &[&str] = &["q", "question", "hiring manager", "panel"];
    const INTERVIEWER_WORDS: &[&str] = &["interviewer", "recruiter", "panelist", "panellist"];
    if CANDIDATE_EXACT.contains(&bare.as_str()) || has(CANDIDATE_WORDS) {
        RoleHint::Candidate
    } else if INTERVIEWER_EXACT.contains(&bare.as_str()) || has(INTERVIEWER_WORDS) {
        RoleHint::Interviewer
    } else {
        RoleHint::Unknown
    }
}

/// A `Name:` prefix on `line`, known or generic (the caller decides whether generic
/// prefixes count, see [`MIN_GENERIC_LABEL_LINES`]).
pub(crate) fn find_label(line: &str) -> Option<LabelMatch<'_>> {
    let trimmed = line.trim_start();
    let body = trimmed
        .strip_prefix("**")
        .or_else(|| trimmed.strip_prefix("__"))
        .unwrap_or(trimmed);
    let colon = body.find(':')?;
    if colon == 0 || colon > 40 {
        return None;
    }
    let raw = &body[..colon];
    let label = raw.trim_end_matches("**").trim_end_matches("__").trim_end();
    let after = &body[colon + 1..];
    let after = after
        .strip_prefix("**")
        .or_else(|| after.strip_prefix("__"))
        .unwrap_or(after);
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None; // `10:30`, `http://`, `a:b`
    }
    let first = label.chars().next()?;
    if !first.is_alphabetic() {
        return None;
    }
    let allowed = |c: char| c.is_alphanumeric() || " _.'’-()".contains(c);
    if !label.chars().all(allowed) {
        return None;
    }
    let words = label.split_whitespace().count();
    let max_words = if label.contains('(') { 5 } else { 3 };
    if words == 0 || words > max_words {
        return None;
    }
    let known = role_hint(label) != RoleHint::Unknown;
    if !known {
        let capitalised = label.split_whitespace().all(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || c == '(')
        });
        if !capitalised || NOT_SPEAKERS.contains(&label.to_lowercase().as_str()) {
            return None;
        }
        if label.to_lowercase().starts_with("step ") {
            return None;
        }
    }
    Some(LabelMatch {
        label,
        rest: after.trim(),
        known,
    })
}

/// Whether generic (unknown) `Name:` prefixes are speaker labels in these lines.
pub(crate) fn generic_labels_allowed<'a>(lines: impl IntoIterator<Item = &'a str>) -> bool {
    let (mut known, mut generic) = (0, 0);
    for m in lines.into_iter().filter_map(find_label) {
        if m.known {
            known += 1;
        } else {
            generic += 1;
        }
    }
    generic >= MIN_GENERIC_LABEL_LINES || (known >= 1 && generic >= 1)
}

/// The label on `line` under the policy `allow_generic`.
pub(crate) fn label_of(line: &str, allow_generic: bool) -> Option<LabelMatch<'_>> {
    find_label(line).filter(|m| m.known || allow_generic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_labels() {
        let m = find_label("Interviewer: Tell me about a time.").unwrap();
        assert_eq!(
            (m.label, m.rest, m.known),
            ("Interviewer", "Tell me about a time.", true)
        );
        assert_eq!(find_label("**Me:** So I").unwrap().label, "Me");
        assert_eq!(find_label("Q: why?").unwrap().label, "Q");
        assert_eq!(find_label("a: lower-case answer").unwrap().label, "a");
    }

    #[test]
    fn not_labels() {
        for line in [
            "Result: we shipped it",
            "At 10:30 we met",
            "see https://example.com",
            "I told her: no way",
            "note: lower case",
            "The thing I learned in the end was: listen",
        ] {
            assert!(label_of(line, true).is_none(), "{line}");
        }
        assert!(label_of("Sarah Chen: hi", false).is_none());
        assert!(label_of("Sarah Chen: hi", true).is_some());
    }

    #[test]
    fn hints() {
        assert_eq!(role_hint("Me"), RoleHint::Candidate);
        assert_eq!(role_hint("Candidate (Jo)"), RoleHint::Candidate);
        assert_eq!(role_hint("A"), RoleHint::Candidate);
        assert_eq!(role_hint("Interviewer 2"), RoleHint::Interviewer);
        assert_eq!(role_hint("Q"), RoleHint::Interviewer);
        assert_eq!(role_hint("SPEAKER_00"), RoleHint::Unknown);
        assert_eq!(role_hint("Amelia"), RoleHint::Unknown);
    }
}
