"""In a real browser: open the patient list, search, open a patient, see the course."""

import datetime as dt
import re

from playwright.sync_api import Page, expect

from conference.services.patients import list_patients, pro_points
from db.session import make_engine, session_scope
from tests.e2e.conftest import click_tab, screenshot, wait_idle


def a_patient_due(demo_url: str):
    """A patient due at the conference who has answered questionnaires more than once."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        rows = list_patients(session, dt.date.today()).rows
        due = [r for r in rows if r.due]
        target = next((r for r in due if len(pro_points(session, r.id)) >= 2), due[0])
    engine.dispose()
    return target, len(rows)


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

    # the PRO tab: flags with words, the trend charts, the table
    click_tab(page, "PRO")
    expect(page.get_by_text("Dialogstøtte, ikke beslutningsstøtte", exact=False)).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart']:visible").first).to_be_visible()
    screenshot(page, "e2e_patient_pro")

    # a reload returns to the same patient
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name=target.name)).to_be_visible()
