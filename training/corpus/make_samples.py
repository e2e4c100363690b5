"""Bundle sample inputs for `make run`, the README and the web demo from the test split.

    python training/corpus/make_samples.py

samples/sample_notes.csv (all test-split notes: id, team, setting, kind, date, text) and
samples/predict_input.jsonl (20 notes as {"id", "text"}). Test notes are used because the
shipped model never saw them, so the demo shows what the model does on unseen notes.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from notelens.corpus import read_corpus

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    notes = [n for n in read_corpus(ROOT / "training/data/corpus.jsonl") if n.split == "test"]
    out = ROOT / "samples"
    out.mkdir(exist_ok=True)
    with (out / "sample_notes.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "team", "setting", "kind", "date", "text"])
        for n in notes:
            w.writerow([n.id, n.team, n.setting, n.kind, n.date, n.text])
    with (out / "predict_input.jsonl").open("w") as f:
        for n in notes[:20]:
            f.write(json.dumps({"id": n.id, "text": n.text}) + "\n")
    print(f"wrote {len(notes)} sample notes")


if __name__ == "__main__":
    main()
