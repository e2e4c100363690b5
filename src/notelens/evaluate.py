"""Honest evaluation: every system on the same gold units of the held-out split.

Per-label precision/recall/F1, macro and micro F1, PR-AUC, subtype accuracy, cue-span
overlap F1, calibration error, bootstrap 95% intervals (resampling notes, since
units of one note are not independent), a label confusion view, results by setting
and note kind, the slices that matter (negated and hypothetical cues, paraphrases,
handover shorthand), and paired bootstrap comparisons between systems.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .corpus import CorpusNote
from .labels import LABELS, SUBTYPES
from .train import ece

N_BOOT = 1000
SLICES = {
    "negated_or_hypothetical": ("negation", "hypothetical"),
    "paraphrase": ("paraphrase",),
    "shorthand": ("shorthand",),
    "hard_negative": ("hard_negative",),
}


@dataclass
class GoldUnits:
    note_ids: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    y: np.ndarray = None
    subtypes: list[str | None] = field(default_factory=list)
    cues: list[list[tuple[int, int, str]]] = field(default_factory=list)
    tags: list[list[str]] = field(default_factory=list)

    @classmethod
    def from_notes(cls, notes: Sequence[CorpusNote]) -> "GoldUnits":
        g = cls()
        ys = []
        for note in notes:
            for i, u in enumerate(note.units):
                g.note_ids.append(note.id)
                g.settings.append(note.setting)
                g.kinds.append(note.kind)
                g.texts.append(note.unit_text(u))
                g.contexts.append(note.unit_text(note.units[i - 1]) if i else "")
                ys.append([int(l in u.labels) for l in LABELS])
                g.subtypes.append(u.subtype)
                g.cues.append([(c.start - u.start, c.end - u.start, c.label) for c in u.cues])
                g.tags.append(list(u.tags))
        g.y = np.array(ys, dtype=int).reshape(-1, len(LABELS))
        return g


@dataclass
class SystemOutput:
    name: str
    scores: np.ndarray
    pred: np.ndarray
    subtypes: list[str | None]
    cues: list[list[tuple[int, int, str]]]
    has_cues: bool


def run_system(name: str, classifier, gold: GoldUnits, batch: int = 1024) -> SystemOutput:
    preds = []
    for s in range(0, len(gold.texts), batch):
        preds += classifier.predict(gold.texts[s:s + batch], gold.contexts[s:s + batch])
    scores = np.array([[p.scores[l] for l in LABELS] for p in preds])
    pred = np.array([[int(l in p.labels) for l in LABELS] for p in preds])
    cues = [list(p.cues) for p in preds]
    return SystemOutput(name, scores, pred, [p.subtype for p in preds], cues, any(cues))


def _f1(tp, fp, fn):
    return np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(1, 2 * tp + fp + fn), 0.0)


def _note_counts(gold: GoldUnits, pred: np.ndarray):
    """Per-note TP/FP/FN per label: shape (notes, labels, 3), for the note bootstrap."""
    ids = sorted(set(gold.note_ids))
    index = {n: i for i, n in enumerate(ids)}
    rows = np.array([index[n] for n in gold.note_ids])
    counts = np.zeros((len(ids), len(LABELS), 3))
    y = gold.y
    np.add.at(counts[:, :, 0], rows, (pred == 1) & (y == 1))
    np.add.at(counts[:, :, 1], rows, (pred == 1) & (y == 0))
    np.add.at(counts[:, :, 2], rows, (pred == 0) & (y == 1))
    return counts


def _scores_from_counts(c):
    """c: (..., labels, 3) -> (per-label F1, macro F1, micro F1)."""
    tp, fp, fn = c[..., 0], c[..., 1], c[..., 2]
    per = _f1(tp, fp, fn)
    micro = _f1(tp.sum(-1), fp.sum(-1), fn.sum(-1))
    return per, per.mean(-1), micro


def bootstrap_samples(n_notes: int, seed: int = 0, n: int = N_BOOT) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_notes, size=(n, n_notes))


def _ci(values: np.ndarray) -> list[float]:
    return [round(float(np.percentile(values, 2.5)), 4), round(float(np.percentile(values, 97.5)), 4)]


def cue_overlap_f1(gold: GoldUnits, out: SystemOutput) -> dict | None:
    """A predicted cue counts if it overlaps a gold cue of the same label in the same unit."""
    if not out.has_cues:
        return None
    tp_p = n_p = tp_g = n_g = 0
    for g, p in zip(gold.cues, out.cues):
        n_p += len(p)
        n_g += len(g)
        tp_p += sum(any(ps < ge and gs < pe and pl == gl for gs, ge, gl in g) for ps, pe, pl in p)
        tp_g += sum(any(ps < ge and gs < pe and pl == gl for ps, pe, pl in p) for gs, ge, gl in g)
    prec, rec = tp_p / max(1, n_p), tp_g / max(1, n_g)
    return {"precision": round(prec, 4), "recall": round(rec, 4),
            "f1": round(2 * prec * rec / max(1e-9, prec + rec), 4)}


def _micro(y, pred) -> dict:
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    return {"precision": round(tp / max(1, tp + fp), 4), "recall": round(tp / max(1, tp + fn), 4),
            "f1": round(float(_f1(tp, fp, fn)), 4), "gold_labels": int(y.sum())}


def system_metrics(gold: GoldUnits, out: SystemOutput, boot: np.ndarray) -> dict:
    from sklearn.metrics import average_precision_score

    counts = _note_counts(gold, out.pred)
    per, macro, micro = _scores_from_counts(counts.sum(0))
    b_per, b_macro, b_micro = _scores_from_counts(counts[boot].sum(1))
    y, p = gold.y, out.pred
    per_label = {}
    for k, l in enumerate(LABELS):
        tp, fp, fn = counts.sum(0)[k]
        per_label[l] = {
            "precision": round(float(tp / max(1, tp + fp)), 4), "recall": round(float(tp / max(1, tp + fn)), 4),
            "f1": round(float(per[k]), 4), "f1_ci95": _ci(b_per[:, k]), "support": int(y[:, k].sum()),
            "pr_auc": round(float(average_precision_score(y[:, k], out.scores[:, k])), 4) if y[:, k].any() else None,
        }
    gold_coercive = [i for i, s in enumerate(gold.subtypes) if s]
    hit = [i for i in gold_coercive if out.subtypes[i]]
    subtype = {"accuracy_when_flagged": round(float(np.mean([out.subtypes[i] == gold.subtypes[i] for i in hit])), 4)
               if hit else None, "flagged": len(hit), "gold_coercive": len(gold_coercive),
               "confusion": {g: {s: sum(1 for i in hit if gold.subtypes[i] == g and out.subtypes[i] == s)
                                 for s in SUBTYPES} for g in SUBTYPES}}
    confusion = {}
    for k, l in enumerate(LABELS):
        rows = y[:, k] == 1
        confusion[l] = {m: int(p[rows, j].sum()) for j, m in enumerate(LABELS)}
        confusion[l]["(none)"] = int((p[rows].sum(1) == 0).sum())
    neutral = y.sum(1) == 0
    confusion["(neutral)"] = {m: int(p[neutral, j].sum()) for j, m in enumerate(LABELS)}
    confusion["(neutral)"]["(none)"] = int((p[neutral].sum(1) == 0).sum())

    def group_scores(keys):
        res = {}
        for key in sorted(set(keys)):
            m = np.array([k == key for k in keys])
            c = np.stack([((p[m] == 1) & (y[m] == 1)).sum(0), ((p[m] == 1) & (y[m] == 0)).sum(0),
                          ((p[m] == 0) & (y[m] == 1)).sum(0)], -1)
            _, mac, mic = _scores_from_counts(c)
            res[key] = {"units": int(m.sum()), "macro_f1": round(float(mac), 4), "micro_f1": round(float(mic), 4)}
        return res

    slices = {}
    for name, tags in SLICES.items():
        m = np.array([any(t in ts for t in tags) for ts in gold.tags])
        if not m.any():
            continue
        neutral_m = m & neutral
        slices[name] = {"units": int(m.sum()), **_micro(y[m], p[m]),
                        "false_flag_rate_on_neutral": round(float((p[neutral_m].sum(1) > 0).mean()), 4)
                        if neutral_m.any() else None, "neutral_units": int(neutral_m.sum())}
    return {
        "macro_f1": round(float(macro), 4), "macro_f1_ci95": _ci(b_macro),
        "micro_f1": round(float(micro), 4), "micro_f1_ci95": _ci(b_micro),
        "per_label": per_label, "subtype": subtype, "cue_overlap": cue_overlap_f1(gold, out),
        "ece": round(ece(np.clip(out.scores, 0, 1), y), 4), "confusion": confusion,
        "by_setting": group_scores(gold.settings), "by_kind": group_scores(gold.kinds), "slices": slices,
    }


def paired_comparison(gold: GoldUnits, a: SystemOutput, b: SystemOutput, boot: np.ndarray) -> dict:
    """Paired bootstrap over notes of macro-F1(a) - macro-F1(b), plus McNemar on unit-label decisions."""
    from scipy.stats import binomtest

    ca, cb = _note_counts(gold, a.pred), _note_counts(gold, b.pred)
    _, ma, _ = _scores_from_counts(ca.sum(0))
    _, mb, _ = _scores_from_counts(cb.sum(0))
    _, ba, _ = _scores_from_counts(ca[boot].sum(1))
    _, bb, _ = _scores_from_counts(cb[boot].sum(1))
    diff = ba - bb
    p_boot = float(min(1.0, 2 * min((diff <= 0).mean(), (diff >= 0).mean())))
    right_a = a.pred == gold.y
    right_b = b.pred == gold.y
    n01, n10 = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    p_mc = float(binomtest(n01, n01 + n10, 0.5).pvalue) if n01 + n10 else 1.0
    per_label = {}
    for k, l in enumerate(LABELS):
        pa, _, _ = _scores_from_counts(ca[boot].sum(1)[:, k:k + 1])
        pb, _, _ = _scores_from_counts(cb[boot].sum(1)[:, k:k + 1])
        per_label[l] = {"diff": round(float(_f1(*ca.sum(0)[k]) - _f1(*cb.sum(0)[k])), 4), "ci95": _ci((pa - pb)[:, 0])}
    return {"a": a.name, "b": b.name, "macro_f1_diff": round(float(ma - mb), 4), "ci95": _ci(diff),
            "p_value_bootstrap": round(p_boot, 4), "mcnemar": {"a_right_b_wrong": n01, "a_wrong_b_right": n10,
                                                               "p_value": round(p_mc, 6)},
            "significant_at_0.05": bool(p_boot < 0.05), "per_label": per_label}


def evaluate_systems(gold: GoldUnits, systems: dict[str, object], seed: int = 0) -> dict:
    outputs = {name: run_system(name, clf, gold) for name, clf in systems.items()}
    boot = bootstrap_samples(len(set(gold.note_ids)), seed)
    results = {name: system_metrics(gold, out, boot) for name, out in outputs.items()}
    names = list(outputs)
    comparisons = [paired_comparison(gold, outputs[names[0]], outputs[n], boot) for n in names[1:]]
    return {"units": len(gold.texts), "notes": len(set(gold.note_ids)),
            "gold_label_counts": {l: int(gold.y[:, k].sum()) for k, l in enumerate(LABELS)},
            "bootstrap": {"resamples": N_BOOT, "unit": "note", "seed": seed},
            "systems": results, "comparisons": comparisons}


def render_markdown(report: dict, title: str = "NoteLens evaluation") -> str:
    s = report["systems"]
    names = list(s)
    lines = [f"# {title}", "",
             f"{report['notes']} notes, {report['units']} units (held-out split). 95% intervals: bootstrap over "
             f"notes ({report['bootstrap']['resamples']} resamples). Corpus written for this project, not real "
             "patient notes: these numbers say how well the model learned the guidelines on our own writing, "
             "not clinical validity.", "", "## Overall", "",
             "| system | macro F1 [95% CI] | micro F1 [95% CI] | ECE | subtype acc. | cue overlap F1 |",
             "|---|---|---|---|---|---|"]
    for n in names:
        m = s[n]
        cue = m["cue_overlap"]["f1"] if m["cue_overlap"] else "-"
        sub = m["subtype"]["accuracy_when_flagged"]
        lines.append(f"| {n} | {m['macro_f1']:.3f} [{m['macro_f1_ci95'][0]:.3f}, {m['macro_f1_ci95'][1]:.3f}] | "
                     f"{m['micro_f1']:.3f} [{m['micro_f1_ci95'][0]:.3f}, {m['micro_f1_ci95'][1]:.3f}] | "
                     f"{m['ece']:.3f} | {sub if sub is None else f'{sub:.3f}'} | {cue} |")
    if report["comparisons"]:
        lines += ["", "## Paired comparisons (first system minus each other)", "",
                  "| a | b | macro-F1 diff [95% CI] | p (bootstrap) | McNemar p | real difference? |",
                  "|---|---|---|---|---|---|"]
        for c in report["comparisons"]:
            lines.append(f"| {c['a']} | {c['b']} | {c['macro_f1_diff']:+.3f} [{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}]"
                         f" | {c['p_value_bootstrap']:.4f} | {c['mcnemar']['p_value']:.2g} | "
                         f"{'yes' if c['significant_at_0.05'] else 'not shown'} |")
    lines += ["", "## Per label (F1 [95% CI], precision / recall, PR-AUC)", "",
              "| label | support | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for l in LABELS:
        cells = []
        for n in names:
            pl = s[n]["per_label"][l]
            auc = "-" if pl["pr_auc"] is None else f"{pl['pr_auc']:.2f}"
            cells.append(f"{pl['f1']:.3f} [{pl['f1_ci95'][0]:.2f}, {pl['f1_ci95'][1]:.2f}] "
                         f"P {pl['precision']:.2f} / R {pl['recall']:.2f}, AUC {auc}")
        lines.append(f"| {l} | {s[names[0]]['per_label'][l]['support']} | " + " | ".join(cells) + " |")
    lines += ["", "## Slices", "",
              "Micro P/R/F1 over the gold labels in the slice; false-flag rate = share of the slice's neutral units "
              "that got any flag.", "", "| slice | units | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for sl in SLICES:
        if sl not in s[names[0]]["slices"]:
            continue
        cells = []
        for n in names:
            x = s[n]["slices"][sl]
            ff = "-" if x["false_flag_rate_on_neutral"] is None else \
                f"{x['false_flag_rate_on_neutral']:.2f} of {x['neutral_units']}"
            cells.append(f"F1 {x['f1']:.2f} (P {x['precision']:.2f} R {x['recall']:.2f}), false flags {ff}")
        lines.append(f"| {sl} | {s[names[0]]['slices'][sl]['units']} | " + " | ".join(cells) + " |")
    first = names[0]
    for key, title in (("by_setting", "By setting"), ("by_kind", "By note kind")):
        lines += ["", f"## {title} (macro F1)", "", "| group | units | " + " | ".join(names) + " |",
                  "|---|---|" + "---|" * len(names)]
        for g, v in s[first][key].items():
            lines.append(f"| {g} | {v['units']} | " + " | ".join(f"{s[n][key][g]['macro_f1']:.3f}" for n in names) + " |")
    lines += ["", f"## Confusion view for {first}", "",
              "Rows: gold label; columns: how often each label was predicted on those units.", "",
              "| gold \\ predicted | " + " | ".join(LABELS) + " | (none) |", "|---|" + "---|" * (len(LABELS) + 1)]
    for g, row in s[first]["confusion"].items():
        lines.append(f"| {g} | " + " | ".join(str(row[m]) for m in LABELS) + f" | {row['(none)']} |")
    st = s[first]["subtype"]
    lines += ["", f"## Coercive subtypes for {first}", "",
              f"Accuracy on gold coercive units the model flagged: {st['accuracy_when_flagged']} "
              f"({st['flagged']} of {st['gold_coercive']} flagged).", "",
              "| gold \\ predicted | " + " | ".join(SUBTYPES) + " |", "|---|" + "---|" * len(SUBTYPES)]
    for g, row in st["confusion"].items():
        lines.append(f"| {g} | " + " | ".join(str(row[x]) for x in SUBTYPES) + " |")
    return "\n".join(lines) + "\n"


def write_report(report: dict, out_dir: Path, title: str = "NoteLens evaluation") -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    j, m = out_dir / "evaluation.json", out_dir / "evaluation.md"
    j.write_text(json.dumps(report, indent=2) + "\n")
    m.write_text(render_markdown(report, title))
    return j, m
