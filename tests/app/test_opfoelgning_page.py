"""Opfølgning as AppTests on the demo centre: open steps across conferences, "mine", overdue,
one click to booked or done, and the meeting numbers over time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conference.services import actions
from db.models import ActionItem, ActionStatus, Conference, Staff
from db.session import make_engine, session_scope
from tests.app.test_statement_counts import LARGE, SMALL, centres, statements_to_draw

__all__ = ["centres"]  # the two demo centres of different size (a fixture)


@pytest.fixture(scope="module")
def open_steps(demo_url: str) -> list[actions.OpenAction]:
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        steps = actions.open_actions(session)
    engine.dispose()
    return steps


def staff_with_steps(demo_url: str, steps: list[actions.OpenAction]) -> tuple[str, int, str]:
    """(initials, id, profession) of a staff member who has open steps of their own."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        for person in session.scalars(select(Staff).order_by(Staff.id)):
            if any(s.is_for(person.id, person.profession.value) for s in steps):
                found = (person.initials, person.id, person.profession.value)
                break
    engine.dispose()
    return found


def rows(app) -> list[str]:
    """The step texts shown (bold first line of each row)."""
    return [m.value for m in app.markdown if m.value.startswith("**")]


def test_shows_every_open_step_with_overdue_ones_marked(run_page, open_steps) -> None:
    app = run_page("views/opfoelgning.py", vis="alle")
    assert app.title[0].value == "Opfølgning"
    assert app.metric[0].value == str(len(open_steps)) and len(open_steps) > 5
    today = dt.date.today()
    overdue = [s for s in open_steps if s.overdue(today)]
    assert app.metric[1].value == str(len(overdue))
    shown = rows(app)
    assert len(shown) == min(len(open_steps), 40)
    assert sum("overskredet" in r for r in shown) == sum(1 for s in open_steps[:40]
                                                          if s.overdue(today))


def test_mine_shows_only_the_acting_users_steps(run_page, demo_url, open_steps) -> None:
    initials, staff_id, profession = staff_with_steps(demo_url, open_steps)
    mine = [s for s in open_steps if s.is_for(staff_id, profession)]
    app = run_page("views/opfoelgning.py", som=initials)
    assert app.segmented_control(key="vis").value == "mine"
    assert app.metric[2].value == str(len(mine))
    assert len(rows(app)) == min(len(mine), 40)


def test_filters_by_patient_and_overdue(run_page, open_steps) -> None:
    target = open_steps[0]
    app = run_page("views/opfoelgning.py", vis="alle")
    app.text_input(key="patient").input(target.cpr.replace("-", "")).run()
    shown = rows(app)
    assert shown and len(shown) == sum(1 for s in open_steps if s.cpr == target.cpr)
    app.text_input(key="patient").input("").run()
    app.toggle(key="overskredne").set_value(True).run()
    assert rows(app) and all("overskredet" in r for r in rows(app))


def test_the_filters_come_back_from_the_address_after_a_reload(run_page, open_steps) -> None:
    target = open_steps[0]
    app = run_page("views/opfoelgning.py", vis="alle", patient=target.patient_name)
    assert app.text_input(key="patient").value == target.patient_name
    assert app.segmented_control(key="vis").value == "alle"
    assert len(rows(app)) == sum(1 for s in open_steps if s.patient_name == target.patient_name)


def test_booked_is_one_click_and_leaves_the_list_when_done(run_page, demo_url,
                                                           open_steps) -> None:
    step = open_steps[0]
    engine = make_engine(demo_url)
    with session_scope(engine) as session:  # the demo on this day may have booked them all
        stored = session.get(ActionItem, step.id)
        stored.status = ActionStatus.OPEN
        session.flush()
        first_version = stored.version
    engine.dispose()
    app = run_page("views/opfoelgning.py", vis="alle", patient=step.cpr)
    control = app.segmented_control(key=f"action{step.id}_v{first_version}_status")
    control.set_value(ActionStatus.BOOKED.value).run()
    assert not app.exception and not app.error
    assert "markeret booket" in app.success[0].value

    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        stored = session.get(ActionItem, step.id)
        status, version = stored.status, stored.version
    engine.dispose()
    assert status == ActionStatus.BOOKED
    app.segmented_control(key=f"action{step.id}_v{version}_status").set_value(
        ActionStatus.DONE.value
    ).run()
    assert f"action{step.id}_v" not in " ".join(str(w.key) for w in app.segmented_control)


def test_meeting_numbers_over_time(run_page) -> None:
    app = run_page("views/opfoelgning.py")
    frame = app.tabs[1].dataframe[0].value
    assert {"Konference", "Drøftet", "Overført", "Minutter pr. sag", "Afsat pr. sag",
            "Udført til tiden"} <= set(frame.columns)
    assert len(frame) >= 10
    assert frame["Drøftet"].sum() > 0 and frame["Udført til tiden"].dropna().between(0, 1).all()


def last_held(url: str) -> str:
    engine = make_engine(url)
    with session_scope(engine) as session:
        day = session.scalar(
            select(Conference.date).where(Conference.signed_off_at.is_not(None))
            .order_by(Conference.date.desc()).limit(1)
        )
    engine.dispose()
    return day.isoformat()


@pytest.mark.parametrize("page", ["views/opfoelgning.py", "views/referat.py"])
def test_statement_count_is_flat_as_the_centre_grows(centres, page) -> None:
    """Opfølgning (both tabs) and the referent's screen on the last conference held."""
    counts = {}
    for scale, url in centres.items():
        query = {"vis": "alle"} if page == "views/opfoelgning.py" else {"dato": last_held(url)}
        counts[scale] = statements_to_draw(url, page, **query)
    (open_small, rerun_small), (open_large, rerun_large) = counts[SMALL], counts[LARGE]
    assert open_large <= open_small < 50, counts
    assert rerun_large <= rerun_small, counts
