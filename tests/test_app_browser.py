"""The web demo in headless Chromium: paste a note, analyse, see labels and rows; upload a CSV, get a report.

The app runs as `python app.py` in a subprocess, as a user starts it, on a free local port,
with requests that try to leave the machine blocked and recorded.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from browser import browser_page, needs_chromium
from conftest import REPO
from test_audit import known_notes, write_csv

ARTIFACTS = REPO / "test-artifacts"
NOTE = ("Handover 21:30. Pt refused his olanzapine, told him if he doesn't take it he'll get the IM.\n"
        "Restrained by four staff and secluded overnight.\n"
        "Known frequent flyer, attention-seeking again.\n"
        "She chose to phone her sister and identified walking as what helps her.")
TITLES = {"COERCIVE", "PATERNALISTIC", "TRAUMA-UNAWARE", "STIGMATIZING", "STRENGTHS-BASED"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("app exited: " + proc.stdout.read().decode(errors="replace")[-2000:])
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("app did not start within 120 s")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.browser
@needs_chromium
def test_check_a_note(app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as (page, blocked):
        page.goto(app_url)
        page.fill("#note-input textarea", NOTE)
        t0 = time.perf_counter()
        page.click("#analyse")
        page.wait_for_function("document.querySelector('#summary').innerText.includes('units checked')",
                               timeout=30000)
        latency = time.perf_counter() - t0
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "app_check.png"), full_page=True)
        summary = page.inner_text("#summary")
        highlighted = page.inner_text("#highlighted").upper()
        table = page.inner_text("#flags-table")
    assert "not verdicts" in summary
    shown = {t for t in TITLES if t in highlighted}
    assert {"COERCIVE", "STIGMATIZING", "STRENGTHS-BASED"} <= shown, highlighted
    assert "Restrained by four staff" in table and "Coercive" in table
    assert blocked == [], blocked
    print(f"analyse round trip in the browser: {latency:.2f} s")


@pytest.mark.browser
@needs_chromium
def test_audit_a_file(app_url, tmp_path):
    csv_path = write_csv(tmp_path / "notes.csv", known_notes())
    with browser_page() as (page, blocked):
        page.goto(app_url)
        page.get_by_role("tab", name="Audit a file").click()
        page.set_input_files("#upload input[type=file]", str(csv_path))
        page.wait_for_function("document.querySelector('#audit-message').innerText.includes('Found columns')",
                               timeout=30000)
        page.click("#run-audit")
        page.wait_for_function("document.querySelector('#audit-message').innerText.includes('Audited')",
                               timeout=60000)
        page.wait_for_selector("#audit-charts svg", timeout=10000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "app_audit.png"), full_page=True)
        message = page.inner_text("#audit-message")
        downloads = page.inner_text("#downloads")
        charts = page.locator("#audit-charts svg").count()
    assert "Audited 25 notes" in message.replace("**", "")
    flat = downloads.replace("\n", "")
    assert "report.html" in flat and "units.parquet" in flat and charts >= 2
    assert blocked == [], blocked


@pytest.mark.browser
@needs_chromium
def test_about_tab(app_url):
    with browser_page() as (page, blocked):
        page.goto(app_url)
        page.get_by_role("tab", name="About the model").click()
        about = page.inner_text("#about")
    assert "Strengths-based" in about and "Intended use" in about
    assert blocked == []
