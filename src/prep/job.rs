//! Reading a job description as pasted from a posting: its sentences, verbatim, each
//! with its line and the section it stands in, and which of them describe the work.

// Headings are Markdown headings, bold-only lines and short lines without a sentence's
// punctuation ("What you'll be doing", "Nice to have:"); bullets (`-`, `*`, `•`, `·`,
// `1.`) are cut from their items. Sentences under a heading about the company's offer
// or itself (benefits, salary, "About us", values, how to apply) and equal-opportunity
// sentences are kept in the report but do not count as the job asking for something:
// they mention "customers" and "team" without asking for a competency.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::bank::Level;
use crate::text::{sentences, word_count, SentenceRules};

/// One sentence of the job description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobSentence {
    /// 1-based line of the job text where the sentence starts.
    pub line: usize,
    /// The sentence as written (bullet marker and Markdown emphasis removed).
    pub text: String,
}

/// A sentence with where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct JobUnit {
    pub sentence: JobSentence,
    /// The heading above it ("" before the first heading).
    pub section: String,
    /// Whether it describes the work or the person wanted (not boilerplate, not a
    /// title line).
    pub describes_the_job: bool,
}

/// A job description, read.
#[derive(Debug, Clone, PartialEq)]
pub struct JobDescription {
    pub units: Vec<JobUnit>,
    pub words: usize,
    /// The seniority the posting is for, when its title or text says so.
    pub level: Option<Level>,
}

/// Why a job description cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    #[error("job: must not be empty")]
    Empty,
    #[error("job: is {chars} characters long; the limit is {limit}")]
    TooLong { chars: usize, limit: usize },
    #[error("job: no sentence describes the work (only headings, titles or boilerplate); paste the posting's text")]
    NothingToRead,
}

/// Shortest sentence, in words, that can describe the work.
const MIN_WORDS: usize = 4;
/// A line this short without a sentence's punctuation is a heading.
const MAX_HEADING_WORDS: usize = 7;

static BULLET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*+•·▪◦‣–]|\d{1,2}[.)])\s+").expect("valid regex"));
static MARKDOWN_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$").expect("valid regex"));
static BOLD_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:\*\*|__)([^*_]+?)(?:\*\*|__)\s*:?\s*$").expect("valid regex")
});
static EMPHASIS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\*\*|__|`").expect("valid regex"));
/// Headings whose sections are about the employer's offer or itself.
static BOILERPLATE_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(benefits?|perks|what we offer|we offer|what you get|compensation|salary|pay|about us|who we are|our (values|culture|story|mission)|equal|diversity|inclusion|how to apply|apply|interview process|hiring process|location)\b|^about (?:the )?(?:company|[A-Z]\w+)$",
    )
    .expect("valid regex")
});
/// An "About <Company>" heading, which is boilerplate unless it is about the role or team.
static ABOUT_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^about\s+(.+)$").expect("valid regex"));
static ABOUT_THE_WORK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(role|job|team|you|position|work)\b").expect("valid regex")
});
static EQUAL_OPPORTUNITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)equal[- ]opportunit|do not discriminate|don't discriminate|protected characteristic|reasonable adjustments|adjustments at any stage|regardless of (race|gender|age)")
        .expect("valid regex")
});
static SENIORITY: LazyLock<[(Level, Regex); 3]> = LazyLock::new(|| {
    [
        (
            Level::Manager,
            Regex::new(r"(?i)\b(engineering manager|head of|director|vp of|manager of managers)\b")
                .expect("valid regex"),
        ),
        (
            Level::Senior,
            Regex::new(r"(?i)\b(senior|staff|principal|lead|sr\.?)\b").expect("valid regex"),
        ),
        (
            Level::Junior,
            Regex::new(
                r"(?i)\b(junior|graduate|new grad|entry[- ]level|intern|apprentice|jr\.?)\b",
            )
            .expect("valid regex"),
        ),
    ]
});

impl JobDescription {
    /// Read `text` (at most `max_chars` characters).
    pub fn read(text: &str, max_chars: usize) -> Result<Self, JobError> {
        if text.trim().is_empty() {
            return Err(JobError::Empty);
        }
        let chars = text.chars().count();
        if chars > max_chars {
            return Err(JobError::TooLong {
                chars,
                limit: max_chars,
            });
        }
        let mut units = Vec::new();
        let mut section = String::new();
        let mut boilerplate = false;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            if let Some(heading) = heading_text(raw) {
                boilerplate = is_boilerplate_heading(&heading);
                section = heading;
                continue;
            }
            let body = BULLET.replace(raw, "");
            let body = EMPHASIS.replace_all(&body, "");
            for sentence in sentences(&body, &SentenceRules::WRITTEN) {
                let sentence = sentence.trim();
                if sentence.is_empty() {
                    continue;
                }
                let describes_the_job = !boilerplate
                    && word_count(sentence) >= MIN_WORDS
                    && !EQUAL_OPPORTUNITY.is_match(sentence);
                units.push(JobUnit {
                    sentence: JobSentence {
                        line,
                        text: sentence.to_string(),
                    },
                    section: section.clone(),
                    describes_the_job,
                });
            }
        }
        if !units.iter().any(|u| u.describes_the_job) {
            return Err(JobError::NothingToRead);
        }
        Ok(Self {
            words: word_count(text),
            level: seniority(text),
            units,
        })
    }

    /// The sentences that describe the work, in order.
    pub fn job_sentences(&self) -> impl Iterator<Item = &JobSentence> {
        self.units
            .iter()
            .filter(|u| u.describes_the_job)
            .map(|u| &u.sentence)
    }
}

/// The heading a line is, if it is one.
fn heading_text(line: &str) -> Option<String> {
    if let Some(c) = MARKDOWN_HEADING.captures(line) {
        return Some(EMPHASIS.replace_all(&c[1], "").trim().to_string());
    }
    if let Some(c) = BOLD_LINE.captures(line) {
        return Some(c[1].trim().to_string());
    }
    if BULLET.is_match(line) {
        return None;
    }
    let trimmed = EMPHASIS.replace_all(line, "");
    let trimmed = trimmed.trim().trim_end_matches(':').trim();
    let ends_like_a_sentence = trimmed.ends_with(['.', '!', '?', ';', ',']);
    let words = word_count(trimmed);
    (words > 0 && words <= MAX_HEADING_WORDS && !ends_like_a_sentence).then(|| trimmed.to_string())
}

fn is_boilerplate_heading(heading: &str) -> bool {
    if let Some(c) = ABOUT_HEADING.captures(heading) {
        return !ABOUT_THE_WORK.is_match(&c[1]);
    }
    BOILERPLATE_HEADING.is_match(heading)
}

/// The level the posting's first line (its title) names, else the first the text names.
fn seniority(text: &str) -> Option<Level> {
    let title = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    for scope in [title, text] {
        if let Some((level, _)) = SENIORITY.iter().find(|(_, re)| re.is_match(scope)) {
            return Some(*level);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTING: &str = "# Senior Backend Engineer\n\n**Acme Parcels** · Remote\n\n## About us\n\nWe deliver parcels for 2,000 shops and love our customers.\n\n## What you'll do\n\n- Lead the response to incidents and write the review afterwards.\n- Mentor two junior engineers. Review their designs.\n\nWhat we're looking for:\n• Comfort with ambiguity and changing requirements\n\n## Benefits\n\n- Free lunch for the whole team every Friday\n\nAcme is an equal opportunity employer and values every applicant.\n";

    #[test]
    fn sentences_keep_their_lines_and_boilerplate_does_not_count() {
        let job = JobDescription::read(POSTING, 10_000).unwrap();
        let counted: Vec<(usize, &str)> = job
            .job_sentences()
            .map(|s| (s.line, s.text.as_str()))
            .collect();
        assert_eq!(
            counted,
            [
                (
                    11,
                    "Lead the response to incidents and write the review afterwards."
                ),
                (12, "Mentor two junior engineers."),
                (15, "Comfort with ambiguity and changing requirements"),
            ]
        );
        let about = job.units.iter().find(|u| u.sentence.line == 7).unwrap();
        assert_eq!(about.section, "About us");
        assert!(!about.describes_the_job);
        let eeo = job.units.iter().find(|u| u.sentence.line == 21).unwrap();
        assert!(!eeo.describes_the_job, "{eeo:?}");
        assert!(EQUAL_OPPORTUNITY.is_match(&eeo.sentence.text));
        assert_eq!(job.level, Some(Level::Senior));
    }

    #[test]
    fn about_the_role_is_not_boilerplate_but_about_the_company_is() {
        assert!(!is_boilerplate_heading("About the role"));
        assert!(!is_boilerplate_heading("About the team"));
        assert!(is_boilerplate_heading("About Caldera Health Software"));
        assert!(is_boilerplate_heading("What we offer"));
        assert!(!is_boilerplate_heading("What you'll be doing"));
    }

    #[test]
    fn empty_huge_and_boilerplate_only_jobs_are_refused() {
        assert_eq!(JobDescription::read("  \n", 100), Err(JobError::Empty));
        assert_eq!(
            JobDescription::read("word ".repeat(50).as_str(), 100),
            Err(JobError::TooLong {
                chars: 250,
                limit: 100
            })
        );
        assert_eq!(
            JobDescription::read("## Benefits\n- A pension and free lunch every day\n", 1000),
            Err(JobError::NothingToRead)
        );
        assert!(JobError::Empty.to_string().starts_with("job:"));
    }

    #[test]
    fn the_level_comes_from_the_title_first() {
        let junior = JobDescription::read(
            "Graduate Developer\nYou will learn from senior engineers every day.\n",
            1000,
        )
        .unwrap();
        assert_eq!(junior.level, Some(Level::Junior));
        let manager = JobDescription::read(
            "Engineering Manager, Payments\nYou will lead a team of seven engineers.\n",
            1000,
        )
        .unwrap();
        assert_eq!(manager.level, Some(Level::Manager));
    }
}
