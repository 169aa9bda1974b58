"""In a real browser: nothing typed is lost to a server restart. The server process is killed
(SIGKILL) while the person types, 0.5 s after the last key and 1 s after it (before the field's
own report goes out, 1.5 s after the last key), then started again on the same port and
database. While it is away the field says "Ikke gemt – forbinder igen…" and leaving the page
asks first; the browser reconnects by itself and the field sends what the new server has not
confirmed, so the whole text is in the database without a reload. On Referat (the conclusion)
and on Forbered sag (the presentation)."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conference.services import agenda
from db.models import CasePresentation, Conclusion, Patient, PatientStatus, Staff
from tests.e2e.conftest import screenshot
from tests.e2e.test_case_identity import leader_initials
from tests.factories import in_db
from tests.streamlit_server import APP, ROOT, free_port, stop_process, wait_healthy

FIRST_DAY = dt.date(2034, 11, 1)  # Wednesdays no other test uses, one per run
OFFLINE = "Ikke gemt – forbinder igen…"
BEFORE = "Skrevet før genstarten."
PARAGRAPH = " Skrevet lige omkring genstarten: alt dette skal også nå databasen."
SLOW = 60_000  # ms: a restarted server on a busy machine answers late
_weeks = itertools.count()

PAGES = {
    # page: (field label, path with {item} and {who}, read the stored text of a case)
    "referat": (
        "Uddybning af konklusionen",
        "referat?som={who}&dato={day}&sag={item}",
        lambda s, item: s.scalar(select(Conclusion.decision_text)
                                 .where(Conclusion.agenda_item_id == item)) or "",
    ),
    "forbered_sag": (
        "Patientens mål og udbytte *",
        "forbered_sag?som={who}&sag={item}",
        lambda s, item: (s.scalar(select(CasePresentation.fields)
                                  .where(CasePresentation.agenda_item_id == item))
                         or {}).get("maal_udbytte", ""),
    ),
}


class RestartableServer:
    """`streamlit run app.py` on one port: kill() ends it with SIGKILL, start() runs it again on
    the same port and database (its log in .pytest_cache, appended)."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {"DATABASE_URL": database_url}
        self.log = ROOT / ".pytest_cache" / f"streamlit-restart-{self.port}.log"
        self.log.parent.mkdir(exist_ok=True)
        self.log.write_text("")
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP),
             "--server.headless", "true", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=self.env, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
        )
        wait_healthy(self.url, self.process, "streamlit", self.log.read_text)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_process(self.process)


@pytest.fixture(scope="module")
def server(demo_url: str) -> Iterator[RestartableServer]:
    instance = RestartableServer(demo_url)
    yield instance
    instance.stop()


@pytest.fixture
def one_case(demo_url: str) -> dict:
    """A conference of its own with one case; the one who may write it."""
    week = next(_weeks)
    day = FIRST_DAY + dt.timedelta(weeks=week)

    def build(session):  # noqa: ANN001, ANN202
        who = leader_initials(session)
        leader = session.scalars(select(Staff).where(Staff.initials == who)).one()
        patient = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.pal_laege_id.is_not(None))
            .order_by(Patient.id.desc()).offset(30 + week).limit(1)
        ).one()
        conference = agenda.ensure_conference(session, leader, day)
        item = agenda.add_case(session, leader, conference.id, patient.id, "Status")
        session.flush()
        return {"day": day, "item": item.id, "name": patient.full_name, "who": who}

    return in_db(demo_url, build)


def settled(page: Page) -> None:
    """wait_idle with room for a freshly started server's first runs on a busy machine."""
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=SLOW
    )


def stored_soon(read: Callable[[], str], wanted: str, timeout: float = 60) -> str:
    """The stored text once it is `wanted` (or what it is when `timeout` seconds have passed)."""
    deadline = time.monotonic() + timeout
    while (found := read()) != wanted and time.monotonic() < deadline:
        time.sleep(0.25)
    return found


@pytest.mark.parametrize("where", list(PAGES))
@pytest.mark.parametrize("kill_at", ["while typing", "0.5 s after the last key",
                                     "1 s after the last key"])
def test_text_typed_around_a_server_kill_is_saved_after_the_restart(
    page: Page, server: RestartableServer, demo_url: str, one_case: dict, where: str,
    kill_at: str,
) -> None:
    label, path, read_stored = PAGES[where]
    url = f"{server.url}/" + path.format(who=one_case["who"], day=one_case["day"].isoformat(),
                                         item=one_case["item"])
    page.goto(server.url)  # the first visit runs app.py (its navigation) on the server
    settled(page)
    page.goto(url)
    settled(page)
    expect(page.get_by_role("heading", name=one_case["name"])).to_be_visible(timeout=SLOW)
    box = page.get_by_role("textbox", name=label)
    field = page.locator(".live-text").filter(has=box)
    offline = field.get_by_text(OFFLINE)

    def stored() -> str:
        return in_db(demo_url, lambda s: read_stored(s, one_case["item"]))

    # an earlier save: the page says "Gemt kl. …"
    box.click()
    page.keyboard.type(BEFORE, delay=10)
    expect(field).to_have_attribute("data-confirmed", "true", timeout=SLOW)
    settled(page)
    assert stored_soon(stored, BEFORE) == BEFORE
    expect(offline).to_be_hidden()
    page.evaluate("window.notReloaded = true")  # gone if the page is loaded again

    # the kill: while typing (the rest is typed with the server away) or after the last key
    if kill_at == "while typing":
        killed_at: list[float] = []
        timer = threading.Timer(0.4, lambda: (server.kill(), killed_at.append(time.monotonic())))
        timer.start()
        page.keyboard.type(PARAGRAPH, delay=30)  # about 2 s of typing
        typed_at = time.monotonic()
        timer.join()
        assert killed_at and killed_at[0] < typed_at, "the kill came after the typing"
    else:
        page.keyboard.type(PARAGRAPH, delay=10)
        page.wait_for_timeout(500 if kill_at.startswith("0.5") else 1000)
        server.kill()
    expect(box).to_have_value(BEFORE + PARAGRAPH)
    expect(offline).to_be_visible(timeout=SLOW)
    expect(field).to_have_attribute("data-confirmed", "false")
    screenshot(page, f"restart_{where}_offline")

    # leaving now asks the browser's "leave page?" (dismissed: the page stays)
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    assert not page.is_closed()

    server.start()  # same port, same database: the browser reconnects by itself
    # (the new server's first run of the page is slow: imports, engine, a cold cache)
    expect(field).to_have_attribute("data-confirmed", "true", timeout=2 * SLOW)
    expect(offline).to_be_hidden()
    assert stored_soon(stored, BEFORE + PARAGRAPH) == BEFORE + PARAGRAPH
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
    expect(box).to_have_value(BEFORE + PARAGRAPH)
    screenshot(page, f"restart_{where}_saved")
