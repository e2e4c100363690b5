"""Split a note into pieces that carry the same set of cue labels, for highlighting.

Cue spans of different labels can overlap; both the terminal view and the web demo show
each piece once, with every label that covers it (colour plus the label's name).
"""
from __future__ import annotations

from .labels import LABELS
from .results import NoteResult


def label_pieces(result: NoteResult) -> list[tuple[str, tuple[str, ...]]]:
    """(text, labels covering it) pieces that concatenate back to the note text."""
    text = result.text
    marks: list[set[str]] = [set() for _ in range(len(text))]
    for u in result.units:
        for c in u.cues:
            for i in range(c.start, min(c.end, len(text))):
                marks[i].add(c.label)
    pieces: list[tuple[str, tuple[str, ...]]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or marks[i] != marks[start]:
            pieces.append((text[start:i], tuple(l for l in LABELS if l in marks[start])))
            start = i
    return pieces
