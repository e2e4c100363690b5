"""The researchers' loop end to end on a small fixture, through the CLI:
Label Studio export -> import -> validate -> train a few steps -> evaluate against the shipped model -> select."""
from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from notelens.cli import app
from notelens.corpus import read_corpus
from notelens.interop import export_label_studio

from conftest import FIXTURES

runner = CliRunner()


def run(*args):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def test_annotate_retrain_compare_select(tmp_path):
    fixture = FIXTURES / "tiny_corpus.jsonl"
    notes = [n for n in read_corpus(fixture) if n.split != "test"]
    ls = tmp_path / "label_studio_export.json"
    ls.write_text(json.dumps(export_label_studio(notes)))  # what annotators hand back

    imported = tmp_path / "imported.jsonl"
    out = run("data", "import", ls, "--from", "label-studio", "-o", imported)
    assert f"converted {len(notes)} notes" in out
    assert "OK" in run("data", "validate", imported)

    model = tmp_path / "models" / "retrained"
    out = run("train", "--data", imported, "--config", tmp_path / "none.yaml", "--max-steps", "3", "--epochs", "1",
              "-o", model, "--test-reference", fixture)
    assert (model / "README.md").exists() and "Intended use" in (model / "README.md").read_text()
    card = json.loads((model / "notelens_config.json").read_text())
    assert card["training"]["data_sha256"] and card["training"]["config"]["max_steps"] == 3

    report_dir = tmp_path / "eval"
    out = run("evaluate", "--model", "baseline", "--model", model, "--data", fixture, "--split", "test",
              "--no-baselines", "-o", report_dir)
    report = json.loads((report_dir / "evaluation.json").read_text())
    assert len(report["systems"]) == 2 and report["comparisons"][0]["p_value_bootstrap"] is not None
    assert "Paired comparisons" in (report_dir / "evaluation.md").read_text()

    pool = tmp_path / "new_notes.csv"
    with pool.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        for n in read_corpus(fixture)[:6]:
            w.writerow([n.id, n.text])
    picks = tmp_path / "to_annotate.json"
    out = run("select", "--from", pool, "-n", "5", "--strategy", "mixed", "--model", model, "--reference", fixture,
              "-o", picks)
    tasks = json.loads(picks.read_text())
    assert len(tasks) == 5 and all(t["predictions"] for t in tasks)
    assert len({t["data"]["text"] for t in tasks}) == 5


def test_train_refuses_data_that_overlaps_the_test_split(tmp_path):
    notes = read_corpus(FIXTURES / "tiny_corpus.jsonl")
    for n in notes:
        n.split = None  # an outside annotation file: no split marks, test notes mixed in
    from notelens.corpus import write_corpus

    write_corpus(notes, tmp_path / "mine.jsonl")
    r = runner.invoke(app, ["train", "--data", str(tmp_path / "mine.jsonl"), "--max-steps", "1",
                            "-o", str(tmp_path / "m"), "--test-reference", str(FIXTURES / "tiny_corpus.jsonl"),
                            "--config", str(tmp_path / "none.yaml")])
    assert r.exit_code == 2
    assert "overlaps the test split" in r.stderr and "fx13" in r.stderr
    assert not (tmp_path / "m").exists()
