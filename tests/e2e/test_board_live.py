"""Two people at once: the leader's board shows, within 5 s and without a reload, that a
microteam member has just marked their case ready on another screen."""

import datetime as dt
import re

from playwright.sync_api import Browser, Page, expect

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
        taken = {r.patient_id for r in cases.my_cases(session, None, dt.date.today())}
        answered = select(ProResponse.patient_id)
        who = session.scalars(
            select(Patient).where(
                Patient.status == PatientStatus.ACTIVE,
                Patient.kontaktsygeplejerske_id.is_not(None),
                Patient.id.in_(answered),
                Patient.id.not_in(taken),
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


def mark_ready(nurse: Page, url: str, case: dict) -> None:
    """The case's nurse, in a browser of their own, marks it "Klar til konference"."""
    nurse.goto(f"{url}/?som={case['nurse']}")
    wait_idle(nurse)
    nurse.goto(f"{url}/forbered_sag?sag={case['id']}&som={case['nurse']}")
    wait_idle(nurse)
    nurse.get_by_role("button", name="Klar til konference").click()
    wait_idle(nurse)


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

        mark_ready(nurse_ctx.new_page(), app_server.url, case)

        # no reload on the leader's screen: the board's fragment re-reads every 3 s
        ready = leader.get_by_text(re.compile(name + r" · .* · klar$"))
        expect(ready.first).to_be_visible(timeout=5_000)
        screenshot(leader, "e2e_board_live_ready")
    finally:
        leader_ctx.close()
        nurse_ctx.close()


def presented(url: str, case: dict) -> None:
    """The meeting of the case's day started, the case being presented (as the leader does)."""
    from conference.services import agenda
    from tests.bench.views import leader

    engine = make_engine(url)
    with session_scope(engine) as session:
        chair = leader(session)
        conference = agenda.find_conference(session, dt.date.fromisoformat(case["day"]))
        agenda.start_meeting(session, chair, conference.id)
        agenda.go_to(session, chair, conference.id, case["id"])
    engine.dispose()


def test_the_projection_shows_a_case_marked_ready_elsewhere_within_5_s(
    browser: Browser, app_server, demo_url
) -> None:
    case = prepared_case(demo_url)
    presented(demo_url, case)
    first_name = case["name"].split()[0]
    room = browser.new_context(viewport={"width": 1920, "height": 1080})  # the projector
    nurse_ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        projector = room.new_page()
        projector.goto(app_server.url)
        wait_idle(projector)
        projector.goto(f"{app_server.url}/konference?dato={case['day']}&visning=projektion")
        wait_idle(projector)
        expect(projector.get_by_role("heading", name=re.compile(
            rf"Sag \d+ af \d+: {re.escape(first_name)} \w\., \d+ år"))).to_be_visible(
            timeout=30_000)
        expect(projector.get_by_text("Ikke markeret klar af mikroteamet", exact=False)
               ).to_be_visible()
        assert case["name"] not in projector.inner_text("body")  # first name + initial only

        mark_ready(nurse_ctx.new_page(), app_server.url, case)

        # nobody touches the projector: its fragment re-reads every 3 s
        expect(projector.get_by_text("Klar til konference", exact=False)).to_be_visible(
            timeout=5_000)
        expect(projector.get_by_text("Foreslår CFT.")).to_be_visible()
        wait_idle(projector)
        screenshot(projector, "e2e_projection_1920x1080")
    finally:
        room.close()
        nurse_ctx.close()
