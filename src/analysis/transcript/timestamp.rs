//! Cue timestamps of WebVTT (`00:01:02.500`, `01:02.500`) and SRT (`00:01:02,500`).

// Both formats are accepted with either decimal separator (`.` or `,`), since real
// files mix them up; minutes and seconds must be two digits below 60, the fraction
// one to three digits.

/// What a timestamp should look like, for error messages.
pub(crate) const EXPECTED: &str = "HH:MM:SS.mmm (or MM:SS.mmm; SRT uses HH:MM:SS,mmm)";

/// Seconds since the start, or `None` when `text` is not a timestamp.
pub(crate) fn parse_timestamp(text: &str) -> Option<f64> {
    let (clock, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => return None,
    };
    if fraction.is_empty() || fraction.len() > 3 || !all_digits(fraction) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] if !h.is_empty() && all_digits(h) => (h.parse::<u64>().ok()?, *m, *s),
        [m, s] => (0, *m, *s),
        _ => return None,
    };
    let minutes = two_digits_below_60(minutes)?;
    let seconds = two_digits_below_60(seconds)?;
    let millis: u64 = format!("{fraction:0<3}").parse().ok()?;
    let total_ms = hours
        .checked_mul(3_600_000)?
        .checked_add(minutes * 60_000 + seconds * 1000 + millis)?;
    Some(total_ms as f64 / 1000.0)
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn two_digits_below_60(s: &str) -> Option<u64> {
    if s.len() != 2 || !all_digits(s) {
        return None;
    }
    let value: u64 = s.parse().ok()?;
    (value < 60).then_some(value)
}

/// `m:ss` for messages and findings (`75.2` -> `1:15`).
pub fn format_clock(seconds: f64) -> String {
    let total = if seconds.is_finite() && seconds > 0.0 {
        seconds.round() as u64
    } else {
        0
    };
    format!("{}:{:02}", total / 60, total % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vtt_and_srt_forms() {
        assert_eq!(parse_timestamp("00:00:01.500"), Some(1.5));
        assert_eq!(parse_timestamp("01:02.250"), Some(62.25));
        assert_eq!(parse_timestamp("01:00:00,001"), Some(3600.001));
        assert_eq!(parse_timestamp("00:00:03.5"), Some(3.5));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "1.5",
            "00:61:00.000",
            "00:00:60.000",
            "0:0:1.000",
            "00:00:01",
            "aa:bb:cc.ddd",
            "00:00:01.0000",
            "00:00:01.",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn clock() {
        assert_eq!(format_clock(75.2), "1:15");
        assert_eq!(format_clock(f64::NAN), "0:00");
    }
}
