//! Words and sentences for the whole crate: word counts (a CJK character is a word),
//! clipping, and splitting under named rules ([`SentenceRules`], [`Packing`]).

use std::ops::Range;

/// The first `max` characters of `text` (on a character boundary).
pub fn clip_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Words as the crate counts them for chunk sizes: whitespace-separated tokens, plus
/// one per CJK character, since Chinese text has no spaces.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .map(|w| {
            let cjk = w.chars().filter(|c| is_cjk(*c)).count();
            if cjk == 0 {
                1
            } else {
                cjk + usize::from(w.chars().any(|c| !is_cjk(c)))
            }
        })
        .sum()
}

/// Chinese, Japanese and Korean characters (kept in slugs, counted as words).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0xAC00..=0xD7AF | 0x20000..=0x2A6DF)
}

/// Where a sentence ends.
#[derive(Debug, Clone, Copy)]
pub struct SentenceRules {
    /// End a sentence wherever they stand.
    pub hard_stops: &'static [char],
    /// End a sentence when followed by whitespace or the end of the text (so `3.5`
    /// and `example.com` stay whole).
    pub spaced_stops: &'static [char],
    /// Closing quotes and brackets, and more stops, right after a spaced stop stay in
    /// its sentence (`"No!" he said` ends after the quote).
    pub keep_closers: bool,
    /// A dot after an abbreviation or an initial (`e.g.`, `Dr.`, `J.`) ends nothing.
    pub abbreviations: bool,
    /// A blank line ends a sentence.
    pub blank_lines: bool,
}

const CJK_STOPS: &[char] = &['。', '！', '？'];
const STOPS: &[char] = &['.', '!', '?'];

impl SentenceRules {
    /// Cutting a long line into chunk-sized units: every stop and semicolon ends a
    /// unit, spaced or not.
    pub const CHUNKS: Self = Self {
        hard_stops: &['.', '!', '?', '。', '！', '？', ';', '；'],
        spaced_stops: &[],
        keep_closers: false,
        abbreviations: false,
        blank_lines: false,
    };
    /// Written notes and stories: `.`, `!`, `?` followed by a space, and CJK stops.
    pub const WRITTEN: Self = Self {
        hard_stops: CJK_STOPS,
        spaced_stops: STOPS,
        keep_closers: false,
        abbreviations: false,
        blank_lines: false,
    };
    /// Transcribed speech: `.`, `!`, `?`, `…` followed by a space (closing quotes
    /// kept), not after abbreviations or initials, and at blank lines.
    pub const SPOKEN: Self = Self {
        hard_stops: &[],
        spaced_stops: &['.', '!', '?', '…'],
        keep_closers: true,
        abbreviations: true,
        blank_lines: true,
    };
}

/// Characters that stay with the sentence a spaced stop ends ([`SentenceRules::keep_closers`]).
const CLOSERS: &[char] = &['"', '\'', '’', '”', ')'];

/// Byte ranges of the sentences of `text` under `rules`, without surrounding
/// whitespace; empty ones left out.
pub fn sentence_spans(text: &str, rules: &SentenceRules) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if rules.blank_lines && c == '\n' && chars.get(i + 1).is_some_and(|&(_, n)| n == '\n') {
            spans.push(start..at);
            start = at;
            i += 1;
            continue;
        }
        if rules.hard_stops.contains(&c) {
            let end = at + c.len_utf8();
            spans.push(start..end);
            start = end;
            i += 1;
            continue;
        }
        if rules.spaced_stops.contains(&c) {
            let mut j = i + 1;
            if rules.keep_closers {
                while j < chars.len()
                    && (rules.spaced_stops.contains(&chars[j].1) || CLOSERS.contains(&chars[j].1))
                {
                    j += 1;
                }
            }
            let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
            let followed_by_space = chars.get(j).is_none_or(|&(_, n)| n.is_whitespace());
            let abbreviation =
                rules.abbreviations && c == '.' && j == i + 1 && is_abbreviation(&text[..at]);
            if followed_by_space && !abbreviation {
                spans.push(start..end);
                start = end;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    spans.push(start..text.len());
    spans
        .into_iter()
        .map(|span| trim(text, span))
        .filter(|span| !span.is_empty())
        .collect()
}

/// The sentences of `text` under `rules`, as text.
pub fn sentences<'a>(text: &'a str, rules: &SentenceRules) -> Vec<&'a str> {
    sentence_spans(text, rules)
        .into_iter()
        .map(|span| &text[span])
        .collect()
}

fn trim(text: &str, span: Range<usize>) -> Range<usize> {
    let slice = &text[span.clone()];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    let start = span.start + lead;
    start..(span.end - trail).max(start)
}

/// Words that end in a dot without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "jr", "sr", "st",
    "approx", "no", "dept", "est", "fig", "eg", "ie", "cf", "al",
];

/// The word right before a dot is an abbreviation or a single initial ("J.", "U.S.").
fn is_abbreviation(before: &str) -> bool {
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let lower = word.to_lowercase();
    let initial = |p: &str| p.chars().count() == 1 && p.chars().all(char::is_alphabetic);
    ABBREVIATIONS.contains(&lower.as_str())
        || (word != "I" && word.chars().count() == 1 && word.chars().all(char::is_uppercase))
        || (lower.contains('.') && lower.split('.').all(initial))
}

/// How [`split_words`] fills its pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// Each piece as full as allowed, the last one what is left (chunks keep
    /// the reading order of a long line in equal windows).
    Greedy,
    /// Pieces of about even size (notes: no short tail piece).
    Even,
}

/// `text` in pieces of at most `max` words (see [`word_count`]), cut between words or,
/// in CJK text, between characters; the pieces trimmed.
pub fn split_words(text: &str, max: usize, packing: Packing) -> Vec<String> {
    match packing {
        Packing::Greedy => split_greedy(text, max),
        Packing::Even => {
            let mut tokens: Vec<String> = Vec::new();
            for token in text.split_whitespace() {
                if word_count(token) <= max {
                    tokens.push(token.to_string());
                } else {
                    let chars: Vec<char> = token.chars().collect();
                    tokens.extend(
                        chars
                            .chunks(max.saturating_sub(1).max(1))
                            .map(|c| c.iter().collect()),
                    );
                }
            }
            pack_evenly(tokens, max)
        }
    }
}

fn split_greedy(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut count = 0;
    for ch in text.chars() {
        let starts_word = is_cjk(ch)
            || (!ch.is_whitespace() && current.chars().last().is_none_or(char::is_whitespace));
        if starts_word && count >= max {
            out.push(std::mem::take(&mut current).trim().to_string());
            count = 0;
        }
        if starts_word {
            count += 1;
        }
        current.push(ch);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// Join `pieces` with spaces into parts of at most `max` words (a piece longer than
/// that stays whole), aiming at parts of even size.
pub fn pack_evenly(pieces: Vec<String>, max: usize) -> Vec<String> {
    let total: usize = pieces.iter().map(|p| word_count(p)).sum();
    let target = total.div_ceil(total.div_ceil(max).max(1));
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = 0;
    for piece in pieces {
        let w = word_count(&piece);
        if !current.is_empty() && (words + w > max || words >= target) {
            out.push(std::mem::take(&mut current));
            words = 0;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&piece);
        words += w;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "We cut p99 from 3.2 s to 0.4 s. See example.com; then \"No!\" he said. \
                        Dr. Smith agreed…  这是第一句。这是第二句";

    #[test]
    fn the_rules_differ_only_where_they_say() {
        assert_eq!(
            sentences(TEXT, &SentenceRules::CHUNKS),
            [
                "We cut p99 from 3.",
                "2 s to 0.",
                "4 s.",
                "See example.",
                "com;",
                "then \"No!",
                "\" he said.",
                "Dr.",
                "Smith agreed…  这是第一句。",
                "这是第二句",
            ]
        );
        assert_eq!(
            sentences(TEXT, &SentenceRules::WRITTEN),
            [
                "We cut p99 from 3.2 s to 0.4 s.",
                "See example.com; then \"No!\" he said.",
                "Dr.",
                "Smith agreed…  这是第一句。",
                "这是第二句",
            ]
        );
        assert_eq!(
            sentences(TEXT, &SentenceRules::SPOKEN),
            [
                "We cut p99 from 3.2 s to 0.4 s.",
                "See example.com; then \"No!\"",
                "he said.",
                "Dr. Smith agreed…",
                "这是第一句。这是第二句",
            ]
        );
    }

    #[test]
    fn spoken_sentences_end_at_blank_lines_and_keep_initials() {
        assert_eq!(
            sentences(
                "J. R. R. agreed\n\nThe U.S. team won. So did I.",
                &SentenceRules::SPOKEN
            ),
            ["J. R. R. agreed", "The U.S. team won.", "So did I."]
        );
    }

    #[test]
    fn spans_are_substrings_without_surrounding_space() {
        let text = "  One two.   Three four!  ";
        let spans = sentence_spans(text, &SentenceRules::WRITTEN);
        assert_eq!(spans, [2..10, 13..24]);
    }

    #[test]
    fn word_pieces_stay_within_the_limit_greedy_or_even() {
        let text = "word ".repeat(25);
        let greedy = split_words(&text, 10, Packing::Greedy);
        assert_eq!(
            greedy.iter().map(|p| word_count(p)).collect::<Vec<_>>(),
            [10, 10, 5]
        );
        let even = split_words(&text, 10, Packing::Even);
        assert_eq!(
            even.iter().map(|p| word_count(p)).collect::<Vec<_>>(),
            [9, 9, 7]
        );
        let cjk = "字".repeat(250);
        for packing in [Packing::Greedy, Packing::Even] {
            let pieces = split_words(&cjk, 100, packing);
            assert!(pieces.iter().all(|p| word_count(p) <= 100), "{packing:?}");
            assert_eq!(pieces.concat(), cjk, "{packing:?}");
        }
    }
}
