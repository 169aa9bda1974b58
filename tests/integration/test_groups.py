"""The group services against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from conference.services import groups as svc
from conference.services.errors import InvalidInput
from conference.services.patients import patient_detail
from db.models import (
    Attendance,
    AuditLog,
    CourseEvent,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    GroupFlag,
    GroupSession,
    PatientStatus,
    Profession,
    TherapyGroup,
)
from db.statements import count_statements
from tests import factories as f

TODAY = dt.date(2027, 1, 13)  # a Wednesday
MONDAY = dt.date(2027, 1, 11)


def count(db, model) -> int:  # noqa: ANN001
    return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def team(db):  # noqa: ANN001, ANN201
    return [f.staff(db, "Holdbehandler", Profession.FYSIOTERAPEUT) for _ in range(2)]


def new_group(db, team, code="afspaending", start=MONDAY, **extra):  # noqa: ANN001, ANN201
    return svc.create_group(db, team[0], code, start, [t.id for t in team], **extra)


# --------------------------------------------------------------------------- create and move


def test_create_group_generates_the_sessions_from_the_catalogue_rhythm(db, team) -> None:
    livet = new_group(db, team, "livet_med_smerter")
    nedtrapning = new_group(db, team, "nedtrapningshold", starts_at=dt.time(13, 0))
    mindfulness = new_group(db, team, "mindfulness", name="MBSR forår")
    db.flush()

    assert [s.date for s in livet.sessions] == [MONDAY + dt.timedelta(weeks=i) for i in range(4)]
    assert (livet.start_date, livet.end_date) == (MONDAY, MONDAY + dt.timedelta(weeks=3))
    assert livet.name == "Livet med smerter – uge 2, 2027" and livet.capacity == 20
    assert [s.date for s in nedtrapning.sessions] == [
        MONDAY + dt.timedelta(days=14 * i) for i in range(5)
    ]
    assert {s.starts_at for s in nedtrapning.sessions} == {dt.time(13, 0)}
    assert mindfulness.name == "MBSR forår" and mindfulness.capacity == 18
    labels = [(s.number, s.label, s.minutes) for s in mindfulness.sessions if s.label]
    assert labels == [(7, "Stilhedsdag", 360)]
    assert sum(1 for s in mindfulness.sessions if s.label is None) == 9
    assert {t.staff_id for t in livet.therapists} == {t.id for t in team}
    created = db.scalars(
        select(AuditLog).where(AuditLog.entity == "therapy_group", AuditLog.action == "create")
    ).all()
    assert {a.entity_id for a in created} == {livet.id, nedtrapning.id, mindfulness.id}
    assert {a.actor_id for a in created} == {team[0].id}


def test_teleafspaending_is_created_online(db, team) -> None:
    assert new_group(db, team, "teleafspaending").online is True
    assert new_group(db, team, "afspaending").online is False


@pytest.mark.parametrize(
    ("code", "therapists", "capacity", "message"),
    [
        ("lang_primaersamtale", 1, None, "Vælg en holdindsats"),
        ("afspaending", 0, None, "mindst én"),
        ("afspaending", 3, None, "højst 2"),
        ("nedtrapningshold", 1, 6, "mellem 1 og 5"),
    ],
)
def test_create_group_refuses_bad_input_and_saves_nothing(
    db, code, therapists, capacity, message
) -> None:
    staff = [f.staff(db) for _ in range(3)]
    before = count(db, TherapyGroup)
    with pytest.raises(InvalidInput, match=message):
        svc.create_group(
            db, staff[0], code, MONDAY, [s.id for s in staff[:therapists]], capacity=capacity
        )
    assert count(db, TherapyGroup) == before
    assert count(db, AuditLog) == 0


def test_move_one_session_keeps_the_others_and_moves_the_end(db, team) -> None:
    group = new_group(db, team, "livet_med_smerter")
    db.flush()
    last, middle = group.sessions[-1], group.sessions[1]
    seen = group.version
    svc.move_session(db, team[1], last.id, last.date + dt.timedelta(days=2), seen, TODAY)
    db.flush()
    db.refresh(group)
    assert group.version == seen + 1  # a second person's stale move is now caught
    svc.move_session(db, team[1], middle.id, middle.date + dt.timedelta(days=1), group.version,
                     TODAY)
    db.flush()
    assert group.version == seen + 2  # also when the group's period did not change
    assert [s.date for s in group.sessions] == [
        MONDAY, MONDAY + dt.timedelta(days=8), MONDAY + dt.timedelta(weeks=2),
        MONDAY + dt.timedelta(weeks=3, days=2),
    ]
    assert group.end_date == last.date
    moved = db.scalars(select(AuditLog).where(AuditLog.entity == "group_session")
                       .where(AuditLog.action == "update").order_by(AuditLog.id)).all()
    assert [m.actor_id for m in moved] == [team[1].id, team[1].id]
    assert moved[0].before["date"] == "2027-02-01"


def test_moving_a_session_is_refused_out_of_order_stale_or_with_attendance(db, team) -> None:
    group = new_group(db, team, "livet_med_smerter")
    db.flush()
    second, third = group.sessions[1], group.sessions[2]
    with pytest.raises(InvalidInput, match="før holdgang 4"):
        svc.move_session(db, team[0], third.id, group.sessions[3].date, group.version, TODAY)
    with pytest.raises(svc.StaleEdit, match="ændret af en anden") as stale:
        svc.move_session(db, team[0], third.id, third.date.replace(day=26), group.version - 1,
                         TODAY)
    assert "Gemt nu: holdgang 3" in str(stale.value)
    with pytest.raises(InvalidInput, match="kommende holdgange"):
        svc.move_session(db, team[0], group.sessions[0].id, TODAY, group.version, TODAY)
    who = f.patient(db)
    enrolment = svc.enrol_patient(db, team[0], group.id, who.id, TODAY)
    svc.record_attendance(db, team[0], second.id, {enrolment.id: "moedt"}, {enrolment.id: None},
                          second.date)
    with pytest.raises(InvalidInput, match="registreret fremmøde"):
        svc.move_session(db, team[0], second.id, second.date + dt.timedelta(days=1),
                         group.version, dt.date(2027, 1, 1))
    assert third.date == MONDAY + dt.timedelta(weeks=2)


# --------------------------------------------------------------------------- enrolment


def test_enrolment_over_capacity_is_refused_in_danish_and_nothing_is_saved(db, team) -> None:
    group = new_group(db, team, "nedtrapningshold", capacity=2)
    first, second, third = (f.patient(db) for _ in range(3))
    for who in (first, second):
        svc.enrol_patient(db, team[0], group.id, who.id, TODAY)
    db.flush()
    enrolments, events, audits = count(db, Enrolment), count(db, CourseEvent), count(db, AuditLog)

    with pytest.raises(InvalidInput) as error:
        svc.enrol_patient(db, team[0], group.id, third.id, TODAY)

    assert str(error.value) == (
        f"{group.name} er fuldt: 2 af 2 pladser er besat. Patienten er ikke tilmeldt."
    )
    assert (count(db, Enrolment), count(db, CourseEvent), count(db, AuditLog)) == (
        enrolments, events, audits,
    )
    (summary,) = [g for g in svc.list_groups(db, TODAY) if g.id == group.id]
    assert (summary.enrolled, summary.free) == (2, 0)


def test_a_patient_already_on_a_group_of_the_same_kind_is_refused(db, team) -> None:
    afspaending = new_group(db, team, "afspaending")
    mindfulness = new_group(db, team, "mindfulness", start=MONDAY + dt.timedelta(weeks=2))
    therapy = new_group(db, team, "terapihold")
    who = f.patient(db, "Anna")
    svc.enrol_patient(db, team[0], afspaending.id, who.id, TODAY)
    db.flush()
    before = count(db, Enrolment)

    with pytest.raises(InvalidInput) as error:
        svc.enrol_patient(db, team[0], mindfulness.id, who.id, TODAY)
    assert f"{who.full_name} er allerede tilmeldt {afspaending.name}" in str(error.value)
    assert "ét hold af samme slags" in str(error.value)
    with pytest.raises(InvalidInput, match="er allerede på"):
        svc.enrol_patient(db, team[0], afspaending.id, who.id, TODAY)
    assert count(db, Enrolment) == before

    svc.enrol_patient(db, team[0], therapy.id, who.id, TODAY)  # another kind is fine
    assert count(db, Enrolment) == before + 1


def test_a_dropped_out_or_ended_enrolment_does_not_block_a_new_group(db, team) -> None:
    old = new_group(db, team, "afspaending", start=MONDAY - dt.timedelta(weeks=10))
    dropped = new_group(db, team, "teleafspaending")
    fresh = new_group(db, team, "mindfulness", start=MONDAY + dt.timedelta(days=1))
    who = f.patient(db)
    db.add(Enrolment(group_id=old.id, patient_id=who.id, enrolled_on=old.start_date))
    db.add(Enrolment(group_id=dropped.id, patient_id=who.id, enrolled_on=MONDAY,
                     status="udgaaet"))
    db.flush()
    svc.enrol_patient(db, team[0], fresh.id, who.id, TODAY)


def test_enrolling_links_the_planned_course_event_or_adds_one(db, team) -> None:
    running = new_group(db, team, "afspaending")
    planned = new_group(db, team, "terapihold", start=dt.date(2027, 3, 1))
    who = f.patient(db)
    waiting = f.event(db, who, "afspaending", CourseStatus.PLANNED, None)
    svc.enrol_patient(db, team[0], running.id, who.id, TODAY)
    svc.enrol_patient(db, team[0], planned.id, who.id, TODAY)
    db.flush()

    assert (waiting.group_id, waiting.status, waiting.start_date) == (
        running.id, CourseStatus.IN_PROGRESS, MONDAY,
    )
    added = db.scalars(select(CourseEvent).where(CourseEvent.group_id == planned.id)).one()
    assert (added.status, added.planned_date) == (CourseStatus.PLANNED, dt.date(2027, 3, 1))
    names = {e.group_name for e in patient_detail(db, who.id, TODAY).timeline}
    assert names == {running.name, planned.name}


def test_enrolment_is_refused_for_a_discharged_patient_or_an_ended_group(db, team) -> None:
    ended = new_group(db, team, "livet_med_smerter", start=MONDAY - dt.timedelta(weeks=8))
    running = new_group(db, team, "livet_med_smerter", start=MONDAY + dt.timedelta(weeks=4))
    gone = f.patient(db)
    gone.status = PatientStatus.DISCHARGED
    with pytest.raises(InvalidInput, match="afsluttet; der kan ikke tilmeldes"):
        svc.enrol_patient(db, team[0], ended.id, f.patient(db).id, TODAY)
    with pytest.raises(InvalidInput, match="forløb er afsluttet"):
        svc.enrol_patient(db, team[0], running.id, gone.id, TODAY)


def test_candidates_put_patients_planned_for_the_intervention_first(db, team) -> None:
    group = new_group(db, team, "terapihold")
    on_it, planned, other = f.patient(db), f.patient(db), f.patient(db, "Aage")
    svc.enrol_patient(db, team[0], group.id, on_it.id, TODAY)
    f.event(db, planned, "terapihold", CourseStatus.PLANNED, None)
    candidates = svc.enrolment_candidates(db, group.id)
    ids = [c.patient_id for c in candidates]
    assert on_it.id not in ids and ids[0] == planned.id and other.id in ids
    assert candidates[0].label.endswith("planlagt til holdet")


# --------------------------------------------------------------------------- attendance


def roster_group(db, team, size=3):  # noqa: ANN001, ANN201
    group = new_group(db, team, "afspaending")
    people = [f.patient(db) for _ in range(size)]
    enrolments = [svc.enrol_patient(db, team[0], group.id, p.id, MONDAY) for p in people]
    db.flush()
    return group, people, enrolments


def test_attendance_for_the_whole_roster_in_one_save(db, team) -> None:
    group, people, enrolments = roster_group(db, team)
    first = group.sessions[0]
    marks = {enrolments[0].id: "moedt", enrolments[1].id: "afbud", enrolments[2].id: "udeblevet"}
    assert svc.record_attendance(db, team[1], first.id, marks, dict.fromkeys(marks), TODAY) == 3
    db.flush()

    detail = svc.group_detail(db, group.id, TODAY)
    assert {k: m.status for k, m in detail.marks.items()} == {
        (eid, first.id): status for eid, status in marks.items()
    }
    assert (detail.sessions[0].recorded, detail.sessions[0].present) == (3, 1)
    rows = db.scalars(select(Attendance)).all()
    assert {r.recorded_by_id for r in rows} == {team[1].id}
    audits = db.scalars(select(AuditLog).where(AuditLog.entity == "attendance")).all()
    assert {a.patient_id for a in audits} == {p.id for p in people}
    # the patient's page shows the missed session
    missed = patient_detail(db, people[2].id, TODAY).timeline[0].missed()
    assert [s.date for s in missed] == [MONDAY]

    # correcting one mark changes only that row
    seen = {eid: detail.marks[(eid, first.id)].version for eid in marks}
    changed = svc.record_attendance(
        db, team[0], first.id, marks | {enrolments[1].id: "moedt"}, seen, TODAY
    )
    assert changed == 1


def test_a_stale_attendance_save_names_both_versions_and_saves_nothing(db, team) -> None:
    group, people, enrolments = roster_group(db, team, size=2)
    first = group.sessions[0]
    seen = dict.fromkeys(e.id for e in enrolments)  # both therapists opened an empty session
    svc.record_attendance(db, team[0], first.id, dict.fromkeys(seen, "afbud"), seen, TODAY)
    db.flush()
    stored = {a.id: a.status for a in db.scalars(select(Attendance))}

    with pytest.raises(svc.StaleEdit) as error:
        svc.record_attendance(db, team[1], first.id, dict.fromkeys(seen, "moedt"), seen, TODAY)

    text = str(error.value)
    assert "Intet af dit er gemt" in text
    assert f"{people[0].full_name}: gemt »Afbud« af {team[0].name}; din »Mødt«" in text
    assert {a.id: a.status for a in db.scalars(select(Attendance))} == stored


def test_attendance_is_not_recorded_before_the_session_or_for_strangers(db, team) -> None:
    group, _, enrolments = roster_group(db, team, size=1)
    future = group.sessions[3]
    with pytest.raises(InvalidInput, match="registreres på dagen"):
        svc.record_attendance(db, team[0], future.id, {enrolments[0].id: "moedt"},
                              {enrolments[0].id: None}, TODAY)
    other, _, strangers = roster_group(db, team, size=1)
    with pytest.raises(InvalidInput, match="ikke på holdet"):
        svc.record_attendance(db, team[0], group.sessions[0].id, {strangers[0].id: "moedt"},
                              {strangers[0].id: None}, TODAY)
    with pytest.raises(InvalidInput, match="Ukendt"):
        svc.record_attendance(db, team[0], group.sessions[0].id, {enrolments[0].id: "syg"},
                              {enrolments[0].id: None}, TODAY)
    assert count(db, Attendance) == 0


# --------------------------------------------------------------------------- holdkonference


def test_flags_feed_the_holdkonference_and_are_kept_when_handled(db, team) -> None:
    group, people, _ = roster_group(db, team)
    quiet = new_group(db, team, "terapihold")
    flag = svc.flag_patient(db, team[0], group.id, people[1].id, "Overvejer at stoppe")
    note = svc.add_group_note(db, team[1], group.id, "Holdet mangler lokale i uge 7")
    db.flush()

    walk = {g.group_id: g for g in svc.holdkonference(db, TODAY)}
    assert set(walk) >= {group.id, quiet.id}
    entry = walk[group.id]
    assert entry.intervention == "Afspænding" and set(entry.therapists) == {t.name for t in team}
    assert (entry.enrolled, entry.capacity, entry.sessions_held, entry.sessions_total) == (
        3, 15, 1, 5,
    )
    assert [(h.patient_name, h.note, h.created_by) for h in entry.flags] == [
        (people[1].full_name, "Overvejer at stoppe", team[0].name),
        (None, "Holdet mangler lokale i uge 7", team[1].name),
    ]
    assert walk[quiet.id].flags == ()
    (summary,) = [g for g in svc.list_groups(db, TODAY) if g.id == group.id]
    assert summary.flagged_patients == (people[1].full_name,) and summary.group_notes == 1

    meeting = f.conference(db, TODAY)
    assert svc.mark_flags_handled(db, team[0], [flag.id, note.id], conference_id=meeting.id) == 2
    assert svc.mark_flags_handled(db, team[0], [flag.id]) == 0  # already handled: unchanged
    db.flush()

    assert next(g for g in svc.holdkonference(db, TODAY) if g.group_id == group.id).flags == ()
    detail = svc.group_detail(db, group.id, TODAY)
    assert detail.open_flags == []
    assert {h.handled_conference_date for h in detail.handled_flags} == {TODAY}
    assert count(db, GroupFlag) == 2  # kept, not deleted
    handled = db.scalars(select(AuditLog).where(AuditLog.entity == "group_flag",
                                                AuditLog.action == "update")).all()
    assert len(handled) == 2 and handled[0].after["handled_conference_id"] == meeting.id


def test_an_ended_group_with_an_unhandled_flag_stays_on_the_holdkonference(db, team) -> None:
    ended = new_group(db, team, "livet_med_smerter", start=MONDAY - dt.timedelta(weeks=4))
    later = new_group(db, team, "livet_med_smerter", start=MONDAY + dt.timedelta(weeks=1))
    who = f.patient(db)
    db.add(Enrolment(group_id=ended.id, patient_id=who.id, enrolled_on=ended.start_date))
    db.flush()
    ids = {g.group_id for g in svc.holdkonference(db, TODAY)}
    assert ended.id not in ids and later.id not in ids
    svc.flag_patient(db, team[0], ended.id, who.id, "Valgte Mindfulness; sover dårligt")
    db.flush()
    assert ended.id in {g.group_id for g in svc.holdkonference(db, TODAY)}


@pytest.mark.parametrize("note", ["", "  ", "x" * 2001])
def test_flags_need_a_short_note_and_a_patient_on_the_group(db, team, note) -> None:
    group, people, _ = roster_group(db, team, size=1)
    with pytest.raises(InvalidInput):
        svc.flag_patient(db, team[0], group.id, people[0].id, note)
    with pytest.raises(InvalidInput):
        svc.add_group_note(db, team[0], group.id, note)
    with pytest.raises(InvalidInput, match="har ikke været på"):
        svc.flag_patient(db, team[0], group.id, f.patient(db).id, "Note")
    assert count(db, GroupFlag) == 0


def drop_out(db, enrolment: Enrolment, on: dt.date | None) -> None:  # noqa: ANN001
    """The patient leaves the group (udgået); `on` is recorded on their course, if given."""
    enrolment.status = EnrolmentStatus.DROPPED_OUT
    event = db.scalars(select(CourseEvent).where(
        CourseEvent.patient_id == enrolment.patient_id, CourseEvent.group_id == enrolment.group_id
    )).one()
    event.status = CourseStatus.DROPPED_OUT if on else CourseStatus.CANCELLED
    event.end_date = on
    db.flush()


def test_a_dropped_out_patient_can_be_flagged_and_the_flag_says_so(db, team) -> None:
    """Seed 3.10: the holdkonference takes up problems that arose during the course, and a
    patient who dropped out of the group (udgået) is often exactly such a patient."""
    group, people, enrolments = roster_group(db, team)
    stays, left_on_date, left_undated = people
    second = group.sessions[1].date
    drop_out(db, enrolments[1], second)
    drop_out(db, enrolments[2], None)  # no date on the course: the flag says so without one

    flags = [
        svc.flag_patient(db, team[1], group.id, who.id, note)
        for who, note in [(left_on_date, "Stoppede efter 2. gang; smerterne blev værre"),
                          (left_undated, "Meldte fra uden begrundelse"),
                          (stays, "Overvejer Mindfulness")]
    ]
    db.flush()

    # every write keeps its acting user and its audit row
    assert {fl.created_by_id for fl in flags} == {team[1].id}
    audits = db.scalars(select(AuditLog).where(AuditLog.entity == "group_flag",
                                               AuditLog.action == "create")).all()
    assert {(a.entity_id, a.actor_id) for a in audits} == {(fl.id, team[1].id) for fl in flags}

    # the holdkonference (the board, the projection and the minutes before sign-off read it)
    entry = next(g for g in svc.holdkonference(db, TODAY) if g.group_id == group.id)
    assert entry.enrolled == 1  # the dropped-out patients still do not take a place
    walk = {h.patient_id: h for h in entry.flags}
    assert (walk[left_on_date.id].dropped_out, walk[left_on_date.id].dropped_out_on) == (
        True, second,
    )
    assert walk[left_on_date.id].dropout == "udgået af holdet 18. jan. 2027"
    assert (walk[left_undated.id].dropped_out, walk[left_undated.id].dropped_out_on) == (
        True, None,
    )
    assert walk[left_undated.id].dropout == "udgået af holdet"
    assert (walk[stays.id].dropped_out, walk[stays.id].dropout) == (False, "")

    # the Hold page: the group's flags and the list's "Til holdkonference"
    detail = svc.group_detail(db, group.id, TODAY)
    shown = {r.patient_id: r.dropout for r in detail.open_flags}
    assert shown == {left_on_date.id: "udgået af holdet 18. jan. 2027",
                     left_undated.id: "udgået af holdet", stays.id: ""}
    (summary,) = [g for g in svc.list_groups(db, TODAY) if g.id == group.id]
    assert set(summary.flagged_patients) == {
        f"{left_on_date.full_name} (udgået af holdet)",
        f"{left_undated.full_name} (udgået af holdet)",
        stays.full_name,
    }
    assert set(summary.flagged_patient_ids) == {p.id for p in people}

    # handled at the conference, the flag keeps saying so among the handled
    svc.mark_flags_handled(db, team[0], [flags[0].id], conference_id=f.conference(db, TODAY).id)
    db.flush()
    (handled,) = svc.group_detail(db, group.id, TODAY).handled_flags
    assert handled.dropout == "udgået af holdet 18. jan. 2027"


def test_a_patient_never_on_the_group_cannot_be_flagged(db, team) -> None:
    """Seed 3.10: the group's therapists bring the patients on their group, also those who
    dropped out; a patient who never was on the group is refused, in Danish, nothing saved."""
    group, _, _ = roster_group(db, team, size=1)
    _, elsewhere, _ = roster_group(db, team, size=1)  # on another group only
    stranger = f.patient(db)
    for who in (stranger, elsewhere[0]):
        with pytest.raises(InvalidInput) as error:
            svc.flag_patient(db, team[0], group.id, who.id, "Bør drøftes")
        assert str(error.value) == (
            f"Patienten har ikke været på {group.name}. Kun patienter, der er eller har været "
            "på holdet, kan markeres til holdkonference."
        )
    assert count(db, GroupFlag) == 0
    assert db.scalar(select(func.count()).select_from(AuditLog)
                     .where(AuditLog.entity == "group_flag")) == 0


# --------------------------------------------------------------------------- handover


def test_handover_note_at_the_last_session_shows_on_the_patient_page(db, team) -> None:
    group, people, enrolments = roster_group(db, team, size=1)
    f.event(db, people[0], "foerste_opfoelgning", CourseStatus.PLANNED, dt.date(2027, 2, 22))
    last_day = group.end_date
    with pytest.raises(InvalidInput, match="sidste holdgang"):
        svc.save_handover_note(db, team[0], enrolments[0].id, "Vælger Mindfulness",
                               enrolments[0].version, last_day - dt.timedelta(days=1))
    svc.save_handover_note(db, team[0], enrolments[0].id, "Vælger Mindfulness; søvn er et tema",
                           enrolments[0].version, last_day)
    db.flush()

    (entry,) = [e for e in patient_detail(db, people[0].id, last_day).timeline if e.group_name]
    assert entry.handover_note == "Vælger Mindfulness; søvn er et tema"
    audit_row = db.scalars(select(AuditLog).where(AuditLog.entity == "enrolment",
                                                  AuditLog.action == "update")).one()
    assert audit_row.actor_id == team[0].id and audit_row.patient_id == people[0].id


def test_a_stale_handover_note_shows_both_texts(db, team) -> None:
    group, _, enrolments = roster_group(db, team, size=1)
    enrolment = enrolments[0]
    seen = enrolment.version
    svc.save_handover_note(db, team[0], enrolment.id, "Første tekst", seen, group.end_date)
    db.flush()
    with pytest.raises(svc.StaleEdit) as error:
        svc.save_handover_note(db, team[1], enrolment.id, "Anden tekst", seen, group.end_date)
    assert "Gemt nu:\nFørste tekst" in str(error.value)
    assert "Din tekst:\nAnden tekst" in str(error.value)
    assert enrolment.handover_note == "Første tekst"


# --------------------------------------------------------------------------- lists and speed


def test_groups_running_earlier_and_planned(db, team) -> None:
    earlier = new_group(db, team, "livet_med_smerter", start=MONDAY - dt.timedelta(weeks=8))
    running = new_group(db, team, "mindfulness", start=MONDAY - dt.timedelta(weeks=2))
    planned = new_group(db, team, "afspaending", start=MONDAY + dt.timedelta(weeks=3))

    def ids(period: svc.Period) -> list[int]:
        return [g.id for g in svc.list_groups(db, TODAY, period)]

    assert running.id in ids(svc.Period.RUNNING)
    assert earlier.id not in ids(svc.Period.RUNNING) and planned.id not in ids(svc.Period.RUNNING)
    assert earlier.id in ids(svc.Period.EARLIER)
    assert planned.id in ids(svc.Period.PLANNED)
    (row,) = [g for g in svc.list_groups(db, TODAY) if g.id == running.id]
    assert (row.sessions_held, row.sessions_total) == (3, 10)
    assert row.next_session == MONDAY + dt.timedelta(weeks=1)
    assert set(row.therapists) == {t.name for t in team}


def test_statement_counts_do_not_grow_with_groups_and_patients(db, team) -> None:
    def statements(group_id: int) -> tuple[int, int, int]:
        counts = []
        for read in (lambda: svc.list_groups(db, TODAY), lambda: svc.holdkonference(db, TODAY),
                     lambda: svc.group_detail(db, group_id, TODAY)):
            with count_statements() as counter:
                read()
            counts.append(counter.count)
        return tuple(counts)

    group, people, enrolments = roster_group(db, team, size=1)
    svc.flag_patient(db, team[0], group.id, people[0].id, "Note")
    db.flush()
    few = statements(group.id)
    for _ in range(5):
        other, people, enrolments = roster_group(db, team, size=4)
        first = other.sessions[0]
        svc.record_attendance(db, team[0], first.id, dict.fromkeys((e.id for e in enrolments),
                              "moedt"), dict.fromkeys(e.id for e in enrolments), TODAY)
        svc.flag_patient(db, team[0], other.id, people[0].id, "Note")
    db.flush()
    assert statements(other.id) == few


def test_sessions_belong_to_their_group(db, team) -> None:
    group = new_group(db, team, "forstaa_smerte")
    db.flush()
    (only,) = db.scalars(select(GroupSession).where(GroupSession.group_id == group.id)).all()
    assert only.date == group.start_date == group.end_date
