"""Group rules: schedules from the catalogue's rhythm, moving a session, capacity, same kind."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conference import groups as g
from db.catalogue import load_catalogue

CATALOGUE = {e["code"]: e for e in load_catalogue()}
MONDAY = dt.date(2027, 1, 4)


def rhythm(code: str) -> g.Rhythm:
    e = CATALOGUE[code]
    return g.Rhythm(code, e["name"], e.get("sessions"), e.get("interval_days"),
                    e.get("session_minutes"))


def test_livet_med_smerter_is_four_weekly_sessions_of_two_hours() -> None:
    plan = g.schedule(rhythm("livet_med_smerter"), MONDAY)
    assert [p.date for p in plan] == [MONDAY + dt.timedelta(weeks=i) for i in range(4)]
    assert [p.number for p in plan] == [1, 2, 3, 4]
    assert {p.minutes for p in plan} == {120}
    assert all(p.label is None for p in plan)


def test_nedtrapningshold_is_every_fourteen_days_five_times() -> None:
    plan = g.schedule(rhythm("nedtrapningshold"), MONDAY)
    assert [p.date for p in plan] == [MONDAY + dt.timedelta(days=14 * i) for i in range(5)]


def test_forstaa_smerte_is_one_session_without_an_interval() -> None:
    (only,) = g.schedule(rhythm("forstaa_smerte"), MONDAY)
    assert only.date == MONDAY and only.minutes == 90


def test_mindfulness_is_nine_weekly_sessions_and_a_day_of_silence_after_the_sixth() -> None:
    plan = g.schedule(rhythm("mindfulness"), MONDAY)
    assert len(plan) == 10
    regular = [p for p in plan if p.label is None]
    (silence,) = [p for p in plan if p.label == "Stilhedsdag"]
    assert [p.date for p in regular] == [MONDAY + dt.timedelta(weeks=i) for i in range(9)]
    assert {p.minutes for p in regular} == {150}
    assert silence.minutes == 360
    # the Saturday between the 6th and the 7th session, numbered in date order
    assert silence.date == dt.date(2027, 2, 13) and silence.date.weekday() == 5
    assert regular[5].date < silence.date < regular[6].date
    assert silence.number == 7 and [p.number for p in plan] == list(range(1, 11))


def test_day_of_silence_for_a_saturday_group_falls_on_the_sunday() -> None:
    saturday = dt.date(2027, 1, 9)
    plan = g.schedule(rhythm("mindfulness"), saturday)
    (silence,) = [p for p in plan if p.label]
    assert silence.date == saturday + dt.timedelta(weeks=5, days=1)


def test_a_catalogue_entry_without_sessions_or_interval_cannot_be_scheduled() -> None:
    with pytest.raises(g.GroupRuleError, match="ingen holdgange"):
        g.schedule(g.Rhythm("x", "Uden", None, 7, 60), MONDAY)
    with pytest.raises(g.GroupRuleError, match="mangler et interval"):
        g.schedule(g.Rhythm("x", "Uden interval", 3, None, 60), MONDAY)


@given(
    code=st.sampled_from(sorted(c for c, e in CATALOGUE.items() if e["kind"] == "hold")),
    start=st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)),
)
def test_every_group_schedule_is_strictly_increasing_and_starts_on_the_start(code, start) -> None:
    plan = g.schedule(rhythm(code), start)
    dates = [p.date for p in plan]
    assert dates[0] == start
    assert all(a < b for a, b in zip(dates, dates[1:], strict=False))
    assert len(plan) == CATALOGUE[code]["sessions"]


def test_a_session_can_move_between_its_neighbours_only() -> None:
    dates = [MONDAY + dt.timedelta(weeks=i) for i in range(4)]
    g.check_move(dates, 2, dates[1] + dt.timedelta(days=3))  # no error
    g.check_move(dates, 4, dates[3] + dt.timedelta(weeks=5))  # the last may move later
    with pytest.raises(g.GroupRuleError, match="efter holdgang 1"):
        g.check_move(dates, 2, dates[0])
    with pytest.raises(g.GroupRuleError, match="før holdgang 3"):
        g.check_move(dates, 2, dates[2] + dt.timedelta(days=1))
    with pytest.raises(g.GroupRuleError, match="findes ikke"):
        g.check_move(dates, 5, dates[3])


def test_capacity_and_free_places() -> None:
    assert g.free_places(15, 12) == 3
    assert g.free_places(5, 6) == 0
    g.check_capacity("Afspænding – uge 2", 15, 14)
    with pytest.raises(g.GroupRuleError) as error:
        g.check_capacity("Afspænding – uge 2", 15, 15)
    assert str(error.value) == (
        "Afspænding – uge 2 er fuldt: 15 af 15 pladser er besat. Patienten er ikke tilmeldt."
    )


def period(gid: int, code: str, start: dt.date, weeks: int = 4) -> g.GroupPeriod:
    return g.GroupPeriod(gid, code, f"{code} {gid}", start, start + dt.timedelta(weeks=weeks))


def test_same_kind_covers_the_stress_reduction_alternatives() -> None:
    target = period(1, "mindfulness", MONDAY)
    assert g.same_kind_conflict(target, [period(2, "afspaending", MONDAY)]) is not None
    assert g.same_kind_conflict(target, [period(3, "teleafspaending", MONDAY)]) is not None
    assert g.same_kind_conflict(target, [period(4, "livet_med_smerter", MONDAY)]) is None


def test_an_ended_group_of_the_same_kind_does_not_block_but_a_later_one_does() -> None:
    target = period(1, "terapihold", MONDAY)
    ended = period(2, "terapihold", MONDAY - dt.timedelta(weeks=10))
    later = period(3, "terapihold", MONDAY + dt.timedelta(weeks=10))
    assert g.same_kind_conflict(target, [ended]) is None
    assert g.same_kind_conflict(target, [later]) == later
    with pytest.raises(g.GroupRuleError, match="kun gå på ét hold af samme slags"):
        g.check_same_kind("Anna Holm", target, [later])


def test_therapists_one_or_two_and_a_default_name() -> None:
    g.check_therapists(1)
    g.check_therapists(2)
    for count in (0, 3):
        with pytest.raises(g.GroupRuleError):
            g.check_therapists(count)
    assert g.default_name("Afspænding", MONDAY) == "Afspænding – uge 1, 2027"


def test_a_dropped_out_patient_is_named_with_the_date_when_it_is_recorded() -> None:
    """Seed 3.10: a patient who dropped out of the group can be brought to the holdkonference;
    the flag says so, with the date if the course records it."""
    assert g.dropout_text(dt.date(2027, 1, 18)) == "udgået af holdet 18. jan. 2027"
    assert g.dropout_text(None) == "udgået af holdet"
