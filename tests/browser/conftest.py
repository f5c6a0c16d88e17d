"""Browser tests: Debian's Chromium driven by Playwright against the real stack (one browser per run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
# The PostgreSQL run keeps its own (the two suites may run side by side, as CI runs them).
SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
if os.environ.get("QINQING_TEST_DATABASE_URL"):
    SCREENSHOTS = SCREENSHOTS / "postgresql"
CHROMIUM = "/usr/bin/chromium"
# Playwright's own browser download is not used: Debian's Chromium is installed by scripts/setup.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.stack)


@pytest.fixture(scope="package")
def browser(stack):
    """One Chromium for all browser tests. Package-scoped: Playwright's sync API keeps an event loop
    running while it is open, which tests elsewhere (and the stack's own setup) must not meet, so it
    starts after the stack and closes when the browser tests are done."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
