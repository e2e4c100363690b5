"""Terminal rendering for ``notelens check``: highlighted note plus a table of flags."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .highlight import label_pieces
from .labels import BY_NAME
from .results import NoteResult


def highlighted_note(result: NoteResult) -> Text:
    """The note with cue spans coloured and tagged with their label names (never colour alone)."""
    text = Text()
    for piece, labels in label_pieces(result):
        if not labels:
            text.append(piece)
            continue
        text.append(piece, style=f"bold underline {BY_NAME[labels[0]].colour}")
        text.append("[" + " + ".join(BY_NAME[l].title for l in labels) + "]", style=BY_NAME[labels[0]].colour)
    return text


def flags_table(result: NoteResult) -> Table:
    table = Table(title=f"Flags: {result.summary()}", show_lines=True)
    for col in ("#", "label", "conf.", "cue", "why", "suggestion"):
        table.add_column(col, overflow="fold")
    for i, unit in enumerate(result.units):
        for label in unit.labels:
            name = BY_NAME[label].title + (f" ({unit.subtype})" if label == "coercive" and unit.subtype else "")
            cue = "; ".join(c.text for c in unit.cues if c.label == label) or unit.text[:60]
            table.add_row(str(i + 1), Text(name, style=BY_NAME[label].colour), f"{unit.scores[label]:.2f}",
                          cue, unit.why.get(label, ""), unit.suggestion.get(label, "-"))
    return table


def print_result(result: NoteResult, analyzer, console: Console | None = None) -> None:
    console = console or Console()
    console.print(highlighted_note(result))
    console.print()
    if result.flagged:
        console.print(flags_table(result))
    else:
        console.print("No flags.")
    console.print(f"[dim]model: {analyzer.model_name} - flags are prompts for reflection, not verdicts.[/dim]")
