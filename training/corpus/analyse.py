"""Corpus measurements for the data card: composition, near-duplicates, how much a keyword
list can do, and how well the segmenter reproduces the annotated units.

    python training/corpus/analyse.py [training/data/corpus.jsonl]

Writes training/data/stats.json and prints a Markdown summary.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from notelens.classifiers.cue_baseline import CuePhraseBaseline
from notelens.corpus import read_corpus
from notelens.labels import LABELS, SUBTYPES
from notelens.segment import segment

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))


def composition(notes) -> dict:
    units = [(n, u) for n in notes for u in n.units]
    c = {"notes": len(notes), "units": len(units),
         "neutral_share": round(sum(1 for _, u in units if not u.labels) / len(units), 4),
         "labels": {l: sum(1 for _, u in units if l in u.labels) for l in LABELS},
         "subtypes": {s: sum(1 for _, u in units if u.subtype == s) for s in SUBTYPES},
         "multi_label_units": sum(1 for _, u in units if len(u.labels) > 1),
         "settings": dict(Counter(n.setting for n in notes)), "kinds": dict(Counter(n.kind for n in notes)),
         "splits": {s: {"notes": sum(1 for n in notes if n.split == s),
                        "units": sum(len(n.units) for n in notes if n.split == s)} for s in ("train", "dev", "test")},
         "units_per_note": {"median": float(np.median([len(n.units) for n in notes])),
                            "min": min(len(n.units) for n in notes), "max": max(len(n.units) for n in notes)},
         "tags": dict(Counter(t for _, u in units for t in u.tags))}
    c["labels_by_setting"] = {s: {l: sum(1 for n in notes if n.setting == s for u in n.units if l in u.labels)
                                  for l in LABELS} for s in sorted(c["settings"])}
    return c


def near_duplicates(notes, threshold: float = 0.95) -> dict:
    from notelens.baselines import embed

    from dedupe import in_scope

    texts, scope = [], []
    for n in notes:
        for u in n.units:
            texts.append(n.unit_text(u))
            scope.append(in_scope(texts[-1], {"labels": u.labels, "tags": u.tags}))
    emb = embed(texts)
    content = np.array(scope)
    out = {"threshold": threshold, "content_scope": "labelled units, and neutral units of 6+ words not tagged "
                                                     "boilerplate (the scope of dedupe.py)"}
    for name, mask in (("content_units", content), ("all_units", np.ones(len(texts), bool))):
        idx = np.where(mask)[0]
        e = emb[idx]
        best = np.full(len(idx), -1.0, dtype=np.float32)
        pairs = []
        for s in range(0, len(idx), 1024):
            sim = e[s:s + 1024] @ e.T
            for r in range(sim.shape[0]):
                sim[r, s + r] = -1.0
            best[s:s + 1024] = sim.max(1)
            for r, c in zip(*np.where(sim > threshold)):
                a, b = idx[s + r], idx[c]
                if a < b:
                    pairs.append((int(a), int(b), float(sim[r, c])))
        out[name] = {"units": int(len(idx)),
                     "max_cosine_percentiles": {p: round(float(np.percentile(best, p)), 3) for p in (50, 90, 99, 100)},
                     "histogram": {"below 0.50": int((best < 0.5).sum()),
                                   **{f"{lo:.2f}-{lo + 0.05:.2f}": int(((best >= lo) & (best < lo + 0.05)).sum())
                                      for lo in np.arange(0.5, 1.0, 0.05)}},
                     "pairs_above_threshold": len(pairs),
                     "examples": [[texts[a], texts[b], round(s, 3)] for a, b, s in pairs[:15]]}
    return out


def keyword_ceiling(notes) -> dict:
    """Cue-phrase baseline recall/precision on the whole corpus and on the paraphrase slice."""
    clf = CuePhraseBaseline()
    texts, gold, para = [], [], []
    for n in notes:
        for u in n.units:
            texts.append(n.unit_text(u))
            gold.append(set(u.labels))
            para.append("paraphrase" in u.tags)
    preds = [set(p.labels) for p in clf.predict(texts)]
    res = {}
    for name, mask in (("all", [True] * len(texts)), ("paraphrase", para)):
        per = {}
        for l in LABELS:
            tp = sum(1 for g, p, m in zip(gold, preds, mask) if m and l in g and l in p)
            pos = sum(1 for g, m in zip(gold, mask) if m and l in g)
            flagged = sum(1 for p, m in zip(preds, mask) if m and l in p)
            per[l] = {"recall": round(tp / max(1, pos), 3), "precision": round(tp / max(1, flagged), 3),
                      "positives": pos}
        tp = sum(len(g & p) for g, p, m in zip(gold, preds, mask) if m)
        pos = sum(len(g) for g, m in zip(gold, mask) if m)
        res[name] = {"micro_recall": round(tp / max(1, pos), 3), "per_label": per}
    return res


def segmenter_agreement(notes) -> dict:
    """Exact unit-boundary F1 of each segmentation method against the annotated units."""
    out = {}
    for method in ("rules", "spacy"):
        tp = n_pred = n_gold = 0
        for n in notes:
            gold = {(u.start, u.end) for u in n.units}
            pred = {(u.start, u.end) for u in segment(n.text, method=method)}
            tp += len(gold & pred)
            n_pred += len(pred)
            n_gold += len(gold)
        p, r = tp / max(1, n_pred), tp / max(1, n_gold)
        out[method] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(1e-9, p + r), 4)}
    return out


def _table(rows: dict, cols: list[str]) -> list[str]:
    out = ["| | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for k, v in rows.items():
        out.append(f"| {k} | " + " | ".join(str(v.get(c, "")) for c in cols) + " |")
    return out


def render_markdown(stats: dict) -> str:
    c = stats["composition"]
    lines = ["# Corpus statistics", "", "Generated by `python training/corpus/analyse.py`; numbers for the data card.", "",
             f"- Notes: {c['notes']}; units: {c['units']}; neutral units: {100 * c['neutral_share']:.1f}%; "
             f"multi-label units: {c['multi_label_units']}; units per note: median {c['units_per_note']['median']:.0f} "
             f"(min {c['units_per_note']['min']}, max {c['units_per_note']['max']})", "",
             "## Labels", "", "| label | units |", "|---|---|"]
    lines += [f"| {l} | {n} |" for l, n in c["labels"].items()]
    lines += ["", "| coercive subtype | units |", "|---|---|"] + [f"| {s} | {n} |" for s, n in c["subtypes"].items()]
    lines += ["", "## Splits (by note, stratified by setting)", ""]
    lines += _table(c["splits"], ["notes", "units"])
    lines += ["", "## Labelled units by setting", ""] + _table(c["labels_by_setting"], list(LABELS))
    lines += ["", "## Notes by setting and kind", "", "| setting | notes |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(c["settings"].items())]
    lines += ["", "| kind | notes |", "|---|---|"] + [f"| {k} | {v} |" for k, v in sorted(c["kinds"].items())]
    lines += ["", "## Slice tags (writer-assigned)", "", "| tag | units |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(c["tags"].items(), key=lambda x: -x[1])]
    kb = stats["keyword_baseline"]
    lines += ["", "## How much a keyword list can do (cue-phrase baseline)", "",
              f"Micro recall on all labelled units: {kb['all']['micro_recall']}; on the paraphrase slice: "
              f"{kb['paraphrase']['micro_recall']}.", "", "| label | recall (all) | precision (all) | recall (paraphrase) |",
              "|---|---|---|---|"]
    for l in LABELS:
        a, p = kb["all"]["per_label"][l], kb["paraphrase"]["per_label"][l]
        lines.append(f"| {l} | {a['recall']} | {a['precision']} | {p['recall']} |")
    sg = stats["segmenter"]
    lines += ["", "## Segmenter against the annotated units (exact boundaries)", "", "| method | precision | recall | F1 |",
              "|---|---|---|---|"] + [f"| {m} | {v['precision']} | {v['recall']} | {v['f1']} |" for m, v in sg.items()]
    nd = stats["near_duplicates"]
    lines += ["", f"## Near-duplicates (MiniLM cosine, threshold {nd['threshold']})", ""]
    for k in ("content_units", "all_units"):
        v = nd[k]
        lines += [f"**{k}** ({v['units']} units): each unit's highest cosine to any other unit, percentiles "
                  f"{v['max_cosine_percentiles']}; pairs above threshold: {v['pairs_above_threshold']}.", "",
                  "| max cosine | units |", "|---|---|"] + [f"| {b} | {n} |" for b, n in v["histogram"].items()] + [""]
    return "\n".join(lines) + "\n"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "training/data/corpus.jsonl"
    notes = read_corpus(path)
    stats = {"composition": composition(notes), "keyword_baseline": keyword_ceiling(notes),
             "segmenter": segmenter_agreement(notes), "near_duplicates": near_duplicates(notes)}
    agreement = ROOT / "training/data/agreement/agreement.json"
    if agreement.exists():
        stats["agreement"] = json.loads(agreement.read_text())
        stats["agreement"].pop("disagreements", None)
    out = ROOT / "training/data/stats.json"
    out.write_text(json.dumps(stats, indent=2) + "\n")
    (ROOT / "training/data/stats.md").write_text(render_markdown(stats))
    print(json.dumps({k: v for k, v in stats.items() if k != "near_duplicates"}, indent=1)[:6000])
    nd = stats["near_duplicates"]
    for k in ("content_units", "all_units"):
        print(k, nd[k]["units"], nd[k]["max_cosine_percentiles"], "pairs>", nd[k]["pairs_above_threshold"])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
