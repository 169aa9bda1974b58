"""The evaluation's statistics on small hand-made cohorts, with the answers worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conference import evaluation as ev

NAN = math.nan
DAY = dt.date(2025, 1, 1)


# --------------------------------------------------------------------------- helpers


def patients(n: int, **columns) -> pd.DataFrame:
    """n patients (ids 1..n), women aged 50 referred on 1 Jan 2025, discharged on 1 Oct."""
    frame = pd.DataFrame({
        "sex": ["K"] * n, "age": [50] * n, "pain_years": [4.0] * n, "work": ["pension"] * n,
        "microteam": ["Mikroteam 1"] * n, "active": [False] * n,
        "referral_date": [DAY] * n, "discharged_on": [dt.date(2025, 10, 1)] * n,
    }, index=pd.Index(range(1, n + 1), name="patient_id"))
    for name, values in columns.items():
        frame[name] = values
    return frame


def events(*rows: tuple) -> pd.DataFrame:
    """(patient, code, status, day offset from referral[, note][, standard])."""
    records = []
    for row in rows:
        pid, code, status, offset = row[:4]
        note = row[4] if len(row) > 4 else None
        standard = row[5] if len(row) > 5 else code in ev.STEP_OF_CODE
        records.append({"patient_id": pid, "code": code, "standard": standard,
                        "status": status, "first_date": DAY + dt.timedelta(days=offset),
                        "note": note})
    return pd.DataFrame(records, columns=["patient_id", "code", "standard", "status",
                                          "first_date", "note"])


def scores(index, **columns) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=pd.Index(index, name="patient_id"), dtype=float)
    for tp in ("baseline", "midtvejs", "afslutning", "opfoelgning"):
        answered = frame[[c for c in frame.columns if c.endswith(f"@{tp}")]].notna().any(axis=1)
        frame[f"svar@{tp}"] = answered
    return frame


# --------------------------------------------------------------------------- Wilson


def test_wilson_interval_values_worked_out_by_hand():
    # z = 1.96: 0 of 10 -> upper z²/n / (1 + z²/n) = 0.38415 / 1.38415 = 0.2775
    assert ev.wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=5e-5)
    # 5 of 10: centre 0.5, half-width 1.96 * sqrt(0.025 + 0.0096) / 1.38415 = 0.2634
    assert ev.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=5e-5)
    assert ev.wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=5e-5)
    # 3 of 30: centre 0.1454, half-width 0.1108
    assert ev.wilson(3, 30) == pytest.approx((0.0346, 0.2562), abs=5e-5)
    # 5 of 20: centre 0.2903, half-width 0.1784
    assert ev.wilson(5, 20) == pytest.approx((0.1119, 0.4687), abs=5e-5)
    assert all(math.isnan(v) for v in ev.wilson(0, 0))


@settings(deadline=None)  # pandas on a busy machine: time is not what this checks
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=20))
def test_wilson_on_whole_columns_is_the_same_as_one_at_a_time(pairs):
    k = pd.Series([min(a, b) for a, b in pairs])
    n = pd.Series([max(a, b) for a, b in pairs])
    low, high = ev.wilson_columns(k, n)
    for i, (kk, nn) in enumerate(zip(k, n, strict=True)):
        expected = ev.wilson(kk, nn)
        if nn == 0:
            assert math.isnan(low[i]) and math.isnan(high[i])
        else:
            assert low[i] == pytest.approx(expected[0], abs=1e-12)
            assert high[i] == pytest.approx(expected[1], abs=1e-12)
            assert 0 <= low[i] <= kk / nn <= high[i] <= 1


# --------------------------------------------------------------------------- small counts


def test_counts_from_one_to_four_are_small_and_zero_is_not():
    assert [ev.is_small(c) for c in (0, 1, 4, 5, None, NAN)] == [
        False, True, True, False, False, False]


def test_one_hidden_cell_hides_the_next_smallest_so_it_cannot_be_subtracted_out():
    assert ev.suppress_breakdown([3, 20, 7]) == [True, False, True]
    # two hidden already: neither can be worked out alone
    assert ev.suppress_breakdown([3, 2, 20]) == [True, True, False]
    # zero is shown and is not a cell to hide in its place
    assert ev.suppress_breakdown([0, 20, 7]) == [False, False, False]
    assert ev.suppress_breakdown([4, 0, 9]) == [True, False, True]
    # the main figure (improved) is kept when another cell can be hidden instead
    assert ev.suppress_breakdown([33, 257, 4], keep=0) == [False, True, True]
    assert ev.suppress_breakdown([33, 0, 4], keep=0) == [True, False, True]


def test_a_share_is_hidden_when_it_would_reveal_a_small_count():
    frame = ev.share_frame(pd.Series([3, 27, 10, 0, 2]), pd.Series([30, 30, 30, 30, 4]))
    # 3 of 30 (small), 27 of 30 (3 did not: small), 10 of 30 (shown), 0 of 30, 2 of 4
    assert list(frame["hidden"]) == [True, True, False, False, True]
    assert frame.loc[2, "share"] == pytest.approx(1 / 3)
    assert frame.loc[3, "share"] == 0.0


# --------------------------------------------------------------------------- MIC classification


def test_change_is_classified_by_the_registry_rule_with_missing_answers_left_unknown():
    base = pd.Series([40, 40, 40, 40, NAN, 40], index=range(1, 7))
    end = pd.Series([31, 32, 49, NAN, 30, 45], index=range(1, 7))
    # PDI: MIC 9 points, lower is better
    classes = ev.change_class("pdi", base, end)
    assert list(classes) == [ev.IMPROVED, ev.UNCHANGED, ev.WORSENED, None, None, ev.UNCHANGED]


def test_relative_and_stepped_minimal_important_changes_come_from_the_registry():
    # NRS: 2 points or 30 % of baseline: 3 -> 2 is -33 %
    nrs = ev.change_class("nrs_avg", pd.Series([3.0, 8.0, 8.0]), pd.Series([2.0, 7.0, 6.0]))
    assert list(nrs) == [ev.IMPROVED, ev.UNCHANGED, ev.IMPROVED]
    # PCS: 8 points, 11 when the baseline is above 30
    pcs = ev.change_class("pcs", pd.Series([35.0, 28.0, 35.0]), pd.Series([26.0, 20.0, 24.0]))
    assert list(pcs) == [ev.UNCHANGED, ev.IMPROVED, ev.IMPROVED]
    # PSEQ: higher is better, MIC 5.5
    pseq = ev.change_class("pseq", pd.Series([20.0, 20.0]), pd.Series([26.0, 14.0]))
    assert list(pseq) == [ev.IMPROVED, ev.WORSENED]


def test_pgic_is_classified_by_its_band():
    pgic = ev.global_class("pgic", pd.Series([1.0, 2.0, 3.0, 4.0, 6.0, NAN]))
    assert list(pgic) == [ev.IMPROVED, ev.IMPROVED, ev.UNCHANGED, ev.UNCHANGED, ev.WORSENED,
                          None]


# --------------------------------------------------------------------------- effect


def _pdi_cohort(times: int = 1):
    """6 patients on PDI (see the classification test), repeated `times` times."""
    n = 6 * times
    index = list(range(1, n + 1))
    frame = scores(index, **{
        "pdi@baseline": [40, 40, 40, 40, NAN, 40] * times,
        "pdi@afslutning": [31, 32, 49, NAN, 30, 45] * times,
        "pgic@afslutning": [1, 4, 6, NAN, 2, 3] * times,
    })
    return patients(n), frame


def test_effect_counts_non_responders_and_never_imputes_them():
    people, frame = _pdi_cohort(times=5)
    eligible = ev.eligibility(people, events(), frame)
    table = ev.effect(frame, eligible, ("afslutning",))
    pdi = table.set_index("code").loc["pdi"]
    # 30 eligible; 20 have both answers; 10 do not (no end answer, or no baseline)
    assert (pdi["eligible"], pdi["both"], pdi["missing"]) == (30, 20, 10)
    assert (pdi["improved"], pdi["unchanged"], pdi["worsened"]) == (5, 10, 5)
    assert pdi["share"] == pytest.approx(0.25)
    assert (pdi["low"], pdi["high"]) == pytest.approx((0.1119, 0.4687), abs=5e-5)
    assert not pdi["hidden"]
    # mean change among the 20 with both: (-9 - 8 + 9 + 5) / 4 = -0.75
    assert pdi["mean_change"] == pytest.approx(-0.75)
    pgic = table.set_index("code").loc["pgic"]
    # PGIC answered by 25: 1 and 2 improved (10), 3 and 4 unchanged (10), 6 worsened (5)
    assert (pgic["both"], pgic["missing"], pgic["improved"], pgic["worsened"]) == (25, 5, 10, 5)


def test_effect_of_a_tiny_cohort_is_suppressed():
    people, frame = _pdi_cohort(times=1)
    table = ev.effect(frame, ev.eligibility(people, events(), frame), ("afslutning",))
    pdi = table.set_index("code").loc["pdi"]
    assert (pdi["improved"], pdi["both"]) == (1, 4)
    assert pdi["hidden"]
    assert pdi["hidden_breakdown"] == [True, True, True]


def test_who_should_answer_when():
    people = patients(4, active=[True, True, False, False],
                      discharged_on=[None, None, dt.date(2025, 9, 1), dt.date(2025, 9, 1)])
    course = events((1, "anden_opfoelgning", "gennemfoert", 150),
                    (3, "anden_opfoelgning", "gennemfoert", 150))
    frame = scores([1, 2, 3, 4], **{"pdi@baseline": [40, 40, NAN, 40],
                                    "pdi@midtvejs": [NAN, 35, NAN, NAN],
                                    "pdi@afslutning": [NAN, NAN, 30, NAN]})
    eligible = ev.eligibility(people, course, frame)
    assert list(eligible["baseline"]) == [True] * 4
    # midway: reached Anden opfølgning (1, 3), or answered anyway (2)
    assert list(eligible["midtvejs"]) == [True, True, True, False]
    # after treatment: the course has ended (3, 4)
    assert list(eligible["afslutning"]) == [False, False, True, True]
    rates = ev.response_rates(frame, eligible).set_index("timepoint")
    assert (rates.loc["baseline", "k"], rates.loc["baseline", "n"]) == (3, 4)
    assert (rates.loc["midtvejs", "k"], rates.loc["midtvejs", "n"]) == (1, 3)
    assert (rates.loc["afslutning", "k"], rates.loc["afslutning", "n"]) == (1, 2)


# --------------------------------------------------------------------------- completion


def test_funnel_completion_drop_out_and_waiting_times():
    people = patients(4, active=[False, False, True, False],
                      discharged_on=[dt.date(2025, 9, 1), dt.date(2025, 3, 1), None,
                                     dt.date(2025, 4, 1)])
    course = events(
        # patient 1: the whole course
        *[(1, code, "gennemfoert", 10 * (i + 1)) for i, (code, _) in
          enumerate(ev.STANDARD_STEPS)],
        # patient 2: dropped out at Kort primærsamtale, with a reason
        (2, "visitation", "gennemfoert", 2),
        (2, "kort_primaersamtale", "udgaaet", 30, "Ønsker ikke at fortsætte"),
        # patient 3: still going, in Livet med smerter
        (3, "visitation", "gennemfoert", 3), (3, "kort_primaersamtale", "gennemfoert", 40),
        (3, "forstaa_smerte", "gennemfoert", 50), (3, "lang_primaersamtale", "gennemfoert", 60),
        (3, "livet_med_smerter", "i_gang", 70),
        # patient 4: ended after Kort primærsamtale without a drop-out (e.g. at a conference)
        (4, "visitation", "gennemfoert", 4), (4, "kort_primaersamtale", "gennemfoert", 20),
        # an add-on, and a planned step that does not count as reached
        (1, "cft", "gennemfoert", 100, None, False),
        (3, "foerste_opfoelgning", "planlagt", 90),
    )
    table = ev.funnel(people, course).set_index("step")
    assert table.loc["visitation", "reached"] == 4
    # waits 10, 2, 3, 4 days: median 3.5, quartiles 2.75 and 5.5 (linear interpolation)
    assert table.loc["visitation", ["wait_median", "wait_q1", "wait_q3"]].tolist() == [
        3.5, 2.75, 5.5]
    kp = table.loc["kort_primaersamtale"]
    assert (kp["reached"], kp["completed"], kp["dropped_out"], kp["stopped_after"]) == (
        4, 3, 1, 1)
    lms = table.loc["livet_med_smerter"]
    assert (lms["reached"], lms["completed"], lms["in_progress"]) == (2, 1, 1)
    assert table.loc["foerste_opfoelgning", "reached"] == 1
    assert table.loc["afsluttende_samtale", "completed"] == 1

    done = ev.completion(people, course)
    assert (done.cohort, done.completed, done.dropped_out, done.ended_otherwise,
            done.in_course) == (4, 1, 1, 1, 1)
    assert done.ended == 3
    assert done.share["share"] == pytest.approx(1 / 3)

    # a reason given for fewer than 5 is not shown as written
    reasons = ev.dropout_reasons(course)
    assert list(reasons["reason"]) == ["Anden eller ingen registreret årsag"]
    assert list(reasons["count"]) == [1]

    addons = ev.addons_taken(people, course, {"cft": "CFT"})
    assert list(addons["label"]) == ["CFT"] and list(addons["k"]) == [1]
    assert addons.loc[0, "hidden"]


def test_a_reason_given_by_five_is_shown():
    course = events(*[(i, "livet_med_smerter", "udgaaet", 70, "Flyttet") for i in range(1, 6)])
    reasons = ev.dropout_reasons(course)
    assert reasons.iloc[0][["label", "reason", "count"]].tolist() == [
        "Livet med smerter", "Flyttet", 5]


# --------------------------------------------------------------------------- who benefits


def test_subgroups_count_every_cell_and_the_add_ons():
    # 10 women improve 6 of 8 answering; 6 men improve 1 of 5 answering
    n = 16
    sexes = ["K"] * 10 + ["M"] * 6
    base = [40.0] * n
    end = [30.0] * 6 + [40.0] * 2 + [NAN] * 2 + [30.0] + [40.0] * 4 + [NAN]
    people = patients(n, sex=sexes, age=[25] * 5 + [50] * 11,
                      pain_years=[0.5] * 8 + [12.0] * 8)
    frame = scores(range(1, n + 1), **{"pdi@baseline": base, "pdi@afslutning": end,
                                       "nrs_avg@baseline": [8.0] * n})
    course = events(*[(i, "cft", "gennemfoert", 100, None, False) for i in (1, 2, 3, 11)])
    table = ev.subgroups(people, frame, course, "pdi", {"cft": "CFT"})
    cells = table.set_index(["variable", "level"])
    assert cells.loc[("Køn", "Kvinde"), ["patients", "n", "k"]].tolist() == [10, 8, 6]
    assert cells.loc[("Køn", "Mand"), ["patients", "n", "k"]].tolist() == [6, 5, 1]
    assert cells.loc[("Køn", "Mand"), "hidden"]
    assert cells.loc[("Alder", "Under 30 år"), ["patients", "n", "k"]].tolist() == [5, 5, 5]
    assert cells.loc[("Smertevarighed", "Under 1 år"), "patients"] == 8
    # PDI has no bands: severity is pain intensity's band at baseline (NRS 8: severe)
    assert cells.loc[("Sværhed ved baseline", "Svære smerter"), "patients"] == n
    assert cells.loc[("Tilvalg", "CFT"), ["patients", "n", "k"]].tolist() == [4, 4, 4]
    assert cells.loc[("Tilvalg", "Intet tilvalg"), "patients"] == 12
    assert list(dict.fromkeys(table["variable"])) == [
        "Køn", "Alder", "Smertevarighed", "Arbejde og forsørgelse", "Sværhed ved baseline",
        "Tilvalg", "Mikroteam"]


def test_comparable_patients_are_those_in_the_same_baseline_band():
    # HADS-A has bands: 8-10 mild. Of the 6 mild at baseline, 5 answered at the end and 4
    # improved (>= 1.5 lower); PDI has no bands: compared by pain intensity (NRS 8: severe)
    frame = scores(range(1, 11), **{
        "hads_a@baseline": [9, 9, 9, 9, 9, 9, 16, 16, 3, 3],
        "hads_a@afslutning": [7, 7, 7, 7, 9, NAN, 10, 16, 3, 3],
        "nrs_avg@baseline": [8] * 5 + [3] * 5,
        "pdi@baseline": [40] * 10,
        "pdi@afslutning": [30] * 6 + [40] * 4,
    })
    table = ev.comparison_table(frame)
    row = ev.comparable(table, "hads_a", {"hads_a": 10.0})
    assert (row["k"], row["n"], row["band"]) == (4, 5, "Mulig angst (let)")
    assert row["hidden"]  # 1 of 5 did not: too few to show the share
    severe = ev.comparable(table, "pdi", {"pdi": 20.0, "nrs_avg": 9.0})
    assert (severe["severity"], severe["band"], severe["k"], severe["n"]) == (
        "nrs_avg", "Svære smerter", 5, 5)
    mild = ev.comparable(table, "pdi", {"nrs_avg": 2.0})
    assert (mild["k"], mild["n"]) == (1, 5)
    assert ev.comparable(table, "hads_a", {"hads_a": None}) is None
    assert ev.comparable(table, "pdi", {"pdi": 40.0}) is None  # no pain intensity at baseline


# --------------------------------------------------------------------------- perpetuating factors


def test_factor_crosstab_sets_factor_improvement_against_the_effect():
    # 4 patients: PCS improved for 1 and 2; PDI improved for 1 and 3; patient 4 no PDI end
    frame = scores([1, 2, 3, 4], **{
        "pcs@baseline": [30, 30, 30, 30], "pcs@afslutning": [20, 20, 29, 29],
        "pdi@baseline": [40, 40, 40, 40], "pdi@afslutning": [30, 40, 30, NAN],
    })
    table = ev.factor_crosstab(frame, factors=("pcs",), effects=("pdi",))
    rows = table.set_index("factor_improved")
    assert rows.loc["Forbedret", ["k", "n"]].tolist() == [1, 2]
    assert rows.loc["Ikke forbedret", ["k", "n"]].tolist() == [1, 1]


# --------------------------------------------------------------------------- table 1, meetings


def test_characteristics_counts_and_summaries():
    people = patients(4, sex=["K", "K", "K", "M"], age=[30, 40, 50, 60],
                      work=["pension", "sygemeldt", None, "pension"])
    frame = scores([1, 2, 3, 4], **{"who5@baseline": [10, 12, NAN, 14]})
    table = ev.characteristics(people, frame).set_index(["section", "label"])
    assert table.loc[("Køn", "Kvinde"), ["k", "n"]].tolist() == [3, 4]
    assert table.loc[("Alder", "Alder ved henvisning, år"), ["mean", "median", "q1", "q3"]
                     ].tolist() == [45.0, 45.0, 37.5, 52.5]
    assert table.loc[("Arbejde og forsørgelse", "Ikke oplyst"), "k"] == 1
    # WHO-5 on the display scale (x 4): 40, 48, 56 -> mean 48
    who5 = table.loc[("Baseline", "WHO-5 (%)")]
    assert (who5["n"], who5["mean"]) == (3, 48.0)


def test_conference_figures_from_the_meetings():
    meetings = pd.DataFrame([
        {"cases_on_agenda": 8, "information": 2, "seconds_used": 4800, "budget_seconds": 4800,
         "timed_cases": 8, "over_budget": 3, "carried_over": 1, "actions": 10,
         "actions_due": 10, "done_on_time": 9},
        {"cases_on_agenda": 10, "information": 0, "seconds_used": 6000, "budget_seconds": 6000,
         "timed_cases": 10, "over_budget": 5, "carried_over": 0, "actions": 12,
         "actions_due": 10, "done_on_time": 6},
    ])
    table = ev.conference_figures(meetings).set_index("label")
    assert table.loc["Konferencer afholdt", "value"] == 2
    assert table.loc["Sager til drøftelse pr. konference (gennemsnit)", "value"] == 9
    assert table.loc["Minutter pr. drøftet sag (brugt)", "value"] == 10
    carried = table.loc["Sager overført til næste konference"]
    assert (carried["k"], carried["n"], carried["hidden"]) == (1, 18, True)
    on_time = table.loc["Næste skridt udført senest på fristen"]
    assert (on_time["k"], on_time["n"], on_time["share"]) == (15, 20, 0.75)
    assert not on_time["hidden"]


def test_bands_of_age_and_pain_duration():
    assert list(ev.age_band(pd.Series([18, 29, 30, 59, 75, np.nan]))) == [
        "Under 30 år", "Under 30 år", "30–44 år", "45–59 år", "75 år og derover", "Ikke oplyst"]
    assert list(ev.duration_band(pd.Series([0.5, 1, 2.9, 5, 10, 30, None]))) == [
        "Under 1 år", "1–3 år", "1–3 år", "5–10 år", "Over 10 år", "Over 10 år", "Ikke oplyst"]


# --------------------------------------------------------------------------- charts


def test_every_chart_is_titled_described_and_keeps_its_marks_out_of_the_reader():
    from conference import evaluation_charts as charts

    people, frame = _pdi_cohort(times=5)
    course = events(*[(i, "visitation", "gennemfoert", 2) for i in range(1, 31)],
                    *[(i, "afsluttende_samtale", "gennemfoert", 200) for i in range(1, 21)])
    result = ev.evaluate(people, course, frame, pd.DataFrame(), {})
    specs = {
        "funnel": charts.funnel_chart(result.funnel),
        "effect": charts.effect_chart(result.effect),
        "breakdown": charts.breakdown_chart(result.effect),
        "factors": charts.factor_chart(result.factors),
        "subgroups": charts.subgroup_chart(result.subgroups("pdi"), "PDI"),
    }
    for name, chart in specs.items():
        spec = chart.to_dict()
        assert spec["title"]["text"], name
        assert "tabellen" in spec["description"], name
        assert spec["config"]["aria"] is False and spec["config"]["mark"]["aria"] is False
    assert "30 nåede Visitation og 20 Afsluttende samtale" in specs["funnel"].to_dict()[
        "description"]
    assert "PDI 25 %" in specs["effect"].to_dict()["description"]
