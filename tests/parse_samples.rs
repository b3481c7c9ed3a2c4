//! The parsers against the five real sample files in `../shared/samples/` (beside the
//! repository, in CI too) and against our own example corpus in `corpus/`.
//!
//! The expected numbers, titles and line spans were checked by hand against the files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use starcoach::corpus::{
    self, notes::MAX_NOTE_WORDS, Document, DocumentKind, LineSpan, ParsedFile, SectionKind,
};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples")
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Parse a file and check the invariants every parse result must hold.
fn parse(dir: &Path, name: &str) -> ParsedFile {
    let path = dir.join(name);
    let parsed = corpus::parse_file(&path, name).unwrap_or_else(|e| panic!("{e}"));
    let total_lines = std::fs::read_to_string(&path).unwrap().lines().count();
    check_invariants(name, &parsed, total_lines);
    parsed
}

fn check_invariants(name: &str, parsed: &ParsedFile, total_lines: usize) {
    let ids: HashSet<&str> = parsed.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        parsed.documents.len(),
        "{name}: ids are not unique"
    );
    let in_file =
        |span: LineSpan| span.start >= 1 && span.start <= span.end && span.end <= total_lines;
    for doc in &parsed.documents {
        assert!(doc.id.starts_with(&format!("{name}#")), "{}", doc.id);
        assert_eq!(doc.source, name);
        assert!(
            !doc.title.trim().is_empty(),
            "{name}: empty title at {:?}",
            doc.lines
        );
        assert!(in_file(doc.lines), "{}: span {:?}", doc.id, doc.lines);
        let mut previous_end = 0;
        for section in &doc.sections {
            assert!(
                in_file(section.lines),
                "{}: section span {:?}",
                doc.id,
                section.lines
            );
            assert!(
                section.lines.start >= doc.lines.start && section.lines.end <= doc.lines.end,
                "{}: section {:?} outside document {:?}",
                doc.id,
                section.lines,
                doc.lines
            );
            assert!(
                section.lines.start > previous_end,
                "{}: sections overlap",
                doc.id
            );
            previous_end = section.lines.end;
            assert!(!section.text.trim().is_empty(), "{}: empty section", doc.id);
            assert!(
                !section.text.contains("\n\n\n"),
                "{}: blank lines not collapsed",
                doc.id
            );
            assert!(
                section.text.lines().all(|l| l == l.trim_end()),
                "{}: trailing spaces",
                doc.id
            );
        }
        if doc.kind == DocumentKind::Note {
            assert_eq!(doc.sections.len(), 1, "{}", doc.id);
            assert_eq!(doc.sections[0].kind, SectionKind::Body, "{}", doc.id);
            let words = corpus::word_count(&doc.sections[0].text);
            assert!(words <= MAX_NOTE_WORDS, "{}: {words} words", doc.id);
        }
    }
    for skipped in &parsed.skipped {
        assert_eq!(skipped.source, name);
        if let Some(span) = skipped.lines {
            assert!(in_file(span), "{name}: skipped span {span:?}");
        }
    }
}

fn count(parsed: &ParsedFile, kind: DocumentKind) -> usize {
    parsed.documents.iter().filter(|d| d.kind == kind).count()
}

fn by_title<'a>(parsed: &'a ParsedFile, title: &str) -> &'a Document {
    let found: Vec<&Document> = parsed
        .documents
        .iter()
        .filter(|d| d.title == title)
        .collect();
    assert!(!found.is_empty(), "no document titled {title:?}");
    found[0]
}

fn section_kinds(doc: &Document) -> Vec<SectionKind> {
    doc.sections.iter().map(|s| s.kind).collect()
}

fn spans(doc: &Document) -> Vec<(SectionKind, usize, usize)> {
    doc.sections
        .iter()
        .map(|s| (s.kind, s.lines.start, s.lines.end))
        .collect()
}

fn contains_cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn samples_are_detected_as_the_right_format() {
    let dir = samples_dir();
    let format = |name: &str| corpus::detect(&std::fs::read_to_string(dir.join(name)).unwrap());
    assert_eq!(format("story-bank.md"), corpus::Format::StoryBank);
    assert_eq!(format("brag-doc.txt"), corpus::Format::BragDoc);
    assert_eq!(format("manager-notes.txt"), corpus::Format::Notes);
    assert_eq!(format("srecon-notes.txt"), corpus::Format::Notes);
    assert_eq!(format("qcon-notes.txt"), corpus::Format::Notes);
}

#[test]
fn story_bank_sample() {
    let p = parse(&samples_dir(), "story-bank.md");
    assert_eq!(count(&p, DocumentKind::Story), 16);
    assert_eq!(count(&p, DocumentKind::Note), 0);
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);

    let titles: Vec<&str> = p.documents.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(titles[0], "FaaS");
    assert_eq!(titles[15], "Other cases");
    for title in ["Actions", "Results", "Behavior Interview"] {
        assert!(!titles.contains(&title), "{title:?} must not be a story");
    }

    // A full story: preamble, then #### sections; ##### Why/WHAT/HOW stay in Actions.
    let faas = by_title(&p, "FaaS");
    assert_eq!(faas.lines, LineSpan::new(21, 48));
    assert_eq!(
        spans(faas),
        [
            (SectionKind::Preamble, 23, 23),
            (SectionKind::Situation, 25, 27),
            (SectionKind::Task, 29, 30),
            (SectionKind::Action, 32, 45),
            (SectionKind::Result, 47, 48),
        ]
    );
    let actions = &faas.sections[3];
    assert_eq!(actions.heading.as_deref(), Some("Actions"));
    for sub in ["Why", "WHAT", "HOW"] {
        assert!(
            actions.text.lines().any(|l| l == sub),
            "{sub} kept as a line of Actions"
        );
    }

    let vm = by_title(&p, "VM management V2 and Ashwin");
    assert_eq!(vm.tags, ["Conflict Resolution"]);
    assert_eq!(vm.id, "story-bank.md#vm-management-v2-and-ashwin");
    assert_eq!(
        spans(vm),
        [
            (SectionKind::Situation, 70, 71),
            (SectionKind::Task, 73, 74),
            (SectionKind::Action, 76, 91),
            (SectionKind::Result, 93, 97),
        ]
    );
    assert!(!vm
        .sections
        .iter()
        .any(|s| s.text.contains("[Conflict Resolution]")));

    let harness = by_title(&p, "VM provisioning with Harness");
    assert_eq!(harness.tags, ["I was wrong"]);
    assert_eq!(
        harness.sections.last().map(|s| (s.kind, s.lines)),
        Some((SectionKind::Learnings, LineSpan::new(121, 124)))
    );

    let vendor = by_title(&p, "Teaching Incident Response and Postmortems to a Vendor");
    assert_eq!(vendor.tags, ["cross team", "take initiative to improve"]);

    let perf = by_title(&p, "App performance optimization after migration to VM");
    assert_eq!(perf.sections[1].heading.as_deref(), Some("Tasks"));
    assert_eq!(perf.sections[1].kind, SectionKind::Task);

    // `### Actions` / `### Results` at story level are sections of the current story.
    let history = by_title(&p, "History presentation for new employees.");
    assert_eq!(history.lines, LineSpan::new(191, 202));
    assert_eq!(
        spans(history),
        [
            (SectionKind::Situation, 192, 193),
            (SectionKind::Task, 195, 196),
            (SectionKind::Action, 198, 199),
            (SectionKind::Result, 201, 202),
        ]
    );

    // Stubs are stories: bullets go to the preamble; a bare title has no sections.
    let tbu = by_title(&p, "TBU migration to MOSK");
    assert_eq!(tbu.tags, ["cross team conflict", "leadership"]);
    assert_eq!(spans(tbu), [(SectionKind::Preamble, 170, 172)]);
    let slo = by_title(&p, "SLO based alerting in private cloud.");
    assert_eq!(slo.tags, ["todo"]);
    assert!(slo.sections.is_empty());
    for bare in ["First external platform audit.", "ARP config change"] {
        let doc = by_title(&p, bare);
        assert_eq!(doc.kind, DocumentKind::Story);
        assert!(doc.sections.is_empty() && doc.tags.is_empty());
        assert_eq!(doc.lines.start, doc.lines.end);
    }
    assert_eq!(
        by_title(&p, "ARP config change").lines,
        LineSpan::new(209, 209)
    );
    assert_eq!(
        section_kinds(by_title(&p, "Image Labeling Service")),
        [SectionKind::Preamble]
    );
}

#[test]
fn brag_doc_sample() {
    let p = parse(&samples_dir(), "brag-doc.txt");
    assert_eq!(count(&p, DocumentKind::Story), 22);
    // Every empty template here had a preamble: it is kept as a note, never a story.
    assert_eq!(count(&p, DocumentKind::Note), 6);
    let templates: Vec<LineSpan> = p.skipped.iter().filter_map(|s| s.lines).collect();
    assert_eq!(
        templates,
        [
            LineSpan::new(162, 165),
            LineSpan::new(219, 222),
            LineSpan::new(226, 229),
            LineSpan::new(236, 239),
            LineSpan::new(255, 258),
            LineSpan::new(582, 585),
        ]
    );
    assert!(p
        .skipped
        .iter()
        .all(|s| s.reason.contains("empty template")));

    // The file header is the preamble of the first story.
    let first = by_title(&p, "Add mitigation for optimistic acks");
    assert_eq!(first.lines, LineSpan::new(1, 38));
    assert_eq!(
        spans(first),
        [
            (SectionKind::Preamble, 1, 5),
            (SectionKind::Situation, 6, 8),
            (SectionKind::Task, 9, 11),
            (SectionKind::Action, 12, 34),
            (SectionKind::Result, 35, 38),
        ]
    );
    assert!(first
        .sections
        .iter()
        .all(|s| !s.text.lines().any(|l| l.starts_with("- "))));

    // What follows an R block belongs to the next story.
    let tls = by_title(&p, "include tls 1.3 support by default");
    assert_eq!(tls.sections[0].kind, SectionKind::Preamble);
    assert_eq!(tls.sections[0].lines, LineSpan::new(91, 99));
    let at_340 = p
        .documents
        .iter()
        .find(|d| {
            d.sections
                .iter()
                .any(|s| s.kind == SectionKind::Situation && s.lines.start == 340)
        })
        .expect("a story starts at the S on line 340");
    assert_eq!(
        at_340.title,
        "Data Science (DS) ran a nightly job to generate music recommendations for users."
    );
    assert_eq!(at_340.sections[0].kind, SectionKind::Preamble);
    assert_eq!(at_340.sections[0].lines, LineSpan::new(331, 339));
    assert!(at_340.sections[0]
        .text
        .contains("poll for new dataset every 5 min"));
    let previous = p
        .documents
        .iter()
        .find(|d| d.lines.end == 330)
        .expect("story before it ends at 330");
    assert!(!previous.text().contains("poll for new dataset"));
    // A leadership-principle bullet right after an empty template's R is a preamble.
    let kaos = by_title(&p, "KaOS owns fingerprint rules.");
    assert_eq!(kaos.sections[0].lines, LineSpan::new(259, 261));

    // Stories with some empty markers keep the sections that have content.
    let closing = p
        .documents
        .iter()
        .find(|d| d.lines.start == 149)
        .expect("story at 149");
    assert_eq!(
        spans(closing),
        [
            (SectionKind::Situation, 149, 150),
            (SectionKind::Task, 151, 155)
        ]
    );
    let templating = p
        .documents
        .iter()
        .find(|d| d.sections.iter().any(|s| s.lines.start == 542))
        .unwrap();
    assert_eq!(
        spans(templating)[1..],
        [
            (SectionKind::Situation, 542, 543),
            (SectionKind::Result, 546, 547)
        ]
    );

    // Long first lines are shortened at a word boundary.
    for doc in &p.documents {
        assert!(doc.title.chars().count() <= 81, "{}", doc.title);
    }
    let notes: Vec<&Document> = p
        .documents
        .iter()
        .filter(|d| d.kind == DocumentKind::Note)
        .collect();
    assert_eq!(notes[0].lines, LineSpan::new(158, 161));
    assert_eq!(
        notes[0].title,
        "conduct initial review of doc written by SDE1"
    );
}

#[test]
fn manager_notes_sample() {
    let p = parse(&samples_dir(), "manager-notes.txt");
    assert_eq!(count(&p, DocumentKind::Story), 0);
    assert_eq!(count(&p, DocumentKind::Note), 48);
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(p.skipped[0].lines, Some(LineSpan::new(469, 471)));

    let proxy = by_title(&p, "2018年10月28日星期日 › Double proxy");
    assert_eq!(proxy.lines, LineSpan::new(427, 437));
    assert_eq!(
        proxy.id,
        "manager-notes.txt#2018年10月28日星期日-double-proxy"
    );
    let cloud = by_title(
        &p,
        "2018年10月28日星期日 › Private and Public cloud migration",
    );
    assert_eq!(cloud.lines, LineSpan::new(439, 459));
    assert_eq!(
        cloud.sections[0].heading.as_deref(),
        Some("Private and Public cloud migration")
    );
    assert_eq!(
        by_title(&p, "2022年7月31日星期日 › Questions").lines,
        LineSpan::new(56, 63)
    );
    assert_eq!(
        by_title(&p, "2021年11月11日星期四 › Kubernetes").lines,
        LineSpan::new(71, 81)
    );
    // A long block is split into several notes with the same title.
    let parts = p
        .documents
        .iter()
        .filter(|d| d.title == "2021年4月21日星期三 › Postgres")
        .count();
    assert_eq!(parts, 6);
    // The language is kept as written.
    assert!(
        p.documents
            .iter()
            .filter(|d| contains_cjk(&d.text()))
            .count()
            >= 3
    );
}

#[test]
fn qcon_notes_sample() {
    let p = parse(&samples_dir(), "qcon-notes.txt");
    assert_eq!(count(&p, DocumentKind::Story), 0);
    assert_eq!(count(&p, DocumentKind::Note), 24);
    // The file's title line has no text of its own.
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(p.skipped[0].lines, Some(LineSpan::new(1, 1)));

    let monzo: Vec<&Document> = p
        .documents
        .iter()
        .filter(|d| d.title == "Day 3 › 16:10 microservices at Monzo")
        .collect();
    assert_eq!(monzo.len(), 2);
    assert_eq!(monzo[0].lines, LineSpan::new(5, 18));
    assert_eq!(monzo[1].lines, LineSpan::new(19, 28));
    assert_eq!(
        monzo[1].id,
        "qcon-notes.txt#day-3-16-10-microservices-at-monzo-2"
    );
    assert_eq!(
        by_title(&p, "Day 2 › 1035 quarkus").lines,
        LineSpan::new(157, 168)
    );
    assert_eq!(
        by_title(&p, "Day 1 › Decomposing monoliths").lines,
        LineSpan::new(189, 203)
    );
    // Short talks stay their own notes (a time slot is never merged away).
    assert_eq!(
        by_title(&p, "Day 1 › 0900 keynote").lines,
        LineSpan::new(185, 187)
    );
    for day in ["Day 3", "Day 2", "Day 1"] {
        by_title(&p, &format!("{day} › 0900 keynote"));
    }
}

#[test]
fn srecon_notes_sample() {
    let p = parse(&samples_dir(), "srecon-notes.txt");
    assert_eq!(count(&p, DocumentKind::Story), 0);
    assert_eq!(count(&p, DocumentKind::Note), 13);
    assert!(p.skipped.is_empty());
    // One giant line is split at sentence (or word) boundaries into notes of its heading.
    let day2: Vec<&Document> = p
        .documents
        .iter()
        .filter(|d| d.title == "SRECon Americas 2018 Day 2 Notes")
        .collect();
    assert_eq!(day2.len(), 8);
    assert_eq!(day2[0].lines, LineSpan::new(7, 9));
    assert!(day2[1..].iter().all(|d| d.lines == LineSpan::new(9, 9)));
    assert_eq!(
        by_title(&p, "SRECon US 2018 Day 3: What I'm seeing").lines,
        LineSpan::new(11, 13)
    );
    assert_eq!(
        by_title(&p, "SRECon Americas 2018 Day 1 Review").lines,
        LineSpan::new(15, 17)
    );
    assert_eq!(by_title(&p, "srecon").lines, LineSpan::new(1, 5));
}

#[test]
fn collect_files_over_the_samples() {
    let files = corpus::collect_files(&[samples_dir()]).unwrap();
    let names: Vec<&str> = files.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "README.md",
            "brag-doc.txt",
            "manager-notes.txt",
            "qcon-notes.txt",
            "srecon-notes.txt",
            "story-bank.md"
        ]
    );
}

#[test]
fn example_corpus_parses_to_the_expected_counts() {
    let dir = corpus_dir();
    let files = corpus::collect_files(std::slice::from_ref(&dir)).unwrap();
    let names: Vec<&str> = files.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "brag-doc.txt",
            "notes/2024-notes.txt",
            "notes/conference-notes.txt",
            "story-bank.md"
        ]
    );

    // (stories, notes, skipped) per file.
    let expected = [
        ("brag-doc.txt", 8, 1, 1),
        ("notes/2024-notes.txt", 0, 6, 0),
        ("notes/conference-notes.txt", 0, 7, 1),
        ("story-bank.md", 8, 0, 0),
    ];
    for (name, stories, notes, skipped) in expected {
        let p = parse(&dir, name);
        assert_eq!(
            (
                count(&p, DocumentKind::Story),
                count(&p, DocumentKind::Note),
                p.skipped.len()
            ),
            (stories, notes, skipped),
            "{name}"
        );
    }

    let bank = parse(&dir, "story-bank.md");
    assert_eq!(
        by_title(&bank, "Rate limiter rewrite and Priya").tags,
        ["Conflict Resolution", "peer disagreement"]
    );
    let mentoring = by_title(&bank, "Mentoring Tomás through his first on-call");
    assert_eq!(
        section_kinds(mentoring),
        [
            SectionKind::Situation,
            SectionKind::Task,
            SectionKind::Action,
            SectionKind::Result
        ]
    );
    let stub = by_title(&bank, "Accessibility audit of the driver app");
    assert_eq!(stub.tags, ["todo", "customer focus"]);
    assert_eq!(section_kinds(stub), [SectionKind::Preamble]);
    // Real stories are 150-350 words.
    for doc in bank.documents.iter().filter(|d| d.title != stub.title) {
        let words = corpus::word_count(&doc.text());
        assert!((150..=350).contains(&words), "{}: {words} words", doc.title);
    }

    let brag = parse(&dir, "brag-doc.txt");
    assert_eq!(brag.skipped[0].lines, Some(LineSpan::new(113, 116)));
    for doc in brag
        .documents
        .iter()
        .filter(|d| d.kind == DocumentKind::Story)
    {
        let star: usize = doc
            .sections
            .iter()
            .filter(|s| s.kind != SectionKind::Preamble)
            .map(|s| corpus::word_count(&s.text))
            .sum();
        assert!((150..=350).contains(&star), "{}: {star} words", doc.title);
    }

    let notes = parse(&dir, "notes/2024-notes.txt");
    by_title(&notes, "2024-02-03 › Key story: the feature flag cleanup");
    by_title(&notes, "2024年3月9日星期六 › 面试准备");
    let conference = parse(&dir, "notes/conference-notes.txt");
    by_title(
        &conference,
        "Day 2 › 11:00 migrating 400 services to Kubernetes",
    );
}
