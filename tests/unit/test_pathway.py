"""The pathway rules: stage, next step, and every 'due at the conference' rule of DOMAIN.md."""

import datetime as dt
from dataclasses import replace

from hypothesis import example, given, settings
from hypothesis import strategies as hyp

from conference.pathway import (
    DUE_RULE_CODES,
    FINDING_RULES,
    STAGE_LABELS,
    STANDARD_STEPS,
    STEP_LABEL,
    STEP_OF_CODE,
    STEP_ORDER,
    STRESS_REDUCTION,
    Concern,
    Event,
    PatientCourse,
    Stage,
    due_reasons,
    due_triggers,
    next_step,
    read_by_due_rules,
    stage,
    stage_of_rank,
    stage_rank,
)

CONF = dt.date(2026, 12, 2)
D = dt.date


def done(code: str, day: dt.date, finding: str | None = None) -> Event:
    return Event(code, code, "gennemfoert", None, day, day, finding)


def planned(code: str, day: dt.date | None) -> Event:
    return Event(code, code, "planlagt", day)


def reasons(course: PatientCourse) -> list[str]:
    return [r.code for r in due_reasons(course, CONF)]


# --------------------------------------------------------------------------- stage


def test_new_referral_is_henvist() -> None:
    assert stage(PatientCourse(active=True)).label == "Henvist"


def test_stage_is_furthest_step_reached() -> None:
    course = PatientCourse(
        active=True,
        events=[
            done("visitation", D(2026, 8, 1)),
            done("kort_primaersamtale", D(2026, 9, 1)),
            Event("livet_med_smerter", "Livet med smerter", "i_gang", None, D(2026, 11, 10)),
            done("lang_primaersamtale", D(2026, 10, 20)),
            planned("foerste_opfoelgning", D(2026, 12, 15)),
        ],
    )
    result = stage(course)
    assert result.label == "Livet med smerter"
    assert result.in_progress
    assert result.text == "Livet med smerter (i gang)"


def test_planned_and_cancelled_steps_do_not_count_as_reached() -> None:
    course = PatientCourse(
        active=True,
        events=[
            done("visitation", D(2026, 8, 1)),
            planned("kort_primaersamtale", D(2026, 12, 1)),
            Event("lang_primaersamtale", "x", "aflyst", D(2026, 11, 1)),
        ],
    )
    assert stage(course).label == "Visitation"


def test_any_stress_reduction_group_is_one_stage() -> None:
    for code in ("afspaending", "teleafspaending", "mindfulness"):
        course = PatientCourse(active=True, events=[done(code, D(2026, 11, 1))])
        assert stage(course).label == "Afspænding / Mindfulness"


def test_discharged_patient_is_afsluttet() -> None:
    course = PatientCourse(active=False, events=[done("anden_opfoelgning", D(2026, 11, 1))])
    assert stage(course).label == "Afsluttet"
    assert due_reasons(course, CONF) == []


def test_next_step_is_earliest_planned() -> None:
    events = [
        planned("afsluttende_samtale", D(2027, 1, 10)),
        planned("anden_opfoelgning", D(2026, 12, 10)),
        planned("medicinsamtale", None),
        done("mindfulness", D(2026, 11, 20)),
    ]
    step = next_step(events, D(2026, 11, 25))
    assert step is not None and step.code == "anden_opfoelgning"
    assert next_step([done("visitation", D(2026, 1, 1))], D(2026, 11, 25)) is None


# --------------------------------------------------------------------------- due rules


def test_anden_opfoelgning_since_last_presented_is_due() -> None:
    course = PatientCourse(active=True, events=[done("anden_opfoelgning", D(2026, 11, 20))])
    assert reasons(course) == ["anden_opfoelgning"]


def test_anden_opfoelgning_already_presented_is_not_due() -> None:
    course = PatientCourse(
        active=True,
        events=[done("anden_opfoelgning", D(2026, 11, 10))],
        last_presented=D(2026, 11, 18),
    )
    assert reasons(course) == []


def test_planned_anden_opfoelgning_is_not_due() -> None:
    course = PatientCourse(active=True, events=[planned("anden_opfoelgning", D(2026, 11, 30))])
    assert reasons(course) == []


def test_anden_opfoelgning_after_conference_date_is_not_due_yet() -> None:
    course = PatientCourse(active=True, events=[done("anden_opfoelgning", D(2026, 12, 3))])
    assert reasons(course) == []


def test_uncertain_need_after_lang_primaersamtale() -> None:
    course = PatientCourse(
        active=True,
        events=[done("lang_primaersamtale", D(2026, 11, 2), "uafklaret_behandlingsbehov")],
    )
    assert reasons(course) == ["uafklaret_behandlingsbehov"]
    # the same finding on another intervention does not trigger this rule
    other = PatientCourse(
        active=True, events=[done("medicinsamtale", D(2026, 11, 2), "uafklaret_behandlingsbehov")]
    )
    assert reasons(other) == []


def test_heavy_psychological_load_before_standard_course() -> None:
    course = PatientCourse(
        active=True, events=[done("psykolog_foer", D(2026, 11, 2), "svaer_psykisk_belastning")]
    )
    assert reasons(course) == ["svaer_psykisk_belastning"]


def test_social_worker_question() -> None:
    course = PatientCourse(
        active=True,
        events=[done("visitation_socialraadgiver", D(2026, 11, 2), "socialfagligt_spoergsmaal")],
    )
    assert reasons(course) == ["socialfagligt_spoergsmaal"]


def test_finding_already_discussed_is_not_due_again() -> None:
    course = PatientCourse(
        active=True,
        events=[done("psykolog_foer", D(2026, 10, 2), "svaer_psykisk_belastning")],
        last_presented=D(2026, 10, 14),
    )
    assert reasons(course) == []


def test_cft_slow_responder_waits_for_stress_reduction_group() -> None:
    physio = done("visitation_fysioterapeut", D(2026, 9, 1), "cft_langsom_responder")
    waiting = PatientCourse(
        active=True,
        events=[physio, Event("mindfulness", "Mindfulness", "i_gang", None, D(2026, 10, 1))],
    )
    assert reasons(waiting) == []
    after_group = PatientCourse(active=True, events=[physio, done("afspaending", D(2026, 11, 20))])
    assert reasons(after_group) == ["cft_langsom_responder"]


def test_cft_slow_responder_with_cft_planned_is_not_due() -> None:
    course = PatientCourse(
        active=True,
        events=[
            done("visitation_fysioterapeut", D(2026, 9, 1), "cft_langsom_responder"),
            done("mindfulness", D(2026, 11, 20)),
            planned("cft", D(2026, 12, 10)),
        ],
    )
    assert reasons(course) == []


def test_psychological_barriers_after_standard_course() -> None:
    course = PatientCourse(
        active=True,
        events=[done("anden_opfoelgning", D(2026, 11, 20), "psykologiske_barrierer")],
    )
    assert reasons(course) == ["anden_opfoelgning", "psykologiske_barrierer"]


def test_psychological_barriers_need_the_standard_course_done_and_no_referral_yet() -> None:
    during = PatientCourse(
        active=True,
        events=[done("foerste_opfoelgning", D(2026, 11, 20), "psykologiske_barrierer")],
    )
    assert reasons(during) == []
    referred = PatientCourse(
        active=True,
        events=[
            done("anden_opfoelgning", D(2026, 10, 1)),
            done("afsluttende_samtale", D(2026, 11, 20), "psykologiske_barrierer"),
            planned("psykolog_efter", D(2026, 12, 20)),
        ],
        last_presented=D(2026, 10, 7),
    )
    assert reasons(referred) == []


def test_staff_concern_makes_patient_due_until_presented() -> None:
    concern = Concern(D(2026, 11, 24), "Patienten overvejer at stoppe forløbet", "Hanne")
    course = PatientCourse(active=True, open_concerns=[concern])
    due = due_reasons(course, CONF)
    assert [r.code for r in due] == ["bekymring"]
    assert "overvejer at stoppe" in due[0].text
    presented = PatientCourse(
        active=True, open_concerns=[concern], last_presented=D(2026, 11, 25)
    )
    assert reasons(presented) == []


def test_several_reasons_are_all_given() -> None:
    course = PatientCourse(
        active=True,
        events=[
            done("anden_opfoelgning", D(2026, 11, 20)),
            done("visitation_socialraadgiver", D(2026, 11, 21), "socialfagligt_spoergsmaal"),
        ],
        open_concerns=[Concern(D(2026, 11, 22), "Søvnproblemer")],
    )
    assert reasons(course) == ["anden_opfoelgning", "socialfagligt_spoergsmaal", "bekymring"]


# --------------------------------------------------------------------------- narrowed reads
# The services load less than the whole course (issue 9): the stage ranked in SQL, only the
# events the due rules read, and only patients who may be due. These properties make that
# safe: on any course, the narrowed facts give the same answers as the full ones.

# Few codes, statuses, findings and days, so that the rare combinations the rules look for
# (a slow responder whose relaxation course ended since last time, ...) come up often.
CODES = sorted(
    {code for code, _ in STANDARD_STEPS} | STRESS_REDUCTION | DUE_RULE_CODES
    | {"introvideo", "terapihold", "stressreduktion"}
)
# (code, finding) pairs: every code without a finding, and each finding on the code it is
# recorded on (and the barriers on two others).
PAIRS = [(code, None) for code in CODES] + [
    *((code, finding) for finding, code in FINDING_RULES.items()),
    ("visitation_fysioterapeut", "cft_langsom_responder"),
    ("anden_opfoelgning", "psykologiske_barrierer"),
    ("afsluttende_samtale", "psykologiske_barrierer"),
]
days = hyp.dates(D(2026, 11, 1), D(2026, 12, 10))


@hyp.composite
def events(draw: hyp.DrawFn) -> Event:
    code, finding = draw(hyp.sampled_from(PAIRS))
    status = draw(hyp.sampled_from(["gennemfoert", "gennemfoert", "i_gang", "planlagt", "aflyst"]))
    when = hyp.none() | days
    return Event(code, "x", status, draw(when), draw(when), draw(when), finding)


courses = hyp.builds(
    PatientCourse,
    active=hyp.booleans(),
    events=hyp.lists(events(), max_size=16),
    open_concerns=hyp.lists(hyp.builds(Concern, raised_on=days, note=hyp.just("n")), max_size=2),
    last_presented=hyp.none() | days,
)
many = settings(max_examples=400, deadline=None)
# Cases random examples find too seldom: a slow responder presented before the relaxation
# course ended (only the course's end can make them due), and barriers after the standard
# course with a psychologist already booked (the booking, without a finding, keeps them off).
SLOW_THEN_RELAXED = PatientCourse(
    active=True,
    events=[
        done("visitation_fysioterapeut", D(2026, 11, 2), "cft_langsom_responder"),
        done("afspaending", D(2026, 11, 20)),
    ],
    last_presented=D(2026, 11, 10),
)
BARRIERS_REFERRED = PatientCourse(
    active=True,
    events=[
        done("anden_opfoelgning", D(2026, 11, 20), "psykologiske_barrierer"),
        planned("psykolog_efter", D(2026, 12, 20)),
    ],
)


def _stage_as_first_written(course: PatientCourse) -> Stage:
    """The original rule: the furthest step reached, under way beating done on the same step."""
    if not course.active:
        return Stage("Afsluttet", len(STAGE_LABELS) - 1)
    best = None
    for event in course.events:
        step = STEP_OF_CODE.get(event.code)
        if step is None or event.status not in ("gennemfoert", "i_gang"):
            continue
        candidate = Stage(STEP_LABEL[step], STEP_ORDER[step] + 1, event.status == "i_gang")
        if best is None or (candidate.order, candidate.in_progress) > (
            best.order, best.in_progress
        ):
            best = candidate
    return best or Stage("Henvist", 0)


@many
@given(course=courses)
def test_stage_is_the_highest_stage_rank(course: PatientCourse) -> None:
    assert stage(course) == _stage_as_first_written(course)
    ranks = [r for e in course.events if (r := stage_rank(e.code, e.status)) is not None]
    if course.active:
        assert stage(course) == stage_of_rank(max(ranks, default=None))


@many
@given(course=courses, conference=days)
@example(course=SLOW_THEN_RELAXED, conference=CONF)
@example(course=BARRIERS_REFERRED, conference=CONF)
def test_due_rules_read_only_the_events_they_say(course: PatientCourse, conference) -> None:
    narrowed = replace(course, events=[e for e in course.events if read_by_due_rules(e)])
    assert due_reasons(narrowed, conference) == due_reasons(course, conference)


@many
@given(course=courses, conference=days)
@example(course=SLOW_THEN_RELAXED, conference=CONF)
@example(course=BARRIERS_REFERRED, conference=CONF)
def test_without_a_trigger_in_the_window_events_do_not_matter(
    course: PatientCourse, conference: dt.date
) -> None:
    """No event of due_triggers dated since last presented: only an open concern can make the
    patient due, and the rules need none of the events to say so."""
    since = course.last_presented

    def in_window(day: dt.date | None) -> bool:
        return day is not None and day <= conference and (since is None or day > since)

    if not any(in_window(e.date) for e in due_triggers(course.events)):
        without = replace(course, events=[])
        assert due_reasons(course, conference) == due_reasons(without, conference)
