"""Batch audit: known answers, every bad-row kind, resume, bounded memory, Parquet/JSONL input."""
from __future__ import annotations

import csv
import json
import tracemalloc

import pandas as pd
import pytest

from notelens.audit import AuditConfig, run_audit
from notelens.errors import InputError
from notelens.report import poisson_rate_ci, wilson

FLAG = "He was restrained by four staff."
PLAIN = "Slept well. Ate breakfast."


def known_notes():
    """Team A: 10 notes, 4 with a restraint sentence (one of them twice). Team B: 12 notes, none.
    Team C: 3 notes (folded into 'other'). Two months."""
    rows = []
    for i in range(10):
        text = PLAIN + (" " + FLAG if i < 4 else "") + (" " + FLAG if i == 0 else "")
        rows.append({"id": f"a{i}", "team": "A", "date": "2026-01-15" if i < 5 else "2026-02-15", "text": text})
    rows += [{"id": f"b{i}", "team": "B", "date": "2026-01-10", "text": PLAIN} for i in range(12)]
    rows += [{"id": f"c{i}", "team": "C", "date": "2026-02-01", "text": FLAG} for i in range(3)]
    return rows


def write_csv(path, rows, cols=("id", "team", "date", "text")):
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    return path


def test_wilson_and_poisson_known_values():
    lo, hi = wilson(4, 10)
    assert lo == pytest.approx(0.1682, abs=1e-4) and hi == pytest.approx(0.6873, abs=1e-4)
    lo, hi = poisson_rate_ci(5, 10)  # 5 flags in 10 notes: 50 per 100, exact [16.2, 116.7]
    assert lo == pytest.approx(16.23, abs=0.01) and hi == pytest.approx(116.68, abs=0.01)


def test_round_trip_known_rates(tmp_path, baseline_analyzer):
    inp = write_csv(tmp_path / "notes.csv", known_notes())
    s = run_audit(inp, tmp_path / "out", baseline_analyzer, AuditConfig(min_group_size=10), progress=False)
    assert (s.read, s.scored, s.rejected) == (25, 25, 0)
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    a = summary[(summary.group == "A") & (summary.period == "all")].iloc[0]
    assert a.notes == 10 and a.coercive_notes_flagged == 4 and a.coercive_flags == 5
    assert a.coercive_share == pytest.approx(0.4)
    assert a.coercive_share_lo == pytest.approx(0.1682, abs=1e-3)
    assert a.coercive_per_100 == pytest.approx(50.0)
    b = summary[(summary.group == "B") & (summary.period == "all")].iloc[0]
    assert b.coercive_share == 0 and b.notes == 12
    assert "C" not in set(summary.group)
    other = summary[(summary.group == "other (small groups)") & (summary.period == "all")].iloc[0]
    assert other.notes == 3 and other.coercive_share == 1.0
    jan = summary[(summary.group == "A") & (summary.period == "2026-01")].iloc[0]
    assert jan.notes == 5 and jan.coercive_notes_flagged == 4
    units = pd.read_parquet(tmp_path / "out" / "units.parquet")
    assert set(units.columns) >= {"note_id", "start", "end", "text", "labels", "scores", "subtype", "cues"}
    flagged = units[units.labels.map(lambda x: "coercive" in list(x))]
    assert len(flagged) == 8 and set(flagged.subtype) == {"restrictive_practice"}
    notes = pd.read_parquet(tmp_path / "out" / "notes.parquet")
    assert len(notes) == 25 and notes.n_coercive.sum() == 8
    html = (tmp_path / "out" / "report.html").read_text()
    assert "folded into" in html and "<svg" in html and "screening aid" in html


def test_every_bad_row_kind_is_rejected_with_reason(tmp_path, baseline_analyzer):
    lines = [json.dumps({"id": "ok1", "team": "A", "date": "2026-01-01", "text": PLAIN}),
             json.dumps({"id": "empty", "team": "A", "date": "2026-01-01", "text": "   "}),
             json.dumps({"id": "num", "team": "A", "date": "2026-01-01", "text": 42}),
             json.dumps({"id": "big", "team": "A", "date": "2026-01-01", "text": "x " * 3000}),
             json.dumps({"id": "date", "team": "A", "date": "31/31/2026", "text": PLAIN}),
             json.dumps({"id": "nodate", "team": "A", "text": PLAIN}),
             json.dumps({"id": "nul", "team": "A", "date": "2026-01-01", "text": "abc\u0000def"}),
             "{this is not json",
             json.dumps(["a", "list"]),
             json.dumps({"id": "ok2", "team": "A", "date": "2026-01-02", "text": FLAG}),
             '{"id": "cut", "team": "A", "date": "2026-01-0']  # truncated last line
    inp = tmp_path / "notes.jsonl"
    inp.write_bytes(("\n".join(lines)).encode() + b"\n" + b'{"id": "bin", "text": "\xff\xfe"}\n')
    s = run_audit(inp, tmp_path / "out", baseline_analyzer, AuditConfig(max_chars=5000, chunk_size=4),
                  progress=False)
    assert s.read == 12 and s.scored == 2 and s.rejected == 10 and s.balanced
    rejects = pd.read_csv(tmp_path / "out" / "rejects.csv", dtype=str)
    reasons = " | ".join(rejects.reason)
    for expected in ("empty text", "not a string", "over the size limit", "unparseable date", "missing date",
                     "NUL bytes", "not valid JSON", "not a JSON object", "not UTF-8"):
        assert expected in reasons, expected


def test_truncated_csv_loses_nothing(tmp_path, baseline_analyzer):
    inp = write_csv(tmp_path / "n.csv", known_notes()[:6])
    with inp.open("a") as f:
        f.write('x9,A,2026-01-01,"an unterminated quoted note that was cut off')
    s = run_audit(inp, tmp_path / "out", baseline_analyzer, AuditConfig(min_group_size=1), progress=False)
    assert s.scored == 6 and s.rejected == 1 and s.read == 7


def test_missing_columns_are_named(tmp_path, baseline_analyzer):
    inp = write_csv(tmp_path / "n.csv", known_notes()[:2])
    with pytest.raises(InputError, match="column 'body' .*--text-col"):
        run_audit(inp, tmp_path / "o", baseline_analyzer, AuditConfig(text_col="body"), progress=False)
    with pytest.raises(InputError, match="column 'ward'"):
        run_audit(inp, tmp_path / "o", baseline_analyzer, AuditConfig(group_by=["ward"]), progress=False)
    with pytest.raises(InputError, match="--period"):
        AuditConfig(period="fortnight")


def test_resume_after_interruption_scores_each_note_once(tmp_path, baseline_analyzer):
    rows = known_notes() * 4
    for i, r in enumerate(rows):
        r = r.copy()
    rows = [{**r, "id": f"{r['id']}-{i}"} for i, r in enumerate(rows)]
    inp = write_csv(tmp_path / "n.csv", rows)
    cfg = AuditConfig(chunk_size=7, min_group_size=1)
    with pytest.raises(KeyboardInterrupt):
        run_audit(inp, tmp_path / "out", baseline_analyzer, cfg, progress=False, stop_after_chunks=3)
    done_parts = sorted((tmp_path / "out" / "parts").glob("notes-*.parquet"))
    assert len(done_parts) == 3
    mtimes = {p.name: p.stat().st_mtime_ns for p in done_parts}
    s = run_audit(inp, tmp_path / "out", baseline_analyzer, cfg, resume=True, progress=False)
    assert s.read == len(rows) and s.scored == len(rows)
    notes = pd.read_parquet(tmp_path / "out" / "notes.parquet")
    assert sorted(notes.note_id) == sorted(r["id"] for r in rows)  # none twice, none lost
    assert {p.name: p.stat().st_mtime_ns for p in done_parts} == mtimes  # finished chunks not redone


def test_parquet_and_jsonl_inputs_agree(tmp_path, baseline_analyzer):
    rows = known_notes()
    pd.DataFrame(rows).to_parquet(tmp_path / "n.parquet")
    (tmp_path / "n.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    a = run_audit(tmp_path / "n.parquet", tmp_path / "p", baseline_analyzer, AuditConfig(), progress=False)
    b = run_audit(tmp_path / "n.jsonl", tmp_path / "j", baseline_analyzer, AuditConfig(), progress=False)
    assert a.scored == b.scored == 25
    pa_ = pd.read_csv(tmp_path / "p" / "summary.csv")
    pj = pd.read_csv(tmp_path / "j" / "summary.csv")
    pd.testing.assert_frame_equal(pa_, pj)


def test_generated_file_streams_in_bounded_memory(tmp_path, baseline_analyzer):
    """3,000 notes here (the benchmark runs 100,000): memory must not grow with input size."""
    rows = [{"id": f"n{i}", "team": f"T{i % 7}", "date": f"2026-{1 + i % 9:02d}-01",
             "text": (PLAIN + " " + FLAG) if i % 5 == 0 else PLAIN * 3} for i in range(3000)]
    inp = write_csv(tmp_path / "big.csv", rows)
    tracemalloc.start()
    s = run_audit(inp, tmp_path / "out", baseline_analyzer, AuditConfig(chunk_size=250), progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert s.scored == 3000 and s.balanced
    assert peak < 80 * 2**20, f"peak traced memory {peak / 2**20:.0f} MB"


def test_wilson_bounds_contain_the_share_at_the_extremes():
    for k, n in ((0, 3), (3, 3), (0, 1), (7, 7), (0, 1000)):
        lo, hi = wilson(k, n)
        assert lo <= k / n <= hi


def test_a_note_that_cannot_be_scored_is_rejected_not_fatal(tmp_path, baseline_analyzer):
    class Flaky:
        """Fails on one note: the chunk falls back to scoring notes one by one."""

        model_name, thresholds = baseline_analyzer.model_name, baseline_analyzer.thresholds

        def analyze_many(self, texts):
            raise RuntimeError("batch failed")

        def analyze(self, text):
            if "poison" in text:
                raise RuntimeError("cannot score this one")
            return baseline_analyzer.analyze(text)

    rows = known_notes()[:5] + [{"id": "p", "team": "A", "date": "2026-01-01", "text": "poison pill"}]
    inp = write_csv(tmp_path / "n.csv", rows)
    s = run_audit(inp, tmp_path / "out", Flaky(), AuditConfig(min_group_size=1), progress=False)
    assert (s.read, s.scored, s.rejected) == (6, 5, 1)
    reasons = pd.read_csv(tmp_path / "out" / "rejects.csv").reason.tolist()
    assert reasons == ["could not be scored (RuntimeError: cannot score this one)"]
