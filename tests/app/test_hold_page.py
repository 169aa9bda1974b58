"""The Hold page as AppTests on the demo centre: the lists, one group, and every write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.formatting import date_short
from conference.hold_view import flags_text, group_title
from conference.services import groups as svc
from conference.services.patients import patient_detail
from conference.services.staff import list_staff
from conference.ui.text import escape_md
from db.models import (
    AttendanceStatus,
    AuditLog,
    CourseEvent,
    CourseStatus,
    EnrolmentStatus,
    GroupFlag,
    GroupTherapist,
    Staff,
)
from db.session import make_engine, session_scope
from tests import factories as f

PAGE = "views/hold.py"


@pytest.fixture
def db(demo_url: str) -> Iterator[Session]:
    """A committed session on the demo database (what another user would do meanwhile)."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        yield session
    engine.dispose()


def read(demo_url: str, call):  # noqa: ANN001, ANN201
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        result = call(session)
    engine.dispose()
    return result


def today() -> dt.date:
    return dt.date.today()


def by_label(widgets, label: str):  # noqa: ANN001, ANN201
    return next(w for w in widgets if w.label == label)


def click(app, label: str):  # noqa: ANN001, ANN201
    by_label(app.button, label).click().run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def open_tab(app, label: str):  # noqa: ANN001, ANN201
    """Open a tab as a click would (the open tab is bound to ?fane=)."""
    app.query_params["fane"] = label
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert app.query_params.get("fane") == label or label == "Deltagere og fremmøde"
    return app


def running_group(demo_url: str, *, held: bool = True, roster: int = 1) -> svc.GroupDetail:
    """A running group with at least `roster` participants (and a held session)."""
    def pick(session: Session) -> svc.GroupDetail:
        for summary in svc.list_groups(session, today()):
            detail = svc.group_detail(session, summary.id, today())
            if len(detail.active_roster) >= roster and (detail.latest_held() or not held):
                return detail
        raise AssertionError("the demo centre must have a running group with participants")
    return read(demo_url, pick)


# --------------------------------------------------------------------------- reading


def test_running_groups_with_sessions_therapists_and_free_places(run_page, demo_url) -> None:
    expected = read(demo_url, lambda s: svc.list_groups(s, today()))
    app = run_page(PAGE)
    assert app.title[0].value == "Hold"
    assert app.subheader[0].value.startswith("Hold, der kører ")
    frame = app.dataframe[0].value
    assert len(frame) == len(expected) >= 3
    first = expected[0]
    row = frame.iloc[0]
    assert row["Hold"].startswith(first.name)
    assert row["Deltagere"] == f"{first.enrolled} af {first.capacity}"
    assert row["Ledige pladser"] == first.capacity - first.enrolled
    assert row["Holdgange"] == f"{first.sessions_held} af {first.sessions_total}"
    assert row["Behandlere"] == ", ".join(first.therapists)


def test_earlier_and_planned_groups_are_one_click_away(run_page, demo_url) -> None:
    planned = read(demo_url, lambda s: svc.list_groups(s, today(), svc.Period.PLANNED))
    app = run_page(PAGE)
    by_label(app.radio, "Vis").set_value(svc.Period.PLANNED).run()
    assert app.query_params["vis"] == "planlagte"
    assert app.subheader[0].value.startswith("Hold, der starter efter")
    assert list(app.dataframe[0].value["Hold"]) == [group_title(g) for g in planned]
    by_label(app.radio, "Vis").set_value(svc.Period.EARLIER).run()
    assert app.subheader[0].value.startswith("Hold afsluttet før")
    assert all(end < today() for end in app.dataframe[0].value["Slut"])


def test_choosing_a_group_shows_its_roster_attendance_and_keeps_it_in_the_url(
    run_page, demo_url
) -> None:
    group = running_group(demo_url)
    app = run_page(PAGE)
    by_label(app.selectbox, "Hold").set_value(group.summary.id).run()
    assert app.query_params["hold"] == str(group.summary.id)
    app = run_page(PAGE, hold=str(group.summary.id))  # a reload from the URL
    assert app.header[0].value == escape_md(group.summary.name)
    assert app.metric[0].value == f"{group.summary.enrolled} af {group.summary.capacity}"
    assert app.metric[2].value == (
        f"{group.summary.sessions_held} af {group.summary.sessions_total}"
    )
    grid = app.tabs[0].dataframe[0].value
    assert set(grid["Deltager"]) >= {r.name for r in group.active_roster}
    assert len([c for c in grid.columns if " · " in c]) == group.summary.sessions_total


def test_an_unknown_group_says_so(run_page) -> None:
    app = run_page(PAGE, hold="999999")
    assert app.error[0].value == "Holdet findes ikke."


# --------------------------------------------------------------------------- writes


def test_attendance_for_the_whole_roster_in_one_save(run_page, demo_url) -> None:
    group = running_group(demo_url, roster=2)
    sitting = group.latest_held()
    app = run_page(PAGE, hold=str(group.summary.id), fane="Registrér fremmøde")
    radios = [r for r in app.tabs[1].radio if r.key.startswith(f"hold_att_{sitting.id}_")]
    assert len(radios) == len(group.active_roster)
    absent = group.active_roster[0]
    by_label(radios, absent.name).set_value("udeblevet")
    click(app, "Gem fremmøde")
    assert app.success[0].value == "Fremmødet er gemt."
    after = read(demo_url, lambda s: svc.group_detail(s, group.summary.id, today()))
    assert after.marks[(absent.enrolment_id, sitting.id)].status == "udeblevet"
    assert all((r.enrolment_id, sitting.id) in after.marks for r in after.active_roster)


def test_a_crossing_attendance_save_shows_both_versions_and_saves_nothing(
    run_page, demo_url, db
) -> None:
    group = running_group(demo_url)
    sitting = group.latest_held()
    who = group.active_roster[0]
    therapists = db.scalars(
        select(Staff).join(GroupTherapist, GroupTherapist.staff_id == Staff.id)
        .where(GroupTherapist.group_id == group.summary.id).order_by(Staff.id)
    ).all()
    assert len(therapists) == 2
    app = run_page(
        PAGE, hold=str(group.summary.id), fane="Registrér fremmøde", som=therapists[0].initials
    )
    # the other therapist saves the same session meanwhile
    other = therapists[1]
    current = group.marks.get((who.enrolment_id, sitting.id))
    theirs = "afbud" if (current and current.status != "afbud") else "moedt"
    svc.record_attendance(
        db, other, sitting.id, {who.enrolment_id: theirs},
        {who.enrolment_id: current.version if current else None}, today(),
    )
    db.commit()
    mine = "udeblevet"
    key = next(r for r in app.tabs[1].radio if r.label == who.name).key
    app.radio(key=key).set_value(mine)
    click(app, "Gem fremmøde")
    assert "gemt af en anden" in app.error[0].value
    detail = app.text[0].value
    assert f"{who.name}: gemt »" in detail and "din »Udeblevet«" in detail
    after = read(demo_url, lambda s: svc.group_detail(s, group.summary.id, today()))
    assert after.marks[(who.enrolment_id, sitting.id)].status == theirs


def test_flag_a_patient_and_a_whole_group_note_for_the_holdkonference(run_page, demo_url) -> None:
    group = running_group(demo_url, held=False)
    who = group.active_roster[-1]
    app = run_page(PAGE, hold=str(group.summary.id), fane="Til holdkonference")
    app.selectbox(key="hold_flag_patient").set_value(who.patient_id)
    app.text_area(key="hold_flag_note").set_value("Vil skifte til Mindfulness; sover dårligt")
    click(app, "Til holdkonference")
    assert app.success[0].value == "Patienten er markeret til holdkonference."
    assert who.name in app.warning[0].value  # on the group's entry, above the tabs
    assert app.text_area(key="hold_flag_note").value == ""
    app.text_area(key="hold_group_note").set_value("Lokalet er optaget i uge 50")
    click(app, "Tilføj note")
    now = read(demo_url, lambda s: svc.group_detail(s, group.summary.id, today())).summary
    assert now.group_notes == group.summary.group_notes + 1
    assert app.warning[0].value == (
        f"Til holdkonference: {flags_text(now.flagged_patients, now.group_notes)}"
    )

    walk = read(demo_url, lambda s: svc.holdkonference(s, today()))
    entry = next(g for g in walk if g.group_id == group.summary.id)
    notes = [(f.patient_name, f.note) for f in entry.flags]
    assert (who.name, "Vil skifte til Mindfulness; sover dårligt") in notes
    assert (None, "Lokalet er optaget i uge 50") in notes

    # the list shows the flag on the group's row too
    row = app.dataframe[0].value.set_index("Hold").loc[group_title(group.summary)]
    assert who.name in row["Til holdkonference"]

    # handled: off the list, kept among the handled
    open_count = len(entry.flags)
    click(app, "Markér som behandlet")
    assert app.success[0].value == "Markeringen er flyttet til de behandlede."
    after = read(demo_url, lambda s: svc.group_detail(s, group.summary.id, today()))
    assert len(after.open_flags) == open_count - 1 and after.handled_flags


def test_an_empty_flag_is_refused_in_danish(run_page, demo_url) -> None:
    group = running_group(demo_url, held=False)
    app = run_page(PAGE, hold=str(group.summary.id), fane="Til holdkonference")
    app.selectbox(key="hold_flag_patient").set_value(group.active_roster[0].patient_id)
    click(app, "Til holdkonference")
    assert app.error[0].value == (
        "Skriv kort, hvad der er kommet frem, eller hvad der skal overleveres."
    )


#: The dropped-out test group runs on fixed dates (far from the demo centre's, which follow the
#: real today) and the page's today is pinned to one of them: nothing here reads the clock.
DROPOUT_START = dt.date(2041, 3, 4)  # a Monday
DROPOUT_TODAY = dt.date(2041, 3, 20)  # after the third session


@pytest.fixture
def dropout_group(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """An Afspænding group run by two behandlere; one patient stays, one dropped out (udgået)
    after the second session, as their course records."""
    monkeypatch.setenv("KT_TODAY", DROPOUT_TODAY.isoformat())

    def build(session: Session) -> dict:
        therapists = [o for o in list_staff(session) if o.roles == ("behandler",)][:2]
        dates = [DROPOUT_START + dt.timedelta(weeks=i) for i in range(5)]
        group = f.group(session, "afspaending", dates, name="Afspænding testhold 3.10")
        session.add_all(GroupTherapist(group_id=group.id, staff_id=t.id) for t in therapists)
        born = dt.date(1925, 2, 3)  # far from the demo's patients (their CPR numbers differ)
        stays = f.patient(session, "Anna", "Holm", birth=born)
        leaves = f.patient(session, "Frida", "Berg", birth=born)
        present, no_show = AttendanceStatus.PRESENT, AttendanceStatus.NO_SHOW
        f.enrol(session, group, stays, [present] * 3)
        gone = f.enrol(session, group, leaves, [present, present, no_show])
        gone.status = EnrolmentStatus.DROPPED_OUT
        session.add(CourseEvent(
            patient_id=leaves.id, intervention_id=group.intervention_id, group_id=group.id,
            status=CourseStatus.DROPPED_OUT, planned_date=dates[0], start_date=dates[0],
            end_date=dates[1],
        ))
        session.flush()
        return {"group": group.id, "patient": leaves.id, "name": leaves.full_name,
                "left_on": dates[1], "therapist": therapists[0]}

    made = f.in_db(demo_url, build)
    yield made

    def tidy(session: Session) -> None:  # no open flag is left for the pages that follow
        leader = session.scalars(select(Staff).where(Staff.id.in_(
            [o.id for o in list_staff(session) if "moedeleder" in o.roles]
        ))).first()
        open_ids = session.scalars(select(GroupFlag.id).where(
            GroupFlag.group_id == made["group"], GroupFlag.handled_at.is_(None)
        )).all()
        svc.mark_flags_handled(session, leader, open_ids)

    f.in_db(demo_url, tidy)


def test_a_patient_who_dropped_out_can_be_flagged_and_the_flag_says_so(
    run_page, demo_url, dropout_group
) -> None:
    """Seed 3.10: the holdkonference takes up problems that arose during the course; a
    patient who dropped out of the group is offered for flagging, and the flag says »udgået«."""
    group_id, who, name = dropout_group["group"], dropout_group["patient"], dropout_group["name"]
    therapist = dropout_group["therapist"]
    app = run_page(PAGE, hold=str(group_id), fane="Til holdkonference", som=therapist.initials)
    choice = app.selectbox(key="hold_flag_patient")
    assert f"{name} (udgået)" in choice.options
    choice.set_value(who)
    app.text_area(key="hold_flag_note").set_value("Stoppede efter 2. gang; smerterne blev værre")
    click(app, "Til holdkonference")
    assert app.success[0].value == "Patienten er markeret til holdkonference."

    dropout = f"udgået af holdet {date_short(dropout_group['left_on'])}"
    cards = [m.value for m in app.tabs[2].markdown]
    assert f"**{escape_md(f'{name} · {dropout}')}**" in cards
    assert escape_md(f"{name} (udgået af holdet)") in app.warning[0].value  # above the tabs

    # what the board, the projection and the minutes read for the holdkonference
    walk = read(demo_url, lambda s: svc.holdkonference(s, DROPOUT_TODAY))
    (flag,) = next(g for g in walk if g.group_id == group_id).flags
    assert (flag.patient_id, flag.dropped_out, flag.dropout) == (who, True, dropout)
    audit = read(demo_url, lambda s: s.scalars(select(AuditLog).where(
        AuditLog.entity == "group_flag", AuditLog.entity_id == flag.id,
        AuditLog.action == "create",
    )).one())
    assert audit.actor_id == therapist.id


def _board_flags() -> None:
    """The board's holdkonference part with one dropped-out patient, in full and projected."""
    import datetime as dt

    from conference.services.groups import HoldFlag, HoldkonferenceGroup
    from conference.ui.board_view import group_part

    flag = HoldFlag(1, 7, "Frida Berg", "Stoppede efter 2. gang", "Behandler",
                    dt.datetime(2041, 3, 12, 9, 0), 1, "Frida", "Berg", True, dt.date(2041, 3, 11))
    group = HoldkonferenceGroup(
        1, "Afspænding testhold", "afspaending", "Afspænding", dt.date(2041, 3, 4),
        dt.date(2041, 4, 1), 3, 5, ("Behandler",), 1, 15, (flag,),
    )
    group_part([group])
    group_part([group], "fornavn")


def test_the_board_shows_that_a_flagged_patient_dropped_out() -> None:
    """Seed 3.10: on the board and the projection, the flag says the patient left the group."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_board_flags, default_timeout=30).run()
    assert not app.exception, [e.message for e in app.exception]
    captions = [c.value for c in app.caption]
    assert escape_md("Frida Berg (udgået af holdet 11. mar. 2041) – meldt af Behandler") in captions
    assert escape_md("Frida B. (udgået af holdet 11. mar. 2041) – meldt af Behandler") in captions


def create_group(  # noqa: ANN201
    app, demo_url: str, kind: str, start: dt.date, capacity: int | None = None  # noqa: ANN001
):
    kinds = read(demo_url, svc.group_kinds)
    staff = read(demo_url, list_staff)
    app.selectbox(key="hold_new_kind").set_value(next(k for k in kinds if k.code == kind))
    app.date_input(key="hold_new_start").set_value(start)
    app.multiselect(key="hold_new_therapists").set_value(staff[:2])
    if capacity is not None:
        app.number_input(key="hold_new_capacity").set_value(capacity)
    return click(app, "Opret hold")


def test_create_a_group_from_the_catalogue_then_enrol_over_capacity_is_refused(
    run_page, demo_url
) -> None:
    start = today() + dt.timedelta(days=30)
    app = create_group(run_page(PAGE), demo_url, "nedtrapningshold", start, capacity=1)
    assert app.success[0].value.startswith("Holdet er oprettet")
    group_id = int(app.query_params["hold"])
    assert app.query_params["vis"] == "planlagte"
    assert app.header[0].value.startswith("Nedtrapningshold – uge")
    sessions = open_tab(app, "Holdgange").tabs[3].dataframe[0].value
    assert len(sessions) == 5 and set(sessions["Varighed"]) == {"150 min"}
    detail = read(demo_url, lambda s: svc.group_detail(s, group_id, today()))
    assert [s.date for s in detail.sessions] == [
        start + dt.timedelta(days=14 * i) for i in range(5)
    ]

    open_tab(app, "Tilmeld patient")
    candidates = read(demo_url, lambda s: svc.enrolment_candidates(s, group_id))
    first, second = (c.patient_id for c in candidates[:2])
    app.selectbox(key="hold_enrol_patient").set_value(first)
    click(app, "Tilmeld")
    assert app.success[0].value == "Patienten er tilmeldt holdet."
    assert app.metric[0].value == "1 af 1" and app.metric[1].value == "0"
    app.selectbox(key="hold_enrol_patient").set_value(second)
    click(app, "Tilmeld")
    assert "er fuldt: 1 af 1 pladser er besat. Patienten er ikke tilmeldt." in app.error[0].value
    assert read(demo_url, lambda s: svc.group_detail(s, group_id, today())).summary.enrolled == 1


def test_move_one_session(run_page, demo_url) -> None:
    start = today() + dt.timedelta(days=60)
    app = create_group(run_page(PAGE), demo_url, "livet_med_smerter", start)
    group_id = int(app.query_params["hold"])
    detail = read(demo_url, lambda s: svc.group_detail(s, group_id, today()))
    second = detail.sessions[1]
    open_tab(app, "Holdgange")
    app.selectbox(key="hold_move_session").set_value(second.id)
    app.date_input(key="hold_move_date").set_value(second.date + dt.timedelta(days=2))
    click(app, "Flyt holdgang")
    assert app.success[0].value.startswith("Holdgangen er flyttet til")
    after = read(demo_url, lambda s: svc.group_detail(s, group_id, today()))
    assert after.sessions[1].date == second.date + dt.timedelta(days=2)
    assert [s.date for s in after.sessions[2:]] == [s.date for s in detail.sessions[2:]]


def test_handover_at_the_last_session_shows_on_the_patient_page(run_page, demo_url) -> None:
    def ended_with_roster(session: Session) -> svc.GroupDetail:
        for summary in svc.list_groups(session, today(), svc.Period.EARLIER):
            detail = svc.group_detail(session, summary.id, today())
            if detail.active_roster and summary.code != "forstaa_smerte":
                return detail
        raise AssertionError("the demo centre must have an ended group with participants")

    group = read(demo_url, ended_with_roster)
    who = group.active_roster[0]
    app = run_page(PAGE, hold=str(group.summary.id), fane="Overlevering")
    app.selectbox(key=f"hold_handover_patient_{group.summary.id}").set_value(who.enrolment_id)
    app.run()
    area = next(a for a in app.tabs[5].text_area if a.key.startswith(
        f"hold_handover_{who.enrolment_id}_"))
    area.set_value("Valgte Mindfulness; søvn er et *tema* for kontaktsygeplejersken")
    click(app, "Gem overlevering")
    assert app.success[0].value.startswith("Overleveringen er gemt")
    page = run_page("views/patient.py", id=str(who.patient_id))
    # shown as the therapist wrote it: markdown characters escaped, not acted on
    assert any(
        i.value.endswith("Valgte Mindfulness; søvn er et \\*tema\\* for kontaktsygeplejersken")
        for i in page.info
    )
    timeline = read(demo_url, lambda s: patient_detail(s, who.patient_id, today()).timeline)
    assert any(e.handover_note and e.handover_note.startswith("Valgte Mindfulness")
               for e in timeline)
