//! Ownership: "I/my/me" against "we/our/us" in the Action part (the whole answer
//! when no Action was found).

// Ownership: "I/my/me" against "we/our/us" in the Action part (GUIDE: a behavioural
// answer is about what *you* did). Measured over the whole answer when no Action
// segment was found. "US" in capitals (the country) is not "us".

use super::model::{Ownership, OwnershipScope, Part};
use super::star::round3;
use super::text::Answer;
use super::thresholds::MIN_WE_FOR_FLAG;

const I_WORDS: &[&str] = &[
    "i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll",
];
const WE_WORDS: &[&str] = &[
    "we",
    "us",
    "our",
    "ours",
    "ourselves",
    "we're",
    "we've",
    "we'd",
    "we'll",
    "let's",
];

/// Count first-person singular against plural in the Action sentences.
pub(crate) fn ownership(answer: &Answer, parts: &[Part]) -> Ownership {
    let has_action = parts.contains(&Part::Action);
    let scope = if has_action {
        OwnershipScope::Action
    } else {
        OwnershipScope::WholeAnswer
    };
    let (mut i_count, mut we_count) = (0, 0);
    for (index, word) in answer.words.iter().enumerate() {
        if has_action && parts.get(word.sentence) != Some(&Part::Action) {
            continue;
        }
        if I_WORDS.contains(&word.lower.as_str()) {
            i_count += 1;
        } else if WE_WORDS.contains(&word.lower.as_str()) && answer.word_text(index) != "US" {
            we_count += 1;
        }
    }
    let total = i_count + we_count;
    Ownership {
        scope,
        i_count,
        we_count,
        i_share: (total > 0).then(|| round3(i_count as f64 / total as f64)),
        we_dominates: we_count > i_count && we_count >= MIN_WE_FOR_FLAG,
    }
}
