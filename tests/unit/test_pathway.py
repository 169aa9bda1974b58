"""The pathway rules: stage, next step, and every 'due at the conference' rule of DOMAIN.md."""

import datetime as dt

from conference.pathway import (
    Concern,
    Event,
    PatientCourse,
    due_reasons,
    next_step,
    stage,
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
