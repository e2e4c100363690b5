"""Choose what to annotate next: units the model is unsure about and unlike the corpus.

- ``uncertainty``: units whose calibrated score for some label is closest to that
  label's decision threshold;
- ``diverse``: units least like anything the corpus already has (MiniLM cosine), picked
  greedily so the picks also differ from one another;
- ``mixed``: uncertainty times novelty, with the same greedy spread.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .labels import LABELS

STRATEGIES = ("uncertainty", "diverse", "mixed")


@dataclass
class Candidate:
    note_id: str
    start: int
    end: int
    text: str
    uncertainty: float
    novelty: float
    score: float
    predicted: list[str]


def uncertainty_of(scores: dict[str, float], thresholds: dict[str, float]) -> float:
    """1 at a label's threshold, falling to 0 at certainty (0 or 1); max over labels."""
    return max(1 - abs(scores[l] - thresholds[l]) / max(thresholds[l], 1 - thresholds[l]) for l in LABELS)


def greedy_spread(embeddings: np.ndarray, base: np.ndarray, n: int, min_gap: float = 0.1) -> list[int]:
    """Pick by base score, skipping candidates too similar (cosine > 1 - min_gap) to a pick."""
    order = np.argsort(-base)
    picked: list[int] = []
    for i in order:
        if len(picked) == n:
            break
        if picked and float((embeddings[picked] @ embeddings[i]).max()) > 1 - min_gap:
            continue
        picked.append(int(i))
    if len(picked) < n:  # not enough spread-out candidates: fill by score
        rest = [int(i) for i in order if int(i) not in set(picked)]
        picked += rest[: n - len(picked)]
    return picked


def select_units(analyzer, notes: list[tuple[str, str]], n: int, strategy: str,
                 reference_texts: list[str] | None = None, seed: int = 0) -> list[Candidate]:
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if n < 1:
        raise InputError("-n must be at least 1")
    results = analyzer.analyze_many([t for _, t in notes])
    cands: list[Candidate] = []
    th = analyzer.thresholds
    for (nid, _), res in zip(notes, results):
        for u in res.units:
            if len(u.text.split()) < 3:  # headings and stubs teach nothing
                continue
            cands.append(Candidate(nid, u.start, u.end, u.text, uncertainty_of(u.scores, th), 0.0, 0.0,
                                   list(u.labels)))
    if not cands:
        raise InputError("no units to choose from")
    from .baselines import embed

    emb = embed([c.text for c in cands])
    if reference_texts:
        ref = embed(reference_texts)
        nov = 1 - np.max(np.concatenate([emb[s:s + 512] @ ref.T for s in range(0, len(emb), 512)]), axis=1)
    else:
        nov = np.ones(len(cands))
    for c, v in zip(cands, nov):
        c.novelty = float(v)
    unc = np.array([c.uncertainty for c in cands])
    base = {"uncertainty": unc, "diverse": nov, "mixed": unc * (0.5 + nov)}[strategy]
    # A tiny seeded jitter breaks ties reproducibly.
    base = base + np.random.default_rng(seed).uniform(0, 1e-6, len(base))
    picks = greedy_spread(emb, base, min(n, len(cands)), 0.0 if strategy == "uncertainty" else 0.1)
    for i in picks:
        cands[i].score = float(base[i])
    return [cands[i] for i in picks]
