"""The referent's screen as AppTests on the demo centre: recording a conclusion with next steps,
drafts that survive a reload, a conflicting save, following the board, and sign-off.

Each test makes its own conference on a far-away Wednesday, so tests do not meet."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from conference.services import agenda, minutes
from db.models import (
    ActionItem,
    AgendaItem,
    AgendaList,
    Conclusion,
    Conference,
    Patient,
    PatientStatus,
    Staff,
)
from db.session import make_engine, session_scope
from tests.factories import in_db

_weeks = itertools.count(1)


@pytest.fixture
def meeting(demo_url: str):
    """A conference with two cases (its own day), and the staff member who made it."""
    day = dt.date(2031, 1, 1) + dt.timedelta(weeks=next(_weeks))
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        actor = session.scalars(select(Staff).order_by(Staff.id)).first()
        conference = agenda.ensure_conference(session, actor, day)
        patients = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.pal_laege_id.is_not(None))
            .order_by(Patient.id).offset(3 * next(_weeks)).limit(2)
        ).all()
        items = [
            agenda.add_case(session, actor, conference.id, p.id, "Problemstilling til drøftelse")
            for p in patients
        ]
        session.flush()
        data = {
            "day": day.isoformat(), "id": conference.id, "actor_id": actor.id,
            "items": [i.id for i in items], "names": [p.full_name for p in patients],
        }
    yield data
    engine.dispose()


def open_case(run_page, meeting, index: int = 0):
    return run_page("views/referat.py", dato=meeting["day"], sag=str(meeting["items"][index]))


def button(app, label: str):
    return next(b for b in app.button if b.label.startswith(label))


def test_recording_a_conclusion_with_two_steps_gives_the_record_note(run_page, meeting,
                                                                      demo_url) -> None:
    app = open_case(run_page, meeting)
    assert app.subheader[0].value.startswith(meeting["names"][0])
    app.pills(key=f"ref{meeting['items'][0]}_decision").set_value("cft").run()
    app.text_area(key=f"ref{meeting['items'][0]}_decision_text").input(
        "Start efter Mindfulness."
    ).run()
    button(app, "Tilføj: Kognitiv funktionel terapi (CFT)").click().run()
    item = meeting["items"][0]
    app.selectbox(key=f"add_step_{item}_r0_what").set_value("medicinsamtale")
    app.selectbox(key=f"add_step_{item}_r0_who").set_value("rolle:pal_laege")
    button(app, "Tilføj næste skridt").click().run()
    assert not app.exception and not app.error

    note = app.code[0].value
    day = dt.date.fromisoformat(meeting["day"])
    assert note.startswith(f"Tværfaglig konference {day:%d.%m.%Y}")
    assert "Konklusion:\nKognitiv funktionel terapi (CFT). Start efter Mindfulness." in note
    cft_due = (day + dt.timedelta(days=14)).strftime("%d.%m.%Y")
    assert f"- Kognitiv funktionel terapi (CFT). Ansvarlig: fysioterapeut. Frist: {cft_due}." \
        in note
    assert "- Medicinsamtale. Ansvarlig: PAL-læge " in note
    stored = in_db(demo_url, lambda s: s.scalars(
        select(ActionItem.description).join(Conclusion)
        .where(Conclusion.agenda_item_id == item).order_by(ActionItem.id)).all())
    assert stored == ["Kognitiv funktionel terapi (CFT)", "Medicinsamtale"]
    assert "✓" in app.button(key=f"referat_case_{item}").label


def test_a_draft_survives_a_reload(run_page, meeting) -> None:
    item = meeting["items"][0]
    app = open_case(run_page, meeting)
    app.text_area(key=f"ref{item}_history_sketch").input("Skitse skrevet under mødet").run()
    assert "Gemt kl." in " ".join(c.value for c in app.caption)

    again = open_case(run_page, meeting)  # a new browser session: nothing in session state
    assert again.text_area(key=f"ref{item}_history_sketch").value == "Skitse skrevet under mødet"
    assert "Skitse skrevet under mødet" in again.code[0].value


def test_a_save_over_someone_elses_newer_text_shows_both_and_lets_the_referent_choose(
    run_page, meeting, demo_url
) -> None:
    item = meeting["items"][0]
    app = open_case(run_page, meeting)
    app.text_area(key=f"ref{item}_history_sketch").input("Referentens første udgave").run()

    def other_saves(session):  # the leader saves on the board's machine meanwhile
        leader = session.scalars(select(Staff).order_by(Staff.id.desc())).first()
        stored = session.scalar(select(Conclusion).where(Conclusion.agenda_item_id == item))
        minutes.save_conclusion(session, leader, item, history_sketch="Mødelederens udgave",
                                decision="medicin", decision_text=None, version=stored.version)
        return leader.name

    leader = in_db(demo_url, other_saves)
    app.text_area(key=f"ref{item}_history_sketch").input("Referentens anden udgave").run()

    assert leader in app.warning[0].value and "ikke gemt" in app.warning[0].value
    shown = [t.value for t in app.text]
    assert any("Referentens anden udgave" in t for t in shown)
    assert any("Mødelederens udgave" in t for t in shown)
    button(app, "Brug den gemte").click().run()
    assert app.text_area(key=f"ref{item}_history_sketch").value == "Mødelederens udgave"
    assert app.pills(key=f"ref{item}_decision").value == "medicin"
    assert not app.main.warning, [w.value for w in app.main.warning]


def test_the_page_opens_on_the_boards_case_and_says_when_the_board_moves(run_page, meeting,
                                                                         demo_url) -> None:
    def board_to(index: int):
        def move(session):
            actor = session.get(Staff, meeting["actor_id"])
            agenda.go_to(session, actor, meeting["id"], meeting["items"][index])
        return move

    in_db(demo_url, board_to(1))
    app = run_page("views/referat.py", dato=meeting["day"])
    assert app.subheader[0].value.startswith(meeting["names"][1])
    assert app.query_params["sag"] == str(meeting["items"][1])  # a reload stays there

    app = open_case(run_page, meeting, 0)  # the referent chose another case
    assert app.subheader[0].value.startswith(meeting["names"][0])
    assert f"Tavlen er nu på {meeting['names'][1]}" in app.info[0].value
    button(app, "Gå til sagen").click().run()
    assert app.subheader[0].value.startswith(meeting["names"][1])


def test_sign_off_needs_decisions_then_locks_the_conclusions(run_page, meeting,
                                                             demo_url) -> None:
    first, second = meeting["items"]

    def timed(session):  # the board timed the second case: it was discussed
        session.get(AgendaItem, second).seconds_used = 240

    in_db(demo_url, timed)
    app = open_case(run_page, meeting)
    app.pills(key=f"ref{first}_decision").set_value("fortsaet_standardforloeb").run()
    # missing, before anyone clicks
    assert any(meeting["names"][1] in c.value for c in app.caption)
    button(app, "Underskriv referatet").click().run()
    assert meeting["names"][1] in app.error[0].value
    assert in_db(demo_url, lambda s: s.get(Conference, meeting["id"]).signed_off_at) is None

    app.button(key=f"referat_case_{second}").click().run()
    app.pills(key=f"ref{second}_decision").set_value("afslut_forloeb").run()
    button(app, "Underskriv referatet").click().run()
    assert not app.error
    assert any("Underskrevet af" in c.value for c in app.caption)
    assert any("Ret konklusionen" in e.label for e in app.expander)
    assert not [t for t in app.text_area if t.key == f"ref{second}_history_sketch"]
    assert app.download_button  # the minutes can be fetched


def test_cases_til_orientering_are_confirmed_from_the_proposal_before_sign_off(
    run_page, meeting, demo_url
) -> None:
    """Seed 3.9, 3.10: a case til orientering leaves the meeting with a decision. Sign-off is
    refused and names it; one click records the pathway's proposal and its next step."""
    first, second = meeting["items"]

    def inform_and_end(session):
        actor = session.get(Staff, meeting["actor_id"])
        agenda.set_list(session, actor, second, AgendaList.INFORMATION)
        minutes.save_conclusion(session, actor, first, history_sketch="Skitse",
                                        decision="cft", decision_text=None, version=None)
        agenda.start_meeting(session, actor, meeting["id"])
        agenda.end_meeting(session, actor, meeting["id"])

    in_db(demo_url, inform_and_end)
    app = open_case(run_page, meeting)
    warning = next(w.value for w in app.warning if "mangler en beslutning" in w.value)
    assert meeting["names"][1] in warning
    button(app, "Underskriv referatet").click().run()
    assert meeting["names"][1] in app.error[0].value and "til orientering" in app.error[0].value
    assert in_db(demo_url, lambda s: s.get(Conference, meeting["id"]).signed_off_at) is None

    assert any(t.value.startswith("Forslag: ") for t in app.text)
    button(app, "Bekræft forslaget").click().run()
    assert not app.error

    def stored(session):
        conclusion = session.scalar(select(Conclusion).where(Conclusion.agenda_item_id == second))
        return conclusion.decision, conclusion.recorded_by_id, [
            (a.description, a.owner_role) for a in session.scalars(
                select(ActionItem).where(ActionItem.conclusion_id == conclusion.id))
        ]

    decision, by, steps = in_db(demo_url, stored)
    assert decision and by == meeting["actor_id"]
    if decision == "afsluttende_samtale":
        assert steps == [("Afsluttende samtale", "pal_laege")]
    button(app, "Underskriv referatet").click().run()
    assert not app.error
    assert any("Underskrevet af" in c.value for c in app.caption)
