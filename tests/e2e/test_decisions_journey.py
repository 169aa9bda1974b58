"""In a real browser (seed 3.9, 3.10): a meeting with one case discussed and two til orientering.
The leader ends the meeting and is told two cases lack a decision; both proposals are confirmed
at once; the referent signs off; the minutes carry all three cases and Opfølgning the steps."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from conference.services import agenda
from db.models import (
    AgendaList,
    CourseEvent,
    CourseStatus,
    Intervention,
    Patient,
    PatientStatus,
    Staff,
)
from tests.e2e.conftest import click_tab, screenshot, wait_idle
from tests.factories import in_db

DAY = dt.date(2033, 6, 1)  # a Wednesday far from the demo's own conferences


@pytest.fixture
def meeting(demo_url: str) -> dict:
    """Three patients on one conference: the first to discuss, two til orientering after Anden
    opfølgning (no Afsluttende samtale planned yet, so the pathway proposes it)."""

    def build(session):
        leader = session.scalars(select(Staff).order_by(Staff.id)).first()
        final = select(CourseEvent.patient_id).join(Intervention).where(
            Intervention.code == "afsluttende_samtale"
        )
        after_second = session.scalars(
            select(Patient)
            .join(CourseEvent, CourseEvent.patient_id == Patient.id)
            .join(Intervention, Intervention.id == CourseEvent.intervention_id)
            .where(Patient.status == PatientStatus.ACTIVE, Patient.pal_laege_id.is_not(None),
                   Intervention.code == "anden_opfoelgning",
                   CourseEvent.status == CourseStatus.DONE, Patient.id.not_in(final))
            .order_by(Patient.id).limit(2)
        ).all()
        discussed = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.id.not_in([p.id for p in after_second]))
            .order_by(Patient.id.desc()).limit(1)
        ).one()
        conference = agenda.ensure_conference(session, leader, DAY)
        first = agenda.add_case(session, leader, conference.id, discussed.id, "Tvivl om forløbet")
        for patient in after_second:
            item = agenda.add_case(session, leader, conference.id, patient.id, "Status")
            agenda.set_list(session, leader, item.id, AgendaList.INFORMATION)
        session.flush()
        return {"first": first.id, "discussed": discussed.full_name,
                "informed": [p.full_name for p in after_second]}

    data = in_db(demo_url, build)
    assert len(data["informed"]) == 2, "the demo has patients after Anden opfølgning"
    return data


def test_two_cases_til_orientering_confirmed_signed_off_and_followed_up(
    page: Page, app_server, meeting
) -> None:
    page.goto(app_server.url)
    wait_idle(page)
    board_url = f"{app_server.url}/konference?dato={DAY.isoformat()}"
    page.goto(board_url)
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    for name in meeting["informed"]:
        expect(main.get_by_text(name).first).to_be_visible()
    expect(main.get_by_text("Forslag: Afsluttende samtale").first).to_be_visible()
    page.get_by_role("button", name="Start mødet").click()
    wait_idle(page)

    # the discussed case: the referent records its conclusion and a step
    page.goto(f"{app_server.url}/referat?dato={DAY.isoformat()}&sag={meeting['first']}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=meeting["discussed"])).to_be_visible()
    page.get_by_role("radio", name="Kognitiv funktionel terapi (CFT)").click()
    wait_idle(page)
    page.get_by_role("button", name="Tilføj: Kognitiv funktionel terapi (CFT)").click()
    wait_idle(page)
    note = page.get_by_test_id("stCode").filter(has_text="Ansvarlig: fysioterapeut")
    expect(note.first).to_be_visible(timeout=20_000)

    # the leader ends the meeting: two cases lack a decision, both confirmed at once
    page.goto(board_url)
    wait_idle(page)
    page.get_by_role("button", name="Afslut mødet").click()
    wait_idle(page)
    warning = page.get_by_text("mangler en beslutning")
    expect(warning).to_be_visible()
    screenshot(page, "e2e_decisions_open")
    page.get_by_role("button", name="Bekræft alle 2 forslag til orientering").click()
    wait_idle(page)
    expect(warning).to_have_count(0)

    # the referent signs off; the minutes name all three with their conclusions
    page.goto(f"{app_server.url}/referat?dato={DAY.isoformat()}")
    wait_idle(page)
    click_tab(page, "Referat og afslutning")
    page.get_by_role("button", name="Underskriv referatet og afslut konferencen").click()
    wait_idle(page)
    expect(page.get_by_text("Underskrevet af").first).to_be_visible()
    click_tab(page, "Referat og afslutning")
    minutes = page.get_by_test_id("stMain")
    expect(minutes.get_by_role("heading", name=meeting["discussed"]).first).to_be_visible()
    for name in meeting["informed"]:
        expect(minutes.get_by_text(name).filter(has_text="Konklusion: Afsluttende samtale")
               .first).to_be_visible()
    screenshot(page, "e2e_decisions_minutes")

    # Opfølgning: each informed patient's Afsluttende samtale is an open step
    for name in meeting["informed"]:
        page.goto(f"{app_server.url}/opfoelgning?vis=alle&patient={name}")
        wait_idle(page)
        expect(page.get_by_text("Afsluttende samtale", exact=True).first).to_be_visible()
    screenshot(page, "e2e_decisions_opfoelgning")
