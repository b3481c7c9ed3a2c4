#!/usr/bin/env bash
# Set up on a fresh machine and run the main job on the example corpus: download the
# embedding model (cached), build, ingest corpus/ into the embedded store, and print the
# stories that fit a sample question. Extra arguments replace the question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-model.sh
question="${*:-Tell me about a time you disagreed with your manager}"
cargo build --quiet --bin starcoach
./target/debug/starcoach ingest corpus
echo
./target/debug/starcoach match "$question" --top 3
echo
# Feedback on a recorded answer (deterministic unless [llm] base_url is set).
./target/debug/starcoach critique tests/fixtures/critique/priya_for_manager.vtt
