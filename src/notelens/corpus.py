"""The annotated corpus format: loading, validating and counting.

One note per JSONL line::

    {"id", "setting", "kind", "team", "date", "text",
     "units": [{"start", "end", "labels", "subtype", "cues": [{"start", "end", "label"}],
                "tags": [...optional slice tags...]}]}

Offsets index into ``text``; every unit of the note is listed (neutral units have
``labels: []``), units do not overlap, and every non-space character of the text
belongs to a unit.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .labels import LABELS, SUBTYPES

REQUIRED_NOTE_KEYS = ("id", "setting", "kind", "team", "date", "text", "units")


@dataclass
class CorpusCue:
    start: int
    end: int
    label: str


@dataclass
class CorpusUnit:
    start: int
    end: int
    labels: list[str]
    subtype: str | None
    cues: list[CorpusCue]
    tags: list[str] = field(default_factory=list)


@dataclass
class CorpusNote:
    id: str
    setting: str
    kind: str
    team: str
    date: str
    text: str
    units: list[CorpusUnit]
    split: str | None = None

    def unit_text(self, u: CorpusUnit) -> str:
        return self.text[u.start:u.end]

    @classmethod
    def from_dict(cls, d: dict) -> "CorpusNote":
        units = [CorpusUnit(int(u["start"]), int(u["end"]), list(u.get("labels") or []), u.get("subtype"),
                            [CorpusCue(int(c["start"]), int(c["end"]), c["label"]) for c in u.get("cues") or []],
                            list(u.get("tags") or []))
                 for u in d["units"]]
        return cls(str(d["id"]), d["setting"], d["kind"], d["team"], d["date"], d["text"], units, d.get("split"))

    def to_dict(self) -> dict:
        d = {"id": self.id, "setting": self.setting, "kind": self.kind, "team": self.team, "date": self.date,
             "text": self.text,
             "units": [{"start": u.start, "end": u.end, "labels": u.labels, "subtype": u.subtype,
                        "cues": [{"start": c.start, "end": c.end, "label": c.label} for c in u.cues],
                        **({"tags": u.tags} if u.tags else {})} for u in self.units]}
        if self.split:
            d["split"] = self.split
        return d


def read_corpus(path: Path | str) -> list[CorpusNote]:
    path = Path(path)
    return [CorpusNote.from_dict(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def write_corpus(notes: Iterable[CorpusNote], path: Path | str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for n in notes:
            f.write(json.dumps(n.to_dict(), ensure_ascii=False) + "\n")


@dataclass
class ValidationReport:
    path: str
    notes: int = 0
    units: int = 0
    errors: list[str] = field(default_factory=list)
    label_counts: Counter = field(default_factory=Counter)
    subtype_counts: Counter = field(default_factory=Counter)
    setting_counts: Counter = field(default_factory=Counter)
    kind_counts: Counter = field(default_factory=Counter)
    neutral: int = 0

    def render(self, max_errors: int = 50) -> str:
        lines = [f"{self.path}: {self.notes} notes, {self.units} units"]
        if self.units:
            lines.append(f"neutral units: {self.neutral} ({100 * self.neutral / self.units:.1f}%)")
        lines.append("labels: " + ", ".join(f"{l}={self.label_counts.get(l, 0)}" for l in LABELS))
        lines.append("coercive subtypes: " + ", ".join(f"{s}={self.subtype_counts.get(s, 0)}" for s in SUBTYPES))
        lines.append("settings: " + ", ".join(f"{k}={v}" for k, v in sorted(self.setting_counts.items())))
        lines.append("kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(self.kind_counts.items())))
        if self.errors:
            lines.append(f"INVALID: {len(self.errors)} problem(s)")
            lines += [f"  - {e}" for e in self.errors[:max_errors]]
            if len(self.errors) > max_errors:
                lines.append(f"  ... and {len(self.errors) - max_errors} more")
        else:
            lines.append("OK")
        return "\n".join(lines)


def _check_note(d: dict, where: str, errors: list[str]) -> None:
    missing = [k for k in REQUIRED_NOTE_KEYS if k not in d]
    if missing:
        errors.append(f"{where}: missing keys {missing}")
        return
    text = d["text"]
    if not isinstance(text, str) or not text.strip():
        errors.append(f"{where}: text must be a non-empty string")
        return
    covered = [False] * len(text)
    prev_end = 0
    for i, u in enumerate(d["units"]):
        uw = f"{where} unit {i}"
        try:
            s, e = int(u["start"]), int(u["end"])
        except (KeyError, TypeError, ValueError):
            errors.append(f"{uw}: start/end missing or not integers")
            continue
        if not (0 <= s < e <= len(text)):
            errors.append(f"{uw}: offsets {s}:{e} outside text of length {len(text)}")
            continue
        if s < prev_end:
            errors.append(f"{uw}: overlaps or is out of order with the previous unit")
        prev_end = e
        if text[s:e] != text[s:e].strip():
            errors.append(f"{uw}: unit has leading/trailing whitespace")
        for k in range(s, e):
            covered[k] = True
        labels = u.get("labels")
        if not isinstance(labels, list):
            errors.append(f"{uw}: labels must be a list")
            continue
        for l in labels:
            if l not in LABELS:
                errors.append(f"{uw}: unknown label {l!r}")
        if len(set(labels)) != len(labels):
            errors.append(f"{uw}: repeated label")
        st = u.get("subtype")
        if "coercive" in labels and st not in SUBTYPES:
            errors.append(f"{uw}: coercive unit needs subtype in {SUBTYPES}, got {st!r}")
        if "coercive" not in labels and st is not None:
            errors.append(f"{uw}: subtype {st!r} on a unit that is not coercive")
        for j, c in enumerate(u.get("cues") or []):
            try:
                cs, ce, cl = int(c["start"]), int(c["end"]), c["label"]
            except (KeyError, TypeError, ValueError):
                errors.append(f"{uw} cue {j}: needs start, end, label")
                continue
            if not (s <= cs < ce <= e):
                errors.append(f"{uw} cue {j}: {cs}:{ce} not inside unit {s}:{e}")
            if cl not in labels:
                errors.append(f"{uw} cue {j}: label {cl!r} is not one of the unit's labels")
    gaps = [k for k, c in enumerate(covered) if not c and not text[k].isspace()]
    if gaps:
        errors.append(f"{where}: {len(gaps)} non-space characters not in any unit (first at {gaps[0]})")


def validate_corpus(path: Path | str) -> ValidationReport:
    path = Path(path)
    report = ValidationReport(str(path))
    ids: set[str] = set()
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            where = f"line {n}"
            try:
                d = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                report.errors.append(f"{where}: not valid UTF-8 JSON ({e})")
                continue
            if not isinstance(d, dict):
                report.errors.append(f"{where}: not a JSON object")
                continue
            where = f"line {n} ({d.get('id')})"
            before = len(report.errors)
            _check_note(d, where, report.errors)
            if d.get("id") in ids:
                report.errors.append(f"{where}: duplicate id")
            ids.add(d.get("id"))
            report.notes += 1
            if len(report.errors) > before and "units" not in d:
                continue
            report.setting_counts[d.get("setting")] += 1
            report.kind_counts[d.get("kind")] += 1
            for u in d.get("units") or []:
                report.units += 1
                labels = u.get("labels") or []
                if not labels:
                    report.neutral += 1
                report.label_counts.update(l for l in labels if isinstance(l, str))
                if u.get("subtype"):
                    report.subtype_counts[u["subtype"]] += 1
    if report.notes == 0:
        report.errors.append("no notes in file")
    return report
