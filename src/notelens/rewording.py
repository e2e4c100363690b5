"""The rewording table: problem phrases -> why they matter and a better way to say it.

Loaded from ``annotation_guidelines/rewording.yaml`` (the four problem labels) and
``annotation_guidelines/strengths.yaml`` (strengths_based cue phrases). The same
phrase lists feed the transparent cue-phrase baseline, and the analyzer takes its
``why`` and ``suggestion`` texts from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .labels import BY_NAME, LABELS, SUBTYPES
from .resources import guidelines_dir

# Used when a flag comes from the model with no phrase of the table in its cue.
GENERIC_WHY = {
    "coercive": "Records pressure that may override the person's choice (a threat, leverage or a restrictive practice).",
    "paternalistic": "Positions staff as deciding for or over the person rather than with them.",
    "trauma_unaware": "Reads distress or survival behaviour without considering possible trauma.",
    "stigmatizing": "Describes the person in a way that labels, dehumanises or doubts them.",
    "strengths_based": "Foregrounds the person's strengths, goals, choices or own words.",
}
GENERIC_SUGGESTION = {
    "coercive": "Describe what was offered and what the person chose; if a restriction was used, record why, for how long, and the debrief offered.",
    "paternalistic": "Write what was discussed and decided with the person, in their words where possible.",
    "trauma_unaware": "Describe the behaviour and what it may communicate; ask what happened rather than what is wrong.",
    "stigmatizing": "Use person-first, descriptive language and record the person's account without doubting words.",
    "strengths_based": "Keep doing this: it keeps the person's voice and goals in the record.",
}


@dataclass(frozen=True)
class RewordingEntry:
    id: str
    label: str
    phrases: tuple[str, ...]
    why: str
    suggestion: str
    subtype: str | None = None


def _load(path: Path) -> list[RewordingEntry]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = []
    for i, raw in enumerate(data.get("entries", [])):
        label = raw.get("label")
        if label not in BY_NAME:
            raise ValueError(f"{path.name} entry {i}: unknown label {label!r}")
        subtype = raw.get("subtype")
        if subtype is not None and subtype not in SUBTYPES:
            raise ValueError(f"{path.name} entry {i}: unknown subtype {subtype!r}")
        phrases = tuple(str(p).strip().lower() for p in raw.get("phrases", []) if str(p).strip())
        if not phrases:
            raise ValueError(f"{path.name} entry {i} ({raw.get('id')}): no phrases")
        entries.append(RewordingEntry(str(raw["id"]), label, phrases, str(raw["why"]).strip(),
                                      str(raw["suggestion"]).strip(), subtype))
    return entries


@lru_cache(maxsize=4)
def load_table(directory: str | None = None) -> tuple[RewordingEntry, ...]:
    """All entries of rewording.yaml and strengths.yaml (cached)."""
    d = Path(directory) if directory else guidelines_dir()
    entries = _load(d / "rewording.yaml")
    if (d / "strengths.yaml").is_file():
        entries += _load(d / "strengths.yaml")
    ids = [e.id for e in entries]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate rewording ids: {sorted(dup)}")
    return tuple(entries)


def advice_for(label: str, unit_text: str, cue_texts: list[str] | None = None) -> tuple[str, str, str | None]:
    """(why, suggestion, entry id) for a flagged unit.

    Prefers the table entry whose phrase occurs in the cue spans, then in the unit,
    taking the longest matching phrase (the most specific advice); falls back to the
    label's generic text.
    """
    haystacks = [c.lower() for c in (cue_texts or []) if c] + [unit_text.lower()]
    best: tuple[int, RewordingEntry] | None = None
    for hay in haystacks:
        for entry in load_table():
            if entry.label != label:
                continue
            for p in entry.phrases:
                if p in hay and (best is None or len(p) > best[0]):
                    best = (len(p), entry)
        if best:
            break
    if best:
        return best[1].why, best[1].suggestion, best[1].id
    return GENERIC_WHY[label], GENERIC_SUGGESTION[label], None


assert set(GENERIC_WHY) == set(LABELS)
