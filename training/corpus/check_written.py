"""Check one written batch (writer output) against its briefs and print counts.

Usage: python training/corpus/check_written.py training/data/raw/written/b07.jsonl
Exits 1 with a list of problems if the batch is malformed.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

LABELS = {"coercive", "paternalistic", "trauma_unaware", "stigmatizing", "strengths_based"}
SUBTYPES = {"threat", "leverage", "restrictive_practice"}
TAGS = {"negation", "hypothetical", "paraphrase", "shorthand", "hard_negative",
        "reported_speech", "quote", "self_description", "challenge_label", "boilerplate"}
SEPS = {" ", "\n", "\n\n", "  ", "\n\n\n", ""}


def check(path: Path) -> int:
    problems: list[str] = []
    briefs_path = path.parents[1] / "briefs" / path.name
    briefs = {json.loads(l)["id"] for l in briefs_path.read_text().splitlines() if l.strip()}
    seen = set()
    counts: Counter[str] = Counter()
    n_units = 0
    for ln, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            note = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"line {ln}: not JSON ({e})")
            continue
        nid = note.get("id")
        if nid not in briefs:
            problems.append(f"line {ln}: id {nid!r} not in briefs")
        seen.add(nid)
        units = note.get("units") or []
        if len(units) < 3:
            problems.append(f"{nid}: only {len(units)} units")
        for i, u in enumerate(units):
            n_units += 1
            where = f"{nid} unit {i}"
            text = u.get("text", "")
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where}: empty text")
                continue
            if text != text.strip():
                problems.append(f"{where}: text has leading/trailing whitespace")
            if "\n" in text:
                problems.append(f"{where}: newline inside a unit (split it)")
            if u.get("sep", " ") not in SEPS:
                problems.append(f"{where}: sep must be one of {sorted(SEPS)!r}")
            labels = u.get("labels", [])
            bad = set(labels) - LABELS
            if bad:
                problems.append(f"{where}: unknown labels {bad}")
            st = u.get("subtype")
            if "coercive" in labels and st not in SUBTYPES:
                problems.append(f"{where}: coercive needs subtype in {SUBTYPES}")
            if "coercive" not in labels and st is not None:
                problems.append(f"{where}: subtype without coercive")
            cues = u.get("cues", [])
            if labels and not cues:
                problems.append(f"{where}: labelled unit needs at least one cue")
            for c in cues:
                if not isinstance(c, dict) or c.get("text") is None or c.get("label") not in labels:
                    problems.append(f"{where}: cue {c!r} must be {{'text','label'}} with a label of the unit")
                elif c["text"] not in text:
                    problems.append(f"{where}: cue text {c['text']!r} is not an exact substring")
            badtags = set(u.get("tags", [])) - TAGS
            if badtags:
                problems.append(f"{where}: unknown tags {badtags}")
            for lab in labels:
                counts[lab] += 1
            if st:
                counts[st] += 1
            if not labels:
                counts["neutral"] += 1
            for t in u.get("tags", []):
                counts["tag:" + t] += 1
    missing = briefs - seen
    if missing:
        problems.append(f"missing notes: {sorted(missing)}")
    print(f"{path.name}: {len(seen)} notes, {n_units} units")
    for k, v in sorted(counts.items()):
        print(f"  {k}: {v}")
    if problems:
        print(f"{len(problems)} problems:")
        for p in problems[:60]:
            print("  -", p)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(max(check(Path(p)) for p in sys.argv[1:]))
