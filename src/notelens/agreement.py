"""Inter-annotator agreement: Cohen's kappa per label for two annotators, Krippendorff's
alpha (nominal) for two or more, and the units they disagree on.

Annotation files are corpus-format JSONL; units are matched by note id and offsets,
so only units present in every file are compared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .corpus import read_corpus
from .errors import InputError
from .labels import LABELS, SUBTYPES


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa for two raters' categorical codes."""
    a, b = np.asarray(a), np.asarray(b)
    cats = np.union1d(a, b)
    po = float((a == b).mean())
    pe = float(sum((a == c).mean() * (b == c).mean() for c in cats))
    return 1.0 if pe == 1.0 else (po - pe) / (1 - pe)


def krippendorff_alpha_nominal(data: np.ndarray) -> float:
    """Krippendorff's alpha for nominal data; ``data`` is raters x units, NaN for missing."""
    data = np.asarray(data, dtype=float)
    values = np.unique(data[~np.isnan(data)])
    if len(values) < 2:
        return 1.0
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for u in range(data.shape[1]):
        col = data[:, u][~np.isnan(data[:, u])]
        m = len(col)
        if m < 2:
            continue
        for i in range(m):
            for j in range(m):
                if i != j:
                    o[index[col[i]], index[col[j]]] += 1.0 / (m - 1)
    n_c = o.sum(1)
    n = n_c.sum()
    disagreement = o.sum() - np.trace(o)
    expected = n * n - (n_c ** 2).sum()
    return 1.0 if expected == 0 else float(1.0 - (n - 1) * disagreement / expected)


@dataclass
class AgreementReport:
    files: list[str]
    units: int
    per_label: dict[str, dict] = field(default_factory=dict)
    subtype: dict | None = None
    disagreements: list[dict] = field(default_factory=list)

    def render_markdown(self, max_rows: int = 200) -> str:
        lines = ["# Annotation agreement", "", f"Files: {', '.join(self.files)}; units compared: {self.units}.", "",
                 "| label | positives per file | agreement | Cohen's kappa | Krippendorff's alpha |",
                 "|---|---|---|---|---|"]
        for l, v in self.per_label.items():
            kappa = "-" if v["kappa"] is None else f"{v['kappa']:.3f}"
            lines.append(f"| {l} | {' / '.join(map(str, v['positives']))} | {v['observed_agreement']:.3f} | "
                         f"{kappa} | {v['alpha']:.3f} |")
        if self.subtype:
            lines += ["", f"Coercive subtype, on units all files call coercive ({self.subtype['units']}): "
                          f"agreement {self.subtype['observed_agreement']:.3f}, alpha {self.subtype['alpha']:.3f}."]
        lines += ["", f"## Disagreements ({len(self.disagreements)})", "", "| note | unit | " +
                  " | ".join(f"file {i + 1}" for i in range(len(self.files))) + " |",
                  "|---|---|" + "---|" * len(self.files)]
        for d in self.disagreements[:max_rows]:
            text = d["text"].replace("|", "\\|")[:160]
            lines.append(f"| {d['note_id']} | {text} | " + " | ".join(", ".join(x) or "(neutral)" for x in d["labels"])
                         + " |")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        return {"files": self.files, "units": self.units, "per_label": self.per_label, "subtype": self.subtype,
                "disagreements": self.disagreements}


def agreement(paths: list[Path]) -> AgreementReport:
    if len(paths) < 2:
        raise InputError("agreement needs at least two annotation files")
    tables = []
    for p in paths:
        if not Path(p).is_file():
            raise InputError(f"file not found: {p}")
        table = {}
        for note in read_corpus(p):
            for u in note.units:
                table[(note.id, u.start, u.end)] = (note.unit_text(u), set(u.labels), u.subtype)
        tables.append(table)
    keys = sorted(set.intersection(*(set(t) for t in tables)))
    if not keys:
        raise InputError("the files share no units (matched by note id and offsets)")
    report = AgreementReport([str(p) for p in paths], len(keys))
    for l in LABELS:
        codes = np.array([[int(l in t[k][1]) for k in keys] for t in tables])
        report.per_label[l] = {
            "positives": [int(c.sum()) for c in codes],
            "observed_agreement": round(float((codes == codes[0]).all(0).mean()), 4),
            "kappa": round(cohen_kappa(codes[0], codes[1]), 4) if len(tables) == 2 else None,
            "alpha": round(krippendorff_alpha_nominal(codes), 4),
        }
    both = [k for k in keys if all(t[k][2] for t in tables)]
    if both:
        codes = np.array([[SUBTYPES.index(t[k][2]) for k in both] for t in tables])
        report.subtype = {"units": len(both), "observed_agreement": round(float((codes == codes[0]).all(0).mean()), 4),
                          "alpha": round(krippendorff_alpha_nominal(codes), 4)}
    for k in keys:
        labs = [sorted(t[k][1]) for t in tables]
        if any(x != labs[0] for x in labs):
            report.disagreements.append({"note_id": k[0], "start": k[1], "end": k[2], "text": tables[0][k][0],
                                         "labels": labs})
    return report
