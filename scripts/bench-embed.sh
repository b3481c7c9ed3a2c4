#!/usr/bin/env bash
# Throughput of the Rust LocalEmbedder vs Python sentence-transformers on the same
# ~500 realistic sentences (20-60 words), on this machine, one after the other.
# Needs `bash scripts/setup-model.sh`; the Python side uses the venv that
# scripts/reference_vectors.py sets up. Prints one line per side; asserts nothing.
#   N=500 BATCH=32 PROFILE=release bash scripts/bench-embed.sh
# PROFILE=release (default) builds the test in release mode (the first build takes a
# while); PROFILE=dev uses the dev profile, whose dependencies keep debug assertions and
# overflow checks, which makes gemm several times slower.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${STARCOACH_CACHE:-$HOME/.cache/starcoach}"
N="${N:-500}"
BATCH="${BATCH:-32}"
PROFILE="${PROFILE:-release}"
case "$PROFILE" in
    release) CARGO_PROFILE_ARGS=(--release) ;;
    dev) CARGO_PROFILE_ARGS=() ;;
    *) echo "PROFILE must be release or dev" >&2; exit 2 ;;
esac
SENTENCES="$CACHE/bench_sentences.json"
mkdir -p "$CACHE"

python3 - "$N" "$SENTENCES" <<'PY'
import json, random, sys

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
openers = [
    "In my last role as a backend engineer", "When our biggest customer escalated a billing outage",
    "During a reorganisation of the platform team", "Two weeks before a major product launch",
    "While mentoring a new graduate on my team", "After a failed database migration",
    "When two senior engineers disagreed about the architecture", "On my first project as a team lead",
]
actions = [
    "I set up a daily stand-up with the stakeholders and wrote down every open risk",
    "I profiled the slow endpoints and rewrote the worst query with a covering index",
    "I proposed a smaller first release and negotiated the scope with product",
    "I paired with the engineer every afternoon and reviewed their pull requests carefully",
    "I wrote a short design document, collected feedback and made a decision within a week",
    "I rolled the change out behind a feature flag and watched the error dashboards",
    "I took ownership of the incident, kept a public timeline and ran the postmortem",
    "I interviewed five users to understand what they actually needed from the report",
]
results = [
    "and latency dropped from 900 milliseconds to 120 milliseconds",
    "and the customer renewed their contract for another two years",
    "and we shipped on time with zero critical bugs in the first month",
    "and the junior engineer now owns that service on their own",
    "and the team adopted the process for every later launch",
    "and support tickets about the feature fell by about forty percent",
]
extras = [
    "which taught me to communicate early and often",
    "although in hindsight I would have involved the security team sooner",
    "and my manager asked me to present the approach at the engineering all-hands",
    "because the previous attempt had failed for lack of clear ownership",
]
sentences = []
while len(sentences) < n:
    parts = [rng.choice(openers) + ",", rng.choice(actions), rng.choice(results)]
    while len(" ".join(parts).split()) < rng.randint(20, 60):
        parts.append(rng.choice(extras + actions))
    words = " ".join(parts).split()[:60]
    if len(words) >= 20:
        sentences.append(" ".join(words).rstrip(",") + ".")
json.dump(sentences, open(out, "w"))
lens = [len(s.split()) for s in sentences]
print(f"bench: {len(sentences)} sentences, {min(lens)}-{max(lens)} words (mean {sum(lens)/len(lens):.0f})")
PY

python3 scripts/reference_vectors.py --bench "$SENTENCES" --batch-size "$BATCH" 2>/dev/null
STARCOACH_BENCH_SENTENCES="$SENTENCES" STARCOACH_BENCH_BATCH="$BATCH" \
    cargo test --quiet "${CARGO_PROFILE_ARGS[@]}" --test embedding_reference -- --ignored --nocapture throughput 2>&1 \
    | grep -E "sentences/s|SKIPPED|panicked|error" | sed "s/\$/ [$PROFILE profile]/" || true
