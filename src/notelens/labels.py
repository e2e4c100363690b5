"""The five NoteLens labels: the single source of truth for names, wording and colours.

Everything that shows or counts labels (analyzer, CLI, audit, app, training) imports
from here. The definitions follow ../shared/label-spec.md, expanded in
annotation_guidelines/guidelines.md.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    name: str
    title: str
    description: str
    colour: str  # hex; always shown together with the title, never colour alone
    problem: bool  # True for the four labels that get a rewording suggestion


LABEL_INFO: tuple[Label, ...] = (
    Label("coercive", "Coercive",
          "Pressure that overrides or bypasses the person's own choice: threats, leverage "
          "(something wanted made conditional on compliance) or restrictive practice.",
          "#d62728", True),
    Label("paternalistic", "Paternalistic",
          "Staff positioned as deciding for or over the person, or the person treated as a "
          "passive object of care or a child (permission, compliance, directives).",
          "#ff7f0e", True),
    Label("trauma_unaware", "Trauma-unaware",
          "Distress or survival behaviour read without regard for possible trauma, or "
          "re-traumatising care recorded without acknowledgement.",
          "#9467bd", True),
    Label("stigmatizing", "Stigmatizing",
          "Pejorative, dehumanising or credibility-doubting descriptions of the person.",
          "#8c564b", True),
    Label("strengths_based", "Strengths-based",
          "Recovery-oriented language: the person's strengths, goals, choices, own words, "
          "relationships, hope or shared decisions (CHIME).",
          "#2ca02c", False),
)

LABELS: tuple[str, ...] = tuple(l.name for l in LABEL_INFO)
PROBLEM_LABELS: tuple[str, ...] = tuple(l.name for l in LABEL_INFO if l.problem)
BY_NAME: dict[str, Label] = {l.name: l for l in LABEL_INFO}

SUBTYPES: tuple[str, ...] = ("threat", "leverage", "restrictive_practice")
SUBTYPE_DESCRIPTIONS: dict[str, str] = {
    "threat": "A negative consequence stated if the person does not comply.",
    "leverage": "Something the person wants or is entitled to made conditional on compliance.",
    "restrictive_practice": "Restraint, seclusion, rapid tranquillisation, forced medication, "
                            "locked doors, searches without consent, detention as an event.",
}


def check_label(name: str) -> str:
    """Return ``name`` if it is a known label, else raise ValueError naming the valid ones."""
    if name not in BY_NAME:
        raise ValueError(f"unknown label {name!r}; expected one of {', '.join(LABELS)}")
    return name
