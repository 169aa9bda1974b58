"""In a real browser, on a database that is not the demo (a local login; issue 13): ten wrong
passwords lock the login form, the right one is then refused too; and an idle session asks for
the password again and keeps what was typed. Each test has its own server and database (the
lock would lock this machine for the other). The idle timeout is a setting: the test shortens
it once the text is typed, and waits for the page to ask, never for time itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conference.services.accounts import set_password
from conference.services.settings import save_security_settings
from db.migrate import upgrade
from db.models import Role
from db.session import make_engine, session_scope
from tests import factories as f
from tests.conftest import database_url, drop_database
from tests.e2e.conftest import StreamlitServer, screenshot, wait_idle

LENE_PW = "korrekt hest batteri"
ADMIN_PW = "administratorens kode"
TYPED = "Andersen"


class Centre:
    """A database with an administrator (AA) and a behandler (LL), both with passwords, and
    the app serving it."""

    def __init__(self, folder: Path, name: str) -> None:
        self.url = database_url(name, folder)
        self.engine = make_engine(self.url)
        upgrade(self.engine)
        with session_scope(self.engine) as session:
            admin = f.staff(session, "Anne Admin", roles=(Role.ADMIN,), initials="AA")
            f.staff(session, "Lene Læge", roles=(Role.BEHANDLER,), initials="LL")
            set_password(session, None, "AA", ADMIN_PW)
            set_password(session, admin, "LL", LENE_PW)
            # no wait between failures, so the ten are typed at once (the waits: AppTest)
            save_security_settings(session, admin, delay_seconds=0)
        self.server = StreamlitServer(self.url)

    def settings(self, **changes: int) -> None:
        """Change settings as the administrator would (through the service)."""
        from conference.services.accounts import staff_by_initials

        with session_scope(self.engine) as session:
            save_security_settings(session, staff_by_initials(session, "AA"), **changes)

    def close(self) -> None:
        self.server.stop()
        self.engine.dispose()
        drop_database(self.url)


@pytest.fixture
def centre(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Centre]:
    made = Centre(tmp_path, f"login_{request.node.name[-12:]}")
    yield made
    made.close()


def open_login(page: Page, centre: Centre) -> None:
    page.goto(centre.server.url)
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=120_000
    )
    expect(page.get_by_label("Initialer eller e-mail")).to_be_visible()


def submit(page: Page, initials: str, password: str) -> None:
    page.get_by_label("Initialer eller e-mail").fill(initials)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    wait_idle(page)


def test_ten_wrong_passwords_lock_the_login_form(page: Page, centre: Centre) -> None:
    open_login(page, centre)
    error = page.get_by_test_id("stAlertContentError")
    for attempt in range(1, 10):
        submit(page, "LL", f"gæt nummer {attempt}")
        expect(error).to_have_text("Forkert brugernavn eller adgangskode.")
    submit(page, "LL", "gæt nummer 10")
    expect(error).to_contain_text("For mange mislykkede forsøg på at logge ind: det er spærret "
                                  "til kl.")
    submit(page, "LL", LENE_PW)  # the right password, during the lock
    expect(error).to_contain_text("det er spærret til kl.")
    expect(page.get_by_role("heading", name="Patienter")).to_have_count(0)
    screenshot(page, "e2e_login_locked")


def test_an_idle_session_asks_for_the_password_and_keeps_the_typed_text(
    page: Page, centre: Centre
) -> None:
    open_login(page, centre)
    submit(page, "LL", LENE_PW)
    expect(page.get_by_role("heading", name="Patienter")).to_be_visible(timeout=60_000)
    search = page.get_by_placeholder("Navn eller CPR-nummer")
    search.fill(TYPED)
    search.press("Enter")
    wait_idle(page)

    centre.settings(idle_seconds=2)  # an administrator shortens the timeout
    relogin = page.get_by_text("Du har ikke brugt Konferencetavlen i 2 sekunder")
    expect(relogin).to_be_visible(timeout=60_000)  # the watch notices within seconds
    expect(page.get_by_placeholder("Navn eller CPR-nummer")).to_have_count(0)
    expect(page.get_by_label("Initialer eller e-mail")).to_have_value("LL")
    screenshot(page, "e2e_idle_relogin")

    centre.settings(idle_seconds=30 * 60)  # back to normal before typing the password
    page.get_by_label("Adgangskode").fill(LENE_PW)
    page.get_by_role("button", name="Fortsæt").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Patienter")).to_be_visible(timeout=60_000)
    expect(page.get_by_placeholder("Navn eller CPR-nummer")).to_have_value(TYPED)
    screenshot(page, "e2e_idle_text_kept")
