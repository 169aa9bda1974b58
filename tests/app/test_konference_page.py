"""The leader's board as AppTests on the demo centre: creating the agenda, speaking order,
timer, attendance, and the projected case."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from conference.services import agenda
from db.models import Patient, PatientStatus
from db.session import make_engine, session_scope

_days = itertools.count(1)


@pytest.fixture
def free_day() -> str:
    """A Wednesday far ahead with no conference yet (each test its own)."""
    day = dt.date(2030, 1, 2) + dt.timedelta(weeks=next(_days))
    return day.isoformat()


def board_of(url: str, day: str) -> agenda.Board:
    engine = make_engine(url)
    with session_scope(engine) as session:
        conference = agenda.find_conference(session, dt.date.fromisoformat(day))
        view = agenda.board(session, conference.id)
    engine.dispose()
    return view


def button(app, label: str):
    return next(b for b in app.button if b.label == label)


def create_with_agenda(run_page, day: str):
    app = run_page("views/konference.py", dato=day)
    assert "ikke oprettet" in app.info[0].value
    button(app, "Opret konferencen").click().run()
    button(app, "Sæt forslagene på dagsordenen").click().run()
    assert not app.exception
    return app


def test_opens_on_the_next_conference_with_its_three_parts(run_page):
    app = run_page("views/konference.py")
    assert app.title[0].value.startswith("Tværfaglig konference ")
    headers = [h.value for h in app.subheader]
    assert any(h.startswith("1. Holdkonference") for h in headers)
    assert any(h.startswith("2. Patientkonference") for h in headers)
    assert any(h.startswith("3. Faglig udvikling") for h in headers)


def test_proposals_go_on_the_agenda_with_reasons_and_readiness(run_page, demo_url, free_day):
    create_with_agenda(run_page, free_day)
    view = board_of(demo_url, free_day)
    assert len(view.discussion) >= 3
    assert all(c.reason_text for c in view.discussion)
    assert all(not c.ready for c in view.discussion)  # nobody has prepared them yet


def test_the_leader_reorders_the_speaking_order(run_page, demo_url, free_day):
    app = create_with_agenda(run_page, free_day)
    before = [c.item_id for c in board_of(demo_url, free_day).discussion]
    app.button(key=f"up{before[1]}").click().run()
    after = [c.item_id for c in board_of(demo_url, free_day).discussion]
    assert after[:2] == [before[1], before[0]] and after[2:] == before[2:]


def test_timer_runs_from_start_and_follows_the_current_case(run_page, demo_url, free_day):
    app = create_with_agenda(run_page, free_day)
    assert app.metric[0].value == "Ikke startet"
    button(app, "Start mødet").click().run()
    view = board_of(demo_url, free_day)
    assert view.started_at is not None and view.phase == "hold"
    button(app, "Næste ▶").click().run()
    view = board_of(demo_url, free_day)
    first = view.discussion[0]
    assert view.current_item_id == first.item_id
    assert app.metric[1].label.startswith("Aktuel sag: ")
    assert first.first_name in app.metric[1].label
    assert ":" in app.metric[0].value  # elapsed meeting time, m:ss
    button(app, "Næste ▶").click().run()
    view = board_of(demo_url, free_day)
    assert view.current_item_id == view.discussion[1].item_id
    assert view.discussion[0].status == "droeftet"


def test_attendance_is_recorded_by_profession(run_page, demo_url, free_day):
    app = create_with_agenda(run_page, free_day)
    doctors = app.multiselect(key=next(
        m.key for m in app.multiselect if m.label == "Læge"
    ))
    chosen = doctors.options[:3]
    doctors.set_value(chosen)
    next(b for b in app.button if b.label == "Gem fremmøde").click().run()
    assert not app.exception
    assert len(board_of(demo_url, free_day).present_staff) == 3
    assert any(c.value.startswith("3 til stede") for c in app.caption)


def test_projection_shows_one_case_without_cpr(run_page, demo_url, free_day):
    app = create_with_agenda(run_page, free_day)
    button(app, "Næste ▶").click().run()
    view = board_of(demo_url, free_day)
    current = view.current
    app = run_page("views/konference.py", dato=free_day, visning="projektion")
    header = app.header[0].value
    assert header.startswith(f"Sag 1 af {len(view.discussion)}: {current.first_name}")
    everything = " ".join(
        [e.value for e in app.text] + [e.value for e in app.markdown]
        + [e.value for e in app.header] + [e.value for e in app.subheader]
    )
    assert current.cpr not in everything
    assert current.cpr[:6] not in everything


def _not_on(url: str, on_board: set[int]) -> int:
    """An active patient who is not on the board."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        found = session.scalars(
            select(Patient.id).where(Patient.status == PatientStatus.ACTIVE,
                                     Patient.id.not_in(on_board)).order_by(Patient.id)
        ).first()
    engine.dispose()
    return found


def find_patient(app, url: str, patient_id: int, form: str = "add_case_r0"):
    """Search the manual-add form for the patient by CPR number: they are the one found."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        cpr = session.get(Patient, patient_id).cpr
    engine.dispose()
    app.text_input(key=f"{form}_search").input(f"{cpr[:6]}-{cpr[6:]}").run()
    return app


def test_the_manual_add_search_finds_patients_by_name_and_offers_only_the_found(
    run_page, demo_url, free_day
):
    app = create_with_agenda(run_page, free_day)
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        patient = session.scalars(select(Patient).where(Patient.status == PatientStatus.ACTIVE)
                                  .order_by(Patient.id)).first()
        first, last = patient.first_name, patient.last_name
    engine.dispose()
    app.text_input(key="add_case_r0_search").input(f"{first[:3].lower()} {last}").run()
    options = app.selectbox(key="add_case_r0_patient").options
    assert 1 <= len(options) <= 20
    assert all(first[:3].lower() in o.lower() and last in o for o in options)
    app.text_input(key="add_case_r0_search").input("zzzz ingen").run()
    assert "Ingen aktive patienter matcher" in " ".join(c.value for c in app.caption)
    assert app.selectbox(key="add_case_r0_patient").options == []


def test_a_refused_manual_case_keeps_what_was_typed_and_a_saved_one_empties_the_form(
    run_page, demo_url, free_day
):
    app = create_with_agenda(run_page, free_day)
    on_board = {c.patient_id for c in board_of(demo_url, free_day).discussion}
    patient = _not_on(demo_url, on_board)
    find_patient(app, demo_url, patient)
    assert app.selectbox(key="add_case_r0_patient").value == patient  # the one found
    app.text_area(key="add_case_r0_question").input("Skal hun tilbydes CFT?")
    button(app, "Tilføj").click().run()
    assert app.error[0].value == "Skriv, hvorfor patienten skal på konferencen."
    assert app.text_area(key="add_case_r0_question").value == "Skal hun tilbydes CFT?"
    assert app.selectbox(key="add_case_r0_patient").value is not None

    app.text_input(key="add_case_r0_reason").input("Uafklaret smertebillede")
    button(app, "Tilføj").click().run()
    assert not app.error, [e.value for e in app.error]
    added = {c.patient_id for c in board_of(demo_url, free_day).discussion} - on_board
    assert len(added) == 1, patient
    assert app.text_area(key="add_case_r1_question").value == ""  # a fresh, empty form
    assert app.text_input(key="add_case_r1_search").value == ""


def test_a_lone_case_may_be_planned_for_more_than_two_hours(run_page, demo_url, free_day):
    app = run_page("views/konference.py", dato=free_day)
    button(app, "Opret konferencen").click().run()
    engine = make_engine(demo_url)
    with session_scope(engine) as session:  # a three-hour meeting, with one case in it
        agenda.find_conference(session, dt.date.fromisoformat(free_day)).duration_minutes = 180
    engine.dispose()
    find_patient(app, demo_url, _not_on(demo_url, set()))
    app.text_input(key="add_case_r0_reason").input("Uafklaret smertebillede")
    button(app, "Tilføj").click().run()
    assert not app.exception, [e.message for e in app.exception]
    (case,) = board_of(demo_url, free_day).discussion
    assert app.number_input(key=f"budget{case.item_id}").value > 120


def test_the_leader_postpones_a_case_with_a_reason_and_it_can_be_restored(
    run_page, demo_url, free_day
):
    app = create_with_agenda(run_page, free_day)
    chosen = board_of(demo_url, free_day).discussion[2]
    app.selectbox(key="panel_case").set_value(chosen.item_id).run()

    button(app, "Udsæt til næste gang").click().run()  # no reason given: refused, kept
    assert "begrundelse" in app.error[0].value.lower()
    assert chosen.item_id in {c.item_id for c in board_of(demo_url, free_day).discussion}

    app.text_input(key=f"why{chosen.item_id}").input("Afventer scanning").run()
    button(app, "Udsæt til næste gang").click().run()
    view = board_of(demo_url, free_day)
    assert chosen.item_id not in {c.item_id for c in view.discussion}
    (aside,) = [c for c in view.set_aside if c.item_id == chosen.item_id]
    assert aside.status_reason == "Afventer scanning"
    assert any("Afventer scanning" in t.value for t in app.text)

    button(app, "Sæt tilbage på dagsordenen").click().run()
    assert chosen.item_id in {c.item_id for c in board_of(demo_url, free_day).discussion}


def test_the_leader_moves_a_case_to_the_information_list_and_sets_its_time(
    run_page, demo_url, free_day
):
    app = create_with_agenda(run_page, free_day)
    chosen = board_of(demo_url, free_day).discussion[1]
    app.selectbox(key="panel_case").set_value(chosen.item_id).run()
    app.number_input(key=f"budget{chosen.item_id}").set_value(17).run()
    button(app, "Gem tid").click().run()
    assert next(c for c in board_of(demo_url, free_day).discussion
                if c.item_id == chosen.item_id).budget_seconds == 17 * 60

    button(app, "Flyt til orientering").click().run()
    view = board_of(demo_url, free_day)
    assert chosen.item_id in {c.item_id for c in view.information}
    assert chosen.item_id not in {c.item_id for c in view.discussion}
    assert not app.exception


def test_projection_names_the_patient_as_the_centre_chose_everywhere(run_page, demo_url, free_day):
    from db.models import Setting

    app = create_with_agenda(run_page, free_day)
    button(app, "Start mødet").click().run()
    button(app, "Næste ▶").click().run()  # from the groups to the first case
    current = board_of(demo_url, free_day).current
    engine = make_engine(demo_url)

    def name_mode(value: str | None) -> None:
        with session_scope(engine) as session:
            row = session.get(Setting, "projection_name")
            if value is None and row is not None:
                session.delete(row)
            elif value is not None:
                session.merge(Setting(key="projection_name", value=value))

    name_mode("initialer")
    try:
        app = run_page("views/konference.py", dato=free_day, visning="projektion")
    finally:
        name_mode(None)
        engine.dispose()
    initials = "".join(f"{p[0]}." for p in f"{current.first_name} {current.last_name}".split())
    def unescaped(text: str) -> str:  # markdown's escapes; the browser shows the bare text
        return text.replace("\\", "")

    assert f": {initials}, " in unescaped(app.header[0].value)
    assert unescaped(app.metric[1].label) == f"Aktuel sag: {initials}"
    shown = " ".join([m.label for m in app.metric] + [e.value for e in app.header]
                     + [e.value for e in app.markdown] + [e.value for e in app.caption])
    assert current.last_name not in shown
