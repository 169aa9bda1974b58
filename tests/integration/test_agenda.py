"""The agenda builder and the leader's board against a real database (SQLite and PostgreSQL)."""

import datetime as dt

import pytest
from sqlalchemy import select

from conference.services import agenda
from conference.services.errors import InvalidInput
from db.models import (
    AgendaItem,
    AgendaList,
    AgendaSource,
    AgendaStatus,
    AuditLog,
    Concern,
    ConferenceStatus,
    CourseStatus,
    Finding,
    PatientStatus,
    Role,
)
from tests import factories as f

DAY = dt.date(2026, 12, 2)


@pytest.fixture
def leader(db):
    return f.staff(db, "Mette Mødeleder", roles=(Role.MOEDELEDER,))


@pytest.fixture
def meeting(db, leader):
    return agenda.ensure_conference(db, leader, DAY)


def on_agenda(db, conference) -> dict[int, AgendaItem]:
    items = db.scalars(select(AgendaItem).where(AgendaItem.conference_id == conference.id))
    return {i.patient_id: i for i in items}


def test_every_due_rule_puts_the_patient_on_the_agenda_with_its_reason(db, leader, meeting):
    """3.9, 3.5, 4.3.1, 4.1.1, 4.2.2, 4.3.2, 3.10: one patient per rule."""
    expected = {}
    p = f.patient(db)
    f.event(db, p, "anden_opfoelgning", day=dt.date(2026, 11, 25))
    expected[p.id] = "anden_opfoelgning"
    p = f.patient(db)
    f.event(db, p, "lang_primaersamtale", finding=Finding.UNCERTAIN_NEED)
    expected[p.id] = "uafklaret_behandlingsbehov"
    p = f.patient(db)
    f.event(db, p, "psykolog_foer", finding=Finding.HEAVY_PSYCH_LOAD)
    expected[p.id] = "svaer_psykisk_belastning"
    p = f.patient(db)
    f.event(db, p, "visitation_socialraadgiver", finding=Finding.SOCIAL_QUESTION)
    expected[p.id] = "socialfagligt_spoergsmaal"
    p = f.patient(db)
    f.event(db, p, "visitation_fysioterapeut", day=dt.date(2026, 8, 1),
            finding=Finding.CFT_SLOW_RESPONDER)
    f.event(db, p, "mindfulness", day=dt.date(2026, 11, 20))
    expected[p.id] = "cft_langsom_responder"
    p = f.patient(db)
    f.event(db, p, "anden_opfoelgning", day=dt.date(2026, 10, 1))
    f.presented(db, f.conference(db, dt.date(2026, 10, 7)), p, "anden_opfoelgning")
    f.event(db, p, "afsluttende_samtale", day=dt.date(2026, 11, 20),
            finding=Finding.PSYCH_BARRIERS)
    expected[p.id] = "psykologiske_barrierer"
    p = f.patient(db)
    db.add(Concern(patient_id=p.id, raised_by_id=leader.id, raised_on=dt.date(2026, 11, 30),
                   note="Tvivl om behandlingsbehov"))
    expected[p.id] = "bekymring"
    not_due = f.patient(db)
    f.event(db, not_due, "livet_med_smerter", CourseStatus.IN_PROGRESS)
    db.flush()

    added = agenda.add_proposals(db, leader, meeting.id, DAY)

    items = on_agenda(db, meeting)
    assert added == len(expected)
    assert {pid: i.reason for pid, i in items.items()} == expected
    assert all(i.source == AgendaSource.DUE_RULE for i in items.values())
    # a routine status (Anden opfølgning alone) is listed for information, the rest discussed
    lists = {i.reason: i.list for i in items.values()}
    assert lists.pop("anden_opfoelgning") == AgendaList.INFORMATION
    assert set(lists.values()) == {AgendaList.DISCUSSION}
    assert not_due.id not in items
    # running it again adds nothing
    assert agenda.add_proposals(db, leader, meeting.id, DAY) == 0


# --------------------------------------------------------------------------- due rules, issue 12
# The last conference discussed these patients on LAST; the case was concluded at 10:15.
LAST = DAY - dt.timedelta(days=7)


@pytest.fixture
def last_conference(db):
    return f.conference(db, LAST)


def _discussed(db, last_conference, reason: str = "manuel"):
    who = f.patient(db)
    item = f.presented(db, last_conference, who, reason)
    f.conclude(db, item, f.danish(LAST, 10, 15))
    return who


def test_concern_raised_on_the_conference_day_after_the_discussion_is_proposed_next_time(
    db, leader, meeting, last_conference
):
    """3.10 (issue 12 a): a concern raised on the day of the last conference counts when
    recorded after the case was concluded there; before, it was discussed; an old row without
    the moment counts as before."""
    after = _discussed(db, last_conference)
    f.concern(db, after, LAST, f.danish(LAST, 13), "Ringede efter konferencen")
    before = _discussed(db, last_conference)
    f.concern(db, before, LAST, f.danish(LAST, 8, 30))
    old_row = _discussed(db, last_conference)
    f.concern(db, old_row, LAST, None)

    agenda.add_proposals(db, leader, meeting.id, DAY)

    items = on_agenda(db, meeting)
    assert set(items) == {after.id}
    assert items[after.id].reason == "bekymring"
    assert "Ringede efter konferencen" in items[after.id].reason_text


def test_anden_opfoelgning_done_on_the_day_of_a_discussion_for_another_reason_is_presented(
    db, leader, meeting, last_conference
):
    """3.9 (issue 12 a): discussed in the morning for a concern; the Anden opfølgning done and
    recorded that afternoon has not been presented: proposed at the next conference."""
    after = _discussed(db, last_conference, "bekymring")
    f.event(db, after, "anden_opfoelgning", day=LAST, recorded_at=f.danish(LAST, 14))
    before = _discussed(db, last_conference, "bekymring")
    f.event(db, before, "anden_opfoelgning", day=LAST, recorded_at=f.danish(LAST, 9))

    agenda.add_proposals(db, leader, meeting.id, DAY)

    items = on_agenda(db, meeting)
    assert set(items) == {after.id}
    assert items[after.id].reason == "anden_opfoelgning"
    assert items[after.id].list == AgendaList.INFORMATION


def test_anden_opfoelgning_planned_ahead_and_marked_done_after_the_discussion_is_presented(
    db, leader, meeting, last_conference
):
    """3.9 (issue 12 a): the usual way -- booked weeks before, marked done on the conference
    day after the case was concluded: changing the row records the moment anew."""
    import time_machine

    who = _discussed(db, last_conference, "bekymring")
    with time_machine.travel(f.danish(LAST - dt.timedelta(days=20), 9), tick=False):
        step = f.event(db, who, "anden_opfoelgning", CourseStatus.PLANNED, LAST)
    assert step.recorded_at == f.danish(LAST - dt.timedelta(days=20), 9)
    with time_machine.travel(f.danish(LAST, 15), tick=False):
        step.status, step.start_date, step.end_date = CourseStatus.DONE, LAST, LAST
        db.flush()
    assert step.recorded_at == f.danish(LAST, 15)

    agenda.add_proposals(db, leader, meeting.id, DAY)

    assert on_agenda(db, meeting)[who.id].reason == "anden_opfoelgning"


@pytest.mark.parametrize(
    ("finding", "section"),
    [
        (Finding.UNCERTAIN_NEED, "3.5"),
        (Finding.HEAVY_PSYCH_LOAD, "4.3.1"),
        (Finding.SOCIAL_QUESTION, "4.1.1"),
    ],
)
def test_a_finding_recorded_on_another_intervention_is_proposed(
    db, leader, meeting, finding, section
):
    """3.5, 4.3.1, 4.1.1 (issue 12 b): a finding counts whichever intervention it is on."""
    who = f.patient(db)
    f.event(db, who, "medicinsamtale", day=dt.date(2026, 11, 20), finding=finding)

    agenda.add_proposals(db, leader, meeting.id, DAY)

    item = on_agenda(db, meeting)[who.id]
    assert item.reason == finding.value, section
    assert item.reason_text.endswith("(registreret ved Medicinsamtale)")
    assert item.list == AgendaList.DISCUSSION


def test_cft_slow_responder_who_dropped_out_of_mindfulness_is_proposed(
    db, leader, meeting, last_conference
):
    """4.2.2 (issue 12 c): the CFT timing is agreed after Afspænding/Mindfulness also when
    the group ended early (udgået) -- once, after that event's date."""
    dropped = f.patient(db)
    f.event(db, dropped, "visitation_fysioterapeut", day=dt.date(2026, 8, 1),
            finding=Finding.CFT_SLOW_RESPONDER)
    f.ended_early(db, dropped, "mindfulness", dt.date(2026, 10, 28), dt.date(2026, 11, 18))
    earlier = _discussed(db, last_conference)  # dropped out before it was last discussed
    f.event(db, earlier, "visitation_fysioterapeut", day=dt.date(2026, 8, 1),
            finding=Finding.CFT_SLOW_RESPONDER)
    f.ended_early(db, earlier, "afspaending", dt.date(2026, 11, 4), dt.date(2026, 11, 11))
    not_slow = f.patient(db)
    f.ended_early(db, not_slow, "mindfulness", dt.date(2026, 11, 4), dt.date(2026, 11, 18))

    agenda.add_proposals(db, leader, meeting.id, DAY)

    items = on_agenda(db, meeting)
    assert set(items) == {dropped.id}
    assert items[dropped.id].reason == "cft_langsom_responder"
    assert items[dropped.id].reason_text.endswith("(udgået af Mindfulness)")


def test_cases_not_reached_are_carried_over_and_marked(db, leader):
    last_week = agenda.ensure_conference(db, leader, DAY - dt.timedelta(days=7))
    reached = f.patient(db, "Reached")
    missed = f.patient(db, "Missed")
    postponed = f.patient(db, "Postponed")
    for p in (reached, missed, postponed):
        agenda.add_case(db, leader, last_week.id, p.id, "Drøftelse ønsket")
    items = on_agenda(db, last_week)
    agenda.go_to(db, leader, last_week.id, items[reached.id].id)
    agenda.set_aside(db, leader, items[postponed.id].id, AgendaStatus.POSTPONED, "Mangler MR")
    not_reached = agenda.end_meeting(db, leader, last_week.id)
    assert not_reached == 1
    assert items[reached.id].status == AgendaStatus.DISCUSSED
    assert items[missed.id].status == AgendaStatus.NOT_REACHED

    meeting = agenda.ensure_conference(db, leader, DAY)
    agenda.add_proposals(db, leader, meeting.id, DAY)
    now = on_agenda(db, meeting)
    assert set(now) == {missed.id, postponed.id}
    assert all(i.source == AgendaSource.CARRIED_OVER for i in now.values())
    assert now[missed.id].carried_from_id == items[missed.id].id
    view = agenda.board(db, meeting.id)
    assert all(c.carried_over for c in view.cases)
    # carried once only
    later = agenda.ensure_conference(db, leader, DAY + dt.timedelta(days=7))
    assert agenda.add_proposals(db, leader, later.id, DAY) == 0


def test_a_meeting_never_closed_carries_its_cases_once_its_day_has_passed(db, leader):
    """The same agenda read the day after an unclosed meeting: its planned cases carry over."""
    forgotten = agenda.ensure_conference(db, leader, DAY)
    patient = f.patient(db, "Glemt")
    agenda.add_case(db, leader, forgotten.id, patient.id, "Drøftelse ønsket")
    later = agenda.ensure_conference(db, leader, DAY + dt.timedelta(days=7))
    assert agenda.pending_proposals(db, later.id, DAY) == []
    carried = agenda.pending_proposals(db, later.id, DAY + dt.timedelta(days=1))
    assert [p.patient_id for p in carried] == [patient.id]


def test_two_lists_and_moving_between_them(db, leader, meeting):
    a, b = f.patient(db), f.patient(db)
    first = agenda.add_case(db, leader, meeting.id, a.id, "Status", "Skal hun have CFT?")
    agenda.add_case(db, leader, meeting.id, b.id, "Til orientering", which=AgendaList.INFORMATION)
    view = agenda.board(db, meeting.id)
    assert [c.patient_id for c in view.discussion] == [a.id]
    assert [c.patient_id for c in view.information] == [b.id]
    assert view.discussion[0].question == "Skal hun have CFT?"
    agenda.set_list(db, leader, first.id, AgendaList.INFORMATION)
    view = agenda.board(db, meeting.id)
    assert view.discussion == [] and len(view.information) == 2
    # information cases are recorded, not left 'not reached', when the meeting ends
    assert agenda.end_meeting(db, leader, meeting.id) == 0


def test_manual_add_needs_a_reason_and_no_duplicates(db, leader, meeting):
    p = f.patient(db)
    with pytest.raises(InvalidInput, match="hvorfor"):
        agenda.add_case(db, leader, meeting.id, p.id, "  ")
    agenda.add_case(db, leader, meeting.id, p.id, "Akut forværring")
    with pytest.raises(InvalidInput, match="allerede"):
        agenda.add_case(db, leader, meeting.id, p.id, "Igen")
    gone = f.patient(db)
    gone.status = PatientStatus.DISCHARGED
    with pytest.raises(InvalidInput, match="afsluttet"):
        agenda.add_case(db, leader, meeting.id, gone.id, "Tjek")


def test_postpone_and_remove_need_a_reason_and_leave_the_lists(db, leader, meeting):
    a, b = f.patient(db), f.patient(db)
    ia = agenda.add_case(db, leader, meeting.id, a.id, "x")
    ib = agenda.add_case(db, leader, meeting.id, b.id, "y")
    with pytest.raises(InvalidInput, match="begrundelse"):
        agenda.set_aside(db, leader, ia.id, AgendaStatus.POSTPONED, "")
    agenda.set_aside(db, leader, ia.id, AgendaStatus.POSTPONED, "Afventer scanning")
    agenda.set_aside(db, leader, ib.id, AgendaStatus.REMOVED, "Fejlagtigt tilføjet")
    view = agenda.board(db, meeting.id)
    assert view.discussion == []
    assert {c.status_reason for c in view.set_aside} == {"Afventer scanning", "Fejlagtigt tilføjet"}


def test_speaking_order_timer_and_time_recorded(db, leader, meeting):
    ps = [f.patient(db) for _ in range(3)]
    items = [agenda.add_case(db, leader, meeting.id, p.id, "x") for p in ps]
    agenda.reorder(db, leader, items[2].id, -2)
    view = agenda.board(db, meeting.id)
    assert [c.item_id for c in view.discussion] == [items[2].id, items[0].id, items[1].id]

    assert agenda.step(db, leader, meeting.id, 1) == items[2].id
    current = db.get(AgendaItem, items[2].id)
    current.started_at -= dt.timedelta(minutes=7)  # seven minutes of discussion
    assert agenda.step(db, leader, meeting.id, 1) == items[0].id
    assert current.status == AgendaStatus.DISCUSSED
    assert 7 * 60 <= current.seconds_used < 7 * 60 + 5
    assert agenda.step(db, leader, meeting.id, -1) == items[2].id
    view = agenda.board(db, meeting.id)
    assert view.current_item_id == items[2].id and view.status == ConferenceStatus.RUNNING.value
    # past the last case: the meeting moves on to faglig udvikling
    agenda.go_to(db, leader, meeting.id, items[1].id)
    assert agenda.step(db, leader, meeting.id, 1) is None
    assert agenda.board(db, meeting.id).phase == "faglig"


def test_attendance_is_recorded_and_audited(db, leader, meeting):
    others = [f.staff(db) for _ in range(3)]
    agenda.set_attendance(db, leader, meeting.id, {leader.id, others[0].id, others[1].id})
    agenda.set_attendance(db, leader, meeting.id, {leader.id, others[2].id})
    assert agenda.board(db, meeting.id).present_staff == {leader.id, others[2].id}
    rows = db.scalars(select(AuditLog).where(AuditLog.entity == "conference_attendance")).all()
    assert len(rows) == 2 and rows[-1].actor_id == leader.id
    with pytest.raises(InvalidInput):
        agenda.set_attendance(db, leader, meeting.id, {999999})


def test_two_people_recording_attendance_at_once_both_keep_their_changes(db, leader, meeting):
    a, b, c, d = (f.staff(db) for _ in range(4))
    agenda.set_attendance(db, leader, meeting.id, {a.id, b.id})
    seen = agenda.board(db, meeting.id).present_staff  # both screens show {a, b}
    # the referent ticks c; meanwhile the leader, from the same list, unticks a and ticks d
    assert agenda.set_attendance(db, leader, meeting.id, {a.id, b.id, c.id}, seen) == {
        a.id, b.id, c.id}
    saved = agenda.set_attendance(db, leader, meeting.id, {b.id, d.id}, seen)
    assert saved == {b.id, c.id, d.id}  # the referent's c is not lost, a is gone, d is in
    assert agenda.board(db, meeting.id).present_staff == {b.id, c.id, d.id}


def test_stale_version_is_refused(db, leader, meeting):
    item = agenda.add_case(db, leader, meeting.id, f.patient(db).id, "x")
    seen = item.version
    agenda.set_list(db, leader, item.id, AgendaList.INFORMATION, version=seen)
    with pytest.raises(InvalidInput, match="ændret af en anden"):
        agenda.set_list(db, leader, item.id, AgendaList.DISCUSSION, version=seen)


def test_board_statement_count_does_not_grow_with_cases(db, leader, meeting):
    from db.statements import count_statements

    def statements() -> int:
        with count_statements() as counter:
            agenda.board(db, meeting.id)
        return counter.count

    agenda.add_case(db, leader, meeting.id, f.patient(db).id, "x")
    few = statements()
    for _ in range(12):
        agenda.add_case(db, leader, meeting.id, f.patient(db).id, "y")
    assert statements() == few
