//! Fillers and hedges, counted in context.

// Fillers (GUIDE): um, uh, er, like, you know, basically, actually, so, I mean, kind
// of, sort of. Context rules:
// - `um`/`umm`/`uhm`, `uh`/`uhh`, `er`/`erm`: always fillers.
// - `like`: a filler between commas (", like,") or opening a sentence ("Like, ...").
//   Not a filler as a verb ("I like", "would like", "don't like") or a preposition
//   ("looks like", "feel like", "something like", "like a", "like the"). Before a
//   number it is an approximator, counted ("took like three weeks"). After a comma,
//   or after a verb, copula or conjunction ("it was like really slow", "and like"),
//   a filler. After any other word (usually a noun: "details like allergies",
//   "tools like Grafana") a preposition meaning "such as", not counted.
// - `you know`: a filler unless it is the verb with an object ("you know what I
//   mean", "you know the answer") or a question ("do you know", "if you know").
// - `so`: a filler as a discourse marker opening a sentence ("So I pulled...", "Um,
//   so, ...") or between commas; not in "so that", "so much", "so many", "so far",
//   and not mid-sentence ("..., so I fixed it" is a consequence).
// - `I mean`: a filler unless "what I mean" or "I mean it/that/to".
// - `kind of`/`sort of`: fillers (and hedges) unless a noun use ("a kind of", "what
//   sort of", "this kind of").
// - `basically`, `actually`: always counted, as the GUIDE lists them.
//
// Hedges (GUIDE and brief): I think, maybe, probably, I guess, hopefully, sort of,
// kind of. "I think of/about" is thinking, not hedging. "kind of"/"sort of" count in
// both lists, as both lists name them.

use std::collections::BTreeMap;

use super::text::Answer;

/// Words that open a sentence before a discourse "so"/"like" ("Um, so", "Yeah, so").
const OPENERS: &[&str] = &[
    "um", "umm", "uh", "uhh", "er", "erm", "well", "okay", "ok", "yeah", "and", "oh", "right",
];
/// Before "like", these make it a verb ("I like", "would like").
const LIKE_AS_VERB_AFTER: &[&str] = &[
    "i",
    "you",
    "we",
    "they",
    "he",
    "she",
    "people",
    "would",
    "wouldn't",
    "do",
    "don't",
    "didn't",
    "does",
    "doesn't",
    "did",
    "to",
    "really",
    "also",
    "who",
    "might",
    "may",
    "will",
    "i'd",
    "we'd",
    "you'd",
    "they'd",
    "i'll",
    "we'll",
    "not",
    "never",
    "always",
    "genuinely",
    "should",
    "could",
];
/// Before "like", these make it a preposition ("looks like", "something like").
const LIKE_AS_PREPOSITION_AFTER: &[&str] = &[
    "look",
    "looks",
    "looked",
    "looking",
    "seem",
    "seems",
    "seemed",
    "feel",
    "feels",
    "felt",
    "feeling",
    "sound",
    "sounds",
    "sounded",
    "something",
    "anything",
    "nothing",
    "things",
    "stuff",
    "more",
    "less",
    "much",
    "exactly",
    "act",
    "acted",
    "acting",
    "treat",
    "treated",
];
/// Before "like" (no commas), these make it a filler ("it was like really slow").
const LIKE_AS_FILLER_AFTER: &[&str] = &[
    "was",
    "is",
    "were",
    "are",
    "be",
    "been",
    "it's",
    "i'm",
    "we're",
    "they're",
    "that's",
    "he's",
    "she's",
    "and",
    "but",
    "or",
    "so",
    "just",
    "had",
    "have",
    "has",
    "took",
    "takes",
    "take",
    "got",
    "get",
    "spent",
    "um",
    "uh",
    "er",
    "totally",
    "literally",
    "then",
    "there",
];
/// Spelled numbers: "like" before one of these is an approximator ("like three weeks").
const NUMBER_WORDS: &[&str] = &[
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "half",
    "dozen",
    "several",
    "hundreds",
    "thousands",
];
/// After "like" (no comma), these make it a preposition ("like a", "like the").
const LIKE_BEFORE_OBJECT: &[&str] = &[
    "a", "an", "the", "this", "that", "these", "those", "my", "our", "your", "his", "her", "their",
    "its", "it", "him", "them", "me", "us", "someone", "somebody", "everyone", "anyone", "any",
    "every", "each", "what", "how", "when", "before", "new",
];
/// "you know" followed by these is the verb with an object.
const KNOW_OBJECT: &[&str] = &[
    "what",
    "how",
    "that",
    "why",
    "when",
    "where",
    "who",
    "whether",
    "if",
    "the",
    "a",
    "an",
    "this",
    "it",
    "him",
    "her",
    "them",
    "about",
    "me",
    "us",
    "more",
    "much",
    "everything",
    "nothing",
    "anything",
    "someone",
    "something",
    "each",
    "exactly",
    "which",
    "your",
];
/// "you know" after these is a question or a verb ("do you know", "let you know").
const KNOW_VERB_AFTER: &[&str] = &[
    "do", "did", "don't", "didn't", "if", "as", "would", "will", "let", "to", "might", "may",
    "should", "could", "can", "whether", "make", "lets", "let's",
];
/// "so" before these is not a discourse marker ("so that", "so much").
const SO_NOT_MARKER_BEFORE: &[&str] = &[
    "that", "much", "many", "far", "long", "few", "little", "called", "what", "to", "is", "was",
    "are", "were", "do", "did",
];
/// "kind of"/"sort of" after these is a noun use ("a kind of", "what sort of").
const KIND_AS_NOUN_AFTER: &[&str] = &[
    "a",
    "the",
    "what",
    "this",
    "that",
    "any",
    "some",
    "one",
    "same",
    "which",
    "every",
    "each",
    "no",
    "different",
    "right",
    "wrong",
    "first",
    "only",
    "another",
    "all",
    "these",
    "those",
    "of",
    "new",
    "best",
    "worst",
    "other",
    "that's",
    "our",
    "my",
    "your",
];

/// One counted occurrence: the canonical term and the index of its first word.
pub(crate) type Hit = (&'static str, usize);

/// View of the answer's words for one sentence at a time.
struct Ctx<'a> {
    answer: &'a Answer,
}

impl Ctx<'_> {
    fn lower(&self, i: usize) -> &str {
        self.answer.words.get(i).map_or("", |w| w.lower.as_str())
    }

    /// The word at `i` if it is in `sentence`.
    fn in_sentence(&self, i: usize, sentence: usize) -> Option<&str> {
        let w = self.answer.words.get(i)?;
        (w.sentence == sentence).then_some(w.lower.as_str())
    }

    fn prev(&self, i: usize) -> Option<&str> {
        let sentence = self.answer.words.get(i)?.sentence;
        self.in_sentence(i.checked_sub(1)?, sentence)
    }

    fn next(&self, i: usize, ahead: usize) -> Option<&str> {
        let sentence = self.answer.words.get(i)?.sentence;
        self.in_sentence(i + ahead, sentence)
    }

    fn comma_before(&self, i: usize) -> bool {
        self.answer.gap_before(i).contains([',', ';', '—', '–'])
    }

    fn comma_after(&self, i: usize) -> bool {
        self.answer
            .gap_after(i)
            .contains([',', ';', '—', '–', '?', '!', '.'])
    }

    /// Word `i` opens its sentence, perhaps after openers ("Um, so").
    fn at_start(&self, i: usize) -> bool {
        let Some(word) = self.answer.words.get(i) else {
            return false;
        };
        let first = self
            .answer
            .sentences
            .get(word.sentence)
            .map_or(i, |s| s.first_word);
        (first..i).all(|j| OPENERS.contains(&self.lower(j)))
    }

    /// `second` follows word `i` with only spaces between.
    fn followed_by(&self, i: usize, second: &str) -> bool {
        self.next(i, 1) == Some(second) && self.answer.gap_after(i).trim().is_empty()
    }
}

/// Every filler in the answer.
pub(crate) fn fillers(answer: &Answer) -> Vec<Hit> {
    let ctx = Ctx { answer };
    let mut hits = Vec::new();
    let mut i = 0;
    while i < answer.words.len() {
        let w = ctx.lower(i);
        let mut width = 1;
        let term: Option<&'static str> = match w {
            "um" | "umm" | "ummm" | "uhm" => Some("um"),
            "uh" | "uhh" | "uhhh" => Some("uh"),
            "er" | "erm" => Some("er"),
            "basically" => Some("basically"),
            "actually" => Some("actually"),
            "like" => like_is_filler(&ctx, i).then_some("like"),
            "so" => so_is_filler(&ctx, i).then_some("so"),
            "you" if ctx.followed_by(i, "know") => {
                width = 2;
                you_know_is_filler(&ctx, i).then_some("you know")
            }
            "i" if ctx.followed_by(i, "mean") => {
                width = 2;
                i_mean_is_filler(&ctx, i).then_some("i mean")
            }
            "kind" | "sort" if ctx.followed_by(i, "of") => {
                width = 2;
                let term = if w == "kind" { "kind of" } else { "sort of" };
                kind_of_is_hedge(&ctx, i).then_some(term)
            }
            _ => None,
        };
        if let Some(term) = term {
            hits.push((term, i));
            i += width;
        } else {
            i += 1;
        }
    }
    hits
}

/// Every hedge in the answer.
pub(crate) fn hedges(answer: &Answer) -> Vec<Hit> {
    let ctx = Ctx { answer };
    let mut hits = Vec::new();
    for i in 0..answer.words.len() {
        let term = match ctx.lower(i) {
            "maybe" => Some("maybe"),
            "probably" => Some("probably"),
            "hopefully" => Some("hopefully"),
            "i" if ctx.followed_by(i, "think") => {
                (!matches!(ctx.next(i, 2), Some("of" | "about"))).then_some("i think")
            }
            "i" if ctx.followed_by(i, "guess") => Some("i guess"),
            "kind" if ctx.followed_by(i, "of") => kind_of_is_hedge(&ctx, i).then_some("kind of"),
            "sort" if ctx.followed_by(i, "of") => kind_of_is_hedge(&ctx, i).then_some("sort of"),
            _ => None,
        };
        if let Some(term) = term {
            hits.push((term, i));
        }
    }
    hits
}

fn like_is_filler(ctx: &Ctx, i: usize) -> bool {
    if ctx.comma_before(i) && ctx.comma_after(i) {
        return true;
    }
    let before_object = !ctx.comma_after(i)
        && ctx
            .next(i, 1)
            .is_some_and(|n| LIKE_BEFORE_OBJECT.contains(&n));
    if ctx.at_start(i) {
        return !before_object;
    }
    let prev = ctx.prev(i);
    if prev
        .is_some_and(|p| LIKE_AS_VERB_AFTER.contains(&p) || LIKE_AS_PREPOSITION_AFTER.contains(&p))
    {
        return false;
    }
    let next = ctx.next(i, 1);
    let before_number = next
        .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()) || NUMBER_WORDS.contains(&n));
    if before_number {
        return true;
    }
    if before_object {
        return false;
    }
    ctx.comma_before(i)
        || ctx.comma_after(i)
        || prev.is_some_and(|p| LIKE_AS_FILLER_AFTER.contains(&p))
}

fn so_is_filler(ctx: &Ctx, i: usize) -> bool {
    if ctx.comma_before(i) && ctx.comma_after(i) {
        return true;
    }
    if !ctx.at_start(i) {
        return false;
    }
    match ctx.next(i, 1) {
        Some(next) if !ctx.comma_after(i) => !SO_NOT_MARKER_BEFORE.contains(&next),
        _ => true,
    }
}

fn you_know_is_filler(ctx: &Ctx, i: usize) -> bool {
    if ctx.prev(i).is_some_and(|p| KNOW_VERB_AFTER.contains(&p)) {
        return false;
    }
    let know = i + 1;
    if ctx.comma_after(know) {
        return true;
    }
    !ctx.next(know, 1).is_some_and(|n| KNOW_OBJECT.contains(&n))
}

fn i_mean_is_filler(ctx: &Ctx, i: usize) -> bool {
    if ctx
        .prev(i)
        .is_some_and(|p| matches!(p, "what" | "which" | "that"))
    {
        return false;
    }
    let mean = i + 1;
    if ctx.comma_after(mean) {
        return true;
    }
    !matches!(ctx.next(mean, 1), Some("it" | "to" | "that" | "this"))
}

fn kind_of_is_hedge(ctx: &Ctx, i: usize) -> bool {
    !ctx.prev(i).is_some_and(|p| KIND_AS_NOUN_AFTER.contains(&p))
}

/// Counts per term, in alphabetical order.
pub(crate) fn by_term(hits: &[Hit]) -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    for (term, _) in hits {
        *map.entry((*term).to_string()).or_insert(0) += 1;
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::text::answer;
    use crate::analysis::transcript::parse;

    fn count(text: &str) -> BTreeMap<String, usize> {
        let t = parse(text, None).unwrap();
        by_term(&fillers(&answer(&t)))
    }

    fn hedge_count(text: &str) -> BTreeMap<String, usize> {
        let t = parse(text, None).unwrap();
        by_term(&hedges(&answer(&t)))
    }

    fn n(map: &BTreeMap<String, usize>, term: &str) -> usize {
        map.get(term).copied().unwrap_or(0)
    }

    #[test]
    fn like_as_verb_or_preposition_is_not_a_filler() {
        for text in [
            "I like digging into data.",
            "It looks like the cache was cold.",
            "We would like to ship it.",
            "It was like a fire drill.",
            "It felt like nobody owned it.",
            "Tools like Grafana helped.",
            "Important details like allergies were missed.",
            "Like a lot of teams, we had no tests.",
            "Something like 20% of the calls failed.",
            "I didn't like the plan.",
        ] {
            assert_eq!(n(&count(text), "like"), 0, "{text}");
        }
    }

    #[test]
    fn like_as_filler() {
        for text in [
            "I was, like, a support engineer.",
            "Like, we had no tests.",
            "We had like 20 people on the call.",
            "It was like, no way.",
            "It was really slow, like two seconds a query.",
            "It took like three weeks.",
            "And it was like really slow.",
        ] {
            assert_eq!(n(&count(text), "like"), 1, "{text}");
        }
    }

    #[test]
    fn so_at_sentence_start_only() {
        assert_eq!(n(&count("So I pulled the logs."), "so"), 1);
        assert_eq!(n(&count("Um, so, at my last job it broke."), "so"), 1);
        assert_eq!(n(&count("It was slow, so I fixed it."), "so"), 0);
        assert_eq!(n(&count("So that part was fun."), "so"), 0);
        assert_eq!(n(&count("So much of it was manual."), "so"), 0);
        assert_eq!(n(&count("I did it so that he could see."), "so"), 0);
        assert_eq!(n(&count("And, so, we moved on."), "so"), 1);
    }

    #[test]
    fn you_know_and_i_mean() {
        assert_eq!(
            n(
                &count("Customers kept, you know, reopening tickets."),
                "you know"
            ),
            1
        );
        assert_eq!(n(&count("You know what I mean?"), "you know"), 0);
        assert_eq!(n(&count("You know what I mean?"), "i mean"), 0);
        assert_eq!(n(&count("Do you know the answer?"), "you know"), 0);
        assert_eq!(n(&count("I'll let you know."), "you know"), 0);
        assert_eq!(n(&count("I mean, it was hard."), "i mean"), 1);
        assert_eq!(n(&count("I mean it."), "i mean"), 0);
    }

    #[test]
    fn disfluencies_and_adverbs() {
        let c = count("Um, I, uh, basically erm actually did it. Umm.");
        assert_eq!(
            (
                n(&c, "um"),
                n(&c, "uh"),
                n(&c, "er"),
                n(&c, "basically"),
                n(&c, "actually")
            ),
            (2, 1, 1, 1, 1)
        );
        // Words containing fillers are not fillers.
        assert!(count("Umbrella drummers sorted their kinds.").is_empty());
    }

    #[test]
    fn kind_of_noun_vs_hedge() {
        assert_eq!(n(&count("They kind of agreed."), "kind of"), 1);
        assert_eq!(n(&count("It was a kind of queue."), "kind of"), 0);
        assert_eq!(n(&count("What sort of tests?"), "sort of"), 0);
        assert_eq!(n(&hedge_count("They kind of agreed."), "kind of"), 1);
    }

    #[test]
    fn hedges_in_context() {
        let h = hedge_count("I think it worked. Maybe. I guess it probably helped, hopefully. I think about it often.");
        assert_eq!(
            (
                n(&h, "i think"),
                n(&h, "maybe"),
                n(&h, "i guess"),
                n(&h, "probably"),
                n(&h, "hopefully")
            ),
            (1, 1, 1, 1, 1)
        );
    }
}
