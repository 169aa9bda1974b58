"""In a real browser: a microteam member types into the presentation template, the text is
saved to the database when they leave the field ("Gemt kl. HH:MM"), and a reload of the page
returns to the same case with the text in place."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from conference.services import cases
from db.models import Patient, PatientStatus, Staff
from db.session import make_engine, session_scope
from tests.e2e.conftest import screenshot, wait_idle

TEXT = "Grundlæggende: tidlige belastninger.\nVedligeholdende: søvnmangel og bekymringer."


def a_new_case(demo_url: str) -> tuple[int, str, str]:
    """A patient of the demo put on a coming conference by their nurse: (case, name, nurse)."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        day = cases.coming_conference_dates(session, dt.date.today())[5]
        taken = {r.patient_id for r in cases.my_cases(session, None, dt.date.today())}
        who = session.scalars(
            select(Patient)
            .where(Patient.status == PatientStatus.ACTIVE,
                   Patient.kontaktsygeplejerske_id.is_not(None), Patient.id.not_in(taken))
            .order_by(Patient.id.desc())
            .limit(1)
        ).one()
        nurse = session.get(Staff, who.kontaktsygeplejerske_id)
        item = cases.put_on_conference(session, nurse, who.id, day, "Status til konferencen",
                                       "", dt.date.today())
        session.flush()
        result = item.id, who.full_name, nurse.initials
    engine.dispose()
    return result


def test_typed_text_survives_a_reload(page: Page, app_server, demo_url) -> None:
    case_id, name, nurse = a_new_case(demo_url)
    # A fresh server knows its pages only after app.py has run once; a deep link as the very
    # first request shows Streamlit's "Page not found" dialog. Open the app once first.
    page.goto(app_server.url)
    wait_idle(page)
    page.goto(f"{app_server.url}/forbered_sag?som={nurse}&sag={case_id}")
    wait_idle(page)
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_text("Intet gemt endnu")).to_be_visible()

    box = page.get_by_role("textbox", name="3P *")
    box.click()
    page.keyboard.type(TEXT)
    page.keyboard.press("Tab")  # leaving the field commits the text: it is saved
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Gemt kl\. \d\d:\d\d"))).to_be_visible()
    expect(page.get_by_text("Under forberedelse")).to_be_visible()
    screenshot(page, "forbered_sag_autosave_before_reload")

    page.reload()
    wait_idle(page)
    expect(page).to_have_url(re.compile(rf"sag={case_id}"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("textbox", name="3P *")).to_have_value(TEXT)
    expect(page.get_by_text(re.compile(r"Gemt kl\. \d\d:\d\d"))).to_be_visible()
    screenshot(page, "forbered_sag_autosave_after_reload")
