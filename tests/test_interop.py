"""Import from Label Studio, doccano and CSV; export to Label Studio with pre-annotations."""
from __future__ import annotations

import json

import pytest

from notelens.errors import InputError
from notelens.interop import export_label_studio, import_file, label_studio_config, normalise_label
from notelens.corpus import read_corpus

TEXT = "Pt settled overnight.\nTold no leave unless she takes the depot.\nShe chose to call her sister."


def ls_task(results, **data):
    return {"id": 1, "data": {"text": TEXT, **data}, "annotations": [{"result": results}]}


def span(s, e, label, t="labels"):
    return {"from_name": "label", "to_name": "text", "type": t, "value": {"start": s, "end": e, "labels": [label]}}


def test_normalise_label_forms():
    assert normalise_label("Coercive") == ("coercive", None)
    assert normalise_label("coercive:threat") == ("coercive", "threat")
    assert normalise_label("coercive/leverage") == ("coercive", "leverage")
    assert normalise_label("Trauma-unaware") == ("trauma_unaware", None)
    assert normalise_label("stigmatising") == ("stigmatizing", None)
    assert normalise_label("restrictive_practice") == ("coercive", "restrictive_practice")
    assert normalise_label("rude") == (None, None)


def test_label_studio_spans_become_units_and_cues(tmp_path):
    s = TEXT.index("no leave")
    e = TEXT.index(" depot") + len(" depot")
    c = TEXT.index("She chose")
    tasks = [ls_task([span(s, e, "coercive:leverage"), span(c, c + 9, "Strengths-based"), span(0, 3, "nonsense")],
                     team="Willow", setting="acute_ward"),
             {"id": 2, "data": {"text": ""}, "annotations": []},
             {"id": 3, "data": {"text": "Restrained."}, "annotations": [{"result": [
                 {"type": "choices", "value": {"choices": ["coercive:restrictive_practice"]}}]}]}]
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(tasks))
    notes, report = import_file("label-studio", path)
    assert report.converted == 2
    problems = "\n".join(report.problems)
    assert "unknown label 'nonsense'" in problems and "task 2: no text" in problems
    units = notes[0].units
    assert [u.labels for u in units] == [[], ["coercive"], ["strengths_based"]]
    assert units[1].subtype == "leverage" and notes[0].team == "Willow"
    cue = units[1].cues[0]
    assert TEXT[cue.start:cue.end] == "no leave unless she takes the depot"
    assert notes[1].units[0].labels == ["coercive"] and notes[1].units[0].subtype == "restrictive_practice"


def test_doccano_spans_and_classification(tmp_path):
    s = TEXT.index("no leave")
    lines = [{"text": TEXT, "label": [[s, s + 8, "coercive:leverage"]]},
             {"text": "Known frequent flyer.", "label": ["stigmatizing"]},
             {"text": "x", "label": [1, 2]}]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(l) + "\n" for l in lines))
    notes, report = import_file("doccano", path)
    assert len(notes) == 2 and "neither" in report.problems[0]
    assert notes[0].units[1].labels == ["coercive"] and notes[1].units[0].labels == ["stigmatizing"]


def test_csv_rows_are_units_grouped_by_note(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("note_id,text,labels,subtype\n"
                    "a,Pt settled. Ate well.,,\n"
                    "a,Told he loses leave if he refuses.,coercive,threat\n"
                    'b,Strengths include art.,"[""strengths_based""]",\n')
    notes, report = import_file("csv", path)
    assert [len(n.units) for n in notes] == [2, 1]  # a CSV row stays one unit even with two sentences
    assert notes[0].units[1].labels == ["coercive"] and notes[0].units[1].subtype == "threat"
    assert notes[1].units[0].labels == ["strengths_based"]


def test_import_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        import_file("csv", tmp_path / "missing.csv")
    with pytest.raises(InputError, match="unknown format"):
        import_file("brat", tmp_path / "x")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(InputError, match="not a Label Studio JSON"):
        import_file("label-studio", bad)


def test_export_round_trips_through_import(tmp_path, tiny_corpus, baseline_analyzer):
    notes = read_corpus(tiny_corpus)[:3]
    tasks = export_label_studio(notes, baseline_analyzer)
    assert all("predictions" in t and t["predictions"][0]["model_version"] for t in tasks)
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    back, _ = import_file("label-studio", path)
    gold = {(n.id, l) for n in notes for u in n.units for l in u.labels}
    again = {(n.id, l) for n in back for u in n.units for l in u.labels}
    assert gold == again
    assert "coercive:threat" in label_studio_config()
