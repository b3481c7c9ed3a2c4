#!/usr/bin/env bash
# Set up on a fresh machine and run the main job on the example corpus: download the
# embedding model (cached; EmbeddingGemma-300M asks you to accept the Gemma Terms of Use,
# or set STARCOACH_ACCEPT_GEMMA_TERMS=1; STARCOACH__EMBEDDING__MODEL=minilm takes the fast
# model instead), build, ingest corpus/ into the embedded store, and print the stories that
# fit a sample question. Extra arguments replace the question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-model.sh "${STARCOACH__EMBEDDING__MODEL:-embeddinggemma}"
question="${*:-Tell me about a time you disagreed with your manager}"
cargo build --quiet --bin starcoach
./target/debug/starcoach ingest corpus
echo
./target/debug/starcoach match "$question" --top 3
echo
# Feedback on a recorded answer (deterministic unless [llm] base_url is set).
./target/debug/starcoach critique tests/fixtures/critique/priya_for_manager.vtt
