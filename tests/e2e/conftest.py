"""Browser tests: a real `streamlit run` on the demo test database, driven by Playwright in
Debian's Chromium (Playwright's own browser download does not work on our machines)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests import streamlit_server
from tests.streamlit_server import APP, ROOT, free_port  # noqa: F401 - free_port for tests

SCREENSHOTS = ROOT / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Debian's chromium is not installed: run scripts/ensure-chromium")
    return path


class StreamlitServer(streamlit_server.StreamlitServer):
    """The app itself on a database (`streamlit run app.py`), its log in .pytest_cache."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None) -> None:
        super().__init__(APP, {"DATABASE_URL": database_url} | (env or {}),
                         ROOT / ".pytest_cache")


@pytest.fixture(scope="session")
def app_server(demo_url: str) -> Iterator[StreamlitServer]:
    server = StreamlitServer(demo_url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="da-DK")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def wait_idle(page: Page) -> None:
    """Wait until the script run that an action started has finished."""
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=30_000
    )


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pick_option(page: Page, scope: Locator, label: str, text: str, attempts: int = 4) -> None:
    """Choose `text` in the select box `label`: open it, type to filter, click the option.

    Under load a rerun can close an open dropdown between the typing and the click, so the
    whole gesture is retried; the test fails only if the option never appears.
    """
    box = scope.get_by_role("combobox", name=label)
    option = page.get_by_role("option").filter(has_text=text).first
    for attempt in range(attempts):
        wait_idle(page)
        box.click()
        box.press_sequentially(text)
        try:
            option.click(timeout=8_000)
            return
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise
            box.press("Escape")
            box.fill("")


def click_tab(page: Page, name: str) -> None:
    """Open the tab `name`. During a rerun Streamlit can briefly keep the old tab bar beside the
    new one (two tabs of that name): the newest, the last in the page, is the one to click."""
    wait_idle(page)
    tabs = page.get_by_role("tab", name=name)
    expect(tabs.first).to_be_visible()
    tabs.last.click()
