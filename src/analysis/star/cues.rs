//! Cue phrases that hint at a sentence's STAR part, with weights.

// Each sentence (lower-cased) is matched against every phrase; a part's cue score is
// the sum of its matched weights, capped at [`MAX_CUE_SCORE`]. Strong, specific
// phrases weigh 2, softer ones 1. Besides the table, "I" followed by a past-tense verb
// ending in "-ed" ("I migrated", "I disagreed") adds [`GENERIC_ACTION_WEIGHT`] to
// Action, and a percentage, amount of money, multiplier or before/after pair adds
// [`QUANTITY_RESULT_WEIGHT`] to Result.

use std::sync::OnceLock;

use regex::RegexSet;

/// A part's cue score never exceeds this, so one long sentence full of cues cannot
/// outweigh the order of the answer.
pub(crate) const MAX_CUE_SCORE: f64 = 3.0;
/// "I <verb>ed" that is not in the table.
pub(crate) const GENERIC_ACTION_WEIGHT: f64 = 1.0;
/// A strong quantity (%, money, multiplier, before/after) in the sentence.
pub(crate) const QUANTITY_RESULT_WEIGHT: f64 = 1.0;

const SITUATION: &[(&str, f64)] = &[
    (
        r"\b(when|while) (i|we) (was|were|joined|started|worked|first)\b",
        2.0,
    ),
    (
        r"\bat my (previous|last|old|former|current|first|second|prior)\b",
        2.0,
    ),
    (
        r"\bin my (previous|last|old|former|current|first|second|prior) (job|role|position|year|team|company)\b",
        2.0,
    ),
    (
        r"\b(a few|two|three|four|five|several|couple of) (years|months) ago\b",
        2.0,
    ),
    (
        r"\b(back in|last year|at the time|at that time|this was (at|when|back|in|a))\b",
        2.0,
    ),
    (r"\b(the|our|my) team (was|had|were)\b", 1.0),
    (
        r"\bi was (a|an|the|one of|working|part of|on a|on the)\b",
        1.5,
    ),
    (r"\bi worked (at|as|for|on)\b", 1.5),
    (r"\b(there was|there were|there are|there is)\b", 1.0),
    (
        r"\bthe (company|team|project|product|situation|context|problem|issue|report|service|system|argument) (was|had|were|is)\b",
        1.0,
    ),
    (
        r"\bwe (had|were) (a|an|this|these|three|two|some|no|to)\b",
        1.0,
    ),
    (
        r"\b(was|were) (getting|growing|struggling|timing out|failing|losing|running|waiting|creeping|starting to)\b",
        1.0,
    ),
    (
        r"\b(had grown|started creeping|kept promising|kept reopening|was under|were under)\b",
        1.0,
    ),
    (r"\b(context|background) (is|was)\b", 2.0),
];

const TASK: &[(&str, f64)] = &[
    (
        r"\b(my|our|the) (goal|task|job|role|responsibility|mission|objective|assignment|challenge|aim|brief) (was|is|became)\b",
        2.0,
    ),
    (
        r"\bi was (asked|tasked|told|expected|supposed|put in charge|given|brought in|assigned|responsible|hired to)\b",
        2.0,
    ),
    (r"\b(asked|wanted|needed|expected|told|hired) me to\b", 2.0),
    (
        r"\bi (needed|had|have|wanted) to (find|figure|get|make|cut|reduce|improve|fix|decide|deliver|ship|build|convince|handle|learn|take|turn|choose)\b",
        1.5,
    ),
    (r"\bi volunteered\b", 1.5),
    (
        r"\b(made|make|making) it my (job|project|responsibility|priority|mission|task)\b",
        2.0,
    ),
    (r"\b(fell|falls|came|was left) to me\b|\bup to me\b", 2.0),
    (
        r"\bi('d| would| will|'ll)? (take|took) (it|this|that) on\b|\bi (took|take) ownership\b",
        2.0,
    ),
    (
        r"\b(my job|my task|my role|my goal|the goal|the task)\b",
        1.0,
    ),
    (r"\b(responsible for|in charge of|accountable for)\b", 1.0),
    (r"\bi (needed|had) to\b", 1.0),
];

const ACTION: &[(&str, f64)] = &[
    (
        r"\b(so|then|first|next|after that|afterwards|finally),? i\b",
        1.0,
    ),
    (
        r"\bi (decided|built|talked|started|set up|wrote|created|proposed|organized|organised|met|scheduled|reached out|worked with|implemented|spoke|pulled|ran|analyzed|analysed|asked|suggested|put together|led|drove|introduced|migrated|rewrote|added|convinced|gathered|looked|mapped|paired|blocked|kept|shared|offered|sat|walked|rolled|restored|redeployed|tagged|renegotiated|trained|changed|fixed|found|investigated|designed|prototyped|presented|negotiated|documented|automated|measured|tested|reviewed|interviewed|hired|coached|mentored|escalated|called|sent|made sure|went|booked|moved|took|tried|used|gave|brought|dug|broke|split|chose|picked|focused|prioritized|prioritised|wrote up|set|made|did|got|read|spent)\b",
        2.0,
    ),
    (
        r"\bwe (decided|built|started|ran|switched|rolled|wrote|set up|reviewed|made|created|designed|implemented|tested|held|documented|moved|agreed)\b",
        1.0,
    ),
    (r"\b(my first step|the first thing i did|i began)\b", 2.0),
];

const RESULT: &[(&str, f64)] = &[
    (
        r"\b(as a result|in the end|ultimately|eventually|by the end|in the long run|end result|the net effect|overall,)\b",
        2.0,
    ),
    (r"\bthe (result|outcome|impact|upshot) (was|is|of)\b", 2.0),
    (
        r"\b(resulted in|led to|which meant|that meant|this meant)\b",
        2.0,
    ),
    (r"\b(since then|ever since)\b|\bsince[.!]?$", 2.0),
    (
        r"\b(dropped|fell|went down|went up|rose|decreased|declined|improved|increased|grew|shrank|went|came down|cut) (from|to|by)\b",
        2.0,
    ),
    (
        r"\b(we|it|they|i|this|that|which) (reduced|cut|increased|improved|saved|shipped|launched|delivered|grew|hit|achieved|beat|exceeded|doubled|tripled|halved|won|eliminated)\b",
        1.5,
    ),
    (
        r"\b(i learned|i learnt|the lesson|lesson i|what i learned|what i took (from|away)|my takeaway|the takeaway|looking back|in hindsight|next time i|i would now)\b",
        1.5,
    ),
    (
        r"\b(feedback|promoted|promotion|praised|recognized|recognised|award|thanked|adopted)\b",
        1.0,
    ),
    (r"\b(now|today|still)\b", 1.0),
    (r"\b(became|has become|have become)\b", 1.0),
    (
        r"\b(was|were|is|are) (much |a lot |far |way )?(more|less|faster|better|happier|cheaper|quicker|calmer|smoother)\b",
        1.0,
    ),
    (
        r"\bmade [\w\- ]{1,24}(easier|faster|simpler|better|cheaper|safer)\b",
        1.0,
    ),
    (r"\bit worked\b", 1.5),
    (
        r"\b(on time|on schedule|on budget|under budget|within budget|ahead of (schedule|plan|time|target|the (deadline|plan|schedule|date))|before the deadline|(days|weeks|months) early)\b",
        2.0,
    ),
    (
        r"\b(went live|held up|stayed (up|stable|green|healthy|quiet))\b",
        1.0,
    ),
    (
        r"\b(a|two|three|four|five|six|a few|several|\d+) (days|weeks|months|years|quarters) later\b",
        1.5,
    ),
    (
        r"\b(renewed|retained|re-signed|signed|approved|passed|extended|expanded|rolled out to) (the|their|our|a|it|its|my)\b",
        1.5,
    ),
    (r"\btold (me|us) (it|that|this|they)\b", 1.0),
];

/// Words that end in "-ed" after "I" without describing an action.
const NOT_ACTIONS: &[&str] = &[
    "needed", "wanted", "joined", "worked", "learned", "liked", "loved", "used", "seemed",
    "supposed",
];

struct Table {
    sets: Vec<(RegexSet, Vec<f64>)>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let sets = [SITUATION, TASK, ACTION, RESULT]
            .iter()
            .map(|cues| {
                let set = RegexSet::new(cues.iter().map(|(p, _)| *p)).expect("static cue regexes");
                (set, cues.iter().map(|(_, w)| *w).collect())
            })
            .collect();
        Table { sets }
    })
}

/// Cue scores `[situation, task, action, result]` for one sentence. `lower` is the
/// sentence lower-cased, `words` its lower-cased words.
pub(crate) fn cue_scores(lower: &str, words: &[&str], strong_quantity: bool) -> [f64; 4] {
    let mut scores = [0.0; 4];
    for (part, (set, weights)) in table().sets.iter().enumerate() {
        scores[part] = set.matches(lower).iter().map(|i| weights[i]).sum();
    }
    let generic = words
        .windows(2)
        .filter(|w| {
            w[0] == "i" && w[1].len() > 4 && w[1].ends_with("ed") && !NOT_ACTIONS.contains(&w[1])
        })
        .count();
    scores[2] += generic as f64 * GENERIC_ACTION_WEIGHT;
    if strong_quantity {
        scores[3] += QUANTITY_RESULT_WEIGHT;
    }
    scores.map(|s: f64| s.min(MAX_CUE_SCORE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn best(sentence: &str) -> usize {
        let lower = sentence.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .collect();
        let s = cue_scores(&lower, &words, false);
        (0..4).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap_or(0)
    }

    #[test]
    fn typical_phrases() {
        assert_eq!(
            best("When I was at my previous company, the team was small."),
            0
        );
        assert_eq!(best("My goal was to cut the build time."), 1);
        assert_eq!(best("So I decided to rewrite the cache."), 2);
        assert_eq!(best("I migrated the jobs one by one."), 2);
        assert_eq!(best("As a result, latency dropped by half."), 3);
    }
}
