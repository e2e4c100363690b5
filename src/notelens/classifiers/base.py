"""The classifier interface the analyzer talks to."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence


@dataclass
class UnitPrediction:
    """What a classifier says about one unit; cue offsets are relative to the unit text."""

    scores: dict[str, float]
    labels: list[str]
    subtype: str | None = None
    cues: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, label)


class Classifier(Protocol):
    name: str
    version: str
    thresholds: dict[str, float]

    def predict(self, units: Sequence[str], contexts: Sequence[str] | None = None) -> list[UnitPrediction]:
        """Score units; ``contexts`` (same length) is each unit's preceding unit, or ''."""
        ...
