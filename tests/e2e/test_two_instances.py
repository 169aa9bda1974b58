"""Past one machine: two app instances (`streamlit run` on two ports) on one database behind
Debian's nginx with sticky sessions (deploy/nginx.conf.template), on loopback.

A save made in a browser held by instance A shows on the board of a browser held by instance B
within 5 seconds, without a reload; each browser stays on its own instance, websocket included.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from conference.services import agenda
from db.models import AgendaList, Patient, PatientStatus
from db.session import make_engine, session_scope
from deploy.nginx import command, nginx_binary, write
from tests.bench.views import leader
from tests.e2e.conftest import StreamlitServer, free_port, screenshot
from tests.streamlit_server import stop_process, wait_healthy

DAY = dt.date(2033, 3, 2)  # a Wednesday no other test uses
SECRET = "kt-two-instances-test"  # one cookie secret for all instances (XSRF tokens hold on both)
ROUTE_COOKIE = "kt_route"
INSTANCE_HEADER = "x-konferencetavlen-instance"


class Proxy:
    """nginx in the foreground on a rendered deploy/nginx.conf.template."""

    def __init__(self, upstreams: list[str], run_dir: Path) -> None:
        if nginx_binary() is None:
            pytest.fail("Debian's nginx is not installed: run scripts/ensure-nginx")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.run_dir = run_dir
        write(f"127.0.0.1:{self.port}", upstreams, run_dir)
        self.process = subprocess.Popen(
            command(run_dir), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        error_log = run_dir / "error.log"
        wait_healthy(self.url, self.process, "nginx",
                     lambda: error_log.read_text() if error_log.exists() else "", timeout=30)

    def instance_for(self, route: str) -> str:
        """Which instance (host:port) the proxy sends a browser with this route cookie to."""
        request = urllib.request.Request(
            f"{self.url}/_stcore/health", headers={"Cookie": f"{ROUTE_COOKIE}={route}"}
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.headers[INSTANCE_HEADER]

    def access_log(self) -> str:
        return (self.run_dir / "access.log").read_text()

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture(scope="module")
def instances(demo_url: str) -> Iterator[list[StreamlitServer]]:
    servers = [StreamlitServer(demo_url, env={"STREAMLIT_SERVER_COOKIE_SECRET": SECRET})]
    try:
        servers.append(StreamlitServer(demo_url, env={"STREAMLIT_SERVER_COOKIE_SECRET": SECRET}))
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def proxy(instances, tmp_path_factory) -> Iterator[Proxy]:
    running = Proxy([f"127.0.0.1:{s.port}" for s in instances], tmp_path_factory.mktemp("nginx"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def meeting(demo_url: str) -> list[str]:
    """A conference of its own with three cases; returns the patients' names in order."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        actor = leader(session)
        conference = agenda.ensure_conference(session, actor, DAY)
        session.flush()
        patients = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE)
            .order_by(Patient.id).limit(3)
        ).all()
        for patient in patients:
            agenda.add_case(session, actor, conference.id, patient.id,
                            "Drøftelse af videre forløb", "", AgendaList.DISCUSSION)
        names = [f"{p.first_name} {p.last_name}" for p in patients]
    engine.dispose()
    return names


def current_case(demo_url: str) -> str | None:
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        view = agenda.board(session, agenda.find_conference(session, DAY).id)
    engine.dispose()
    return view.current.name if view.current else None


def routes(proxy: Proxy, instances: list[StreamlitServer]) -> dict[str, str]:
    """A route cookie value for each instance (instance host:port -> route)."""
    wanted = {f"127.0.0.1:{s.port}" for s in instances}
    found: dict[str, str] = {}
    for n in range(200):
        found.setdefault(proxy.instance_for(f"browser-{n}"), f"browser-{n}")
        if wanted <= set(found):
            return found
    pytest.fail(f"the proxy sent 200 browsers to {set(found)} only: not balanced")


def held_by(browser: Browser, proxy: Proxy, route: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="da-DK")
    context.add_cookies([{"name": ROUTE_COOKIE, "value": route, "url": proxy.url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


def open_board(page: Page, proxy: Proxy, first_case: str) -> str:
    """Open the app, then the board of DAY; returns the instance that served the board.
    (Patient: a cold instance on a busy machine takes a while for its first page.)"""
    page.goto(proxy.url + "/")  # a user opens the app at its front page first
    expect(page.get_by_role("heading", name="Patienter")).to_be_visible(timeout=120_000)
    response = page.goto(f"{proxy.url}/konference?dato={DAY.isoformat()}")
    expect(page.get_by_role("heading", name=re.compile("Tværfaglig konference"))).to_be_visible(
        timeout=120_000
    )
    expect(page.get_by_text(first_case).first).to_be_visible(timeout=120_000)
    return response.headers[INSTANCE_HEADER]


def marked(page: Page, name: str):
    """The case row marked as the current one ("Nu:") with this patient."""
    return page.locator("[data-testid='stColumn']").filter(has_text="Nu:").filter(has_text=name)


def test_a_save_on_one_instance_shows_on_the_other_board_within_5_s(
    browser: Browser, proxy: Proxy, instances, meeting, demo_url
) -> None:
    route_of = routes(proxy, instances)
    a, b = (f"127.0.0.1:{s.port}" for s in instances)
    context_a, page_a = held_by(browser, proxy, route_of[a])
    context_b, page_b = held_by(browser, proxy, route_of[b])
    try:
        assert open_board(page_a, proxy, meeting[0]) == a
        assert open_board(page_b, proxy, meeting[0]) == b
        assert current_case(demo_url) is None
        expect(marked(page_b, meeting[0])).to_have_count(0)

        # The leader, on instance A, moves the meeting to its first case (a write to the
        # database with its audit row); instance B has no part in it.
        page_a.get_by_role("button", name="Næste ▶").first.click()
        deadline = time.monotonic() + 30
        while (now_on := current_case(demo_url)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        saved = time.monotonic()
        assert now_on in meeting, now_on

        # Instance B's board shows it by itself (its fragment re-reads every 3 s), no reload.
        expect(marked(page_b, now_on)).to_have_count(1, timeout=5_000)
        assert time.monotonic() - saved < 5
        screenshot(page_b, "e2e_two_instances_board_b")
    finally:
        context_a.close()
        context_b.close()

    # Each browser stayed on its own instance, its websocket included (logged when it closed).
    time.sleep(1)
    log = proxy.access_log()
    for instance, route in ((a, route_of[a]), (b, route_of[b])):
        streams = [line for line in log.splitlines()
                   if "/_stcore/stream" in line and f"route={route}" in line]
        assert streams, log[-2000:]
        assert all(f"instance={instance}" in line for line in streams), streams
