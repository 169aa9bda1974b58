"""In a real browser: text typed into the case form (Forbered sag) and the referent's conclusion
form (Referat) is saved while it is typed, without leaving the field, so a reload right after
finds it; and stored text that looks like HTML is shown as the text it is, never run."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from playwright.sync_api import Dialog, Locator, Page, WebSocketRoute, expect
from sqlalchemy import select

from conference.services import agenda, cases, minutes
from db.models import Patient, PatientStatus, Staff
from tests.e2e.conftest import screenshot, wait_idle
from tests.e2e.test_case_autosave import a_new_case
from tests.factories import in_db

CASE_TEXT = "Grundlæggende: tidlige belastninger.\nVedligeholdende: søvnmangel."
GOAL_TEXT = "At kunne gå en tur med hunden hver dag."
CONCLUSION_TEXT = "Start efter Mindfulness; fokus på løft og bøjning."
HOSTILE = "<img src=x onerror=alert(1)>"
SLOW = 20_000  # ms: a freshly loaded page draws its widgets late on a busy machine
_weeks = itertools.count()


def has_focus(box: Locator) -> bool:
    """The text box is still the focused element (inside its component's shadow root)."""
    return box.evaluate("el => el.getRootNode().activeElement === el")


def type_and_stay(page: Page, box: Locator, text: str) -> None:
    """Type as a person does, then wait ~3 s with the caret still in the field."""
    box.click()
    page.keyboard.type(text, delay=15)
    page.wait_for_timeout(3_000)
    assert has_focus(box), "the field must not have been left"
    expect(box).to_have_value(text)  # the save's rerun neither ate nor moved the typing


def open_app(page: Page, url: str) -> list[Dialog]:
    """Open / first (a fresh server knows its pages only then) and record any dialog but the
    "leave page?" question, which a reload with text not yet confirmed asks (and is answered
    yes: the tab keeps the text and sends it after the reload)."""
    dialogs: list[Dialog] = []

    def answer(dialog: Dialog) -> None:
        if dialog.type == "beforeunload":
            dialog.accept()
        else:
            dialogs.append(dialog)
            dialog.dismiss()

    page.on("dialog", answer)
    page.goto(url)
    wait_idle(page)
    return dialogs


@pytest.fixture
def conference_case(demo_url: str) -> dict:
    """A case of its own on a far-away Wednesday's conference (Referat shows it first)."""
    week = next(_weeks)
    day = dt.date(2032, 5, 5) + dt.timedelta(weeks=week)

    def build(session):  # noqa: ANN001, ANN202
        leader = session.scalars(select(Staff).order_by(Staff.id)).first()
        patient = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.pal_laege_id.is_not(None))
            .order_by(Patient.id).offset(20 + week).limit(1)
        ).one()
        conference = agenda.ensure_conference(session, leader, day)
        item = agenda.add_case(session, leader, conference.id, patient.id, "Status")
        session.flush()
        return {"day": day, "item": item.id, "name": patient.full_name, "leader": leader.id}

    return in_db(demo_url, build)


def test_case_text_is_saved_while_typing(page: Page, app_server, demo_url) -> None:
    case_id, name, nurse = a_new_case(demo_url)
    dialogs = open_app(page, app_server.url)
    page.goto(f"{app_server.url}/forbered_sag?som={nurse}&sag={case_id}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Intet gemt endnu. Teksten gemmes, mens du skriver.")).to_be_visible()

    box = page.get_by_role("textbox", name="3P *")
    type_and_stay(page, box, CASE_TEXT)
    expect(page.get_by_text(re.compile(r"Gemt kl\. \d\d:\d\d"))).to_be_visible(timeout=SLOW)
    assert has_focus(box)
    box.scroll_into_view_if_needed()
    screenshot(page, "live_autosave_case_typing")

    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("textbox", name="3P *")).to_have_value(CASE_TEXT, timeout=SLOW)

    # Reloading at once, before the 1.5 s pause: the field sends its text as the page is left.
    goals = page.get_by_role("textbox", name="Patientens mål og udbytte *")
    goals.click()
    page.keyboard.type(GOAL_TEXT)
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Patientens mål og udbytte *")).to_have_value(
        GOAL_TEXT, timeout=SLOW
    )
    assert not dialogs


def test_text_whose_last_report_never_arrived_survives_a_reload(
    page: Page, app_server, demo_url
) -> None:
    """The connection drops the field's reports (as a reload can, closing it before the server
    runs them): after the reload the typed text is back in the box and then saved."""
    case_id, name, nurse = a_new_case(demo_url)
    lost = {"on": False}

    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        socket.on_message(lambda message: None if lost["on"] else server.send(message))
        server.on_message(socket.send)

    page.route_web_socket(re.compile(r".*/_stcore/stream"), relay)
    dialogs = open_app(page, app_server.url)
    page.goto(f"{app_server.url}/forbered_sag?som={nurse}&sag={case_id}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=SLOW)

    goals = page.get_by_role("textbox", name="Patientens mål og udbytte *")
    goals.click()
    lost["on"] = True
    page.keyboard.type(GOAL_TEXT)
    goals.blur()  # the report goes out at once, and is lost
    page.wait_for_timeout(500)
    lost["on"] = False
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Patientens mål og udbytte *")).to_have_value(
        GOAL_TEXT, timeout=SLOW
    )
    expect(page.get_by_text(re.compile(r"Gemt kl\. \d\d:\d\d"))).to_be_visible(timeout=SLOW)

    page.reload()  # and it reached the database, not only the tab
    wait_idle(page)
    expect(page.get_by_role("textbox", name="Patientens mål og udbytte *")).to_have_value(
        GOAL_TEXT, timeout=SLOW
    )
    assert not dialogs


def test_conclusion_is_saved_while_typing(page: Page, app_server, conference_case) -> None:
    dialogs = open_app(page, app_server.url)
    page.goto(f"{app_server.url}/referat?dato={conference_case['day'].isoformat()}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=conference_case["name"])).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Ikke gemt endnu: teksten gemmes, mens du skriver.")).to_be_visible()

    box = page.get_by_role("textbox", name="Uddybning af konklusionen")
    type_and_stay(page, box, CONCLUSION_TEXT)
    expect(page.get_by_text(re.compile(r"Gemt kl\. \d\d:\d\d\."))).to_be_visible(timeout=SLOW)
    assert has_focus(box)
    box.scroll_into_view_if_needed()
    screenshot(page, "live_autosave_referat_typing")

    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name=conference_case["name"])).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("textbox", name="Uddybning af konklusionen")).to_have_value(
        CONCLUSION_TEXT, timeout=SLOW
    )
    assert not dialogs


def test_stored_html_is_shown_as_text(page: Page, app_server, demo_url,
                                      conference_case) -> None:
    case_id, _name, nurse = a_new_case(demo_url)

    def store(session):  # noqa: ANN001, ANN202
        author = session.scalars(select(Staff).where(Staff.initials == nurse)).one()
        cases.save_draft(session, author, case_id, {"tre_p": HOSTILE}, {"tre_p": ""}, None)
        leader = session.get(Staff, conference_case["leader"])
        minutes.save_conclusion(session, leader, conference_case["item"],
                                history_sketch=HOSTILE, decision=None, decision_text=HOSTILE,
                                version=None)

    in_db(demo_url, store)
    dialogs = open_app(page, app_server.url)

    page.goto(f"{app_server.url}/forbered_sag?som={nurse}&sag={case_id}")
    wait_idle(page)
    expect(page.get_by_role("textbox", name="3P *")).to_have_value(HOSTILE, timeout=SLOW)
    page.goto(f"{app_server.url}/referat?dato={conference_case['day'].isoformat()}")
    wait_idle(page)
    for field in ("Uddybning af konklusionen", "Skitse af historik"):
        expect(page.get_by_role("textbox", name=field)).to_have_value(HOSTILE, timeout=SLOW)
    page.wait_for_timeout(1_000)  # time for an injected onerror to have fired
    expect(page.locator("img[src='x']")).to_have_count(0)  # the locator looks in shadow roots
    assert not dialogs
