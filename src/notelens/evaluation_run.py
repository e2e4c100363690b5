"""Glue for ``notelens evaluate``: load systems, pick the split, run, write the report."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .corpus import read_corpus
from .errors import InputError
from .evaluate import GoldUnits, evaluate_systems, write_report
from .labels import SUBTYPES


def fit_baselines(reference: Path, log=print, only: tuple[str, ...] | None = None) -> dict:
    """TF-IDF + LR and frozen MiniLM + LR, fitted on train, thresholds tuned on dev."""
    from .baselines import MiniLMEmbedLogReg, TfidfLogReg

    notes = read_corpus(reference)
    train = GoldUnits.from_notes([n for n in notes if n.split == "train"])
    dev = GoldUnits.from_notes([n for n in notes if n.split == "dev"])
    sub = np.array([SUBTYPES.index(s) if s else -100 for s in train.subtypes])
    out = {}
    for cls in (TfidfLogReg, MiniLMEmbedLogReg):
        if only and cls.name not in only:
            continue
        log(f"fitting {cls.name} on {len(train.texts)} train units")
        out[cls.name] = cls().fit(train.texts, train.y, sub, dev.texts, dev.y)
    return out


def run_evaluation(models: list, data: Path, split: str | None, baselines: bool, reference: Path,
                   output: Path, seed: int = 0, log=print):
    import notelens

    if not Path(data).is_file():
        raise InputError(f"data file not found: {data}")
    notes = read_corpus(data)
    if split and split != "all":
        notes = [n for n in notes if n.split == split]
        if not notes:
            raise InputError(f"{data} has no notes in split {split!r}")
    gold = GoldUnits.from_notes(notes)
    systems = {}
    for m in models:
        analyzer = notelens.load(m)
        name = analyzer.model_name if m is None or m == "baseline" else f"{Path(str(m)).name}@{analyzer.classifier.version}"
        systems[name] = analyzer.classifier
    if baselines:
        from .classifiers.cue_baseline import CuePhraseBaseline

        systems.setdefault("cue-phrase-baseline@rules-1", CuePhraseBaseline())
        for name, clf in fit_baselines(reference, log).items():
            systems[name] = clf
    log(f"evaluating {len(systems)} systems on {len(gold.texts)} units of {len(notes)} notes")
    report = evaluate_systems(gold, systems, seed)
    report["data"] = str(data)
    report["split"] = split
    paths = write_report(report, output)
    return report, paths
