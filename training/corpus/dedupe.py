"""Remove near-duplicate units from the corpus (MiniLM cosine above 0.95).

    python training/corpus/dedupe.py [training/data/corpus.jsonl]

Scope: every labelled unit and every neutral unit of six words or more that is not
templated boilerplate (note headers, medication lists, risk stubs repeat by design in real
notes and are kept; their repetition is reported in the data card). Of each pair above the
threshold the later unit is deleted from its note's text, offsets are shifted, and the note
stays valid. Run after `assemble.py corpus`; idempotent.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from notelens.baselines import embed

ROOT = Path(__file__).resolve().parents[2]
THRESHOLD = 0.95


def in_scope(text: str, unit: dict) -> bool:
    if unit["labels"]:
        return True
    return len(text.split()) >= 6 and "boilerplate" not in unit.get("tags", [])


def drop_units(note: dict, drop: set[int]) -> dict:
    """Delete units (and the whitespace after each) from the note text, shifting offsets."""
    text = note["text"]
    keep_units, pieces, shift, pos = [], [], 0, 0
    for i, u in enumerate(note["units"]):
        if i in drop:
            end = u["end"]
            while end < len(text) and text[end] in " \t":
                end += 1
            if end < len(text) and text[end] == "\n" and (u["start"] == 0 or text[u["start"] - 1] == "\n"):
                end += 1  # the unit was a whole line: drop the line
            pieces.append(text[pos:u["start"]])
            shift += end - u["start"]
            pos = end
            continue
        nu = dict(u, start=u["start"] - shift, end=u["end"] - shift,
                  cues=[dict(c, start=c["start"] - shift, end=c["end"] - shift) for c in u["cues"]])
        keep_units.append(nu)
    pieces.append(text[pos:])
    new_text = "".join(pieces).rstrip()
    return dict(note, text=new_text, units=keep_units)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "training/data/corpus.jsonl"
    notes = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
    keys, texts = [], []
    for ni, n in enumerate(notes):
        for ui, u in enumerate(n["units"]):
            t = n["text"][u["start"]:u["end"]]
            if in_scope(t, u):
                keys.append((ni, ui))
                texts.append(t)
    emb = embed(texts)
    dropped: set[int] = set()
    examples = []
    for s in range(0, len(texts), 1024):
        sim = emb[s:s + 1024] @ emb.T
        for r in range(sim.shape[0]):
            a = s + r
            if a in dropped:
                continue
            for b in np.where(sim[r, a + 1:] > THRESHOLD)[0] + a + 1:
                if b not in dropped:
                    dropped.add(int(b))
                    if len(examples) < 10:
                        examples.append((texts[a], texts[int(b)], round(float(sim[r, b]), 3)))
    by_note: dict[int, set[int]] = {}
    for k in dropped:
        ni, ui = keys[k]
        by_note.setdefault(ni, set()).add(ui)
    notes = [drop_units(n, by_note.get(i, set())) for i, n in enumerate(notes)]
    path.write_text("".join(json.dumps(n, ensure_ascii=False) + "\n" for n in notes))
    report = {"threshold": THRESHOLD, "units_in_scope": len(texts), "units_removed": len(dropped),
              "notes_touched": len(by_note), "examples": examples}
    (ROOT / "training/data/dedupe.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "examples"}))
    for e in examples[:5]:
        print("  ", e)


if __name__ == "__main__":
    main()
