"""A real `streamlit run` of any script (the app or the trivial page) and Debian's Chromium, for
the browser-side benchmarks. The same flags as the browser tests (tests/e2e/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.bench.views import APP
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path
from tests.streamlit_server import StreamlitServer

# In the page: the script has finished its run (fragments included).
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TIMEOUT_MS = 600_000  # what does not draw in ten minutes is reported as not drawn


@contextmanager
def server(script: Path = APP, env: dict[str, str] | None = None) -> Iterator[StreamlitServer]:
    running = StreamlitServer(script, env)
    try:
        yield running
    finally:
        running.stop()


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def wait_ms(
    page: Page, condition: str, arg: object = None, timeout: float = TIMEOUT_MS
) -> float:
    """Wait (checking every animation frame) until the JS `condition(arg)` is true; returns the
    page's clock (performance.now(), ms since the page was opened) at that frame."""
    handle = page.wait_for_function(
        f"(arg) => (({condition})(arg)) ? performance.now() : false",
        arg=arg, polling="raf", timeout=timeout,
    )
    return float(handle.json_value())


# In the page: click the first enabled button whose text is `label` as soon as there is one;
# the page's clock just before the click (so a figure holds no round trip to this process).
CLICK = """(label) => {
    const button = [...document.querySelectorAll('button')]
        .find(b => b.innerText.split('\\n')[0].trim() === label && !b.disabled);
    if (!button) return false;
    const t = performance.now();
    button.click();
    return t;
}"""


def click_ms(page: Page, label: str) -> float:
    """Click the button `label` from inside the page; the page's clock at the click."""
    handle = page.wait_for_function(CLICK, arg=label, polling="raf", timeout=TIMEOUT_MS)
    return float(handle.json_value())
