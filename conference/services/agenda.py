"""The conference board: the agenda of one conference, its speaking order, timer and attendance.

Reads are set-based (a fixed number of statements per board, whatever the number of cases).
Writes take the acting staff member and leave an audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from conference import agenda as rules
from conference.permissions import Action
from conference.services import audit
from conference.services.access import authorize
from conference.services.actions import OpenAction, open_actions_for_patients
from conference.services.errors import InvalidInput, NotFound
from conference.services.locks import lock_conference, serialization_failure, write_lock
from conference.services.patients import due_courses
from conference.services.settings import conference_weekday, get_setting
from db.models import (
    AgendaItem,
    AgendaList,
    AgendaSource,
    AgendaStatus,
    CasePresentation,
    Conclusion,
    Conference,
    ConferenceAttendance,
    ConferenceStatus,
    Microteam,
    Patient,
    PatientStatus,
    Staff,
    utcnow,
)

REASON_MAX = 2000
DEFAULT_START = dt.time(9, 0)
DEFAULT_MINUTES = 150
OPEN_STATUSES = (AgendaStatus.PLANNED,)
CARRY_STATUSES = (AgendaStatus.NOT_REACHED, AgendaStatus.POSTPONED)
PHASES = ("hold", "patient", "faglig")


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class CaseEntry:
    item_id: int
    patient_id: int
    first_name: str
    last_name: str
    cpr: str
    microteam: str
    pal_laege: str
    kontaktsygeplejerske: str
    list: str
    source: str
    reason: str
    reason_text: str | None
    question: str | None
    status: str
    status_reason: str | None
    position: int
    ready: bool
    ready_at: dt.datetime | None
    budget_seconds: int | None
    started_at: dt.datetime | None
    seconds_used: int | None
    version: int
    open_actions: tuple[OpenAction, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def carried_over(self) -> bool:
        return self.source == AgendaSource.CARRIED_OVER.value

    @property
    def active(self) -> bool:
        return self.status == AgendaStatus.PLANNED.value or self.status == "droeftet"


@dataclass
class Board:
    conference_id: int
    date: dt.date
    starts_at: dt.time
    duration_minutes: int
    status: str
    phase: str | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    signed_off: bool
    current_item_id: int | None
    leader: str
    referent: str
    development_topic: str | None
    staff_exercise: str | None
    version: int
    cases: list[CaseEntry] = field(default_factory=list)
    present_staff: set[int] = field(default_factory=set)

    def listed(self, which: str) -> list[CaseEntry]:
        """Cases on one list ('droeftelse' / 'orientering') in speaking order, not set aside."""
        return [
            c for c in self.cases
            if c.list == which and c.status not in ("udsat", "fjernet")
        ]

    @property
    def discussion(self) -> list[CaseEntry]:
        return self.listed(AgendaList.DISCUSSION.value)

    @property
    def information(self) -> list[CaseEntry]:
        return self.listed(AgendaList.INFORMATION.value)

    @property
    def set_aside(self) -> list[CaseEntry]:
        return [c for c in self.cases if c.status in ("udsat", "fjernet")]

    @property
    def current(self) -> CaseEntry | None:
        return next((c for c in self.cases if c.item_id == self.current_item_id), None)

    @property
    def unready(self) -> list[CaseEntry]:
        return [c for c in self.discussion if not c.ready]


def find_conference(session: Session, day: dt.date) -> Conference | None:
    return session.scalar(select(Conference).where(Conference.date == day))


def upcoming_conferences(session: Session, today: dt.date, limit: int = 6) -> list[Conference]:
    return list(
        session.scalars(
            select(Conference)
            .where(Conference.date >= today)
            .order_by(Conference.date)
            .limit(limit)
        )
    )


def recent_conferences(session: Session, today: dt.date, limit: int = 12) -> list[Conference]:
    return list(
        session.scalars(
            select(Conference).where(Conference.date < today)
            .order_by(Conference.date.desc()).limit(limit)
        )
    )


def next_conference_day(session: Session, today: dt.date) -> dt.date:
    """The first conference day on or after today (by the centre's weekday setting)."""
    days = (conference_weekday(session) - today.weekday()) % 7
    return today + dt.timedelta(days=days)


def board(session: Session, conference_id: int) -> Board:
    conference = session.get(Conference, conference_id)
    if conference is None:
        raise NotFound("Konferencen findes ikke.")
    leader = session.get(Staff, conference.leader_id) if conference.leader_id else None
    referent = session.get(Staff, conference.referent_id) if conference.referent_id else None
    pal = aliased(Staff)
    nurse = aliased(Staff)
    rows = session.execute(
        select(
            AgendaItem,
            Patient.first_name,
            Patient.last_name,
            Patient.cpr,
            Microteam.name,
            pal.name,
            nurse.name,
            CasePresentation.ready_at,
        )
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .outerjoin(Microteam, Microteam.id == Patient.microteam_id)
        .outerjoin(pal, pal.id == Patient.pal_laege_id)
        .outerjoin(nurse, nurse.id == Patient.kontaktsygeplejerske_id)
        .outerjoin(CasePresentation, CasePresentation.agenda_item_id == AgendaItem.id)
        .where(AgendaItem.conference_id == conference_id)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    actions = open_actions_for_patients(
        session, [r[0].patient_id for r in rows], before=conference.date
    )
    cases = [
        CaseEntry(
            item_id=item.id,
            patient_id=item.patient_id,
            first_name=first,
            last_name=last,
            cpr=cpr,
            microteam=team or "",
            pal_laege=pal_name or "",
            kontaktsygeplejerske=nurse_name or "",
            list=item.list.value,
            source=item.source.value,
            reason=item.reason,
            reason_text=item.reason_text,
            question=item.question,
            status=item.status.value,
            status_reason=item.status_reason,
            position=item.position,
            ready=ready_at is not None,
            ready_at=ready_at,
            budget_seconds=item.time_budget_seconds,
            started_at=item.started_at,
            seconds_used=item.seconds_used,
            version=item.version,
            open_actions=tuple(actions.get(item.patient_id, ())),
        )
        for item, first, last, cpr, team, pal_name, nurse_name, ready_at in rows
    ]
    present = set(
        session.scalars(
            select(ConferenceAttendance.staff_id).where(
                ConferenceAttendance.conference_id == conference_id
            )
        )
    )
    return Board(
        conference_id=conference.id,
        date=conference.date,
        starts_at=conference.starts_at,
        duration_minutes=conference.duration_minutes,
        status=conference.status.value,
        phase=conference.phase,
        started_at=conference.started_at,
        ended_at=conference.ended_at,
        signed_off=conference.signed_off_at is not None,
        current_item_id=conference.current_item_id,
        leader=leader.name if leader else "",
        referent=referent.name if referent else "",
        development_topic=conference.development_topic,
        staff_exercise=conference.staff_exercise,
        version=conference.version,
        cases=cases,
        present_staff=present,
    )


def pending_proposals(
    session: Session, conference_id: int, today: dt.date
) -> list[rules.Proposal]:
    """Carried-over cases and patients due by the rules who are not yet on this agenda. `today`
    decides which earlier meetings count as over though never closed (passed in, never read
    from the clock here)."""
    conference = _conference(session, conference_id)
    on = set(
        session.scalars(
            select(AgendaItem.patient_id).where(AgendaItem.conference_id == conference_id)
        )
    )
    carried = rules.carry_over(
        _unfinished(session, conference.date, today), on
    )
    due = rules.proposals(
        due_courses(session, conference.date), conference.date,
        on | {p.patient_id for p in carried},
    )
    return carried + due


def _unfinished(session: Session, before: dt.date, today: dt.date) -> list[rules.Unfinished]:
    """Cases on earlier conferences left not reached or postponed, and cases still planned on
    a conference whose day has passed (a meeting that was never closed)."""
    later = aliased(AgendaItem)
    rows = session.execute(
        select(
            AgendaItem.id, AgendaItem.patient_id, AgendaItem.reason, AgendaItem.reason_text,
            AgendaItem.list == AgendaList.DISCUSSION,
        )
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .outerjoin(later, later.carried_from_id == AgendaItem.id)
        .where(
            Conference.date < before,
            or_(
                AgendaItem.status.in_(CARRY_STATUSES),
                and_(AgendaItem.status == AgendaStatus.PLANNED, Conference.date < today),
            ),
            Patient.status == PatientStatus.ACTIVE,
            later.id.is_(None),
            AgendaItem.id.not_in(
                select(Conclusion.agenda_item_id).where(Conclusion.decision != "")
            ),
        )
        .order_by(Conference.date, AgendaItem.position)
    ).all()
    return [rules.Unfinished(*row) for row in rows]


# --------------------------------------------------------------------------- writing


def _conference(session: Session, conference_id: int) -> Conference:
    conference = session.get(Conference, conference_id)
    if conference is None:
        raise NotFound("Konferencen findes ikke.")
    return conference


def _open_conference(session: Session, conference_id: int) -> Conference:
    conference = _conference(session, conference_id)
    if conference.signed_off_at is not None:
        raise InvalidInput("Konferencen er afsluttet og underskrevet; dagsordenen kan ikke ændres.")
    return conference


def _item(session: Session, item_id: int, version: int | None = None) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("Sagen findes ikke på dagsordenen.")
    _open_conference(session, item.conference_id)
    if version is not None and item.version != version:
        raise InvalidInput(
            "Sagen er netop ændret af en anden. Tavlen er opdateret; prøv igen."
        )
    return item


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as error:
        raise InvalidInput(
            "Sagen er netop ændret af en anden. Tavlen er opdateret; prøv igen."
        ) from error


def ensure_conference(session: Session, actor: Staff, day: dt.date) -> Conference:
    """The conference on `day`, created with the centre's start time and length if missing."""
    authorize(session, actor, Action.PROPOSE_CASE, any_scope=True)
    existing = find_conference(session, day)
    if existing:
        return existing
    start = get_setting(session, "conference_start", DEFAULT_START.isoformat())
    minutes = int(get_setting(session, "conference_minutes", str(DEFAULT_MINUTES)) or 150)
    conference = Conference(
        date=day,
        starts_at=dt.time.fromisoformat(start or DEFAULT_START.isoformat()),
        duration_minutes=minutes,
        status=ConferenceStatus.PLANNED,
    )
    session.add(conference)
    audit.record(session, actor, "create", conference)
    return conference


def _next_position(session: Session, conference_id: int) -> int:
    top = session.scalar(
        select(func.max(AgendaItem.position)).where(AgendaItem.conference_id == conference_id)
    )
    return (top or 0) + 1


def add_proposal(
    session: Session, actor: Staff, conference_id: int, proposal: rules.Proposal, position: int,
    question: str | None = None,
) -> AgendaItem:
    """One proposal of the due rules on the agenda at `position` (audited). The caller has
    checked the role and that the conference is open."""
    item = AgendaItem(
        conference_id=conference_id,
        patient_id=proposal.patient_id,
        list=AgendaList.DISCUSSION if proposal.for_discussion else AgendaList.INFORMATION,
        source=AgendaSource.CARRIED_OVER if proposal.carried_from_id else AgendaSource.DUE_RULE,
        reason=proposal.reason,
        reason_text=proposal.reason_text,
        question=question,
        position=position,
        carried_from_id=proposal.carried_from_id,
        added_by_id=actor.id,
    )
    session.add(item)
    audit.record(session, actor, "create", item)
    return item


def add_proposals(session: Session, actor: Staff, conference_id: int, today: dt.date) -> int:
    """Put carried-over and due patients on the agenda; returns how many were added."""
    authorize(session, actor, Action.MANAGE_AGENDA)
    _open_conference(session, conference_id)
    found = pending_proposals(session, conference_id, today)
    position = _next_position(session, conference_id)
    for offset, proposal in enumerate(found):
        add_proposal(session, actor, conference_id, proposal, position + offset)
    return len(found)


def add_case(
    session: Session,
    actor: Staff,
    conference_id: int,
    patient_id: int,
    reason_text: str,
    question: str = "",
    which: AgendaList = AgendaList.DISCUSSION,
) -> AgendaItem:
    """A patient put on the agenda by hand, with the reason (required) and a question."""
    authorize(session, actor, Action.PROPOSE_CASE, patient_id=patient_id)
    reason_text = (reason_text or "").strip()
    if not reason_text:
        raise InvalidInput("Skriv, hvorfor patienten skal på konferencen.")
    if len(reason_text) > REASON_MAX or len(question or "") > REASON_MAX:
        raise InvalidInput(f"Teksten er for lang (højst {REASON_MAX} tegn).")
    _open_conference(session, conference_id)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("Patienten findes ikke.")
    if patient.status != PatientStatus.ACTIVE:
        raise InvalidInput("Patientens forløb er afsluttet.")
    exists = session.scalar(
        select(AgendaItem.id).where(
            AgendaItem.conference_id == conference_id, AgendaItem.patient_id == patient_id
        )
    )
    if exists:
        raise InvalidInput(f"{patient.full_name} er allerede på dagsordenen.")
    item = AgendaItem(
        conference_id=conference_id,
        patient_id=patient_id,
        list=which,
        source=AgendaSource.MANUAL,
        reason="manuel",
        reason_text=reason_text,
        question=(question or "").strip() or None,
        position=_next_position(session, conference_id),
        added_by_id=actor.id,
    )
    session.add(item)
    audit.record(session, actor, "create", item)
    return item


def _change(session: Session, actor: Staff, item: AgendaItem, **values: object) -> AgendaItem:
    before = audit.snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    _flush(session)
    audit.record(session, actor, "update", item, before=before)
    return item


def set_list(
    session: Session, actor: Staff, item_id: int, which: AgendaList, version: int | None = None
) -> AgendaItem:
    authorize(session, actor, Action.MANAGE_AGENDA)
    return _change(session, actor, _item(session, item_id, version), list=which)


def set_aside(
    session: Session,
    actor: Staff,
    item_id: int,
    status: AgendaStatus,
    reason: str,
    version: int | None = None,
) -> AgendaItem:
    """Postpone (to the next conference) or remove a case; the reason is required."""
    authorize(session, actor, Action.MANAGE_AGENDA)
    if status not in (AgendaStatus.POSTPONED, AgendaStatus.REMOVED):
        raise InvalidInput("Ukendt handling.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Skriv en begrundelse.")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Begrundelsen er for lang (højst {REASON_MAX} tegn).")
    item = _item(session, item_id, version)
    conference = session.get(Conference, item.conference_id)
    values: dict[str, object] = {"status": status, "status_reason": reason}
    if conference and conference.current_item_id == item.id:
        stop_clock(item, utcnow())
        conference.current_item_id = None
    return _change(session, actor, item, **values)


def restore(session: Session, actor: Staff, item_id: int) -> AgendaItem:
    authorize(session, actor, Action.MANAGE_AGENDA)
    return _change(
        session, actor, _item(session, item_id), status=AgendaStatus.PLANNED, status_reason=None
    )


ATTEMPTS = 3  # a write PostgreSQL gave up for a concurrent one, tried again
MOVE_REFUSED = (
    "Talerækken er netop ændret af en anden, så sagen er ikke flyttet. Tavlen viser nu "
    "rækkefølgen, som den er; flyt sagen igen, hvis den stadig skal flyttes."
)


def _passed(order: Sequence[int], item_id: int, steps: int) -> tuple[int, ...]:
    """The cases `item_id` passes when it moves `steps` places in `order` (nearest first)."""
    index = list(order).index(item_id)
    target = min(max(index + steps, 0), len(order) - 1)
    if target < index:
        return tuple(reversed(order[target:index]))
    return tuple(order[index + 1:target + 1])


def reorder(
    session: Session, actor: Staff, item_id: int, steps: int, seen: Sequence[int] | None = None
) -> bool:
    """Move a case `steps` places in the speaking order of its list, as the order is stored now;
    returns whether the order changed.

    `seen` is the order on the screen the click came from (the list's case ids): the move is
    the one shown there, the case passing the same neighbours. Others' moves elsewhere in the
    list do not matter. When the case has passed them already (the same click delivered twice,
    or someone made the same move a moment before) nothing more is moved; when its neighbours
    are others now, the move is refused with a message and nothing is moved. The order is read
    inside the transaction (on SQLite under the write lock); on PostgreSQL a case changed by
    someone between that read and the write fails the version check, and the move is computed
    again (no lock on the conference: a step to the next case, which changes two cases and then
    the conference, would meet it the other way round)."""
    authorize(session, actor, Action.MANAGE_AGENDA)
    write_lock(session)
    for _attempt in range(ATTEMPTS):
        try:
            with session.begin_nested():
                return _move(session, actor, item_id, steps, seen)
        except StaleDataError:
            continue  # a case of the list changed since it was read: read the order again
        except DBAPIError as error:
            if not serialization_failure(error):
                raise
    raise InvalidInput("Talerækken bliver ændret af flere på samme tid. Prøv igen om et øjeblik.")


def _move(
    session: Session, actor: Staff, item_id: int, steps: int, seen: Sequence[int] | None
) -> bool:
    item = _item(session, item_id)
    session.refresh(item)  # its list as stored now
    siblings = list(
        session.scalars(
            select(AgendaItem)
            .where(AgendaItem.conference_id == item.conference_id, AgendaItem.list == item.list)
            .order_by(AgendaItem.position, AgendaItem.id)
            .execution_options(populate_existing=True)
        )
    )
    shown = [s.id for s in siblings if s.status not in (AgendaStatus.POSTPONED,
                                                       AgendaStatus.REMOVED)]
    if item_id not in shown:
        raise InvalidInput(
            "Sagen er ikke længere i talerækken (en anden har flyttet den eller sat den af "
            "dagsordenen). Tavlen er opdateret."
        )
    if seen is not None:
        wanted = _passed(seen, item_id, steps) if item_id in seen else None
        if wanted is None:
            raise InvalidInput(MOVE_REFUSED)
        if _passed(shown, item_id, steps) != wanted:
            after = {sid: i for i, sid in enumerate(shown)}
            here = after[item_id]
            done = all(
                sid in after and (after[sid] > here if steps < 0 else after[sid] < here)
                for sid in wanted
            )
            if done:
                return False  # moved already: one click is one move
            raise InvalidInput(MOVE_REFUSED)
    moved = rules.move(shown, item_id, steps)
    if moved == shown:
        return False
    by_id = {s.id: s for s in siblings}
    slots = [by_id[sid].position for sid in shown]
    if len(set(slots)) == len(slots):  # the case and those it passes swap places, no one else
        wanted = dict(zip(moved, slots, strict=True))
    else:  # places shared: the list numbered anew (the cases set aside keep their places)
        listed, placed = set(shown), iter(moved)
        order = [next(placed) if s.id in listed else s.id for s in siblings]
        wanted = {sid: position for position, sid in enumerate(order, start=1)}
    before = {}
    for sid, position in wanted.items():
        row = by_id[sid]
        if row.position != position:
            before[sid] = audit.snapshot(row)
            row.position = position
    session.flush()  # one UPDATE per row, in key order; a row changed meanwhile: StaleDataError
    for sid, snapshot in before.items():
        audit.record(session, actor, "update", by_id[sid], before=snapshot)
    return True


def set_budget(session: Session, actor: Staff, item_id: int, minutes: int | None) -> AgendaItem:
    authorize(session, actor, Action.MANAGE_AGENDA)
    if minutes is not None and not 1 <= minutes <= 120:
        raise InvalidInput("Tid pr. sag skal være mellem 1 og 120 minutter.")
    return _change(
        session, actor, _item(session, item_id),
        time_budget_seconds=minutes * 60 if minutes else None,
    )


def stop_clock(item: AgendaItem, now: dt.datetime) -> None:
    if item.started_at is not None:
        item.seconds_used = rules.case_clock(now, item.started_at, item.seconds_used, None).elapsed
        item.started_at = None


def _update_conference(session: Session, actor: Staff, conference: Conference, **values) -> None:
    before = audit.snapshot(conference)
    for key, value in values.items():
        setattr(conference, key, value)
    _flush(session)
    audit.record(session, actor, "update", conference, before=before)


def start_meeting(session: Session, actor: Staff, conference_id: int) -> None:
    authorize(session, actor, Action.MANAGE_AGENDA)
    conference = _open_conference(session, conference_id)
    if conference.started_at is None:
        _update_conference(
            session, actor, conference,
            status=ConferenceStatus.RUNNING, started_at=utcnow(), phase="hold",
            leader_id=conference.leader_id or actor.id,
        )


def set_phase(session: Session, actor: Staff, conference_id: int, phase: str) -> None:
    authorize(session, actor, Action.MANAGE_AGENDA)
    if phase not in PHASES:
        raise InvalidInput("Ukendt del af konferencen.")
    conference = _open_conference(session, conference_id)
    if conference.started_at is None:
        start_meeting(session, actor, conference_id)
    now = utcnow()
    values: dict[str, object] = {"phase": phase}
    if phase != "patient" and conference.current_item_id:
        current = session.get(AgendaItem, conference.current_item_id)
        if current:
            stop_clock(current, now)
        values["current_item_id"] = None
    _update_conference(session, actor, conference, **values)


def go_to(session: Session, actor: Staff, conference_id: int, item_id: int | None) -> None:
    """Make `item_id` the case being presented: stop the previous case's clock, start this one's."""
    authorize(session, actor, Action.MANAGE_AGENDA)
    conference = _open_conference(session, conference_id)
    if conference.started_at is None:
        start_meeting(session, actor, conference_id)
    now = utcnow()
    if conference.current_item_id and conference.current_item_id != item_id:
        previous = session.get(AgendaItem, conference.current_item_id)
        if previous is not None:
            stop_clock(previous, now)
            if previous.status == AgendaStatus.PLANNED:
                previous.status = AgendaStatus.DISCUSSED  # it has been presented
            _flush(session)
            audit.record(session, actor, "update", previous)
    if item_id is not None:
        item = _item(session, item_id)
        if item.conference_id != conference_id:
            raise InvalidInput("Sagen hører til en anden konference.")
        if item.started_at is None:
            item.started_at = now
        _flush(session)
        audit.record(session, actor, "update", item)
    _update_conference(
        session, actor, conference, current_item_id=item_id,
        phase="patient" if item_id is not None else conference.phase,
    )


def step(session: Session, actor: Staff, conference_id: int, direction: int) -> int | None:
    """Næste (1) / forrige (-1) case on the discussion list; returns the new current case."""
    authorize(session, actor, Action.MANAGE_AGENDA)
    view = board(session, conference_id)
    order = [c.item_id for c in view.discussion]
    target = rules.neighbour(order, view.current_item_id, direction)
    if target is None and direction > 0:
        go_to(session, actor, conference_id, None)
        set_phase(session, actor, conference_id, "faglig")
        return None
    if target is not None:
        go_to(session, actor, conference_id, target)
    return target


def decided_items(session: Session, conference_id: int) -> set[int]:
    """The conference's cases whose conclusion has a decision."""
    return set(
        session.scalars(
            select(Conclusion.agenda_item_id)
            .join(AgendaItem, AgendaItem.id == Conclusion.agenda_item_id)
            .where(AgendaItem.conference_id == conference_id, Conclusion.decision != "")
        )
    )


def end_meeting(session: Session, actor: Staff, conference_id: int) -> int:
    """Stop the clocks; discussion cases not reached become 'ikke nået' (carried over next time).
    A case til orientering counts as presented once it has a decision; without one it stays
    planned, listed as waiting for a decision until the referent confirms the pathway's proposal
    or carries it over (services.decisions; sign-off is refused until then). Returns how many
    discussion cases were not reached."""
    authorize(session, actor, Action.MANAGE_AGENDA)
    return close_meeting(session, actor, _open_conference(session, conference_id))


def close_meeting(session: Session, actor: Staff, conference: Conference) -> int:
    """`end_meeting` once the caller has checked who may (the leader ends the meeting, the
    referent's sign-off ends one left running)."""
    conference_id = conference.id
    now = utcnow()
    not_reached = 0
    decided = decided_items(session, conference_id)
    for item in session.scalars(
        select(AgendaItem).where(
            AgendaItem.conference_id == conference_id,
            AgendaItem.status == AgendaStatus.PLANNED,
        )
    ):
        before = audit.snapshot(item)
        was_started = item.started_at is not None or (item.seconds_used or 0) > 0
        stop_clock(item, now)
        if item.list == AgendaList.INFORMATION:
            if item.id not in decided:
                continue
            item.status = AgendaStatus.DISCUSSED
        elif was_started or item.id in decided:  # a recorded decision: it was discussed
            item.status = AgendaStatus.DISCUSSED
        else:
            item.status = AgendaStatus.NOT_REACHED
            not_reached += 1
        _flush(session)
        audit.record(session, actor, "update", item, before=before)
    _update_conference(
        session, actor, conference, current_item_id=None, ended_at=now, phase=None,
    )
    return not_reached


def set_attendance(
    session: Session,
    actor: Staff,
    conference_id: int,
    staff_ids: set[int],
    since: set[int] | None = None,
) -> set[int]:
    """Who is present; returns the list as saved.

    `since` is the list the person started from (what their screen showed). Then only their
    own changes (who they ticked or unticked since) are applied to the list as it is now, so two
    people recording attendance at once both keep their changes. Without it the list is replaced.
    The list is read under the conference's lock (`lock_conference`): two saves at the same
    moment apply one after the other, each audit row naming the list it changed. A save that
    PostgreSQL gives up for a concurrent one (a deadlock) is applied again.
    """
    authorize(session, actor, Action.RECORD_ATTENDANCE)
    conference = _open_conference(session, conference_id)
    mentioned = set(staff_ids) | (since or set())
    known = set(session.scalars(select(Staff.id).where(Staff.id.in_(mentioned))))
    if known != mentioned:
        raise InvalidInput("Ukendt medarbejder i fremmødelisten.")
    write_lock(session)  # SQLite: before the savepoint, so that it is an inner one
    for _attempt in range(ATTEMPTS):
        try:
            with session.begin_nested():
                return _attendance(session, actor, conference, staff_ids, since)
        except DBAPIError as error:
            if not serialization_failure(error):
                raise
    raise InvalidInput(
        "Fremmødelisten bliver ændret af flere på samme tid. Prøv igen om et øjeblik."
    )


def _present(session: Session, conference_id: int) -> set[int]:
    return set(
        session.scalars(
            select(ConferenceAttendance.staff_id).where(
                ConferenceAttendance.conference_id == conference_id
            )
        )
    )


def _attendance(
    session: Session, actor: Staff, conference: Conference, staff_ids: set[int],
    since: set[int] | None,
) -> set[int]:
    lock_conference(session, conference.id)
    current = _present(session, conference.id)
    wanted = set(staff_ids)
    if since is not None:
        wanted = (current - (since - wanted)) | (wanted - since)
    if current == wanted:
        return wanted
    session.execute(
        delete(ConferenceAttendance).where(
            ConferenceAttendance.conference_id == conference.id,
            ConferenceAttendance.staff_id.in_(current - wanted),
        )
    )
    for staff_id in sorted(wanted - current):
        session.add(ConferenceAttendance(conference_id=conference.id, staff_id=staff_id))
    session.flush()
    audit.record_values(
        session, actor, "update", "conference_attendance", conference.id,
        before={"staff_ids": sorted(current)}, after={"staff_ids": sorted(wanted)},
    )
    return wanted


def set_development(
    session: Session, actor: Staff, conference_id: int, topic: str, exercise: str
) -> None:
    authorize(session, actor, Action.MANAGE_AGENDA)
    topic, exercise = (topic or "").strip(), (exercise or "").strip()
    if len(topic) > REASON_MAX or len(exercise) > 120:
        raise InvalidInput("Teksten er for lang.")
    conference = _open_conference(session, conference_id)
    _update_conference(
        session, actor, conference,
        development_topic=topic or None, staff_exercise=exercise or None,
    )


def set_roles(
    session: Session, actor: Staff, conference_id: int, leader_id: int | None,
    referent_id: int | None,
) -> None:
    authorize(session, actor, Action.MANAGE_AGENDA)
    conference = _open_conference(session, conference_id)
    _update_conference(session, actor, conference, leader_id=leader_id, referent_id=referent_id)


@dataclass(frozen=True)
class ClockState:
    meeting_started: dt.datetime | None
    meeting_ended: dt.datetime | None
    total_minutes: int
    case_started: dt.datetime | None
    case_used: int | None
    case_budget: int | None
    case_name: str


def clock_state(
    session: Session, conference_id: int, default_budget: int, name_mode: str = "fornavn"
) -> ClockState:
    """What the ticking clocks need, in two small queries (they redraw every second); the case
    is named as the projection names it (`name_mode`, see rules.display_name)."""
    conference = _conference(session, conference_id)
    row = None
    if conference.current_item_id:
        row = session.execute(
            select(AgendaItem, Patient.first_name, Patient.last_name)
            .join(Patient, Patient.id == AgendaItem.patient_id)
            .where(AgendaItem.id == conference.current_item_id)
        ).one_or_none()
    item, first, last = row if row else (None, "", "")
    return ClockState(
        meeting_started=conference.started_at,
        meeting_ended=conference.ended_at,
        total_minutes=conference.duration_minutes,
        case_started=item.started_at if item else None,
        case_used=item.seconds_used if item else None,
        case_budget=(item.time_budget_seconds or default_budget) if item else None,
        case_name=rules.display_name(first, last, name_mode) if item else "",
    )
