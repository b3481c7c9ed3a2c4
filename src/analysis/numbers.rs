//! Spelled numbers read as digits ("three and a half weeks" -> "3 and a half weeks",
//! "forty thousand" -> "40000", "thirty-minute" -> "30-minute"), by the `text2num`
//! crate, so the quantity patterns only ever look for digits. Every replaced span
//! remembers where it came from, so a match in the digit text maps back to the words
//! as spoken. Ordinals ("first", "a third") are left as words.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;
use text2num::{find_numbers, Language, Token};

/// A sentence with its spelled numbers written as digits.
#[derive(Debug, Clone)]
pub(crate) struct Digits {
    /// The text with every spelled cardinal replaced by its digits.
    pub text: String,
    replaced: Vec<Replaced>,
}

/// One spelled number: where it was, where its digits are, and its value.
#[derive(Debug, Clone)]
struct Replaced {
    original: Range<usize>,
    digits: Range<usize>,
    value: f64,
}

/// One word, figure or punctuation mark of the original text, as `text2num` reads it.
struct Word<'a> {
    text: &'a str,
    range: Range<usize>,
}

impl Token for Word<'_> {
    fn text(&self) -> Cow<'_, str> {
        self.text.into()
    }

    fn text_lowercase(&self) -> Cow<'_, str> {
        self.text.to_lowercase().into()
    }

    /// Figures and punctuation are never part of a spelled number, so "one, two"
    /// stays two numbers and "4,000" stays as written.
    fn not_a_number_part(&self) -> bool {
        !self.text.starts_with(|c: char| c.is_ascii_alphabetic())
    }
}

fn words(text: &str) -> Vec<Word<'_>> {
    static WORD: OnceLock<Regex> = OnceLock::new();
    // Hyphens split words ("fifty-two" reads as "fifty two", "thirty-minute" as
    // "thirty minute") and are not tokens themselves.
    let word = WORD.get_or_init(|| {
        Regex::new(r"[A-Za-z]+|\d[\d,]*(?:\.\d+)?|[^\sA-Za-z\d-]").expect("static word regex")
    });
    word.find_iter(text)
        .map(|m| Word {
            text: m.as_str(),
            range: m.range(),
        })
        .collect()
}

/// `text` with its spelled cardinals as digits.
pub(crate) fn spelled_as_digits(text: &str) -> Digits {
    static ENGLISH: OnceLock<Language> = OnceLock::new();
    let english = ENGLISH.get_or_init(Language::english);
    let words = words(text);
    let found = find_numbers(
        words.iter().map(|w| Word {
            text: w.text,
            range: w.range.clone(),
        }),
        english,
        0.0,
    );
    let mut out = String::with_capacity(text.len());
    let mut replaced = Vec::new();
    let mut copied = 0;
    for number in found.into_iter().filter(|n| !n.is_ordinal) {
        let (Some(first), Some(last)) = (words.get(number.start), words.get(number.end - 1)) else {
            continue;
        };
        let original = first.range.start..last.range.end;
        if original.start < copied {
            continue;
        }
        out.push_str(&text[copied..original.start]);
        let start = out.len();
        out.push_str(&number.text);
        replaced.push(Replaced {
            original: original.clone(),
            digits: start..out.len(),
            value: number.value,
        });
        copied = original.end;
    }
    out.push_str(&text[copied..]);
    Digits {
        text: out,
        replaced,
    }
}

impl Digits {
    /// The range of the original text that `range` of the digit text came from.
    pub(crate) fn original(&self, range: &Range<usize>) -> Range<usize> {
        self.original_pos(range.start, true)..self.original_pos(range.end, false)
    }

    fn original_pos(&self, pos: usize, is_start: bool) -> usize {
        let mut shift: isize = 0;
        for r in &self.replaced {
            if pos < r.digits.start || (pos == r.digits.start && !is_start) {
                break;
            }
            if pos < r.digits.end || (pos == r.digits.end && !is_start) {
                return if is_start {
                    r.original.start
                } else {
                    r.original.end
                };
            }
            shift = r.original.end as isize - r.digits.end as isize;
        }
        (pos as isize + shift) as usize
    }

    /// The value of the spelled number at the start of `range` of the digit text, if
    /// that figure was spoken as words.
    pub(crate) fn spelled_value(&self, range: &Range<usize>) -> Option<f64> {
        self.replaced
            .iter()
            .find(|r| r.digits.start <= range.start && range.start < r.digits.end)
            .map(|r| r.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(text: &str) -> String {
        spelled_as_digits(text).text
    }

    #[test]
    fn spelled_cardinals_become_digits() {
        assert_eq!(digits("within three days"), "within 3 days");
        assert_eq!(
            digits("forty thousand customers, five of them"),
            "40000 customers, 5 of them"
        );
        assert_eq!(digits("Fifty-two people"), "52 people");
        assert_eq!(digits("a thirty-minute call"), "a 30-minute call");
        assert_eq!(digits("two point five seconds"), "2.5 seconds");
        assert_eq!(digits("zero errors"), "0 errors");
        assert_eq!(
            digits("sold about three thousand seats on the first day"),
            "sold about 3000 seats on the first day"
        );
    }

    #[test]
    fn ordinals_figures_and_other_words_stay() {
        assert_eq!(
            digits("the first time, a third of them"),
            "the first time, a third of them"
        );
        assert_eq!(
            digits("a 4,000 peak on 12 nodes"),
            "a 4,000 peak on 12 nodes"
        );
        assert_eq!(digits("Q3 planning for K8s"), "Q3 planning for K8s");
        assert_eq!(digits("someone often said nine"), "someone often said 9");
    }

    #[test]
    fn ranges_map_back_to_the_words_spoken() {
        let text = "from about forty a week to six, and 12 more";
        let d = spelled_as_digits(text);
        assert_eq!(d.text, "from about 40 a week to 6, and 12 more");
        let whole = 0..d.text.find(',').unwrap();
        assert_eq!(&text[d.original(&whole)], "from about forty a week to six");
        let twelve = d.text.find("12").unwrap();
        let r = d.original(&(twelve..twelve + 2));
        assert_eq!(&text[r], "12");
        let forty = d.text.find("40").unwrap();
        assert_eq!(d.spelled_value(&(forty..forty + 2)), Some(40.0));
        assert_eq!(d.spelled_value(&(twelve..twelve + 2)), None);
    }
}
