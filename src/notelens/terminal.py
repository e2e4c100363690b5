"""Terminal rendering for ``notelens check``: highlighted note plus a table of flags."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .labels import BY_NAME
from .results import NoteResult


def highlighted_note(result: NoteResult) -> Text:
    """The note with cue spans coloured and tagged with their label name (never colour alone)."""
    text = Text()
    pos = 0
    cues = sorted({(c.start, c.end, c.label) for u in result.units for c in u.cues})
    for start, end, label in cues:
        if start < pos:  # overlapping cue of another label: tag it, do not re-colour
            text.append(f"[{BY_NAME[label].title}]", style=f"bold {BY_NAME[label].colour}")
            continue
        text.append(result.text[pos:start])
        info = BY_NAME[label]
        text.append(result.text[start:end], style=f"bold underline {info.colour}")
        text.append(f"[{info.title}]", style=f"{info.colour}")
        pos = end
    text.append(result.text[pos:])
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
