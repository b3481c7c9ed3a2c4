//! Quantified results: numbers, percentages, money, durations, multipliers,
//! fractions, zero counts and before/after pairs, found sentence by sentence.

// Spelled numbers are first written as digits (see `numbers`: "three and a half weeks"
// -> "3 and a half weeks"), so every pattern below looks for digits; a match is
// reported with the words as spoken. Patterns (case-insensitive):
// - before/after: "from X (...) to Y" with numbers on both sides ("from 3.2% to
//   0.4%", "from about forty a week to six"), "N units instead of ...", and "X ...
//   compared with / down from / rather than Y";
// - money: "$72k", "€1.2M", "£300", "two hundred dollars";
// - percent: "23%", "thirty percent", "5 percentage points";
// - multiplier: "10x", "3×", "three times", "twice", "doubled", "halved", "by half";
// - fraction: "a third of", "two thirds", "half the team", "a quarter of the tickets";
// - duration: "two weeks", "90 days", "400 ms", "thirty-minute", "half a day";
// - zero: "zero medication errors", "no unplanned outages", "without errors", "not a
//   single page", "none of them came back";
// - number: any other figure ("2.1 petabytes", "a dozen"); four-digit years, ratings
//   ("5/5") and small spelled numbers that count nothing ("one of them", "five of
//   them") are skipped, while "eight teams" counts.
//
// A span is reported once, under the first kind in that order that matches it.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::model::QuantityKind;
use super::numbers::{spelled_as_digits, Digits};
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
                | QuantityKind::Fraction
                | QuantityKind::Zero
        )
    }
}

/// Things whose absence is an outcome: "no outages", "zero medication errors".
const EVENTS: &str = r"(?:outages?|incidents?|(?:[\w-]+\s+)?errors?|falls?|complaints?|escalations?|defects?|bugs?|regressions?|pages|paging|rollbacks?|failures?|downtime|data loss|crash(?:es)?|alerts?|breach(?:es)?|injur(?:y|ies)|delays?|cancellations?|churn|mistakes?|missed\s+[\w-]+|lost\s+[\w-]+|failed\s+[\w-]+|broken\s+[\w-]+|[\w-]+\s+(?:tickets?|issues?|problems?))";

/// Words after a small spelled number that show it counts nothing ("one of them").
const NOT_COUNTED_AFTER: &[&str] = &[
    "of", "or", "and", "to", "more", "other", "others", "in", "on", "at", "by", "for", "with",
    "from", "than", "the", "a", "an", "that", "who", "which", "is", "was",
];

fn patterns() -> &'static [(QuantityKind, Regex)] {
    static PATTERNS: OnceLock<Vec<(QuantityKind, Regex)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let num = r"(?:\d[\d,]*(?:\.\d+)?(?:\s+and\s+a\s+half)?)";
        let value = format!(r"[$€£]?{num}(?:\s?(?:%|percent\b|k\b|m\b|bn\b|x\b|×))?");
        let about = r"(?:about\s+|around\s+|roughly\s+|over\s+|under\s+|nearly\s+|almost\s+|just\s+|only\s+|less than\s+|more than\s+)?";
        let units = r"(?:ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|shifts?|weeks?|months?|quarters?|years?|sprints?)";
        let specs: Vec<(QuantityKind, String)> = vec![
            (
                QuantityKind::BeforeAfter,
                format!(
                    r"\bfrom\s+{about}{value}\s+(?:[\w-]+\s+){{0,3}}?(?:down\s+|up\s+|all the way\s+)?to\s+{about}{value}"
                ),
            ),
            (
                QuantityKind::BeforeAfter,
                format!(r"{num}\s+(?:[\w-]+\s+){{0,2}}?instead of\s+(?:a\s+|an\s+|the\s+)?[\w-]+(?:\s+[\w-]+)?"),
            ),
            (
                QuantityKind::BeforeAfter,
                format!(
                    r"{value}\s+(?:[\w-]+\s+){{0,3}}?,?\s*(?:compared (?:with|to)|versus|vs\.?|rather than|down from|up from)\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){{0,2}}?{about}{value}"
                ),
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
                r"\b(?:twice|double[ds]?|doubling|tripled?|tripling|quadrupled?|halved|halving|by half|in half|by a (?:third|quarter|half)|by \d+[ -]thirds)\b".to_string(),
            ),
            (
                QuantityKind::Fraction,
                r"\b(?:a|one|\d+)[\s-]+(?:half|third|thirds|quarter|quarters|fifth|fifths|tenth|tenths)\s+of\b|\b\d+[\s-]+(?:thirds|fifths|tenths)\b|\bhalf\s+(?:of\s+)?(?:the|our|their|its|his|her|my|all|every|them)\b".to_string(),
            ),
            (
                QuantityKind::Duration,
                format!(r"{num}(?:\s|-)(?:more\s+|full\s+|extra\s+|whole\s+)?{units}\b|\b\d+\s?(?:ms|s|h)\b|\bhalf an?\s+(?:hour|day|week|shift)\b"),
            ),
            (
                QuantityKind::Zero,
                format!(
                    r"\b0\s+(?:[\w-]+\s+){{0,2}}?{EVENTS}\b|\b0\s+[a-z][\w-]*|\bno\s+(?:[\w-]+\s+){{0,2}}?{EVENTS}\b|\bwithout\s+(?:a single\s+|any\s+|an?\s+)?{EVENTS}\b|\bnot (?:a single|one)\s+(?:[\w-]+\s+)?{EVENTS}\b|\bnone of (?:the|them|our|their|those|these)\b(?:\s+[\w-]+){{0,3}}?\s+(?:came back|recurred|returned|failed|broke|reopened|was lost|were lost|churned|escalated|left)\b"
                ),
            ),
            (QuantityKind::Number, r"\b\d[\d,]*(?:\.\d+)?\b|\b(?:half\s+)?a\s+dozen\b".to_string()),
        ];
        specs
            .into_iter()
            .map(|(kind, p)| (kind, Regex::new(&format!("(?i){p}")).expect("static quantity regex")))
            .collect()
    })
}

/// A year, written ("2019") or spoken ("twenty nineteen"); `spoken` holds the words of
/// a figure said in words, and "two thousand tickets" is a count.
fn is_year(figure: &str, spoken: Option<&str>) -> bool {
    let year_shaped = figure.len() == 4
        && (figure.starts_with("19") || figure.starts_with("20"))
        && figure.bytes().all(|b| b.is_ascii_digit());
    year_shaped && !spoken.is_some_and(|words| words.to_ascii_lowercase().contains("thousand"))
}

/// A rating such as "5/5" or "8/10": a grade, not a measured result.
fn is_rating(text: &str, range: &Range<usize>) -> bool {
    let bytes = text.as_bytes();
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    (bytes.get(range.end) == Some(&b'/') && digit_at(range.end + 1))
        || (range.start >= 2 && bytes[range.start - 1] == b'/' && digit_at(range.start - 2))
}

/// A figure spoken as a small word that counts nothing: "one of them", "the two of
/// us", "five or so"; "eight teams" and "twelve" count.
fn counts_nothing(digits: &Digits, range: &Range<usize>) -> bool {
    let Some(value) = digits.spelled_value(range) else {
        return false;
    };
    if value >= 10.0 {
        return false;
    }
    if value < 2.0 {
        return true;
    }
    let next = digits.text[range.end..]
        .trim_start_matches([' ', '-'])
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    next.is_empty() || NOT_COUNTED_AFTER.contains(&next.as_str())
}

/// Quantities in one sentence's text, in order of appearance, as ranges of `text`.
pub(crate) fn in_text(text: &str) -> Vec<(QuantityKind, Range<usize>)> {
    let digits = spelled_as_digits(text);
    let mut taken: Vec<(QuantityKind, Range<usize>)> = Vec::new();
    for (kind, regex) in patterns() {
        for m in regex.find_iter(&digits.text) {
            let range = m.range();
            let span = m.as_str().trim();
            if span.is_empty()
                || (*kind == QuantityKind::Number
                    && (is_year(
                        span,
                        digits
                            .spelled_value(&range)
                            .map(|_| &text[digits.original(&range)]),
                    ) || is_rating(&digits.text, &range)
                        || counts_nothing(&digits, &range)))
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
    let mut found: Vec<(QuantityKind, Range<usize>)> = taken
        .into_iter()
        .map(|(kind, range)| (kind, digits.original(&range)))
        .collect();
    found.sort_by_key(|(_, r)| r.start);
    found
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
    fn results_in_words() {
        assert_eq!(
            kinds("It went live on the new date and sold about three thousand seats."),
            vec![(Number, "three thousand".into())]
        );
        assert_eq!(
            kinds("In 2019 we sold two thousand seats."),
            vec![(Number, "two thousand".into())]
        );
        assert_eq!(
            kinds("We were live within three days and eight teams adopted it."),
            vec![(Duration, "three days".into()), (Number, "eight".into())]
        );
        assert_eq!(
            kinds("It took four months instead of the planned nine."),
            vec![(
                BeforeAfter,
                "four months instead of the planned nine".into()
            )]
        );
        assert_eq!(
            kinds("A quarter of the tickets, two thirds of the team, half the on-call load."),
            vec![
                (Fraction, "A quarter of".into()),
                (Fraction, "two thirds of".into()),
                (Fraction, "half the".into())
            ]
        );
        assert_eq!(
            kinds("There have been no outages since, with zero medication errors."),
            vec![
                (Zero, "no outages".into()),
                (Zero, "zero medication errors".into())
            ]
        );
        assert_eq!(
            kinds("It shipped without a single rollback and none of the alerts came back."),
            vec![
                (Zero, "without a single rollback".into()),
                (Zero, "none of the alerts came back".into())
            ]
        );
        assert_eq!(
            kinds("We were running in three and a half weeks, 6 a week down from 40."),
            vec![
                (Duration, "three and a half weeks".into()),
                (BeforeAfter, "6 a week down from 40".into())
            ]
        );
        assert_eq!(
            kinds("about a dozen services"),
            vec![(Number, "a dozen".into())]
        );
    }

    #[test]
    fn small_spelled_numbers_that_count_nothing_are_skipped() {
        assert!(kinds("One of them, the two of us, one region").is_empty());
        assert!(kinds("There was no documentation and no owner.").is_empty());
        assert_eq!(
            kinds("we hired two engineers"),
            vec![(Number, "two".into())]
        );
    }

    #[test]
    fn words_inside_words_are_not_numbers() {
        assert!(kinds("We often gave it a tone of someone who knew.").is_empty());
        assert!(kinds("Q3 planning for K8s with an A/B test").is_empty());
    }
}
