"""Typed results returned by the analyzer (the API boundary)."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from .labels import LABELS


@dataclass(frozen=True)
class Cue:
    """A span that carries a label; offsets index the note text (or the unit for analyze_units)."""

    start: int
    end: int
    label: str
    text: str


@dataclass
class UnitResult:
    text: str
    start: int
    end: int
    labels: list[str]
    scores: dict[str, float]  # calibrated probability per label
    subtype: str | None = None  # threat | leverage | restrictive_practice, for coercive units
    cues: list[Cue] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)  # per flagged label
    suggestion: dict[str, str] = field(default_factory=dict)  # per flagged problem label

    def to_dict(self) -> dict:
        d = asdict(self)
        d["scores"] = {k: round(v, 4) for k, v in self.scores.items()}
        return d


@dataclass
class NoteResult:
    text: str
    units: list[UnitResult]
    model: str

    @property
    def flagged(self) -> list[UnitResult]:
        return [u for u in self.units if u.labels]

    def counts(self) -> dict[str, int]:
        c = Counter(l for u in self.units for l in u.labels)
        return {l: c.get(l, 0) for l in LABELS}

    def summary(self) -> str:
        """e.g. '2 coercive, 1 paternalistic, 3 strengths-based' (or 'no flags')."""
        parts = [f"{n} {l.replace('_', '-')}" for l, n in self.counts().items() if n]
        return ", ".join(parts) if parts else "no flags"

    def to_dict(self) -> dict:
        return {"model": self.model, "units": [u.to_dict() for u in self.units]}
