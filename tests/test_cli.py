"""The CLI in-process: check, predict, and one-line errors with non-zero exits for bad input."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from notelens.cli import app

from conftest import write_jsonl

runner = CliRunner()
NOTE = "S: Pt settled. He was restrained by four staff at 20:00.\n- She chose to phone her sister."


def test_check_text_json():
    r = runner.invoke(app, ["check", NOTE, "--json", "--model", "baseline"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [u["text"] for u in d["units"]][:2] == ["S: Pt settled.", "He was restrained by four staff at 20:00."]
    coercive = [u for u in d["units"] if "coercive" in u["labels"]]
    assert coercive and coercive[0]["subtype"] == "restrictive_practice"
    for u in d["units"]:
        assert NOTE[u["start"]:u["end"]] == u["text"]
        assert set(u) >= {"text", "start", "end", "labels", "scores", "subtype", "cues", "why", "suggestion"}


def test_check_file_and_table(tmp_path):
    f = tmp_path / "note.txt"
    f.write_text(NOTE)
    r = runner.invoke(app, ["check", str(f), "--model", "baseline"])
    assert r.exit_code == 0, r.output
    assert "Coercive" in r.stdout and "prompts for reflection" in r.stdout


def test_check_stdin():
    r = runner.invoke(app, ["check", "-", "--json", "--model", "baseline"], input=NOTE)
    assert r.exit_code == 0 and json.loads(r.stdout)["units"]


@pytest.mark.parametrize("args,content,message", [
    (["check", "missing/file.txt"], None, "file not found"),
    (["check", "{f}"], b"\xff\xfe\xfa bad bytes", "not UTF-8"),
    (["check", "{f}"], b"   \n", "is empty"),
    (["check", "{f}"], b"abc\x00\x01\x02", "binary"),
])
def test_check_bad_input(tmp_path, args, content, message):
    f = tmp_path / "in.txt"
    if content is not None:
        f.write_bytes(content)
    args = [a.replace("{f}", str(f)) for a in args] + ["--model", "baseline"]
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1


def test_predict_shape(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": NOTE}, {"id": 7, "text": "Settled."}])
    out = tmp_path / "out.jsonl"
    r = runner.invoke(app, ["predict", str(inp), "-o", str(out), "--model", "baseline"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert [x["id"] for x in rows] == ["a", "7"]
    assert len(rows[0]["units"]) == 3 and rows[1]["units"][0]["labels"] == []


def test_predict_whole(tmp_path):
    inp = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": NOTE}])
    out = tmp_path / "out.jsonl"
    r = runner.invoke(app, ["predict", str(inp), "-o", str(out), "--whole", "--model", "baseline"])
    assert r.exit_code == 0
    units = json.loads(out.read_text())["units"]
    assert len(units) == 1 and units[0]["text"] == NOTE and units[0]["end"] == len(NOTE)


@pytest.mark.parametrize("content,message", [
    (None, "file not found"),
    (b"", "is empty"),
    (b'{"id": 1, "text": "ok"}\nnot json\n', "line 2 is not JSON"),
    (b'{"id": 1}\n', 'line 1 has no "text"'),
    (b'{"id": 1, "text": "\xff"}\n', "line 1 is not UTF-8"),
    (b'{"id": 1, "text": "  "}\n', "line 1 has an empty text"),
    (b'[1, 2]\n', "line 1 is not a JSON object"),
])
def test_predict_bad_input(tmp_path, content, message):
    inp = tmp_path / "in.jsonl"
    if content is not None:
        inp.write_bytes(content)
    r = runner.invoke(app, ["predict", str(inp), "-o", str(tmp_path / "o.jsonl"), "--model", "baseline"])
    assert r.exit_code == 2, r.output
    assert message in r.stderr and "Traceback" not in r.output


def test_unknown_model_folder_is_a_clear_error(tmp_path):
    r = runner.invoke(app, ["check", "Settled.", "--model", str(tmp_path)])
    assert r.exit_code == 2 and "no NoteLens model" in r.stderr
