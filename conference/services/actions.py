"""Next steps (action items): what, who, by when, status; and the follow-through (Opfølgning).

An action item belongs to a case's conclusion. Writes take the acting staff member and leave an
audit row in the same transaction; booking a step that is an intervention updates the patient's
course (a planned course event, or an enrolment on the next group with room). Reads are
set-based: a fixed number of statements whatever the number of patients or actions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from conference import minutes as text
from conference.cpr import format_cpr
from conference.labels import ACTION_STATUS, OWNER_ROLE, PROFESSION
from conference.permissions import Action
from conference.services import audit
from conference.services.access import authorize, authorize_action_item, authorize_case
from conference.services.errors import InvalidInput, NotFound, ServiceError
from conference.services.locks import serialization_failure, write_lock
from db.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Conclusion,
    ConclusionAmendment,
    Conference,
    CourseEvent,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Intervention,
    InterventionKind,
    Patient,
    PatientStatus,
    Staff,
    TherapyGroup,
    utcnow,
)

TEXT_MAX = 20_000
SHORT_MAX = 500
REASON_MAX = 2000
OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.BOOKED)


def clean(value: str | None, what: str, limit: int = TEXT_MAX) -> str | None:
    """Stripped text (None when empty); too long is refused with a Danish message."""
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidInput(f"{what} er for lang (højst {limit} tegn).")
    return value or None


def item_for_write(session: Session, item_id: int) -> tuple[AgendaItem, Conference]:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("Sagen findes ikke på dagsordenen.")
    conference = session.get(Conference, item.conference_id)
    assert conference is not None
    return item, conference


def draft_conclusion(session: Session, actor: Staff, item: AgendaItem) -> Conclusion:
    """The case's conclusion, created as an empty draft when the first step comes before it."""
    return conclusion_for(session, actor, item)[0]


CREATE_ATTEMPTS = 3


def conclusion_for(
    session: Session, actor: Staff, item: AgendaItem, values: dict[str, Any] | None = None
) -> tuple[Conclusion, bool]:
    """The case's conclusion, and whether this call created it (with `values`, or as an empty
    draft). Get-or-create that two people survive at the same moment, on both databases: the
    insert and its audit row run in a savepoint; when the unique key on the case says someone
    has just created it (PostgreSQL makes the insert wait for their commit), the savepoint is
    rolled back and their row read and returned. A serialization failure is retried the same
    way. SQLite: the write lock is taken before the read (`write_lock`), so the second reads
    the first one's row."""
    stored = select(Conclusion).where(Conclusion.agenda_item_id == item.id)
    write_lock(session)
    for _attempt in range(CREATE_ATTEMPTS):
        conclusion = session.scalar(stored)
        if conclusion is not None:
            return conclusion, False
        conclusion = Conclusion(
            agenda_item_id=item.id, decision="", recorded_by_id=actor.id, recorded_at=utcnow()
        )
        for key, value in (values or {}).items():
            setattr(conclusion, key, value)
        try:
            with session.begin_nested():
                session.add(conclusion)
                audit.record(session, actor, "create", conclusion, patient_id=item.patient_id)
        except IntegrityError:
            theirs = session.scalar(stored)
            if theirs is None:
                raise  # not the case's unique key: a real error
            return theirs, False  # created by someone else a moment ago
        except DBAPIError as error:
            if not serialization_failure(error):
                raise
            continue
        return conclusion, True
    raise InvalidInput(
        "Konklusionen bliver oprettet af flere på samme tid. Prøv igen om et øjeblik."
    )


class Conflict(ServiceError):
    """Someone else saved this after the user opened it; nothing was saved.

    `theirs` is what is saved now (with `version`, who and when); `mine` what the user tried.
    """

    def __init__(self, message: str, theirs: dict[str, Any], mine: dict[str, Any]) -> None:
        super().__init__(message)
        self.theirs = theirs
        self.mine = mine


@dataclass(frozen=True)
class ActionView:
    id: int
    patient_id: int
    description: str
    intervention_code: str | None
    owner_id: int | None
    owner_role: str | None
    owner: str
    due_date: dt.date | None
    status: str
    completed_on: dt.date | None
    course_event_id: int | None
    version: int

    def plan_line(self) -> text.PlanLine:
        return text.PlanLine(self.description, self.owner, self.due_date, self.status)


def actions_for_conclusions(
    session: Session, conclusion_ids: list[int]
) -> dict[int, list[ActionView]]:
    """Action items per conclusion, owner resolved (PAL-læge and kontaktsygeplejerske by name)."""
    if not conclusion_ids:
        return {}
    owner, pal, nurse = aliased(Staff), aliased(Staff), aliased(Staff)
    rows = session.execute(
        select(
            ActionItem, Intervention.code, owner.name, owner.profession, pal.name, nurse.name,
        )
        .join(Patient, Patient.id == ActionItem.patient_id)
        .outerjoin(Intervention, Intervention.id == ActionItem.intervention_id)
        .outerjoin(owner, owner.id == ActionItem.owner_id)
        .outerjoin(pal, pal.id == Patient.pal_laege_id)
        .outerjoin(nurse, nurse.id == Patient.kontaktsygeplejerske_id)
        .where(ActionItem.conclusion_id.in_(conclusion_ids))
        .order_by(ActionItem.id)
    ).all()
    result: dict[int, list[ActionView]] = defaultdict(list)
    for action, code, owner_name, owner_prof, pal_name, nurse_name in rows:
        result[action.conclusion_id].append(
            _action_view(action, code, owner_name, owner_prof, pal_name, nurse_name)
        )
    return result


def role_key(owner_role: str | None) -> str | None:
    """A stored role as its key: 'pal_laege' and 'PAL-læge' are the same role."""
    if not owner_role:
        return None
    if owner_role in OWNER_ROLE:
        return owner_role
    by_label = {label.casefold(): key for key, label in OWNER_ROLE.items()}
    return by_label.get(owner_role.strip().casefold())


def owner_display(
    owner_name: str | None,
    owner_profession: Any,
    owner_role: str | None,
    pal_name: str | None,
    nurse_name: str | None,
) -> str:
    key = role_key(owner_role)
    if owner_name and owner_role:  # a person in a role: 'PAL-læge Lise Hansen'
        label = OWNER_ROLE.get(key, owner_role) if key else owner_role
        if key not in ("pal_laege", "kontaktsygeplejerske"):
            label = label.lower()
        return f"{label} {owner_name}"
    holder = {"pal_laege": pal_name, "kontaktsygeplejerske": nurse_name}.get(key or "")
    profession = PROFESSION.get(owner_profession) if owner_profession else None
    return text.owner_text(owner_name, profession, key or owner_role, holder)


def _action_view(
    action: ActionItem, code: str | None, owner_name: str | None, owner_prof: Any,
    pal_name: str | None, nurse_name: str | None,
) -> ActionView:
    return ActionView(
        id=action.id,
        patient_id=action.patient_id,
        description=action.description,
        intervention_code=code,
        owner_id=action.owner_id,
        owner_role=action.owner_role,
        owner=owner_display(owner_name, owner_prof, action.owner_role, pal_name, nurse_name),
        due_date=action.due_date,
        status=action.status.value,
        completed_on=action.completed_on,
        course_event_id=action.course_event_id,
        version=action.version,
    )


def _intervention(session: Session, code: str | None) -> Intervention | None:
    if not code:
        return None
    found = session.scalar(select(Intervention).where(Intervention.code == code))
    if found is None:
        raise InvalidInput("Ukendt indsats; vælg fra listen eller skriv selv.")
    return found


def _owner(session: Session, owner_id: int | None, owner_role: str | None):  # noqa: ANN202
    if owner_id is None and not owner_role:
        raise InvalidInput("Vælg, hvem der er ansvarlig: en medarbejder eller en rolle.")
    if owner_id is not None and session.get(Staff, owner_id) is None:
        raise InvalidInput("Den ansvarlige medarbejder findes ikke.")
    if owner_role and owner_role not in OWNER_ROLE:
        raise InvalidInput("Ukendt rolle for den ansvarlige.")
    return owner_id, owner_role or None


def _check_due(due_date: dt.date | None, conference: Conference) -> dt.date:
    if due_date is None:
        raise InvalidInput("Angiv en frist.")
    if due_date < conference.date:
        raise InvalidInput("Fristen ligger før konferencen.")
    return due_date


def add_action(
    session: Session,
    actor: Staff,
    item_id: int,
    *,
    description: str | None = None,
    intervention_code: str | None = None,
    owner_id: int | None = None,
    owner_role: str | None = None,
    due_date: dt.date | None,
    amendment_reason: str | None = None,
) -> ActionItem:
    """A next step on the case's conclusion: what (catalogue or free text), who, by when.

    Before sign-off the conclusion is created as a draft if needed. After sign-off a step can
    only be added as an amendment: `amendment_reason` is then required and kept with who/when.
    """
    authorize_case(session, actor, Action.RECORD_MINUTES, item_id)
    item, conference = item_for_write(session, item_id)
    intervention = _intervention(session, intervention_code)
    description = clean(description, "Beskrivelsen", SHORT_MAX)
    if intervention is not None and not description:
        description = intervention.name
    if not description:
        raise InvalidInput("Skriv, hvad der skal ske, eller vælg en indsats.")
    owner_id, owner_role = _owner(session, owner_id, owner_role)
    due = _check_due(due_date, conference)
    signed = conference.signed_off_at is not None
    reason = clean(amendment_reason, "Begrundelsen", REASON_MAX)
    if signed and not reason:
        raise InvalidInput(
            "Konferencen er underskrevet: skriv en begrundelse for tilføjelsen til planen."
        )
    if signed:
        conclusion = session.scalar(
            select(Conclusion).where(Conclusion.agenda_item_id == item.id)
        )
        if conclusion is None:
            raise InvalidInput("Sagen har ingen konklusion at tilføje til.")
    else:
        conclusion = draft_conclusion(session, actor, item)
    action = ActionItem(
        conclusion_id=conclusion.id,
        patient_id=item.patient_id,
        intervention_id=intervention.id if intervention else None,
        description=description,
        owner_id=owner_id,
        owner_role=owner_role,
        due_date=due,
        status=ActionStatus.OPEN,
        created_by_id=actor.id,
    )
    session.add(action)
    audit.record(session, actor, "create", action)
    if signed:
        line = text.plan_line_text(text.PlanLine(description, "", due))
        amendment = ConclusionAmendment(
            conclusion_id=conclusion.id,
            before={},
            after={"plan": line.replace(" Ansvarlig: .", "")},
            reason=reason,
            amended_by_id=actor.id,
        )
        session.add(amendment)
        audit.record(session, actor, "create", amendment, patient_id=item.patient_id)
    return action


def _action(session: Session, action_id: int, version: int | None) -> ActionItem:
    action = session.get(ActionItem, action_id)
    if action is None:
        raise NotFound("Opgaven findes ikke.")
    if version is not None and action.version != version:
        raise _action_conflict(session, action, {})
    return action


def _action_conflict(session: Session, action: ActionItem, mine: dict[str, Any]) -> Conflict:
    theirs = {
        "description": action.description,
        "owner_id": action.owner_id,
        "owner_role": action.owner_role,
        "due_date": action.due_date,
        "status": action.status.value,
        "version": action.version,
    }
    return Conflict(
        f"Opgaven »{action.description}« er netop ændret af en anden "
        f"(status nu: {ACTION_STATUS[action.status].lower()}). Din ændring er ikke gemt; "
        "se den opdaterede opgave og prøv igen.",
        theirs,
        mine,
    )


def _flush_action(session: Session, action: ActionItem, mine: dict[str, Any]) -> None:
    try:
        session.flush()
    except StaleDataError as error:
        raise Conflict(
            f"Opgaven »{action.description}« blev ændret af en anden i samme øjeblik. "
            "Din ændring er ikke gemt; se den opdaterede opgave og prøv igen.",
            {},
            mine,
        ) from error


REASON_MIN_WORDS = 2
REASON_MIN_CHARS = 10


def check_amendment_reason(reason: str | None, what: str = "rettelsen") -> str:
    """A real reason for changing signed minutes: at least a few words (REASON_MIN_WORDS words
    with letters, REASON_MIN_CHARS characters); ".", "x" or whitespace is refused in Danish."""
    text_ = clean(reason, "Begrundelsen", REASON_MAX) or ""
    words = [w for w in text_.split() if any(c.isalpha() for c in w)]
    if len(words) < REASON_MIN_WORDS or len(text_) < REASON_MIN_CHARS:
        raise InvalidInput(
            f"Skriv, hvorfor {what} er nødvendig: en begrundelse på mindst {REASON_MIN_WORDS} "
            f"ord og {REASON_MIN_CHARS} tegn (fx »Fristen blev noteret forkert på mødet«). "
            "Referatet er underskrevet, så begrundelsen gemmes sammen med det oprindelige."
        )
    return text_


def _step_line(
    session: Session, patient_id: int, description: str, owner_id: int | None,
    owner_role: str | None, due: dt.date | None,
) -> str:
    """A step as the minutes' plan says it: 'Book CFT. Ansvarlig: PAL-læge Lise Hansen. Frist:
    09.12.2026.' (its status is follow-up, not part of what was decided)."""
    owner = session.get(Staff, owner_id) if owner_id is not None else None
    patient = session.get(Patient, patient_id)
    pal = session.get(Staff, patient.pal_laege_id) if patient and patient.pal_laege_id else None
    nurse = (
        session.get(Staff, patient.kontaktsygeplejerske_id)
        if patient and patient.kontaktsygeplejerske_id else None
    )
    who = owner_display(
        owner.name if owner else None, owner.profession if owner else None, owner_role,
        pal.name if pal else None, nurse.name if nurse else None,
    )
    return text.plan_line_text(text.PlanLine(description, who, due))


def edit_action(
    session: Session,
    actor: Staff,
    action_id: int,
    *,
    version: int,
    description: str | None = None,
    owner_id: int | None = None,
    owner_role: str | None = None,
    due_date: dt.date | None = None,
    amendment_reason: str | None = None,
) -> ActionItem:
    """Change what, who or by when.

    Before sign-off a plain edit. After sign-off the step is part of signed minutes: a change is
    an amendment (permission AMEND_CONCLUSION) with a real reason (`amendment_reason`, see
    `check_amendment_reason`), kept with the step as it was signed, who and when; the minutes show
    both. (Its status is follow-up and moves without one: `set_action_status`.)"""
    authorize(session, actor, Action.RECORD_MINUTES)
    action = _action(session, action_id, version)
    conclusion = session.get(Conclusion, action.conclusion_id) if action.conclusion_id else None
    item = session.get(AgendaItem, conclusion.agenda_item_id) if conclusion else None
    conference = session.get(Conference, item.conference_id) if item else None
    signed = conference is not None and conference.signed_off_at is not None
    if signed:
        authorize(session, actor, Action.AMEND_CONCLUSION, patient_id=action.patient_id)
    text_ = clean(description, "Beskrivelsen", SHORT_MAX) or action.description
    owner = (
        _owner(session, owner_id, owner_role)
        if owner_id is not None or owner_role else (action.owner_id, action.owner_role)
    )
    due = due_date or action.due_date
    if conference is not None and due_date is not None:
        _check_due(due_date, conference)
    if (text_, *owner, due) == (action.description, action.owner_id, action.owner_role,
                                action.due_date):
        raise InvalidInput("Ændringen ændrer ikke noget ved opgaven.")
    reason, was, now_ = None, "", ""
    if signed:
        reason = check_amendment_reason(amendment_reason, "ændringen")
        was = _step_line(session, action.patient_id, action.description, action.owner_id,
                         action.owner_role, action.due_date)
        now_ = _step_line(session, action.patient_id, text_, owner[0], owner[1], due)
    before = audit.snapshot(action)
    action.description = text_
    action.owner_id, action.owner_role = owner
    action.due_date = due
    _flush_action(session, action, {"description": text_, "due_date": due})
    audit.record(session, actor, "update", action, before=before)
    if signed and conclusion is not None and item is not None:
        amendment = ConclusionAmendment(
            conclusion_id=conclusion.id,
            before={"step": was, "action_item_id": action.id},
            after={"step": now_, "action_item_id": action.id},
            reason=reason,
            amended_by_id=actor.id,
            amended_at=utcnow(),
        )
        session.add(amendment)
        audit.record(session, actor, "create", amendment, patient_id=item.patient_id)
    return action


def delete_action(session: Session, actor: Staff, action_id: int, *, version: int) -> None:
    """Remove a mistyped step while the conference is open; afterwards cancel it instead."""
    authorize(session, actor, Action.RECORD_MINUTES)
    action = _action(session, action_id, version)
    conclusion = session.get(Conclusion, action.conclusion_id) if action.conclusion_id else None
    item = session.get(AgendaItem, conclusion.agenda_item_id) if conclusion else None
    conference = session.get(Conference, item.conference_id) if item else None
    if conference is None or conference.signed_off_at is not None:
        raise InvalidInput("Konferencen er underskrevet: annullér opgaven i stedet for at slette.")
    if action.status != ActionStatus.OPEN or action.course_event_id:
        raise InvalidInput("Opgaven er sat i gang: annullér den i stedet for at slette.")
    before = audit.snapshot(action)
    session.delete(action)
    session.flush()
    audit.record_values(
        session, actor, "delete", "action_item", action_id,
        before=before, after=None, patient_id=action.patient_id,
    )


@dataclass(frozen=True)
class StatusChange:
    action: ActionItem
    course_note: str | None  # what happened to the patient's course, to tell the user


def set_action_status(
    session: Session,
    actor: Staff,
    action_id: int,
    status: ActionStatus,
    *,
    today: dt.date,
    version: int | None = None,
    booked_date: dt.date | None = None,
) -> StatusChange:
    """One click: åben, booket, udført or annulleret.

    Also after sign-off, without an amendment: the status is the follow-through of the plan, not
    part of what the conference decided (the minutes show it as Opfølgning); what, who and by
    when change only through `edit_action`'s amendment.

    Booking (or doing) a step that is an intervention updates the patient's course: a
    conversation becomes a planned course event; a group enrols the patient on the next group
    of that kind with room (conference.services.groups.enrol_patient). Cancelling cancels the
    course event it created while that is still only planned.
    """
    authorize_action_item(session, actor, action_id)
    status = ActionStatus(status)
    action = _action(session, action_id, version)
    if action.status == status:
        return StatusChange(action, None)
    before = audit.snapshot(action)
    note = None
    if status in (ActionStatus.BOOKED, ActionStatus.DONE):
        note = _put_in_course(session, actor, action, today, booked_date)
    elif status == ActionStatus.CANCELLED:
        note = _cancel_in_course(session, actor, action)
    action.status = status
    action.completed_on = today if status == ActionStatus.DONE else None
    _flush_action(session, action, {"status": status.value})
    audit.record(session, actor, "update", action, before=before)
    return StatusChange(action, note)


def _put_in_course(
    session: Session, actor: Staff, action: ActionItem, today: dt.date, day: dt.date | None
) -> str | None:
    if action.intervention_id is None:
        return None
    intervention = session.get(Intervention, action.intervention_id)
    if intervention is None or intervention.kind in (InterventionKind.MEETING,
                                                      InterventionKind.VIDEO):
        return None
    if action.course_event_id is not None:
        event = session.get(CourseEvent, action.course_event_id)
        replan = event is not None and event.status == CourseStatus.PLANNED
        if replan and day and not event.group_id:
            before = audit.snapshot(event)
            event.planned_date = day
            session.flush()
            audit.record(session, actor, "update", event, before=before)
        return None
    if intervention.kind == InterventionKind.GROUP:
        return _enrol(session, actor, action, intervention, today)
    event = CourseEvent(
        patient_id=action.patient_id,
        intervention_id=intervention.id,
        status=CourseStatus.PLANNED,
        planned_date=day,
        staff_id=action.owner_id,
        note="Aftalt på tværfaglig konference",
    )
    session.add(event)
    audit.record(session, actor, "create", event)
    action.course_event_id = event.id
    return f"{intervention.name} er sat på patientens forløb som planlagt."


def _enrol(
    session: Session, actor: Staff, action: ActionItem, intervention: Intervention,
    today: dt.date,
) -> str:
    """Enrol on the next group of the kind with a free place; else plan the step without one."""
    from conference.services import groups  # the group engineer's service

    on_roster = (
        select(func.count(Enrolment.id))
        .where(Enrolment.group_id == TherapyGroup.id,
               Enrolment.status != EnrolmentStatus.DROPPED_OUT)
        .correlate(TherapyGroup)
        .scalar_subquery()
    )
    already = session.scalar(
        select(Enrolment.group_id)
        .join(TherapyGroup, TherapyGroup.id == Enrolment.group_id)
        .where(
            Enrolment.patient_id == action.patient_id,
            TherapyGroup.intervention_id == intervention.id,
            TherapyGroup.end_date >= today,
        )
        .limit(1)
    )
    group = None
    if already is None:
        group = session.scalar(
            select(TherapyGroup)
            .where(
                TherapyGroup.intervention_id == intervention.id,
                TherapyGroup.start_date >= today,
                on_roster < TherapyGroup.capacity,
            )
            .order_by(TherapyGroup.start_date, TherapyGroup.id)
            .limit(1)
        )
    target = already or (group.id if group else None)
    if group is not None:
        try:  # the group rules refuse before writing anything (capacity, same kind)
            groups.enrol_patient(session, actor, group.id, action.patient_id, today)
        except InvalidInput:
            target = None
    if target is not None:
        event = session.scalar(
            select(CourseEvent).where(
                CourseEvent.patient_id == action.patient_id, CourseEvent.group_id == target
            )
        )
        action.course_event_id = event.id if event else None
        name = session.scalar(select(TherapyGroup.name).where(TherapyGroup.id == target))
        if already is not None:
            return f"Patienten er allerede tilmeldt {name}."
        return f"Patienten er tilmeldt {name}; forløbet er opdateret."
    event = CourseEvent(
        patient_id=action.patient_id,
        intervention_id=intervention.id,
        status=CourseStatus.PLANNED,
        note="Aftalt på tværfaglig konference; venter på et hold med ledig plads",
    )
    session.add(event)
    audit.record(session, actor, "create", event)
    action.course_event_id = event.id
    return (
        f"Der er intet kommende hold i {intervention.name} med ledig plads. "
        "Indsatsen står som planlagt på forløbet, uden hold."
    )


def _cancel_in_course(session: Session, actor: Staff, action: ActionItem) -> str | None:
    if action.course_event_id is None:
        return None
    event = session.get(CourseEvent, action.course_event_id)
    if event is None or event.status != CourseStatus.PLANNED:
        return None
    before = audit.snapshot(event)
    event.status = CourseStatus.CANCELLED
    session.flush()
    audit.record(session, actor, "update", event, before=before)
    if event.group_id is not None:
        enrolment = session.scalar(
            select(Enrolment).where(
                Enrolment.group_id == event.group_id, Enrolment.patient_id == action.patient_id
            )
        )
        if enrolment is not None:
            before = audit.snapshot(enrolment)
            enrolment.status = EnrolmentStatus.DROPPED_OUT
            session.flush()
            audit.record(session, actor, "update", enrolment, before=before)
    return "Den planlagte indsats på forløbet er aflyst."


# --------------------------------------------------------------------------- follow-through


@dataclass(frozen=True)
class OpenAction:
    """An open (åben or booket) next step, as Opfølgning and the next conference show it."""

    id: int
    patient_id: int
    patient_name: str
    cpr: str
    description: str
    intervention_code: str | None
    owner: str  # as text: 'PAL-læge Lise Hansen', 'fysioterapeut', 'Ole Hansen, psykolog'
    owner_id: int | None
    owner_role: str | None
    responsible_ids: frozenset[int]  # the named owner, or the PAL-læge/kontaktsygeplejerske
    owner_profession: str | None  # a profession role: anyone of that profession
    due_date: dt.date | None
    status: str
    conference_id: int | None
    conference_date: dt.date | None
    version: int

    def overdue(self, today: dt.date) -> bool:
        return self.due_date is not None and self.due_date < today

    def is_for(self, staff_id: int, profession: str | None) -> bool:
        """Is this step the staff member's to do: named, their patient's role, or their
        profession's?"""
        if staff_id in self.responsible_ids:
            return True
        return not self.responsible_ids and bool(profession) and profession == (
            self.owner_profession
        )


def _open_action_rows(session: Session, where: Any) -> list[OpenAction]:
    owner, pal, nurse = aliased(Staff), aliased(Staff), aliased(Staff)
    rows = session.execute(
        select(
            ActionItem, Patient.first_name, Patient.last_name, Patient.cpr, Intervention.code,
            owner.name, owner.profession, pal.id, pal.name, nurse.id, nurse.name,
            AgendaItem.conference_id, Conference.date,
        )
        .join(Patient, Patient.id == ActionItem.patient_id)
        .outerjoin(Intervention, Intervention.id == ActionItem.intervention_id)
        .outerjoin(owner, owner.id == ActionItem.owner_id)
        .outerjoin(pal, pal.id == Patient.pal_laege_id)
        .outerjoin(nurse, nurse.id == Patient.kontaktsygeplejerske_id)
        .outerjoin(Conclusion, Conclusion.id == ActionItem.conclusion_id)
        .outerjoin(AgendaItem, AgendaItem.id == Conclusion.agenda_item_id)
        .outerjoin(Conference, Conference.id == AgendaItem.conference_id)
        .where(ActionItem.status.in_(OPEN_STATUSES), where)
        .order_by(ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id)
    ).all()
    result = []
    for (action, first, last, cpr, code, owner_name, owner_prof, pal_id, pal_name, nurse_id,
         nurse_name, conference_id, conference_date) in rows:
        key = role_key(action.owner_role)
        if action.owner_id:
            responsible = frozenset({action.owner_id})
        elif key == "pal_laege" and pal_id:
            responsible = frozenset({pal_id})
        elif key == "kontaktsygeplejerske" and nurse_id:
            responsible = frozenset({nurse_id})
        else:
            responsible = frozenset()
        result.append(
            OpenAction(
                id=action.id,
                patient_id=action.patient_id,
                patient_name=f"{first} {last}",
                cpr=format_cpr(cpr),
                description=action.description,
                intervention_code=code,
                owner=owner_display(
                    owner_name, owner_prof, action.owner_role, pal_name, nurse_name
                ),
                owner_id=action.owner_id,
                owner_role=action.owner_role,
                responsible_ids=responsible,
                owner_profession=key if key and key in PROFESSION_KEYS else None,
                due_date=action.due_date,
                status=action.status.value,
                conference_id=conference_id,
                conference_date=conference_date,
                version=action.version,
            )
        )
    return result


PROFESSION_KEYS = frozenset(p.value for p in PROFESSION)


def open_actions(session: Session, *, active_patients_only: bool = True) -> list[OpenAction]:
    """Every open next step across conferences, earliest due first (one statement)."""
    where = Patient.status == PatientStatus.ACTIVE if active_patients_only else true()
    return _open_action_rows(session, where)


def open_actions_for_patients(
    session: Session, patient_ids: Iterable[int], *, before: dt.date | None = None
) -> dict[int, list[OpenAction]]:
    """Per patient: the next steps still open (earliest due first). With `before` (a conference
    date), only those decided at earlier conferences or outside one. One statement."""
    ids = list(patient_ids)
    if not ids:
        return {}
    result: dict[int, list[OpenAction]] = defaultdict(list)
    for action in _open_action_rows(session, ActionItem.patient_id.in_(ids)):
        if before is None or action.conference_date is None or action.conference_date < before:
            result[action.patient_id].append(action)
    return dict(result)


@dataclass(frozen=True)
class FollowUpFilter:
    mine_for: tuple[int, str | None] | None = None  # (staff id, profession value)
    owner: str | None = None  # an owner text as shown
    patient: str = ""  # part of a name or CPR number
    overdue_only: bool = False


def filter_actions(
    actions: Iterable[OpenAction], flt: FollowUpFilter, today: dt.date
) -> list[OpenAction]:
    words = flt.patient.casefold().split()
    result = []
    for action in actions:
        if flt.mine_for and not action.is_for(*flt.mine_for):
            continue
        if flt.owner and action.owner != flt.owner:
            continue
        if flt.overdue_only and not action.overdue(today):
            continue
        haystack = f"{action.patient_name} {action.cpr} {action.cpr.replace('-', '')}".casefold()
        if any(word not in haystack for word in words):
            continue
        result.append(action)
    return result


def step_catalogue(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the interventions a next step can be: add-ons first, then the course."""
    rows = session.execute(
        select(Intervention.code, Intervention.name)
        .where(
            Intervention.active.is_(True),
            Intervention.kind.not_in([InterventionKind.MEETING, InterventionKind.VIDEO]),
        )
        .order_by(Intervention.standard_course, Intervention.course_order)
    ).all()
    return [(code, name) for code, name in rows]
