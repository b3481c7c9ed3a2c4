//! `starcoach-bench`: speed and memory against baselines measured in the same run,
//! written as a Markdown table (`bash scripts/bench.sh` runs it in full).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use starcoach::config::Settings;
use starcoach_bench::BenchArgs;

#[derive(Parser)]
#[command(
    name = "starcoach-bench",
    version,
    about = "Measure starcoach's speed and memory against baselines from the same run"
)]
struct Cli {
    /// Directory holding default.toml and local.toml (as for `starcoach`).
    #[arg(long, default_value = "config", env = "STARCOACH_CONFIG_DIR")]
    config_dir: PathBuf,
    #[command(flatten)]
    bench: BenchArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    starcoach::telemetry::init("warn");
    let settings = match Settings::load(&cli.config_dir) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    match starcoach_bench::run(settings, &cli.config_dir, cli.bench).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
