"""A live server on the embedded default (a SQLite file, the demo seeded) and headless Chromium.

Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH): Playwright's own browser download
is not used. Without Chromium these tests are skipped, or fail when CI=true.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from werkzeug.serving import make_server

from returnees import create_app
from returnees.core.db import EXTENSION as DB
from returnees.core.db import unit_of_work
from returnees.core.migrations import alembic_config
from returnees.demo.services import seed_demo
from tests.conftest import PASSWORD, unavailable

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts"
# Screenshots are artefacts to look at, not checks: they do not wait for web fonts (the pages use
# the system's fonts; waiting for document.fonts timed out once on a busy two-core machine).
os.environ.setdefault("PW_TEST_SCREENSHOT_NO_FONTS_READY", "1")


def save_screenshot(page, name: str) -> Path:
    """The whole page as a PNG under tests/artifacts, with animations and the caret still."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(
        path=str(path), full_page=True, animations="disabled", caret="hide", timeout=60_000
    )
    return path


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory):
    """The embedded default's app, served by `live_server`; tests may run its jobs."""
    database = tmp_path_factory.mktemp("live") / "returnees.sqlite3"
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": f"sqlite:///{database}"})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        with unit_of_work() as session:
            seed_demo(session, PASSWORD)
    yield app
    app.extensions[DB].engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    app = live_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(
            f"Chromium not found at {CHROMIUM}: `apt-get install chromium` or set CHROMIUM_PATH"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    return lambda name: save_screenshot(page, name)
