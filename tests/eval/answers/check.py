#!/usr/bin/env python3
"""Consistency checks for the answer evaluation set (standard library only).

Checks that every labelled file exists and parses as its format, that `words` and
`seconds` in ../answers.toml match the files, that splits, tiers, formats and ranks
are as documented, that the planted defects and the `must_not_flag` lists agree with
simple measurements of the texts (STAR shares from the [S]/[T]/[A]/[R] markers in
generate.py, pronoun counts in the Action part, fillers, hedges, quantities in the
Result, pace and pauses), and that no 12-word sequence of an answer appears in the
reference texts listed in REFERENCE_DIRS (skipped when a directory is absent).

The measurements here are the set's own reading of the definitions in README.md, not
starcoach's implementation. Usage: python3 check.py [--table]
"""

import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVAL = HERE.parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True
import generate  # noqa: E402

REFERENCE_DIRS = [Path("/work/shared/samples"), EVAL.parent.parent / "corpus"]

TIERS = ["strong", "good", "mediocre", "weak", "off_topic"]
FORMATS = ["plain", "vtt", "srt", "whisper", "whisper_words"]
DEFECTS = ["off_topic", "missing_result", "unquantified_result", "situation_heavy",
           "thin_action", "no_task", "we_heavy", "filler_heavy", "hedge_heavy",
           "too_long", "too_short", "rushed_pace", "slow_pace", "long_pauses"]
BASE_CHECKS = ["off_topic", "missing_result", "unquantified_result", "we_heavy",
               "filler_heavy", "situation_heavy", "too_long", "too_short"]
TIMED_CHECKS = ["rushed_pace", "slow_pace", "long_pauses"]
TIMED = {"vtt", "srt", "whisper", "whisper_words"}

errors = []


def err(msg):
    errors.append(msg)


# ------------------------------------------------------------------ parsing

TIMING = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([.,])(\d{3}) --> (\d{2}):(\d{2}):(\d{2})([.,])(\d{3})$")


def clock(h, m, s, ms):
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_cues(text, fmt, name):
    """[(start, end, text)] of a vtt or srt file."""
    lines = text.split("\n")
    if fmt == "vtt":
        if lines[0] != "WEBVTT" or lines[1] != "":
            err(f"{name}: no WEBVTT header")
        blocks = "\n".join(lines[2:]).strip().split("\n\n")
    else:
        blocks = text.strip().split("\n\n")
    cues = []
    for k, block in enumerate(blocks, 1):
        bl = block.split("\n")
        if fmt == "srt":
            if bl[0] != str(k):
                err(f"{name}: cue {k} numbered {bl[0]!r}")
            bl = bl[1:]
        m = TIMING.match(bl[0])
        if not m:
            err(f"{name}: bad timing line {bl[0]!r}")
            continue
        sep = "." if fmt == "vtt" else ","
        if m.group(4) != sep or m.group(9) != sep:
            err(f"{name}: wrong millisecond separator in {bl[0]!r}")
        g = m.groups()
        start, end = clock(*g[0:3], g[4]), clock(*g[5:8], g[9])
        if not 1 <= len(bl) - 1 <= 2:
            err(f"{name}: cue {k} has {len(bl) - 1} text lines")
        cues.append((start, end, " ".join(bl[1:])))
    return cues


def read_answer(entry):
    """(answer text, [(start, end)] pieces for pauses, seconds or None)."""
    path = EVAL / entry["file"]
    name = entry["file"]
    if not path.exists():
        err(f"{name}: missing")
        return "", [], None
    raw = path.read_text(encoding="utf-8")
    fmt = entry["format"]
    if fmt == "plain":
        if raw.startswith("Interviewer:"):
            q, _, rest = raw.partition("\n\nCandidate: ")
            if q != "Interviewer: " + entry["question"]:
                err(f"{name}: question in file differs from the label")
            raw = rest
        return raw, [], None
    if fmt in ("vtt", "srt"):
        cues = parse_cues(raw, fmt, name)
        pieces = [(s, e) for s, e, _ in cues]
        text = " ".join(t for _, _, t in cues)
    else:
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as e:
            err(f"{name}: invalid JSON: {e}")
            return "", [], None
        segs = doc["segments"]
        if doc.get("language") != "en":
            err(f"{name}: language is not en")
        if doc["text"] != "".join(s["text"] for s in segs):
            err(f"{name}: text differs from the joined segments")
        for i, s in enumerate(segs):
            if s["id"] != i or not s["text"].startswith(" "):
                err(f"{name}: segment {i} id/text")
        if fmt == "whisper_words":
            pieces = []
            for s in segs:
                ws = s.get("words")
                if not ws:
                    err(f"{name}: segment {s['id']} has no words")
                    continue
                if " ".join(w["word"].strip() for w in ws) != s["text"].strip():
                    err(f"{name}: segment {s['id']} words differ from its text")
                for w in ws:
                    if not w["word"].startswith(" ") or not s["start"] - 1e-6 <= w["start"] <= w["end"] <= s["end"] + 1e-6:
                        err(f"{name}: bad word {w}")
                    pieces.append((w["start"], w["end"]))
        else:
            if any("words" in s for s in segs):
                err(f"{name}: whisper (no word timings) has words")
            pieces = [(s["start"], s["end"]) for s in segs]
        cues = [(s["start"], s["end"], s["text"]) for s in segs]
        text = doc["text"]
    for i, (s, e, _) in enumerate(cues):
        if not 4.0 <= e - s <= 10.0:
            err(f"{name}: cue {i} lasts {e - s:.2f} s")
        if i and s < cues[i - 1][1] - 1e-6:
            err(f"{name}: cue {i} overlaps the previous one")
    seconds = round(cues[-1][1] - cues[0][0], 3)
    return text, pieces, seconds


# ------------------------------------------------------------ measurements

FILLER_WORDS = {"um", "uh", "er", "erm", "basically", "actually"}
LIKE_FILLER_AFTER = {"was", "is", "were", "are", "and", "but", "or", "just", "had", "it's", "so", "um", "uh", "took"}
NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                "hundred thousand million dozen half halved twice double doubled triple tripled third thirds "
                "quarter fifth fifths none zero single").split()
QUANTITY = re.compile(r"\d|%|\$|\b(" + "|".join(NUMBER_WORDS) + r")\b|\bnot one\b|\bnobody\b", re.I)
RESULT_CUES = re.compile(r"\b(as a result|in the end|the result|outcome|ultimately|finally|results?)\b", re.I)


def toks(text):
    return [w.strip(".,;:!?\"'").lower() for w in text.split()]


def count_fillers(text):
    words = text.split()
    low = toks(text)
    n = 0
    for i, w in enumerate(low):
        prev = low[i - 1] if i else ""
        prev_raw = words[i - 1] if i else "."
        nxt = low[i + 1] if i + 1 < len(low) else ""
        if w in FILLER_WORDS:
            n += 1
        elif w == "like":
            if prev_raw[-1] in ",.?!" or prev in LIKE_FILLER_AFTER or nxt in NUMBER_WORDS:
                n += 1
        elif w == "you" and nxt == "know" and prev not in {"do", "if", "did", "don't"}:
            n += 1
        elif w == "i" and nxt == "mean" and prev != "what":
            n += 1
        elif w in {"sort", "kind"} and nxt == "of" and prev not in {"a", "this", "that", "what", "the", "any"}:
            n += 1
    return n


def count_so_openers(text):
    words = text.split()
    return sum(1 for i, w in enumerate(words)
               if w.strip(",").lower() == "so" and (i == 0 or words[i - 1][-1] in ".?!,"))


HEDGES = re.compile(r"\b(i think(?! of| about)|maybe|probably|i guess|perhaps|might have|somewhat|"
                    r"i believe|it seems|seemed|hopefully)\b", re.I)


def count_hedges(text):
    n = len(HEDGES.findall(text))
    low = toks(text)
    for i, w in enumerate(low):
        if w in {"sort", "kind"} and i + 1 < len(low) and low[i + 1] == "of" and (i == 0 or low[i - 1] not in {"a", "this", "that", "what", "the", "any"}):
            n += 1
    return n


I_WORDS = {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"}
WE_WORDS = {"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll", "let's"}


def pronouns(text):
    c = Counter(toks(text))
    return sum(c[w] for w in I_WORDS), sum(c[w] for w in WE_WORDS)


def pauses(pieces, at_least=2.0):
    return [b[0] - a[1] for a, b in zip(pieces, pieces[1:]) if b[0] - a[1] >= at_least - 1e-9]


def measure(gen, text, pieces, seconds):
    p = generate.parts_of(gen["text"])
    n = {k: len(v.split()) for k, v in p.items()}
    total = sum(n.values())
    m = {
        "words": len(text.split()),
        "st_share": (n["S"] + n["T"]) / total,
        "a_share": n["A"] / total,
        "r_share": n["R"] / total,
        "has_task": n["T"] > 0,
        "has_result": n["R"] > 0,
        "fillers": count_fillers(text),
        "so_openers": count_so_openers(text),
        "hedges": count_hedges(text),
        "result_quantity": bool(QUANTITY.search(p["R"])),
        "result_digits": bool(re.search(r"\d", p["R"])),
        "result_cue": bool(RESULT_CUES.search(p["R"])),
        "result_sentences": len(re.findall(r"[.!?](\s|$)", p["R"])),
        "like_total": len(re.findall(r"\blike\b", text, re.I)),
    }
    m["i_action"], m["we_action"] = pronouns(p["A"])
    m["i_situation"], m["we_situation"] = pronouns(p["S"])
    m["fillers_100"] = 100 * m["fillers"] / m["words"]
    m["fillers_so_100"] = 100 * (m["fillers"] + m["so_openers"]) / m["words"]
    m["hedges_100"] = 100 * m["hedges"] / m["words"]
    if seconds is not None:
        m["seconds"] = seconds
        m["wpm"] = m["words"] / seconds * 60
        ps = pauses(pieces)
        m["pauses"] = len(ps)
        m["max_pause"] = max(ps, default=0.0)
    return m


def has_defect(d, m):
    """True / False when clear, None when borderline (a defect must be True, a
    must-not-flag check False)."""
    timed = "seconds" in m
    if d == "too_long":
        if m["words"] > 420 or (timed and m["seconds"] > 185):
            return True
        return False if m["words"] < 385 and (not timed or m["seconds"] < 172) else None
    if d == "too_short":
        short_time = not timed or m["seconds"] < 90
        if m["words"] < 185 and short_time:
            return True
        return False if m["words"] >= 215 or (timed and m["seconds"] >= 95) else None
    if d == "rushed_pace":
        return True if m["wpm"] >= 195 else (False if m["wpm"] <= 168 else None)
    if d == "slow_pace":
        return True if m["wpm"] <= 102 else (False if m["wpm"] >= 122 else None)
    if d == "long_pauses":
        if m["pauses"] >= 3 or m["max_pause"] >= 5:
            return True
        return False if m["pauses"] == 0 and m["max_pause"] < 2 else None
    if d == "situation_heavy":
        return True if m["st_share"] >= 0.48 else (False if m["st_share"] <= 0.33 else None)
    if d == "thin_action":
        return True if m["a_share"] <= 0.33 else (False if m["a_share"] >= 0.47 else None)
    if d == "we_heavy":
        diff = m["we_action"] - m["i_action"]
        return True if diff >= 4 else (False if m["i_action"] >= 2 * m["we_action"] + 1 else None)
    if d == "filler_heavy":
        if m["fillers_100"] >= 6.5:
            return True
        return False if m["fillers_so_100"] <= 2.5 else None
    if d == "hedge_heavy":
        if m["hedges"] >= 4 and m["hedges_100"] >= 2.5:
            return True
        return False if m["hedges"] <= 1 else None
    if d == "missing_result":
        return not m["has_result"]
    if d == "no_task":
        return not m["has_task"]
    if d == "unquantified_result":
        if not m["has_result"]:
            return None
        return not m["result_quantity"]
    return None  # off_topic: judged by hand


def grams(text, n=12):
    w = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def main():
    labels = tomllib.loads((EVAL / "answers.toml").read_text(encoding="utf-8"))["answer"]
    gens = {a["id"]: a for a in generate.ANSWERS}
    comp_ids = {c["id"]: c for c in tomllib.loads(
        (EVAL.parent.parent / "config" / "competencies.toml").read_text())["competency"]}
    sample_qs = {q.strip().lower() for c in comp_ids.values() for q in c["questions"]}
    ids = [e["id"] for e in labels]
    if len(set(ids)) != len(ids) or set(ids) != set(gens):
        err("ids in answers.toml and generate.py differ or repeat")
    table = []
    texts = {}
    for e in labels:
        g = gens[e["id"]]
        name = e["id"]
        if e["file"] != "answers/" + generate.file_name(g) or e["format"] != g["fmt"]:
            err(f"{name}: file/format differ from generate.py")
        if g.get("question") and g["question"] != e["question"]:
            err(f"{name}: question differs from generate.py")
        if (EVAL / e["file"]).exists() and (EVAL / e["file"]).read_text(encoding="utf-8") != generate.render(g):
            err(f"{name}: file is not what generate.py writes")
        for key in ("competency", "story_competency"):
            if e[key] not in comp_ids:
                err(f"{name}: unknown {key} {e[key]}")
        if e["question"].strip().lower() in sample_qs:
            err(f"{name}: question copied from competencies.toml")
        if e["tier"] not in TIERS or e["split"] not in ("dev", "heldout"):
            err(f"{name}: tier/split")
        if (e["tier"] == "off_topic") != ("off_topic" in e["defects"]) or \
                (e["tier"] == "off_topic") != (e["competency"] != e["story_competency"]):
            err(f"{name}: off_topic tier, defect and competencies disagree")
        text, pieces, seconds = read_answer(e)
        texts[name] = text
        if " ".join(text.split()) != generate.answer_text(g):
            err(f"{name}: answer text in the file differs from generate.py")
        m = measure(g, text, pieces, seconds)
        if m["words"] != e["words"]:
            err(f"{name}: words {e['words']} != {m['words']}")
        timed = e["format"] in TIMED
        if timed:
            if "seconds" not in e or abs(e["seconds"] - seconds) > 0.011:
                err(f"{name}: seconds {e.get('seconds')} != {seconds}")
        elif "seconds" in e:
            err(f"{name}: plain answer has seconds")
        for d in e["defects"]:
            if d not in DEFECTS:
                err(f"{name}: unknown defect {d}")
            elif d in TIMED_CHECKS and not timed:
                err(f"{name}: timing defect on plain")
            elif d != "off_topic" and has_defect(d, m) is not True:
                err(f"{name}: planted {d} not clear in the text")
        checks = BASE_CHECKS + (TIMED_CHECKS if timed else [])
        for d in e["must_not_flag"]:
            if d not in checks:
                err(f"{name}: must_not_flag {d} is not a listed check")
            if d in e["defects"]:
                err(f"{name}: {d} both planted and must_not_flag")
            if d != "off_topic" and has_defect(d, m) is not False:
                err(f"{name}: must_not_flag {d} but the text is not clearly free of it")
        for d in checks:
            if d not in e["defects"] and d not in e["must_not_flag"]:
                if d == "off_topic" or has_defect(d, m) is False:
                    err(f"{name}: {d} clearly absent but missing from must_not_flag")
        for d in DEFECTS:
            if d in TIMED_CHECKS and not timed:
                continue
            if d not in e["defects"] and d != "off_topic" and has_defect(d, m) is True:
                err(f"{name}: {d} is present but not planted")
        if e["tier"] == "strong":
            if e["defects"] or not 230 <= m["words"] <= 380:
                err(f"{name}: strong answer with defects or outside 230-380 words")
            if not (0.18 <= m["st_share"] <= 0.27 and 0.54 <= m["a_share"] <= 0.66 and 0.13 <= m["r_share"] <= 0.22):
                err(f"{name}: strong answer STAR shares off")
        if e["tier"] in ("strong", "good"):
            if len(e["defects"]) > (0 if e["tier"] == "strong" else 1) or not 200 <= m["words"] <= 400:
                err(f"{name}: {e['tier']} answer has too many defects or bad length")
            if timed and not (90 <= seconds <= 180 and 130 <= m["wpm"] <= 160):
                err(f"{name}: {e['tier']} timed answer outside 90-180 s or 130-160 wpm")
        table.append((e, m))

    # splits, formats, ranks
    for split in ("dev", "heldout"):
        rows = [e for e, _ in table if e["split"] == split]
        tiers = Counter(e["tier"] for e in rows)
        fmts = Counter(e["format"] for e in rows)
        for t in TIERS:
            if not tiers[t]:
                err(f"{split}: no {t} answer")
        for f in FORMATS[:4]:
            if fmts[f] < 2:
                err(f"{split}: fewer than 2 {f} answers")
        ranked = sorted(rows, key=lambda e: e["rank"])
        if [e["rank"] for e in ranked] != list(range(1, len(rows) + 1)):
            err(f"{split}: ranks are not 1..{len(rows)}")
        order = [TIERS.index(e["tier"]) for e in ranked]
        if order != sorted(order):
            err(f"{split}: ranks do not respect tier order")

    # originality: 12-word sequences against the reference texts
    ref = set()
    for d in REFERENCE_DIRS:
        if d.is_dir():
            for f in sorted(d.rglob("*")):
                if f.is_file():
                    ref |= grams(f.read_text(encoding="utf-8", errors="replace"))
    for name, text in texts.items():
        hits = grams(text) & ref
        if hits:
            err(f"{name}: shares 12-word sequences with a reference text: {sorted(hits)[:2]}")
    # and between answers
    names = sorted(texts)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if grams(texts[a]) & grams(texts[b]):
                err(f"{a} and {b} share a 12-word sequence")

    if "--table" in sys.argv:
        for e, m in table:
            pace = f"{m['seconds']:6.1f}s {m['wpm']:5.1f}wpm p{m['pauses']}/{m['max_pause']:.1f}" if "seconds" in m else " " * 25
            print(f"{e['id']} {e['split'][:3]} {e['tier']:9} {e['format']:13} w={m['words']:3} {pace} "
                  f"ST={m['st_share']:.2f} A={m['a_share']:.2f} R={m['r_share']:.2f} "
                  f"I/we(A)={m['i_action']}/{m['we_action']} fil={m['fillers_100']:.1f}(+so {m['fillers_so_100']:.1f}) "
                  f"hdg={m['hedges']}/{m['hedges_100']:.1f} Rq={'d' if m['result_digits'] else ('w' if m['result_quantity'] else '-')} "
                  f"Rcue={int(m['result_cue'])} Rsent={m['result_sentences']} like={m['like_total']} "
                  f"{','.join(e['defects'])}")
        print("reference 12-grams:", len(ref))
    tally = lambda key: dict(sorted(Counter((e["split"], e[key]) for e, _ in table).items()))
    print("tiers:", tally("tier"))
    print("formats:", tally("format"))
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for x in errors:
            print(" -", x)
        sys.exit(1)
    print(f"OK: {len(table)} answers")


if __name__ == "__main__":
    main()
