"""Headless Debian Chromium through Playwright, with every non-local request blocked and recorded."""
from __future__ import annotations

import shutil
from contextlib import contextmanager

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make browser)")


@contextmanager
def browser_page(allow_prefixes=("file://", "http://127.0.0.1", "http://localhost", "data:", "blob:")):
    """Yield (page, blocked): blocked lists every request that tried to leave the machine."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})

        def route(r):
            if r.request.url.startswith(allow_prefixes):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        try:
            yield page, blocked
        finally:
            context.close()
            browser.close()
