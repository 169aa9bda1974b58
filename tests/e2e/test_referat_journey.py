"""In a real browser: the referent records a conclusion with two next steps, signs off the
conference and downloads the minutes as PDF; the steps then appear on Opfølgning and, for the
patient, on the next conference's board."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from conference.formatting import date_short
from conference.services import agenda
from db.models import Patient, PatientStatus, Staff
from tests.e2e.conftest import SCREENSHOTS, click_tab, pick_option, screenshot, wait_idle
from tests.factories import in_db

DAY = dt.date(2032, 3, 3)  # a Wednesday far from the demo's own conferences


@pytest.fixture
def one_case(demo_url: str) -> dict:
    """A conference with two patients on it; the leader's board on the first."""

    def build(session):
        leader = session.scalars(select(Staff).order_by(Staff.id)).first()
        patient, other = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.pal_laege_id.is_not(None))
            .order_by(Patient.id.desc()).limit(2)
        ).all()
        conference = agenda.ensure_conference(session, leader, DAY)
        item = agenda.add_case(session, leader, conference.id, patient.id,
                               "Tvivl om behandlingsbehov efter Mindfulness")
        second = agenda.add_case(session, leader, conference.id, other.id, "Status")
        session.flush()
        agenda.go_to(session, leader, conference.id, item.id)
        return {"patient_id": patient.id, "name": patient.full_name, "conference": conference.id,
                "second": second.id, "second_name": other.full_name, "leader": leader.id}

    return in_db(demo_url, build)


def test_record_sign_off_download_and_follow_up(page: Page, app_server, demo_url,
                                                one_case) -> None:
    page.goto(app_server.url)  # the first visit runs app.py (its navigation) on the server
    wait_idle(page)
    page.goto(f"{app_server.url}/referat?dato={DAY.isoformat()}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=one_case["name"])).to_be_visible()

    # the conclusion: one click, a line of text, Tab saves it
    page.get_by_role("radio", name="Kognitiv funktionel terapi (CFT)").click()
    wait_idle(page)
    details = page.get_by_label("Uddybning af konklusionen")
    details.click()
    details.type("Start efter Mindfulness; fokus på løft og bøjning.")
    details.press("Tab")
    wait_idle(page)
    expect(page.get_by_text("Gemt kl.")).to_be_visible()

    # two next steps: the proposed one (one click) and one typed in the quick form
    page.get_by_role("button", name="Tilføj: Kognitiv funktionel terapi (CFT)").click()
    wait_idle(page)
    form = page.get_by_test_id("stForm")
    pick_option(page, form, "Hvad", "Medicinsamtale")
    pick_option(page, form, "Hvem", "PAL-læge")
    form.get_by_role("button", name="Tilføj næste skridt").click()
    wait_idle(page)

    note = page.get_by_test_id("stCode")
    expect(note).to_contain_text("Konklusion:\nKognitiv funktionel terapi (CFT). Start efter")
    expect(note).to_contain_text("- Kognitiv funktionel terapi (CFT). Ansvarlig: fysioterapeut.")
    expect(note).to_contain_text("- Medicinsamtale. Ansvarlig: PAL-læge", timeout=20_000)
    screenshot(page, "e2e_referat_case")

    # a reload comes back to the same case with everything saved
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name=one_case["name"])).to_be_visible()
    expect(page.get_by_label("Uddybning af konklusionen")).to_have_value(
        "Start efter Mindfulness; fokus på løft og bøjning."
    )

    # the leader moves on: the referent is told, and follows with one click
    def board_to_second(session):
        leader = session.get(Staff, one_case["leader"])
        agenda.go_to(session, leader, one_case["conference"], one_case["second"])

    in_db(demo_url, board_to_second)
    expect(page.get_by_text(f"Tavlen er nu på {one_case['second_name']}")).to_be_visible(
        timeout=15_000
    )
    page.get_by_role("button", name="Gå til sagen").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=one_case["second_name"])).to_be_visible()
    standard = page.get_by_role("radio", name="Fortsæt standardforløb")
    for _ in range(3):  # a click on a choice the page is just redrawing can miss: click again
        standard.click()
        wait_idle(page)
        if standard.get_attribute("aria-checked") == "true":
            break
    expect(standard).to_have_attribute("aria-checked", "true")

    # close the conference and fetch the minutes
    click_tab(page, "Referat og afslutning")
    page.get_by_role("button", name="Underskriv referatet og afslut konferencen").click()
    wait_idle(page)
    expect(page.get_by_text("Underskrevet af").first).to_be_visible()
    click_tab(page, "Referat og afslutning")
    wait_idle(page)
    pdf_button = page.get_by_role("button", name="Hent referat som PDF")
    expect(pdf_button).to_be_enabled()
    # The PDF is made when asked for. Streamlit drops a deferred download's callable when a
    # script run replaces it, so under load one click can come to nothing: a person clicks again.
    download = None
    for attempt in range(3):
        try:
            with page.expect_download(timeout=30_000) as download:
                pdf_button.click()
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            wait_idle(page)
    pdf = SCREENSHOTS / f"e2e_referat_{DAY.isoformat()}.pdf"
    download.value.save_as(pdf)
    assert download.value.suggested_filename == f"referat-{DAY.isoformat()}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 2000
    screenshot(page, "e2e_referat_signed")

    # Opfølgning: both steps, open, for this patient
    page.goto(f"{app_server.url}/opfoelgning?vis=alle&patient={one_case['name']}")
    wait_idle(page)
    # the demo's own history may hold earlier steps of the same kind: read this conference's
    from_here = page.get_by_role("paragraph").filter(
        has_text=f"konference {date_short(DAY)}")
    expect(from_here.filter(has_text="Kognitiv funktionel terapi (CFT)")).to_have_count(1)
    expect(from_here.filter(has_text="Medicinsamtale")).to_have_count(1)
    screenshot(page, "e2e_opfoelgning")

    # the patient's next conference shows the steps still open from this one
    def next_conference(session):
        leader = session.scalars(select(Staff).order_by(Staff.id)).first()
        later = agenda.ensure_conference(session, leader, DAY + dt.timedelta(days=7))
        agenda.add_case(session, leader, later.id, one_case["patient_id"], "Opfølgning")

    in_db(demo_url, next_conference)
    page.goto(f"{app_server.url}/konference?dato={(DAY + dt.timedelta(days=7)).isoformat()}")
    wait_idle(page)
    board = page.get_by_test_id("stMain")
    expect(board.get_by_text(f"Åben opgave fra {DAY.day}.").first).to_be_visible()
    expect(board.get_by_text("Kognitiv funktionel terapi (CFT)").first).to_be_visible()
    expect(board.get_by_text("Medicinsamtale").first).to_be_visible()
    screenshot(page, "e2e_next_conference_open_steps")
