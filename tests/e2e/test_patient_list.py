"""In a real browser: open the patient list, search, open a patient, see the course."""

import datetime as dt
import re

from playwright.sync_api import Page, expect

from conference.services.patients import list_patients
from db.session import make_engine, session_scope
from tests.e2e.conftest import screenshot, wait_idle


def a_patient_due(demo_url: str):
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        rows = list_patients(session, dt.date.today()).rows
    engine.dispose()
    return next(r for r in rows if r.due), len(rows)


def test_search_the_list_and_open_a_patient(page: Page, app_server, demo_url) -> None:
    target, total = a_patient_due(demo_url)
    page.goto(app_server.url)
    wait_idle(page)
    expect(page.get_by_role("heading", name="Patienter")).to_be_visible()
    expect(page.get_by_text("DEMO")).to_be_visible()
    expect(page.get_by_text(f"Viser {total} af {total} patienter")).to_be_visible()
    screenshot(page, "e2e_patient_list")

    page.get_by_placeholder("Navn eller CPR-nummer").fill(target.cpr)
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text(f"Viser 1 af {total} patienter")).to_be_visible()

    # select the only row: the grid is a canvas, so click its row-selection cell
    grid = page.locator("[data-testid='stDataFrame']")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    expect(page.get_by_role("heading", name=target.name)).to_be_visible(timeout=20_000)
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"/patient\?id=\d+"))
    expect(page.get_by_text("Aktuel til tværfaglig konference")).to_be_visible()
    expect(page.get_by_role("tab", name="Forløb")).to_be_visible()
    screenshot(page, "e2e_patient_page")

    # a reload returns to the same patient
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name=target.name)).to_be_visible()
