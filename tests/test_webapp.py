"""The functions behind each tab of the web demo."""
from __future__ import annotations

import pytest

from notelens.errors import InputError
from notelens.results import Cue, NoteResult, UnitResult
from notelens import webapp

from test_audit import known_notes, write_csv


def _result():
    text = "Told if she keeps attention-seeking she will be secluded. Slept."
    a = text.index("attention-seeking")
    b = a + len("attention-seeking")
    end = text.index(".") + 1
    u = UnitResult(text[:end], 0, end, ["coercive", "trauma_unaware"], {}, "threat",
                   [Cue(5, end - 1, "coercive", text[5:end - 1]), Cue(a, b, "trauma_unaware", text[a:b])])
    return NoteResult(text, [u, UnitResult("Slept.", end + 1, end + 7, [], {})], "m")


def test_highlight_segments_combine_overlaps_and_cover_the_text():
    pieces = webapp.highlight_segments(_result())
    assert "".join(t for t, _ in pieces) == _result().text
    cats = [c for _, c in pieces if c]
    assert cats == ["Coercive", "Coercive + Trauma-unaware", "Coercive"]
    assert ("attention-seeking", "Coercive + Trauma-unaware") in pieces


def test_check_note_returns_summary_spans_and_rows(baseline_analyzer):
    md, pieces, rows = webapp.check_note(baseline_analyzer, "He was restrained by four staff.\nShe chose to rest.")
    assert "1 coercive" in md and "not verdicts" in md
    assert any(c == "Coercive" for _, c in pieces)
    assert {r[1] for r in rows} == {"Coercive", "Strengths-based"}
    assert all(len(r) == len(webapp.TABLE_HEADERS) for r in rows)


@pytest.mark.parametrize("text,message", [("", "empty"), ("   ", "empty"), ("a\x00b", "binary"),
                                          ("x" * (webapp.MAX_NOTE_CHARS + 1), "characters")])
def test_check_note_friendly_errors(baseline_analyzer, text, message):
    with pytest.raises(InputError, match=message):
        webapp.check_note(baseline_analyzer, text)


def test_upload_columns_and_errors(tmp_path):
    good = write_csv(tmp_path / "n.csv", known_notes()[:3])
    assert webapp.upload_columns(str(good)) == ["id", "team", "date", "text"]
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(InputError, match="binary"):
        webapp.upload_columns(str(binary))
    with pytest.raises(InputError, match="unknown input format"):
        webapp.upload_columns(str(tmp_path / "x.docx"))
    with pytest.raises(InputError, match="Upload"):
        webapp.upload_columns(None)


def test_audit_upload_produces_charts_table_and_files(tmp_path, baseline_analyzer):
    path = write_csv(tmp_path / "n.csv", known_notes())
    work = tmp_path / "session"
    work.mkdir()
    html, table, files, msg = webapp.audit_upload(baseline_analyzer, str(path), "text", "team", "date", work)
    assert "<svg" in html and "25" in msg
    assert list(table["group"])[-1] == "All teams (service)"
    assert {p.split("/")[-1] for p in files} >= {"report.html", "summary.csv", "units.parquet"}
    with pytest.raises(InputError, match="not in the file"):
        webapp.audit_upload(baseline_analyzer, str(path), "body", None, None, work)


def test_uploads_move_into_the_session_folder_which_is_deleted(tmp_path, monkeypatch):
    monkeypatch.setattr(webapp, "SESSION_ROOT", tmp_path / "sessions")
    d = webapp.session_dir("abc")
    upload = write_csv(tmp_path / "gradio_cache_upload.csv", known_notes()[:2])
    stored = webapp.store_upload(str(upload), d)
    assert stored.parent == d and stored.exists() and not upload.exists()
    webapp.drop_session("abc")
    assert not d.exists()


def test_about_lists_every_label():
    md = webapp.about_markdown()
    for title in ("Coercive", "Paternalistic", "Trauma-unaware", "Stigmatizing", "Strengths-based"):
        assert title in md


def test_auth_must_be_user_colon_password():
    with pytest.raises(InputError):
        webapp.serve(auth="nopassword", model="baseline", prevent_thread_lock=True)
