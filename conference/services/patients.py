"""Patients: the list of active patients and one patient's page.

The list is built from a fixed number of set-based queries, whatever the number of patients:
patients with their staff, their course events, open concerns, when each was last presented,
and the next conference's agenda. The pathway rules then run in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import String, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from conference import pathway
from conference.cpr import age_on, format_cpr
from conference.permissions import Action
from conference.services import audit
from conference.services.access import authorize
from conference.services.errors import InvalidInput, NotFound
from conference.services.settings import next_conference_date
from db.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaStatus,
    Attendance,
    AttendanceStatus,
    Concern,
    Conclusion,
    Conference,
    CourseEvent,
    CourseStatus,
    Enrolment,
    Finding,
    GroupSession,
    Intervention,
    Microteam,
    MicroteamMember,
    Patient,
    PatientStatus,
    ProResponse,
    ProScore,
    Staff,
    TherapyGroup,
)

CONCERN_MAX_LENGTH = 2000


@dataclass(frozen=True)
class PatientRow:
    id: int
    name: str
    cpr: str
    age: int
    sex: str
    microteam: str
    pal_laege: str
    kontaktsygeplejerske: str
    stage: pathway.Stage
    next_step: str
    next_step_date: dt.date | None
    due: tuple[pathway.DueReason, ...]
    on_agenda: bool


@dataclass(frozen=True)
class PatientList:
    conference_date: dt.date
    rows: list[PatientRow]


def _active_patient_ids():  # noqa: ANN202 - a subquery
    return select(Patient.id).where(Patient.status == PatientStatus.ACTIVE)


def _events_by_patient(
    session: Session, patient_ids, where=None  # noqa: ANN001
) -> dict[int, list[pathway.Event]]:
    """The course events of `patient_ids` (a subquery or a list), optionally only those
    matching `where`; plain column values, no ORM objects (enum columns read as their text)."""
    query = (
        select(
            CourseEvent.patient_id,
            Intervention.code,
            Intervention.name,
            type_coerce(CourseEvent.status, String),
            CourseEvent.planned_date,
            CourseEvent.start_date,
            CourseEvent.end_date,
            type_coerce(CourseEvent.finding, String),
            CourseEvent.recorded_at,
        )
        .join(Intervention, Intervention.id == CourseEvent.intervention_id)
        .where(CourseEvent.patient_id.in_(patient_ids))
    )
    if where is not None:
        query = query.where(where)
    events: dict[int, list[pathway.Event]] = defaultdict(list)
    event = pathway.Event
    for pid, *values in session.execute(query):
        events[pid].append(event(*values))
    return events


def _read_by_due_rules():  # noqa: ANN202 - a SQL condition
    """SQL for pathway.read_by_due_rules: the only events the due rules can look at."""
    return or_(
        Intervention.code.in_(sorted(pathway.DUE_RULE_CODES)), CourseEvent.finding.is_not(None)
    )


def _stage_ranks(session: Session, patient_ids) -> dict[int, int]:  # noqa: ANN001
    """Per patient the highest pathway.stage_rank of their events (none: no step reached),
    ranked in SQL so that the many finished steps are never loaded: a step's rank done, + 1
    while under way (pathway.stage_rank)."""
    step_rank = {code: pathway.stage_rank(code, pathway.DONE) for code in pathway.STEP_OF_CODE}
    under_way = {
        pathway.stage_rank(code, pathway.IN_PROGRESS) - rank for code, rank in step_rank.items()
    }
    assert under_way == {1}, "pathway.stage_rank: under way must rank one above done"
    rank = case(step_rank, value=Intervention.code) + case(
        (CourseEvent.status == CourseStatus.IN_PROGRESS, 1), else_=0
    )
    query = (
        select(CourseEvent.patient_id, func.max(rank))
        .join(Intervention, Intervention.id == CourseEvent.intervention_id)
        .where(
            CourseEvent.patient_id.in_(patient_ids),
            CourseEvent.status.in_([CourseStatus.DONE, CourseStatus.IN_PROGRESS]),
        )
        .group_by(CourseEvent.patient_id)
    )
    return {pid: rank for pid, rank in session.execute(query) if rank is not None}


def _open_concerns(session: Session, patient_ids) -> dict[int, list[pathway.Concern]]:  # noqa: ANN001
    query = (
        select(
            Concern.patient_id, Concern.raised_on, Concern.note, Staff.name, Concern.recorded_at
        )
        .join(Staff, Staff.id == Concern.raised_by_id)
        .where(Concern.patient_id.in_(patient_ids), Concern.resolved_on.is_(None))
    )
    concerns: dict[int, list[pathway.Concern]] = defaultdict(list)
    for pid, raised_on, note, by, recorded_at in session.execute(query):
        concerns[pid].append(pathway.Concern(raised_on, note, by, recorded_at))
    return concerns


@dataclass(frozen=True)
class _Presented:
    """The last presentation: its day, and the moment the case was concluded (None: unknown)."""

    day: dt.date
    at: dt.datetime | None


def _last_presented_query(patient_ids, before: dt.date):  # noqa: ANN001, ANN202 - a query
    """(patient id, day, concluded, ended): each patient's last discussion at a conference
    before `before` -- its day, when the referent recorded the case's conclusion (None: none
    recorded) and when the meeting was ended (None: never ended)."""
    last = (
        select(AgendaItem.patient_id, func.max(Conference.date).label("day"))
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            AgendaItem.patient_id.in_(patient_ids),
            AgendaItem.status == AgendaStatus.DISCUSSED,
            Conference.date < before,
        )
        .group_by(AgendaItem.patient_id)
        .subquery()
    )
    # One conference a day and one item per patient and conference: one row per patient.
    return (
        select(last.c.patient_id, last.c.day, Conclusion.recorded_at, Conference.ended_at)
        .select_from(last)
        .join(Conference, Conference.date == last.c.day)
        .join(
            AgendaItem,
            and_(
                AgendaItem.conference_id == Conference.id,
                AgendaItem.patient_id == last.c.patient_id,
            ),
        )
        .outerjoin(Conclusion, Conclusion.agenda_item_id == AgendaItem.id)
    )


def _last_presented(session: Session, patient_ids, before: dt.date) -> dict[int, _Presented]:  # noqa: ANN001
    """When each patient was last presented before `before`: the day, and as the moment the
    earlier of the conclusion's recorded_at and the meeting's end -- the case was concluded by
    then (a conclusion edited after the meeting, or a meeting ended late, does not move it on).
    Neither known: None, which pathway.due_window takes as the end of that day; it also never
    lets the moment pass the end of that day (a conclusion written up the day after)."""
    result = {}
    for pid, day, concluded, ended in session.execute(_last_presented_query(patient_ids, before)):
        known = [m for m in (concluded, ended) if m is not None]
        result[pid] = _Presented(day, min(known) if known else None)
    return result


def _course(
    active: bool,
    events: list[pathway.Event],
    concerns: list[pathway.Concern],
    presented: _Presented | None,
) -> pathway.PatientCourse:
    return pathway.PatientCourse(
        active=active,
        events=events,
        open_concerns=concerns,
        last_presented=presented.day if presented else None,
        last_presented_at=presented.at if presented else None,
    )


def _may_be_due(patient_ids, conference_date: dt.date):  # noqa: ANN001, ANN202 - a subquery
    """The patients among `patient_ids` (active ones) the course events can make due at
    `conference_date`: those with an event of pathway.due_triggers new in the rules' window
    (pathway.Window). Of everybody else, only an open concern can make them due, and the rules
    need no events for that (pathway.due_triggers), so events are loaded for these patients
    only.

    A superset of the patients the events make due: an event dated on the day the patient was
    last presented is taken when it has a recorded_at at all; whether that is after the case
    was concluded is left to pathway.due_window (its moment may fall back to the end of the
    day on the Danish clock, which portable SQL cannot say). Such events are few."""
    done = CourseEvent.status == CourseStatus.DONE
    slow = aliased(CourseEvent)
    # 4.2.2: a CFT slow responder, recorded on whichever intervention (pathway._slow_responder).
    slow_responders = select(slow.patient_id).where(
        slow.finding == Finding.CFT_SLOW_RESPONDER,
        slow.status == CourseStatus.DONE,
    )
    day = func.coalesce(CourseEvent.end_date, CourseEvent.start_date, CourseEvent.planned_date)
    # Not new (pathway.Window): presented (before the conference prepared) on a later day, or
    # on the event's day with the event not known to be recorded after it.
    presented_since = (
        select(AgendaItem.id)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            AgendaItem.patient_id == CourseEvent.patient_id,
            AgendaItem.status == AgendaStatus.DISCUSSED,
            Conference.date < conference_date,
            or_(
                Conference.date > day,
                and_(Conference.date == day, CourseEvent.recorded_at.is_(None)),
            ),
        )
        .exists()
    )
    return (
        select(CourseEvent.patient_id)
        .join(Intervention, Intervention.id == CourseEvent.intervention_id)
        .where(
            CourseEvent.patient_id.in_(patient_ids),
            or_(
                # 3.9: Anden opfølgning done
                and_(Intervention.code == "anden_opfoelgning", done),
                # 3.5, 4.1.1, 4.3.1, 4.3.2: a finding, on whichever intervention
                CourseEvent.finding.is_not(None),
                # 4.2.2: a slow responder's Afspænding/Mindfulness done or dropped out
                and_(
                    Intervention.code.in_(sorted(pathway.STRESS_REDUCTION)),
                    CourseEvent.status.in_(sorted(pathway.STRESS_ENDED)),
                    CourseEvent.patient_id.in_(slow_responders),
                ),
            ),
            day <= conference_date,
            ~presented_since,
        )
    )


def _on_agenda(session: Session, patient_ids, day: dt.date) -> set[int]:  # noqa: ANN001
    query = (
        select(AgendaItem.patient_id)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            Conference.date == day,
            AgendaItem.patient_id.in_(patient_ids),
            AgendaItem.status.not_in([AgendaStatus.REMOVED, AgendaStatus.POSTPONED]),
        )
    )
    return set(session.scalars(query))


def courses(
    session: Session, patient_ids, conference_date: dt.date  # noqa: ANN001
) -> dict[int, pathway.PatientCourse]:
    """The pathway facts of every patient in `patient_ids` (a subquery or a list)."""
    events = _events_by_patient(session, patient_ids)
    concerns = _open_concerns(session, patient_ids)
    last = _last_presented(session, patient_ids, conference_date)
    active = set(
        session.scalars(
            select(Patient.id).where(
                Patient.id.in_(patient_ids), Patient.status == PatientStatus.ACTIVE
            )
        )
    )
    ids = active | set(events) | set(concerns)
    return {
        pid: _course(pid in active, events.get(pid, []), concerns.get(pid, []), last.get(pid))
        for pid in ids
    }


def due_courses(session: Session, conference_date: dt.date) -> dict[int, pathway.PatientCourse]:
    """What the due rules need to decide which active patients are due at `conference_date`:
    the courses of those with an open concern and of those the events may make due
    (_may_be_due), with only the events the rules read (pathway.read_by_due_rules), and those
    only for the latter. `pathway.due_reasons` gives the same answer on these as on the full
    courses, and none for every active patient left out."""
    active = _active_patient_ids()
    events = _events_by_patient(
        session, _may_be_due(active, conference_date), _read_by_due_rules()
    )
    concerns = _open_concerns(session, active)
    last = _last_presented(session, active, conference_date)
    return {
        pid: _course(True, events.get(pid, []), concerns.get(pid, []), last.get(pid))
        for pid in set(events) | set(concerns)
    }


def list_patients(session: Session, today: dt.date) -> PatientList:
    """Every active patient with stage, staff, next step and whether due at the next conference.

    Only what the list shows is read: the patients' columns (no ORM objects), the stage ranked
    in SQL, and of the course events only the planned ones (the next step) and, of the patients
    who may be due (_may_be_due), those the due rules read -- not the whole course history."""
    conference_date = next_conference_date(session, today)
    ids = _active_patient_ids()
    pal = aliased(Staff)
    nurse = aliased(Staff)
    patients = session.execute(
        select(
            Patient.id,
            Patient.first_name,
            Patient.last_name,
            Patient.cpr,
            Patient.birth_date,
            type_coerce(Patient.sex, String),
            pal.name,
            nurse.name,
            Microteam.name,
        )
        .outerjoin(pal, pal.id == Patient.pal_laege_id)
        .outerjoin(nurse, nurse.id == Patient.kontaktsygeplejerske_id)
        .outerjoin(Microteam, Microteam.id == Patient.microteam_id)
        .where(Patient.status == PatientStatus.ACTIVE)
        .order_by(Patient.last_name, Patient.first_name, Patient.id)  # same names: a fixed order
    ).all()
    # The planned events (the next step), and what the due rules read of those who may be due.
    events = _events_by_patient(
        session,
        ids,
        or_(
            CourseEvent.status == CourseStatus.PLANNED,
            and_(
                _read_by_due_rules(),
                CourseEvent.patient_id.in_(_may_be_due(ids, conference_date)),
            ),
        ),
    )
    ranks = _stage_ranks(session, ids)
    concerns = _open_concerns(session, ids)
    last = _last_presented(session, ids, conference_date)
    agenda = _on_agenda(session, ids, conference_date)
    rows = []
    for pid, first, last_name, cpr, birth_date, sex, pal_name, nurse_name, team in patients:
        course = _course(True, events.get(pid, []), concerns.get(pid, []), last.get(pid))
        upcoming = pathway.next_step(course.events, today)
        rows.append(
            PatientRow(
                id=pid,
                name=f"{first} {last_name}",
                cpr=format_cpr(cpr),
                age=age_on(birth_date, today),
                sex=sex,
                microteam=team or "",
                pal_laege=pal_name or "",
                kontaktsygeplejerske=nurse_name or "",
                stage=pathway.stage_of_rank(ranks.get(pid)),
                next_step=upcoming.name if upcoming else "",
                next_step_date=upcoming.planned_date if upcoming else None,
                due=tuple(pathway.due_reasons(course, conference_date)),
                on_agenda=pid in agenda,
            )
        )
    return PatientList(conference_date, rows)


def search_patients(session: Session, text: str, limit: int = 20) -> list[tuple[int, str]]:
    """Active patients matching every word of `text` (in a name, or digits in the CPR number),
    as (id, "Fornavn Efternavn (ddmmyy-xxxx)"), by name; at most `limit`. For pickers: one
    statement, as many rows as are shown, whatever the centre's size."""
    conditions = []
    for word in text.split():
        digits = "".join(c for c in word if c.isdigit())
        if digits and len(digits) == len(word.replace("-", "")):
            conditions.append(Patient.cpr.contains(digits, autoescape=True))
        else:
            conditions.append(or_(Patient.first_name.icontains(word, autoescape=True),
                                  Patient.last_name.icontains(word, autoescape=True)))
    if not conditions:
        return []
    rows = session.execute(
        select(Patient.id, Patient.first_name, Patient.last_name, Patient.cpr)
        .where(Patient.status == PatientStatus.ACTIVE, *conditions)
        .order_by(Patient.last_name, Patient.first_name, Patient.id)
        .limit(limit)
    ).all()
    return [(pid, f"{first} {last} ({format_cpr(cpr)})") for pid, first, last, cpr in rows]


# --------------------------------------------------------------------------- one patient


@dataclass(frozen=True)
class SessionAttendance:
    number: int
    date: dt.date
    label: str | None
    status: str | None  # AttendanceStatus value; None = not recorded (or in the future)


@dataclass(frozen=True)
class TimelineEntry:
    code: str
    name: str
    status: str
    planned_date: dt.date | None
    start_date: dt.date | None
    end_date: dt.date | None
    group_name: str | None
    staff_name: str | None
    finding: str | None
    note: str | None
    sessions: tuple[SessionAttendance, ...] = ()
    handover_note: str | None = None

    @property
    def date(self) -> dt.date | None:
        return self.start_date or self.planned_date or self.end_date

    def missed(self) -> list[SessionAttendance]:
        return [
            s for s in self.sessions
            if s.status in (AttendanceStatus.NO_SHOW.value, AttendanceStatus.CANCELLED.value)
        ]


@dataclass(frozen=True)
class ProPoint:
    timepoint: str
    answered_on: dt.date
    scores: dict[str, float | None]
    items: dict[str, list | None]


@dataclass(frozen=True)
class ConferenceEntry:
    conference_date: dt.date
    reason: str
    status: str
    list: str
    decision: str | None
    decision_text: str | None


@dataclass(frozen=True)
class ActionEntry:
    id: int
    description: str
    owner: str
    due_date: dt.date | None
    status: str


@dataclass
class PatientDetail:
    id: int
    name: str
    cpr: str
    age: int
    sex: str
    birth_date: dt.date
    referral_date: dt.date
    status: str
    discharged_on: dt.date | None
    diagnosis: str | None
    pain_duration_years: float | None
    pain_distribution: str | None
    work_situation: str | None
    microteam: str
    team_members: list[tuple[str, str, str]]  # (function, name, profession)
    pal_laege: str
    kontaktsygeplejerske: str
    stage: pathway.Stage
    next_step: TimelineEntry | None
    conference_date: dt.date
    due: list[pathway.DueReason]
    timeline: list[TimelineEntry]
    pro: list[ProPoint]
    conferences: list[ConferenceEntry]
    open_actions: list[ActionEntry]
    open_concerns: list[pathway.Concern] = field(default_factory=list)


def _attendance(session: Session, patient_id: int) -> dict[int, tuple[list, str | None]]:
    """Per group: every session with this patient's attendance, and the handover note."""
    rows = session.execute(
        select(
            Enrolment.id,
            Enrolment.group_id,
            Enrolment.handover_note,
            GroupSession.id,
            GroupSession.number,
            GroupSession.date,
            GroupSession.label,
        )
        .join(GroupSession, GroupSession.group_id == Enrolment.group_id)
        .where(Enrolment.patient_id == patient_id)
        .order_by(GroupSession.number)
    ).all()
    statuses = dict(
        session.execute(
            select(Attendance.session_id, Attendance.status)
            .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
            .where(Enrolment.patient_id == patient_id)
        ).all()
    )
    per_group: dict[int, tuple[list, str | None]] = {}
    for _enrolment_id, group_id, note, session_id, number, day, label in rows:
        sessions, _ = per_group.setdefault(group_id, ([], note))
        status = statuses.get(session_id)
        sessions.append(SessionAttendance(number, day, label, status.value if status else None))
    return per_group


def patient_detail(session: Session, patient_id: int, today: dt.date) -> PatientDetail:
    pal = aliased(Staff)
    nurse = aliased(Staff)
    found = session.execute(
        select(Patient, pal.name, nurse.name, Microteam.name)
        .outerjoin(pal, pal.id == Patient.pal_laege_id)
        .outerjoin(nurse, nurse.id == Patient.kontaktsygeplejerske_id)
        .outerjoin(Microteam, Microteam.id == Patient.microteam_id)
        .where(Patient.id == patient_id)
    ).one_or_none()
    if found is None:
        raise NotFound("Patienten findes ikke.")
    patient, pal_name, nurse_name, team_name = found
    conference_date = next_conference_date(session, today)
    course = courses(session, [patient_id], conference_date).get(
        patient_id, pathway.PatientCourse(active=patient.status == PatientStatus.ACTIVE)
    )
    attendance = _attendance(session, patient_id)
    staff = aliased(Staff)
    event_rows = session.execute(
        select(CourseEvent, Intervention.code, Intervention.name, TherapyGroup.name, staff.name)
        .join(Intervention, Intervention.id == CourseEvent.intervention_id)
        .outerjoin(TherapyGroup, TherapyGroup.id == CourseEvent.group_id)
        .outerjoin(staff, staff.id == CourseEvent.staff_id)
        .where(CourseEvent.patient_id == patient_id)
    ).all()
    timeline = []
    for event, code, name, group_name, staff_name in event_rows:
        sessions, handover = attendance.get(event.group_id, ((), None))
        timeline.append(
            TimelineEntry(
                code=code,
                name=name,
                status=event.status.value,
                planned_date=event.planned_date,
                start_date=event.start_date,
                end_date=event.end_date,
                group_name=group_name,
                staff_name=staff_name,
                finding=event.finding.value if event.finding else None,
                note=event.note,
                sessions=tuple(sessions),
                handover_note=handover,
            )
        )
    timeline.sort(key=lambda e: (e.date or dt.date.max, e.code))
    planned = [e for e in timeline if e.status == pathway.PLANNED]
    members = session.execute(
        select(MicroteamMember.function, Staff.name, Staff.profession)
        .join(Staff, Staff.id == MicroteamMember.staff_id)
        .where(MicroteamMember.microteam_id == patient.microteam_id)
        .order_by(MicroteamMember.function, Staff.name)
    ).all()
    return PatientDetail(
        id=patient.id,
        name=patient.full_name,
        cpr=format_cpr(patient.cpr),
        age=age_on(patient.birth_date, today),
        sex=patient.sex.value,
        birth_date=patient.birth_date,
        referral_date=patient.referral_date,
        status=patient.status.value,
        discharged_on=patient.discharged_on,
        diagnosis=patient.diagnosis,
        pain_duration_years=patient.pain_duration_years,
        pain_distribution=patient.pain_distribution,
        work_situation=patient.work_situation.value if patient.work_situation else None,
        microteam=team_name or "",
        team_members=[(f.value, n, p.value) for f, n, p in members],
        pal_laege=pal_name or "",
        kontaktsygeplejerske=nurse_name or "",
        stage=pathway.stage(course),
        next_step=min(planned, key=lambda e: e.planned_date or dt.date.max) if planned else None,
        conference_date=conference_date,
        due=pathway.due_reasons(course, conference_date),
        timeline=timeline,
        pro=pro_points(session, patient_id),
        conferences=_conference_history(session, patient_id),
        open_actions=_open_actions(session, patient_id),
        open_concerns=list(course.open_concerns),
    )


def pro_points(session: Session, patient_id: int) -> list[ProPoint]:
    rows = session.execute(
        select(
            ProResponse.id,
            ProResponse.timepoint,
            ProResponse.answered_on,
            ProScore.instrument,
            ProScore.score,
            ProScore.items,
        )
        .join(ProScore, ProScore.response_id == ProResponse.id)
        .where(ProResponse.patient_id == patient_id)
        .order_by(ProResponse.answered_on)
    ).all()
    points: dict[int, ProPoint] = {}
    for rid, timepoint, answered_on, instrument, score, items in rows:
        point = points.setdefault(rid, ProPoint(timepoint.value, answered_on, {}, {}))
        point.scores[instrument] = score
        point.items[instrument] = items
    return list(points.values())


def _conference_history(session: Session, patient_id: int) -> list[ConferenceEntry]:
    rows = session.execute(
        select(
            Conference.date,
            AgendaItem.reason,
            AgendaItem.status,
            AgendaItem.list,
            Conclusion.decision,
            Conclusion.decision_text,
        )
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .outerjoin(Conclusion, Conclusion.agenda_item_id == AgendaItem.id)
        .where(AgendaItem.patient_id == patient_id)
        .order_by(Conference.date.desc())
    ).all()
    return [
        ConferenceEntry(day, reason, status.value, lst.value, decision, text)
        for day, reason, status, lst, decision, text in rows
    ]


def _open_actions(session: Session, patient_id: int) -> list[ActionEntry]:
    owner = aliased(Staff)
    rows = session.execute(
        select(
            ActionItem.id,
            ActionItem.description,
            owner.name,
            ActionItem.owner_role,
            ActionItem.due_date,
            ActionItem.status,
        )
        .outerjoin(owner, owner.id == ActionItem.owner_id)
        .where(
            ActionItem.patient_id == patient_id,
            ActionItem.status.in_([ActionStatus.OPEN, ActionStatus.BOOKED]),
        )
        .order_by(ActionItem.due_date)
    ).all()
    return [
        ActionEntry(aid, text, name or role or "", due, status.value)
        for aid, text, name, role, due, status in rows
    ]


def raise_concern(
    session: Session, actor: Staff, patient_id: int, note: str, today: dt.date
) -> Concern:
    """A staff member raises a problem or uncertainty: the patient becomes due (3.10)."""
    authorize(session, actor, Action.RAISE_CONCERN, patient_id=patient_id)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Skriv kort, hvad problemstillingen er.")
    if len(note) > CONCERN_MAX_LENGTH:
        raise InvalidInput(f"Teksten er for lang (højst {CONCERN_MAX_LENGTH} tegn).")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("Patienten findes ikke.")
    if patient.status != PatientStatus.ACTIVE:
        raise InvalidInput("Patientens forløb er afsluttet; problemstillingen kan ikke rejses.")
    concern = Concern(patient_id=patient_id, raised_by_id=actor.id, raised_on=today, note=note)
    session.add(concern)
    audit.record(session, actor, "create", concern)
    return concern
