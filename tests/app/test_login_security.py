"""The login form under guessing and the idle timeout, through app.py on a database that is not
the demo (a local login), on both databases (issue 13). The clock is replaced
(conference.ui.context.now): nothing here waits for time to pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import streamlit
from argon2 import PasswordHasher
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from conference.services import accounts, agenda
from conference.services.accounts import login, set_password, staff_by_initials
from conference.services.settings import save_security_settings
from conference.ui import auth, context
from db.migrate import upgrade
from db.models import Role, SecurityEvent
from db.session import make_engine, session_scope
from tests import factories as f
from tests.app.conftest import ROOT
from tests.conftest import database_url, drop_database

LENE_PW = "korrekt hest batteri"
ADMIN_PW = "administratorens kode"
T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.moment = T0

    tick = dt.timedelta(0)  # how much later each reading is than the one before

    def __call__(self) -> dt.datetime:
        moment = self.moment
        self.moment += self.tick
        return moment

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(context, "now", fake)
    monkeypatch.setattr(auth, "now", fake)
    return fake


@pytest.fixture
def real_db(tmp_path, monkeypatch, clock) -> Iterator[str]:  # noqa: ARG001 - clock first
    """Not the demo: staff with passwords (cheap argon2 parameters), no wait between failed
    logins (so ten can be typed at once), DATABASE_URL set."""
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "HASHER", hasher)
    monkeypatch.setattr(accounts, "DUMMY_HASH", hasher.hash("ingen har denne"))
    url = database_url("login_security", tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        admin = f.staff(session, "Anne Admin", roles=(Role.ADMIN,), initials="AA")
        f.staff(session, "Lene Læge", roles=(Role.BEHANDLER,), initials="LL")
        set_password(session, None, "AA", ADMIN_PW)
        set_password(session, admin, "LL", LENE_PW)
        save_security_settings(session, admin, delay_seconds=0)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    context.engine.clear()
    context.demo_mode.clear()
    context.staff_options.clear()
    try:
        yield url
    finally:
        context.engine().dispose()
        context.engine.clear()
        context.demo_mode.clear()
        context.staff_options.clear()
        drop_database(url)


def kinds(url: str) -> list[str]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        found = list(session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))
    engine.dispose()
    return found


def open_app() -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert app.text_input[0].label == "Initialer eller e-mail"
    return app


def try_login(app: AppTest, initials: str, password: str) -> AppTest:
    app.text_input[0].set_value(initials)
    app.text_input[1].set_value(password)
    next(b for b in app.button if b.label == "Log ind").click().run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_the_form_locks_after_ten_failures_and_an_administrator_lifts_it(real_db) -> None:
    admin = try_login(open_app(), "AA", ADMIN_PW)  # at work already, on the same machine
    assert admin.title[0].value != "Konferencetavlen"

    app = open_app()
    for attempt in range(1, 10):
        try_login(app, "LL", f"gæt nummer {attempt}")
        assert app.error[0].value == "Forkert brugernavn eller adgangskode."
    try_login(app, "LL", "gæt nummer 10")
    locked = app.error[0].value
    assert locked.startswith("For mange mislykkede forsøg på at logge ind: det er spærret til "
                             "kl. ") and "En administrator kan ophæve spærringen." in locked
    try_login(app, "LL", LENE_PW)  # the right one, during the lock
    assert app.error[0].value == locked
    try_login(app, "XY", "hvem som helst")  # this machine is locked for any name now
    assert app.error[0].value == locked
    assert kinds(real_db).count("login_locked") == 2  # the account and this client

    admin.switch_page("views/adgangslog.py").run()
    assert not admin.exception
    buttons = [b for b in admin.button if b.label == "Ophæv spærringen"]
    assert len(buttons) == 2
    buttons[0].click().run()
    next(b for b in admin.button if b.label == "Ophæv spærringen").click().run()
    assert not admin.exception
    assert any("er ophævet" in s.value for s in admin.success)
    assert not [b for b in admin.button if b.label == "Ophæv spærringen"]
    assert kinds(real_db).count("login_unlocked") == 2

    try_login(app, "LL", LENE_PW)
    assert app.title[0].value == "Patienter"


def test_an_idle_session_asks_for_the_password_and_keeps_the_typed_text(real_db, clock) -> None:
    app = try_login(open_app(), "LL", LENE_PW)
    assert app.title[0].value == "Patienter"
    app.text_input(key="search").set_value("Andersen").run()
    clock.advance(minutes=20)
    app.run()  # in use: twenty minutes, then twenty more, are not idle
    clock.advance(minutes=20)
    app.run()
    assert app.title[0].value == "Patienter"

    clock.advance(minutes=30, seconds=1)
    app.run()  # the next click, or the watch fragment, after the timeout
    assert not app.exception
    assert app.title[0].value == "Konferencetavlen"
    assert "Du har ikke brugt Konferencetavlen i 30 minutter" in app.warning[0].value
    assert not [t for t in app.text_input if t.key == "search"]  # the page is not drawn
    assert app.text_input[0].value == "LL" and app.text_input[0].disabled
    assert kinds(real_db)[-1] == "idle_timeout"

    app.text_input(key="relogin_password").set_value("forkert")
    next(b for b in app.button if b.label == "Fortsæt").click().run()
    assert app.error[0].value == "Forkert brugernavn eller adgangskode."
    app.text_input(key="relogin_password").set_value(LENE_PW)
    next(b for b in app.button if b.label == "Fortsæt").click().run()
    assert not app.exception
    assert app.title[0].value == "Patienter"
    assert app.text_input(key="search").value == "Andersen"  # what was typed is still there
    assert kinds(real_db)[-2:] == ["login_failed", "login_ok"]


def test_someone_else_at_an_idle_session_starts_afresh(real_db, clock) -> None:
    app = try_login(open_app(), "LL", LENE_PW)
    app.text_input(key="search").set_value("Andersen").run()
    clock.advance(minutes=31)
    app.run()
    next(b for b in app.button if b.label.startswith("Log ud (en anden")).click().run()
    assert app.text_input[0].label == "Initialer eller e-mail" and not app.text_input[0].value
    assert kinds(real_db)[-1] == "logout"
    try_login(app, "AA", ADMIN_PW)
    app.switch_page("views/patienter.py").run()
    assert app.text_input(key="search").value == ""  # nothing of Lene's is left


def test_a_click_after_the_timeout_writes_nothing_and_asks_for_the_password(
    real_db, clock
) -> None:
    """A callback in an idle session (here: an administrator's unlock) is stopped before it
    writes; after the password the lock is still there to lift."""
    engine = make_engine(real_db)
    with session_scope(engine) as session:
        save_security_settings(session, staff_by_initials(session, "AA"), lock_minutes=120)
        for _ in range(10):
            login(session, "LL", "forkert", now=clock())
    admin = try_login(open_app(), "AA", ADMIN_PW)
    admin.switch_page("views/adgangslog.py").run()
    unlock_button = next(b for b in admin.button if b.label == "Ophæv spærringen")
    clock.advance(minutes=31)
    unlock_button.click().run()
    assert not admin.exception
    assert admin.title[0].value == "Konferencetavlen"  # the password first
    assert "login_unlocked" not in kinds(real_db)
    admin.text_input(key="relogin_password").set_value(ADMIN_PW)
    next(b for b in admin.button if b.label == "Fortsæt").click().run()
    assert admin.title[0].value == "Adgangslog"
    assert [b.label for b in admin.button].count("Ophæv spærringen") == 1
    engine.dispose()


class FakeUser(dict):
    """st.user of someone logged in through the identity provider."""

    is_logged_in = True


def test_with_single_sign_on_an_idle_session_is_logged_out(real_db, clock, monkeypatch):
    engine = make_engine(real_db)
    with session_scope(engine) as session:
        staff_by_initials(session, "LL").email = "lene@region.dk"
    engine.dispose()
    logged_out = []
    monkeypatch.setattr(streamlit, "user", FakeUser(email="lene@region.dk",
                                                   groups=["behandler"]))
    monkeypatch.setattr(streamlit, "logout", lambda: logged_out.append(True))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.secrets["auth"] = {"roles_claim": "groups"}
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert app.title[0].value == "Patienter"
    clock.advance(minutes=29)
    app.run()
    assert app.title[0].value == "Patienter" and not logged_out
    clock.advance(minutes=30, seconds=1)
    app.run()
    assert logged_out == [True]
    assert kinds(real_db)[-1] == "idle_timeout"
    assert not [t for t in app.title if t.value == "Patienter"]



def test_the_projection_stays_unlocked_while_the_meeting_runs(real_db, clock) -> None:
    """The wall shows the projected board for hours with nobody touching it: a password form
    there would stop the meeting. Its re-reads count as activity while the meeting runs (in a
    browser they come every few seconds, between full runs); once it has ended, they do not.
    Here every reading of the clock is a minute later than the one before, so the moment the
    session last counted as active tells which did."""
    day = dt.date(2026, 11, 25)
    engine = make_engine(real_db)
    with session_scope(engine) as session:
        admin = staff_by_initials(session, "AA")
        conference = agenda.ensure_conference(session, admin, day)
        session.flush()
        agenda.start_meeting(session, admin, conference.id)
        conference_id = conference.id
    app = try_login(open_app(), "LL", LENE_PW)
    app.query_params["dato"] = day.isoformat()
    app.query_params["visning"] = "projektion"
    app.switch_page("views/konference.py").run()
    assert not app.exception, [e.message for e in app.exception]

    def last_active_after_a_run() -> tuple[dt.datetime, dt.datetime]:
        started = clock.moment
        clock.tick = dt.timedelta(minutes=1)
        app.run()
        clock.tick = dt.timedelta(0)
        assert not app.exception, [e.message for e in app.exception]
        return started, app.session_state[context.ACTIVITY_KEY]

    started, active = last_active_after_a_run()
    assert active > started + dt.timedelta(minutes=1)  # the re-read, after the run's start
    with session_scope(engine) as session:
        agenda.end_meeting(session, staff_by_initials(session, "AA"), conference_id)
    engine.dispose()
    started, active = last_active_after_a_run()
    assert active == started  # only the run's start: the wall's re-reads no longer count
