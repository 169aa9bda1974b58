"""The referent's services on both databases: drafts with version checks, next steps through
their life cycle (and the patient's course), sign-off, amendments, the follow-through reads,
the minutes and the meeting numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from conference import minutes as text
from conference.services import actions, minutes
from conference.services.errors import InvalidInput
from db.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaList,
    AgendaSource,
    AgendaStatus,
    AuditLog,
    Conclusion,
    ConclusionAmendment,
    Conference,
    ConferenceStatus,
    CourseEvent,
    CourseStatus,
    Enrolment,
    GroupFlag,
    Profession,
    utcnow,
)
from db.statements import count_statements
from tests import factories as f

DAY = dt.date(2026, 11, 25)
TODAY = DAY


def item(db, meeting: Conference, who, *, which=AgendaList.DISCUSSION, position=1,
         status=AgendaStatus.PLANNED, budget=600, used=None) -> AgendaItem:
    row = AgendaItem(
        conference_id=meeting.id, patient_id=who.id, list=which, source=AgendaSource.DUE_RULE,
        reason="anden_opfoelgning", status=status, position=position,
        time_budget_seconds=budget, seconds_used=used,
    )
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def world(db):
    """A running conference with two cases; a referent, a PAL-læge, a nurse, a physiotherapist."""
    referent = f.staff(db, "Rikke Referent", Profession.SYGEPLEJERSKE)
    pal = f.staff(db, "Lise Læge")
    nurse = f.staff(db, "Sara Sygeplejerske", Profession.SYGEPLEJERSKE)
    physio = f.staff(db, "Frank Fysioterapeut", Profession.FYSIOTERAPEUT)
    meeting = f.conference(db, DAY, ConferenceStatus.RUNNING)
    anna = f.patient(db, "Anna", pal=pal, nurse=nurse)
    bo = f.patient(db, "Bo", pal=pal, nurse=nurse)
    first = item(db, meeting, anna, position=1)
    second = item(db, meeting, bo, position=2)
    return {
        "db": db, "referent": referent, "pal": pal, "nurse": nurse, "physio": physio,
        "meeting": meeting, "anna": anna, "bo": bo, "first": first, "second": second,
    }


def save(db, actor, item_id, version, **values):
    fields = {"history_sketch": "Skitse", "decision": "cft", "decision_text": None} | values
    return minutes.save_conclusion(db, actor, item_id, version=version, **fields)


def audit_rows(db, entity: str) -> list[AuditLog]:
    return list(db.scalars(
        select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)
    ))


# --------------------------------------------------------------------------- drafts


def test_a_draft_is_saved_as_typed_and_audited_with_the_acting_user(world) -> None:
    db, referent = world["db"], world["referent"]
    first = save(db, referent, world["first"].id, None, decision="")
    assert first.version == 1 and first.decision == ""
    second = save(db, referent, world["first"].id, 1, decision="cft", decision_text="Efter MBSR")
    assert second.version == 2
    rows = audit_rows(db, "conclusion")
    assert [r.action for r in rows] == ["create", "update"]
    assert all(r.actor_id == referent.id and r.patient_id == world["anna"].id for r in rows)
    assert rows[1].before["decision"] == "" and rows[1].after["decision"] == "cft"


def test_two_people_saving_from_the_same_version_cannot_both_win(world) -> None:
    db, referent, pal = world["db"], world["referent"], world["pal"]
    save(db, referent, world["first"].id, None, history_sketch="Fælles start")
    save(db, pal, world["first"].id, 1, history_sketch="Lægens udgave")  # saved first
    with pytest.raises(actions.Conflict) as caught:
        save(db, referent, world["first"].id, 1, history_sketch="Referentens udgave")
    conflict = caught.value
    assert conflict.theirs["history_sketch"] == "Lægens udgave"
    assert conflict.theirs["version"] == 2 and conflict.theirs["by"] == pal.name
    assert conflict.mine["history_sketch"] == "Referentens udgave"
    assert pal.name in str(conflict)
    stored = db.scalar(select(Conclusion).where(Conclusion.agenda_item_id == world["first"].id))
    assert stored.history_sketch == "Lægens udgave" and stored.version == 2


def test_a_step_added_before_the_conclusion_makes_an_empty_draft_the_form_may_fill(world):
    db, referent = world["db"], world["referent"]
    actions.add_action(db, referent, world["first"].id, description="Ring til patienten",
                       owner_role="kontaktsygeplejerske", due_date=DAY + dt.timedelta(days=7))
    saved = save(db, referent, world["first"].id, None, decision="medicin")  # form had none
    assert saved.decision == "medicin"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"owner_role": None}, "ansvarlig"),
        ({"due_date": None}, "frist"),
        ({"due_date": DAY - dt.timedelta(days=1)}, "før konferencen"),
        ({"description": "", "intervention_code": None}, "hvad der skal ske"),
        ({"intervention_code": "findes_ikke"}, "Ukendt indsats"),
        ({"owner_role": "chef"}, "Ukendt rolle"),
    ],
)
def test_a_step_needs_what_who_and_a_due_date_and_writes_nothing_without(world, changes,
                                                                         message) -> None:
    db = world["db"]
    values = {"description": "Book samtale", "owner_role": "pal_laege",
              "due_date": DAY + dt.timedelta(days=7)} | changes
    with pytest.raises(InvalidInput, match=message):
        actions.add_action(db, world["referent"], world["first"].id, **values)
    assert db.scalar(select(func.count(ActionItem.id))) == 0
    assert audit_rows(db, "action_item") == []


# --------------------------------------------------------------------------- life cycle


def test_booking_a_conversation_plans_it_on_the_course_and_done_counts_on_time(world) -> None:
    db, referent, physio = world["db"], world["referent"], world["physio"]
    step = actions.add_action(db, referent, world["first"].id, intervention_code="cft",
                              owner_id=physio.id, due_date=DAY + dt.timedelta(days=14))
    assert step.description == "Kognitiv funktionel terapi (CFT)"

    booked = actions.set_action_status(db, physio, step.id, ActionStatus.BOOKED, today=TODAY,
                                       version=step.version, booked_date=DAY + dt.timedelta(10))
    assert "forløb" in booked.course_note
    event = db.get(CourseEvent, step.course_event_id)
    assert event.status == CourseStatus.PLANNED and event.patient_id == world["anna"].id
    assert event.planned_date == DAY + dt.timedelta(days=10) and event.staff_id == physio.id

    done = actions.set_action_status(db, physio, step.id, ActionStatus.DONE,
                                     today=DAY + dt.timedelta(days=12), version=step.version)
    assert done.action.completed_on == DAY + dt.timedelta(days=12)
    assert db.scalar(select(func.count(CourseEvent.id)).where(
        CourseEvent.patient_id == world["anna"].id)) == 1  # booking twice adds nothing
    changes = [r for r in audit_rows(db, "action_item") if r.action == "update"]
    assert [r.after["status"] for r in changes] == ["booket", "udfoert"]
    assert {r.actor_id for r in changes} == {physio.id}

    (stats,) = minutes.meeting_stats(db, DAY + dt.timedelta(days=30), [world["meeting"].id])
    assert (stats.actions, stats.actions_due, stats.done_on_time, stats.done_late) == (1, 1, 1, 0)


def test_a_stale_status_click_is_refused_and_shows_the_newer_state(world) -> None:
    db, referent = world["db"], world["referent"]
    step = actions.add_action(db, referent, world["first"].id, description="Send epikrise",
                              owner_role="pal_laege", due_date=DAY + dt.timedelta(days=7))
    version = step.version
    actions.set_action_status(db, referent, step.id, ActionStatus.DONE, today=TODAY,
                              version=version)
    with pytest.raises(actions.Conflict) as caught:
        actions.set_action_status(db, world["pal"], step.id, ActionStatus.CANCELLED,
                                  today=TODAY, version=version)
    assert caught.value.theirs["status"] == "udfoert"
    assert db.get(ActionItem, step.id).status == ActionStatus.DONE


def test_booking_a_group_enrols_on_the_next_group_with_room_and_cancel_undoes_it(world):
    db, referent = world["db"], world["referent"]
    start = DAY + dt.timedelta(days=14)
    full = f.group(db, "terapihold", [start], name="Terapihold – fuldt")
    full.capacity = 1
    f.enrol(db, full, world["bo"], [])
    later = f.group(db, "terapihold", [start + dt.timedelta(days=7)], name="Terapihold – ledigt")
    step = actions.add_action(db, referent, world["first"].id, intervention_code="terapihold",
                              owner_role="psykolog", due_date=DAY + dt.timedelta(days=21))

    change = actions.set_action_status(db, referent, step.id, ActionStatus.BOOKED, today=TODAY)

    assert "Terapihold – ledigt" in change.course_note
    enrolment = db.scalar(select(Enrolment).where(Enrolment.patient_id == world["anna"].id))
    assert enrolment.group_id == later.id
    event = db.get(CourseEvent, step.course_event_id)
    assert event.group_id == later.id and event.status == CourseStatus.PLANNED

    actions.set_action_status(db, referent, step.id, ActionStatus.CANCELLED, today=TODAY)
    assert db.get(CourseEvent, event.id).status == CourseStatus.CANCELLED
    assert db.get(Enrolment, enrolment.id).status.value == "udgaaet"


def test_booking_a_group_without_room_plans_it_without_a_group_and_says_so(world) -> None:
    db, referent = world["db"], world["referent"]
    step = actions.add_action(db, referent, world["first"].id,
                              intervention_code="nedtrapningshold", owner_role="sygeplejerske",
                              due_date=DAY + dt.timedelta(days=21))
    change = actions.set_action_status(db, referent, step.id, ActionStatus.BOOKED, today=TODAY)
    assert "intet kommende hold" in change.course_note
    event = db.get(CourseEvent, step.course_event_id)
    assert event.group_id is None and event.status == CourseStatus.PLANNED


def test_a_mistyped_step_can_be_removed_while_open_but_not_after_sign_off(world) -> None:
    db, referent = world["db"], world["referent"]
    wrong = actions.add_action(db, referent, world["first"].id, description="Forkert",
                               owner_role="pal_laege", due_date=DAY + dt.timedelta(days=7))
    actions.delete_action(db, referent, wrong.id, version=wrong.version)
    assert db.get(ActionItem, wrong.id) is None
    assert [r.action for r in audit_rows(db, "action_item")] == ["create", "delete"]
    kept = actions.add_action(db, referent, world["first"].id, description="Rigtig",
                              owner_role="pal_laege", due_date=DAY + dt.timedelta(days=7))
    save(db, referent, world["first"].id, 1)
    minutes.sign_off(db, referent, world["meeting"].id)
    with pytest.raises(InvalidInput, match="annullér"):
        actions.delete_action(db, referent, kept.id, version=kept.version)


# --------------------------------------------------------------------------- sign-off


def test_sign_off_refuses_while_a_discussed_case_lacks_a_decision(world) -> None:
    db, referent = world["db"], world["referent"]
    world["second"].seconds_used = 300  # the board timed it: discussed
    save(db, referent, world["first"].id, None)
    with pytest.raises(InvalidInput, match=world["bo"].full_name):
        minutes.sign_off(db, referent, world["meeting"].id)


def test_sign_off_closes_the_meeting_and_hands_on_what_was_not_reached(world) -> None:
    db, referent = world["db"], world["referent"]
    flag = GroupFlag(group_id=f.group(db, "mindfulness", [DAY - dt.timedelta(days=7), DAY]).id,
                     patient_id=world["anna"].id, note="Træt", created_by_id=world["nurse"].id)
    db.add(flag)
    save(db, referent, world["first"].id, None)  # decided, although the board never timed it

    meeting = minutes.sign_off(db, referent, world["meeting"].id)

    assert meeting.status == ConferenceStatus.CLOSED and meeting.signed_off_by_id == referent.id
    assert meeting.signed_off_at is not None and meeting.ended_at is not None
    assert db.get(AgendaItem, world["first"].id).status == AgendaStatus.DISCUSSED
    assert db.get(AgendaItem, world["second"].id).status == AgendaStatus.NOT_REACHED
    assert flag.handled_conference_id == meeting.id
    with pytest.raises(InvalidInput, match="rettelse"):
        save(db, referent, world["first"].id, 1, decision="terapihold")
    with pytest.raises(InvalidInput, match="allerede"):
        minutes.sign_off(db, referent, world["meeting"].id)
    data = minutes.minutes_data(db, meeting.id, TODAY)
    assert [n.note for n in data.group_notes] == ["Træt"]  # kept in the minutes once handled


def test_a_flag_raised_after_the_meeting_waits_for_the_next_conference(world) -> None:
    db, referent = world["db"], world["referent"]
    group = f.group(db, "mindfulness", [DAY - dt.timedelta(days=7), DAY])
    brought = GroupFlag(group_id=group.id, patient_id=world["anna"].id, note="Træt",
                        created_by_id=world["nurse"].id)
    db.add(brought)
    db.flush()
    world["meeting"].ended_at = utcnow()  # the meeting ends; the referent signs off later
    world["second"].status = AgendaStatus.NOT_REACHED  # as ending the meeting marks it
    db.flush()
    later = GroupFlag(group_id=group.id, patient_id=None, note="Lokalet er for lille",
                      created_by_id=world["nurse"].id,
                      created_at=utcnow() + dt.timedelta(minutes=30))
    db.add(later)
    save(db, referent, world["first"].id, None)

    meeting = minutes.sign_off(db, referent, world["meeting"].id)

    assert brought.handled_conference_id == meeting.id
    assert later.handled_at is None and later.handled_conference_id is None


def test_an_amendment_keeps_the_original_with_who_when_and_why(world) -> None:
    db, referent, pal = world["db"], world["referent"], world["pal"]
    conclusion = save(db, referent, world["first"].id, None, decision_text="Efter Mindfulness")
    minutes.sign_off(db, referent, world["meeting"].id)

    with pytest.raises(InvalidInput, match="hvorfor"):
        minutes.amend_conclusion(db, pal, conclusion.id, history_sketch="Skitse",
                                 decision="medicin", decision_text=None, reason=" ",
                                 version=conclusion.version)
    amendment = minutes.amend_conclusion(
        db, pal, conclusion.id, history_sketch="Skitse", decision="medicin",
        decision_text="Medicinsamtale først", reason="Ny oplysning fra egen læge",
        version=conclusion.version,
    )

    assert amendment.before == {"decision": "cft", "decision_text": "Efter Mindfulness"}
    assert amendment.after == {"decision": "medicin", "decision_text": "Medicinsamtale først"}
    assert amendment.amended_by_id == pal.id and amendment.amended_at is not None
    note = minutes.journal_note(db, world["first"].id)
    assert "Konklusion:\nMedicinsamtale / medicinjustering. Medicinsamtale først" in note
    assert f"af {pal.name}: Ny oplysning fra egen læge" in note
    assert "Oprindelig konklusion: Kognitiv funktionel terapi (CFT). Efter Mindfulness" in note
    with pytest.raises(actions.Conflict):
        minutes.amend_conclusion(db, referent, conclusion.id, history_sketch="Skitse",
                                 decision="terapihold", decision_text=None, reason="Igen",
                                 version=1)


def test_after_sign_off_a_new_step_needs_a_reason_and_is_kept_as_an_amendment(world) -> None:
    db, referent = world["db"], world["referent"]
    save(db, referent, world["first"].id, None)
    minutes.sign_off(db, referent, world["meeting"].id)
    values = {"description": "Statusattest", "owner_role": "pal_laege",
              "due_date": DAY + dt.timedelta(days=28)}
    with pytest.raises(InvalidInput, match="begrundelse"):
        actions.add_action(db, referent, world["first"].id, **values)
    actions.add_action(db, referent, world["first"].id, amendment_reason="Glemt på mødet",
                       **values)
    (amendment,) = db.scalars(select(ConclusionAmendment)).all()
    assert amendment.reason == "Glemt på mødet" and "Statusattest" in amendment.after["plan"]


# --------------------------------------------------------------------------- follow-through


def test_open_steps_per_patient_for_the_next_conference(world) -> None:
    db, referent = world["db"], world["referent"]
    due = DAY + dt.timedelta(days=7)
    for description in ("Book CFT", "Send epikrise"):
        actions.add_action(db, referent, world["first"].id, description=description,
                           owner_role="pal_laege", due_date=due)
    done = actions.add_action(db, referent, world["second"].id, description="Færdig",
                              owner_role="pal_laege", due_date=due)
    actions.set_action_status(db, referent, done.id, ActionStatus.DONE, today=TODAY)

    found = actions.open_actions_for_patients(db, [world["anna"].id, world["bo"].id])
    assert list(found) == [world["anna"].id]
    (first, second) = found[world["anna"].id]
    assert [first.description, second.description] == ["Book CFT", "Send epikrise"]
    assert first.owner == f"PAL-læge {world['pal'].name}" and first.due_date == due
    assert first.conference_date == DAY and first.status == "aaben"
    assert actions.open_actions_for_patients(db, [world["anna"].id], before=DAY) == {}
    later = actions.open_actions_for_patients(db, [world["anna"].id], before=DAY + dt.timedelta(7))
    assert len(later[world["anna"].id]) == 2


def test_mine_are_named_ones_my_patients_roles_and_my_profession(world) -> None:
    db, referent, pal, physio = world["db"], world["referent"], world["pal"], world["physio"]
    due = DAY + dt.timedelta(days=7)
    add = actions.add_action
    add(db, referent, world["first"].id, description="Rolle", owner_role="pal_laege",
        due_date=due)
    add(db, referent, world["first"].id, description="Navngivet", owner_id=physio.id,
        due_date=due)
    add(db, referent, world["first"].id, description="Faggruppe", owner_role="fysioterapeut",
        due_date=due)
    steps = actions.open_actions(db)
    for who, expected in ((pal, {"Rolle"}), (physio, {"Navngivet", "Faggruppe"})):
        chosen = actions.filter_actions(
            steps, actions.FollowUpFilter(mine_for=(who.id, who.profession.value)), TODAY
        )
        assert {s.description for s in chosen} == expected
    late = actions.filter_actions(steps, actions.FollowUpFilter(overdue_only=True),
                                  due + dt.timedelta(days=1))
    assert len(late) == 3
    by_cpr = actions.filter_actions(
        steps, actions.FollowUpFilter(patient=world["anna"].cpr[:6]), TODAY
    )
    assert len(by_cpr) == 3


def test_reads_use_a_fixed_number_of_statements_whatever_the_number_of_cases(world) -> None:
    db, referent = world["db"], world["referent"]
    meeting = world["meeting"]

    def add_cases(n: int, start: int) -> list[int]:
        patients = []
        for k in range(n):
            who = f.patient(db)
            case = item(db, meeting, who, position=start + k)
            save(db, referent, case.id, None)
            actions.add_action(db, referent, case.id, description="Trin", owner_role="pal_laege",
                               due_date=DAY + dt.timedelta(days=7))
            patients.append(who.id)
        return patients

    def statements(patients: list[int]) -> tuple[int, int, int]:
        counts = []
        for call in (lambda: minutes.minutes_data(db, meeting.id, TODAY),
                     lambda: actions.open_actions_for_patients(db, patients),
                     lambda: actions.open_actions(db)):
            db.expire_all()
            with count_statements() as counter:
                call()
            counts.append(counter.count)
        return tuple(counts)

    few = statements(add_cases(2, 10))
    assert statements(add_cases(15, 20)) == few


def test_meeting_numbers_count_discussed_carried_over_and_time_against_budget(db) -> None:
    referent = f.staff(db)
    meeting = f.conference(db, DAY)
    meeting.started_at = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    item(db, meeting, f.patient(db), status=AgendaStatus.DISCUSSED, used=900, budget=600)
    item(db, meeting, f.patient(db), status=AgendaStatus.DISCUSSED, used=300, budget=600)
    item(db, meeting, f.patient(db), status=AgendaStatus.NOT_REACHED)
    item(db, meeting, f.patient(db), status=AgendaStatus.POSTPONED)
    item(db, meeting, f.patient(db), which=AgendaList.INFORMATION,
         status=AgendaStatus.DISCUSSED, used=60, budget=180)
    item(db, meeting, f.patient(db), status=AgendaStatus.REMOVED)
    (stats,) = minutes.meeting_stats(db, TODAY)
    assert (stats.cases_on_agenda, stats.discussed, stats.carried_over, stats.information) == (
        4, 2, 2, 1)
    assert (stats.seconds_used, stats.budget_seconds, stats.over_budget) == (1200, 1200, 1)
    assert stats.minutes_per_case == 10
    assert referent.id  # the numbers need no writes


def test_the_minutes_document_carries_cases_plan_and_attendance(world) -> None:
    db, referent = world["db"], world["referent"]
    save(db, referent, world["first"].id, None, decision_text="Efter Mindfulness")
    actions.add_action(db, referent, world["first"].id, intervention_code="cft",
                       owner_role="fysioterapeut", due_date=DAY + dt.timedelta(days=14))
    minutes.sign_off(db, referent, world["meeting"].id)
    doc = minutes.conference_minutes(db, world["meeting"].id, TODAY)
    body = text.minutes_text(doc)
    assert doc.subtitle.startswith("Onsdag den 25. november 2026")
    assert f"{world['anna'].full_name} (" in body
    assert "Kognitiv funktionel terapi (CFT) | fysioterapeut | 09.12.2026 | Åben" in body
    assert f"{world['bo'].full_name}" in body and "overføres til næste konference" in body
    assert f"Underskrevet | {referent.name}, " in body


def test_the_minutes_say_a_flagged_patient_dropped_out_before_and_after_sign_off(world) -> None:
    """Seed 3.10: problems that arose during the course; the minutes keep that the patient left
    the group, not only the name."""
    from db.models import AttendanceStatus, EnrolmentStatus

    db, referent = world["db"], world["referent"]
    group = f.group(db, "mindfulness", [DAY - dt.timedelta(days=7), DAY])
    enrolment = f.enrol(db, group, world["anna"], [AttendanceStatus.NO_SHOW])
    enrolment.status = EnrolmentStatus.DROPPED_OUT
    db.add(GroupFlag(group_id=group.id, patient_id=world["anna"].id, note="Stoppede",
                     created_by_id=world["nurse"].id))
    db.flush()
    expected = f"{world['anna'].full_name} (udgået af holdet)"

    before = minutes.minutes_data(db, world["meeting"].id, TODAY)
    assert [n.patient for n in before.group_notes] == [expected]
    save(db, referent, world["first"].id, None)
    world["second"].status = AgendaStatus.NOT_REACHED
    minutes.sign_off(db, referent, world["meeting"].id)
    after = minutes.minutes_data(db, world["meeting"].id, TODAY)
    assert [n.patient for n in after.group_notes] == [expected]
