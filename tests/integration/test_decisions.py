"""Every patient leaves the conference with a decision (seed 3.9, 3.10), on a real database.

A case til orientering ("registreres, drøftes ikke") is decided too: the pathway proposes the
conclusion and its next step, the referent confirms; sign-off is refused while any case on
either list has no decision and was not carried over with a reason.
"""

import datetime as dt

import pytest
from sqlalchemy import select

from conference import minutes as text
from conference.services import actions, agenda, decisions, minutes
from conference.services.errors import InvalidInput
from db.models import (
    ActionItem,
    AgendaItem,
    AgendaList,
    AgendaSource,
    AgendaStatus,
    AuditLog,
    Conclusion,
    Conference,
    ConferenceStatus,
    Profession,
    Role,
)
from tests import factories as f

DAY = dt.date(2027, 3, 3)


@pytest.fixture
def world(db):
    """A running conference: one case to discuss, two til orientering after Anden opfølgning."""
    leader = f.staff(db, "Mette Mødeleder", roles=(Role.MOEDELEDER,))
    referent = f.staff(db, "Rikke Referent", Profession.SYGEPLEJERSKE, roles=(Role.REFERENT,))
    pal = f.staff(db, "Lise Læge")
    meeting = f.conference(db, DAY, ConferenceStatus.RUNNING)
    people = {}
    for position, (name, which) in enumerate(
        (("Dorte", AgendaList.DISCUSSION), ("Ib", AgendaList.INFORMATION),
         ("Ulla", AgendaList.INFORMATION)), start=1,
    ):
        patient = f.patient(db, name, pal=pal)
        f.event(db, patient, "anden_opfoelgning", day=DAY - dt.timedelta(days=7))
        item = AgendaItem(
            conference_id=meeting.id, patient_id=patient.id, list=which,
            source=AgendaSource.DUE_RULE, reason="anden_opfoelgning", position=position,
            reason_text="Anden opfølgning gennemført: status og beslutning om videre forløb",
        )
        db.add(item)
        db.flush()
        people[name] = (patient, item)
    return {"db": db, "leader": leader, "referent": referent, "pal": pal, "meeting": meeting,
            **people}


def discuss(world) -> None:
    db, referent = world["db"], world["referent"]
    _, item = world["Dorte"]
    minutes.save_conclusion(db, referent, item.id, history_sketch="Skitse", decision="cft",
                            decision_text=None, version=None)


def test_ending_the_meeting_leaves_cases_til_orientering_waiting_for_a_decision(world):
    """3.9: the status from Anden opfølgning is presented and decided, not just registered."""
    db = world["db"]
    discuss(world)
    agenda.end_meeting(db, world["leader"], world["meeting"].id)

    open_now = decisions.open_decisions(db, world["meeting"].id)
    assert [d.patient_name for d in open_now] == [
        world["Ib"][0].full_name, world["Ulla"][0].full_name
    ]
    assert all(d.for_information and d.status == AgendaStatus.PLANNED.value for d in open_now)
    proposal = open_now[0].proposal
    assert proposal is not None and proposal.decision == "afsluttende_samtale"
    assert proposal.due == DAY + dt.timedelta(days=28)


def test_sign_off_is_refused_while_a_case_til_orientering_has_no_decision(world):
    """3.10: the referent records the conclusion of every case; none leaves without one."""
    db = world["db"]
    discuss(world)
    with pytest.raises(InvalidInput, match=world["Ib"][0].full_name) as refused:
        minutes.sign_off(db, world["referent"], world["meeting"].id)
    assert "til orientering" in str(refused.value)
    assert db.get(Conference, world["meeting"].id).signed_off_at is None


def test_confirming_records_conclusion_step_and_audit_then_sign_off_passes(world):
    """3.9 + 3.11: the standard plan (Afsluttende samtale, PAL-læge, in four weeks) becomes the
    conclusion; its step is in Opfølgning and both are in the minutes."""
    db, referent, meeting = world["db"], world["referent"], world["meeting"]
    discuss(world)
    ib, ib_item = world["Ib"]
    ulla, ulla_item = world["Ulla"]

    assert decisions.confirm_proposals(db, referent, meeting.id, [ib_item.id, ulla_item.id]) == 2

    conclusion = db.scalar(select(Conclusion).where(Conclusion.agenda_item_id == ib_item.id))
    assert conclusion.decision == "afsluttende_samtale"
    assert conclusion.recorded_by_id == referent.id
    assert "Afsluttende samtale" in conclusion.decision_text
    step = db.scalar(select(ActionItem).where(ActionItem.conclusion_id == conclusion.id))
    assert (step.description, step.owner_role, step.due_date) == (
        "Afsluttende samtale", "pal_laege", DAY + dt.timedelta(days=28)
    )
    assert db.get(AgendaItem, ib_item.id).status == AgendaStatus.DISCUSSED
    audited = db.scalars(
        select(AuditLog.entity)
        .where(AuditLog.actor_id == referent.id, AuditLog.patient_id == ib.id)
    ).all()
    assert {"conclusion", "action_item"} <= set(audited)
    assert {ib.id, ulla.id} <= {a.patient_id for a in actions.open_actions(db)}

    minutes.sign_off(db, referent, meeting.id)
    document = text.build_minutes(minutes.minutes_data(db, meeting.id, DAY))
    lines = "\n".join(
        item for block in document.blocks if isinstance(block, text.Bullets)
        for item in block.items
    )
    assert f"{ib.full_name}" in lines and "Konklusion: Afsluttende samtale" in lines
    assert "Frist: 31.03.2027" in lines


def test_confirming_leaves_a_decision_someone_already_recorded_alone(world):
    db, referent, meeting = world["db"], world["referent"], world["meeting"]
    _, item = world["Ib"]
    minutes.save_conclusion(db, referent, item.id, history_sketch=None, decision="medicin",
                            decision_text="Medicinsamtale først", version=None)
    assert decisions.confirm_proposals(db, referent, meeting.id, [item.id]) == 0
    kept = db.scalar(select(Conclusion).where(Conclusion.agenda_item_id == item.id))
    assert kept.decision == "medicin"
    assert not db.scalars(select(ActionItem).where(ActionItem.conclusion_id == kept.id)).all()


def test_a_case_til_droeftelse_cannot_be_confirmed_without_a_conclusion(world):
    db = world["db"]
    _, item = world["Dorte"]
    with pytest.raises(InvalidInput, match="til orientering"):
        decisions.confirm_proposals(db, world["referent"], world["meeting"].id, [item.id])


def test_carrying_over_needs_a_reason_and_the_case_comes_back_on_its_own_list(world):
    """A case not decided is carried over, explicitly and with a reason, to the next agenda."""
    db, referent, meeting = world["db"], world["referent"], world["meeting"]
    discuss(world)
    ib, ib_item = world["Ib"]
    with pytest.raises(InvalidInput, match="begrundelse"):
        decisions.carry_over(db, referent, ib_item.id, " . ")
    decisions.carry_over(db, referent, ib_item.id, "Afventer svar fra egen læge")
    decisions.confirm_proposals(db, referent, meeting.id, [world["Ulla"][1].id])

    minutes.sign_off(db, referent, meeting.id)

    assert db.get(AgendaItem, ib_item.id).status == AgendaStatus.NOT_REACHED
    later = agenda.ensure_conference(db, world["leader"], DAY + dt.timedelta(days=7))
    carried = agenda.pending_proposals(db, later.id, DAY + dt.timedelta(days=1))
    assert [(p.patient_id, p.for_discussion) for p in carried] == [(ib.id, False)]
    document = text.build_minutes(minutes.minutes_data(db, meeting.id, DAY))
    left = [i for b in document.blocks if isinstance(b, text.Bullets) for i in b.items]
    assert any("Afventer svar fra egen læge" in line and "overføres" in line for line in left)


def test_nothing_is_written_after_sign_off(world):
    db, referent, meeting = world["db"], world["referent"], world["meeting"]
    discuss(world)
    decisions.confirm_proposals(db, referent, meeting.id, [world["Ib"][1].id])
    decisions.carry_over(db, referent, world["Ulla"][1].id, "Ikke nået")
    minutes.sign_off(db, referent, meeting.id)
    with pytest.raises(InvalidInput, match="underskrevet"):
        decisions.carry_over(db, referent, world["Dorte"][1].id, "For sent")


def test_a_case_with_a_decision_counts_as_discussed_though_the_board_never_timed_it(world):
    """Ending the meeting never carries over a case whose conclusion is recorded."""
    db = world["db"]
    discuss(world)  # Dorte: decided in Referat, never shown on the board
    agenda.end_meeting(db, world["leader"], world["meeting"].id)
    assert db.get(AgendaItem, world["Dorte"][1].id).status == AgendaStatus.DISCUSSED
