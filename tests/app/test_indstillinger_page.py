"""Indstillinger as AppTests on the demo centre: an administrator moves the conference weekday
and changes the projection's name mode, and the board follows; bad values and a form drawn
before another administrator's save are refused; other roles neither see nor reach the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy import delete, func, select
from streamlit.testing.v1 import AppTest

from conference.agenda import display_name
from conference.formatting import date_long
from conference.services import agenda
from conference.services import settings as service
from conference.ui.navigation import allowed_urls
from conference.ui.text import escape_md
from db.models import AuditLog, Conference, Role, SecurityEvent, Setting, Staff, StaffRole
from db.session import make_engine, session_scope
from tests.app.conftest import ROOT

PAGE = "views/indstillinger.py"
BOARD = "views/konference.py"
CASE_DAY = dt.date(2029, 5, 2)  # a Wednesday no other page test uses


def initials_with(url: str, role: Role, *, admin: bool = True) -> str:
    """The first active staff member with `role` (admin=False: who is not also an admin)."""
    admins = select(StaffRole.staff_id).where(StaffRole.role == Role.ADMIN)
    engine = make_engine(url)
    with session_scope(engine) as session:
        initials = session.scalar(
            select(Staff.initials).join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == role, Staff.active.is_(True),
                   Staff.id.not_in(admins) if not admin else True)
            .order_by(Staff.id)
        )
    engine.dispose()
    return initials


@pytest.fixture
def settings_restored(demo_url) -> Iterator[None]:
    """The demo database is shared by the page tests: put its settings back afterwards."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        before = {k: v for k, v in session.execute(select(Setting.key, Setting.value))}
    yield
    with session_scope(engine) as session:
        session.execute(delete(Setting))
        session.add_all(Setting(key=k, value=v) for k, v in before.items())
    engine.dispose()
    st.cache_data.clear()


def stored(url: str) -> service.ConferenceSettings:
    engine = make_engine(url)
    with session_scope(engine) as session:
        values = service.conference_settings(session)
    engine.dispose()
    return values


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def test_an_admin_moves_the_weekday_and_the_board_and_projection_follow(
    run_page, demo_url, settings_restored, monkeypatch  # noqa: ARG001
):
    admin = initials_with(demo_url, Role.ADMIN)
    monkeypatch.delenv("KT_TODAY", raising=False)

    # a case on the projected board, named as the default says: first name and initial
    board = run_page(BOARD, dato=CASE_DAY.isoformat())
    if board.info and "ikke oprettet" in board.info[0].value:
        button(board, "Opret konferencen").click().run()
        button(board, "Sæt forslagene på dagsordenen").click().run()
        button(board, "Næste ▶").click().run()
    assert not board.exception
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        view = agenda.board(session, agenda.find_conference(session, CASE_DAY).id)
        last_day = session.scalar(select(func.max(Conference.date)))
    current = view.current
    assert current is not None

    def projected_name() -> str:
        app = run_page(BOARD, dato=CASE_DAY.isoformat(), visning="projektion")
        return app.header[0].value

    assert projected_name().startswith(
        f"Sag 1 af {len(view.discussion)}: "
        f"{escape_md(display_name(current.first_name, current.last_name, 'fornavn'))}, "
    )

    # after every conference there is, the board proposes the next Wednesday
    after_all = max(last_day, dt.date.today()) + dt.timedelta(days=1)
    monkeypatch.setenv("KT_TODAY", after_all.isoformat())
    assert run_page(BOARD).title[0].value == (
        f"Tværfaglig konference {date_long(weekday_on_or_after(after_all, 2))}"
    )

    calls: list[int] = []

    @st.cache_data
    def cached_read() -> int:
        calls.append(1)
        return len(calls)

    cached_read()

    app = run_page(PAGE, som=admin)
    assert app.title[0].value == "Indstillinger"
    assert app.selectbox(key="settings_weekday").value == 2
    assert app.radio(key="settings_name_mode").options == [
        "Fulde navn – fx »Nicolai Hansen«",
        "Fornavn og forbogstav – fx »Nicolai H.«",
        "Initialer – fx »N.H.«",
    ]
    assert any("flyttes ikke" in c.value for c in app.caption)
    app.selectbox(key="settings_weekday").set_value(4)
    app.radio(key="settings_name_mode").set_value("initialer")
    button(app, "Gem indstillinger").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.success[0].value == (
        "Indstillingerne er gemt: fredag kl. 09:00, 150 min, navne vises som »N.H.«."
    )
    assert app.selectbox(key="settings_weekday").value == 4
    assert "af " in app.caption[0].value  # "Senest ændret … af <admin>"
    assert stored(demo_url) == service.ConferenceSettings(4, dt.time(9, 0), 150, "initialer")
    with session_scope(engine) as session:
        row = session.scalars(
            select(AuditLog).where(AuditLog.entity == "setting").order_by(AuditLog.id.desc())
        ).first()
        actor = session.get(Staff, row.actor_id).initials
    assert actor == admin
    assert row.after == {"conference_weekday": "4", "projection_name": "initialer"}

    cached_read()
    assert len(calls) == 2, "the save did not clear the cached reads"

    # the board now proposes the next Friday; the conference already made stays a Wednesday
    assert run_page(BOARD).title[0].value == (
        f"Tværfaglig konference {date_long(weekday_on_or_after(after_all, 4))}"
    )
    monkeypatch.delenv("KT_TODAY")
    with session_scope(engine) as session:
        assert agenda.find_conference(session, CASE_DAY) is not None
    engine.dispose()
    initials = escape_md(display_name(current.first_name, current.last_name, "initialer"))
    assert projected_name().startswith(f"Sag 1 af {len(view.discussion)}: {initials}, ")


def test_a_start_outside_the_day_is_refused_and_the_form_keeps_it(
    run_page, demo_url, settings_restored  # noqa: ARG001
):
    app = run_page(PAGE, som=initials_with(demo_url, Role.ADMIN))
    app.time_input(key="settings_start").set_value(dt.time(5, 0))
    app.number_input(key="settings_minutes").set_value(90)
    button(app, "Gem indstillinger").click().run()
    assert app.error[0].value == "Starttidspunktet skal ligge mellem kl. 06:00 og kl. 18:00."
    assert app.time_input(key="settings_start").value == dt.time(5, 0)
    assert app.number_input(key="settings_minutes").value == 90
    assert stored(demo_url).minutes == 150


def test_a_form_drawn_before_another_admins_save_is_refused_and_shows_both(
    run_page, demo_url, settings_restored  # noqa: ARG001
):
    admin = initials_with(demo_url, Role.ADMIN)
    mine = run_page(PAGE, som=admin)
    theirs = run_page(PAGE, som=admin)  # another browser session
    theirs.selectbox(key="settings_weekday").set_value(3)
    button(theirs, "Gem indstillinger").click().run()
    assert theirs.success

    mine.radio(key="settings_name_mode").set_value("fuldt")
    button(mine, "Gem indstillinger").click().run()
    assert mine.error[0].value.startswith(
        "En anden administrator har netop ændret indstillingerne "
        "(ugedag: du så onsdag, nu torsdag). Intet er gemt."
    )
    assert stored(demo_url).name_mode == "fornavn"
    assert mine.radio(key="settings_name_mode").value == "fuldt"  # what I chose is kept

    button(mine, "Brug de gemte indstillinger i stedet").click().run()
    assert mine.selectbox(key="settings_weekday").value == 3
    assert mine.radio(key="settings_name_mode").value == "fornavn"
    mine.radio(key="settings_name_mode").set_value("fuldt")
    button(mine, "Gem indstillinger").click().run()
    assert mine.success and stored(demo_url) == service.ConferenceSettings(
        3, dt.time(9, 0), 150, "fuldt"
    )


@pytest.mark.parametrize("role", [Role.MOEDELEDER, Role.REFERENT, Role.BEHANDLER, Role.LAESER])
def test_other_roles_do_not_get_the_page(role):
    staff = Staff(initials="X", name="X", profession="laege", active=True,
                  roles=[StaffRole(role=role)])
    assert "indstillinger" not in allowed_urls(staff)
    staff.roles.append(StaffRole(role=Role.ADMIN))
    assert "indstillinger" in allowed_urls(staff)


def test_a_leader_sent_to_the_page_by_address_is_not_shown_it(run_page, demo_url):
    leader = initials_with(demo_url, Role.MOEDELEDER, admin=False)
    assert leader
    app = run_page(PAGE, som=leader)
    assert app.query_params["som"] == leader
    assert not any(t.value == "Indstillinger" for t in app.title)
    assert not any(b.label == "Gem indstillinger" for b in app.button)


def test_the_page_run_on_its_own_refuses_a_leader_and_logs_it(demo_url):
    """Hiding the page is not the protection: the service refuses, and the refusal is logged."""
    leader = initials_with(demo_url, Role.MOEDELEDER, admin=False)
    st.cache_data.clear()
    app = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    app.query_params["som"] = leader
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert [e.value for e in app.error] == [
        "Du har ikke adgang til at ændre centrets indstillinger (konferencens tidspunkt, "
        "navnevisning). Kontakt en administrator, hvis det er en fejl."
    ]
    assert not app.title and not app.button
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        event = session.scalars(
            select(SecurityEvent).order_by(SecurityEvent.id.desc())
        ).first()
        who = session.get(Staff, event.staff_id).initials
    engine.dispose()
    assert (event.kind, who, event.detail) == ("denied", leader, "aendre_indstillinger")
