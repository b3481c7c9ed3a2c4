//! Checks on what the LLM wrote: quotes must occur in the candidate's words, and the
//! outline may bring in no figure that neither the answer nor the story contains.

use std::collections::HashSet;

/// Shortest quote (in words) that counts as evidence: shorter ones match anywhere.
pub const MIN_QUOTE_WORDS: usize = 3;

/// Text reduced for comparison: lower case, straight apostrophes, punctuation and
/// whitespace folded into single spaces, padded with a space on both sides.
#[derive(Debug, Clone)]
pub struct Normalized(String);

impl Normalized {
    pub fn new(text: &str) -> Self {
        let mut out = String::with_capacity(text.len() + 2);
        out.push(' ');
        let mut last_space = true;
        for c in text.chars() {
            let c = match c {
                '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' => '\'',
                c => c,
            };
            if c.is_alphanumeric() || c == '\'' {
                out.extend(c.to_lowercase());
                last_space = false;
            } else if !last_space {
                out.push(' ');
                last_space = true;
            }
        }
        if !last_space {
            out.push(' ');
        }
        Normalized(out)
    }

    fn words(&self) -> usize {
        self.0.split_whitespace().count()
    }

    fn find_from(&self, needle: &Normalized, from: usize) -> Option<usize> {
        self.0[from..].find(&needle.0).map(|i| from + i)
    }
}

/// Whether `quote` occurs in `haystack` (the candidate's words), ignoring case,
/// punctuation and spacing. An ellipsis ("...", "…") may join fragments that occur in
/// order. Quotes under [`MIN_QUOTE_WORDS`] words do not count.
pub fn quote_occurs(quote: &str, haystack: &Normalized) -> bool {
    let fragments: Vec<Normalized> = quote
        .split("...")
        .flat_map(|s| s.split('\u{2026}'))
        .map(Normalized::new)
        .filter(|n| n.words() > 0)
        .collect();
    let words: usize = fragments.iter().map(Normalized::words).sum();
    if fragments.is_empty() || words < MIN_QUOTE_WORDS {
        return false;
    }
    let mut from = 0;
    for fragment in &fragments {
        match haystack.find_from(fragment, from) {
            // The match ends on the padding space, which the next fragment may reuse.
            Some(at) => from = at + fragment.0.len() - 1,
            None => return false,
        }
    }
    true
}

/// Figures ("40", "3.5", "1,200") in `text`, with thousands separators removed.
pub fn figures(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joins = (c == ',' || c == '.')
            && !current.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_ascii_digit() {
            current.push(c);
        } else if joins {
            if c == '.' {
                current.push('.');
            }
        } else if !current.is_empty() {
            found.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        found.push(current);
    }
    found
}

/// Figures in `text` that occur in none of `sources`.
pub fn unsupported_figures(text: &str, sources: &[&str]) -> Vec<String> {
    let known: HashSet<String> = sources.iter().flat_map(|s| figures(s)).collect();
    let mut out: Vec<String> = figures(text)
        .into_iter()
        .filter(|f| !known.contains(f))
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_match_across_case_punctuation_and_curly_apostrophes() {
        let answer = Normalized::new("So, um, I wrote the rollback plan. It didn't take long!");
        assert!(quote_occurs("I wrote the rollback plan", &answer));
        assert!(quote_occurs(
            "\u{201c}i WROTE the rollback plan.\u{201d}",
            &answer
        ));
        assert!(quote_occurs("it didn\u{2019}t take long", &answer));
        assert!(quote_occurs("I wrote ... didn't take long", &answer));
    }

    #[test]
    fn invented_partial_and_tiny_quotes_are_rejected() {
        let answer = Normalized::new("I wrote the rollback plan and we shipped it.");
        assert!(!quote_occurs("I wrote the migration plan", &answer));
        assert!(
            !quote_occurs("wrote the", &answer),
            "too short to be evidence"
        );
        assert!(
            !quote_occurs("rote the rollback", &answer),
            "word boundaries"
        );
        assert!(!quote_occurs(
            "we shipped it ... I wrote the rollback plan",
            &answer
        ));
        assert!(!quote_occurs("", &answer));
    }

    #[test]
    fn figures_are_found_and_checked_against_sources() {
        assert_eq!(
            figures("cut 1,200 ms to 3.5 s, 40% less."),
            ["1200", "3.5", "40"]
        );
        assert_eq!(
            unsupported_figures("Cut costs by 40% in 3 weeks", &["we saved 40 percent"]),
            ["3"]
        );
        assert!(unsupported_figures("No numbers here.", &[]).is_empty());
    }
}
