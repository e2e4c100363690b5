"""Corpus validator: a valid fixture passes; each kind of defect is reported."""
from __future__ import annotations


from notelens.corpus import read_corpus, validate_corpus

from conftest import REPO, write_jsonl


def _note(**kw):
    text = "Pt settled. Told no leave unless she eats."
    d = {"id": "a", "setting": "acute_ward", "kind": "handover", "team": "T", "date": "2026-01-01", "text": text,
         "units": [{"start": 0, "end": 11, "labels": [], "subtype": None, "cues": []},
                   {"start": 12, "end": len(text), "labels": ["coercive"], "subtype": "leverage",
                    "cues": [{"start": 17, "end": len(text) - 1, "label": "coercive"}]}]}
    d.update(kw)
    return d


def test_fixture_is_valid(tiny_corpus):
    report = validate_corpus(tiny_corpus)
    assert report.errors == []
    assert report.notes == 16 and report.units > 200
    assert sum(report.label_counts.values()) > 0


def test_valid_minimal_note(tmp_path):
    r = validate_corpus(write_jsonl(tmp_path / "c.jsonl", [_note()]))
    assert r.errors == [] and r.label_counts["coercive"] == 1 and r.subtype_counts["leverage"] == 1


def test_defects_are_reported(tmp_path):
    bad_units = _note()
    bad_units["units"][1]["labels"] = ["coercive", "nonsense"]
    no_subtype = _note(id="b")
    no_subtype["units"][1]["subtype"] = None
    gap = _note(id="c")
    gap["units"] = gap["units"][:1]
    overlap = _note(id="d")
    overlap["units"][1]["start"] = 5
    cue_out = _note(id="e")
    cue_out["units"][1]["cues"][0]["end"] = 999
    dup = _note(id="e")
    rows = [bad_units, no_subtype, gap, overlap, cue_out, dup, {"id": "f"}]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    with path.open("a") as f:
        f.write("{not json\n")
    errors = "\n".join(validate_corpus(path).errors)
    for expected in ("unknown label 'nonsense'", "needs subtype", "not in any unit", "overlaps",
                     "not inside unit", "duplicate id", "missing keys", "not valid UTF-8 JSON"):
        assert expected in errors, expected


def test_shipped_corpus_is_valid_and_big_enough():
    path = REPO / "training" / "data" / "corpus.jsonl"
    report = validate_corpus(path)
    assert report.errors == []
    notes = read_corpus(path)
    assert {n.split for n in notes} == {"train", "dev", "test"}
    test_ids = {n.id for n in notes if n.split == "test"}
    assert test_ids and not test_ids & {n.id for n in notes if n.split != "test"}
