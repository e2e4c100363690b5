"""report.html in headless Chromium with the network blocked: it renders, charts are there, nothing leaves."""
from __future__ import annotations

from pathlib import Path

import pytest

from notelens.audit import AuditConfig, run_audit

from browser import browser_page, needs_chromium
from test_audit import known_notes, write_csv

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.mark.browser
@needs_chromium
def test_report_renders_offline(tmp_path, baseline_analyzer):
    inp = write_csv(tmp_path / "notes.csv", known_notes())
    run_audit(inp, tmp_path / "out", baseline_analyzer, AuditConfig(min_group_size=5), progress=False)
    report = tmp_path / "out" / "report.html"
    with browser_page() as (page, blocked):
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        assert page.title() == "NoteLens audit report"
        assert page.locator("figure svg").count() >= 3  # rates by team, trend, mix (+ cue charts)
        assert page.locator("h2", has_text="Methods").count() == 1
        assert page.get_by_text("screening aid").first.is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        page.emulate_media(media="print")
        pdf = page.pdf(path=str(ARTIFACTS / "report.pdf")) if hasattr(page, "pdf") else None
    assert blocked == []
    assert all(u.startswith("file://") or u.startswith("data:") for u in requests), requests
    assert pdf is None or len(pdf) > 1000
