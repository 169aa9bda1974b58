"""In a real browser, with no mouse at all: the mødeleder runs the meeting from the keyboard
(the "Tastatur" help, start, → and ← through the cases, attendance, postponing a case) and the
referent records a conclusion with two next steps and signs off. Every control is reached with
Tab and used with Enter, Space, arrows or typing; each one shows that it has focus."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from conference.services import agenda
from db.models import Patient, PatientStatus, Staff
from tests.e2e.conftest import screenshot
from tests.factories import in_db

DAY = dt.date(2036, 2, 6)  # a Wednesday no other test uses

#: Whether the element with focus (or the box around it, for Streamlit's inputs) shows it: an
#: outline, a focus ring (box-shadow) or a border in the theme's primary colour.
FOCUS_SHOWN = """() => {
  let e = document.activeElement;
  while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  for (let depth = 0; e && depth < 6; depth += 1, e = e.parentElement) {
    const cs = getComputedStyle(e);
    if (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) return true;
    if (cs.boxShadow && cs.boxShadow !== 'none') return true;
    if (depth > 0 && cs.borderTopColor === 'rgb(11, 92, 173)') return true;
  }
  return false;
}"""


@pytest.fixture
def meeting(demo_url: str) -> dict:
    """A conference on DAY with two cases to discuss; nobody has started it."""

    def build(session) -> dict:  # noqa: ANN001
        leader = session.scalars(select(Staff).order_by(Staff.id)).first()
        first, second = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.pal_laege_id.is_not(None))
            .order_by(Patient.id).limit(2)
        ).all()
        conference = agenda.ensure_conference(session, leader, DAY)
        agenda.add_case(session, leader, conference.id, first.id, "Tvivl om næste indsats")
        agenda.add_case(session, leader, conference.id, second.id, "Status efter hold")
        return {"first": first.full_name, "second": second.full_name}

    return in_db(demo_url, build)


def settle(page: Page) -> None:
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=90_000
    )


def has_focus(target: Locator) -> bool:
    return target.count() > 0 and target.first.evaluate(
        """e => {
          let active = document.activeElement;  // into components' shadow roots
          while (active && active.shadowRoot && active.shadowRoot.activeElement) {
            active = active.shadowRoot.activeElement;
          }
          return e === active || e.contains(active);
        }"""
    )


def tab_to(page: Page, target: Locator, limit: int = 90) -> None:
    """Press Tab until `target` has focus, then check that the focus is visible."""
    for _ in range(limit):
        if has_focus(target):
            # the focus ring fades in (a CSS transition): wait for it, not for time
            try:
                page.wait_for_function(FOCUS_SHOWN, timeout=5_000)
            except PlaywrightTimeoutError:
                raise AssertionError(f"focus not visible on {target}") from None
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def move(page: Page, key: str) -> None:
    """Press → or ← once the board is drawn once: while a rerun briefly keeps the old buttons
    beside the new ones, both would take the key (and the meeting would skip a case)."""
    settle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("button", name="Næste")).to_have_count(1)
    expect(main.get_by_role("button", name="Forrige")).to_have_count(1)
    page.keyboard.press(key)
    settle(page)


def now_on(page: Page, name: str) -> None:
    """The board marks `name` as the current case."""
    marker = page.get_by_test_id("stMain").locator("p").filter(has_text="▶ Nu:")
    expect(marker.first).to_contain_text(name, timeout=30_000)


def test_the_meeting_from_the_keyboard(page: Page, app_server, meeting) -> None:  # noqa: ANN001
    page.goto(app_server.url)  # the first visit runs app.py (its navigation)
    settle(page)
    page.goto(f"{app_server.url}/konference?dato={DAY.isoformat()}")
    settle(page)
    main = page.get_by_test_id("stMain")

    # the shortcuts, from the "Tastatur" help
    tab_to(page, main.get_by_role("button", name="Tastatur"))
    page.keyboard.press("Enter")
    help_text = page.get_by_text("Mødet fra tastaturet")
    expect(help_text).to_be_visible()
    screenshot(page, "e2e_keyboard_help")
    page.keyboard.press("Escape")
    expect(help_text).to_be_hidden()

    # start the meeting; → and ← move through the cases
    tab_to(page, main.get_by_role("button", name="Start mødet"))
    page.keyboard.press("Enter")
    settle(page)
    expect(main.get_by_role("button", name="Afslut mødet")).to_be_visible()
    move(page, "ArrowRight")
    now_on(page, meeting["first"])
    move(page, "ArrowRight")
    now_on(page, meeting["second"])
    move(page, "ArrowLeft")
    now_on(page, meeting["first"])

    # attendance: the Fremmøde tab (arrow keys), type a name in a profession's list, Enter
    tab_to(page, main.get_by_role("tab", name="Dagsorden"))
    page.keyboard.press("ArrowRight")
    settle(page)
    expect(main.get_by_role("tab", name="Fremmøde")).to_have_attribute("aria-selected", "true")
    now_on(page, meeting["first"])  # the arrow in the tab bar did not move the meeting on
    picker = main.get_by_role("tabpanel", name="Fremmøde").get_by_role("combobox", name="Læge")
    tab_to(page, picker)
    page.keyboard.type("a")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    settle(page)
    expect(main.get_by_text(re.compile(r"^[1-9]\d* til stede: [1-9]\d* læge"))).to_be_visible(
        timeout=30_000
    )

    # postpone the second case: the "Ændr en sag" panel, from the keyboard
    page.keyboard.press("Shift+Tab")
    tab_to(page, main.get_by_role("tab", name="Fremmøde"))
    page.keyboard.press("ArrowLeft")
    settle(page)
    tab_to(page, main.locator("summary").filter(has_text="Ændr en sag: liste, tid, udsæt"))
    page.keyboard.press("Enter")
    chooser = main.get_by_role("combobox", name="Sag")
    chosen = re.compile(r"\d+\. " + re.escape(meeting["second"]))
    tab_to(page, chooser)
    for _ in range(3):  # a rerun can close the list before Enter: then choose again
        page.keyboard.type(meeting["second"])
        page.keyboard.press("Enter")
        settle(page)
        if chosen.fullmatch(chooser.input_value()):  # chosen, not only typed as a filter
            break
        page.keyboard.press("Escape")
        if not has_focus(chooser):
            tab_to(page, chooser)
    expect(chooser).to_have_value(chosen)  # the case the reason and the button are for
    reason = main.get_by_label("Begrundelse (påkrævet for at udsætte eller fjerne)")
    for _ in range(3):
        tab_to(page, reason)
        page.keyboard.press("Control+a")
        page.keyboard.type("Patienten er indlagt")
        page.keyboard.press("ArrowLeft")  # in a text field the arrows move the caret, not the
        page.keyboard.press("ArrowRight")  # meeting
        page.keyboard.press("Tab")  # leaving the field hands the text to the app (a rerun)
        settle(page)
        # a rerun that replaced the field can briefly show the old one beside the new one
        expect(reason).to_have_count(1, timeout=30_000)
        # Known: the board re-reads every 3 s, and a re-read that lands while a field is being
        # typed in can empty it (issue 14 makes the board redraw only when something changed).
        # The person sees the empty field and types again; so does this test.
        if reason.input_value() == "Patienten er indlagt":
            break
        page.keyboard.press("Shift+Tab")
    expect(reason).to_have_value("Patienten er indlagt")
    now_on(page, meeting["first"])
    tab_to(page, main.get_by_role("button", name="Udsæt til næste gang"))
    page.keyboard.press("Enter")
    settle(page)
    expect(main.get_by_text("Udsat eller fjernet (1)")).to_be_visible(timeout=30_000)
    now_on(page, meeting["first"])  # the second was set aside, the first is still on
    screenshot(page, "e2e_keyboard_board")

    # the referent: the current case, a conclusion, its text, two next steps, sign-off
    page.goto(f"{app_server.url}/referat?dato={DAY.isoformat()}")
    settle(page)
    expect(main.get_by_role("heading", name=meeting["first"])).to_be_visible()
    conclusion = main.get_by_role("radio", name="Kognitiv funktionel terapi (CFT)")
    tab_to(page, main.get_by_role("radio").first)
    for _ in range(12):  # arrows move along the choices
        if has_focus(conclusion):
            break
        page.keyboard.press("ArrowRight")
    assert has_focus(conclusion), "the arrow keys never reached the conclusion"
    page.keyboard.press("Space")
    settle(page)
    expect(conclusion).to_have_attribute("aria-checked", "true")
    details = main.get_by_label("Uddybning af konklusionen")
    tab_to(page, details)
    page.keyboard.type("Start efter Mindfulness; fokus på løft og bøjning.")
    page.keyboard.press("Tab")
    settle(page)
    expect(main.get_by_text("Gemt kl.")).to_be_visible(timeout=30_000)

    tab_to(page, main.get_by_role("button", name="Tilføj: Kognitiv funktionel terapi (CFT)"))
    page.keyboard.press("Enter")
    settle(page)
    form = main.get_by_test_id("stForm")
    tab_to(page, form.get_by_role("combobox", name="Hvad"))
    page.keyboard.type("Medicinsamtale")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    tab_to(page, form.get_by_role("combobox", name="Hvem"))
    page.keyboard.type("PAL")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    tab_to(page, form.get_by_label("Frist"))
    page.keyboard.press("Control+a")
    page.keyboard.type((DAY + dt.timedelta(days=21)).strftime("%d.%m.%Y"))
    page.keyboard.press("Enter")
    tab_to(page, form.get_by_role("button", name="Tilføj næste skridt"))
    page.keyboard.press("Enter")
    settle(page)
    expect(main.get_by_text("Tilføjet: Medicinsamtale (frist 27. feb. 2036).")).to_be_visible()
    note = main.get_by_test_id("stCode")
    expect(note).to_contain_text("- Kognitiv funktionel terapi (CFT). Ansvarlig: fysioterapeut.")
    expect(note).to_contain_text("- Medicinsamtale. Ansvarlig: PAL-læge", timeout=30_000)
    screenshot(page, "e2e_keyboard_referat")

    tab_to(page, main.get_by_role("tab", name="Sager"))
    page.keyboard.press("ArrowRight")
    settle(page)
    sign = main.get_by_role("button", name="Underskriv referatet og afslut konferencen")
    tab_to(page, sign)
    page.keyboard.press("Enter")
    settle(page)
    expect(main.get_by_text("Underskrevet af").first).to_be_visible(timeout=30_000)
    screenshot(page, "e2e_keyboard_signed")
