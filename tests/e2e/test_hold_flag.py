"""In a real browser: a group therapist opens their group on Hold, flags a patient for the
holdkonference with a short note, and the flag shows on the group's entry (also after a reload)."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from conference.services import groups as svc
from db.session import make_engine, session_scope
from tests.e2e.conftest import click_tab, pick_option, screenshot, wait_idle

NOTE = "Har svært ved at deltage i øvelserne; ønsker samtale om smertemedicin."


def a_group_and_an_unflagged_patient(demo_url: str) -> tuple[svc.GroupSummary, str]:
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        for summary in svc.list_groups(session, dt.date.today()):
            detail = svc.group_detail(session, summary.id, dt.date.today())
            flagged = {f.patient_id for f in detail.open_flags}
            names = [r.name for r in detail.active_roster if r.patient_id not in flagged]
            if names:
                engine.dispose()
                return summary, names[0]
    raise AssertionError("the demo centre must have a running group with participants")


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the visible selectbox labelled `label` (retried if a rerun closes it)."""
    pick_option(page, page.get_by_test_id("stMain"), label, option)
    wait_idle(page)


def test_a_therapist_flags_a_patient_and_the_flag_shows_on_the_group(
    page: Page, app_server, demo_url
) -> None:
    group, patient = a_group_and_an_unflagged_patient(demo_url)
    page.goto(app_server.url)
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Hold").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Hold", exact=True)).to_be_visible()
    expect(page.get_by_text("Hold, der kører")).to_be_visible()

    choose(page, "Hold", group.name)
    expect(page.get_by_role("heading", name=group.name)).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/hold\?.*hold={group.id}"))

    click_tab(page, "Til holdkonference")
    choose(page, "Patient", patient)
    page.get_by_label("Hvad er kommet frem, og hvad skal overleveres?").fill(NOTE)
    page.get_by_role("button", name="Til holdkonference").click()
    wait_idle(page)

    expect(page.get_by_text("Patienten er markeret til holdkonference.")).to_be_visible()
    entry = page.get_by_test_id("stAlertContentWarning").filter(has_text="Til holdkonference:")
    expect(entry).to_contain_text(patient)
    # the note as shown on the group (the form's field may still hold it while it is cleared)
    expect(page.get_by_text(NOTE).and_(page.locator(":not(textarea)"))).to_be_visible()
    screenshot(page, "e2e_hold_flag")

    # a reload returns to the same group, and the flag is still on its entry
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name=group.name)).to_be_visible()
    expect(entry).to_contain_text(patient)
