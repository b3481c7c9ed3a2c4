//! Benchmark: parse + analyse a 3-minute (~450 words) timestamped answer, as WebVTT and
//! as Whisper JSON with per-word timings, against a baseline that only reads the text
//! and splits it into words. Target (issue 4): parse + analyse in 2 ms or less.
//!
//! `cargo bench --bench analysis`; the last lines print the ratio to the baseline.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use starcoach::analysis::{analyze, parse};

/// Answers from the labelled set, used as realistic text.
const TEXTS: [&str; 3] = [
    include_str!("../tests/fixtures/transcripts/01_balanced.txt"),
    include_str!("../tests/fixtures/transcripts/02_no_result.txt"),
    include_str!("../tests/fixtures/transcripts/h01_charge_nurse.txt"),
];
const WORDS: usize = 450;
const WPM: f64 = 150.0;

/// (word, start, end) for ~450 words at 150 wpm, with a 2.5 s pause every 80 words.
fn timeline() -> Vec<(String, f64, f64)> {
    let words: Vec<&str> = TEXTS
        .iter()
        .flat_map(|t| t.split_whitespace())
        .take(WORDS)
        .collect();
    let slot = 60.0 / WPM;
    let mut t = 4.0; // after the question
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && i % 80 == 0 {
                t += 2.5;
            }
            let item = (w.to_string(), t, t + 0.8 * slot);
            t += slot;
            item
        })
        .collect()
}

fn clock(s: f64) -> String {
    let ms = (s * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The answer as WebVTT with voices: the question, then cues of 10 words.
fn vtt() -> String {
    let mut out = String::from("WEBVTT\n\n00:00:00.000 --> 00:00:03.200\n<v Interviewer>Tell me about a time you fixed a hard problem.\n\n");
    for chunk in timeline().chunks(10) {
        let text: Vec<&str> = chunk.iter().map(|w| w.0.as_str()).collect();
        out.push_str(&format!(
            "{} --> {}\n<v Me>{}\n\n",
            clock(chunk[0].1),
            clock(chunk[chunk.len() - 1].2),
            text.join(" ")
        ));
    }
    out
}

/// The answer as Whisper JSON with per-word timings.
fn whisper_json() -> String {
    let segments: Vec<serde_json::Value> = timeline()
        .chunks(10)
        .map(|chunk| {
            let text: Vec<&str> = chunk.iter().map(|w| w.0.as_str()).collect();
            serde_json::json!({
                "start": chunk[0].1, "end": chunk[chunk.len() - 1].2, "text": format!(" {}", text.join(" ")),
                "words": chunk.iter().map(|w| serde_json::json!({"word": w.0, "start": w.1, "end": w.2})).collect::<Vec<_>>()
            })
        })
        .collect();
    serde_json::json!({ "segments": segments }).to_string()
}

/// The baseline: read the transcript and split it into words.
fn baseline(input: &str) -> usize {
    input.split_whitespace().count()
}

fn full(input: &str) -> usize {
    match parse(input, None) {
        Ok(t) => analyze(&t).word_count,
        Err(e) => panic!("{e}"),
    }
}

fn benches(c: &mut Criterion) {
    let vtt = vtt();
    let json = whisper_json();
    // Build the tokenizer and regexes once, outside the measurements.
    assert!(full(&vtt) >= WORDS - 5);
    assert!(full(&json) >= WORDS - 5);
    let mut group = c.benchmark_group("3-minute answer");
    group.bench_function("baseline: split words (vtt)", |b| {
        b.iter(|| baseline(black_box(&vtt)))
    });
    group.bench_function("parse+analyze (vtt)", |b| b.iter(|| full(black_box(&vtt))));
    group.bench_function("parse+analyze (whisper json + words)", |b| {
        b.iter(|| full(black_box(&json)))
    });
    let transcript = parse(&vtt, None).ok();
    group.bench_function("analyze only (vtt)", |b| {
        b.iter(|| {
            transcript
                .as_ref()
                .map(|t| analyze(black_box(t)).word_count)
        })
    });
    group.bench_function("token count only", |b| {
        b.iter(|| starcoach::analysis::count_tokens(black_box(&vtt)))
    });
    group.finish();
}

criterion_group!(analysis, benches);

/// Median of `runs` timings of `f`, in microseconds.
fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    analysis();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    let vtt = vtt();
    let json = whisper_json();
    let base = median_us(2000, || {
        black_box(baseline(black_box(&vtt)));
    });
    let v = median_us(500, || {
        black_box(full(black_box(&vtt)));
    });
    let j = median_us(500, || {
        black_box(full(black_box(&json)));
    });
    println!(
        "summary (median): baseline {base:.1} µs; parse+analyze vtt {v:.0} µs ({:.0}x baseline), whisper json {j:.0} µs ({:.0}x); target 2000 µs",
        v / base,
        j / base
    );
}
