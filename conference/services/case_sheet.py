"""One case as the room sees it: the prepared presentation, PRO, team notes and the group
therapists' notes. Used by the projected board (one case at a time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.cpr import age_on
from conference.services.errors import NotFound
from conference.services.patients import ProPoint, pro_points
from db.models import (
    AgendaItem,
    CasePresentation,
    GroupFlag,
    Patient,
    PresentationTemplate,
    Staff,
    TeamNote,
    TherapyGroup,
)


@dataclass(frozen=True)
class Note:
    author: str
    written: dt.date
    text: str
    context: str = ""


@dataclass(frozen=True)
class CaseSheet:
    item_id: int
    patient_id: int
    first_name: str
    last_name: str
    age: int
    sex: str
    presenter: str
    fields: list[tuple[str, str]]  # (label, text) in template order; empty text = not filled
    ready: bool
    pro: list[ProPoint]
    team_notes: list[Note]
    group_notes: list[Note]


def case_sheet(session: Session, item_id: int, today: dt.date) -> CaseSheet:
    row = session.execute(
        select(AgendaItem, Patient)
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .where(AgendaItem.id == item_id)
    ).one_or_none()
    if row is None:
        raise NotFound("Sagen findes ikke.")
    item, patient = row
    # The presentation with its template's fields and the presenter's name, in one statement
    # (none if the case has not been prepared).
    found = session.execute(
        select(CasePresentation.fields, CasePresentation.ready_at, PresentationTemplate.fields,
               Staff.name)
        .outerjoin(PresentationTemplate,
                   PresentationTemplate.id == CasePresentation.template_id)
        .outerjoin(Staff, Staff.id == CasePresentation.presented_by_id)
        .where(CasePresentation.agenda_item_id == item_id)
    ).one_or_none()
    fields: list[tuple[str, str]] = []
    presenter = ""
    ready_at = None
    if found is not None:
        texts, ready_at, template_fields, presenter_name = found
        texts = texts or {}
        for field in template_fields or []:
            fields.append((field["label"], (texts.get(field["key"]) or "").strip()))
        presenter = presenter_name or ""
    team = session.execute(
        select(TeamNote.text, TeamNote.updated_at, Staff.name)
        .join(Staff, Staff.id == TeamNote.author_id)
        .where(TeamNote.patient_id == patient.id)
        .order_by(TeamNote.updated_at.desc())
        .limit(10)
    ).all()
    groups = session.execute(
        select(GroupFlag.note, GroupFlag.created_at, Staff.name, TherapyGroup.name)
        .join(Staff, Staff.id == GroupFlag.created_by_id)
        .join(TherapyGroup, TherapyGroup.id == GroupFlag.group_id)
        .where(GroupFlag.patient_id == patient.id, GroupFlag.handled_at.is_(None))
        .order_by(GroupFlag.created_at.desc())
    ).all()
    return CaseSheet(
        item_id=item.id,
        patient_id=patient.id,
        first_name=patient.first_name,
        last_name=patient.last_name,
        age=age_on(patient.birth_date, today),
        sex=patient.sex.value,
        presenter=presenter,
        fields=fields,
        ready=ready_at is not None,
        pro=pro_points(session, patient.id),
        team_notes=[Note(name, at.date(), text) for text, at, name in team],
        group_notes=[Note(name, at.date(), note, group) for note, at, name, group in groups],
    )
