"""PRO on screen (issue 12): the change rule per instrument from the registry, flags with their
time point and date split into current and "Tidligere målinger", "ikke besvaret" against
"kan ikke beregnes", and every instrument's display precision (WHO-5 a whole percentage).
Fixed dates only: nothing here reads the clock."""

import dataclasses
import datetime as dt
import itertools
import re

import pytest
from streamlit.testing.v1 import AppTest

from conference import pro, pro_trend
from conference.case_text import pro_text
from conference.charts import pro_frame
from conference.services.patients import ProPoint

BASE = dt.date(2025, 3, 12)
MID = dt.date(2025, 6, 3)
END = dt.date(2026, 9, 1)


# --------------------------------------------------------------------------- the change rule


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("nrs_avg", "Mindste betydende ændring: 2 point eller 30 % af baseline"),
        ("nrs_peak", "Mindste betydende ændring: 2 point eller 30 % af baseline"),
        ("pdi", "Mindste betydende ændring: 9 point"),
        ("pcs", "Mindste betydende ændring: 8 point (11 point ved baseline over 30)"),
        ("hads_a", "Mindste betydende ændring: 1,5 point"),
        ("hads_d", "Mindste betydende ændring: 1,5 point"),
        ("isi", "Mindste betydende ændring: 6 point"),
        ("pseq", "Mindste betydende ændring: 5,5 point"),
        ("who5", "Mindste betydende ændring: 10 procentpoint"),  # raw 2.5 x 4
        ("eq5d_index", "Mindste betydende ændring: 0,09 point"),
        ("eq_vas", "Mindste betydende ændring: 8 point"),
        ("pgic", "Ingen fastsat mindste betydende ændring"),
    ],
)
def test_change_rule_text_per_instrument(code, text):
    assert pro.change_rule_text(code) == text


def test_change_rule_for_a_baseline_names_the_rule_that_applies():
    assert pro.mic_text("pcs", 30) == "8 point"
    assert pro.mic_text("pcs", 31) == "11 point ved baseline over 30"
    assert pro.mic_text("nrs_avg", 2) == "2 point eller 30 % af baseline"
    assert pro.mic_text("pgic") == ""


def test_change_rule_text_comes_from_the_registry_data(monkeypatch):
    instruments = dict(pro.INSTRUMENTS)
    instruments["pdi"] = dataclasses.replace(instruments["pdi"], mic=7.5, mic_pct=20)
    instruments["who5"] = dataclasses.replace(instruments["who5"], mic=3)
    instruments["isi"] = dataclasses.replace(instruments["isi"], mic=None)
    monkeypatch.setattr(pro.registry, "INSTRUMENTS", instruments)  # read by every rule
    assert pro.change_rule_text("pdi") == (
        "Mindste betydende ændring: 7,5 point eller 20 % af baseline")
    assert pro.change_rule_text("who5") == "Mindste betydende ændring: 12 procentpoint"
    assert pro.change_rule_text("isi") == "Ingen fastsat mindste betydende ændring"


@pytest.mark.parametrize(
    ("baseline", "current", "relevant"),
    [
        (2, 3, True),  # +1 = 50 % of 2: the 30 % rule is met ("2 points or 30 %": either)
        (3, 4, True),  # +1 = 33 %
        (4, 5, False),  # +1 = 25 %, < 2 points
        (0, 1, False),  # no relative rule from a zero baseline
        (10, 8, True),  # -2 points (20 %)
        (7, 6, False),  # -1 = 14 %
    ],
)
def test_nrs_change_follows_pro_md_two_points_or_thirty_percent(baseline, current, relevant):
    assert pro.change("nrs_avg", baseline, current).clinically_relevant is relevant
    changes = [f for f in pro.flags("nrs_avg", current, baseline) if f.kind == "change"]
    assert bool(changes) is relevant


def test_nrs_two_to_three_flag_says_why_it_is_clinically_relevant():
    (flag,) = pro.flags("nrs_avg", 3, baseline=2)
    assert flag.level == "red"
    assert flag.text == (
        "NRS gennemsnit: klinisk relevant ændring, værre (2 → 3, +1 = +50 %; mindste betydende "
        "ændring: 2 point eller 30 % af baseline) – kræver opmærksomhed"
    )


def test_change_flags_state_the_rule_that_applied():
    pcs = pro.flags("pcs", 20, baseline=33)[-1]
    assert pcs.text == ("PCS: klinisk relevant ændring, bedre (33 → 20, −13; mindste betydende "
                        "ændring: 11 point ved baseline over 30)")
    who5 = pro.flags("who5", 15, baseline=10)[-1]
    assert who5.text == ("WHO-5: klinisk relevant ændring, bedre (40 % → 60 %, +20 procentpoint; "
                         "mindste betydende ændring: 10 procentpoint)")


def test_the_table_and_the_chart_state_the_rule_where_the_change_is_shown():
    answers = [ProPoint("baseline", BASE, {"nrs_avg": 2.0}, {}),
               ProPoint("midtvejs", MID, {"nrs_avg": 2.0}, {}),
               ProPoint("afslutning", END, {"nrs_avg": 3.0, "pgic": 2.0}, {})]
    rows = {r["Instrument"]: r for r in pro_trend.summary_rows(answers)}
    assert rows["NRS gennemsnit"]["Ændring fra baseline"] == "2 → 3: klinisk relevant forværring"
    assert rows["NRS gennemsnit"]["Mindste betydende ændring"] == "2 point eller 30 % af baseline"
    assert rows["PGIC"]["Mindste betydende ændring"] == "ingen fastsat"
    frame = pro_frame(pro_trend.trends(answers))
    points = frame[frame["kind"] == "point"]
    assert set(points["Mindste betydende ændring"]) == {"2 point eller 30 % af baseline",
                                                          "ingen fastsat"}
    text = pro_text(answers)
    assert ("NRS gennemsnit: baseline 2, lette smerter; midtvejs 2, lette smerter; afslutning 3, "
            "lette smerter – klinisk relevant forværring (mindste betydende ændring: 2 point "
            "eller 30 % af baseline).") in text.splitlines()


# --------------------------------------------------------------------------- flags in time

#: Baseline: HADS-D 12 (red), NRS 8 (red), PDI 50. Midtvejs (HADS not asked): NRS 5 (yellow,
#: 8 -> 5 relevant), PDI not computable. Afslutning: nothing yet.
HISTORY = [
    ProPoint("baseline", BASE, {"nrs_avg": 8.0, "hads_d": 12.0, "pdi": 50.0}, {}),
    ProPoint("midtvejs", MID, {"nrs_avg": 5.0, "pdi": None},
             {"pdi": [5, 6, 7, None, None, None, None]}),
]


def test_every_flag_carries_its_time_point_and_date():
    for trend in pro_trend.trends(HISTORY):
        for point in trend.points:
            for flag in point.flags:
                assert (flag.timepoint, flag.answered_on) == (point.timepoint, point.answered_on)
    hads = next(t for t in pro_trend.trends(HISTORY) if t.code == "hads_d")
    (flag,) = hads.attention
    assert pro_trend.flag_when(flag) == "Baseline 12. mar. 2025"
    assert pro_trend.dated_text(flag) == (
        "Baseline 12. mar. 2025 · HADS-D 12: Sandsynlig depression (moderat) – kræver opmærksomhed"
    )
    assert pro_trend.flag_text(flag).startswith("[rød] Baseline 12. mar. 2025 · HADS-D 12")
    assert pro_trend.flag_text(flag, dated=False).startswith("[rød] HADS-D 12")


def test_flags_of_the_latest_response_are_current_and_older_ones_history():
    split = pro_trend.split_flags(pro_trend.trends(HISTORY))
    assert split.latest == "Midtvejs 3. jun. 2025"
    assert [(f.timepoint, f.level, f.kind) for f in split.current] == [
        ("midtvejs", "yellow", "band"), ("midtvejs", "green", "change")]
    # HADS-D was not asked at midtvejs: its baseline flag is history, dated; the superseded
    # NRS baseline flag is not shown again.
    assert [pro_trend.dated_text(f) for f in split.history] == [
        "Baseline 12. mar. 2025 · HADS-D 12: Sandsynlig depression (moderat) – kræver opmærksomhed"
    ]


def test_an_instrument_unanswered_in_the_latest_response_keeps_its_last_flags_as_history():
    answers = [ProPoint("baseline", BASE, {"nrs_avg": 8.0, "who5": 20.0}, {}),
               ProPoint("midtvejs", MID, {"nrs_avg": None, "who5": 21.0}, {})]
    split = pro_trend.split_flags(pro_trend.trends(answers))
    assert split.current == ()
    assert [(f.timepoint, f.text) for f in split.history] == [
        ("baseline", "NRS gennemsnit 8: Svære smerter – kræver opmærksomhed")]


def test_history_is_newest_first():
    answers = [
        ProPoint("baseline", BASE, {"hads_a": 12.0, "isi": 20.0, "nrs_avg": 3.0}, {}),
        ProPoint("midtvejs", MID, {"nrs_avg": 3.0, "pdi": 20.0}, {}),
        ProPoint("afslutning", END, {"pdi": 20.0}, {}),
    ]
    split = pro_trend.split_flags(pro_trend.trends(answers))
    assert split.latest == "Afslutning 1. sep. 2026"
    assert [f.timepoint for f in split.history] == ["baseline", "baseline"]
    assert [f.level for f in split.history] == ["red", "red"]  # HADS-A, ISI
    assert pro_trend.split_flags([]) == pro_trend.FlagSplit("", (), ())


def test_case_text_lists_current_flags_then_tidligere_maalinger():
    lines = pro_text(HISTORY).splitlines()
    start = lines.index("Markeringer (dialogstøtte, ikke beslutningsstøtte):")
    assert lines[start + 1:] == [
        "- [gul] Midtvejs 3. jun. 2025 · NRS gennemsnit 5: Moderate smerter",
        "- [grøn] Midtvejs 3. jun. 2025 · NRS gennemsnit: klinisk relevant ændring, bedre "
        "(8 → 5, −3 = −38 %; mindste betydende ændring: 2 point eller 30 % af baseline)",
        "Tidligere målinger:",
        "- [rød] Baseline 12. mar. 2025 · HADS-D 12: Sandsynlig depression (moderat) – kræver "
        "opmærksomhed",
    ]


def test_case_text_says_when_the_latest_response_has_no_flags():
    answers = [ProPoint("baseline", BASE, {"hads_d": 12.0}, {}),
               ProPoint("midtvejs", MID, {"nrs_avg": 2.0}, {})]
    lines = pro_text(answers).splitlines()
    assert "- Ingen ved seneste besvarelse (Midtvejs 3. jun. 2025)." in lines
    assert lines[-2] == "Tidligere målinger:"


def test_the_table_dates_each_rows_flags():
    rows = {r["Instrument"]: r for r in pro_trend.summary_rows(HISTORY)}
    assert rows["HADS-D"]["Markering"] == (
        "Baseline 12. mar. 2025: [rød] HADS-D 12: Sandsynlig depression (moderat) – kræver "
        "opmærksomhed")
    assert rows["NRS gennemsnit"]["Markering"].startswith(
        "Midtvejs 3. jun. 2025: [gul] NRS gennemsnit 5: Moderate smerter · [grøn] NRS")
    assert rows["PDI"]["Markering"] == ""


SCREEN = """
import datetime as dt
from conference.services.patients import ProPoint
from conference.ui.pro_view import pro_flags
from conference import pro_trend
answers = [
    ProPoint("baseline", dt.date(2025, 3, 12), {"nrs_avg": 8.0, "hads_d": 12.0}, {}),
    ProPoint("midtvejs", dt.date(2025, 6, 3), {"nrs_avg": 5.0}, {}),
]
pro_flags(pro_trend.trends(answers), limit=LIMIT)
"""


def _screen(limit):
    app = AppTest.from_string(SCREEN.replace("LIMIT", repr(limit)), default_timeout=30).run()
    assert not app.exception
    captions = [c.value for c in app.caption]
    texts = " ".join(m.value for m in app.markdown)
    return captions, texts


def test_the_screen_shows_current_flags_then_dated_history():
    captions, texts = _screen(None)
    assert captions[0] == "Markeringer ved seneste besvarelse (Midtvejs 3. jun. 2025):"
    assert captions[1].startswith("Tidligere målinger")
    assert texts.index("Midtvejs 3. jun. 2025 · NRS gennemsnit 5") < texts.index(
        "Baseline 12. mar. 2025 · HADS-D 12")
    assert "Baseline 12. mar. 2025 · NRS gennemsnit 8" not in texts  # superseded


def test_the_projected_screen_fills_its_limit_with_current_flags_first():
    captions, texts = _screen(2)
    assert "Baseline 12. mar. 2025" not in texts
    assert not any(c.startswith("Tidligere målinger") for c in captions)
    assert captions[-1] == "… og 1 markeringer mere i tabellen."


# --------------------------------------------------------------------------- missing


@pytest.mark.parametrize(
    ("code", "items", "text"),
    [
        ("nrs_avg", None, "ikke besvaret"),  # a one-item scale without its answer
        ("nrs_avg", [None], "ikke besvaret"),
        ("eq_vas", [None], "ikke besvaret"),
        ("pgic", None, "ikke besvaret"),
        ("pdi", [None] * 7, "ikke besvaret"),  # a questionnaire left blank
        ("pdi", [5, 6, 7, None, None, None, None], "kan ikke beregnes"),  # 3 of 7
        ("eq5d_index", [1, 1, 1, 1, None], "kan ikke beregnes"),
        ("pdi", None, "kan ikke beregnes"),  # no item answers known (a score-only import)
    ],
)
def test_not_answered_and_not_computable_are_different(code, items, text):
    assert pro.missing_text(code, items) == text
    assert pro.format_score(code, None, items=items) == text


def test_trend_table_chart_and_text_say_which_kind_of_missing():
    answers = [
        ProPoint("baseline", BASE, {"nrs_avg": 7.0, "pdi": 40.0, "pcs": 20.0}, {}),
        ProPoint("midtvejs", MID, {"nrs_avg": None, "pdi": None, "pcs": None},
                 {"nrs_avg": [None], "pdi": [5, 6, 7, None, None, None, None],
                  "pcs": [None] * 13}),
    ]
    trends = {t.code: t for t in pro_trend.trends(answers)}
    mid = {code: t.at("midtvejs") for code, t in trends.items()}
    assert (mid["nrs_avg"].text, mid["nrs_avg"].answered) == ("ikke besvaret", False)
    assert (mid["pdi"].text, mid["pdi"].answered) == ("kan ikke beregnes", True)
    assert (mid["pcs"].text, mid["pcs"].answered) == ("ikke besvaret", False)
    rows = {r["Instrument"]: r for r in pro_trend.summary_rows(answers)}
    assert rows["NRS gennemsnit"]["Midtvejs 03.06.2025"] == "ikke besvaret"
    assert rows["PDI"]["Midtvejs 03.06.2025"] == "kan ikke beregnes"
    frame = pro_frame(list(trends.values()))
    gaps = frame[frame["kind"] == "missing"]
    assert sorted(gaps["Vist"]) == ["ikke besvaret", "ikke besvaret", "kan ikke beregnes"]
    text = pro_text(answers)
    assert "NRS gennemsnit: baseline 7, svære smerter; midtvejs ikke besvaret." in text
    assert "PDI: baseline 40; midtvejs kan ikke beregnes." in text


# --------------------------------------------------------------------------- display


def test_display_precision_is_registry_data_per_pro_md():
    assert {code: inst.decimals for code, inst in pro.INSTRUMENTS.items()} == {
        "nrs_avg": 0, "nrs_peak": 0, "pdi": 1, "pcs": 1, "hads_a": 1, "hads_d": 1, "isi": 1,
        "pseq": 1, "who5": 0, "eq5d_index": 3, "eq_vas": 0, "pgic": 0,
    }


@pytest.mark.parametrize(
    ("code", "value", "text"),
    [
        ("who5", 11.3, "45 %"),  # prorated raw 11.3 x 4 = 45.2: a whole percentage
        ("who5", 13.8, "55 %"),  # 55.2
        ("who5", 12.5, "50 %"),
        ("who5", 11.7, "47 %"),  # 46.8
        ("pdi", 36.2, "36,2"),  # a prorated sum keeps its decimal, with a comma
        ("hads_a", 12.3, "12,3"),
        ("hads_a", 12.0, "12"),
        ("eq5d_index", 0.09, "0,090"),
        ("nrs_avg", 7, "7"),
        ("eq_vas", 55, "55"),
    ],
)
def test_scores_are_shown_as_the_manuals_report_them(code, value, text):
    assert pro.format_score(code, value) == text


def test_every_who5_score_is_a_whole_percentage_that_agrees_with_its_band():
    answers = [None, 0, 1, 2, 3, 4, 5]
    for items in itertools.product(answers, repeat=5):
        raw = pro.score("who5", list(items))
        if raw is None:
            continue
        text = pro.format_score("who5", raw)
        assert re.fullmatch(r"\d{1,3} %", text), text
        shown = int(text.removesuffix(" %"))
        label = pro.band_for("who5", raw).label
        if "≤ 28 %" in label:
            assert shown <= 28, (items, text, label)
        elif "< 52 %" in label:
            assert 28 < shown < 52, (items, text, label)
        else:
            assert shown >= 52, (items, text, label)


def test_who5_flags_and_changes_use_whole_percentages():
    (band,) = pro.flags("who5", 7.5)  # prorated: 30 %, above the "≤ 28 %" cut-off
    assert band.text == "WHO-5 30 %: Lav trivsel (< 52 %) – kræver opmærksomhed"
    change = pro.flags("who5", 13.8, baseline=11.3)[-1]
    assert change.text.startswith(
        "WHO-5: klinisk relevant ændring, bedre (45 % → 55 %, +10 procentpoint;")


def test_danish_dates_in_flags():
    answers = [ProPoint("baseline", dt.date(2025, 5, 1), {"hads_d": 12.0}, {})]
    (flag,) = pro_trend.trends(answers)[0].attention
    assert pro_trend.flag_when(flag) == "Baseline 1. maj 2025"
    assert pro_trend.flag_when(pro.Flag("band", "red", "x")) == ""
