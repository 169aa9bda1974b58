"""In a real browser: PostgreSQL goes away while someone is typing. Saving shows the Danish
message (no traceback); when the database is back, »Prøv igen« shows the form with the text
as typed. The app reaches PostgreSQL through a small TCP proxy the test cuts and restores.

(SQLite is a local file that does not go away like a database server; this runs on
PostgreSQL. The guard itself is tested on both in tests/app/test_db_unreachable.py.)
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import make_url

from conference.ui.db_guard import UNREACHABLE_MESSAGE
from tests.conftest import DEMO_SCALE, _is_postgres, database_url, drop_database
from tests.e2e.conftest import StreamlitServer, free_port, screenshot, wait_idle

REASON = "Usikkerhed om behandlingsbehovet efter Afspænding – se PRO fra midtvejs."
QUESTION = "Skal hun henvises til psykolog?"


class Proxy:
    """Forwards 127.0.0.1:port to the database server until `cut()`; `restore()` reopens."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR on POSIX
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and break the open ones (the server is gone)."""
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):  # wakes the accepting thread (Linux)
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def outage_app(tmp_db_dir: Path) -> Iterator[tuple[StreamlitServer, Proxy]]:
    if not _is_postgres():
        pytest.skip("a database server outage: runs with KT_TEST_DB=postgresql…")
    from db.migrate import upgrade
    from db.session import make_engine, session_scope
    from demo import build_demo

    url = database_url("outage", tmp_db_dir)
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, scale=DEMO_SCALE)
    engine.dispose()
    parsed = make_url(url)
    proxy = Proxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    proxied = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    server = StreamlitServer(proxied)
    yield server, proxy
    server.stop()
    proxy.cut()
    drop_database(url)


def test_typed_text_survives_a_database_outage(page: Page, outage_app) -> None:
    server, proxy = outage_app
    page.goto(server.url)
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=120_000
    )
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Forbered sag").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Forbered sag")).to_be_visible()
    wait_idle(page)
    reason = page.get_by_label("Hvorfor skal patienten på konferencen?")
    # Open the form's expander unless it is open already (it opens by itself when the user has
    # no cases); its state, not the field's visibility mid-render, decides.
    expander = page.get_by_test_id("stExpander").filter(has_text="Sæt en patient på en konference")
    expect(expander).to_be_visible()
    if expander.locator("details").get_attribute("open") is None:
        expander.get_by_text("Sæt en patient på en konference").click()
    expect(reason).to_be_editable()
    reason.fill(REASON)
    page.get_by_label("Mikroteamets spørgsmål til konferencen").fill(QUESTION)

    proxy.cut()
    page.get_by_role("button", name="Sæt på konferencen").click()
    wait_idle(page)
    expect(page.get_by_text(UNREACHABLE_MESSAGE)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "e2e_db_unreachable")

    proxy.restore()
    page.get_by_role("button", name="Prøv igen").click()
    wait_idle(page)
    expect(page.get_by_text(UNREACHABLE_MESSAGE)).to_have_count(0)
    reason = page.get_by_label("Hvorfor skal patienten på konferencen?")
    if not reason.is_visible():
        page.get_by_text("Sæt en patient på en konference").click()
    expect(reason).to_have_value(REASON)
    expect(page.get_by_label("Mikroteamets spørgsmål til konferencen")).to_have_value(QUESTION)
    screenshot(page, "e2e_db_back")
