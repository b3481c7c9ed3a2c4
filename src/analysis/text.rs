//! The candidate's answer as words and sentences.

// Candidate turns are joined into one text. Turns in a row (no interviewer turn in
// between) are joined with a space, so a sentence may run across cues; an
// interviewer turn or a blank line ends a sentence. Sentences end at `.`, `!`, `?` or
// `…` followed by a space (not after abbreviations like "e.g." or initials), and
// sentences longer than [`MAX_SENTENCE_WORDS`] (unpunctuated speech-to-text) are cut
// at commas and conjunctions.
//
// A word is a run of letters and digits, with inner apostrophes, hyphens, slashes,
// dots and commas (`don't`, `fifty-two`, `A/B`, `3.2`, `1,200`).

use std::sync::OnceLock;

use regex::Regex;

use super::thresholds::MAX_SENTENCE_WORDS;
use super::transcript::{Role, Transcript};
use crate::text::SentenceRules;

/// One word of the answer.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    /// Byte range in [`Answer::text`].
    pub start: usize,
    pub end: usize,
    pub lower: String,
    pub sentence: usize,
    /// Index of the turn in `Transcript::turns`.
    pub turn: usize,
    /// Position among the words of its turn.
    pub ordinal: usize,
}

/// One sentence: a byte range and a range of word indexes.
#[derive(Debug, Clone)]
pub(crate) struct SentenceSpan {
    pub start: usize,
    pub end: usize,
    pub first_word: usize,
    pub end_word: usize,
}

/// The candidate's speech, split into words and sentences.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answer {
    pub text: String,
    pub words: Vec<Word>,
    pub sentences: Vec<SentenceSpan>,
    /// Number of words per turn of the transcript (0 for interviewer turns).
    pub turn_word_counts: Vec<usize>,
}

impl Answer {
    pub fn sentence_text(&self, i: usize) -> &str {
        self.sentences
            .get(i)
            .and_then(|s| self.text.get(s.start..s.end))
            .unwrap_or("")
    }

    pub fn word_text(&self, i: usize) -> &str {
        self.words
            .get(i)
            .and_then(|w| self.text.get(w.start..w.end))
            .unwrap_or("")
    }

    /// The text between word `i - 1` and word `i` (or the sentence start).
    pub fn gap_before(&self, i: usize) -> &str {
        let Some(word) = self.words.get(i) else {
            return "";
        };
        let from = match i.checked_sub(1).and_then(|p| self.words.get(p)) {
            Some(prev) if prev.sentence == word.sentence => prev.end,
            _ => self
                .sentences
                .get(word.sentence)
                .map_or(word.start, |s| s.start),
        };
        self.text.get(from..word.start).unwrap_or("")
    }

    /// The text between word `i` and word `i + 1` (or the sentence end).
    pub fn gap_after(&self, i: usize) -> &str {
        let Some(word) = self.words.get(i) else {
            return "";
        };
        let to = match self.words.get(i + 1) {
            Some(next) if next.sentence == word.sentence => next.start,
            _ => self
                .sentences
                .get(word.sentence)
                .map_or(word.end, |s| s.end.max(word.end)),
        };
        self.text.get(word.end..to).unwrap_or("")
    }
}

fn word_regex() -> &'static Regex {
    static WORD: OnceLock<Regex> = OnceLock::new();
    WORD.get_or_init(|| {
        Regex::new(r"[\p{L}\p{N}]+(?:['’./,\-][\p{L}\p{N}]+)*").expect("static regex")
    })
}

/// Split the candidate's turns into words and sentences.
pub(crate) fn answer(transcript: &Transcript) -> Answer {
    let mut answer = Answer {
        turn_word_counts: vec![0; transcript.turns.len()],
        ..Answer::default()
    };
    // Byte ranges of each turn's text, and hard sentence breaks.
    let mut previous_candidate: Option<usize> = None;
    let mut turn_ranges: Vec<(usize, usize, usize)> = Vec::new();
    for (index, turn) in transcript.turns.iter().enumerate() {
        if turn.role != Role::Candidate {
            continue;
        }
        if !answer.text.is_empty() {
            let same_run = previous_candidate.is_some_and(|p| p + 1 == index);
            answer.text.push_str(if same_run { " " } else { "\n\n" });
        }
        let start = answer.text.len();
        answer.text.push_str(turn.text.trim());
        turn_ranges.push((index, start, answer.text.len()));
        previous_candidate = Some(index);
    }
    for (turn, start, end) in turn_ranges {
        let Some(segment) = answer.text.get(start..end) else {
            continue;
        };
        let mut ordinal = 0;
        let found: Vec<(usize, usize)> = word_regex()
            .find_iter(segment)
            .map(|m| (start + m.start(), start + m.end()))
            .collect();
        for (s, e) in found {
            answer.words.push(Word {
                start: s,
                end: e,
                lower: answer.text[s..e].to_lowercase().replace('’', "'"),
                sentence: 0,
                turn,
                ordinal,
            });
            ordinal += 1;
        }
        if let Some(count) = answer.turn_word_counts.get_mut(turn) {
            *count = ordinal;
        }
    }
    let spans = crate::text::sentence_spans(&answer.text, &SentenceRules::SPOKEN);
    assign_sentences(&mut answer, &spans);
    answer
}

/// Give every word its sentence, dropping sentences without words and cutting
/// overlong ones.
fn assign_sentences(answer: &mut Answer, spans: &[std::ops::Range<usize>]) {
    let mut sentences = Vec::new();
    let mut w = 0;
    for &std::ops::Range { start, end } in spans {
        let first = w;
        while w < answer.words.len() && answer.words[w].start < end {
            w += 1;
        }
        if w > first {
            for cut in cut_long(answer, first, w) {
                sentences.push(cut_span(answer, cut, (start, end, first, w)));
            }
        }
    }
    for (index, s) in sentences.iter().enumerate() {
        for word in &mut answer.words[s.first_word..s.end_word] {
            word.sentence = index;
        }
    }
    answer.sentences = sentences;
}

/// Word ranges of a sentence, cut at commas/conjunctions when it is too long.
fn cut_long(answer: &Answer, first: usize, end: usize) -> Vec<(usize, usize)> {
    const MIN_CHUNK: usize = 15;
    if end - first <= MAX_SENTENCE_WORDS {
        return vec![(first, end)];
    }
    let mut cuts = Vec::new();
    let mut chunk_start = first;
    for i in first + 1..end {
        let gap = answer
            .text
            .get(answer.words[i - 1].end..answer.words[i].start)
            .unwrap_or("");
        let splittable = gap.contains([',', ';', ':', '–', '—'])
            || matches!(
                answer.words[i].lower.as_str(),
                "and" | "so" | "but" | "then"
            );
        let natural = i - chunk_start >= MIN_CHUNK && end - i >= MIN_CHUNK / 2 && splittable;
        if natural || i - chunk_start >= MAX_SENTENCE_WORDS {
            cuts.push((chunk_start, i));
            chunk_start = i;
        }
    }
    cuts.push((chunk_start, end));
    cuts
}

fn cut_span(
    answer: &Answer,
    (first, end): (usize, usize),
    sentence: (usize, usize, usize, usize),
) -> SentenceSpan {
    let (start, stop, sentence_first, sentence_end) = sentence;
    let s = if first == sentence_first {
        start
    } else {
        answer.words[first].start
    };
    let e = if end == sentence_end {
        stop
    } else {
        answer.words[end - 1].end
    };
    SentenceSpan {
        start: s,
        end: e.max(s),
        first_word: first,
        end_word: end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::transcript::parse;

    fn sentences(text: &str) -> Vec<String> {
        let t = parse(text, None).unwrap();
        let a = answer(&t);
        (0..a.sentences.len())
            .map(|i| a.sentence_text(i).to_string())
            .collect()
    }

    #[test]
    fn splits_on_punctuation_not_abbreviations_or_decimals() {
        assert_eq!(
            sentences("We cut it from 3.2% to 0.4%. Then, e.g. Dr. Smith said no! Why? J. R. R. agreed. So did I. It fell to 2.5. The U.S. team won."),
            vec![
                "We cut it from 3.2% to 0.4%.",
                "Then, e.g. Dr. Smith said no!",
                "Why?",
                "J. R. R. agreed.",
                "So did I.",
                "It fell to 2.5.",
                "The U.S. team won."
            ]
        );
    }

    #[test]
    fn sentences_run_across_cues_but_not_across_interviewer_turns() {
        let vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\n<v Me>At my last job the\n\n00:01.000 --> 00:02.000\n<v Me>team was small.\n\n00:02.000 --> 00:03.000\n<v Interviewer>ok\n\n00:03.000 --> 00:04.000\n<v Me>I fixed it\n";
        assert_eq!(
            sentences(vtt),
            vec!["At my last job the team was small.", "I fixed it"]
        );
    }

    #[test]
    fn words() {
        let t = parse("I don't know, fifty-two A/B tests at $1,200.50 each", None).unwrap();
        let a = answer(&t);
        let words: Vec<&str> = (0..a.words.len()).map(|i| a.word_text(i)).collect();
        assert_eq!(
            words,
            vec![
                "I",
                "don't",
                "know",
                "fifty-two",
                "A/B",
                "tests",
                "at",
                "1,200.50",
                "each"
            ]
        );
        assert_eq!(a.gap_before(3), ", ");
    }

    #[test]
    fn long_unpunctuated_speech_is_cut() {
        let text = "so we had this problem with the build and it was slow and nobody knew why and I looked at the logs and found the cache was broken so I fixed the cache and then I wrote a test and then we shipped it and the build got faster and everyone was happy with it";
        let s = sentences(text);
        assert!(s.len() >= 2, "{s:?}");
        assert!(s
            .iter()
            .all(|x| x.split_whitespace().count() <= MAX_SENTENCE_WORDS));
    }
}
