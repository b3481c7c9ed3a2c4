//! Quantified results: numbers, percentages, money, durations, multipliers and
//! before/after pairs, found sentence by sentence.

// Patterns (case-insensitive; a number is digits or spelled "one" ... "ninety",
// "hundred", "thousand", "million", "fifty-two", "two hundred"):
// - before/after: "from X (...) to Y" with numbers on both sides ("from 3.2% to
//   0.4%", "from about forty a week to six"), and "N units instead of ...";
// - money: "$72k", "€1.2M", "£300", "two hundred dollars";
// - percent: "23%", "thirty percent", "5 percentage points";
// - multiplier: "10x", "3×", "three times", "twice", "doubled", "halved", "by half";
// - duration: "two weeks", "90 days", "400 ms", "a thirty-minute" ("thirty-minute");
// - number: any other figure in digits ("2.1 petabytes"), or spelled with tens or a
//   magnitude ("forty thousand", "two hundred", "fifty"); four-digit years and small
//   spelled numbers ("five of them", "one region") are skipped.
//
// A span is reported once, under the first kind in that order that matches it.

use std::sync::OnceLock;

use regex::Regex;

use super::model::QuantityKind;
use super::text::Answer;

/// A quantity before STAR parts are known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub kind: QuantityKind,
    pub text: String,
    pub sentence: usize,
}

impl QuantityKind {
    /// Kinds that on their own suggest a result is being reported.
    pub(crate) fn is_strong(self) -> bool {
        matches!(
            self,
            QuantityKind::BeforeAfter
                | QuantityKind::Money
                | QuantityKind::Percent
                | QuantityKind::Multiplier
        )
    }
}

const NUMBER_WORDS: &str = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen";

fn patterns() -> &'static [(QuantityKind, Regex)] {
    static PATTERNS: OnceLock<Vec<(QuantityKind, Regex)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let word = format!(r"(?:{NUMBER_WORDS})");
        let num = format!(r"(?:\d[\d,]*(?:\.\d+)?|\b{word}(?:[- ]{word})*\b)");
        let value = format!(r"[$€£]?{num}(?:\s?(?:%|percent\b|k\b|m\b|bn\b|x\b|×))?");
        let units = r"(?:ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|quarters?|years?|sprints?)";
        let specs: Vec<(QuantityKind, String)> = vec![
            (
                QuantityKind::BeforeAfter,
                format!(
                    r"\bfrom\s+(?:about\s+|around\s+|roughly\s+|over\s+|nearly\s+|almost\s+|more than\s+)?{value}\s+(?:[\w-]+\s+){{0,3}}?(?:down\s+|up\s+|all the way\s+)?to\s+(?:about\s+|around\s+|roughly\s+|under\s+|just\s+|only\s+|less than\s+|over\s+)?{value}"
                ),
            ),
            (
                QuantityKind::BeforeAfter,
                format!(r"{num}\s+(?:[\w-]+\s+){{0,2}}?instead of\s+(?:a\s+|an\s+|the\s+)?[\w-]+(?:\s+[\w-]+)?"),
            ),
            (
                QuantityKind::Money,
                format!(r"[$€£]\s?{num}(?:\s?(?:k|mm|m|bn|b|million|billion|thousand)\b)?"),
            ),
            (
                QuantityKind::Money,
                format!(r"{num}\s?(?:k|m|million|billion|thousand)?\s?(?:dollars|euros|pounds|bucks|usd|eur|gbp)\b"),
            ),
            (
                QuantityKind::Percent,
                format!(r"{num}\s?(?:%|percent\b|per cent\b|percentage points?\b)"),
            ),
            (QuantityKind::Multiplier, r"\b\d+(?:\.\d+)?\s?(?:x\b|×)".to_string()),
            (QuantityKind::Multiplier, format!(r"{num}\s+times\b")),
            (
                QuantityKind::Multiplier,
                r"\b(?:twice|double[ds]?|doubling|tripled?|tripling|quadrupled?|halved|halving|by half|in half|by a (?:third|quarter|half)|by (?:two|three)-thirds)\b".to_string(),
            ),
            (
                QuantityKind::Duration,
                format!(r"{num}(?:\s|-)(?:more\s+|full\s+|extra\s+|whole\s+)?{units}\b|\b\d+\s?(?:ms|s|h)\b"),
            ),
            (QuantityKind::Number, r"\b\d[\d,]*(?:\.\d+)?\b".to_string()),
            (
                QuantityKind::Number,
                format!(
                    r"\b(?:{word}[- ])*(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion)(?:[- ]{word})*\b"
                ),
            ),
        ];
        specs
            .into_iter()
            .map(|(kind, p)| (kind, Regex::new(&format!("(?i){p}")).expect("static quantity regex")))
            .collect()
    })
}

fn is_year(text: &str) -> bool {
    text.len() == 4
        && (text.starts_with("19") || text.starts_with("20"))
        && text.bytes().all(|b| b.is_ascii_digit())
}

/// A rating such as "5/5" or "8/10": a grade, not a measured result.
fn is_rating(text: &str, range: &std::ops::Range<usize>) -> bool {
    let bytes = text.as_bytes();
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    (bytes.get(range.end) == Some(&b'/') && digit_at(range.end + 1))
        || (range.start >= 2 && bytes[range.start - 1] == b'/' && digit_at(range.start - 2))
}

/// Quantities in one sentence's text, in order of appearance.
pub(crate) fn in_text(text: &str) -> Vec<(QuantityKind, std::ops::Range<usize>)> {
    let mut taken: Vec<(QuantityKind, std::ops::Range<usize>)> = Vec::new();
    for (kind, regex) in patterns() {
        for m in regex.find_iter(text) {
            let range = m.start()..m.end();
            let span = m.as_str().trim();
            if span.is_empty()
                || (*kind == QuantityKind::Number && (is_year(span) || is_rating(text, &range)))
            {
                continue;
            }
            if taken
                .iter()
                .any(|(_, r)| r.start < range.end && range.start < r.end)
            {
                continue;
            }
            taken.push((*kind, range));
        }
    }
    taken.sort_by_key(|(_, r)| r.start);
    taken
}

/// Quantities in every sentence of the answer.
pub(crate) fn find(answer: &Answer) -> Vec<Found> {
    let mut found = Vec::new();
    for sentence in 0..answer.sentences.len() {
        let text = answer.sentence_text(sentence);
        for (kind, range) in in_text(text) {
            found.push(Found {
                kind,
                text: text.get(range).unwrap_or("").trim().to_string(),
                sentence,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use QuantityKind::*;

    fn kinds(text: &str) -> Vec<(QuantityKind, String)> {
        in_text(text)
            .into_iter()
            .map(|(k, r)| (k, text[r].to_string()))
            .collect()
    }

    #[test]
    fn ratings_are_not_results() {
        assert!(kinds("give it 5/5 on every dimension").is_empty());
        assert!(kinds("I would rate it 8/10").is_empty());
        assert_eq!(kinds("we served 5 regions"), vec![(Number, "5".into())]);
    }

    #[test]
    fn finds_each_kind() {
        assert_eq!(
            kinds("Failures dropped from 3.2% to 0.4%."),
            vec![(BeforeAfter, "from 3.2% to 0.4%".into())]
        );
        assert_eq!(
            kinds("It went from about forty a week to six."),
            vec![(BeforeAfter, "from about forty a week to six".into())]
        );
        assert_eq!(
            kinds("It costs $72k, or €1.2M a year."),
            vec![(Money, "$72k".into()), (Money, "€1.2M".into())]
        );
        assert_eq!(
            kinds("a limit of two hundred dollars"),
            vec![(Money, "two hundred dollars".into())]
        );
        assert_eq!(
            kinds("up 23% and thirty percent"),
            vec![(Percent, "23%".into()), (Percent, "thirty percent".into())]
        );
        assert_eq!(
            kinds("10x faster, three times the peak, and it doubled"),
            vec![
                (Multiplier, "10x".into()),
                (Multiplier, "three times".into()),
                (Multiplier, "doubled".into())
            ]
        );
        assert_eq!(
            kinds("in two weeks, a thirty-minute call, 400 ms"),
            vec![
                (Duration, "two weeks".into()),
                (Duration, "thirty-minute".into()),
                (Duration, "400 ms".into())
            ]
        );
        assert_eq!(
            kinds("It now runs in four minutes instead of a full afternoon."),
            vec![(
                BeforeAfter,
                "four minutes instead of a full afternoon".into()
            )]
        );
        assert_eq!(
            kinds("In 2019 we found 2.1 petabytes"),
            vec![(Number, "2.1".into())]
        );
        assert_eq!(
            kinds("forty thousand customers, five of them happy"),
            vec![(Number, "forty thousand".into())]
        );
    }

    #[test]
    fn words_inside_words_are_not_numbers() {
        assert!(kinds("We often gave it a tone of someone who knew.").is_empty());
        assert!(kinds("Q3 planning for K8s with an A/B test").is_empty());
    }
}
