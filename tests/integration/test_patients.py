"""The patient services against a real database (SQLite and PostgreSQL)."""

import datetime as dt

import pytest
from sqlalchemy import select

from conference.services.errors import InvalidInput
from conference.services.patients import list_patients, patient_detail, raise_concern
from db.models import (
    AttendanceStatus,
    AuditLog,
    Concern,
    CourseStatus,
    Finding,
    PatientStatus,
    Profession,
)
from db.statements import count_statements
from tests import factories as f

TODAY = dt.date(2026, 11, 25)  # a Wednesday: the next conference is today


def test_list_shows_active_patients_with_stage_staff_next_step_and_due_reason(db) -> None:
    pal = f.staff(db, "Lise Læge")
    nurse = f.staff(db, "Sara Sygeplejerske", Profession.SYGEPLEJERSKE)
    due = f.patient(db, "Anna", pal=pal, nurse=nurse)
    f.event(db, due, "anden_opfoelgning", day=dt.date(2026, 11, 20))
    f.event(db, due, "afsluttende_samtale", CourseStatus.PLANNED, dt.date(2026, 12, 14))
    quiet = f.patient(db, "Bo")
    f.event(db, quiet, "livet_med_smerter", CourseStatus.IN_PROGRESS, dt.date(2026, 11, 11))
    gone = f.patient(db, "Carl")
    gone.status = PatientStatus.DISCHARGED

    result = list_patients(db, TODAY)

    rows = {r.id: r for r in result.rows}
    assert gone.id not in rows
    assert result.conference_date == TODAY
    anna = rows[due.id]
    assert anna.pal_laege == pal.name and anna.kontaktsygeplejerske == nurse.name
    assert anna.stage.label == "Anden opfølgning"
    assert anna.next_step == "Afsluttende samtale"
    assert anna.next_step_date == dt.date(2026, 12, 14)
    assert [d.code for d in anna.due] == ["anden_opfoelgning"]
    assert anna.age == 56
    bo = rows[quiet.id]
    assert bo.stage.text == "Livet med smerter (i gang)" and bo.due == ()


def test_presented_patient_is_no_longer_due(db) -> None:
    who = f.patient(db)
    f.event(db, who, "anden_opfoelgning", day=dt.date(2026, 11, 10))
    f.presented(db, f.conference(db, dt.date(2026, 11, 18)), who, "anden_opfoelgning")
    row = next(r for r in list_patients(db, TODAY).rows if r.id == who.id)
    assert row.due == ()


def test_patient_list_statement_count_does_not_grow_with_patients(db) -> None:
    def statements() -> int:
        with count_statements() as counter:
            list_patients(db, TODAY)
        return counter.count

    f.event(db, f.patient(db), "visitation")
    few = statements()
    for _ in range(30):
        who = f.patient(db)
        f.event(db, who, "visitation")
        f.event(db, who, "lang_primaersamtale", finding=Finding.UNCERTAIN_NEED)
    assert statements() == few


def test_patient_page_shows_missed_sessions_and_pro(db) -> None:
    who = f.patient(db)
    dates = [dt.date(2026, 10, 7) + dt.timedelta(weeks=i) for i in range(4)]
    team = f.group(db, "livet_med_smerter", dates, name="Livet med smerter – hold 41")
    f.enrol(db, team, who, [AttendanceStatus.PRESENT, AttendanceStatus.NO_SHOW,
                            AttendanceStatus.PRESENT])
    f.event(db, who, "livet_med_smerter", CourseStatus.IN_PROGRESS, dates[0], group_id=team.id)

    detail = patient_detail(db, who.id, TODAY)

    (entry,) = [e for e in detail.timeline if e.code == "livet_med_smerter"]
    assert entry.group_name == "Livet med smerter – hold 41"
    assert [s.date for s in entry.missed()] == [dates[1]]
    assert entry.sessions[3].status is None  # not recorded yet


def test_raise_concern_makes_patient_due_and_writes_audit_row(db) -> None:
    actor = f.staff(db, "Pia Psykolog", Profession.PSYKOLOG)
    who = f.patient(db)
    concern = raise_concern(db, actor, who.id, "Overvejer at stoppe forløbet", TODAY)
    db.flush()
    audit = db.scalars(select(AuditLog).where(AuditLog.entity == "concern")).one()
    assert audit.actor_id == actor.id and audit.entity_id == concern.id
    assert audit.patient_id == who.id and audit.after["note"] == "Overvejer at stoppe forløbet"
    row = next(r for r in list_patients(db, TODAY).rows if r.id == who.id)
    assert [d.code for d in row.due] == ["bekymring"]


@pytest.mark.parametrize("note", ["", "   ", "x" * 2001])
def test_raise_concern_rejects_empty_or_too_long_text_and_writes_nothing(db, note) -> None:
    actor = f.staff(db)
    who = f.patient(db)
    with pytest.raises(InvalidInput):
        raise_concern(db, actor, who.id, note, TODAY)
    assert db.scalars(select(Concern)).all() == []
    assert db.scalars(select(AuditLog)).all() == []
