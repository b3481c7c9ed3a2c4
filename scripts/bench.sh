#!/usr/bin/env bash
# Run the benchmarks of issue 7 and write BENCHMARKS.md: embedding throughput against
# Python sentence-transformers (same model, same sentences), ingest against pure
# embedding time, match over HTTP against GET /healthz, transcript analysis against
# splitting into words, peak RSS of serve and ingest. Every figure has its baseline
# from the same run.
#
#   bash scripts/bench.sh                 # release build, full run (several minutes)
#   PROFILE=dev bash scripts/bench.sh --quick --stories 200   # check the harness only
#   bash scripts/bench.sh --large         # also match at 100,000 stories (tens of minutes)
#
# Arguments are passed to `starcoach-bench` (the harness in bench/, see
# `starcoach-bench --help`). OUT sets the
# output file (default BENCHMARKS.md). PROFILE=release (default) or dev; a dev-profile
# table says in its header that it is not representative. The first release build of
# embedded Qdrant takes ~10-20 minutes on 2 cores; the first Python run installs torch.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE="${PROFILE:-release}"
OUT="${OUT:-BENCHMARKS.md}"
case "$PROFILE" in
    release) CARGO_ARGS=(--release); BIN=target/release/starcoach-bench ;;
    dev) CARGO_ARGS=(); BIN=target/debug/starcoach-bench ;;
    *) echo "bench: PROFILE must be release or dev" >&2; exit 2 ;;
esac

# 1. The model (cached) and the build. The tables are MiniLM's (the targets of issue 7)
#    unless STARCOACH__EMBEDDING__MODEL says otherwise.
export STARCOACH__EMBEDDING__MODEL="${STARCOACH__EMBEDDING__MODEL:-minilm}"
bash scripts/setup-model.sh "$STARCOACH__EMBEDDING__MODEL" >/dev/null
# starcoach-bench starts the starcoach binary beside it for the peak-RSS rows.
cargo build --quiet "${CARGO_ARGS[@]}" --workspace --bin starcoach --bin starcoach-bench

WORK="$(mktemp -d "${TMPDIR:-/tmp}/starcoach-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# 2. The Python peer on the sentences the Rust side will embed (run first, alone, so
#    that the two never compete for the cores).
"$BIN" --emit-sentences "$WORK/sentences.json" "$@"
python3 scripts/bench_peer.py "$WORK/sentences.json" "$WORK/peer.json"

# 3. Everything else, and the table.
"$BIN" --peer "$WORK/peer.json" --work-dir "$WORK/run" --out "$OUT" "$@"
echo "bench: wrote $OUT ($PROFILE profile)" >&2
