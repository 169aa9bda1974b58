"""Browser-side figures: Chromium (Playwright) against `streamlit run` on a demo centre.

    uv run python -m tests.bench.browser [--scale 10] [--clicks 10] [--loads 5] [--db URL]

Measured in the page itself (performance.now(), checked every animation frame), so the figures
hold what a person at the screen waits for, and no round trip to this process:

- board, first complete draw: from opening /konference (the leader's board of the meeting in
  progress) until the three parts, the current case's mark and the attendance form are drawn;
- board, "Næste ▶": from the leader's click until the next case is marked on the board;
- projection, "Næste ▶": from the click on the projected view until the next case is drawn
  ("Sag k af n: …"), what the room sees;
- the trivial page (tests/bench/trivial_page.py) beside them: first draw, and "Næste ▶" until
  its next "Sag" is drawn.

Every server is first opened at "/" once: Streamlit decides on a server's first run whether the
app uses st.navigation (see the report of issue 9).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conference.services import agenda
from conference.services.settings import next_conference_date
from db.session import make_engine, session_scope
from tests.bench.centre import centres
from tests.bench.serve import (
    IDLE,
    TIMEOUT_MS,
    chromium,
    click_ms,
    new_page,
    server,
    wait_ms,
)
from tests.bench.views import ROOT, leader, rewind_at_last_case

REWIND_SECONDS = 4  # the board's fragment re-reads every 3 s: time to show the rewound case

TRIVIAL = ROOT / "tests" / "bench" / "trivial_page.py"

# JS conditions, each `(arg) => bool`.
FRESH = "(el) => !el.closest('[data-stale=\"true\"]')"
BOARD_DRAWN = f"""(arg) => {{
    // The last things the board draws: part 3's heading, the attendance tab's closing note; and
    // the current case marked. Not "idle": the board's timers may keep it running for ever.
    const fresh = {FRESH};
    const parts = [...document.querySelectorAll('h3')].filter(fresh).map(h => h.innerText);
    const marked = [...document.querySelectorAll('[data-testid=stMarkdown]')].some(
        m => fresh(m) && m.innerText.includes('Nu:'));
    const last = [...document.querySelectorAll('[data-testid=stCaptionContainer]')].some(
        c => fresh(c) && c.innerText.startsWith('Hver ændring gemmes med det samme'));
    return marked && last && parts.some(t => t.startsWith('3. Faglig udvikling'));
}}"""
MARK_MOVED = f"""(previous) => {{
    const fresh = {FRESH};
    const marks = [...document.querySelectorAll('[data-testid=stMarkdown]')]
        .filter(m => fresh(m) && m.innerText.includes('Nu:'))
        .map(m => m.closest('[data-testid=stColumn]'));
    return marks.length > 0 && marks.every(c => c && !c.innerText.includes(previous));
}}"""
HEADER = f"""(prefix) => {{
    const fresh = {FRESH};
    return [...document.querySelectorAll('h1, h2')]
        .some(h => fresh(h) && h.innerText.startsWith(prefix));
}}"""
NEW_HEADER = f"""(previous) => {{
    const fresh = {FRESH};
    return [...document.querySelectorAll('h2')]
        .some(h => fresh(h) && h.innerText.startsWith('Sag ') && h.innerText !== previous);
}}"""
IDLE_NOW = f"() => !!document.querySelector(\"{IDLE}\")"


def _ms(value: float) -> str:
    return f"> {TIMEOUT_MS / 1000:.0f} s" if math.isinf(value) else f"{value:,.0f} ms"


def _median(values: list[float]) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"median {_ms(statistics.median(values)):>10} · min {_ms(min(values)):>10} · "
            f"p95 {_ms(p95):>10} · n={len(values)}")


def settle(page: Page, seconds: float = 0.5) -> None:
    """Give the run the last action started a moment to end (a board whose fragments keep it
    running is clicked anyway, as a leader would)."""
    with contextlib.suppress(Exception):
        wait_ms(page, IDLE_NOW, timeout=3_000)
    time.sleep(seconds)


def open_root(browser: Browser, url: str, query: str = "") -> None:
    """The first run of a fresh server goes through app.py (its st.navigation)."""
    page = new_page(browser)
    page.goto(url + "/" + query)
    wait_ms(page, "() => document.querySelectorAll('h1').length > 0", timeout=180_000)
    page.context.close()


def first_draws(browser: Browser, url: str, condition: str, loads: int) -> list[float]:
    times = []
    for _ in range(loads):
        page = new_page(browser)
        page.goto(url, wait_until="commit")
        try:
            times.append(wait_ms(page, condition))
        except PlaywrightTimeout:
            times.append(math.inf)
        page.context.close()
    return times


def steps(
    page: Page, url: str, today: dt.date, clicks: int, drawn: str, before: Callable[[], str]
) -> tuple[list[float], int]:
    """Click "Næste ▶" `clicks` times; each figure runs from the click until `drawn(before())`
    holds. Also counts the clicks that moved the meeting on by more than one case."""
    times, skipped = [], 0
    for _ in range(clicks):
        if rewind_at_last_case(url, today):
            time.sleep(REWIND_SECONDS)
        settle(page)
        _, _, position = meeting_state(url, today)
        previous = before()
        clicked = click_ms(page, "Næste ▶")
        try:
            times.append(wait_ms(page, drawn, previous) - clicked)
        except PlaywrightTimeout:
            times.append(math.inf)
        settle(page)
        skipped += meeting_state(url, today)[2] - position > 1
    return times, skipped


def trivial_clicks(page: Page, clicks: int) -> list[float]:
    times = []
    for k in range(2, clicks + 2):
        settle(page, 0.2)
        clicked = click_ms(page, "Næste ▶")
        times.append(wait_ms(page, HEADER, f"Sag {k}") - clicked)
    return times


def meeting_state(url: str, today: dt.date) -> tuple[str, list[str], int]:
    """The leader's initials, the discussion cases from the current one on, the position."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        initials = leader(session).initials
        conference = agenda.find_conference(session, next_conference_date(session, today))
        view = agenda.board(session, conference.id)
    engine.dispose()
    ids = [c.item_id for c in view.discussion]
    position = ids.index(view.current_item_id) if view.current_item_id in ids else 0
    return initials, [c.name for c in view.discussion][position:], position + 1


def current_name(url: str, today: dt.date) -> str:
    _, names, _ = meeting_state(url, today)
    return names[0] if names else ""


def current_header(page: Page) -> str:
    return page.evaluate(
        "() => ([...document.querySelectorAll('h2')].map(h => h.innerText)"
        ".find(t => t.startsWith('Sag ')) || '')"
    )


def run(url: str, browser: Browser, args: argparse.Namespace, today: dt.date) -> dict:
    figures: dict[str, list[float]] = {}
    skips: dict[str, int] = {}
    with server(env={"DATABASE_URL": url}) as app:
        initials, _, _ = meeting_state(url, today)
        rewind_at_last_case(url, today)  # a case on the board (an earlier run may have ended)
        open_root(browser, app.url, f"?som={initials}")
        board = f"{app.url}/konference?som={initials}"
        print("  board: first draws …", flush=True)
        figures["board, first complete draw"] = first_draws(browser, board, BOARD_DRAWN,
                                                            args.loads)
        print("  board: Næste ▶ …", flush=True)
        page = new_page(browser)
        page.goto(board)
        wait_ms(page, BOARD_DRAWN)
        name = "board, Næste ▶ until the next case is marked"
        figures[name], skips[name] = steps(
            page, url, today, args.clicks, MARK_MOVED, lambda: current_name(url, today)
        )
        page.context.close()
        print("  projection: Næste ▶ …", flush=True)
        rewind_at_last_case(url, today)
        page = new_page(browser)
        page.goto(f"{app.url}/konference?visning=projektion&som={initials}")
        wait_ms(page, HEADER, "Sag ")
        name = "projection, Næste ▶ until the next case is drawn"
        figures[name], skips[name] = steps(
            page, url, today, args.clicks, NEW_HEADER, lambda: current_header(page)
        )
        page.context.close()
    with server(TRIVIAL) as trivial:
        print("  trivial page …", flush=True)
        open_root(browser, trivial.url)
        drawn = f"(arg) => ({HEADER})('Sag 1') && ({IDLE_NOW})()"
        figures["trivial page, first complete draw"] = first_draws(
            browser, trivial.url, drawn, args.loads
        )
        page = new_page(browser)
        page.goto(trivial.url)
        wait_ms(page, drawn)
        figures["trivial page, Næste ▶ until the next Sag is drawn"] = trivial_clicks(
            page, args.clicks
        )
        page.context.close()
    for name, count in skips.items():
        figures[f"{name}: clicks that moved on two cases"] = [float(count)]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.browser", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--clicks", type=int, default=10, help="'Næste' clicks per view")
    parser.add_argument("--loads", type=int, default=5, help="first draws of each page")
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (…/test)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse a SQLite file already in --workdir")
    args = parser.parse_args(argv)
    today = dt.date.fromisoformat(os.environ["KT_TODAY"]) if os.environ.get("KT_TODAY") \
        else dt.date.today()
    print(f"Konferencetavlen browser benchmark · scale {args.scale:g} · "
          f"{'PostgreSQL' if args.db else 'SQLite'} · Chromium · {os.cpu_count()} CPUs",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="kt-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        with centres([args.scale], server=args.db, workdir=workdir, reuse=args.reuse,
                     today=today, log=lambda m: print(m, flush=True)) as built, chromium() as b:
            figures = run(built[0].url, b, args, today)
    print()
    for name, values in figures.items():
        if name.endswith("two cases"):
            print(f"{name}: {values[0]:.0f} of {args.clicks}")
        else:
            print(f"{name:<52} {_median(values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
