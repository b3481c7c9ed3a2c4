//! Transcript analysis time for a 3-minute answer against only splitting it into words.

// Transcript analysis time for a 3-minute answer (~450 words at 150 wpm, as WebVTT
// and as Whisper JSON with word timings) against a baseline that only splits the
// transcript into words. The same input as `benches/analysis.rs` (criterion).

use std::hint::black_box;
use std::time::Instant;

use starcoach::analysis::{analyze, parse};

/// Answers from the labelled set, used as realistic text.
const TEXTS: [&str; 3] = [
    include_str!("../../tests/fixtures/transcripts/01_balanced.txt"),
    include_str!("../../tests/fixtures/transcripts/02_no_result.txt"),
    include_str!("../../tests/fixtures/transcripts/h01_charge_nurse.txt"),
];
const WORDS: usize = 450;
const WPM: f64 = 150.0;

/// Median times in microseconds.
#[derive(Debug, Clone)]
pub struct AnalysisTiming {
    pub words: usize,
    pub baseline_us: f64,
    pub vtt_us: f64,
    pub whisper_json_us: f64,
}

/// (word, start, end) for ~450 words, with a 2.5 s pause every 80 words.
fn timeline() -> Vec<(String, f64, f64)> {
    let words: Vec<&str> = TEXTS
        .iter()
        .flat_map(|t| t.split_whitespace())
        .take(WORDS)
        .collect();
    let slot = 60.0 / WPM;
    let mut t = 4.0;
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
pub fn vtt() -> String {
    let mut out = String::from(
        "WEBVTT\n\n00:00:00.000 --> 00:00:03.200\n<v Interviewer>Tell me about a time you fixed a hard problem.\n\n",
    );
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
pub fn whisper_json() -> String {
    let segments: Vec<serde_json::Value> = timeline()
        .chunks(10)
        .map(|chunk| {
            let text: Vec<&str> = chunk.iter().map(|w| w.0.as_str()).collect();
            let words: Vec<serde_json::Value> = chunk
                .iter()
                .map(|w| serde_json::json!({"word": w.0, "start": w.1, "end": w.2}))
                .collect();
            serde_json::json!({
                "start": chunk[0].1,
                "end": chunk[chunk.len() - 1].2,
                "text": format!(" {}", text.join(" ")),
                "words": words,
            })
        })
        .collect();
    serde_json::json!({ "segments": segments }).to_string()
}

fn full(input: &str) -> anyhow::Result<usize> {
    Ok(analyze(&parse(input, None)?).word_count)
}

/// Median of `runs` timings of `f` (at least one), in microseconds.
pub fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Parse + analyse, median of `runs` each (after one untimed run that builds the
/// tokenizer and regexes).
pub fn measure(runs: usize) -> anyhow::Result<AnalysisTiming> {
    let vtt = vtt();
    let json = whisper_json();
    let words = full(&vtt)?;
    full(&json)?;
    let baseline_us = median_us(runs * 4, || {
        black_box(black_box(&vtt).split_whitespace().count());
    });
    let vtt_us = median_us(runs, || {
        let _ = black_box(full(black_box(&vtt)));
    });
    let whisper_json_us = median_us(runs, || {
        let _ = black_box(full(black_box(&json)));
    });
    Ok(AnalysisTiming {
        words,
        baseline_us,
        vtt_us,
        whisper_json_us,
    })
}
