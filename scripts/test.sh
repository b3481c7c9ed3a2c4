#!/usr/bin/env bash
# Run every test with the real components: downloads the embedding model first (cached
# under ${STARCOACH_CACHE:-$HOME/.cache/starcoach}). This is the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-model.sh
cargo fmt --check
cargo test --all-targets "$@"
