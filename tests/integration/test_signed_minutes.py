"""Signed minutes are closed (issue 13), on both databases: after sign-off a conclusion, a next
step's text, owner or date changes only through an amendment with a real reason that keeps the
original; a step's status still moves, as follow-up, without one."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conference import minutes as text
from conference.services import actions, minutes
from conference.services.access import PermissionDenied
from conference.services.actions import check_amendment_reason
from conference.services.errors import InvalidInput
from db.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaList,
    AgendaSource,
    AgendaStatus,
    AuditLog,
    ConclusionAmendment,
    ConferenceStatus,
    Profession,
    Role,
)
from tests import factories as f

DAY = dt.date(2026, 11, 25)
TODAY = DAY + dt.timedelta(days=2)
REASON = "Fristen blev noteret forkert på mødet"


@pytest.fixture
def signed(db):
    """A signed-off conference: Anna's case concluded with one next step, the PAL-læge owning."""
    referent = f.staff(db, "Rikke Referent", Profession.SYGEPLEJERSKE,
                       roles=(Role.REFERENT, Role.BEHANDLER))
    leader = f.staff(db, "Mads Mødeleder", roles=(Role.MOEDELEDER,))
    pal = f.staff(db, "Lise Læge", roles=(Role.BEHANDLER,))
    physio = f.staff(db, "Frank Fysioterapeut", Profession.FYSIOTERAPEUT,
                     roles=(Role.BEHANDLER,))
    meeting = f.conference(db, DAY, ConferenceStatus.RUNNING)
    anna = f.patient(db, "Anna", pal=pal)
    case = AgendaItem(
        conference_id=meeting.id, patient_id=anna.id, list=AgendaList.DISCUSSION,
        source=AgendaSource.DUE_RULE, reason="anden_opfoelgning", status=AgendaStatus.PLANNED,
        position=1, time_budget_seconds=600,
    )
    db.add(case)
    db.flush()
    conclusion = minutes.save_conclusion(
        db, referent, case.id, version=None, history_sketch="Skitse", decision="cft",
        decision_text="Efter Mindfulness",
    )
    step = actions.add_action(db, referent, case.id, description="Book CFT",
                              owner_role="pal_laege", due_date=DAY + dt.timedelta(days=14))
    minutes.sign_off(db, referent, meeting.id)
    return {"db": db, "referent": referent, "leader": leader, "pal": pal, "physio": physio,
            "meeting": meeting, "anna": anna, "case": case, "conclusion": conclusion,
            "step": step}


@pytest.mark.parametrize("reason", ["", "   ", ".", "x", "ok", "Rettet.", "1234 5678 90",
                                    "abcdefghijklmnop"])
def test_a_reason_needs_a_few_real_words(reason) -> None:
    with pytest.raises(InvalidInput, match="mindst 2 ord og 10 tegn"):
        check_amendment_reason(reason)


def test_a_reason_of_a_few_words_is_kept_as_typed() -> None:
    assert check_amendment_reason("  Ny oplysning fra egen læge ") == "Ny oplysning fra egen læge"
    assert check_amendment_reason("Forkert frist") == "Forkert frist"


@pytest.mark.parametrize("reason", [".", " ", "Fejl"])
def test_an_amendment_of_the_conclusion_refuses_a_token_reason(signed, reason) -> None:
    db, conclusion = signed["db"], signed["conclusion"]
    with pytest.raises(InvalidInput, match="begrundelse på mindst 2 ord"):
        minutes.amend_conclusion(
            db, signed["referent"], conclusion.id, history_sketch="Skitse", decision="medicin",
            decision_text=None, reason=reason, version=conclusion.version,
        )
    assert db.scalars(select(ConclusionAmendment)).all() == []
    assert conclusion.decision == "cft"


def test_after_sign_off_a_step_changes_only_as_an_amendment_that_keeps_the_original(signed):
    db, referent, step = signed["db"], signed["referent"], signed["step"]
    later = DAY + dt.timedelta(days=28)
    # no reason, or a token one: refused, nothing changed
    for reason in (None, ".", "   "):
        with pytest.raises(InvalidInput, match="Referatet er underskrevet"):
            actions.edit_action(db, referent, step.id, version=step.version,
                                description="Book CFT og medicinsamtale", due_date=later,
                                amendment_reason=reason)
    assert step.description == "Book CFT" and step.due_date == DAY + dt.timedelta(days=14)
    original = text.plan_line_text(text.PlanLine(
        "Book CFT", f"PAL-læge {signed['pal'].name}", DAY + dt.timedelta(days=14)))

    actions.edit_action(db, referent, step.id, version=step.version,
                        description="Book CFT og medicinsamtale", owner_id=signed["physio"].id,
                        due_date=later, amendment_reason=REASON)

    (amendment,) = db.scalars(select(ConclusionAmendment)).all()
    assert amendment.reason == REASON and amendment.amended_by_id == referent.id
    assert amendment.before == {"step": original, "action_item_id": step.id}
    assert amendment.after["step"].startswith("Book CFT og medicinsamtale. Ansvarlig: ")
    assert signed["physio"].name in amendment.after["step"]
    assert "Frist: 23.12.2026." in amendment.after["step"]
    note = minutes.journal_note(db, signed["case"].id)
    assert f"af {referent.name}: {REASON}" in note
    assert f"Oprindeligt næste skridt: {original}" in note
    assert "Ændret til: Book CFT og medicinsamtale." in note
    entities = [row.entity for row in db.scalars(select(AuditLog).order_by(AuditLog.id))][-2:]
    assert entities == ["action_item", "conclusion_amendment"]


def test_before_sign_off_a_step_is_edited_without_an_amendment(db):
    referent = f.staff(db, "Rikke Referent", roles=(Role.REFERENT,))
    meeting = f.conference(db, DAY, ConferenceStatus.RUNNING)
    anna = f.patient(db, "Anna")
    case = AgendaItem(conference_id=meeting.id, patient_id=anna.id, list=AgendaList.DISCUSSION,
                      source=AgendaSource.DUE_RULE, reason="anden_opfoelgning",
                      status=AgendaStatus.PLANNED, position=1)
    db.add(case)
    db.flush()
    step = actions.add_action(db, referent, case.id, description="Book CFT",
                              owner_role="pal_laege", due_date=DAY + dt.timedelta(days=7))
    actions.edit_action(db, referent, step.id, version=step.version, description="Book MBSR")
    assert step.description == "Book MBSR"
    assert db.scalars(select(ConclusionAmendment)).all() == []
    with pytest.raises(InvalidInput, match="ændrer ikke noget"):
        actions.edit_action(db, referent, step.id, version=step.version, description="Book MBSR")


def test_after_sign_off_only_those_who_may_amend_change_a_step(signed) -> None:
    db, step = signed["db"], signed["step"]
    # the mødeleder records minutes but does not amend signed ones
    with pytest.raises(PermissionDenied, match="rette en underskrevet konklusion"):
        actions.edit_action(db, signed["leader"], step.id, version=step.version,
                            description="Book MBSR", amendment_reason=REASON)
    assert step.description == "Book CFT"


def test_a_steps_status_moves_after_sign_off_as_follow_up_not_an_amendment(signed) -> None:
    db, step = signed["db"], signed["step"]
    change = actions.set_action_status(db, signed["pal"], step.id, ActionStatus.BOOKED,
                                       today=TODAY, version=step.version)
    assert change.action.status == ActionStatus.BOOKED
    actions.set_action_status(db, signed["pal"], step.id, ActionStatus.DONE, today=TODAY)
    stored = db.get(ActionItem, step.id)
    assert stored.status == ActionStatus.DONE and stored.completed_on == TODAY
    assert stored.description == "Book CFT"
    assert db.scalars(select(ConclusionAmendment)).all() == []
    document = minutes.conference_minutes(db, signed["meeting"].id, TODAY)
    (plan,) = [b for b in document.blocks
               if isinstance(b, text.Table) and b.header[0] == "Næste skridt"]
    assert plan.header[-1] == "Opfølgning"
    assert plan.rows[0][0] == "Book CFT" and plan.rows[0][-1] == "Udført"
    assert not any(isinstance(b, text.Paragraph) and b.label == "Rettelse"
                   for b in document.blocks)
