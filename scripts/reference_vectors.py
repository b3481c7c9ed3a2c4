#!/usr/bin/env python3
"""Reference embeddings from Python sentence-transformers, for the Rust embedder's tests.

Developers run this by hand (not CI) after `bash scripts/setup-model.sh`:

    python3 scripts/reference_vectors.py            # writes tests/fixtures/embedding_reference.json
    python3 scripts/reference_vectors.py --model embeddinggemma
                                                    # writes tests/fixtures/embeddinggemma_reference.json
                                                    # (after `bash scripts/setup-model.sh embeddinggemma`)
    python3 scripts/reference_vectors.py --bench FILE.json [--batch-size 32]
                                                    # times sentence-transformers on a JSON list
                                                    # of sentences (see scripts/bench-embed.sh)

On first use it creates a virtualenv at $STARCOACH_CACHE/venv-st (default
~/.cache/starcoach/venv-st), installs sentence-transformers there (PyPI's torch wheel for
Linux x86_64 pulls in the CUDA libraries: a few GB, once) and re-executes itself inside it.
The model is loaded from the local directory made by setup-model.sh, never from the hub.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("STARCOACH_CACHE") or Path.home() / ".cache" / "starcoach")
VENV = CACHE / "venv-st"
VENV_PY = VENV / "bin" / "python"
# Pinned so that the reference does not drift silently with new releases.
REQUIREMENTS = ["sentence-transformers==6.2.0", "torch==2.15.0"]
DEFAULT_OUT = REPO / "tests" / "fixtures" / "embedding_reference.json"
GEMMA_OUT = REPO / "tests" / "fixtures" / "embeddinggemma_reference.json"
GEMMA_ID = "google/embeddinggemma-300m"
# starcoach embeds at most this many tokens with EmbeddingGemma (its sliding-window
# layers see the whole text below 512 tokens); the reference is made with the same cap.
GEMMA_MAX_TOKENS = 512

LONG_TEXT = (
    "Situation: in my second year on the payments team our nightly settlement job began "
    "failing about once a week, and each failure meant that merchants were paid a day late, "
    "support tickets piled up and finance had to reconcile thousands of transactions by hand. "
    "Task: as the most senior engineer on call I was asked to make the job reliable within one "
    "quarter without pausing the feature roadmap that two product managers depended on. "
    "Action: I started by reading six months of incident reports and job logs, and found that "
    "almost every failure came from a single upstream bank file arriving late or truncated. "
    "I wrote a short design document proposing idempotent, resumable batches, a checksum on "
    "every incoming file and an alert that paged us before merchants noticed anything. I "
    "reviewed it with the bank integration team, negotiated a retry window with their "
    "operations group, split the work into small pull requests that could ship behind a flag, "
    "and paired with a junior engineer so that the knowledge would not stay with me alone. "
    "Result: over the next three months the job failed only once, recovered automatically in "
    "eleven minutes, late payouts dropped to zero, the manual reconciliation work disappeared, "
    "and the junior engineer now owns the pipeline and presented it at our engineering all-hands. "
    "Looking back, the biggest lesson was that reading the boring logs first saved weeks of "
    "guessing, and that writing the plan down made it easy for other teams to say yes."
)

SENTENCES = [
    "Tell me about a time you disagreed with your manager.",
    "I led the migration of our billing service to Kubernetes and cut deploy time from 40 minutes to 6.",
    "When a key customer threatened to churn, I set up weekly calls, fixed their top three bugs, and they renewed for two years.",
    "Describe a situation where you had to deliver bad news to a stakeholder.",
    "Our team missed the launch date by two weeks; I owned the mistake, re-planned the scope and shipped a smaller MVP.",
    "Naïve résumé café: what's your GREATEST weakness?!",
    LONG_TEXT,
    "我带领团队在三个月内完成了系统迁移，客户满意度提高了百分之二十。",
    "Hi",
    "",
    "Conflict resolution, mentoring juniors & cross-team collaboration (2019-2023) 🚀",
]


def ensure_venv() -> None:
    """Create the venv and install sentence-transformers unless already done; re-exec inside it."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    marker = VENV / ".starcoach-installed"
    wanted = "\n".join(REQUIREMENTS)
    if not (marker.exists() and marker.read_text() == wanted):
        print(f"reference_vectors: setting up {VENV} (first run downloads torch, a few GB)", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
        pip = [str(VENV_PY), "-m", "pip", "install", "--disable-pip-version-check"]
        # uv resolves and installs the large torch/CUDA wheel set several times faster than pip.
        subprocess.run(pip + ["--quiet", "uv"], check=True)
        subprocess.run(
            [str(VENV / "bin" / "uv"), "pip", "install", "--python", str(VENV_PY), *REQUIREMENTS],
            check=True,
        )
        marker.write_text(wanted)
    os.execv(str(VENV_PY), [str(VENV_PY), str(Path(__file__).resolve()), *sys.argv[1:]])


def load_model(model_dir: Path, threads: int | None):
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    if threads:
        torch.set_num_threads(threads)
    if not (model_dir / "model.safetensors").exists():
        sys.exit(f"reference_vectors: no model at {model_dir}; run `bash scripts/setup-model.sh` first")
    if (model_dir / "modules.json").exists():
        model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    else:  # a bare transformers directory: build the all-MiniLM-L6-v2 pipeline by hand
        try:
            from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
        except ImportError:  # sentence-transformers < 6
            from sentence_transformers.models import Normalize, Pooling, Transformer
        model = SentenceTransformer(
            modules=[Transformer(str(model_dir), max_seq_length=256), Pooling(384, "mean"), Normalize()],
            device="cpu",
        )
    assert model.max_seq_length == 256, model.max_seq_length
    return model


def write_reference(model, out: Path) -> None:
    import numpy as np
    import sentence_transformers
    import torch

    vectors = model.encode(SENTENCES, batch_size=32, convert_to_numpy=True, normalize_embeddings=False)
    one_by_one = np.stack([model.encode([s], convert_to_numpy=True)[0] for s in SENTENCES])
    drift = float(np.abs(vectors - one_by_one).max())
    tok = model.tokenizer
    token_counts = [len(tok(s, add_special_tokens=True, truncation=False)["input_ids"]) for s in SENTENCES]
    assert max(token_counts) > 256, "the long sentence must exceed 256 tokens to exercise truncation"
    doc = {
        "model": MODEL_ID,
        "generator": {
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "max_seq_length": model.max_seq_length,
            "batch_vs_single_max_abs_diff": drift,
        },
        "sentences": SENTENCES,
        # Tokens including [CLS]/[SEP], before truncation to max_seq_length.
        "token_counts": token_counts,
        "vectors": [[float(f"{x:.8g}") for x in v] for v in vectors.tolist()],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    # One line per sentence/vector keeps the fixture diff-friendly.
    vectors_json = doc.pop("vectors")
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    rows = ",\n  ".join(json.dumps(v) for v in vectors_json)
    out.write_text(text[:-2] + ',\n "vectors": [\n  ' + rows + "\n ]\n}\n")
    print(f"reference_vectors: wrote {len(SENTENCES)} vectors of dim {vectors.shape[1]} to {out}", file=sys.stderr)
    print(f"reference_vectors: token counts {token_counts}; batch vs single max |diff| {drift:.2e}", file=sys.stderr)


def write_gemma_reference(model_dir: Path, out: Path, threads: int | None) -> None:
    """Query and document vectors (each with its prompt), full and truncated to 256 dims."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import numpy as np
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    if threads:
        torch.set_num_threads(threads)
    if not (model_dir / "model.safetensors").exists():
        sys.exit(f"reference_vectors: no model at {model_dir}; run `bash scripts/setup-model.sh embeddinggemma` first")
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    model.max_seq_length = GEMMA_MAX_TOKENS
    queries = model.encode(SENTENCES, prompt_name="query", batch_size=8, convert_to_numpy=True)
    documents = model.encode(SENTENCES, prompt_name="document", batch_size=8, convert_to_numpy=True)
    short = model.encode(SENTENCES, prompt_name="query", batch_size=8, convert_to_numpy=True, truncate_dim=256)
    tok = model.tokenizer
    prompt = model.prompts["document"]
    token_counts = [len(tok(prompt + s, add_special_tokens=True, truncation=False)["input_ids"]) for s in SENTENCES]
    doc = {
        "model": GEMMA_ID,
        "generator": {
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "max_seq_length": model.max_seq_length,
            "prompts": {"query": model.prompts["query"], "document": prompt},
        },
        "sentences": SENTENCES,
        # Tokens of the document form (prompt + text) including <bos>/<eos>.
        "token_counts": token_counts,
    }
    rows = lambda vs: ",\n  ".join(json.dumps([float(f"{x:.8g}") for x in v]) for v in vs.tolist())
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    out.write_text(
        text[:-2]
        + ',\n "queries": [\n  ' + rows(queries) + "\n ]"
        + ',\n "documents": [\n  ' + rows(documents) + "\n ]"
        + ',\n "queries_256": [\n  ' + rows(short) + "\n ]\n}\n"
    )
    print(f"reference_vectors: wrote {len(SENTENCES)} x 3 vectors to {out}; token counts {token_counts}", file=sys.stderr)


def bench(model, path: Path, batch_size: int) -> None:
    sentences = json.loads(path.read_text())
    model.encode(sentences[:64], batch_size=batch_size)  # warm-up
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        model.encode(sentences, batch_size=batch_size)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    import torch

    print(
        f"python sentence-transformers: {len(sentences)} sentences, best of 3 {best:.2f}s, "
        f"{len(sentences) / best:.0f} sentences/s (batch {batch_size}, torch threads {torch.get_num_threads()})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_dir = os.environ.get("STARCOACH__EMBEDDING__MODEL_DIR") or str(CACHE / "models" / "all-MiniLM-L6-v2")
    ap.add_argument("--model", choices=["minilm", "embeddinggemma"], default="minilm")
    ap.add_argument("--model-dir", default=None, help=f"default: {default_dir} (minilm)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--bench", metavar="SENTENCES_JSON", help="time encoding of these sentences instead")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args()
    ensure_venv()
    if args.model == "embeddinggemma":
        gemma_dir = args.model_dir or str(CACHE / "models" / "embeddinggemma-300m")
        write_gemma_reference(Path(gemma_dir), Path(args.out or GEMMA_OUT), args.threads)
        return
    model = load_model(Path(args.model_dir or default_dir), args.threads)
    if args.bench:
        bench(model, Path(args.bench), args.batch_size)
    else:
        write_reference(model, Path(args.out or DEFAULT_OUT))


if __name__ == "__main__":
    main()
