//! Evidence and advice for one matched story: the sentences that answer the question
//! (quoted verbatim from the stored text) and what to stress and leave out.

// Sentences come from the story's stored chunks; each is embedded with the same model
// as the question (vectors are cached) and scored by cosine to the question. The
// advice is deterministic: it stresses the best Action and Result sentences and a
// measurable result, and flags a long situation, parts unrelated to the question,
// team "we" sentences in the actions, and stubs.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::corpus::{word_count, LineSpan, SectionKind};
use crate::text::{sentence_spans, SentenceRules};

/// A sentence of a story chunk: byte range into the chunk's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentenceSpan {
    pub start: usize,
    pub end: usize,
}

/// A sentence of a story that answers the question, verbatim.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Evidence {
    pub text: String,
    #[schema(value_type = String)]
    pub section: SectionKind,
    /// Lines of the passage the sentence is in.
    #[schema(value_type = Object)]
    pub lines: LineSpan,
    /// Cosine similarity to the question.
    pub score: f32,
}

/// Sentences shorter than this (in words) are headings or fragments, not evidence.
const MIN_SENTENCE_WORDS: usize = 4;
/// Evidence quotes per story.
pub const MAX_EVIDENCE: usize = 3;

fn label_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^(situation|tasks?|actions?|results?|learnings?)\s*:\s*")
            .expect("valid regex")
    })
}

fn bullet_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^([-*+•]|\d{1,2}[.)])\s+").expect("valid regex"))
}

/// Split a chunk's text into sentences: by line, then as written text
/// ([`SentenceRules::WRITTEN`]); section labels (`Actions: `) and bullet markers
/// are left out, fragments under four words dropped. Every span is a substring of
/// `text`, so quotes are verbatim.
pub fn sentences(text: &str) -> Vec<SentenceSpan> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let mut start = line_start + (line.len() - line.trim_start().len());
        let mut rest = &text[start..line_start + line.len()];
        if let Some(m) = label_re().find(rest) {
            start += m.end();
            rest = &rest[m.end()..];
        }
        if let Some(m) = bullet_re().find(rest) {
            start += m.end();
            rest = &rest[m.end()..];
        }
        // Spans come trimmed and non-empty; fragments and bare links are left out.
        out.extend(
            sentence_spans(rest, &SentenceRules::WRITTEN)
                .into_iter()
                .filter(|span| {
                    let s = &rest[span.clone()];
                    word_count(s) >= MIN_SENTENCE_WORDS && !is_link(s)
                })
                .map(|span| SentenceSpan {
                    start: start + span.start,
                    end: start + span.end,
                }),
        );
    }
    out
}

fn is_link(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    let links = words.iter().filter(|w| w.contains("://")).count();
    links * 2 >= words.len()
}

/// A sentence with its place in the story and its similarity to the question.
#[derive(Debug, Clone)]
pub struct ScoredSentence {
    pub text: String,
    pub section: SectionKind,
    pub lines: LineSpan,
    pub score: f32,
    /// Position in the story (chunk order, then sentence order).
    pub order: usize,
}

/// The best sentences: at most [`MAX_EVIDENCE`], each within 0.1 of the best one.
pub fn select_evidence(sentences: &[ScoredSentence]) -> Vec<Evidence> {
    let mut ranked: Vec<&ScoredSentence> = sentences.iter().collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.order.cmp(&b.order)));
    let best = ranked.first().map_or(0.0, |s| s.score);
    ranked
        .into_iter()
        .filter(|s| s.score >= best - 0.1)
        .take(MAX_EVIDENCE)
        .map(|s| Evidence {
            text: s.text.clone(),
            section: s.section,
            lines: s.lines,
            score: s.score,
        })
        .collect()
}

/// Words of a story by section, for the advice.
#[derive(Debug, Default, Clone, Copy)]
pub struct SectionWords {
    pub context: usize,
    pub total: usize,
}

/// What to stress and what to leave out when telling this story for this question.
pub fn advise(
    sentences: &[ScoredSentence],
    evidence: &[Evidence],
    words: SectionWords,
) -> (Vec<String>, Vec<String>) {
    let mut stress = Vec::new();
    let mut avoid = Vec::new();
    let quoted: Vec<&str> = evidence.iter().map(|e| e.text.as_str()).collect();

    // Stress: what you did and what came of it, as it answers the question. Of the
    // action and task evidence, a sentence that says "I" is what you did; another
    // ("Marcus disagreed at first") is only the fallback.
    let actions: Vec<&Evidence> = evidence
        .iter()
        .filter(|e| matches!(e.section, SectionKind::Action | SectionKind::Task))
        .collect();
    let action = actions
        .iter()
        .find(|e| speaks_of_self(&lowercase_words(&e.text)))
        .or(actions.first());
    if let Some(e) = action {
        stress.push(format!("Lead with what you did: \"{}\"", e.text));
    }
    let result = evidence.iter().find(|e| e.section == SectionKind::Result);
    if let Some(e) = result {
        stress.push(format!("Tie the result to the question: \"{}\"", e.text));
    }
    let measurable = sentences
        .iter()
        .filter(|s| s.section == SectionKind::Result && has_number(&s.text))
        .filter(|s| !quoted.contains(&s.text.as_str()))
        .max_by(|a, b| a.score.total_cmp(&b.score));
    if let Some(s) = measurable {
        stress.push(format!("Close with the measurable result: \"{}\"", s.text));
    }
    if stress.is_empty() {
        if let Some(e) = evidence.first() {
            stress.push(format!(
                "The part that answers this question: \"{}\"; say what you did and how it ended",
                e.text
            ));
        }
    }

    // Leave out: a long situation, unrelated detail, the team's work as your own.
    if words.total < 40 {
        avoid.push(
            "This story is a stub in your bank: write down the situation, your actions and \
             the result before you use it in an interview."
                .to_string(),
        );
    } else if words.context > 40 && words.context * 100 > words.total * 30 {
        avoid.push(format!(
            "A long setup: the situation is {} of the story's {} words; one or two sentences \
             of context are enough (aim for about 20%).",
            words.context, words.total
        ));
    }
    let best = evidence.first().map_or(0.0, |e| e.score);
    let unrelated = sentences
        .iter()
        .filter(|s| matches!(s.section, SectionKind::Action | SectionKind::Situation))
        .filter(|s| word_count(&s.text) >= 12 && s.score < best - 0.25)
        .min_by(|a, b| a.score.total_cmp(&b.score));
    if let Some(s) = unrelated {
        avoid.push(format!(
            "Detail that does not answer this question, e.g. \"{}\"",
            s.text
        ));
    }
    let team = sentences
        .iter()
        .filter(|s| s.section == SectionKind::Action && is_team_sentence(&s.text))
        .max_by(|a, b| a.score.total_cmp(&b.score));
    if let Some(s) = team {
        avoid.push(format!(
            "\"We\" where the interviewer wants \"I\": say what you did yourself in \"{}\"",
            s.text
        ));
    }
    (stress, avoid)
}

fn has_number(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

/// A sentence's words, lowercased, apostrophes kept ("i'm").
fn lowercase_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether the speaker speaks of themself ("I", "my", "me", "I'm", ...).
fn speaks_of_self(words: &[String]) -> bool {
    words
        .iter()
        .any(|w| w == "i" || w == "my" || w == "me" || w.starts_with("i'"))
}

/// A sentence about the team's work with no word about the speaker's own.
fn is_team_sentence(s: &str) -> bool {
    let words = lowercase_words(s);
    words.iter().any(|w| w == "we") && !speaks_of_self(&words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        sentences(text)
            .into_iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn sentences_are_verbatim_without_labels_and_bullets() {
        let text = "Actions: I asked for a call with her. We agreed on criteria first!\n- Ran both designs on staging with a drill\nWhy\nhttps://example.com/a/very/long/link is here";
        let got = texts(text);
        assert_eq!(
            got,
            vec![
                "I asked for a call with her.",
                "We agreed on criteria first!",
                "Ran both designs on staging with a drill",
            ]
        );
        for s in sentences(text) {
            assert!(text[s.start..s.end].len() > 3);
        }
    }

    #[test]
    fn decimals_do_not_split_sentences() {
        let got = texts("Latency at p99 was 1.8 ms after the change. Then it shipped to everyone.");
        assert_eq!(got.len(), 2);
        assert!(got[0].contains("1.8 ms"));
    }

    #[test]
    fn chinese_sentences_split_at_full_stops() {
        let got = texts("我们把服务迁移到了新的集群。然后我写了复盘文档并分享给团队。");
        assert_eq!(got.len(), 2);
    }

    fn scored(text: &str, section: SectionKind, score: f32, order: usize) -> ScoredSentence {
        ScoredSentence {
            text: text.into(),
            section,
            lines: LineSpan::new(1, 1),
            score,
            order,
        }
    }

    #[test]
    fn advice_stresses_actions_and_numbers_and_flags_we_and_setup() {
        let sentences = vec![
            scored(
                "The company had a very long history of doing things in a particular way that nobody liked at all.",
                SectionKind::Situation,
                0.1,
                0,
            ),
            scored("I asked Priya for a call to hear her concern.", SectionKind::Action, 0.6, 1),
            scored("We ran both designs on staging together.", SectionKind::Action, 0.4, 2),
            scored("Quotas shipped in 2.5 weeks with 1.8 ms added.", SectionKind::Result, 0.3, 3),
        ];
        let evidence = select_evidence(&sentences);
        assert_eq!(
            evidence[0].text,
            "I asked Priya for a call to hear her concern."
        );
        let (stress, avoid) = advise(
            &sentences,
            &evidence,
            SectionWords {
                context: 60,
                total: 120,
            },
        );
        assert!(stress[0].contains("I asked Priya"), "{stress:?}");
        assert!(stress.iter().any(|s| s.contains("1.8 ms")), "{stress:?}");
        assert!(
            avoid.iter().any(|a| a.contains("60 of the story's 120")),
            "{avoid:?}"
        );
        assert!(avoid.iter().any(|a| a.contains("We ran both")), "{avoid:?}");
        assert!(
            avoid.iter().any(|a| a.contains("long history")),
            "{avoid:?}"
        );
    }

    #[test]
    fn the_action_to_lead_with_is_one_the_speaker_did() {
        let sentences = vec![
            scored(
                "Marcus disagreed at first because he had already given the VP a date.",
                SectionKind::Action,
                0.5,
                0,
            ),
            scored(
                "I offered to write a one-page summary and to join him in the meeting.",
                SectionKind::Action,
                0.4,
                1,
            ),
        ];
        let evidence = select_evidence(&sentences);
        assert!(evidence[0].text.starts_with("Marcus"), "{evidence:?}");
        let words = SectionWords {
            context: 10,
            total: 80,
        };
        let (stress, _) = advise(&sentences, &evidence, words);
        assert!(stress[0].contains("I offered"), "{stress:?}");
        // Without a first-person sentence, the best action is still the one to stress.
        let (stress, _) = advise(&sentences[..1], &evidence[..1], words);
        assert!(stress[0].contains("Marcus"), "{stress:?}");
    }

    #[test]
    fn stubs_are_flagged() {
        let (_, avoid) = advise(
            &[],
            &[],
            SectionWords {
                context: 0,
                total: 12,
            },
        );
        assert!(avoid[0].contains("stub"));
    }
}
