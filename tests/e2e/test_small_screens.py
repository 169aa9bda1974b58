"""In a real browser: the pages used at the conference at a laptop's 1366×768, an older
projector's 1024×768, and at 200 % zoom (WCAG 1.4.4 and 1.4.10): nothing in the page needs
sideways scrolling, every button and field lies inside the window, and no two controls overlap.

200 % zoom is what the browser does when a person zooms: the page is laid out for half the
width and height in CSS pixels, drawn with twice the pixels. A screenshot of each page at each
size goes to screenshots/ (small_<size>_<page>.png) to be looked at.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import screenshot, wait_idle

SIZES = {
    "1366x768": ({"width": 1366, "height": 768}, 1),
    "1024x768": ({"width": 1024, "height": 768}, 1),
    "zoom200": ({"width": 683, "height": 384}, 2),  # 1366×768 at 200 %
}
PAGES = {
    "tavle": "konference",
    "projektion": "konference?visning=projektion",
    "forbered_sag": "forbered_sag",
    "referat": "referat",
    "opfoelgning": "opfoelgning",
    "patienter": "patienter",
    "hold": "hold",
    "evaluering": "evaluering",
}

#: What does not fit: the page's sideways overflow, controls outside the window, and pairs of
#: controls drawn over each other (their boxes intersect by more than a pixel each way).
LAYOUT_PROBLEMS = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (main.scrollWidth > main.clientWidth + 1) {
    const wide = [...main.querySelectorAll("[data-testid]")]
      .filter(e => e.getBoundingClientRect().right > main.getBoundingClientRect().right + 1)
      .map(e => e.getAttribute("data-testid"));
    problems.push(`the page scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`
                  + ` (${[...new Set(wide)].slice(-3).join(", ")})`);
  }
  const controls = [...main.querySelectorAll("button, input, textarea, [role='combobox'], a")]
    .filter(e => {
      const r = e.getBoundingClientRect();
      const style = getComputedStyle(e);
      return r.width > 0 && r.height > 0 && style.visibility !== "hidden"
        && !e.closest("[data-testid='stDataFrame'], [data-testid='stVegaLiteChart']")
        && !e.closest("details:not([open]), [aria-hidden='true']");
    });
  const name = e => (e.innerText || e.getAttribute("aria-label") || e.tagName).trim().slice(0, 40);
  for (const e of controls) {
    const r = e.getBoundingClientRect();
    if (r.left < -1 || r.right > width + 1) problems.push(`outside the window: ${name(e)}`);
    // a button whose label is cut off ("Hent årsrappo…")
    if (e.tagName === "BUTTON" && [e, ...e.querySelectorAll("*")].some(
        t => t.scrollWidth > t.clientWidth + 1
          && getComputedStyle(t).textOverflow === "ellipsis")) {
      problems.push(`label cut off: ${name(e)}`);
    }
  }
  const boxes = controls.filter(e => !controls.some(o => o !== e && o.contains(e)))
    .map(e => [e, e.getBoundingClientRect()]);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (x > 1 && y > 1) problems.push(`overlap: ${name(a)} / ${name(b)}`);
    }
  }
  return problems;
}"""


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    viewport, scale = SIZES[request.param]
    context = browser.new_context(viewport=viewport, device_scale_factor=scale,
                                  locale="da-DK")
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield request.param, tab
    context.close()


def test_every_conference_page_fits_small_screens_and_zoom(sized, app_server) -> None:
    size, page = sized
    page.goto(app_server.url)  # the first visit runs app.py (its navigation) on the server
    wait_idle(page)
    found = {}
    for name, path in PAGES.items():
        page.goto(f"{app_server.url}/{path}")
        wait_idle(page)
        # drawn in full: no element still waiting for its first draw
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
        expect(page.get_by_test_id("stMain").locator("h1, h2, h3").first).to_be_visible()
        problems = page.evaluate(LAYOUT_PROBLEMS)
        if problems:
            found[name] = problems
        screenshot(page, f"small_{size}_{name}")
    assert not found, found
