"""Therapy groups (hold): the groups on a date, one group's roster and attendance, and the writes
a group therapist makes (create, move a session, enrol, attendance, flags for the holdkonference,
handover notes). Every read is a fixed number of set-based queries, whatever the number of
groups or patients; every write records the acting user and an audit row in one transaction.

`holdkonference()` is what the conference board reads for the conference's first part.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from conference import groups as rules
from conference.cpr import format_cpr
from conference.formatting import date_short
from conference.labels import ATTENDANCE
from conference.permissions import Action
from conference.services import audit
from conference.services.access import authorize, authorize_enrolment, authorize_session_of_group
from conference.services.errors import InvalidInput, NotFound, ServiceError
from db.models import (
    Attendance,
    AttendanceStatus,
    Conference,
    CourseEvent,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    GroupFlag,
    GroupSession,
    GroupTherapist,
    Intervention,
    InterventionKind,
    Patient,
    PatientStatus,
    Staff,
    TherapyGroup,
    utcnow,
)

NOTE_MAX_LENGTH = 2000
HANDOVER_MAX_LENGTH = 4000
NAME_MAX_LENGTH = 120
LIST_LIMIT = 60  # earlier / planned groups shown at once
ON_ROSTER = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED)


class StaleEdit(ServiceError):
    """Someone else saved the same rows after this user opened them; nothing was saved.

    The message names both versions: what is saved now and what this user tried to save.
    """


class Period(StrEnum):
    RUNNING = "kørende"
    EARLIER = "tidligere"
    PLANNED = "planlagte"


# --------------------------------------------------------------------------- read models


@dataclass(frozen=True)
class GroupSummary:
    id: int
    name: str
    code: str
    intervention: str
    start_date: dt.date
    end_date: dt.date
    capacity: int
    enrolled: int
    online: bool
    therapists: tuple[str, ...]
    sessions_total: int
    sessions_held: int  # on or before the reference day
    next_session: dt.date | None  # the first after the reference day
    flagged_patients: tuple[str, ...] = ()  # open flags for the holdkonference
    group_notes: int = 0  # open notes about the whole group
    flagged_patient_ids: tuple[int, ...] = ()  # whose names flagged_patients shows (access log)

    @property
    def free(self) -> int:
        return rules.free_places(self.capacity, self.enrolled)


@dataclass(frozen=True)
class SessionRow:
    id: int
    number: int
    date: dt.date
    starts_at: dt.time | None
    minutes: int | None
    label: str | None
    held: bool  # on or before today
    recorded: int = 0
    present: int = 0


@dataclass(frozen=True)
class RosterRow:
    enrolment_id: int
    patient_id: int
    name: str
    cpr: str
    status: str
    enrolled_on: dt.date
    handover_note: str | None
    version: int


@dataclass(frozen=True)
class Mark:
    """One patient's attendance at one session."""

    status: str
    version: int
    recorded_by: str


@dataclass(frozen=True)
class FlagRow:
    id: int
    patient_id: int | None  # None: a note about the whole group
    patient_name: str | None
    note: str
    created_by: str
    created_at: dt.datetime
    handled_at: dt.datetime | None
    handled_conference_date: dt.date | None
    version: int
    dropped_out: bool = False  # the patient's enrolment on the group is udgået
    dropped_out_on: dt.date | None = None  # when, if the patient's course records it

    @property
    def dropout(self) -> str:
        """'udgået af holdet 12. jan. 2027' for a patient who dropped out ('' otherwise)."""
        return rules.dropout_text(self.dropped_out_on) if self.dropped_out else ""


@dataclass
class GroupDetail:
    summary: GroupSummary
    version: int
    sessions: list[SessionRow]
    roster: list[RosterRow]
    marks: dict[tuple[int, int], Mark]  # (enrolment_id, session_id) -> mark
    flags: list[FlagRow] = field(default_factory=list)

    @property
    def open_flags(self) -> list[FlagRow]:
        """Unhandled: patients by name first, then notes about the whole group."""
        flags = [f for f in self.flags if f.handled_at is None]
        return sorted(flags, key=lambda f: (f.patient_id is None, f.patient_name or ""))

    @property
    def handled_flags(self) -> list[FlagRow]:
        return [f for f in self.flags if f.handled_at is not None]

    @property
    def active_roster(self) -> list[RosterRow]:
        return [r for r in self.roster if r.status in {s.value for s in ON_ROSTER}]

    @property
    def last_session(self) -> SessionRow | None:
        return self.sessions[-1] if self.sessions else None

    def latest_held(self) -> SessionRow | None:
        held = [s for s in self.sessions if s.held]
        return held[-1] if held else None


@dataclass(frozen=True)
class HoldFlag:
    id: int
    patient_id: int | None  # None: a note about the whole group
    patient_name: str | None
    note: str
    created_by: str
    created_at: dt.datetime
    version: int
    first_name: str = ""  # the patient's, for the projection's name setting
    last_name: str = ""
    dropped_out: bool = False  # the patient's enrolment on the group is udgået
    dropped_out_on: dt.date | None = None  # when, if the patient's course records it

    @property
    def dropout(self) -> str:
        """'udgået af holdet 12. jan. 2027' for a patient who dropped out ('' otherwise)."""
        return rules.dropout_text(self.dropped_out_on) if self.dropped_out else ""


@dataclass(frozen=True)
class HoldkonferenceGroup:
    """One group on the conference's first part: what it is, who runs it, what they bring."""

    group_id: int
    name: str
    intervention_code: str
    intervention: str
    start_date: dt.date
    end_date: dt.date
    sessions_held: int  # on or before the conference date
    sessions_total: int
    therapists: tuple[str, ...]
    enrolled: int
    capacity: int
    flags: tuple[HoldFlag, ...]  # unhandled; patients (by name) first, then whole-group notes


@dataclass(frozen=True)
class GroupKind:
    id: int
    code: str
    name: str
    sessions: int | None
    interval_days: int | None
    session_minutes: int | None
    capacity: int | None


@dataclass(frozen=True)
class Candidate:
    patient_id: int
    name: str
    cpr: str
    planned: bool  # has a planned course event for this group's intervention, without a group

    @property
    def label(self) -> str:
        return f"{self.name} ({self.cpr})" + (" · planlagt til holdet" if self.planned else "")


# --------------------------------------------------------------------------- reads


def _therapists(session: Session, group_ids) -> dict[int, tuple[str, ...]]:  # noqa: ANN001
    rows = session.execute(
        select(GroupTherapist.group_id, Staff.name)
        .join(Staff, Staff.id == GroupTherapist.staff_id)
        .where(GroupTherapist.group_id.in_(group_ids))
        .order_by(Staff.name)
    )
    names: dict[int, list[str]] = defaultdict(list)
    for group_id, name in rows:
        names[group_id].append(name)
    return {gid: tuple(n) for gid, n in names.items()}


def _enrolled(session: Session, group_ids) -> dict[int, int]:  # noqa: ANN001
    return dict(
        session.execute(
            select(Enrolment.group_id, func.count())
            .where(Enrolment.group_id.in_(group_ids), Enrolment.status.in_(ON_ROSTER))
            .group_by(Enrolment.group_id)
        ).all()
    )


def _session_counts(
    session: Session, group_ids, day: dt.date  # noqa: ANN001
) -> dict[int, tuple[int, int, dt.date | None]]:
    """Per group: sessions in all, held on or before `day`, and the next one after it."""
    rows = session.execute(
        select(
            GroupSession.group_id,
            func.count(),
            func.count(GroupSession.id).filter(GroupSession.date <= day),
            func.min(GroupSession.date).filter(GroupSession.date > day),
        )
        .where(GroupSession.group_id.in_(group_ids))
        .group_by(GroupSession.group_id)
    ).all()
    return {gid: (total, done or 0, nxt) for gid, total, done, nxt in rows}


#: The flagged patient's enrolment on the flag's group (outer-joined: none for group notes).
FLAG_ENROLMENT = and_(
    Enrolment.group_id == GroupFlag.group_id, Enrolment.patient_id == GroupFlag.patient_id
)


def dropped_out_on():  # noqa: ANN202 - a correlated scalar subquery
    """When the flagged patient dropped out of the flag's group, if their course records it."""
    return (
        select(func.max(CourseEvent.end_date))
        .where(
            CourseEvent.group_id == GroupFlag.group_id,
            CourseEvent.patient_id == GroupFlag.patient_id,
            CourseEvent.status == CourseStatus.DROPPED_OUT,
        )
        .correlate(GroupFlag)
        .scalar_subquery()
    )


def _flag_label(name: str, dropped_out: bool) -> str:
    """'Frida Nielsen (udgået af holdet)': a flagged patient in a list of names."""
    return f"{name} ({rules.dropout_text(None)})" if dropped_out else name


def _open_flags(session: Session, group_ids) -> dict[int, list[HoldFlag]]:  # noqa: ANN001
    author = aliased(Staff)
    rows = session.execute(
        select(GroupFlag, Patient.first_name, Patient.last_name, author.name, Enrolment.status,
               dropped_out_on())
        .outerjoin(Patient, Patient.id == GroupFlag.patient_id)
        .join(author, author.id == GroupFlag.created_by_id)
        .outerjoin(Enrolment, FLAG_ENROLMENT)
        .where(GroupFlag.group_id.in_(group_ids), GroupFlag.handled_at.is_(None))
        .order_by(GroupFlag.created_at, GroupFlag.id)
    ).all()
    flags: dict[int, list[HoldFlag]] = defaultdict(list)
    for flag, first, last, by, status, dropped_on in rows:
        name = f"{first} {last}" if flag.patient_id is not None else None
        dropped = status == EnrolmentStatus.DROPPED_OUT
        flags[flag.group_id].append(
            HoldFlag(flag.id, flag.patient_id, name, flag.note, by, flag.created_at, flag.version,
                     first or "", last or "", dropped, dropped_on if dropped else None)
        )
    for items in flags.values():
        items.sort(key=lambda f: (f.patient_id is None, f.patient_name or ""))
    return flags


def _summaries(
    session: Session, rows: Sequence, ref_day: dt.date  # noqa: ANN001
) -> list[GroupSummary]:
    ids = [g.id for g, _ in rows]
    if not ids:
        return []
    therapists = _therapists(session, ids)
    enrolled = _enrolled(session, ids)
    counts = _session_counts(session, ids, ref_day)
    flags = _open_flags(session, ids)
    result = []
    for group, kind in rows:
        total, held, nxt = counts.get(group.id, (0, 0, None))
        open_flags = flags.get(group.id, [])
        result.append(
            GroupSummary(
                id=group.id,
                name=group.name,
                code=kind.code,
                intervention=kind.name,
                start_date=group.start_date,
                end_date=group.end_date,
                capacity=group.capacity,
                enrolled=enrolled.get(group.id, 0),
                online=group.online,
                therapists=therapists.get(group.id, ()),
                sessions_total=total,
                sessions_held=held,
                next_session=nxt,
                flagged_patients=tuple(
                    dict.fromkeys(
                        _flag_label(f.patient_name, f.dropped_out)
                        for f in open_flags if f.patient_name
                    )
                ),
                group_notes=sum(1 for f in open_flags if f.patient_id is None),
                flagged_patient_ids=tuple(
                    dict.fromkeys(f.patient_id for f in open_flags if f.patient_id is not None)
                ),
            )
        )
    return result


def list_groups(
    session: Session,
    day: dt.date,
    period: Period = Period.RUNNING,
    *,
    today: dt.date | None = None,
    limit: int = LIST_LIMIT,
) -> list[GroupSummary]:
    """Groups running on `day`, or the latest ended before it, or the next planned after it.

    Sessions count as held when they are on or before `today` (default: `day`).
    """
    query = select(TherapyGroup, Intervention).join(
        Intervention, Intervention.id == TherapyGroup.intervention_id
    )
    if period == Period.RUNNING:
        query = query.where(TherapyGroup.start_date <= day, TherapyGroup.end_date >= day).order_by(
            Intervention.course_order, TherapyGroup.start_date, TherapyGroup.name
        )
    elif period == Period.EARLIER:
        query = (
            query.where(TherapyGroup.end_date < day)
            .order_by(TherapyGroup.end_date.desc(), TherapyGroup.name)
            .limit(limit)
        )
    else:
        query = (
            query.where(TherapyGroup.start_date > day)
            .order_by(TherapyGroup.start_date, TherapyGroup.name)
            .limit(limit)
        )
    return _summaries(session, session.execute(query).all(), today or day)


def group_detail(session: Session, group_id: int, today: dt.date) -> GroupDetail:
    """One group: its sessions, therapists, roster with attendance per session, and flags."""
    row = session.execute(
        select(TherapyGroup, Intervention)
        .join(Intervention, Intervention.id == TherapyGroup.intervention_id)
        .where(TherapyGroup.id == group_id)
    ).first()
    if row is None:
        raise NotFound("Holdet findes ikke.")
    group, kind = row
    sessions = session.scalars(
        select(GroupSession).where(GroupSession.group_id == group_id).order_by(GroupSession.number)
    ).all()
    roster = session.execute(
        select(Enrolment, Patient)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(Enrolment.group_id == group_id)
        .order_by(Patient.last_name, Patient.first_name)
    ).all()
    recorder = aliased(Staff)
    marks_rows = session.execute(
        select(Attendance, recorder.name)
        .join(GroupSession, GroupSession.id == Attendance.session_id)
        .outerjoin(recorder, recorder.id == Attendance.recorded_by_id)
        .where(GroupSession.group_id == group_id)
    ).all()
    author = aliased(Staff)
    flag_rows = session.execute(
        select(GroupFlag, Patient.first_name, Patient.last_name, author.name, Conference.date,
               Enrolment.status, dropped_out_on())
        .outerjoin(Patient, Patient.id == GroupFlag.patient_id)
        .join(author, author.id == GroupFlag.created_by_id)
        .outerjoin(Conference, Conference.id == GroupFlag.handled_conference_id)
        .outerjoin(Enrolment, FLAG_ENROLMENT)
        .where(GroupFlag.group_id == group_id)
        .order_by(GroupFlag.created_at.desc(), GroupFlag.id.desc())
    ).all()
    therapists = _therapists(session, [group_id]).get(group_id, ())

    marks = {
        (a.enrolment_id, a.session_id): Mark(a.status.value, a.version, by or "")
        for a, by in marks_rows
    }
    roster_rows = [
        RosterRow(
            e.id, p.id, p.full_name, format_cpr(p.cpr), e.status.value, e.enrolled_on,
            e.handover_note, e.version,
        )
        for e, p in roster
    ]
    on_roster = {r.enrolment_id for r in roster_rows if r.status != EnrolmentStatus.DROPPED_OUT}
    session_rows = []
    for s in sessions:
        recorded = [m for (eid, sid), m in marks.items() if sid == s.id and eid in on_roster]
        session_rows.append(
            SessionRow(
                s.id, s.number, s.date, s.starts_at, s.minutes, s.label, s.date <= today,
                len(recorded), sum(1 for m in recorded if m.status == AttendanceStatus.PRESENT),
            )
        )
    flags = [
        FlagRow(
            flag.id, flag.patient_id, f"{first} {last}" if flag.patient_id else None, flag.note,
            by, flag.created_at, flag.handled_at, conf_date, flag.version,
            status == EnrolmentStatus.DROPPED_OUT,
            dropped_on if status == EnrolmentStatus.DROPPED_OUT else None,
        )
        for flag, first, last, by, conf_date, status, dropped_on in flag_rows
    ]
    open_flags = [f for f in flags if f.handled_at is None]
    held = [s for s in session_rows if s.held]
    upcoming = [s.date for s in session_rows if not s.held]
    summary = GroupSummary(
        id=group.id,
        name=group.name,
        code=kind.code,
        intervention=kind.name,
        start_date=group.start_date,
        end_date=group.end_date,
        capacity=group.capacity,
        enrolled=len(on_roster),
        online=group.online,
        therapists=therapists,
        sessions_total=len(session_rows),
        sessions_held=len(held),
        next_session=upcoming[0] if upcoming else None,
        flagged_patients=tuple(
            sorted({
                _flag_label(f.patient_name, f.dropped_out) for f in open_flags if f.patient_name
            })
        ),
        group_notes=sum(1 for f in open_flags if f.patient_id is None),
        flagged_patient_ids=tuple(
            dict.fromkeys(f.patient_id for f in open_flags if f.patient_id is not None)
        ),
    )
    return GroupDetail(summary, group.version, session_rows, roster_rows, marks, flags)


def holdkonference(session: Session, conference_date: dt.date) -> list[HoldkonferenceGroup]:
    """Every group running on the conference date, with what its therapists bring.

    Also groups that have ended but still have unhandled flags, so no flag is lost when a
    group's last session falls just before the conference.
    """
    unhandled = exists().where(
        GroupFlag.group_id == TherapyGroup.id, GroupFlag.handled_at.is_(None)
    )
    rows = session.execute(
        select(TherapyGroup, Intervention)
        .join(Intervention, Intervention.id == TherapyGroup.intervention_id)
        .where(
            TherapyGroup.start_date <= conference_date,
            or_(TherapyGroup.end_date >= conference_date, unhandled),
        )
        .order_by(Intervention.course_order, TherapyGroup.start_date, TherapyGroup.name)
    ).all()
    ids = [g.id for g, _ in rows]
    if not ids:
        return []
    therapists = _therapists(session, ids)
    enrolled = _enrolled(session, ids)
    counts = _session_counts(session, ids, conference_date)
    flags = _open_flags(session, ids)
    result = []
    for group, kind in rows:
        total, held, _ = counts.get(group.id, (0, 0, None))
        result.append(
            HoldkonferenceGroup(
                group_id=group.id,
                name=group.name,
                intervention_code=kind.code,
                intervention=kind.name,
                start_date=group.start_date,
                end_date=group.end_date,
                sessions_held=held,
                sessions_total=total,
                therapists=therapists.get(group.id, ()),
                enrolled=enrolled.get(group.id, 0),
                capacity=group.capacity,
                flags=tuple(flags.get(group.id, ())),
            )
        )
    return result


def group_kinds(session: Session) -> list[GroupKind]:
    """The catalogue's group interventions, in course order (for creating a group)."""
    rows = session.scalars(
        select(Intervention)
        .where(Intervention.kind == InterventionKind.GROUP, Intervention.active.is_(True))
        .order_by(Intervention.course_order)
    )
    return [
        GroupKind(
            i.id, i.code, i.name, i.sessions, i.interval_days, i.session_minutes, i.capacity
        )
        for i in rows
    ]


def enrolment_candidates(session: Session, group_id: int) -> list[Candidate]:
    """Active patients not on this group; those planned for its intervention first."""
    kind_id = select(TherapyGroup.intervention_id).where(TherapyGroup.id == group_id)
    planned = (
        exists()
        .where(
            CourseEvent.patient_id == Patient.id,
            CourseEvent.intervention_id == kind_id.scalar_subquery(),
            CourseEvent.status == CourseStatus.PLANNED,
            CourseEvent.group_id.is_(None),
        )
        .label("planned")
    )
    on_group = select(Enrolment.patient_id).where(Enrolment.group_id == group_id)
    rows = session.execute(
        select(Patient.id, Patient.first_name, Patient.last_name, Patient.cpr, planned)
        .where(Patient.status == PatientStatus.ACTIVE, Patient.id.not_in(on_group))
        .order_by(Patient.last_name, Patient.first_name)
    ).all()
    candidates = [
        Candidate(pid, f"{first} {last}", format_cpr(cpr), bool(is_planned))
        for pid, first, last, cpr, is_planned in rows
    ]
    candidates.sort(key=lambda c: not c.planned)
    return candidates


# --------------------------------------------------------------------------- writes


def _rule(call, *args) -> None:  # noqa: ANN001
    """Run a domain rule; its Danish message becomes the service's InvalidInput."""
    try:
        call(*args)
    except rules.GroupRuleError as error:
        raise InvalidInput(str(error)) from error


def _text(value: str | None, what: str, max_length: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"Skriv {what}.")
    if len(text) > max_length:
        raise InvalidInput(f"Teksten er for lang (højst {max_length} tegn).")
    return text


def _group(session: Session, group_id: int) -> tuple[TherapyGroup, Intervention]:
    row = session.execute(
        select(TherapyGroup, Intervention)
        .join(Intervention, Intervention.id == TherapyGroup.intervention_id)
        .where(TherapyGroup.id == group_id)
    ).first()
    if row is None:
        raise NotFound("Holdet findes ikke.")
    return row[0], row[1]


def _flush(session: Session, message: str) -> None:
    """Flush; a version or uniqueness clash with a concurrent save becomes StaleEdit."""
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as error:
        raise StaleEdit(message) from error


def create_group(
    session: Session,
    actor: Staff,
    intervention_code: str,
    start_date: dt.date,
    therapist_ids: Sequence[int],
    *,
    name: str | None = None,
    capacity: int | None = None,
    starts_at: dt.time | None = None,
) -> TherapyGroup:
    """A new group from the catalogue: its session dates follow the intervention's rhythm."""
    authorize(session, actor, Action.MANAGE_GROUPS)
    kind = session.scalars(
        select(Intervention).where(Intervention.code == intervention_code)
    ).one_or_none()
    if kind is None or kind.kind != InterventionKind.GROUP:
        raise InvalidInput("Vælg en holdindsats fra kataloget.")
    if start_date is None:
        raise InvalidInput("Vælg holdets startdato.")
    ids = list(dict.fromkeys(therapist_ids))
    _rule(rules.check_therapists, len(ids))
    therapists = session.scalars(select(Staff).where(Staff.id.in_(ids))).all()
    if len(therapists) != len(ids) or not all(t.active for t in therapists):
        raise InvalidInput("En valgt behandler findes ikke eller er ikke længere aktiv.")
    limit = kind.capacity or None
    if capacity is None:
        capacity = limit or 10
    if capacity < 1 or (limit is not None and capacity > limit):
        raise InvalidInput(f"Antal pladser skal være mellem 1 og {limit or capacity}.")
    name = _text(name, "holdets navn", NAME_MAX_LENGTH, required=False) or rules.default_name(
        kind.name, start_date
    )
    rhythm = rules.Rhythm(
        kind.code, kind.name, kind.sessions, kind.interval_days, kind.session_minutes
    )
    try:
        planned = rules.schedule(rhythm, start_date)
    except rules.GroupRuleError as error:
        raise InvalidInput(str(error)) from error
    group = TherapyGroup(
        intervention_id=kind.id,
        name=name,
        start_date=planned[0].date,
        end_date=planned[-1].date,
        capacity=capacity,
        online=kind.code in rules.ONLINE,
        sessions=[
            GroupSession(
                number=p.number, date=p.date, minutes=p.minutes, label=p.label,
                starts_at=starts_at,
            )
            for p in planned
        ],
        therapists=[GroupTherapist(staff_id=t) for t in ids],
    )
    session.add(group)
    audit.record(session, actor, "create", group)
    for item in [*group.sessions, *group.therapists]:
        audit.record(session, actor, "create", item)
    return group


def move_session(
    session: Session,
    actor: Staff,
    session_id: int,
    new_date: dt.date,
    seen_group_version: int,
    today: dt.date,
) -> GroupSession:
    """Move one session (a holiday, a room); the others stay where they are."""
    authorize(session, actor, Action.MANAGE_GROUPS)
    moving = session.get(GroupSession, session_id)
    if moving is None:
        raise NotFound("Holdgangen findes ikke.")
    group, _ = _group(session, moving.group_id)
    if group.version != seen_group_version:
        raise StaleEdit(
            "Holdets holdgange er ændret af en anden, siden du åbnede siden. Intet er gemt.\n\n"
            f"Gemt nu: holdgang {moving.number} den {date_short(moving.date)}. "
            f"Dit forslag: {date_short(new_date)}."
        )
    if new_date is None or new_date == moving.date:
        raise InvalidInput("Vælg en ny dato for holdgangen.")
    if new_date < today or moving.date < today:
        raise InvalidInput("Kun kommende holdgange kan flyttes, og kun til i dag eller senere.")
    recorded = session.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.session_id == moving.id)
    )
    if recorded:
        raise InvalidInput("Der er registreret fremmøde på holdgangen; den kan ikke flyttes.")
    dates = [s.date for s in group.sessions]
    _rule(rules.check_move, dates, moving.number, new_date)
    before = audit.snapshot(moving)
    moving.date = new_date
    dates[moving.number - 1] = new_date
    group.start_date, group.end_date = dates[0], dates[-1]
    flag_modified(group, "end_date")  # the group's version moves even if its period does not
    _flush(session, "Holdets holdgange blev ændret af en anden samtidig. Intet er gemt.")
    audit.record(session, actor, "update", moving, before=before)
    return moving


def _current_groups(session: Session, patient_id: int) -> list[rules.GroupPeriod]:
    rows = session.execute(
        select(TherapyGroup, Intervention.code)
        .join(Intervention, Intervention.id == TherapyGroup.intervention_id)
        .join(Enrolment, Enrolment.group_id == TherapyGroup.id)
        .where(Enrolment.patient_id == patient_id, Enrolment.status.in_(ON_ROSTER))
    ).all()
    return [
        rules.GroupPeriod(g.id, code, g.name, g.start_date, g.end_date) for g, code in rows
    ]


def _link_course_event(
    session: Session, actor: Staff, group: TherapyGroup, patient_id: int, today: dt.date
) -> CourseEvent:
    """The patient's course shows the group: a planned event is given the group, or one added."""
    event = session.scalars(
        select(CourseEvent)
        .where(
            CourseEvent.patient_id == patient_id,
            CourseEvent.intervention_id == group.intervention_id,
            CourseEvent.status == CourseStatus.PLANNED,
            CourseEvent.group_id.is_(None),
        )
        .order_by(CourseEvent.planned_date)
        .limit(1)
    ).first()
    before = audit.snapshot(event) if event else None
    if event is None:
        event = CourseEvent(
            patient_id=patient_id, intervention_id=group.intervention_id,
            status=CourseStatus.PLANNED,
        )
        session.add(event)
    event.group_id = group.id
    event.planned_date = group.start_date
    if group.start_date <= today:
        event.status = CourseStatus.IN_PROGRESS
        event.start_date = group.start_date
    audit.record(session, actor, "update" if before else "create", event, before=before)
    return event


def enrol_patient(
    session: Session, actor: Staff, group_id: int, patient_id: int, today: dt.date
) -> Enrolment:
    """Put a patient on a group. Over capacity, or already on a group of the same kind: refused
    with a Danish message and nothing saved."""
    authorize(session, actor, Action.ENROL, group_id=group_id)
    group, kind = _group(session, group_id)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("Patienten findes ikke.")
    if patient.status != PatientStatus.ACTIVE:
        raise InvalidInput(
            f"{patient.full_name}s forløb er afsluttet; patienten kan ikke tilmeldes."
        )
    if group.end_date < today:
        raise InvalidInput(f"{group.name} er afsluttet; der kan ikke tilmeldes flere.")
    existing = session.scalars(
        select(Enrolment).where(Enrolment.group_id == group_id, Enrolment.patient_id == patient_id)
    ).first()
    if existing is not None:
        raise InvalidInput(f"{patient.full_name} er allerede på {group.name}.")
    enrolled = session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.group_id == group_id, Enrolment.status.in_(ON_ROSTER))
    )
    _rule(rules.check_capacity, group.name, group.capacity, enrolled or 0)
    target = rules.GroupPeriod(group.id, kind.code, group.name, group.start_date, group.end_date)
    _rule(rules.check_same_kind, patient.full_name, target, _current_groups(session, patient_id))
    enrolment = Enrolment(group_id=group_id, patient_id=patient_id, enrolled_on=today)
    session.add(enrolment)
    _flush(session, f"{patient.full_name} blev tilmeldt af en anden samtidig.")
    audit.record(session, actor, "create", enrolment)
    _link_course_event(session, actor, group, patient_id, today)
    return enrolment


def record_attendance(
    session: Session,
    actor: Staff,
    session_id: int,
    marks: Mapping[int, AttendanceStatus | str],
    seen_versions: Mapping[int, int | None],
    today: dt.date,
) -> int:
    """One save for a session's whole roster: enrolment id -> Mødt / Afbud / Udeblevet.

    `seen_versions` holds, per enrolment, the version of the attendance row the therapist saw
    (None: none recorded). If anyone saved in between, nothing is saved and StaleEdit names both
    versions. Returns how many rows changed.
    """
    authorize_session_of_group(session, actor, Action.GROUP_ATTENDANCE, session_id)
    sitting = session.get(GroupSession, session_id)
    if sitting is None:
        raise NotFound("Holdgangen findes ikke.")
    if sitting.date > today:
        raise InvalidInput(
            f"Holdgang {sitting.number} er {date_short(sitting.date)}; "
            "fremmøde registreres på dagen eller bagefter."
        )
    try:
        wanted = {int(eid): AttendanceStatus(status) for eid, status in marks.items()}
    except ValueError as error:
        raise InvalidInput("Ukendt fremmødestatus.") from error
    if not wanted:
        raise InvalidInput("Der er ingen deltagere at registrere fremmøde for.")
    roster = {
        e.id: (e, p)
        for e, p in session.execute(
            select(Enrolment, Patient)
            .join(Patient, Patient.id == Enrolment.patient_id)
            .where(Enrolment.group_id == sitting.group_id, Enrolment.id.in_(list(wanted)))
        ).all()
    }
    if set(roster) != set(wanted):
        raise InvalidInput("En af deltagerne er ikke på holdet.")
    recorder = aliased(Staff)
    current = {
        a.enrolment_id: (a, by)
        for a, by in session.execute(
            select(Attendance, recorder.name)
            .outerjoin(recorder, recorder.id == Attendance.recorded_by_id)
            .where(Attendance.session_id == session_id, Attendance.enrolment_id.in_(list(wanted)))
        ).all()
    }
    conflicts = []
    for eid, status in wanted.items():
        row, by = current.get(eid, (None, None))
        seen = seen_versions.get(eid)
        if (row.version if row else None) != seen:
            saved = ATTENDANCE[row.status] if row else "ikke registreret"
            who = f" af {by}" if row and by else ""
            conflicts.append(
                f"- {roster[eid][1].full_name}: gemt »{saved}«{who}; din »{ATTENDANCE[status]}«"
            )
    if conflicts:
        raise StaleEdit(
            f"Fremmødet for holdgang {sitting.number} ({date_short(sitting.date)}) er gemt af en "
            "anden, mens du registrerede. Intet af dit er gemt. Siden viser nu det gemte; ret det "
            "og gem igen.\n\n" + "\n".join(conflicts)
        )
    changed = []
    for eid, status in wanted.items():
        row, _ = current.get(eid, (None, None))
        if row is None:
            row = Attendance(
                session_id=session_id, enrolment_id=eid, status=status, recorded_by_id=actor.id
            )
            session.add(row)
            changed.append((row, None, roster[eid][0].patient_id))
        elif row.status != status:
            before = audit.snapshot(row)
            row.status = status
            row.recorded_by_id = actor.id
            changed.append((row, before, roster[eid][0].patient_id))
    _flush(
        session,
        f"Fremmødet for holdgang {sitting.number} blev gemt af en anden samtidig. Intet er gemt; "
        "indlæs siden og prøv igen.",
    )
    for row, before, patient_id in changed:
        action = "update" if before else "create"
        audit.record(session, actor, action, row, before=before, patient_id=patient_id)
    return len(changed)


def flag_patient(
    session: Session, actor: Staff, group_id: int, patient_id: int, note: str
) -> GroupFlag:
    """Put a patient on the group for discussion at the next holdkonference, with a short note.

    Anyone who was on the group may be flagged, also a patient who dropped out (udgået): 3.10
    includes patients where problems arose during the course, and dropping out often is one.
    A patient never enrolled on the group is refused.
    """
    authorize(session, actor, Action.FLAG_FOR_CONFERENCE, group_id=group_id)
    note = _text(note, "kort, hvad der er kommet frem, eller hvad der skal overleveres",
                 NOTE_MAX_LENGTH)
    group, _ = _group(session, group_id)
    was_on_group = session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.group_id == group_id, Enrolment.patient_id == patient_id)
    )
    if not was_on_group:
        raise InvalidInput(
            f"Patienten har ikke været på {group.name}. Kun patienter, der er eller har været "
            "på holdet, kan markeres til holdkonference."
        )
    flag = GroupFlag(group_id=group_id, patient_id=patient_id, note=note, created_by_id=actor.id)
    session.add(flag)
    audit.record(session, actor, "create", flag)
    return flag


def add_group_note(session: Session, actor: Staff, group_id: int, note: str) -> GroupFlag:
    """A note about the whole group for the next holdkonference."""
    authorize(session, actor, Action.FLAG_FOR_CONFERENCE, group_id=group_id)
    note = _text(note, "noten om holdet", NOTE_MAX_LENGTH)
    _group(session, group_id)
    flag = GroupFlag(group_id=group_id, patient_id=None, note=note, created_by_id=actor.id)
    session.add(flag)
    audit.record(session, actor, "create", flag)
    return flag


def mark_flags_handled(
    session: Session,
    actor: Staff,
    flag_ids: Iterable[int],
    *,
    conference_id: int | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Mark flags as handled (after the conference); they are kept, never deleted.

    Flags already handled are left as they are. Returns how many were marked now.
    """
    authorize(session, actor, Action.RECORD_MINUTES)
    ids = list(dict.fromkeys(flag_ids))
    if not ids:
        return 0
    flags = session.scalars(select(GroupFlag).where(GroupFlag.id.in_(ids))).all()
    if len(flags) != len(ids):
        raise NotFound("En af markeringerne findes ikke.")
    if conference_id is not None and session.get(Conference, conference_id) is None:
        raise NotFound("Konferencen findes ikke.")
    moment = at or utcnow()
    marked = []
    for flag in flags:
        if flag.handled_at is not None:
            continue
        marked.append((flag, audit.snapshot(flag)))
        flag.handled_at = moment
        flag.handled_conference_id = conference_id
    _flush(session, "Markeringen blev behandlet af en anden samtidig.")
    for flag, before in marked:
        audit.record(session, actor, "update", flag, before=before)
    return len(marked)


def save_handover_note(
    session: Session,
    actor: Staff,
    enrolment_id: int,
    note: str,
    seen_version: int,
    today: dt.date,
) -> Enrolment:
    """The therapists' handover at the last session: what the next intervention must know.

    It shows on the patient's page and at the next follow-up conversation. An empty note clears
    it. Written from the day of the group's last session.
    """
    authorize_enrolment(session, actor, Action.FLAG_FOR_CONFERENCE, enrolment_id)
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFound("Deltageren findes ikke på holdet.")
    text = _text(note, "overleveringen", HANDOVER_MAX_LENGTH, required=False) or None
    if enrolment.version != seen_version:
        raise StaleEdit(
            "Overleveringen er ændret af en anden, mens du skrev. Intet er gemt.\n\n"
            f"Gemt nu:\n{enrolment.handover_note or '(tom)'}\n\nDin tekst:\n{text or '(tom)'}"
        )
    last = session.scalar(
        select(func.max(GroupSession.date)).where(GroupSession.group_id == enrolment.group_id)
    )
    if last is not None and today < last:
        raise InvalidInput(
            f"Overleveringen skrives ved sidste holdgang ({date_short(last)}) eller derefter."
        )
    if text == enrolment.handover_note:
        return enrolment
    before = audit.snapshot(enrolment)
    enrolment.handover_note = text
    _flush(session, "Overleveringen blev gemt af en anden samtidig. Intet er gemt.")
    audit.record(session, actor, "update", enrolment, before=before)
    return enrolment
