"""Browser fixtures: the app served by uvicorn on loopback and Debian's chromium driven by Playwright.

Playwright cannot download browsers here, so it drives ``/usr/bin/chromium``; when that is missing
the tests skip with the reason (CI's ``.ci/run`` installs it with apt first).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import build_world, served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@dataclass
class LiveServer:
    base_url: str
    patient_a: int
    patient_b: int


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from osteotwin.web.app import create_app

    url, a, b = build_world(tmp_path_factory.mktemp("browser") / "browser.sqlite3")
    with served(create_app(url, secret_key="browser-test-secret")) as base_url:
        yield LiveServer(base_url, a, b)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium); "
                    "Playwright cannot download browsers here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def web_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
