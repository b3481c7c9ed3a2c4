//! Criterion benchmark: parse + analyse a 3-minute timestamped answer (WebVTT, Whisper
//! JSON) against only splitting it into words.

// Benchmark: parse + analyse a 3-minute (~450 words) timestamped answer, as WebVTT and
// as Whisper JSON with per-word timings, against a baseline that only reads the text
// and splits it into words. Target (issue 4): parse + analyse in 2 ms or less.
//
// `cargo bench -p starcoach-bench --bench analysis`; the last lines print the ratio to the baseline.

use std::hint::black_box;

use criterion::{criterion_group, Criterion};
use starcoach::analysis::{analyze, parse};
use starcoach_bench::analysis::{median_us, vtt, whisper_json};

/// Words in the generated answer (`starcoach_bench::analysis` builds it from the
/// labelled answers: ~450 words at 150 wpm, as WebVTT and as Whisper JSON).
const WORDS: usize = 450;

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
