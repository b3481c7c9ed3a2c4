#!/usr/bin/env python3
"""The Python peer of `starcoach-bench`: sentence-transformers with the same model on the
same sentences, batch and one at a time. Run by scripts/bench.sh:

    python3 scripts/bench_peer.py SENTENCES.json OUT.json [--threads N]

SENTENCES.json is written by `starcoach-bench --emit-sentences`: {"sentences": [...],
"single": N, "batch_size": B}. OUT.json gets batch_sentences_per_s (best of 3, the whole
list in one encode call with batch_size B) and single_sentences_per_s (the first N, one
encode call each), plus versions. Uses the venv of scripts/reference_vectors.py
($STARCOACH_CACHE/venv-st), creating it on first use.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_vectors as rv  # noqa: E402  (venv location, pinned versions, model loading)


def ensure_venv() -> None:
    """Re-execute inside rv.VENV, installing it as reference_vectors.py does if needed."""
    if Path(sys.prefix).resolve() == rv.VENV.resolve():
        return
    marker = rv.VENV / ".starcoach-installed"
    wanted = "\n".join(rv.REQUIREMENTS)
    if not (marker.exists() and marker.read_text() == wanted):
        print(f"bench_peer: setting up {rv.VENV} (first run downloads torch, a few GB)", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=False).create(rv.VENV)
        pip = [str(rv.VENV_PY), "-m", "pip", "install", "--disable-pip-version-check"]
        subprocess.run(pip + ["--quiet", "uv"], check=True)
        subprocess.run(
            [str(rv.VENV / "bin" / "uv"), "pip", "install", "--python", str(rv.VENV_PY), *rv.REQUIREMENTS],
            check=True,
        )
        marker.write_text(wanted)
    os.execv(str(rv.VENV_PY), [str(rv.VENV_PY), str(Path(__file__).resolve()), *sys.argv[1:]])


def load_gemma(model_dir: Path, threads: int | None):
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    if threads:
        torch.set_num_threads(threads)
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    model.max_seq_length = rv.GEMMA_MAX_TOKENS
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sentences")
    ap.add_argument("out")
    folder = "embeddinggemma-300m" if os.environ.get("STARCOACH__EMBEDDING__MODEL") == "embeddinggemma" else "all-MiniLM-L6-v2"
    default_dir = os.environ.get("STARCOACH__EMBEDDING__MODEL_DIR") or str(rv.CACHE / "models" / folder)
    ap.add_argument("--model-dir", default=default_dir)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args()
    ensure_venv()
    model_dir = Path(args.model_dir)
    # EmbeddingGemma (its two dense layers in 2_Dense/): stored texts with the document
    # prompt, single sentences with the query prompt, as starcoach-bench embeds them.
    gemma = (model_dir / "2_Dense").is_dir()
    if gemma:
        model = load_gemma(model_dir, args.threads)
        batch_kw, single_kw = {"prompt_name": "document"}, {"prompt_name": "query"}
    else:
        model = rv.load_model(model_dir, args.threads)
        batch_kw, single_kw = {}, {}

    import sentence_transformers
    import torch

    spec = json.loads(Path(args.sentences).read_text())
    sentences, single, batch = spec["sentences"], spec["single"], spec["batch_size"]
    model.encode(sentences[:64], batch_size=batch, **batch_kw)  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        model.encode(sentences, batch_size=batch, **batch_kw)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    for s in sentences[:single]:
        model.encode([s], **single_kw)
    single_s = time.perf_counter() - t0
    result = {
        "sentences": len(sentences),
        "single": single,
        "batch_size": batch,
        "batch_sentences_per_s": len(sentences) / best,
        "single_sentences_per_s": single / single_s,
        "model": "google/embeddinggemma-300m" if gemma else "sentence-transformers/all-MiniLM-L6-v2",
        "torch_threads": torch.get_num_threads(),
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
    }
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(
        f"bench_peer: batch {result['batch_sentences_per_s']:.0f} sentences/s, "
        f"single {result['single_sentences_per_s']:.0f} sentences/s "
        f"({len(sentences)} sentences, torch threads {result['torch_threads']})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
