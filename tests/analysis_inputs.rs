//! Transcript input through the public API: every malformed-input error names its line
//! or JSON field, speakers are recognised, context rules for fillers hold, and no input
//! (truncated, shuffled, garbage) makes parsing or analysis panic.

use std::path::Path;

use starcoach::analysis::transcript::{detect_format, parse_whisper_value, Location};
use starcoach::analysis::{analyze, parse, Role, TranscriptError, TranscriptFormat};

fn err(input: &str, format: Option<TranscriptFormat>) -> TranscriptError {
    match parse(input, format) {
        Ok(t) => panic!("expected an error, parsed {t:?}"),
        Err(e) => e,
    }
}

// ---- errors -------------------------------------------------------------------------

#[test]
fn empty_input() {
    for input in ["", "   \n\n\t", "\u{feff}"] {
        assert_eq!(err(input, None), TranscriptError::Empty);
    }
    assert_eq!(
        err("WEBVTT\n\nNOTE nothing here\n", None),
        TranscriptError::Empty
    );
    assert_eq!(err(r#"{"segments": []}"#, None), TranscriptError::Empty);
    assert_eq!(
        err("1\n00:00:01,000 --> 00:00:02,000\n\n", None),
        TranscriptError::Empty
    );
}

#[test]
fn reversed_cue_names_the_line() {
    let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n00:00:05.000 --> 00:00:03.000\nbackwards\n";
    let e = err(vtt, None);
    assert_eq!(
        e,
        TranscriptError::ReversedCue {
            at: Location::Line(6),
            start: 5.0,
            end: 3.0
        }
    );
    assert!(
        e.to_string()
            .starts_with("line 6: the cue ends at 3.000 s, before it starts at 5.000 s"),
        "{e}"
    );
}

#[test]
fn cues_out_of_time_order() {
    let srt =
        "1\n00:00:05,000 --> 00:00:06,000\nlater\n\n2\n00:00:01,000 --> 00:00:02,000\nearlier\n";
    let e = err(srt, None);
    assert!(
        matches!(
            e,
            TranscriptError::CueOutOfOrder {
                at: Location::Line(6),
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn overlapping_cues_of_one_speaker() {
    let srt =
        "1\n00:00:00,000 --> 00:00:05,000\nfirst\n\n2\n00:00:04,000 --> 00:00:06,000\nsecond\n";
    let e = err(srt, None);
    assert_eq!(
        e,
        TranscriptError::OverlappingCue {
            at: Location::Line(6),
            start: 4.0,
            previous_end: 5.0
        }
    );
    assert!(e.to_string().contains("line 6"), "{e}");
    // Different speakers may talk over each other.
    let vtt = "WEBVTT\n\n00:00.000 --> 00:05.000\n<v Me>I was explaining the plan\n\n00:04.000 --> 00:04.500\n<v Interviewer>mm-hm\n\n00:05.000 --> 00:07.000\n<v Me>and then I shipped it\n";
    assert!(parse(vtt, None).is_ok());
}

#[test]
fn bad_timestamps_name_the_line() {
    let cases = [
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nhi\n",
            3,
            "00:00:0x.000",
        ),
        (
            "WEBVTT\n\nintro\n00:61:00.000 --> 01:02:00.000\nhi\n",
            4,
            "00:61:00.000",
        ),
        ("1\n00:00:01,000 --> 00:00:02\nhi\n", 2, "00:00:02"),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n1:2:3,4 --> 00:00:05,000\nhi\n",
            6,
            "1:2:3,4",
        ),
    ];
    for (input, line, value) in cases {
        match err(input, None) {
            TranscriptError::BadTimestamp { at, value: v, .. } => {
                assert_eq!((at, v.as_str()), (Location::Line(line), value), "{input}");
            }
            other => panic!("{input}: {other:?}"),
        }
        assert!(err(input, None)
            .to_string()
            .starts_with(&format!("line {line}: bad timestamp")));
    }
}

#[test]
fn structural_errors_name_the_line() {
    let e = err(
        "WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n\njust some text\n",
        None,
    );
    assert!(
        matches!(
            e,
            TranscriptError::Malformed {
                at: Location::Line(6),
                ..
            }
        ),
        "{e:?}"
    );
    let e = err(
        "hello\n00:00.000 --> 00:01.000\nhi\n",
        Some(TranscriptFormat::Vtt),
    );
    assert!(e.to_string().contains("WEBVTT"), "{e}");
    let e = err(
        "one\n00:00:00,000 --> 00:00:01,000\nhi\n",
        Some(TranscriptFormat::Srt),
    );
    assert!(
        e.to_string().starts_with("line 1: expected a cue number"),
        "{e}"
    );
    let e = err(
        "1\n00:00:00,000 --> 00:00:01,000\nhi\n\n2\nno timing here\n",
        None,
    );
    assert!(
        e.to_string().starts_with("line 6: expected a timing line"),
        "{e}"
    );
}

#[test]
fn invalid_json_names_line_and_column() {
    let e = err(
        "{\n  \"segments\": [\n    {\"start\": 0, \"end\": 1 \"text\": \"a\"}\n  ]\n}",
        None,
    );
    match e {
        TranscriptError::InvalidJson { line, column, .. } => assert_eq!((line, column), (3, 27)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        err("{\"segments\": [", None),
        TranscriptError::InvalidJson { .. }
    ));
}

#[test]
fn json_errors_name_the_field() {
    let cases = [
        (r#"{"segments": [{"start": 0, "end": 1, "text": "a"}, {"end": 2, "text": "b"}]}"#, "field `segments[1].start` is missing"),
        (r#"{"segments": [{"start": 0, "end": 1}]}"#, "field `segments[0].text` is missing"),
        (r#"{"segments": [{"start": 0, "end": 1, "text": 5}]}"#, "field `segments[0].text` must be a string"),
        (r#"{"segments": "none"}"#, "field `segments` must be an array"),
        (r#"{"segments": [{"start": 0, "end": "1", "text": "a"}]}"#, "field `segments[0].end`: bad timestamp"),
        (r#"{"segments": [{"start": 2, "end": 1, "text": "a"}]}"#, "field `segments[0]`: the cue ends at 1.000 s"),
        (r#"{"segments": [{"start": 0, "end": 3, "text": "a"}, {"start": 2, "end": 4, "text": "b"}]}"#, "field `segments[1]`: the cue starts at 2.000 s, before the previous cue of the same speaker"),
        (r#"{"segments": [{"start": 0, "end": 1, "text": "a b", "words": [{"word": "a", "start": 0.5, "end": 0.6}, {"word": "b", "start": 0.1, "end": 0.2}]}]}"#, "field `segments[0].words[1]`: the cue starts at 0.100 s"),
        (r#"{"language": "en"}"#, "field `segments` is missing"),
    ];
    for (input, want) in cases {
        let got = err(input, None).to_string();
        assert!(got.starts_with(want), "{input}\n got: {got}\nwant: {want}");
    }
    // "42" is detected as plain text; as JSON it is the wrong shape.
    let got = err("42", Some(TranscriptFormat::WhisperJson)).to_string();
    assert!(got.starts_with("field `(root)` must be"), "{got}");
}

#[test]
fn only_interviewer_speech_is_an_error() {
    assert_eq!(
        err("Interviewer: Tell me about a time you failed.", None),
        TranscriptError::NoCandidateSpeech
    );
}

#[test]
fn unknown_format_name() {
    assert!(matches!(
        "docx".parse::<TranscriptFormat>(),
        Err(TranscriptError::UnknownFormat(_))
    ));
}

// ---- formats and speakers -------------------------------------------------------------

#[test]
fn explicit_format_overrides_detection() {
    let text = "1\n00:00:01,000 --> 00:00:02,000\nhello";
    assert_eq!(detect_format(text), TranscriptFormat::Srt);
    let t = parse(text, Some(TranscriptFormat::Plain)).expect("plain");
    assert_eq!(t.format, TranscriptFormat::Plain);
    assert!(t.turns[0].start.is_none());
}

#[test]
fn whisper_json_as_a_value() {
    let v = serde_json::json!({"segments": [
        {"start": 0.0, "end": 2.0, "text": " Why did it fail?", "speaker": "SPEAKER_00"},
        {"start": 2.5, "end": 9.0, "text": " At my last job the deploy broke because I skipped staging.", "speaker": "SPEAKER_01"}
    ]});
    let t = parse_whisper_value(&v).expect("value");
    assert_eq!(t.question.as_deref(), Some("Why did it fail?"));
    assert_eq!(t.turns[1].role, Role::Candidate);
}

#[test]
fn roles_from_names() {
    let cases = [
        ("Q: Why?\nA: Because I could.", vec![Role::Interviewer, Role::Candidate]),
        ("Interviewer: Why?\nMe: Because.", vec![Role::Interviewer, Role::Candidate]),
        ("Recruiter: Why?\nJo: Because I wanted to fix it myself.", vec![Role::Interviewer, Role::Candidate]),
        (
            "Sam: Tell me about a conflict.\nAlex: At my last job two engineers argued about the API design for weeks and I ran a session.\nSam: Then?",
            vec![Role::Interviewer, Role::Candidate, Role::Interviewer],
        ),
        ("Situation: the build was slow.\nResult: it got faster.", vec![Role::Candidate]),
    ];
    for (text, roles) in cases {
        let t = parse(text, None).expect("parse");
        let got: Vec<Role> = t.turns.iter().map(|t| t.role).collect();
        assert_eq!(got, roles, "{text}");
    }
}

// ---- filler context -------------------------------------------------------------------

fn fillers(text: &str) -> std::collections::BTreeMap<String, usize> {
    analyze(&parse(text, Some(TranscriptFormat::Plain)).expect("parse"))
        .fillers
        .by_term
}

#[test]
fn like_in_context() {
    assert!(fillers(
        "I like data. It looks like rain. It was like a fire drill. Details like allergies matter."
    )
    .is_empty());
    assert_eq!(
        fillers("I was, like, tired. We had like 20 people.").get("like"),
        Some(&2)
    );
}

#[test]
fn so_in_context() {
    assert_eq!(fillers("So I pulled the logs.").get("so"), Some(&1));
    assert!(
        fillers("I did it so that he could see. So much was manual. It broke, so I fixed it.")
            .is_empty()
    );
}

#[test]
fn fillers_in_interviewer_turns_are_not_counted() {
    let f = fillers("Interviewer: Um, so, like, tell me, you know, about a time.\nMe: At my last job I fixed the build.");
    assert!(f.is_empty(), "{f:?}");
}

// ---- robustness -----------------------------------------------------------------------

/// A small deterministic generator (no extra crates).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn parse_and_analyze(input: &str) {
    for format in [
        None,
        Some(TranscriptFormat::Plain),
        Some(TranscriptFormat::Vtt),
        Some(TranscriptFormat::Srt),
        Some(TranscriptFormat::WhisperJson),
    ] {
        if let Ok(t) = parse(input, format) {
            let a = analyze(&t);
            assert!(a.word_count <= input.len());
            assert!(serde_json::to_string(&a).is_ok());
        }
    }
}

#[test]
fn no_panic_on_truncated_or_shuffled_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcripts");
    let mut rng = Lcg(7);
    let mut cases = 0;
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path.to_string_lossy().to_string();
        if name.ends_with(".expected.json")
            || !(name.ends_with(".txt")
                || name.ends_with(".vtt")
                || name.ends_with(".srt")
                || name.ends_with(".json"))
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        // Truncations at 40 points (on char boundaries).
        for k in 1..=40 {
            let mut cut = text.len() * k / 41;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            parse_and_analyze(&text[..cut]);
            cases += 1;
        }
        // Lines shuffled, dropped and duplicated.
        let lines: Vec<&str> = text.lines().collect();
        for _ in 0..20 {
            let mut mutated: Vec<&str> = Vec::new();
            for _ in 0..lines.len() {
                mutated.push(lines[rng.next() % lines.len().max(1)]);
            }
            parse_and_analyze(&mutated.join("\n"));
            cases += 1;
        }
        // Bytes replaced with structural characters.
        for _ in 0..20 {
            let mut bytes: Vec<char> = text.chars().collect();
            for _ in 0..5 {
                let at = rng.next() % bytes.len().max(1);
                if let Some(c) = bytes.get_mut(at) {
                    *c = ['<', '>', ':', '-', '{', '"', '\n', '.', ',', '9'][rng.next() % 10];
                }
            }
            parse_and_analyze(&bytes.into_iter().collect::<String>());
            cases += 1;
        }
    }
    assert!(cases > 500, "{cases}");
}

#[test]
fn no_panic_on_odd_inputs() {
    for input in [
        "WEBVTT",
        "WEBVTT\n\n-->",
        "WEBVTT\n\n00:00.000 -->",
        "1\n-->\n",
        "{",
        "[",
        "[]",
        "[{}]",
        "{\"segments\": [null]}",
        "{\"segments\": [{\"start\": 1e400, \"end\": 1, \"text\": \"a\"}]}",
        "Me:",
        "Me: \nInterviewer:",
        "<v >hi",
        "...",
        "?!",
        "\u{0}\u{1}",
        "👍 great 👍",
        "我在上一家公司负责支付系统。结果失败率下降了。",
        "a\n\n\n\nb",
        "9999999999999999999:00:00.000 --> 9999999999999999999:00:01.000",
        "WEBVTT\n\n99999999999999999999:00:00.000 --> 99999999999999999999:00:01.000\nhi",
    ] {
        parse_and_analyze(input);
    }
}
