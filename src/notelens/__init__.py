"""NoteLens: flags coercive, paternalistic, trauma-unaware, stigmatizing and
strengths-based language in mental-health clinical notes.

    >>> import notelens
    >>> analyzer = notelens.load()
    >>> result = analyzer.analyze("Told if he refuses his depot again he loses his leave.")
    >>> result.summary()

Flags are prompts for reflection, not verdicts.
"""
from .analyzer import Analyzer, NoteTooLongError, load
from .labels import LABEL_INFO, LABELS, PROBLEM_LABELS, SUBTYPES, Label
from .results import Cue, NoteResult, UnitResult
from .segment import Unit, segment

__version__ = "0.1.0"

__all__ = [
    "Analyzer", "Cue", "LABEL_INFO", "LABELS", "Label", "NoteResult", "NoteTooLongError",
    "PROBLEM_LABELS", "SUBTYPES", "Unit", "UnitResult", "load", "segment", "__version__",
]
