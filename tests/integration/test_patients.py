"""The patient services against a real database (SQLite and PostgreSQL)."""

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hyp
from sqlalchemy import select

from conference import pathway
from conference.services.errors import InvalidInput
from conference.services.patients import (
    courses,
    due_courses,
    list_patients,
    patient_detail,
    raise_concern,
)
from db.models import (
    AgendaStatus,
    AttendanceStatus,
    AuditLog,
    Concern,
    Conference,
    CourseStatus,
    Finding,
    PatientStatus,
    Profession,
)
from db.statements import count_statements
from tests import factories as f

TODAY = dt.date(2026, 11, 25)  # a Wednesday: the next conference is today


def test_list_shows_active_patients_with_stage_staff_next_step_and_due_reason(db) -> None:
    pal = f.staff(db, "Lise Læge")
    nurse = f.staff(db, "Sara Sygeplejerske", Profession.SYGEPLEJERSKE)
    due = f.patient(db, "Anna", pal=pal, nurse=nurse)
    f.event(db, due, "anden_opfoelgning", day=dt.date(2026, 11, 20))
    f.event(db, due, "afsluttende_samtale", CourseStatus.PLANNED, dt.date(2026, 12, 14))
    quiet = f.patient(db, "Bo")
    f.event(db, quiet, "livet_med_smerter", CourseStatus.IN_PROGRESS, dt.date(2026, 11, 11))
    gone = f.patient(db, "Carl")
    gone.status = PatientStatus.DISCHARGED

    result = list_patients(db, TODAY)

    rows = {r.id: r for r in result.rows}
    assert gone.id not in rows
    assert result.conference_date == TODAY
    anna = rows[due.id]
    assert anna.pal_laege == pal.name and anna.kontaktsygeplejerske == nurse.name
    assert anna.stage.label == "Anden opfølgning"
    assert anna.next_step == "Afsluttende samtale"
    assert anna.next_step_date == dt.date(2026, 12, 14)
    assert [d.code for d in anna.due] == ["anden_opfoelgning"]
    assert anna.age == 56
    bo = rows[quiet.id]
    assert bo.stage.text == "Livet med smerter (i gang)" and bo.due == ()


def test_presented_patient_is_no_longer_due(db) -> None:
    who = f.patient(db)
    f.event(db, who, "anden_opfoelgning", day=dt.date(2026, 11, 10))
    f.presented(db, f.conference(db, dt.date(2026, 11, 18)), who, "anden_opfoelgning")
    row = next(r for r in list_patients(db, TODAY).rows if r.id == who.id)
    assert row.due == ()


def test_patient_list_statement_count_does_not_grow_with_patients(db) -> None:
    def statements() -> int:
        with count_statements() as counter:
            list_patients(db, TODAY)
        return counter.count

    f.event(db, f.patient(db), "visitation")
    few = statements()
    for _ in range(30):
        who = f.patient(db)
        f.event(db, who, "visitation")
        f.event(db, who, "lang_primaersamtale", finding=Finding.UNCERTAIN_NEED)
    assert statements() == few


def test_patient_page_shows_missed_sessions_and_pro(db) -> None:
    who = f.patient(db)
    dates = [dt.date(2026, 10, 7) + dt.timedelta(weeks=i) for i in range(4)]
    team = f.group(db, "livet_med_smerter", dates, name="Livet med smerter – hold 41")
    f.enrol(db, team, who, [AttendanceStatus.PRESENT, AttendanceStatus.NO_SHOW,
                            AttendanceStatus.PRESENT])
    f.event(db, who, "livet_med_smerter", CourseStatus.IN_PROGRESS, dates[0], group_id=team.id)

    detail = patient_detail(db, who.id, TODAY)

    (entry,) = [e for e in detail.timeline if e.code == "livet_med_smerter"]
    assert entry.group_name == "Livet med smerter – hold 41"
    assert [s.date for s in entry.missed()] == [dates[1]]
    assert entry.sessions[3].status is None  # not recorded yet


def test_raise_concern_makes_patient_due_and_writes_audit_row(db) -> None:
    actor = f.staff(db, "Pia Psykolog", Profession.PSYKOLOG)
    who = f.patient(db)
    concern = raise_concern(db, actor, who.id, "Overvejer at stoppe forløbet", TODAY)
    db.flush()
    audit = db.scalars(select(AuditLog).where(AuditLog.entity == "concern")).one()
    assert audit.actor_id == actor.id and audit.entity_id == concern.id
    assert audit.patient_id == who.id and audit.after["note"] == "Overvejer at stoppe forløbet"
    row = next(r for r in list_patients(db, TODAY).rows if r.id == who.id)
    assert [d.code for d in row.due] == ["bekymring"]


@pytest.mark.parametrize("note", ["", "   ", "x" * 2001])
def test_raise_concern_rejects_empty_or_too_long_text_and_writes_nothing(db, note) -> None:
    actor = f.staff(db)
    who = f.patient(db)
    with pytest.raises(InvalidInput):
        raise_concern(db, actor, who.id, note, TODAY)
    assert db.scalars(select(Concern)).all() == []
    assert db.scalars(select(AuditLog)).all() == []


# --------------------------------------------------------------------------- due rules, issue 12

LAST = dt.date(2026, 11, 18)  # the last conference before TODAY's


@pytest.fixture
def last_meeting(db) -> Conference:
    return f.conference(db, LAST)


def _discussed(db, meeting: Conference, concluded: dt.datetime | None):
    """A patient discussed at `meeting`, the case concluded at `concluded` (None: no conclusion)."""
    who = f.patient(db)
    item = f.presented(db, meeting, who, "manuel")
    if concluded is not None:
        f.conclude(db, item, concluded)
    return who


def _due(db, who) -> list[str]:
    row = next(r for r in list_patients(db, TODAY).rows if r.id == who.id)
    return [d.code for d in row.due]


def test_concern_raised_after_the_discussion_on_the_conference_day_is_due(db, last_meeting):
    """3.10 (issue 12 a): raised at 13:00 on the day the case was concluded at 10:15 -- due at
    the next conference; the patient page says so too."""
    who = _discussed(db, last_meeting, f.danish(LAST, 10, 15))
    f.concern(db, who, LAST, f.danish(LAST, 13), "Ringede efter konferencen")
    assert _due(db, who) == ["bekymring"]
    assert [d.code for d in patient_detail(db, who.id, TODAY).due] == ["bekymring"]


def test_concern_raised_before_the_discussion_on_the_conference_day_is_not_due(db, last_meeting):
    """3.10 (issue 12 a): raised at 8:30, before the case was concluded: it was discussed."""
    who = _discussed(db, last_meeting, f.danish(LAST, 10, 15))
    f.concern(db, who, LAST, f.danish(LAST, 8, 30))
    assert _due(db, who) == []


def test_anden_opfoelgning_recorded_after_the_discussion_that_day_is_due(db, last_meeting):
    """3.9 (issue 12 a): presented in the morning for another reason."""
    after = _discussed(db, last_meeting, f.danish(LAST, 10, 15))
    f.event(db, after, "anden_opfoelgning", day=LAST, recorded_at=f.danish(LAST, 14))
    before = _discussed(db, last_meeting, f.danish(LAST, 10, 15))
    f.event(db, before, "anden_opfoelgning", day=LAST, recorded_at=f.danish(LAST, 9))
    assert _due(db, after) == ["anden_opfoelgning"]
    assert _due(db, before) == []


def test_an_old_event_without_a_recorded_moment_on_the_conference_day_is_not_due(
    db, last_meeting
):
    """3.9: rows from before recorded_at was kept count as recorded before the conclusion."""
    who = _discussed(db, last_meeting, f.danish(LAST, 10, 15))
    f.forget_recorded_at(db, f.event(db, who, "anden_opfoelgning", day=LAST))
    assert _due(db, who) == []


def test_presentation_moment_is_the_earlier_of_conclusion_and_meeting_end(db, last_meeting):
    """3.10: the conclusion edited in the afternoon, after the meeting ended at 11:30, does not
    swallow a concern raised at 12:00; one raised at 11:00 was in the meeting."""
    last_meeting.ended_at = f.danish(LAST, 11, 30)
    after = _discussed(db, last_meeting, f.danish(LAST, 15))
    f.concern(db, after, LAST, f.danish(LAST, 12))
    during = _discussed(db, last_meeting, f.danish(LAST, 15))
    f.concern(db, during, LAST, f.danish(LAST, 11))
    assert _due(db, after) == ["bekymring"]
    assert _due(db, during) == []


def test_presentation_moment_unknown_is_the_end_of_that_day(db, last_meeting):
    """3.10: discussed, but no conclusion and the meeting never ended: that day's concerns are
    taken as discussed, one recorded after midnight (Danish clock) is not."""
    evening = _discussed(db, last_meeting, None)
    f.concern(db, evening, LAST, f.danish(LAST, 23, 30))
    night = _discussed(db, last_meeting, None)
    f.concern(db, night, LAST, f.danish(LAST + dt.timedelta(days=1), 0, 30))
    assert _due(db, evening) == []
    assert _due(db, night) == ["bekymring"]


def test_finding_on_another_intervention_and_slow_responder_dropped_out_are_listed(db) -> None:
    """3.5 (issue 12 b) and 4.2.2 (issue 12 c) in the patient list."""
    finding = f.patient(db)
    f.event(db, finding, "medicinsamtale", day=dt.date(2026, 11, 20),
            finding=Finding.UNCERTAIN_NEED)
    slow = f.patient(db)
    f.event(db, slow, "visitation_fysioterapeut", day=dt.date(2026, 8, 1),
            finding=Finding.CFT_SLOW_RESPONDER)
    f.ended_early(db, slow, "afspaending", dt.date(2026, 10, 28), dt.date(2026, 11, 11))
    assert _due(db, finding) == ["uafklaret_behandlingsbehov"]
    assert _due(db, slow) == ["cft_langsom_responder"]


# A property on the real SQL (both databases): the prefilter (patients._may_be_due, through
# due_courses) keeps every patient the course events make due, and the narrowed courses give
# the rules' answer on the full ones. Random centres around a few weekly conferences, with
# facts on the conference days recorded before and after the cases were concluded.

WEEKS = [dt.date(2026, 11, 4) + dt.timedelta(weeks=k) for k in range(4)]
CODES = ["anden_opfoelgning", "mindfulness", "afspaending", "visitation_fysioterapeut",
         "lang_primaersamtale", "medicinsamtale", "cft", "psykolog_efter", "afsluttende_samtale"]
FINDINGS = [None, None, None, *Finding]
STATUSES = [CourseStatus.DONE, CourseStatus.DONE, CourseStatus.DROPPED_OUT,
            CourseStatus.IN_PROGRESS, CourseStatus.PLANNED, CourseStatus.CANCELLED]
PRESENTED = [AgendaStatus.DISCUSSED] * 4 + list(AgendaStatus)
day_near = hyp.one_of(
    hyp.sampled_from(WEEKS), hyp.sampled_from(WEEKS),
    hyp.dates(dt.date(2026, 11, 1), dt.date(2026, 12, 3)),
)
quarter = hyp.none() | hyp.integers(0, 2 * 24 * 4 - 1)


def _moment(day: dt.date, quarters: int | None) -> dt.datetime | None:
    if quarters is None:
        return None
    return dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(minutes=15 * quarters)


patients_drawn = hyp.lists(
    hyp.fixed_dictionaries({
        "presented": hyp.lists(hyp.tuples(hyp.sampled_from(WEEKS), quarter,
                                          hyp.sampled_from(PRESENTED)), max_size=2),
        "events": hyp.lists(hyp.tuples(hyp.sampled_from(CODES), hyp.sampled_from(FINDINGS),
                                       hyp.sampled_from(STATUSES), day_near, quarter),
                            max_size=5),
        "concerns": hyp.lists(hyp.tuples(day_near, quarter), max_size=1),
    }),
    min_size=1, max_size=4,
)


# Discussed on WEEKS[1], concluded at 10:00 UTC; Anden opfølgning that day, recorded at 13:00.
SAME_DAY = [{
    "presented": [(WEEKS[1], 40, AgendaStatus.DISCUSSED)],
    "events": [("anden_opfoelgning", None, CourseStatus.DONE, WEEKS[1], 52)],
    "concerns": [],
}]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=patients_drawn, ended=hyp.lists(quarter, min_size=4, max_size=4),
       conference_date=hyp.sampled_from([WEEKS[-1], WEEKS[-1] + dt.timedelta(weeks=1)]))
@example(drawn=SAME_DAY, ended=[None] * 4, conference_date=WEEKS[-1])
def test_sql_prefilter_keeps_every_patient_the_events_make_due(
    db, drawn, ended, conference_date
) -> None:
    """3.5, 3.9, 4.1.1, 4.2.2, 4.3.1, 4.3.2, 3.10 against SQL: due_courses (the prefilter) ⊇ the
    rules on the full courses, with the same answers."""
    savepoint = db.begin_nested()
    try:
        staff = f.staff(db)
        meetings = {}
        for week, end in zip(WEEKS, ended, strict=True):
            meetings[week] = f.conference(db, week)
            meetings[week].ended_at = _moment(week, end)
        ids = []
        for p in drawn:
            who = f.patient(db)
            ids.append(who.id)
            for week, concluded, status in {w: (w, c, s) for w, c, s in p["presented"]}.values():
                item = f.presented(db, meetings[week], who, "manuel")
                item.status = status
                if concluded is not None:
                    f.conclude(db, item, _moment(week, concluded), staff)
            for code, finding, status, day, rec in p["events"]:
                row = f.event(db, who, code, status, day, finding=finding,
                              recorded_at=_moment(day, rec))
                if rec is None:
                    f.forget_recorded_at(db, row)
            for day, rec in p["concerns"]:
                f.concern(db, who, day, _moment(day, rec), by=staff)
        db.flush()

        full = courses(db, ids, conference_date)
        narrowed = due_courses(db, conference_date)
        for pid in ids:
            course = full[pid]
            expected = pathway.due_reasons(course, conference_date)
            got = pathway.due_reasons(
                narrowed.get(pid, pathway.PatientCourse(active=True)), conference_date
            )
            assert got == expected, pid
            by_events = pathway.due_reasons(replace(course, open_concerns=[]), conference_date)
            if by_events:
                assert narrowed[pid].events, "the SQL prefilter left out a due patient"
    finally:
        savepoint.rollback()
