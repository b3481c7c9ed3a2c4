//! A deterministic synthetic Markdown story bank, generated from templates: the same
//! `n` always gives the same text, so runs and machines compare.

use std::fmt::Write;
use std::path::{Path, PathBuf};

const TOPICS: [&str; 16] = [
    "a database migration",
    "an outage in the payments API",
    "a flaky test suite",
    "a new search feature",
    "a vendor integration",
    "an on-call rotation",
    "a hiring plan",
    "a security audit",
    "a mobile release",
    "a data pipeline",
    "a cost reduction",
    "a conflict about code review",
    "an intern project",
    "a deadline that slipped",
    "a customer escalation",
    "a platform rewrite",
];

const ACTIONS: [&str; 8] = [
    "I wrote a design document and asked the other team for review",
    "I measured the latency and found the slow query",
    "I paired with a junior engineer and reviewed every change",
    "I proposed a smaller scope and got my manager to agree",
    "I called the customer and reproduced the problem with their data",
    "I rolled the change out to five percent of users first",
    "I organised a meeting between the two teams to agree on criteria",
    "I learned the framework from the documentation over a weekend",
];

const RESULTS: [&str; 6] = [
    "Latency dropped by 40 percent",
    "The release shipped two days early",
    "Support tickets fell from 30 a week to 4",
    "The team adopted the process",
    "We saved 2,000 dollars a month",
    "No incidents followed in the next quarter",
];

/// Stories per file when a bank is written to disk in several files.
pub const STORIES_PER_FILE: usize = 1000;

/// A bank of `stories` four-section stories in one Markdown file; each story mixes a
/// topic, an action and a result.
pub fn synthetic_bank(stories: usize) -> String {
    synthetic_bank_range(0..stories, stories)
}

/// The stories `range` of a bank of `total` stories (cross-references use `total`).
pub fn synthetic_bank_range(range: std::ops::Range<usize>, total: usize) -> String {
    let mut out = String::from("# Synthetic stories\n\n");
    for i in range {
        let topic = TOPICS[i % TOPICS.len()];
        let action = ACTIONS[(i / 3) % ACTIONS.len()];
        let result = RESULTS[(i / 7) % RESULTS.len()];
        let _ = write!(
            out,
            "### Story {i}: {topic}\n\n#### Situation\nIn quarter {q} our team of {n} engineers \
             faced {topic}, and the deadline was {d} weeks away.\n\n#### Task\nI had to \
             deliver the work for {topic} without hurting the other projects of the team.\n\n\
             #### Actions\n{action}. Then I tracked progress every day and wrote down what \
             I learned about {topic}. I also kept stakeholders informed with a short weekly \
             update.\n\n#### Results\n{result}. The approach was reused for story {j}.\n\n",
            q = i % 4 + 1,
            n = i % 9 + 3,
            d = i % 6 + 2,
            j = (i * 7) % total.max(1),
        );
    }
    out
}

/// Write a bank of `stories` stories into `dir`, [`STORIES_PER_FILE`] per file
/// (`bank-000.md`, ...), and return the files.
pub fn write_bank(dir: &Path, stories: usize) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    let mut start = 0;
    while start < stories {
        let end = (start + STORIES_PER_FILE).min(stories);
        let path = dir.join(format!("bank-{:03}.md", start / STORIES_PER_FILE));
        std::fs::write(&path, synthetic_bank_range(start..end, stories))?;
        files.push(path);
        start = end;
    }
    Ok(files)
}

/// Behavioral questions for the load generator; `i` makes each one distinct (so its
/// vector is not in the question cache) when `distinct` is set.
pub fn question(i: usize, distinct: bool) -> String {
    const SUBJECTS: [&str; 20] = [
        "disagreed with your manager",
        "failed to meet a goal",
        "mentored a junior engineer",
        "handled an outage",
        "learned a new framework",
        "reduced costs",
        "dealt with an unhappy customer",
        "led a migration",
        "worked with another team",
        "made a mistake in production",
        "cut scope before a deadline",
        "improved latency",
        "resolved a conflict in code review",
        "took ownership of a problem",
        "worked with unclear requirements",
        "convinced people without authority",
        "shipped under pressure",
        "hired an engineer",
        "improved a process",
        "ran a security audit",
    ];
    let subject = SUBJECTS[i % SUBJECTS.len()];
    if distinct {
        format!("Tell me about a time you {subject} (variant {i}).")
    } else {
        format!("Tell me about a time you {subject}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_split_in_files() {
        assert_eq!(synthetic_bank(30), synthetic_bank(30));
        let whole = synthetic_bank(2500);
        assert_eq!(whole.matches("#### Situation").count(), 2500);
        let parts: String = [0..1000, 1000..2000, 2000..2500]
            .into_iter()
            .map(|r| synthetic_bank_range(r, 2500))
            .collect();
        assert_eq!(parts.matches("### Story ").count(), 2500);
    }
}
