#!/usr/bin/env python3
"""Choose the overall score's rubric weights on the DEV half of the labelled answers.

    target/debug/starcoach eval-critique --split dev --json > dev.json
    python3 scripts/calibrate_overall.py dev.json

Reads each answer's rubric scores from the report (no LLM, so they are the analysis'
scores), recomputes the overall for every weight combination on a coarse grid (the same
rule as `critique::overall`: weighted mean of the scores present, one decimal, at most
2.0 when off topic) and its rank correlation with the hand ranking.

The choice: among the combinations that keep every strong answer above every weak one
and come within TOLERANCE of the best correlation (on 22 answers, a couple of answers
moving a few places), the one closest to the weights reasoned from what an interviewer
weighs (relevance and impact 2, ownership 1.5, structure and delivery 1), so that the
grid's noise does not pull the weights further than the data ask. Refuses held-out
answers: that half is only reported, never chosen on.
"""

import itertools
import json
import sys

DIMENSIONS = ["relevance", "impact", "ownership", "structure", "delivery"]
PRIOR = {"relevance": 2.0, "impact": 2.0, "ownership": 1.5, "structure": 1.0, "delivery": 1.0}
GRID = [0.5, 1.0, 1.5, 2.0, 3.0]
TOLERANCE = 0.02
OFF_TOPIC_OVERALL = 2.0


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in order[i : j + 1]:
            out[k] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(ra)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return 0.0 if va == 0 or vb == 0 else cov / (va * vb) ** 0.5


def overall(result, weights):
    present = [(result["scores"][d], weights[d]) for d in DIMENSIONS if d in result["scores"]]
    mean = sum(v * w for v, w in present) / sum(w for _, w in present)
    if "off_topic" in result["raised"]:
        mean = min(mean, OFF_TOPIC_OVERALL)
    return round(mean * 10) / 10


def judge(results, weights):
    scores = [overall(r, weights) for r in results]
    goodness = [-r["rank"] for r in results]
    strong = [s for s, r in zip(scores, results) if r["tier"] == "strong"]
    weak = [s for s, r in zip(scores, results) if r["tier"] in ("weak", "off_topic")]
    return spearman(scores, goodness), min(strong) > max(weak)


def main():
    report = json.load(open(sys.argv[1]))
    results = [r for s in report["splits"] for r in s["results"]]
    if any(r["split"] != "dev" for r in results):
        sys.exit("calibrate_overall: only dev answers may be used (run with --split dev)")
    if report.get("llm"):
        sys.exit("calibrate_overall: run without an LLM (the analysis' scores are calibrated)")
    rows = []
    for combo in itertools.product(GRID, repeat=len(DIMENSIONS)):
        weights = dict(zip(DIMENSIONS, combo))
        rho, separated = judge(results, weights)
        distance = sum(abs(weights[d] - PRIOR[d]) for d in DIMENSIONS)
        rows.append((round(rho, 3), separated, -distance, combo))
    rows.sort(reverse=True)
    rho, separated = judge(results, PRIOR)
    print(f"prior {PRIOR}: Spearman {rho:.3f}, strong above weak {separated}")
    print("best on dev (" + ", ".join(DIMENSIONS) + "):")
    for rho, separated, neg_distance, combo in rows[:10]:
        print(f"  {combo}  Spearman {rho:.3f}  strong above weak {separated}  distance {-neg_distance}")
    best = rows[0][0]
    plateau = [r for r in rows if r[1] and r[0] >= best - TOLERANCE]
    rho, _, neg_distance, combo = max(plateau, key=lambda r: (r[2], r[0]))
    print(f"chosen (within {TOLERANCE} of the best, closest to the prior): "
          f"{dict(zip(DIMENSIONS, combo))}  Spearman {rho:.3f}  distance {-neg_distance}")


if __name__ == "__main__":
    main()
