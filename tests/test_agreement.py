"""Agreement statistics against known values, and the disagreement listing."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from notelens.agreement import agreement, cohen_kappa, krippendorff_alpha_nominal
from notelens.corpus import read_corpus, write_corpus


def test_kappa_matches_sklearn():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 200)
    b = np.where(rng.random(200) < 0.8, a, 1 - a)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_krippendorff_alpha_known_value():
    # Krippendorff (2011) nominal example, 4 coders x 12 units (NaN = missing): alpha = 0.743
    nan = np.nan
    data = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
                     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
                     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
                     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])
    assert krippendorff_alpha_nominal(data) == pytest.approx(0.743, abs=1e-3)


def test_agreement_report(tmp_path, tiny_corpus):
    notes = read_corpus(tiny_corpus)
    write_corpus(notes, tmp_path / "a.jsonl")
    changed = 0
    for n in notes[:4]:
        for u in n.units:
            if "coercive" in u.labels:
                u.labels.remove("coercive")
                u.subtype = None
                u.cues = [c for c in u.cues if c.label != "coercive"]
                changed += 1
    write_corpus(notes, tmp_path / "b.jsonl")
    r = agreement([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert r.per_label["paternalistic"]["kappa"] == 1.0
    assert r.per_label["coercive"]["kappa"] < 1.0
    assert len(r.disagreements) == changed
    md = r.render_markdown()
    assert "Cohen's kappa" in md and "(neutral)" in md
    json.dumps(r.to_dict())
