"""Access control and the access log, enforced in the service layer.

- `authorize` checks the permission table (conference.permissions) for the acting staff member,
  with "own" meaning: the patient is in their microteam (or they are the patient's PAL-læge or
  kontaktsygeplejerske), or on a group they run; a group is theirs when they run it.
  A refusal raises PermissionDenied (a Danish message); the caller's transaction is rolled back
  and the refusal is logged by `log_denial` in a transaction of its own.
- `log_access` records who saw which patient in which view (sundhedsloven § 42 a).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from conference.permissions import Action, decide, denial_message
from conference.services.errors import ServiceError
from db import audit_chain
from db.models import (
    AccessLog,
    Enrolment,
    GroupTherapist,
    MicroteamMember,
    Patient,
    SecurityEvent,
    Staff,
    utcnow,
)
from db.session import session_scope


class PermissionDenied(ServiceError):
    """The acting staff member may not do this; str() is the Danish message."""

    def __init__(self, message: str, actor_id: int | None, action: Action, detail: str) -> None:
        super().__init__(message)
        self.actor_id = actor_id
        self.action = action
        self.detail = detail


def owns_patient(session: Session, actor: Staff, patient_id: int) -> bool:
    """The patient is in the actor's microteam, is theirs as PAL/kontakt, or on their group."""
    team = select(MicroteamMember.microteam_id).where(MicroteamMember.staff_id == actor.id)
    direct = session.scalar(
        select(Patient.id).where(
            Patient.id == patient_id,
            or_(
                Patient.pal_laege_id == actor.id,
                Patient.kontaktsygeplejerske_id == actor.id,
                Patient.microteam_id.in_(team),
            ),
        )
    )
    if direct is not None:
        return True
    on_group = session.scalar(
        select(Enrolment.id)
        .join(GroupTherapist, GroupTherapist.group_id == Enrolment.group_id)
        .where(Enrolment.patient_id == patient_id, GroupTherapist.staff_id == actor.id)
        .limit(1)
    )
    return on_group is not None


def runs_group(session: Session, actor: Staff, group_id: int) -> bool:
    return session.scalar(
        select(GroupTherapist.staff_id).where(
            GroupTherapist.group_id == group_id, GroupTherapist.staff_id == actor.id
        )
    ) is not None


def authorize(
    session: Session,
    actor: Staff | None,
    action: Action,
    *,
    patient_id: int | None = None,
    group_id: int | None = None,
    any_scope: bool = False,
) -> None:
    """Refuse (PermissionDenied) unless the table lets `actor` do `action` here.

    `any_scope`: enough that the role grants the action for some patients (e.g. creating the
    conference a behandler puts their own patient on)."""
    if actor is None or not actor.active:
        raise PermissionDenied(
            "Du er ikke logget ind.", None, action, "ingen eller inaktiv bruger"
        )
    roles = actor.role_set
    decision = decide(roles, action, owns=False)
    if decision.allowed:
        return
    scoped = decide(roles, action, owns=True).allowed
    if scoped and any_scope:
        return
    if scoped:
        owns = (patient_id is not None and owns_patient(session, actor, patient_id)) or (
            group_id is not None and runs_group(session, actor, group_id)
        )
        if owns:
            return
    where = f"patient {patient_id}" if patient_id else f"hold {group_id}" if group_id else ""
    raise PermissionDenied(
        denial_message(action, scope_needed=scoped), actor.id, action, where
    )


def log_denial(engine: Engine, error: PermissionDenied) -> None:
    """Record a refused call, in its own transaction (the refused one was rolled back)."""
    with session_scope(engine) as session:
        log_security_event(session, "denied", staff_id=error.actor_id,
                           detail=f"{error.action.value} {error.detail}".strip()[:400])


def log_security_event(
    session: Session, kind: str, *, staff_id: int | None = None, username: str | None = None,
    detail: str | None = None,
) -> None:
    """Append a security event (chained, in the caller's transaction: db/audit_chain.py)."""
    audit_chain.append(session, SecurityEvent.__table__, [
        {"kind": kind, "staff_id": staff_id, "username": username, "detail": detail}
    ])


# --------------------------------------------------------------------------- the access log


def log_access(
    session: Session, actor: Staff, view: str, patient_ids: Iterable[int] = (),
    *, count: int | None = None,
) -> None:
    """Who saw which patient in which view. List views give `count` and no ids."""
    now = utcnow()
    ids = list(dict.fromkeys(patient_ids))
    rows = [{"patient_id": patient_id} for patient_id in ids] or [{"patient_count": count}]
    # one bulk INSERT however many patients the view shows (no statement per patient), chained
    audit_chain.append(session, AccessLog.__table__, [
        {"at": now, "staff_id": actor.id, "view": view, **row} for row in rows
    ])


@dataclass(frozen=True)
class AccessRow:
    at: dt.datetime
    staff: str
    initials: str
    view: str
    patient: str
    cpr: str
    patient_count: int | None


def search_access_log(
    session: Session,
    actor: Staff,
    *,
    patient_id: int | None = None,
    staff_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 5000,
) -> list[AccessRow]:
    """The access log for one patient and/or one staff member (admin only)."""
    authorize(session, actor, Action.VIEW_ACCESS_LOG)
    query = (
        select(AccessLog, Staff.name, Staff.initials, Patient.first_name, Patient.last_name,
               Patient.cpr)
        .outerjoin(Staff, Staff.id == AccessLog.staff_id)
        .outerjoin(Patient, Patient.id == AccessLog.patient_id)
        .order_by(AccessLog.at.desc())
        .limit(limit)
    )
    if patient_id is not None:
        query = query.where(AccessLog.patient_id == patient_id)
    if staff_id is not None:
        query = query.where(AccessLog.staff_id == staff_id)
    if since is not None:
        query = query.where(AccessLog.at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(AccessLog.at < end)
    rows, named = [], [patient_id] if patient_id is not None else []
    for row, name, initials, first, last, cpr in session.execute(query):
        rows.append(AccessRow(
            row.at, name or "", initials or "", row.view,
            f"{first} {last}" if first else "", cpr or "", row.patient_count,
        ))
        if row.patient_id is not None:
            named.append(row.patient_id)
    # the search is itself a look-up of every patient its rows name (one INSERT for them all)
    log_access(session, actor, "adgangslog", named)
    return rows


def authorize_case(session: Session, actor: Staff | None, action: Action, item_id: int) -> None:
    """`authorize` for the patient of an agenda item (a case)."""
    from db.models import AgendaItem

    patient_id = session.scalar(select(AgendaItem.patient_id).where(AgendaItem.id == item_id))
    authorize(session, actor, action, patient_id=patient_id)


def authorize_session_of_group(
    session: Session, actor: Staff | None, action: Action, session_id: int
) -> None:
    """`authorize` for the group a group session belongs to."""
    from db.models import GroupSession

    group_id = session.scalar(select(GroupSession.group_id).where(GroupSession.id == session_id))
    authorize(session, actor, action, group_id=group_id)


def authorize_enrolment(
    session: Session, actor: Staff | None, action: Action, enrolment_id: int
) -> None:
    """`authorize` for the group of an enrolment."""
    group_id = session.scalar(select(Enrolment.group_id).where(Enrolment.id == enrolment_id))
    authorize(session, actor, action, group_id=group_id)


def authorize_action_item(session: Session, actor: Staff | None, action_id: int) -> None:
    """Updating a next step: the permission table, or being the step's named owner."""
    from db.models import ActionItem

    row = session.execute(
        select(ActionItem.patient_id, ActionItem.owner_id).where(ActionItem.id == action_id)
    ).one_or_none()
    if row is not None and actor is not None and actor.active and row.owner_id == actor.id:
        return
    authorize(session, actor, Action.UPDATE_ACTION, patient_id=row.patient_id if row else None)


def authorize_team_note(session: Session, actor: Staff | None, note_id: int) -> None:
    from db.models import TeamNote

    patient_id = session.scalar(select(TeamNote.patient_id).where(TeamNote.id == note_id))
    authorize(session, actor, Action.WRITE_TEAM_NOTE, patient_id=patient_id)


def patient_by_cpr(session: Session, cpr: str) -> Patient | None:
    from conference.cpr import normalise_cpr

    return session.scalar(select(Patient).where(Patient.cpr == normalise_cpr(cpr)))


@dataclass(frozen=True)
class SecurityRow:
    at: dt.datetime
    kind: str
    staff: str
    username: str
    detail: str


def security_events(session: Session, actor: Staff, limit: int = 500) -> list[SecurityRow]:
    """Recent logins, failed logins and refused calls (admin only)."""
    authorize(session, actor, Action.VIEW_ACCESS_LOG)
    rows = session.execute(
        select(SecurityEvent, Staff.name)
        .outerjoin(Staff, Staff.id == SecurityEvent.staff_id)
        .order_by(SecurityEvent.at.desc())
        .limit(limit)
    )
    return [
        SecurityRow(e.at, e.kind, name or "", e.username or "", e.detail or "")
        for e, name in rows
    ]
