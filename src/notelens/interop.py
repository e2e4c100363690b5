"""Convert between the corpus format and annotation tools: Label Studio, doccano, CSV.

Import turns an export into corpus-format notes (segmented with NoteLens's segmenter;
spans become unit labels plus cue spans) and reports every item it could not convert and
why. Export writes Label Studio tasks with the model's predictions as pre-annotations, so
annotators correct rather than start from nothing.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import CorpusCue, CorpusNote, CorpusUnit
from .errors import InputError
from .labels import BY_NAME, LABELS, SUBTYPES
from .segment import segment

FORMATS = ("label-studio", "doccano", "csv")


@dataclass
class ImportReport:
    converted: int = 0
    units: int = 0
    problems: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"converted {self.converted} notes ({self.units} units); {len(self.problems)} item(s) not converted "
                 "or partly converted"]
        lines += [f"  - {p}" for p in self.problems[:100]]
        if len(self.problems) > 100:
            lines.append(f"  ... and {len(self.problems) - 100} more")
        return "\n".join(lines)


def normalise_label(name: str) -> tuple[str | None, str | None]:
    """'Coercive', 'coercive:threat', 'coercive/leverage', 'Trauma-unaware', 'threat' -> (label, subtype)."""
    raw = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    for sep in (":", "/", "."):
        if sep in raw:
            head, tail = raw.split(sep, 1)
            label, _ = normalise_label(head)
            return (label, tail) if label == "coercive" and tail in SUBTYPES else (None, None)
    if raw in SUBTYPES:
        return "coercive", raw
    if raw in BY_NAME:
        return raw, None
    titles = {l.title.lower().replace("-", "_").replace(" ", "_"): l.name for l in BY_NAME.values()}
    titles.update({"stigmatising": "stigmatizing", "strengths": "strengths_based", "trauma_uninformed": "trauma_unaware"})
    return titles.get(raw), None


def _note_from_spans(nid: str, text: str, spans: list[tuple[int, int, str]], meta: dict,
                     report: ImportReport, where: str) -> CorpusNote:
    """Segment ``text``; each labelled span labels the units it overlaps and becomes their cue."""
    units = [CorpusUnit(u.start, u.end, [], None, []) for u in segment(text)]
    for s, e, name in spans:
        label, subtype = normalise_label(name)
        if label is None:
            report.problems.append(f"{where}: unknown label {name!r} (span {s}:{e}) skipped")
            continue
        if not (0 <= s < e <= len(text)):
            report.problems.append(f"{where}: span {s}:{e} outside the text (length {len(text)}) skipped")
            continue
        hit = [u for u in units if u.start < e and s < u.end]
        if not hit:
            report.problems.append(f"{where}: span {s}:{e} covers only whitespace, skipped")
        for u in hit:
            if label not in u.labels:
                u.labels.append(label)
            if label == "coercive":
                u.subtype = subtype or u.subtype or "restrictive_practice"
                if subtype is None:
                    report.problems.append(f"{where}: coercive span {s}:{e} has no subtype; set to restrictive_practice "
                                           "(use 'coercive:threat' etc. to say which)")
            u.cues.append(CorpusCue(max(s, u.start), min(e, u.end), label))
    for u in units:
        u.labels = [l for l in LABELS if l in u.labels]
    return CorpusNote(nid, meta.get("setting", "unknown"), meta.get("kind", "unknown"), meta.get("team", "unknown"),
                      str(meta.get("date", "")), text, units, meta.get("split"))


def _whole_text_note(nid: str, text: str, names: list[str], meta: dict, report: ImportReport, where: str) -> CorpusNote:
    """A classification item: the text is one unit carrying the chosen labels."""
    s, e = 0, len(text)
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    unit = CorpusUnit(s, e, [], None, [])
    for name in names:
        label, subtype = normalise_label(name)
        if label is None:
            report.problems.append(f"{where}: unknown label {name!r} skipped")
            continue
        if label not in unit.labels:
            unit.labels.append(label)
            unit.cues.append(CorpusCue(s, e, label))
        if label == "coercive":
            unit.subtype = subtype or unit.subtype or "restrictive_practice"
    unit.labels = [l for l in LABELS if l in unit.labels]
    return CorpusNote(nid, meta.get("setting", "unknown"), meta.get("kind", "unknown"), meta.get("team", "unknown"),
                      str(meta.get("date", "")), text, [unit], meta.get("split"))


def import_label_studio(path: Path, report: ImportReport, text_key: str = "text") -> list[CorpusNote]:
    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not a Label Studio JSON export ({e})") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    notes = []
    for k, task in enumerate(tasks):
        where = f"task {task.get('id', k) if isinstance(task, dict) else k}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            report.problems.append(f"{where}: no 'data' object")
            continue
        text = task["data"].get(text_key)
        if not isinstance(text, str) or not text.strip():
            report.problems.append(f"{where}: no text in data.{text_key}")
            continue
        anns = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not anns:
            report.problems.append(f"{where}: no (non-cancelled) annotation")
            continue
        results = anns[-1].get("result") or []  # the latest annotation is the one kept
        spans, choices = [], []
        for r in results:
            v = r.get("value") or {}
            if r.get("type") == "labels":
                for name in v.get("labels") or []:
                    spans.append((int(v.get("start", -1)), int(v.get("end", -1)), name))
            elif r.get("type") == "choices":
                choices += list(v.get("choices") or [])
            else:
                report.problems.append(f"{where}: result type {r.get('type')!r} ignored")
        meta = {k2: task["data"].get(k2) for k2 in ("setting", "kind", "team", "date", "split") if task["data"].get(k2)}
        nid = str(task["data"].get("id", task.get("id", k)))
        if spans and choices:
            report.problems.append(f"{where}: both spans and whole-text choices; choices ignored")
        note = (_note_from_spans(nid, text, spans, meta, report, where) if spans or not choices
                else _whole_text_note(nid, text, choices, meta, report, where))
        notes.append(note)
    return notes


def import_doccano(path: Path, report: ImportReport) -> list[CorpusNote]:
    from .jsonl import iter_jsonl

    notes = []
    for n, obj in iter_jsonl(path):
        where = f"line {n}"
        text = obj.get("text") or obj.get("data")
        if not isinstance(text, str) or not text.strip():
            report.problems.append(f"{where}: no text")
            continue
        labels = obj.get("label", obj.get("labels", []))
        nid = str(obj.get("id", n))
        meta = {k: obj.get(k) for k in ("setting", "kind", "team", "date", "split") if obj.get(k)}
        if labels and all(isinstance(x, (list, tuple)) and len(x) == 3 for x in labels):
            notes.append(_note_from_spans(nid, text, [(int(s), int(e), t) for s, e, t in labels], meta, report, where))
        elif all(isinstance(x, str) for x in labels):
            notes.append(_whole_text_note(nid, text, labels, meta, report, where))
        else:
            report.problems.append(f"{where}: 'label' is neither [[start, end, TAG], ...] nor [TAG, ...]")
    return notes


def import_csv(path: Path, report: ImportReport) -> list[CorpusNote]:
    """Rows of unit text and labels (';'-separated or a JSON list); a note_id column joins units into notes."""
    with Path(path).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise InputError(f"{path} has no rows")
    if "text" not in rows[0] or "labels" not in rows[0]:
        raise InputError(f"{path}: needs columns 'text' and 'labels' (found {', '.join(rows[0])})")
    grouped: dict[str, list[tuple[int, dict]]] = {}
    for n, r in enumerate(rows, 2):
        grouped.setdefault(r.get("note_id") or f"row{n}", []).append((n, r))
    notes = []
    for nid, items in grouped.items():
        text, spans = "", []
        for n, r in items:
            unit = (r.get("text") or "").strip().replace("\n", " ")
            if not unit:
                report.problems.append(f"row {n}: empty text")
                continue
            raw = (r.get("labels") or "").strip()
            try:
                names = json.loads(raw) if raw.startswith("[") else [x for x in raw.split(";") if x.strip()]
            except json.JSONDecodeError:
                report.problems.append(f"row {n}: labels {raw!r} is not a JSON list")
                continue
            if r.get("subtype"):
                names = [f"coercive:{r['subtype'].strip()}" if normalise_label(x)[0] == "coercive" else x for x in names]
            start = len(text) + (1 if text else 0)
            text = text + ("\n" if text else "") + unit
            spans += [(start, start + len(unit), x) for x in names]
        if not text:
            continue
        meta = {k: items[0][1].get(k) for k in ("setting", "kind", "team", "date", "split") if items[0][1].get(k)}
        note = _note_from_spans(nid, text, spans, meta, report, f"note {nid}")
        # Each CSV row is exactly one unit: keep row boundaries even where the segmenter would split.
        units, pos = [], 0
        for line in text.split("\n"):
            u = CorpusUnit(pos, pos + len(line), [], None, [])
            for cu in note.units:
                if cu.start < u.end and u.start < cu.end:
                    u.labels += [l for l in cu.labels if l not in u.labels]
                    u.subtype = u.subtype or cu.subtype
            u.labels = [l for l in LABELS if l in u.labels]
            u.cues = [CorpusCue(u.start, u.end, l) for l in u.labels]
            units.append(u)
            pos += len(line) + 1
        note.units = units
        notes.append(note)
    return notes


def import_file(fmt: str, path: Path) -> tuple[list[CorpusNote], ImportReport]:
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not Path(path).is_file():
        raise InputError(f"file not found: {path}")
    report = ImportReport()
    notes = {"label-studio": import_label_studio, "doccano": import_doccano, "csv": import_csv}[fmt](Path(path), report)
    report.converted = len(notes)
    report.units = sum(len(n.units) for n in notes)
    return notes, report


LABEL_STUDIO_CONFIG = """<View>
  <Header value="Label what the writer's words do to the person (see annotation_guidelines/guidelines.md)"/>
  <Labels name="label" toName="text">
{labels}
  </Labels>
  <Text name="text" value="$text"/>
</View>
"""


def label_studio_config() -> str:
    names = [l for l in LABELS if l != "coercive"] + [f"coercive:{s}" for s in SUBTYPES]
    colours = {l: BY_NAME[l.split(":")[0]].colour for l in names}
    return LABEL_STUDIO_CONFIG.format(labels="\n".join(f'    <Label value="{n}" background="{colours[n]}"/>' for n in names))


def _ls_result(start: int, end: int, text: str, label: str, subtype: str | None, k: int) -> dict:
    name = f"coercive:{subtype}" if label == "coercive" and subtype else label
    return {"id": f"r{k}", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [name]}}


def export_label_studio(notes: list[CorpusNote], analyzer=None, include_gold: bool = True) -> list[dict]:
    """Label Studio tasks; gold labels as annotations, model output as predictions (pre-annotations)."""
    results = analyzer.analyze_many([n.text for n in notes]) if analyzer is not None else [None] * len(notes)
    tasks = []
    for note, res in zip(notes, results):
        task = {"data": {"id": note.id, "text": note.text, "setting": note.setting, "kind": note.kind,
                         "team": note.team, "date": note.date}}
        if include_gold and any(u.labels for u in note.units):
            gold, k = [], 0
            for u in note.units:
                for c in u.cues:
                    gold.append(_ls_result(c.start, c.end, note.text, c.label, u.subtype, k))
                    k += 1
            task["annotations"] = [{"result": gold}]
        if res is not None:
            pred, k = [], 0
            scores = []
            for u in res.units:
                for c in u.cues:
                    pred.append(_ls_result(c.start, c.end, note.text, c.label, u.subtype, k))
                    k += 1
                scores += [u.scores[l] for l in u.labels]
            task["predictions"] = [{"model_version": analyzer.model_name, "result": pred,
                                    "score": round(min(scores), 3) if scores else 1.0}]
        tasks.append(task)
    return tasks


def notes_from_texts(rows: list[tuple[str, str]]) -> list[CorpusNote]:
    """Unlabelled notes (for exporting predictions on plain text)."""
    return [CorpusNote(i, "unknown", "unknown", "unknown", "", t, []) for i, t in rows]
