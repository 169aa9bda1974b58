"""Every case leaves the conference with a decision (seed 3.9, 3.10): which cases still lack
one, the pathway's proposal for the cases "til orientering", confirming proposals, and carrying
a case over to the next conference with a reason. Sign-off is refused while any case is open
(conference.services.minutes.sign_off asks `open_decisions`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference import decisions as rules
from conference.permissions import Action
from conference.services import audit
from conference.services.access import authorize_case
from conference.services.actions import add_action, clean, draft_conclusion, item_for_write
from conference.services.agenda import stop_clock
from conference.services.errors import InvalidInput, NotFound
from conference.services.patients import courses
from db.models import (
    AgendaItem,
    AgendaList,
    AgendaStatus,
    Conclusion,
    Conference,
    Patient,
    Staff,
    utcnow,
)

#: A case with one of these statuses is still to be decided at its conference.
UNDECIDED = (AgendaStatus.PLANNED, AgendaStatus.DISCUSSED)
REASON_MIN = 3


@dataclass(frozen=True)
class OpenDecision:
    """A case on the conference with no decision recorded, and what the pathway proposes."""

    item_id: int
    patient_id: int
    patient_name: str
    list: str
    status: str
    reason_text: str
    proposal: rules.ProposedConclusion | None  # for cases til orientering

    @property
    def for_information(self) -> bool:
        return self.list == AgendaList.INFORMATION.value


def _conference(session: Session, conference_id: int) -> Conference:
    conference = session.get(Conference, conference_id)
    if conference is None:
        raise NotFound("Konferencen findes ikke.")
    return conference


def open_decisions(session: Session, conference_id: int) -> list[OpenDecision]:
    """Cases still planned or discussed without a decision: discussion list first, in speaking
    order, then the cases til orientering, each of those with the pathway's proposal."""
    conference = _conference(session, conference_id)
    decided = (
        select(Conclusion.agenda_item_id)
        .where(Conclusion.decision != "")
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            AgendaItem.id, AgendaItem.patient_id, Patient.first_name, Patient.last_name,
            AgendaItem.list, AgendaItem.status, AgendaItem.reason_text,
        )
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .where(
            AgendaItem.conference_id == conference_id,
            AgendaItem.status.in_(UNDECIDED),
            AgendaItem.id.not_in(decided),
        )
        .order_by(AgendaItem.list, AgendaItem.position, AgendaItem.id)
    ).all()
    informed = [r.patient_id for r in rows if r.list == AgendaList.INFORMATION]
    facts = courses(session, informed, conference.date) if informed else {}
    result = [
        OpenDecision(
            item_id=r.id,
            patient_id=r.patient_id,
            patient_name=f"{r.first_name} {r.last_name}",
            list=AgendaList(r.list).value,
            status=AgendaStatus(r.status).value,
            reason_text=r.reason_text or "",
            proposal=rules.propose(facts[r.patient_id].events, conference.date)
            if r.patient_id in facts else None,
        )
        for r in rows
    ]
    return sorted(result, key=lambda d: d.for_information)  # discussion first


def _open_for_write(session: Session, item_id: int) -> tuple[AgendaItem, Conference]:
    item, conference = item_for_write(session, item_id)
    if conference.signed_off_at is not None:
        raise InvalidInput(
            "Konferencen er underskrevet. En konklusion kan nu kun ændres med en rettelse."
        )
    return item, conference


def confirm_proposals(
    session: Session, actor: Staff, conference_id: int, item_ids: list[int]
) -> int:
    """Record the pathway's proposal as the conclusion of each case til orientering in
    `item_ids`, with its next step (owner and deadline), and mark the case handled. A case
    decided meanwhile by someone else is left as they decided it. Returns how many were
    confirmed; a case not on the list til orientering is refused (nothing is written)."""
    open_now = {d.item_id: d for d in open_decisions(session, conference_id)}
    confirmed = 0
    for item_id in dict.fromkeys(item_ids):
        authorize_case(session, actor, Action.RECORD_MINUTES, item_id)
        item, _ = _open_for_write(session, item_id)
        if item.conference_id != conference_id:
            raise InvalidInput("Sagen hører ikke til denne konference.")
        if item.list != AgendaList.INFORMATION:
            raise InvalidInput(
                "Kun sager til orientering kan bekræftes med forslaget; skriv konklusionen "
                "for en sag til drøftelse."
            )
        case = open_now.get(item_id)
        if case is None or case.proposal is None:
            continue  # decided meanwhile (or set aside): theirs stands
        _record(session, actor, item, case.proposal)
        confirmed += 1
    return confirmed


def _record(
    session: Session, actor: Staff, item: AgendaItem, proposal: rules.ProposedConclusion
) -> None:
    conclusion = draft_conclusion(session, actor, item)
    session.flush()
    before = audit.snapshot(conclusion)
    conclusion.decision = proposal.decision
    conclusion.decision_text = conclusion.decision_text or proposal.text
    conclusion.history_sketch = conclusion.history_sketch or item.reason_text
    conclusion.recorded_by_id = actor.id
    conclusion.recorded_at = utcnow()
    session.flush()
    audit.record(session, actor, "update", conclusion, before=before, patient_id=item.patient_id)
    if proposal.follow_up is not None:
        add_action(
            session, actor, item.id,
            intervention_code=proposal.follow_up.intervention,
            description=proposal.follow_up.description,
            owner_role=proposal.follow_up.owner_role,
            due_date=proposal.due,
        )
    if item.status != AgendaStatus.DISCUSSED:
        before = audit.snapshot(item)
        item.status = AgendaStatus.DISCUSSED
        session.flush()
        audit.record(session, actor, "update", item, before=before)


def carry_over(session: Session, actor: Staff, item_id: int, reason: str) -> AgendaItem:
    """The case is not decided at this conference: it goes on the next one's agenda (as not
    reached), with the reason in the minutes."""
    authorize_case(session, actor, Action.RECORD_MINUTES, item_id)
    reason = clean(reason, "Begrundelsen") or ""
    if len(reason) < REASON_MIN:
        raise InvalidInput("Skriv en begrundelse for at overføre sagen til næste konference.")
    item, conference = _open_for_write(session, item_id)
    if item.status not in UNDECIDED:
        raise InvalidInput("Sagen er allerede udsat, overført eller fjernet.")
    before = audit.snapshot(item)
    item.status = AgendaStatus.NOT_REACHED
    item.status_reason = reason
    if conference.current_item_id == item.id:
        conference.current_item_id = None
    stop_clock(item, utcnow())
    session.flush()
    audit.record(session, actor, "update", item, before=before)
    return item


def assert_all_decided(session: Session, conference_id: int) -> None:
    missing = open_decisions(session, conference_id)
    if missing:
        names = ", ".join(
            d.patient_name + (" (til orientering)" if d.for_information else "")
            for d in missing
        )
        raise InvalidInput(
            "Konferencen kan ikke underskrives: hver sag skal have en beslutning. Mangler: "
            f"{names}. Bekræft forslaget, skriv en konklusion, eller overfør sagen til næste "
            "konference med en begrundelse."
        )

