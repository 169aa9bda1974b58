"""The patient list and the agenda proposals read less than every course (issue 9): the stage
ranked in SQL, only the events the due rules read, and only for patients who may be due. On
the demo centre (SQLite and PostgreSQL) they must give exactly what the rules give on the full
courses, for conferences in the past, today and ahead."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from conference import agenda as rules
from conference import pathway
from conference.services.patients import courses, due_courses, list_patients
from db.models import Concern, Conference, CourseStatus, Finding, Patient, PatientStatus
from db.session import make_engine, session_scope
from tests import factories as f


def _days(session) -> list[dt.date]:  # noqa: ANN001
    held = sorted(session.scalars(select(Conference.date)))
    today = dt.date.today()
    return [*held, *(today + dt.timedelta(days=k) for k in (0, 1, 7, 40))]


def test_proposals_from_narrowed_courses_equal_those_from_full_courses(demo_url: str) -> None:
    engine = make_engine(demo_url)
    active = select(Patient.id).where(Patient.status == PatientStatus.ACTIVE)
    found = 0
    with session_scope(engine) as session:
        for day in _days(session):
            full = rules.proposals(courses(session, active, day), day, set())
            narrowed = rules.proposals(due_courses(session, day), day, set())
            assert narrowed == full, day
            found += len(full)
    engine.dispose()
    assert found > 0


def test_patient_list_equals_the_rules_on_full_courses(demo_url: str) -> None:
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        for today in (dt.date.today(), *_days(session)[:3]):
            listed = list_patients(session, today)
            ids = [row.id for row in listed.rows]
            full = courses(session, ids, listed.conference_date)
            assert ids and set(full) <= set(ids)
            for row in listed.rows:
                course = full.get(row.id, pathway.PatientCourse(active=True))
                upcoming = pathway.next_step(course.events, today)
                assert row.stage == pathway.stage(course), row.id
                assert row.next_step == (upcoming.name if upcoming else "")
                assert row.next_step_date == (upcoming.planned_date if upcoming else None)
                assert row.due == tuple(pathway.due_reasons(course, listed.conference_date))
            assert any(row.due for row in listed.rows)
    engine.dispose()


CONF = dt.date(2026, 12, 2)
EARLIER = dt.date(2026, 11, 11)


def test_who_may_be_due_is_decided_from_the_last_presentation(db) -> None:  # noqa: ANN001
    """Each way into (and out of) the proposals, side by side with the rules on full courses."""
    staff = f.staff(db)
    held = f.conference(db, EARLIER)
    follow_up = f.patient(db, "Opfølgning")  # presented, then Anden opfølgning done: due
    f.presented(db, held, follow_up, "manuel")
    f.event(db, follow_up, "anden_opfoelgning", day=dt.date(2026, 11, 20))
    old_news = f.patient(db, "Gammel")  # Anden opfølgning done before presented: not due
    f.event(db, old_news, "anden_opfoelgning", day=dt.date(2026, 11, 1))
    f.presented(db, held, old_news, "anden_opfoelgning")
    slow = f.patient(db, "Langsom")  # slow responder found before, relaxation done since: due
    f.event(db, slow, "visitation_fysioterapeut", day=dt.date(2026, 10, 1),
            finding=Finding.CFT_SLOW_RESPONDER)
    f.presented(db, held, slow, "manuel")
    f.event(db, slow, "mindfulness", day=dt.date(2026, 11, 25))
    relaxed = f.patient(db, "Afspændt")  # relaxation done, not a slow responder: not due
    f.presented(db, held, relaxed, "manuel")
    f.event(db, relaxed, "afspaending", day=dt.date(2026, 11, 25))
    referred = f.patient(db, "Henvist")  # due, but not for barriers: the psychologist is booked
    f.event(db, referred, "anden_opfoelgning", day=dt.date(2026, 11, 20),
            finding=Finding.PSYCH_BARRIERS)
    f.event(db, referred, "psykolog_efter", CourseStatus.PLANNED, dt.date(2026, 12, 20))
    worried = f.patient(db, "Bekymret")  # a concern raised since presented: due
    f.presented(db, held, worried, "manuel")
    db.add(Concern(patient_id=worried.id, raised_by_id=staff.id, raised_on=dt.date(2026, 11, 30),
                   note="Søvnproblemer"))
    gone = f.patient(db, "Afsluttet")  # discharged: never due
    f.event(db, gone, "anden_opfoelgning", day=dt.date(2026, 11, 20))
    gone.status = PatientStatus.DISCHARGED
    db.flush()
    active = select(Patient.id).where(Patient.status == PatientStatus.ACTIVE)

    full = rules.proposals(courses(db, active, CONF), CONF, set())
    narrowed = rules.proposals(due_courses(db, CONF), CONF, set())

    assert narrowed == full
    assert {p.patient_id: p.reason for p in narrowed} == {
        follow_up.id: "anden_opfoelgning",
        slow.id: "cft_langsom_responder",
        referred.id: "anden_opfoelgning",
        worried.id: "bekymring",
    }
    listed = {row.id: row for row in list_patients(db, dt.date(2026, 12, 1)).rows}
    assert {pid: [d.code for d in row.due] for pid, row in listed.items() if row.due} == {
        follow_up.id: ["anden_opfoelgning"],
        slow.id: ["cft_langsom_responder"],
        referred.id: ["anden_opfoelgning"],
        worried.id: ["bekymring"],
    }
    assert listed[slow.id].stage.label == "Afspænding / Mindfulness"
    assert listed[referred.id].stage.text == "Anden opfølgning"
    assert listed[referred.id].next_step_date == dt.date(2026, 12, 20)
    assert gone.id not in listed
