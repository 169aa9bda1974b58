"""In a real browser: with script and image payloads stored in every free-text field
(tests/xss.py), the pages show them as text. No dialog opens, and the DOM holds no <script>,
<img src=x>, image from the payload's host, javascript: link or on…= handler from user text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import DEMO_SCALE, database_url, drop_database
from tests.e2e.conftest import StreamlitServer, click_tab, screenshot, wait_idle
from tests.xss import Stored, build_database

#: every element or attribute in the DOM that a payload could have made
INJECTED = """() => {
  const found = [];
  for (const s of document.scripts) {
    if (s.textContent.includes("alert(1)")) found.push("script: " + s.textContent.slice(0, 80));
  }
  for (const img of document.images) {
    const src = img.getAttribute("src") || "";
    if (src === "x" || src.includes("evil")) found.push("img src=" + src);
  }
  for (const el of document.querySelectorAll("a[href], iframe[src]")) {
    const url = el.getAttribute("href") || el.getAttribute("src") || "";
    if (url.trim().toLowerCase().startsWith("javascript:")) found.push(el.tagName + " " + url);
  }
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on") && attr.value.includes("alert")) {
        found.push(el.tagName + " " + attr.name + "=" + attr.value);
      }
    }
  }
  for (const el of document.querySelectorAll("svg[onload], iframe")) {
    if ((el.outerHTML || "").includes("alert")) found.push(el.outerHTML.slice(0, 80));
  }
  return found;
}"""


@pytest.fixture(scope="module")
def xss_app(tmp_db_dir: Path) -> Iterator[tuple[StreamlitServer, Stored]]:
    url = database_url("xss_e2e", tmp_db_dir)
    stored = build_database(url, scale=DEMO_SCALE)
    server = StreamlitServer(url)
    yield server, stored
    server.stop()
    drop_database(url)


def open_page(page: Page, server: StreamlitServer, path: str, dialogs: list[str]) -> None:
    page.goto(f"{server.url}/{path}")
    # a page's first run in a fresh server imports and migrates: give it longer than wait_idle
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=120_000
    )
    wait_idle(page)
    page.wait_for_timeout(800)  # an onerror/onload would have fired by now
    assert dialogs == [], f"{path}: a dialog opened: {dialogs}"
    assert page.evaluate(INJECTED) == [], f"{path}: injected into the DOM"


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    opened: list[str] = []

    def on_dialog(dialog) -> None:  # noqa: ANN001
        opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return opened


def test_patient_page_shows_the_payloads_as_text(page: Page, xss_app, dialogs) -> None:
    server, stored = xss_app
    open_page(page, server, f"patient?id={stored.patient_id}&som={stored.staff_initials}",
              dialogs)
    expect(page.get_by_role(
        "heading", name="XssFornavn <img src=x onerror=alert(1)> XssEfternavn ![x](http://evil/x.png)"
    )).to_be_visible()
    expect(page.get_by_text("XssProblemstilling: <script>alert(1)</script>").first).to_be_attached()
    click_tab(page, "Baggrund og mikroteam")
    wait_idle(page)
    expect(page.get_by_text("XssMikroteam <img src=x onerror=alert(1)>").last).to_be_visible()
    page.get_by_text("Rejs en problemstilling til tværfaglig konference").click()
    expect(page.get_by_text("XssProblemstilling: <script>alert(1)</script>").first).to_be_visible()
    assert dialogs == [] and page.evaluate(INJECTED) == []
    screenshot(page, "e2e_xss_patient")


def test_board_and_projection_show_the_payloads_as_text(page: Page, xss_app, dialogs) -> None:
    server, stored = xss_app
    day = stored.conference_day.isoformat()
    open_page(page, server, f"konference?dato={day}&som={stored.staff_initials}", dialogs)
    expect(page.get_by_text("XssAnledning: <script>alert(1)</script>").first).to_be_visible()
    expect(page.get_by_text("XssHoldmarkering: <script>").first).to_be_visible()
    screenshot(page, "e2e_xss_board")

    open_page(page, server, f"konference?dato={day}&visning=projektion"
              f"&som={stored.staff_initials}", dialogs)
    expect(page.get_by_role("heading", name="XssFornavn <img src=x")).to_be_visible()
    expect(page.get_by_role("heading", name="XssOverskrift <img src=x").first).to_be_visible()
    screenshot(page, "e2e_xss_projection")


def test_case_minutes_and_group_pages_show_the_payloads_as_text(
    page: Page, xss_app, dialogs
) -> None:
    server, stored = xss_app
    who = stored.staff_initials
    open_page(page, server, f"forbered_sag?sag={stored.item_id}&som={who}", dialogs)
    screenshot(page, "e2e_xss_case")
    expect(page.get_by_text("XssOverskrift <img src=x").first).to_be_visible()
    open_page(page, server, f"referat?dato={stored.conference_day.isoformat()}"
              f"&sag={stored.item_id}&som={who}", dialogs)
    expect(page.get_by_text("XssFornavn <img src=x").first).to_be_visible()
    open_page(page, server, f"opfoelgning?som={who}", dialogs)
    open_page(page, server, f"hold?hold={stored.group_id}&fane=Til+holdkonference&som={who}",
              dialogs)
    expect(page.get_by_role("heading", name="XssHold <script>alert(1)</script>")).to_be_visible()
    screenshot(page, "e2e_xss_hold")
