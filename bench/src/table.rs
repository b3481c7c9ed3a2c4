//! The results table: every figure with its baseline from the same run and the ratio,
//! rendered as Markdown with the date, the machine and the build profile.

use std::fmt::Write;

/// A value with its unit.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    pub value: f64,
    pub unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Ms,
    Us,
    Seconds,
    PerSecond(&'static str),
    Bytes,
    /// A share between 0 and 1 (recall).
    Fraction,
}

impl Figure {
    pub fn new(value: f64, unit: Unit) -> Self {
        Self { value, unit }
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.value;
        match self.unit {
            Unit::Ms if v < 10.0 => write!(f, "{v:.2} ms"),
            Unit::Ms => write!(f, "{v:.1} ms"),
            Unit::Us if v < 10.0 => write!(f, "{v:.2} µs"),
            Unit::Us => write!(f, "{v:.0} µs"),
            Unit::Seconds => write!(f, "{v:.2} s"),
            Unit::PerSecond(what) => write!(f, "{v:.0} {what}/s"),
            Unit::Bytes => write!(f, "{:.0} MB", v / 1_000_000.0),
            Unit::Fraction => write!(f, "{v:.3}"),
        }
    }
}

/// What the issue asks of a figure.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    None,
    /// The value is at most this (in the figure's unit; bytes for RSS).
    AtMost(f64),
    /// The value is at least this.
    AtLeast(f64),
    /// value / baseline is at most this.
    RatioAtMost(f64),
    /// value / baseline is at least this.
    RatioAtLeast(f64),
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub measure: String,
    pub value: Figure,
    pub baseline_name: String,
    pub baseline: Option<Figure>,
    pub target: Target,
}

impl Row {
    pub fn new(
        measure: impl Into<String>,
        value: Figure,
        baseline_name: impl Into<String>,
        baseline: Option<Figure>,
        target: Target,
    ) -> Self {
        Self {
            measure: measure.into(),
            value,
            baseline_name: baseline_name.into(),
            baseline,
            target,
        }
    }

    pub fn ratio(&self) -> Option<f64> {
        self.baseline
            .filter(|b| b.value > 0.0)
            .map(|b| self.value.value / b.value)
    }

    fn target_text(&self) -> String {
        let fig = |v| Figure::new(v, self.value.unit).to_string();
        match self.target {
            Target::None => "-".into(),
            Target::AtMost(v) => format!("≤ {}", fig(v)),
            Target::AtLeast(v) => format!("≥ {}", fig(v)),
            Target::RatioAtMost(r) => format!("ratio ≤ {r}×"),
            Target::RatioAtLeast(r) => format!("ratio ≥ {r}×"),
        }
    }

    /// Whether the target is met; `None` without a target (or a baseline it needs).
    pub fn met(&self) -> Option<bool> {
        let v = self.value.value;
        match self.target {
            Target::None => None,
            Target::AtMost(t) => Some(v <= t),
            Target::AtLeast(t) => Some(v >= t),
            Target::RatioAtMost(t) => self.ratio().map(|r| r <= t),
            Target::RatioAtLeast(t) => self.ratio().map(|r| r >= t),
        }
    }
}

/// A named group of rows.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: String,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

/// Where and how the run happened.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub date: String,
    pub cpu_model: String,
    pub cores: usize,
    pub profile: String,
    pub commit: String,
    pub command: String,
}

impl RunInfo {
    pub fn collect(command: String) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, m)| m.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let cores = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count()
            .max(std::thread::available_parallelism().map_or(0, |n| n.get()));
        let profile = if cfg!(debug_assertions) {
            "dev".to_string()
        } else {
            "release".to_string()
        };
        Self {
            date: today_utc(),
            cpu_model,
            cores,
            profile,
            commit: git_commit(),
            command,
        }
    }
}

fn git_commit() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "--short", "HEAD"]) {
        Some(c) if run(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty()) => {
            format!("{c} + uncommitted changes")
        }
        Some(c) => c,
        None => "unknown".into(),
    }
}

/// Today's date (UTC) as YYYY-MM-DD, from the civil-from-days algorithm.
fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn ratio_text(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 0.1 {
        format!("{r:.2}×")
    } else {
        format!("{r:.2e}×")
    }
}

/// The whole document.
pub fn render(info: &RunInfo, sections: &[Section], notes: &[String]) -> String {
    let mut out = String::from("# Benchmarks\n\n");
    if info.profile != "release" {
        let _ = writeln!(
            out,
            "> **Dev profile: these figures are NOT representative.** The dev profile keeps \
             debug assertions and overflow checks (several times slower for the model). \
             Run `bash scripts/bench.sh` (release) for real numbers.\n"
        );
    }
    let _ = writeln!(out, "- Date: {}", info.date);
    let _ = writeln!(out, "- Machine: {} cores, {}", info.cores, info.cpu_model);
    let _ = writeln!(out, "- Build profile: {}", info.profile);
    let _ = writeln!(out, "- Commit: {}", info.commit);
    let _ = writeln!(out, "- Command: `{}`", info.command);
    out.push_str(
        "\nEvery figure is measured in this run next to its baseline; ratio = figure / \
         baseline. Targets are those of issue 7.\n",
    );
    for section in sections {
        let _ = writeln!(out, "\n## {}\n", section.title);
        out.push_str("| measure | figure | baseline | baseline figure | ratio | target | met |\n");
        out.push_str("|---|---:|---|---:|---:|---|---|\n");
        for row in &section.rows {
            let baseline = row.baseline.map_or("-".to_string(), |b| b.to_string());
            let ratio = row.ratio().map_or("-".to_string(), ratio_text);
            let met = match row.met() {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "-",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.measure,
                row.value,
                row.baseline_name,
                baseline,
                ratio,
                row.target_text(),
                met
            );
        }
        for note in &section.notes {
            let _ = writeln!(out, "\n{note}");
        }
    }
    if !notes.is_empty() {
        out.push_str("\n## Notes\n\n");
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_and_target() {
        let row = Row::new(
            "x",
            Figure::new(12.0, Unit::Seconds),
            "y",
            Some(Figure::new(10.0, Unit::Seconds)),
            Target::RatioAtMost(1.15),
        );
        assert!((row.ratio().unwrap() - 1.2).abs() < 1e-9);
        assert_eq!(row.met(), Some(false));
        assert_eq!(today_utc().len(), 10);
    }
}
