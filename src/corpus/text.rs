//! Small text helpers shared by the parsers: cleaning section text, counting words,
//! shortening titles and turning titles into stable, unique document ids.

use std::collections::HashSet;

pub use crate::text::{clip_chars, is_cjk, word_count};

/// Longest title derived from content (brag-doc stories, note chunks), in characters.
pub(crate) const MAX_TITLE_CHARS: usize = 80;
/// Longest slug in a document id, in characters.
const MAX_SLUG_CHARS: usize = 60;

/// Joins lines into section text: trailing whitespace trimmed, runs of blank lines
/// collapsed to one, leading and trailing blank lines dropped; line breaks kept.
pub(crate) fn clean_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut blank_run = false;
    for line in lines {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if blank_run {
            out.push("");
            blank_run = false;
        }
        out.push(line);
    }
    out.join("\n")
}

/// The text of a list item without its marker (`- `, `* `, `• `); a line that is
/// only a marker is empty.
pub(crate) fn strip_bullet(line: &str) -> &str {
    let trimmed = line.trim();
    if matches!(trimmed, "-" | "*" | "•") {
        return "";
    }
    for marker in ["- ", "* ", "• "] {
        if let Some(rest) = trimmed.strip_prefix(marker) {
            return rest.trim_start();
        }
    }
    trimmed
}

/// A title of at most [`MAX_TITLE_CHARS`] characters, cut at a word boundary (or at a
/// character for text without spaces) with `…` marking the cut.
pub(crate) fn short_title(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX_TITLE_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_TITLE_CHARS).collect();
    let at_word = match cut.rfind(' ') {
        Some(pos) if pos >= MAX_TITLE_CHARS / 2 => &cut[..pos],
        _ => cut.as_str(),
    };
    let at_word = at_word.trim_end_matches([' ', ',', ';', ':', '-', '(']);
    format!("{at_word}…")
}

/// A title derived from a line of text: its first sentence when that is at least 20
/// characters long, shortened with [`short_title`].
pub(crate) fn title_from_line(line: &str) -> String {
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end = None;
    for (i, c) in line.char_indices() {
        let after = i + c.len_utf8();
        let ends = matches!(c, '。' | '！' | '？')
            || (matches!(c, '.' | '!' | '?')
                && line[after..].chars().next().is_none_or(char::is_whitespace));
        if ends && line[..i].chars().count() >= 20 {
            end = Some(after);
            break;
        }
    }
    short_title(end.map_or(line.as_str(), |e| &line[..e]))
}

/// The id-friendly form of a title: lowercase ASCII letters and digits and CJK
/// characters kept, everything else a single `-`, at most 60 characters.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if is_cjk(c) {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let cut: String = out.chars().take(MAX_SLUG_CHARS).collect();
    let cut = cut.trim_end_matches('-');
    if cut.is_empty() {
        "untitled".to_string()
    } else {
        cut.to_string()
    }
}

/// Hands out document ids `source#slug`, unique within one file: a repeated slug gets
/// `-2`, `-3`, … in order of appearance, so an id depends only on the titles before
/// it that have the same slug, never on line numbers or other stories' text.
#[derive(Debug)]
pub(crate) struct IdAllocator<'a> {
    source: &'a str,
    used: HashSet<String>,
}

impl<'a> IdAllocator<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        Self {
            source,
            used: HashSet::new(),
        }
    }

    pub(crate) fn id_for(&mut self, title: &str) -> String {
        let base = slug(title);
        let mut candidate = base.clone();
        let mut n = 2;
        while self.used.contains(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        self.used.insert(candidate.clone());
        format!("{}#{candidate}", self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_lines_collapses_blank_runs_and_trims() {
        let text = clean_lines(["", "a  ", "", "", "", "b", "  c", "", ""]);
        assert_eq!(text, "a\n\nb\n  c");
    }

    #[test]
    fn word_count_counts_cjk_characters() {
        assert_eq!(word_count("two words"), 2);
        assert_eq!(word_count("职业规划"), 4);
        assert_eq!(word_count("TLS握手 latency"), 4);
    }

    #[test]
    fn slug_keeps_ascii_alnum_and_cjk() {
        assert_eq!(
            slug("History presentation for new employees."),
            "history-presentation-for-new-employees"
        );
        assert_eq!(
            slug("2018年10月28日星期日 › Double proxy"),
            "2018年10月28日星期日-double-proxy"
        );
        assert_eq!(slug("  --  "), "untitled");
        let long = slug(&"word ".repeat(40));
        assert!(long.chars().count() <= 60, "{long}");
        assert!(!long.ends_with('-'));
    }

    #[test]
    fn short_title_cuts_at_a_word_boundary() {
        let title = short_title(&"alpha beta gamma ".repeat(10));
        assert!(title.chars().count() <= MAX_TITLE_CHARS + 1);
        assert!(title.ends_with("…"));
        assert!(!title.contains("  "));
        assert_eq!(short_title("Short one"), "Short one");
    }

    #[test]
    fn titles_from_lines_prefer_the_first_sentence() {
        assert_eq!(
            title_from_line("I was a technical advisor for a startup. They had a goal."),
            "I was a technical advisor for a startup."
        );
        assert_eq!(
            title_from_line("Short. Then a longer second sentence here."),
            "Short. Then a longer second sentence here."
        );
        assert_eq!(
            title_from_line("No sentence end at all"),
            "No sentence end at all"
        );
    }

    #[test]
    fn ids_are_deduplicated_in_order() {
        let mut ids = IdAllocator::new("f.md");
        assert_eq!(ids.id_for("Same"), "f.md#same");
        assert_eq!(ids.id_for("Other"), "f.md#other");
        assert_eq!(ids.id_for("same!"), "f.md#same-2");
        assert_eq!(ids.id_for("Same"), "f.md#same-3");
    }

    #[test]
    fn strip_bullet_handles_markers() {
        assert_eq!(strip_bullet("- text"), "text");
        assert_eq!(strip_bullet("-"), "");
        assert_eq!(strip_bullet("  • item"), "item");
        assert_eq!(strip_bullet("-- not a bullet"), "-- not a bullet");
    }
}
