"""In a real browser: text lands on the patient it was typed for. A case is named by the address
(?sag=<agenda item>) and nothing else: typing into the 4th, the 7th and the last case of a
conference with eight, across several autosaves each (the field is never left; each autosave's
rerun and the pages' timed fragment runs happen meanwhile), puts every text on its own case in
the database, on Referat and on Forbered sag, and the address keeps naming the case.

(The bug this guards: Referat's case list was a radio whose value Streamlit keeps as the option's
label; the label carries the case's state, "○" becoming "✎" at the first autosave, so the next
rerun could not find the selected case and fell back to the first one, and the text typed next
went into the first patient's conclusion.)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from conference.services import agenda
from db.models import CasePresentation, Conclusion, Patient, PatientStatus, Role, Staff, StaffRole
from tests.e2e.conftest import screenshot, wait_idle
from tests.factories import in_db

REFERAT_DAY = dt.date(2034, 9, 6)  # Wednesdays no other test uses
PREPARE_DAY = dt.date(2034, 10, 4)
CASES = 8
TYPED_INTO = (3, 6, 7)  # the 4th, the 7th and the last case
SLOW = 30_000  # ms: a busy machine draws and saves late


def leader_initials(session) -> str:  # noqa: ANN001
    """A mødeleder (or administrator): may prepare and record every case."""
    return session.scalars(
        select(Staff.initials).join(StaffRole)
        .where(Staff.active, StaffRole.role.in_([Role.MOEDELEDER, Role.ADMIN]))
        .order_by(Staff.id)
    ).first()


def conference_of_eight(demo_url: str, day: dt.date, offset: int) -> dict:
    """A conference on `day` with eight cases (patients from `offset` on in the demo)."""

    def build(session):  # noqa: ANN001, ANN202
        leader = session.scalars(
            select(Staff).where(Staff.initials == leader_initials(session))
        ).one()
        patients = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.pal_laege_id.is_not(None))
            .order_by(Patient.id).offset(offset).limit(CASES)
        ).all()
        assert len(patients) == CASES, "the demo centre has too few active patients"
        conference = agenda.ensure_conference(session, leader, day)
        items = [agenda.add_case(session, leader, conference.id, p.id, "Status til konferencen")
                 for p in patients]
        session.flush()
        return {"items": [i.id for i in items], "names": [p.full_name for p in patients],
                "leader": leader.initials}

    return in_db(demo_url, build)


def box_of(page: Page, label: str) -> Locator:
    return page.get_by_role("textbox", name=label)


def typed_and_saved(page: Page, label: str, text: str) -> None:
    """Type `text` at the end of field `label` and stay in it until the autosave has reached
    Python (the box says so: data-confirmed) and its rerun has finished."""
    box = box_of(page, label)
    box.click()
    box.press("End")
    page.keyboard.type(text, delay=10)
    root = page.locator(".live-text").filter(has=box)
    expect(root).to_have_attribute("data-confirmed", "true", timeout=SLOW)
    wait_idle(page)
    assert box.evaluate("el => el.getRootNode().activeElement === el"), "the field was left"


def open_app(page: Page, url: str) -> None:
    page.goto(url)  # the first visit runs app.py (its navigation) on the server
    wait_idle(page)


@pytest.fixture
def referat_cases(demo_url: str) -> dict:
    return conference_of_eight(demo_url, REFERAT_DAY, 0)


@pytest.fixture
def prepare_cases(demo_url: str) -> dict:
    return conference_of_eight(demo_url, PREPARE_DAY, CASES)


def test_referat_text_lands_on_the_case_it_was_typed_for(
    page: Page, app_server, demo_url, referat_cases
) -> None:
    items, names = referat_cases["items"], referat_cases["names"]
    label = "Uddybning af konklusionen"
    open_app(page, app_server.url)
    first = TYPED_INTO[0]
    page.goto(f"{app_server.url}/referat?som={referat_cases['leader']}"
              f"&dato={REFERAT_DAY.isoformat()}&sag={items[first]}")
    wait_idle(page)
    expected: dict[int, str] = {}
    for index in TYPED_INTO:
        if index != first:  # to the next case by the case list
            page.get_by_role("button", name=names[index]).click()
            wait_idle(page)
        expect(page.get_by_role("heading", name=names[index])).to_be_visible(timeout=SLOW)
        rounds = [f"Sag {index + 1}: første linje.", " Anden linje.", " Tredje linje."]
        for words in rounds:  # three autosaves, the caret in the field throughout
            typed_and_saved(page, label, words)
            expect(page).to_have_url(re.compile(rf"[?&]sag={items[index]}(&|$)"))
            expect(page.get_by_role("heading", name=names[index])).to_be_visible()
            expect(page.get_by_text(re.compile(r"Gemt kl\. \d\d:\d\d\."))).to_be_visible()
        expected[items[index]] = "".join(rounds)
        # the case list shows this case, and only this one, as the one open (now with a draft)
        shown = page.get_by_test_id("stBaseButton-primary").filter(has_text="✎")
        expect(shown).to_have_count(1)
        expect(shown).to_have_text(re.compile(rf"✎ {re.escape(names[index])}"))
    screenshot(page, "case_identity_referat")

    stored = in_db(demo_url, lambda s: {
        c.agenda_item_id: c.decision_text or ""
        for c in s.scalars(select(Conclusion).where(Conclusion.agenda_item_id.in_(items)))
    })
    assert {k: v for k, v in stored.items() if v} == expected


def test_forbered_sag_text_lands_on_the_case_it_was_typed_for(
    page: Page, app_server, demo_url, prepare_cases
) -> None:
    items, names = prepare_cases["items"], prepare_cases["names"]
    label = "Patientens mål og udbytte *"
    open_app(page, app_server.url)
    expected: dict[int, str] = {}
    for index in TYPED_INTO:
        page.goto(f"{app_server.url}/forbered_sag?som={prepare_cases['leader']}"
                  f"&sag={items[index]}")
        wait_idle(page)
        expect(page.get_by_role("heading", name=names[index])).to_be_visible(timeout=SLOW)
        rounds = [f"Mål for sag {index + 1}.", " Gå ture.", " Sove bedre."]
        for words in rounds:
            typed_and_saved(page, label, words)
            expect(page).to_have_url(re.compile(rf"[?&]sag={items[index]}(&|$)"))
            expect(page.get_by_role("heading", name=names[index])).to_be_visible()
            expect(page.get_by_text(re.compile(r"Gemt kl\. \d\d:\d\d"))).to_be_visible()
        expected[items[index]] = "".join(rounds)
    screenshot(page, "case_identity_forbered_sag")

    stored = in_db(demo_url, lambda s: {
        row.agenda_item_id: (row.fields or {}).get("maal_udbytte", "")
        for row in s.scalars(select(CasePresentation)
                             .where(CasePresentation.agenda_item_id.in_(items)))
    })
    assert {k: v for k, v in stored.items() if v} == expected
