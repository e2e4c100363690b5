"""Check annotation files: python check_annotations.py PASS bNN [bNN ...]"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
LABELS = {"coercive", "paternalistic", "trauma_unaware", "stigmatizing", "strengths_based"}
SUBTYPES = {"threat", "leverage", "restrictive_practice"}


def check(pas: str, b: str) -> int:
    tasks = {}
    for l in (RAW / "to_annotate" / f"{b}.jsonl").read_text().splitlines():
        t = json.loads(l)
        tasks[t["id"]] = t
    problems, counts = [], Counter()
    path = RAW / "annotations" / pas / f"{b}.jsonl"
    seen = set()
    for ln, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            note = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"line {ln}: not JSON: {e}")
            continue
        t = tasks.get(note.get("id"))
        if t is None:
            problems.append(f"line {ln}: unknown id {note.get('id')}")
            continue
        seen.add(t["id"])
        idx = [u.get("i") for u in note.get("units", [])]
        if idx != list(range(len(t["units"]))):
            problems.append(f"{t['id']}: units must be i=0..{len(t['units']) - 1} in order, got {len(idx)}")
            continue
        for u in note["units"]:
            text = t["units"][u["i"]]["text"]
            labels = u.get("labels") or []
            if set(labels) - LABELS:
                problems.append(f"{t['id']} {u['i']}: unknown label {set(labels) - LABELS}")
            st = u.get("subtype")
            if ("coercive" in labels) != (st in SUBTYPES):
                problems.append(f"{t['id']} {u['i']}: subtype must be set iff coercive")
            for c in u.get("cues") or []:
                if c.get("label") not in labels or c.get("text", "") not in text:
                    problems.append(f"{t['id']} {u['i']}: bad cue {c!r}")
            for l in labels:
                if not any(c.get("label") == l for c in u.get("cues") or []):
                    problems.append(f"{t['id']} {u['i']}: no cue for {l}")
                counts[l] += 1
            if st:
                counts[st] += 1
            counts["units"] += 1
            if not labels:
                counts["neutral"] += 1
    if set(tasks) - seen:
        problems.append(f"missing notes: {sorted(set(tasks) - seen)}")
    print(f"{pas}/{b}: {dict(counts)}")
    for p in problems[:40]:
        print("  -", p)
    print("OK" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(max(check(sys.argv[1], b) for b in sys.argv[2:]))
