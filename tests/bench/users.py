"""Several users at once: the leader's rerun time alone, and with eight others on one server.

    uv run python -m tests.bench.users [--scale 10] [--clicks 10] [--db URL]

One `streamlit run` on a demo centre in the meeting's state; browser contexts in one Chromium:

- the leader on the board (/konference), clicking "Næste ▶": the figure is the time from the
  click until the next case is marked (as tests/bench/browser.py measures it);
- the board projected (/konference?visning=projektion): it only watches (its timers rerun it);
- the referent on /referat, writing the conclusion of the case on the board (saved as typed);
- six microteam members, each on one of their cases on /forbered_sag?sag=…, writing in the
  case presentation (saved as typed), a few words every few seconds.

First the leader alone (--clicks clicks), then the leader with the eight others (the same
number of clicks once all of them have their page): median and 95th percentile of each.
The load comes from browsers on the same machine as the server, so the figure with eight users
also holds their rendering; it is an upper bound of what the server alone would cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import math
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from conference.services import agenda
from conference.services.settings import next_conference_date
from conference.ui import navigation
from db.models import AgendaItem, AgendaList, MicroteamMember, Patient, Role, Staff
from db.session import make_engine, session_scope
from tests.bench.browser import BOARD_DRAWN, IDLE_NOW, MARK_MOVED, REWIND_SECONDS, current_name
from tests.bench.centre import centres
from tests.bench.serve import CLICK, TIMEOUT_MS, server
from tests.bench.views import leader, rewind_at_last_case
from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path

MEMBERS = 6
TYPING_PAUSE = 4.0  # seconds between a member's bursts of typing


@dataclass
class Cast:
    leader: str
    referent: str
    members: list[tuple[str, int]] = field(default_factory=list)  # (initials, agenda item id)


def cast(url: str, today: dt.date) -> Cast:
    """Who plays: the leader, a referent, six microteam members with a case each."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        boss = leader(session)
        staff = session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name))
        staff = [s for s in staff if s.id != boss.id]
        referent = next(
            (s for s in staff if Role.REFERENT in s.role_set
             and "referat" in navigation.allowed_urls(s)),
            next(s for s in staff if "referat" in navigation.allowed_urls(s)),
        )
        conference = agenda.find_conference(session, next_conference_date(session, today))
        rows = session.execute(
            select(AgendaItem.id, Staff)
            .join(Patient, Patient.id == AgendaItem.patient_id)
            .join(MicroteamMember, MicroteamMember.microteam_id == Patient.microteam_id)
            .join(Staff, Staff.id == MicroteamMember.staff_id)
            .where(AgendaItem.conference_id == conference.id,
                   AgendaItem.list == AgendaList.DISCUSSION, Staff.active.is_(True))
            .order_by(AgendaItem.position.desc(), Staff.name)
        ).all()
        members: list[tuple[str, int]] = []
        for item_id, person in rows:
            taken = {i for i, _ in members} | {boss.initials, referent.initials}
            if person.initials in taken or item_id in {c for _, c in members}:
                continue
            if "forbered_sag" in navigation.allowed_urls(person):
                members.append((person.initials, item_id))
            if len(members) == MEMBERS:
                break
        result = Cast(boss.initials, referent.initials, members)
    engine.dispose()
    return result


# --------------------------------------------------------------------------- in the browser


async def wait_ms(page: Page, condition: str, arg: object = None,
                  timeout: float = TIMEOUT_MS) -> float:
    handle = await page.wait_for_function(
        f"(arg) => (({condition})(arg)) ? performance.now() : false",
        arg=arg, polling="raf", timeout=timeout,
    )
    return float(await handle.json_value())


async def new_context(browser: Browser) -> BrowserContext:
    context = await browser.new_context(viewport={"width": 1600, "height": 1000},
                                        locale="da-DK")
    context.set_default_timeout(TIMEOUT_MS)
    return context


async def leader_clicks(browser: Browser, base: str, who: Cast, url: str, today: dt.date,
                        clicks: int) -> list[float]:
    rewind_at_last_case(url, today)  # a case on the board (an earlier run may have ended)
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(f"{base}/konference?som={who.leader}")
    await wait_ms(page, BOARD_DRAWN)
    times = []
    for _ in range(clicks):
        with contextlib.suppress(PlaywrightTimeout):  # its timers may keep the board running:
            await wait_ms(page, IDLE_NOW, timeout=3_000)  # the leader clicks anyway
        if rewind_at_last_case(url, today):
            await asyncio.sleep(REWIND_SECONDS)
        await asyncio.sleep(0.5)
        previous = current_name(url, today)
        handle = await page.wait_for_function(CLICK, arg="Næste ▶", polling="raf")
        clicked = float(await handle.json_value())
        try:
            times.append(await wait_ms(page, MARK_MOVED, previous) - clicked)
        except PlaywrightTimeout:
            times.append(math.inf)
    await context.close()
    return times


async def watcher(browser: Browser, address: str, ready: asyncio.Event,
                  stop: asyncio.Event) -> int:
    """The projected board: open it and let its timers run."""
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(address)
    await wait_ms(page, "() => document.querySelectorAll('h1, h2').length > 0")
    ready.set()
    await stop.wait()
    await context.close()
    return 0


async def typist(browser: Browser, address: str, ready: asyncio.Event,
                 stop: asyncio.Event) -> int:
    """Open a page with a text that saves as it is typed, and keep writing in it."""
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(address)
    box = page.locator("textarea").first
    await box.wait_for(state="visible")
    ready.set()
    bursts = 0
    while not stop.is_set():
        try:
            await box.click(timeout=30_000)
            await page.keyboard.press("End")
            await page.keyboard.type(f" Tilføjet {bursts + 1}.", delay=60)
            await page.keyboard.press("Tab")  # leaving the field saves at once
            bursts += 1
        except PlaywrightTimeout:
            pass  # the field is being redrawn; try again in a moment
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), TYPING_PAUSE)
    await context.close()
    return bursts


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of every core so far (Linux /proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), sum(ticks) / os.sysconf("SC_CLK_TCK")


class Busy:
    """How busy the server was over a phase (its CPU seconds per wall-clock second), and the
    whole machine (busy cores: the server, the browsers and this script together)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def __enter__(self) -> Busy:
        self.cpu, self.wall = cpu_seconds(self.pid), time.monotonic()
        self.machine = machine_seconds()[0]
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.monotonic() - self.wall
        self.share = (cpu_seconds(self.pid) - self.cpu) / wall
        self.machine_share = (machine_seconds()[0] - self.machine) / wall


async def scenario(
    base: str, pid: int, url: str, who: Cast, clicks: int, today: dt.date
) -> dict:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        # The server's first run goes through app.py (see the report of issue 9).
        context = await new_context(browser)
        page = await context.new_page()
        await page.goto(f"{base}/?som={who.leader}")
        await wait_ms(page, "() => document.querySelectorAll('h1').length > 0")
        await context.close()

        print("  the leader alone …", flush=True)
        with Busy(pid) as busy_alone:
            alone = await leader_clicks(browser, base, who, url, today, clicks)

        print(f"  the leader with {2 + len(who.members)} others …", flush=True)
        stop = asyncio.Event()
        others = [
            (watcher, f"{base}/konference?visning=projektion&som={who.leader}"),
            (typist, f"{base}/referat?som={who.referent}"),
            *[(typist, f"{base}/forbered_sag?sag={item}&som={initials}")
              for initials, item in who.members],
        ]
        readies = [asyncio.Event() for _ in others]
        tasks = [asyncio.create_task(role(browser, address, ready, stop))
                 for (role, address), ready in zip(others, readies, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), TIMEOUT_MS / 1000)
        with Busy(pid) as busy_together:
            together = await leader_clicks(browser, base, who, url, today, clicks)
        stop.set()
        bursts = await asyncio.gather(*tasks)
        await browser.close()
    return {"alone": alone, "together": together, "bursts": sum(bursts), "others": len(others),
            "busy": (busy_alone.share, busy_together.share),
            "machine": (busy_alone.machine_share, busy_together.machine_share)}


def _fmt(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def ms(v: float) -> str:
        return f"> {TIMEOUT_MS / 1000:.0f} s" if math.isinf(v) else f"{v:,.0f} ms"

    return (f"median {ms(statistics.median(values)):>10} · p95 {ms(p95):>10} · "
            f"min {ms(min(values)):>10} · n={len(values)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.users", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--clicks", type=int, default=10, help="leader clicks per phase")
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (…/test)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse a SQLite file already in --workdir")
    args = parser.parse_args(argv)
    today = dt.date.fromisoformat(os.environ["KT_TODAY"]) if os.environ.get("KT_TODAY") \
        else dt.date.today()
    print(f"Konferencetavlen several-users benchmark · scale {args.scale:g} · "
          f"{'PostgreSQL' if args.db else 'SQLite'} · {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="kt-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        with centres([args.scale], server=args.db, workdir=workdir, reuse=args.reuse,
                     today=today, log=lambda m: print(m, flush=True)) as built:
            url = built[0].url
            who = cast(url, today)
            print(f"  leader {who.leader}, referent {who.referent}, members "
                  + ", ".join(f"{i} (sag {s})" for i, s in who.members), flush=True)
            with server(env={"DATABASE_URL": url}) as app:
                result = asyncio.run(
                    scenario(app.url, app.process.pid, url, who, args.clicks, today)
                )
    alone, together = result["alone"], result["together"]
    print()
    print("The leader's 'Næste ▶' until the next case is marked on the board:")
    print(f"  one user          {_fmt(alone)}")
    print(f"  {1 + result['others']} users at once  {_fmt(together)}"
          f"   ({result['bursts']} saves typed by the others meanwhile)")
    print("  the server's CPU use meanwhile (1.0 = one core busy; Python runs scripts on one "
          f"core at a time): alone {result['busy'][0]:.2f}, together {result['busy'][1]:.2f}")
    print(f"  the whole machine's busy cores (of {os.cpu_count()}: server, browsers, this script): "
          f"alone {result['machine'][0]:.2f}, together {result['machine'][1]:.2f}")
    base = statistics.median(alone)
    p95 = sorted(together)[min(len(together) - 1, round(0.95 * (len(together) - 1)))]
    print(f"  p95 with {1 + result['others']} users / median alone: {p95 / base:.2f} "
          "(target: within 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
