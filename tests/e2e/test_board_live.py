"""Two people at once: the leader's board shows, within 5 s and without a reload, that a
microteam member has just marked their case ready on another screen."""

import datetime as dt
import re

from playwright.sync_api import Browser, expect

from conference.services import cases
from db.models import Patient, PatientStatus, ProResponse, Staff
from db.session import make_engine, session_scope
from tests.e2e.conftest import CHROMIUM_ARGS, screenshot, wait_idle  # noqa: F401

REQUIRED = {
    "anledning": "Status efter anden opfølgning.",
    "tre_p": "Grundlæggende: tidligere belastning. Udløsende: fald. Vedligeholdende: søvn.",
    "maal_udbytte": "Går ture dagligt, bruger afspænding.",
    "vurdering": "Foreslår CFT.",
}


def prepared_case(url: str) -> dict:
    """A case of this test's own, every required field written, not yet marked ready."""
    from sqlalchemy import select

    engine = make_engine(url)
    with session_scope(engine) as session:
        day = cases.coming_conference_dates(session, dt.date.today())[5]
        answered = select(ProResponse.patient_id)
        who = session.scalars(
            select(Patient).where(
                Patient.status == PatientStatus.ACTIVE,
                Patient.kontaktsygeplejerske_id.is_not(None),
                Patient.id.in_(answered),
            ).order_by(Patient.id.desc())
        ).first()
        nurse = session.get(Staff, who.kontaktsygeplejerske_id)
        item = cases.put_on_conference(
            session, nurse, who.id, day, "Status", "Skal hun have CFT?", dt.date.today()
        )
        session.flush()
        cases.save_draft(session, nurse, item.id, REQUIRED, {}, None)
        result = {"id": item.id, "day": day.isoformat(), "name": who.full_name,
                  "nurse": nurse.initials}
    engine.dispose()
    return result


def test_the_board_shows_a_case_marked_ready_elsewhere_within_5_s(
    browser: Browser, app_server, demo_url
) -> None:
    case = prepared_case(demo_url)
    leader_ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    nurse_ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        leader = leader_ctx.new_page()
        leader.goto(app_server.url)
        wait_idle(leader)
        leader.goto(f"{app_server.url}/konference?dato={case['day']}")
        wait_idle(leader)
        name = re.escape(case["name"])
        expect(leader.get_by_text(re.compile(name + r" · .* · ikke klar$"))).to_be_visible(
            timeout=30_000
        )

        nurse = nurse_ctx.new_page()
        nurse.goto(f"{app_server.url}/?som={case['nurse']}")
        wait_idle(nurse)
        nurse.goto(f"{app_server.url}/forbered_sag?sag={case['id']}&som={case['nurse']}")
        wait_idle(nurse)
        nurse.get_by_role("button", name="Klar til konference").click()
        wait_idle(nurse)

        # no reload on the leader's screen: the board's fragment re-reads every 3 s
        ready = leader.get_by_text(re.compile(name + r" · .* · klar$"))
        expect(ready.first).to_be_visible(timeout=5_000)
        screenshot(leader, "e2e_board_live_ready")
    finally:
        leader_ctx.close()
        nurse_ctx.close()
