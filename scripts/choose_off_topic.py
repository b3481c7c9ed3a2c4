#!/usr/bin/env python3
"""Choose the off-topic reading (no LLM) on the dev half of the labelled answers.

Reads the JSON report of `starcoach eval-critique --split dev --json` (no LLM) and the
labels in tests/eval/answers.toml, and tries each candidate reading of relevance that
the report carries for every answer:

  similarity            the question's core against the Action and Result (the rule
                        used until now)
  agreement             Pearson correlation of the question's and the answer's
                        similarities to the competency list
  sim+w*agreement       a weighted sum, w in 0.05, 0.1, 0.2
  similarity|agreement  either one below its own threshold

The rule (written down before any figure was seen): a candidate
must raise no off-topic finding on a dev answer that answers its question; its
threshold lies midway between the lowest value of an answer that answers the question
and the highest off-topic value below it. Among those, the one that names the most dev
off-topic answers wins; a tie goes to fewer parameters, then to the rule used until
now. Held-out answers are refused: they are only reported.

Tried on 2026-12-06 and dropped since: the question's core against the closest single
sentence of the Action and Result (it named 1 of the 6 dev off-topic answers, against
4 for the chosen `similarity|agreement`, and cost one embedding per sentence).

Usage: python3 scripts/choose_off_topic.py DEV_REPORT.json
Standard library only.
"""

import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = (0.05, 0.1, 0.2)


def load(report_path):
    report = json.loads(Path(report_path).read_text())
    if report.get("llm"):
        sys.exit("choose_off_topic: the report was made with an LLM; run without one")
    labels = {a["id"]: a for a in tomllib.loads(
        (ROOT / "tests/eval/answers.toml").read_text())["answer"]}
    rows = []
    for split in report["splits"]:
        for r in split["results"]:
            if labels[r["id"]]["split"] != "dev":
                sys.exit(f"choose_off_topic: {r['id']} is held out; pass a dev-only report")
            if r.get("relevance") is None or r.get("competency_agreement") is None:
                sys.exit(f"choose_off_topic: {r['id']} has no relevance reading")
            rows.append({
                "id": r["id"],
                "off_topic": labels[r["id"]]["tier"] == "off_topic",
                "similarity": r["relevance"],
                "agreement": r["competency_agreement"],
            })
    return rows


def single(rows, name, value):
    """Threshold midway below the lowest on-topic value; off-topic answers named."""
    on = sorted(value(r) for r in rows if not r["off_topic"])
    lowest = on[0]
    below = [value(r) for r in rows if r["off_topic"] and value(r) < lowest]
    threshold = (lowest + max(below)) / 2 if below else None
    return {"name": name, "params": 1 if "+" not in name else 2,
            "threshold": threshold, "named": len(below),
            "named_ids": sorted(r["id"] for r in rows if r["off_topic"] and value(r) < lowest)}


def either(rows):
    a = single(rows, "similarity", lambda r: r["similarity"])
    b = single(rows, "agreement", lambda r: r["agreement"])
    ids = sorted(set(a["named_ids"]) | set(b["named_ids"]))
    return {"name": "similarity|agreement", "params": 2,
            "threshold": (a["threshold"], b["threshold"]), "named": len(ids), "named_ids": ids}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rows = load(sys.argv[1])
    off = sum(r["off_topic"] for r in rows)
    candidates = [
        single(rows, "similarity", lambda r: r["similarity"]),
        single(rows, "agreement", lambda r: r["agreement"]),
    ]
    for w in WEIGHTS:
        candidates.append(single(rows, f"similarity+{w}*agreement",
                                 lambda r, w=w: r["similarity"] + w * r["agreement"]))
    candidates.append(either(rows))
    print(f"dev: {len(rows)} answers, {off} off topic")
    print("id    off  similarity agreement")
    for r in sorted(rows, key=lambda r: (not r["off_topic"], r["similarity"])):
        print(f"{r['id']}  {'yes' if r['off_topic'] else '   '}  {r['similarity']:.3f}      "
              f"{r['agreement']:+.3f}")
    print()
    for c in candidates:
        print(f"{c['name']:28} named {c['named']}/{off} {c['named_ids']} threshold {c['threshold']}")
    order = {c["name"]: i for i, c in enumerate(candidates)}
    best = max(candidates, key=lambda c: (c["named"], -c["params"], -order[c["name"]]))
    print(f"\nchosen: {best['name']} (threshold {best['threshold']})")


if __name__ == "__main__":
    main()
