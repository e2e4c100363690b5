"""The Analyzer: segment a note, classify its units, attach cues and advice.

This is the one entry point the CLI, the app, the audit and evaluation use.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from .classifiers.base import Classifier, UnitPrediction
from .labels import PROBLEM_LABELS
from .results import Cue, NoteResult, UnitResult
from .rewording import advice_for
from .segment import Unit, segment

MAX_NOTE_CHARS = 200_000  # longer texts are refused: a note is not a book


class NoteTooLongError(ValueError):
    pass


class Analyzer:
    """Scores notes with a classifier. Build it with :func:`notelens.load`."""

    def __init__(self, classifier: Classifier, segment_method: str = "rules") -> None:
        self.classifier = classifier
        self.segment_method = segment_method

    @property
    def model_name(self) -> str:
        return f"{self.classifier.name}@{self.classifier.version}"

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.classifier.thresholds)

    def analyze(self, text: str) -> NoteResult:
        """Segment one note and score every unit."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Iterable[str], batch_units: int = 2048) -> list[NoteResult]:
        """Score many notes; units of all notes are batched together for speed."""
        texts = list(texts)
        segmented = [self._segment(t) for t in texts]
        flat_units: list[str] = []
        flat_ctx: list[str] = []
        for units in segmented:
            for i, u in enumerate(units):
                flat_units.append(u.text)
                flat_ctx.append(units[i - 1].text if i else "")
        preds: list[UnitPrediction] = []
        for s in range(0, len(flat_units), batch_units):
            preds.extend(self.classifier.predict(flat_units[s:s + batch_units], flat_ctx[s:s + batch_units]))
        results = []
        k = 0
        for text, units in zip(texts, segmented):
            results.append(NoteResult(text, [self._unit_result(u, p) for u, p in zip(units, preds[k:k + len(units)])],
                                      self.model_name))
            k += len(units)
        return results

    def analyze_units(self, units: Sequence[str], contexts: Sequence[str] | None = None) -> list[UnitResult]:
        """Score texts that are already one unit each (offsets are within each unit)."""
        units = [u if isinstance(u, str) else _not_text(u) for u in units]
        preds = self.classifier.predict(list(units), list(contexts) if contexts else [""] * len(units))
        return [self._unit_result(Unit(t, 0, len(t)), p) for t, p in zip(units, preds)]

    def _segment(self, text: str) -> list[Unit]:
        if not isinstance(text, str):
            _not_text(text)
        if len(text) > MAX_NOTE_CHARS:
            raise NoteTooLongError(f"note has {len(text):,} characters; the limit is {MAX_NOTE_CHARS:,}")
        return segment(text, method=self.segment_method)

    @staticmethod
    def _unit_result(unit: Unit, pred: UnitPrediction) -> UnitResult:
        cues = [Cue(unit.start + s, unit.start + e, label, unit.text[s:e]) for s, e, label in pred.cues]
        why, suggestion = {}, {}
        for label in pred.labels:
            cue_texts = [c.text for c in cues if c.label == label]
            w, s, _ = advice_for(label, unit.text, cue_texts)
            why[label] = w
            if label in PROBLEM_LABELS:
                suggestion[label] = s
        return UnitResult(unit.text, unit.start, unit.end, list(pred.labels), dict(pred.scores),
                          pred.subtype if "coercive" in pred.labels else None, cues, why, suggestion)


def _not_text(value: object):
    raise TypeError(f"expected note text as str, got {type(value).__name__}")


def load(model: str | Path | None = None, backend: str = "auto") -> Analyzer:
    """Load an analyzer.

    ``model``: ``None`` for the shipped model in ``models/`` (falls back to the
    cue-phrase baseline only if no model is shipped), ``"baseline"`` for the
    cue-phrase baseline, or a path to a trained model folder.
    """
    from .resources import default_model_dir

    if model in ("baseline", "cue-phrase-baseline"):
        from .classifiers.cue_baseline import CuePhraseBaseline

        return Analyzer(CuePhraseBaseline())
    path = Path(model) if model is not None else default_model_dir()
    if model is None and not (path / "notelens_config.json").is_file():
        from .classifiers.cue_baseline import CuePhraseBaseline

        return Analyzer(CuePhraseBaseline())
    from .model import load_model

    return Analyzer(load_model(path, backend=backend))
