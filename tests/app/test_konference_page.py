"""The leader's board as AppTests on the demo centre: creating the agenda, speaking order,
timer, attendance, and the projected case."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from conference.services import agenda
from conference.services.staff import list_staff
from db.models import Conference, Patient, PatientStatus, Role, Staff, StaffRole
from db.session import make_engine, session_scope
from tests.factories import in_db

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


def test_one_click_is_one_move_the_same_button_again_waits_for_the_board(
    run_page, demo_url, free_day
):
    """Issue 18: Streamlit can deliver a click again when other reruns interrupt the run it
    started; the same ↑/↓ again before the board has been drawn without its click is that
    click: not moved again, and the leader is told why. Once drawn anew, it moves again."""
    app = create_with_agenda(run_page, free_day)
    before = [c.item_id for c in board_of(demo_url, free_day).discussion]
    app.button(key=f"down{before[0]}").click().run()
    once = [before[1], before[0], *before[2:]]
    assert [c.item_id for c in board_of(demo_url, free_day).discussion] == once
    app.button(key=f"down{before[0]}").click().run()  # no run between: the same click
    assert [c.item_id for c in board_of(demo_url, free_day).discussion] == once
    assert "flyttet én plads" in app.toast[0].value
    app.run()  # the board's re-read draws the button without its click
    app.button(key=f"down{before[0]}").click().run()
    assert [c.item_id for c in board_of(demo_url, free_day).discussion][:3] == [
        before[1], before[2], before[0]]


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


def staff_of(url: str, profession: str) -> list[int]:
    """The ids of the active staff of one profession (its label, e.g. "Læge")."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        found = [s.id for s in list_staff(session) if s.profession == profession]
    engine.dispose()
    return found


def picker(app, label: str):
    return next(m for m in app.multiselect if m.label == label)


def a_leader(session) -> Staff:
    """A mødeleder of the demo centre: the other leader, on another screen."""
    return session.scalars(
        select(Staff).join(StaffRole).where(StaffRole.role == Role.MOEDELEDER).order_by(Staff.id)
    ).first()


def test_attendance_is_recorded_by_profession_at_each_change(run_page, demo_url, free_day):
    app = create_with_agenda(run_page, free_day)
    doctors = staff_of(demo_url, "Læge")
    picker(app, "Læge").set_value(doctors[:3]).run()  # saved at once: no button
    assert not app.exception
    assert board_of(demo_url, free_day).present_staff == set(doctors[:3])
    assert any(c.value.startswith("3 til stede") for c in app.caption)
    picker(app, "Læge").unselect(doctors[0]).run()
    assert board_of(demo_url, free_day).present_staff == set(doctors[1:3])


def test_attendance_follows_what_others_save_and_keeps_both(run_page, demo_url, free_day):
    """Issue 18: another leader saves while this screen shows the old list. The next run shows
    their change, and this leader's change is added to it (nothing of theirs removed)."""
    app = create_with_agenda(run_page, free_day)
    doctors, nurses = staff_of(demo_url, "Læge"), staff_of(demo_url, "Sygeplejerske")
    conference_id = board_of(demo_url, free_day).conference_id

    in_db(demo_url, lambda session: agenda.set_attendance(
        session, a_leader(session), conference_id, {doctors[0], nurses[0]}, set()))
    app.run()  # the board's next re-read
    assert picker(app, "Læge").value == [doctors[0]]
    assert picker(app, "Sygeplejerske").value == [nurses[0]]
    assert any(c.value.startswith("2 til stede") for c in app.caption)

    picker(app, "Læge").select(doctors[1]).run()
    assert board_of(demo_url, free_day).present_staff == {doctors[0], doctors[1], nurses[0]}

    # a screen that has not re-read since: its change alone is applied (nurses[0] stays)
    in_db(demo_url, lambda session: agenda.set_attendance(
        session, a_leader(session), conference_id, set(), {doctors[0]}))
    picker(app, "Læge").unselect(doctors[1]).run()
    assert board_of(demo_url, free_day).present_staff == {nurses[0]}
    assert picker(app, "Læge").value == []

    # signed off meanwhile: the change is refused in view, and the picker shows the list stored
    def sign_off(session):
        signed = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        session.get(Conference, conference_id).signed_off_at = signed

    in_db(demo_url, sign_off)
    picker(app, "Sygeplejerske").unselect(nurses[0]).run()
    assert "underskrevet" in app.error[0].value
    assert board_of(demo_url, free_day).present_staff == {nurses[0]}
    assert picker(app, "Sygeplejerske").value == [nurses[0]]


def test_a_move_on_a_stale_board_is_refused_in_view(run_page, demo_url, free_day):
    """Issue 18: another leader has just moved the neighbour; this screen still shows the old
    order. The click is refused at once with a Danish message, and nothing moves."""
    app = create_with_agenda(run_page, free_day)
    before = [c.item_id for c in board_of(demo_url, free_day).discussion]
    in_db(demo_url, lambda session: agenda.reorder(
        session, a_leader(session), before[2], -1, before))
    moved = board_of(demo_url, free_day).discussion
    app.button(key=f"up{before[3]}").click().run()  # drawn from `before`: 3 next to 4
    assert [c.item_id for c in board_of(demo_url, free_day).discussion] == [
        c.item_id for c in moved]
    assert "Talerækken er netop ændret af en anden" in app.error[0].value
    app.button(key=f"up{before[3]}").click().run()  # drawn anew: applied
    assert not app.error
    assert [c.item_id for c in board_of(demo_url, free_day).discussion][1:4] == [
        before[2], before[3], before[1]]


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
