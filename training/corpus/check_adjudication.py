"""Check an adjudication file: python check_adjudication.py K"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

RAW = Path(__file__).resolve().parents[1] / "data" / "raw" / "adjudication"
LABELS = {"coercive", "paternalistic", "trauma_unaware", "stigmatizing", "strengths_based"}
SUBTYPES = {"threat", "leverage", "restrictive_practice"}


def main(k: str) -> int:
    todo = [json.loads(l) for l in (RAW / f"todo_{k}.jsonl").read_text().splitlines() if l.strip()]
    done = [json.loads(l) for l in (RAW / f"done_{k}.jsonl").read_text().splitlines() if l.strip()]
    problems, counts = [], Counter()
    if [(t["id"], t["i"]) for t in todo] != [(d.get("id"), d.get("i")) for d in done]:
        problems.append(f"done_{k} must have one line per todo line, same (id, i) order ({len(done)} vs {len(todo)})")
    for t, d in zip(todo, done):
        labels = d.get("labels") or []
        if set(labels) - LABELS:
            problems.append(f"{d.get('id')} {d.get('i')}: unknown labels")
        if ("coercive" in labels) != (d.get("subtype") in SUBTYPES):
            problems.append(f"{d.get('id')} {d.get('i')}: subtype must be set iff coercive")
        for l in labels:
            if not any(c.get("label") == l and c.get("text") and c["text"] in t["unit"] for c in d.get("cues") or []):
                problems.append(f"{d.get('id')} {d.get('i')}: needs an exact-substring cue for {l}")
        counts[tuple(sorted(labels))] += 1
    print(f"{len(done)} decisions; problems: {len(problems)}")
    for p in problems[:30]:
        print("  -", p)
    print("OK" if not problems else "FIX")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
