"""Transparent cue-phrase baseline: spaCy phrase matching over the guidelines' lists.

A unit gets a label when a phrase of that label from ``rewording.yaml`` /
``strengths.yaml`` occurs in it, unless the match is negated ("no restraint was
required") or hypothetical ("if seclusion is needed") for the labels where that
reverses the meaning. It is the floor every trained model is compared against, and
it shows how much of the corpus a keyword list could do.
"""
from __future__ import annotations

from functools import cached_property
from typing import Sequence

from ..labels import LABELS
from ..rewording import load_table
from .base import UnitPrediction

# Words that negate a cue shortly before it ("no", "without") or after it ("not required").
PRE_NEGATION = {"no", "not", "n't", "never", "without", "nil", "denies", "denied", "avoided",
                "alternative", "alternatives", "instead", "neither", "nor", "none"}
POST_NEGATION = {("not", "required"), ("not", "needed"), ("not", "used"), ("not", "necessary"),
                 ("was", "avoided"), ("were", "avoided"), ("n't", "needed"), ("n't", "required")}
HYPOTHETICAL = {"if", "should", "consider", "would", "could", "may", "might", "unless", "whether"}
WINDOW = 5
# Negation flips these; for threats and leverage the negation is part of the condition
# ("if he doesn't take it ..."), and for paternalistic "not allowed" is itself the cue.
NEGATABLE = {"restrictive_practice", "trauma_unaware", "stigmatizing"}
MATCH_SCORE = 0.8  # not calibrated: the baseline is a rule, not a probability model
NO_MATCH_SCORE = 0.05


class CuePhraseBaseline:
    name = "cue-phrase-baseline"
    version = "rules-1"

    def __init__(self, use_negation: bool = True) -> None:
        self.use_negation = use_negation
        self.thresholds = {l: 0.5 for l in LABELS}

    @cached_property
    def _nlp(self):
        import spacy

        return spacy.blank("en")  # tokenizer only: fast, and matching needs no parse

    @cached_property
    def _matcher(self):
        from spacy.matcher import PhraseMatcher

        matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._entries = {}
        for entry in load_table():
            key = entry.id
            self._entries[key] = entry
            matcher.add(key, list(self._nlp.tokenizer.pipe(entry.phrases)))
        return matcher

    def _negated(self, doc, start: int, end: int) -> bool:
        before = {t.lower_ for t in doc[max(0, start - WINDOW): start]}
        if before & (PRE_NEGATION | HYPOTHETICAL):
            return True
        after = [t.lower_ for t in doc[end: end + 3]]
        return any(tuple(after[i:i + 2]) in POST_NEGATION for i in range(len(after) - 1))

    def predict(self, units: Sequence[str], contexts: Sequence[str] | None = None) -> list[UnitPrediction]:
        matcher = self._matcher
        out = []
        for doc in self._nlp.tokenizer.pipe(units):
            cues: list[tuple[int, int, str]] = []
            subtype_len: dict[str, int] = {}
            for match_id, s, e in matcher(doc):
                entry = self._entries[self._nlp.vocab.strings[match_id]]
                kind = entry.subtype or entry.label
                if self.use_negation and kind in NEGATABLE and self._negated(doc, s, e):
                    continue
                span = doc[s:e]
                cues.append((span.start_char, span.end_char, entry.label))
                if entry.subtype and len(span.text) > subtype_len.get(entry.subtype, 0):
                    subtype_len[entry.subtype] = len(span.text)
            labels = [l for l in LABELS if any(c[2] == l for c in cues)]
            scores = {l: MATCH_SCORE if l in labels else NO_MATCH_SCORE for l in LABELS}
            subtype = max(subtype_len, key=subtype_len.get) if "coercive" in labels else None
            out.append(UnitPrediction(scores, labels, subtype, _dedupe(cues)))
        return out


def _dedupe(cues: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Drop cues contained in a longer cue of the same label."""
    keep = []
    for c in sorted(set(cues), key=lambda c: (c[0], -(c[1] - c[0]))):
        if not any(k[2] == c[2] and k[0] <= c[0] and c[1] <= k[1] for k in keep):
            keep.append(c)
    return keep
