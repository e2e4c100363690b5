"""Turn written batches into annotation tasks, and annotations into the corpus.

Steps (each reads and writes under training/data/raw/):

    python training/corpus/assemble.py tasks        # written/ -> to_annotate/ (text only, no labels)
    python training/corpus/assemble.py disagreements # written + annotations/A -> adjudication/todo_*.jsonl
    python training/corpus/assemble.py corpus        # A + adjudication -> training/data/corpus.jsonl

The writer's intended labels never reach the annotators: ``to_annotate/`` holds only
note text split into numbered units. Gold labels are the first annotator's (A) where
A and the writer agree, and the adjudicator's decision where they do not.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "training" / "data" / "raw"
SUBTYPES = {"threat", "leverage", "restrictive_practice"}
LABELS = ["coercive", "paternalistic", "trauma_unaware", "stigmatizing", "strengths_based"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]


def write_jsonl(rows, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def batches() -> list[str]:
    return sorted(p.stem for p in (RAW / "written").glob("b*.jsonl"))


def join_units(units: list[dict]) -> tuple[str, list[tuple[int, int]]]:
    """Note text and (start, end) of each unit, from units and their separators."""
    text, spans = "", []
    for k, u in enumerate(units):
        t = u["text"].strip()
        spans.append((len(text), len(text) + len(t)))
        text += t
        if k < len(units) - 1:
            sep = u.get("sep", " ")
            text += sep if sep else " "
    return text, spans


def cue_offsets(unit_text: str, cues: list[dict], base: int, labels: list[str]) -> list[dict]:
    """Exact cue substrings -> absolute offsets; cues not found or off-label are dropped."""
    out = []
    for c in cues or []:
        t = (c.get("text") or "").strip().strip(".,;:")
        if not t or c.get("label") not in labels:
            continue
        i = unit_text.find(t)
        if i < 0:
            i = unit_text.lower().find(t.lower())
        if i >= 0:
            out.append({"start": base + i, "end": base + i + len(t), "label": c["label"]})
    return out


def clean_labels(labels, subtype):
    labels = [l for l in LABELS if l in set(labels or [])]
    subtype = subtype if "coercive" in labels and subtype in SUBTYPES else None
    if "coercive" in labels and subtype is None:
        subtype = "restrictive_practice"  # never happens after the checks; keeps the schema valid
    return labels, subtype


def make_tasks(only: list[str] | None = None) -> None:
    for b in only or batches():
        briefs = {r["id"]: r for r in read_jsonl(RAW / "briefs" / f"{b}.jsonl")}
        tasks = []
        for note in read_jsonl(RAW / "written" / f"{b}.jsonl"):
            brief = briefs[note["id"]]
            text, spans = join_units(note["units"])
            tasks.append({"id": note["id"], "setting": brief["setting"], "kind": brief["kind"], "text": text,
                          "units": [{"i": i, "text": text[s:e]} for i, (s, e) in enumerate(spans)]})
        write_jsonl(tasks, RAW / "to_annotate" / f"{b}.jsonl")
    print(f"wrote annotation tasks for {len(only or batches())} batches")


def load_annotations(who: str) -> dict[tuple[str, int], dict]:
    out = {}
    for p in sorted((RAW / "annotations" / who).glob("b*.jsonl")):
        for note in read_jsonl(p):
            for u in note["units"]:
                labels, subtype = clean_labels(u.get("labels"), u.get("subtype"))
                out[(note["id"], int(u["i"]))] = {"labels": labels, "subtype": subtype, "cues": u.get("cues") or []}
    return out


def load_written() -> dict[str, dict]:
    notes = {}
    for b in batches():
        briefs = {r["id"]: r for r in read_jsonl(RAW / "briefs" / f"{b}.jsonl")}
        for note in read_jsonl(RAW / "written" / f"{b}.jsonl"):
            note["brief"] = briefs[note["id"]]
            note["batch"] = b
            notes[note["id"]] = note
    return notes


def same(a: dict, b: dict) -> bool:
    return a["labels"] == b["labels"] and a["subtype"] == b["subtype"]


def make_disagreements(wave: str = "w1", only: list[str] | None = None, n_files: int = 3) -> None:
    """Units where the writer's intent and annotator A differ, for blind adjudication.

    Files are named todo_<wave>K.jsonl; ``only`` limits the wave to some batches."""
    written, ann = load_written(), load_annotations("A")
    todo = []
    for nid, note in written.items():
        if only and note["batch"] not in only:
            continue
        text, spans = join_units(note["units"])
        for i, u in enumerate(note["units"]):
            a = ann.get((nid, i))
            if a is None:
                continue
            w_labels, w_sub = clean_labels(u.get("labels"), u.get("subtype"))
            w = {"labels": w_labels, "subtype": w_sub}
            if not same(w, a):
                s, e = spans[i]
                prev = text[spans[i - 1][0]:spans[i - 1][1]] if i else ""
                nxt = text[spans[i + 1][0]:spans[i + 1][1]] if i + 1 < len(spans) else ""
                # The two opinions are shown in random-free but neutral order: by label count.
                ops = sorted([w, a], key=lambda o: (len(o["labels"]), o["labels"]))
                todo.append({"id": nid, "i": i, "setting": note["brief"]["setting"], "kind": note["brief"]["kind"],
                             "previous": prev, "unit": text[s:e], "next": nxt,
                             "opinion_1": ops[0], "opinion_2": ops[1]})
    per = (len(todo) + n_files - 1) // n_files
    for k in range(n_files):
        write_jsonl(todo[k * per:(k + 1) * per], RAW / "adjudication" / f"todo_{wave}{k}.jsonl")
    print(f"{len(todo)} disagreements over {len(ann)} annotated units -> {n_files} files")


def assign_splits(notes: list[dict], seed: int = 20261122) -> None:
    """Train/dev/test 70/15/15 by note, stratified by setting (seeded, so stable)."""
    import random

    by_setting: dict[str, list[dict]] = {}
    for n in notes:
        by_setting.setdefault(n["setting"], []).append(n)
    for setting, group in sorted(by_setting.items()):
        group.sort(key=lambda n: n["id"])
        random.Random(f"{seed}-{setting}").shuffle(group)
        k = len(group)
        n_test, n_dev = round(0.15 * k), round(0.15 * k)
        for j, n in enumerate(group):
            n["split"] = "test" if j < n_test else "dev" if j < n_test + n_dev else "train"


def make_corpus(out: Path = ROOT / "training" / "data" / "corpus.jsonl") -> None:
    written, ann = load_written(), load_annotations("A")
    adj = {}
    for p in sorted((RAW / "adjudication").glob("done_*.jsonl")):
        for r in read_jsonl(p):
            labels, subtype = clean_labels(r.get("labels"), r.get("subtype"))
            adj[(r["id"], int(r["i"]))] = {"labels": labels, "subtype": subtype, "cues": r.get("cues") or []}
    notes, missing, stats = [], 0, {"agree": 0, "adjudicated": 0, "writer_only": 0}
    for nid, note in sorted(written.items()):
        text, spans = join_units(note["units"])
        units = []
        for i, u in enumerate(note["units"]):
            s, e = spans[i]
            w_labels, w_sub = clean_labels(u.get("labels"), u.get("subtype"))
            w = {"labels": w_labels, "subtype": w_sub, "cues": u.get("cues") or []}
            a = ann.get((nid, i))
            if a is None:
                gold, stats["writer_only"] = w, stats["writer_only"] + 1
                missing += 1
            elif same(w, a):
                gold, stats["agree"] = a, stats["agree"] + 1
                # Prefer the annotator's cues, fall back to the writer's for labels it lacks.
                have = {c.get("label") for c in a["cues"]}
                gold = dict(a, cues=a["cues"] + [c for c in w["cues"] if c.get("label") not in have])
            elif (nid, i) in adj:
                gold, stats["adjudicated"] = adj[(nid, i)], stats["adjudicated"] + 1
                if not gold["cues"]:
                    gold = dict(gold, cues=[c for c in a["cues"] + w["cues"] if c.get("label") in gold["labels"]])
            else:
                gold, stats["writer_only"] = a, stats["writer_only"] + 1
                missing += 1
            cues = cue_offsets(text[s:e], gold["cues"], s, gold["labels"])
            # A labelled unit with no locatable cue: the whole unit carries the label.
            for l in gold["labels"]:
                if not any(c["label"] == l for c in cues):
                    cues.append({"start": s, "end": e, "label": l})
            units.append({"start": s, "end": e, "labels": gold["labels"], "subtype": gold["subtype"],
                          "cues": cues, "tags": u.get("tags") or []})
        b = note["brief"]
        notes.append({"id": nid, "setting": b["setting"], "kind": b["kind"], "team": b["team"], "date": b["date"],
                      "text": text, "units": units})
    assign_splits(notes)
    write_jsonl(notes, out)
    print(f"wrote {len(notes)} notes to {out}; {stats}; units without a resolved label: {missing}")


def make_agreement_files(out_dir: Path = ROOT / "training" / "data" / "agreement") -> None:
    """Corpus-format files of pass A and pass B over the batches both labelled (for kappa)."""
    written = load_written()
    passes = {who: load_annotations(who) for who in ("A", "B")}
    both = sorted({nid for (nid, _) in passes["B"]} & {nid for (nid, _) in passes["A"]})
    for who, ann in passes.items():
        notes = []
        for nid in both:
            note = written[nid]
            text, spans = join_units(note["units"])
            units = []
            for i, (s, e) in enumerate(spans):
                a = ann.get((nid, i), {"labels": [], "subtype": None, "cues": []})
                units.append({"start": s, "end": e, "labels": a["labels"], "subtype": a["subtype"],
                              "cues": cue_offsets(text[s:e], a["cues"], s, a["labels"])})
            b = note["brief"]
            notes.append({"id": nid, "setting": b["setting"], "kind": b["kind"], "team": b["team"],
                          "date": b["date"], "text": text, "units": units})
        write_jsonl(notes, out_dir / f"pass_{who}.jsonl")
    print(f"wrote pass_A/pass_B over {len(both)} notes to {out_dir}")


if __name__ == "__main__":
    if sys.argv[1] == "disagreements" and len(sys.argv) > 2:
        make_disagreements(sys.argv[2], sys.argv[4:], int(sys.argv[3]))
        sys.exit(0)
    if sys.argv[1] == "tasks" and len(sys.argv) > 2:
        make_tasks(sys.argv[2:])
        sys.exit(0)
    {"tasks": make_tasks, "disagreements": make_disagreements, "corpus": make_corpus,
     "agreement": make_agreement_files}[sys.argv[1]]()
