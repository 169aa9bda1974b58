"""Hand-built test data: the smallest rows each test needs, with readable defaults."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.cpr import make_cpr
from db.models import (
    AgendaItem,
    AgendaSource,
    AgendaStatus,
    Attendance,
    AttendanceStatus,
    Conference,
    ConferenceStatus,
    CourseEvent,
    CourseStatus,
    Enrolment,
    GroupSession,
    Intervention,
    Microteam,
    Patient,
    Profession,
    Role,
    Sex,
    Staff,
    StaffRole,
    TherapyGroup,
)
from db.session import make_engine, session_scope

_serial = itertools.count(1)


def in_db(url: str, call):  # noqa: ANN001, ANN201 - a function of a session
    """Run `call(session)` in a transaction of its own on the database at `url`."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return call(session)
    finally:
        engine.dispose()


def staff(
    session: Session,
    name: str = "Test Medarbejder",
    profession: Profession = Profession.LAEGE,
    # tests of other rules act as an administrator; permission tests pass their roles
    roles: tuple[Role, ...] = (Role.ADMIN,),
    initials: str | None = None,
) -> Staff:
    n = next(_serial)
    person = Staff(
        initials=initials or f"T{n:03d}", name=f"{name} {n}", profession=profession, active=True,
        roles=[StaffRole(role=r) for r in roles],
    )
    session.add(person)
    session.flush()
    return person


def patient(
    session: Session,
    first_name: str = "Test",
    last_name: str = "Patient",
    birth: dt.date = dt.date(1970, 5, 17),
    sex: Sex = Sex.FEMALE,
    referral: dt.date = dt.date(2026, 6, 1),
    pal: Staff | None = None,
    nurse: Staff | None = None,
    microteam: Microteam | None = None,
) -> Patient:
    n = next(_serial)
    row = Patient(
        cpr=make_cpr(birth, sex.value, n),
        first_name=first_name,
        last_name=f"{last_name}{n}",
        sex=sex,
        birth_date=birth,
        referral_date=referral,
        pal_laege_id=pal.id if pal else None,
        kontaktsygeplejerske_id=nurse.id if nurse else None,
        microteam_id=microteam.id if microteam else None,
    )
    session.add(row)
    session.flush()
    return row


def intervention(session: Session, code: str) -> Intervention:
    return session.scalars(select(Intervention).where(Intervention.code == code)).one()


def event(
    session: Session,
    who: Patient,
    code: str,
    status: CourseStatus = CourseStatus.DONE,
    day: dt.date | None = dt.date(2026, 11, 1),
    **extra: object,
) -> CourseEvent:
    planned = status == CourseStatus.PLANNED
    row = CourseEvent(
        patient_id=who.id,
        intervention_id=intervention(session, code).id,
        status=status,
        planned_date=day,
        start_date=None if planned else day,
        end_date=day if status == CourseStatus.DONE else None,
        **extra,
    )
    session.add(row)
    session.flush()
    return row


def group(
    session: Session,
    code: str,
    dates: list[dt.date],
    name: str | None = None,
) -> TherapyGroup:
    kind = intervention(session, code)
    row = TherapyGroup(
        intervention_id=kind.id,
        name=name or f"{kind.name} testhold",
        start_date=dates[0],
        end_date=dates[-1],
        capacity=kind.capacity or 10,
        sessions=[GroupSession(number=i + 1, date=d) for i, d in enumerate(dates)],
    )
    session.add(row)
    session.flush()
    return row


def enrol(
    session: Session, team: TherapyGroup, who: Patient, attendance: list[AttendanceStatus]
) -> Enrolment:
    row = Enrolment(group_id=team.id, patient_id=who.id, enrolled_on=team.start_date)
    session.add(row)
    session.flush()
    for sess, status in zip(team.sessions, attendance, strict=False):
        session.add(Attendance(session_id=sess.id, enrolment_id=row.id, status=status))
    session.flush()
    return row


def conference(
    session: Session, day: dt.date, status: ConferenceStatus = ConferenceStatus.CLOSED
) -> Conference:
    row = Conference(date=day, starts_at=dt.time(9, 0), status=status)
    session.add(row)
    session.flush()
    return row


def presented(session: Session, meeting: Conference, who: Patient, reason: str) -> AgendaItem:
    row = AgendaItem(
        conference_id=meeting.id, patient_id=who.id, source=AgendaSource.DUE_RULE,
        reason=reason, status=AgendaStatus.DISCUSSED,
    )
    session.add(row)
    session.flush()
    return row


def microteam(
    session: Session, members: tuple[tuple[Staff, str], ...] = (), name: str | None = None
) -> Microteam:
    """A microteam with (staff, function) members; function as TeamFunction value."""
    from db.models import MicroteamMember, TeamFunction

    row = Microteam(
        name=name or f"Testmikroteam {next(_serial)}",
        members=[MicroteamMember(staff_id=s.id, function=TeamFunction(fn)) for s, fn in members],
    )
    session.add(row)
    session.flush()
    return row
