"""Hand-built test data: the smallest rows each test needs, with readable defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from conference.cpr import make_cpr
from db.models import (
    AgendaItem,
    AgendaSource,
    AgendaStatus,
    Attendance,
    AttendanceStatus,
    Concern,
    Conclusion,
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


def danish(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment on the Danish clock as an aware UTC datetime (what the database gives back)."""
    local = dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo("Europe/Copenhagen"))
    return local.astimezone(dt.UTC)


def conclude(
    session: Session,
    item: AgendaItem,
    at: dt.datetime,
    by: Staff | None = None,
    decision: str = "fortsaet_standardforloeb",
) -> Conclusion:
    """The referent's conclusion of a case, recorded at the moment `at`."""
    row = Conclusion(
        agenda_item_id=item.id, decision=decision, recorded_by_id=(by or staff(session)).id,
        recorded_at=at,
    )
    session.add(row)
    session.flush()
    return row


def concern(
    session: Session,
    who: Patient,
    day: dt.date,
    at: dt.datetime | None,
    note: str = "Tvivl om behandlingsbehov",
    by: Staff | None = None,
) -> Concern:
    """An open concern raised on `day`, recorded at the moment `at` (None: an old row)."""
    row = Concern(
        patient_id=who.id, raised_by_id=(by or staff(session)).id, raised_on=day, note=note,
        recorded_at=at,
    )
    session.add(row)
    session.flush()
    if at is None:
        forget_recorded_at(session, row)
    return row


def forget_recorded_at(session: Session, row: CourseEvent | Concern) -> None:
    """Make `row` an old one, from before recorded_at was kept (the ORM fills in the default
    for a None, and an event's onupdate would too)."""
    model = type(row)
    session.execute(update(model).where(model.id == row.id).values(recorded_at=None))
    session.refresh(row)


def ended_early(
    session: Session,
    who: Patient,
    code: str,
    start: dt.date,
    end: dt.date,
    **extra: object,
) -> CourseEvent:
    """A group the patient dropped out of (udgået): started on `start`, last there on `end`."""
    row = CourseEvent(
        patient_id=who.id, intervention_id=intervention(session, code).id,
        status=CourseStatus.DROPPED_OUT, planned_date=start, start_date=start, end_date=end,
        **extra,
    )
    session.add(row)
    session.flush()
    return row
