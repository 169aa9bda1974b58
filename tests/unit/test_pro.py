"""PRO instruments: registry, scoring, bands, change, flags (demo answers: test_pro_answers)."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conference import pro
from conference.pro import (
    INSTRUMENTS,
    Band,
    Flag,
    ProValueError,
    RegistryError,
    band_for,
    change,
    display_value,
    eq5d_index,
    flags,
    format_score,
    load_instruments,
    pcs_subscales,
    score,
)

CODES = [
    "nrs_avg",
    "nrs_peak",
    "pdi",
    "pcs",
    "hads_a",
    "hads_d",
    "isi",
    "pseq",
    "who5",
    "eq5d_index",
    "eq_vas",
    "pgic",
]


# --- registry --------------------------------------------------------------------------------


def test_registry_has_the_pro_md_instruments_in_order():
    assert list(INSTRUMENTS) == CODES
    assert INSTRUMENTS["nrs_avg"].name == "Smerteintensitet, gennemsnit (NRS)"
    assert INSTRUMENTS["pdi"].name == "Pain Disability Index (PDI)"
    assert INSTRUMENTS["pcs"].name == "Smertekatastrofetænkning (PCS)"
    assert INSTRUMENTS["who5"].name == "WHO-5 trivsel"


@pytest.mark.parametrize(
    ("code", "items", "item_range", "score_range", "direction", "mic"),
    [
        ("nrs_avg", 1, (0, 10), (0, 10), "higher_worse", 2),
        ("nrs_peak", 1, (0, 10), (0, 10), "higher_worse", 2),
        ("pdi", 7, (0, 10), (0, 70), "higher_worse", 9),
        ("pcs", 13, (0, 4), (0, 52), "higher_worse", 8),
        ("hads_a", 7, (0, 3), (0, 21), "higher_worse", 1.5),
        ("hads_d", 7, (0, 3), (0, 21), "higher_worse", 1.5),
        ("isi", 7, (0, 4), (0, 28), "higher_worse", 6),
        ("pseq", 10, (0, 6), (0, 60), "higher_better", 5.5),
        ("who5", 5, (0, 5), (0, 25), "higher_better", 2.5),
        ("eq5d_index", 5, (1, 5), (-0.758, 1), "higher_better", 0.09),
        ("eq_vas", 1, (0, 100), (0, 100), "higher_better", 8),
        ("pgic", 1, (1, 7), (1, 7), "lower_better", None),
    ],
)
def test_registry_values(code, items, item_range, score_range, direction, mic):
    inst = INSTRUMENTS[code]
    assert inst.items == items
    assert (inst.item_min, inst.item_max) == item_range
    assert (inst.score_min, inst.score_max) == score_range
    assert inst.direction == direction
    assert inst.mic == mic


def test_better_text():
    assert INSTRUMENTS["nrs_avg"].better == "lavere er bedre"
    assert INSTRUMENTS["pseq"].better == "højere er bedre"
    assert INSTRUMENTS["pgic"].better == "lavere er bedre"


def test_timepoints():
    assert INSTRUMENTS["pgic"].timepoints == ("afslutning", "opfoelgning")
    assert all("baseline" in INSTRUMENTS[c].timepoints for c in CODES if c != "pgic")
    assert set(pro.TIMEPOINTS) == {"baseline", "midtvejs", "afslutning", "opfoelgning"}
    assert "pgic" not in {i.code for i in pro.instruments_for_timepoint("baseline")}


def test_mic_rules_as_data():
    assert INSTRUMENTS["nrs_avg"].mic_pct == 30
    assert INSTRUMENTS["pcs"].mic_for(30) == 8
    assert INSTRUMENTS["pcs"].mic_for(31) == 11
    assert INSTRUMENTS["who5"].display_factor == 4


def test_pcs_subscales_as_data():
    subs = {s.code: (s.items, s.threshold) for s in INSTRUMENTS["pcs"].subscales}
    assert subs == {
        "helplessness": ((1, 2, 3, 4, 5, 12), 13),
        "magnification": ((6, 7, 13), 5),
        "rumination": ((8, 9, 10, 11), 11),
    }


def test_default_min_answered_is_half():
    assert INSTRUMENTS["pcs"].min_answered == 7
    assert INSTRUMENTS["hads_a"].min_answered == 4
    assert INSTRUMENTS["who5"].min_answered == 3
    assert INSTRUMENTS["eq5d_index"].min_answered == 5


def test_load_instruments_default_path_equals_module_constant():
    assert load_instruments() == INSTRUMENTS


MINIMAL = """
[timepoints]
baseline = "Baseline"

[[instrument]]
code = "x"
name = "X"
short_name = "X"
items = 2
item_min = 0
item_max = 3
score_min = 0
score_max = 6
direction = "higher_worse"
timepoints = ["baseline"]
"""


def test_load_custom_registry(tmp_path: Path):
    path = tmp_path / "i.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    inst = load_instruments(path)["x"]
    assert inst.min_answered == 1 and inst.bands == () and inst.mic is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("score_max = 6", "score_max = 7"), "sumscore"),
        (('direction = "higher_worse"', 'direction = "up"'), "direction"),
        (('timepoints = ["baseline"]', 'timepoints = ["senere"]'), "timepoints"),
        (("items = 2", "items = 2\nmic_pc = 3"), "ukendte felter"),
        (("items = 2", "items = 2\nmin_answered = 3"), "min_answered"),
        (
            (
                'timepoints = ["baseline"]',
                'timepoints = ["baseline"]\n[[instrument.band]]\nlower = 0\nupper = 9\n'
                'label = "a"\nlevel = "red"',
            ),
            "inden for",
        ),
        (
            (
                'timepoints = ["baseline"]',
                'timepoints = ["baseline"]\n[[instrument.band]]\nlower = 0\nupper = 3\n'
                'label = "a"\nlevel = "red"\n[[instrument.band]]\nlower = 3\nupper = 6\n'
                'label = "b"\nlevel = "red"',
            ),
            "overlap",
        ),
    ],
)
def test_registry_errors(tmp_path: Path, edit, message):
    path = tmp_path / "i.toml"
    path.write_text(MINIMAL.replace(*edit), encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        load_instruments(path)


def test_value_set_range_is_checked(tmp_path: Path):
    # The range in PRO.md (-0.757) is narrower than what the tabulated decrements give.
    text = pro.DEFAULT_PATH.read_text(encoding="utf-8")
    path = tmp_path / "i.toml"
    path.write_text(text.replace("score_min = -0.758", "score_min = -0.757"), encoding="utf-8")
    with pytest.raises(RegistryError, match="-0.758"):
        load_instruments(path)


# --- scoring ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "items", "expected"),
    [
        ("nrs_avg", [7], 7),
        ("nrs_peak", [0], 0),
        ("pdi", [5, 6, 7, 3, 2, 8, 4], 35),
        ("pcs", [2] * 13, 26),
        ("pcs", [4] * 13, 52),
        ("hads_a", [1, 2, 0, 3, 1, 2, 1], 10),
        ("hads_d", [0, 0, 0, 0, 0, 0, 0], 0),
        ("isi", [2, 2, 2, 2, 2, 2, 2], 14),
        ("pseq", [2] * 10, 20),
        ("who5", [2, 3, 2, 3, 2], 12),
        ("eq5d_index", [1, 1, 1, 1, 1], 1.0),
        ("eq_vas", [75], 75),
        ("pgic", [2], 2),
    ],
)
def test_score_complete_answers(code, items, expected):
    result = score(code, items)
    assert isinstance(result, float)
    assert result == expected


@pytest.mark.parametrize(
    ("code", "items", "expected"),
    [
        # 31 over 6 answered items, times 7 = 36.17 -> 36.2
        ("pdi", [5, 6, 7, 3, 2, 8, None], 36.2),
        # 4 of 7 answered (= half rounded up): 21 * 7 / 4 = 36.75 -> 36.8
        ("pdi", [5, 6, 7, 3, None, None, None], 36.8),
        # 7 * 7 / 4 = 12.25 -> 12.3 (half up; Python's round() would give 12.2)
        ("hads_a", [3, 2, 1, 1, None, None, None], 12.3),
        # 12 answered of 13: 24 * 13 / 12 = 26.0
        ("pcs", [2] * 12 + [None], 26.0),
        # WHO-5: 3 of 5 answered: 9 * 5 / 3 = 15
        ("who5", [3, None, 3, None, 3], 15.0),
        # NaN counts as missing (pandas)
        ("hads_d", [1, 1, 1, 1, 1, 1, float("nan")], 7.0),
    ],
)
def test_score_prorates_missing_items(code, items, expected):
    assert score(code, items) == expected


@pytest.mark.parametrize(
    ("code", "items"),
    [
        ("pdi", [5, 6, 7, None, None, None, None]),  # 3 of 7 < half
        ("pcs", [2] * 6 + [None] * 7),  # 6 of 13
        ("who5", [5, 5, None, None, None]),
        ("eq5d_index", [1, 1, 1, 1, None]),  # an index needs every dimension
    ],
)
def test_score_too_many_missing_is_none(code, items):
    assert score(code, items) is None
    assert format_score(code, score(code, items), items=items) == "kan ikke beregnes"


@pytest.mark.parametrize(
    ("code", "items", "message"),
    [
        ("nrs_avg", [11], "uden for skalaen 0–10"),
        ("nrs_avg", [-1], "uden for"),
        ("hads_a", [1, 2, 4, 0, 0, 0, 0], "spørgsmål 3"),
        ("pgic", [0], "uden for skalaen 1–7"),
        ("eq5d_index", [1, 1, 6, 1, 1], "uden for"),
        ("pdi", [1, 2, 3], "forkert antal svar"),
        ("pdi", [1] * 8, "forventede 7, fik 8"),
        ("nrs_avg", [6.5], "helt tal"),
        ("nrs_avg", ["7"], "ikke et tal"),
        ("nosuch", [1], "Ukendt PRO-instrument"),
    ],
)
def test_score_rejects_invalid_answers(code, items, message):
    with pytest.raises(ProValueError, match=message):
        score(code, items)


def test_integer_valued_floats_are_accepted():
    assert score("hads_a", [1.0, 2.0, 0.0, 3.0, 1.0, 2.0, 1.0]) == 10


# --- EQ-5D-5L ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([1, 1, 1, 1, 1], 1.0),
        ([5, 5, 5, 5, 5], -0.758),  # 1 - (.220 + .209 + .174 + .537 + .618)
        ([2, 1, 1, 1, 1], 0.959),  # 1 - .041
        ([2, 2, 2, 2, 2], 0.771),  # 1 - (.041 + .035 + .033 + .048 + .072)
        ([3, 3, 3, 3, 3], 0.571),  # 1 - (.054 + .050 + .040 + .094 + .191)
        ([1, 2, 3, 4, 5], -0.074),  # 1 - (0 + .035 + .040 + .381 + .618)
        ([2, 1, 2, 4, 3], 0.354),  # 1 - (.041 + .033 + .381 + .191)
    ],
)
def test_eq5d_index(levels, expected):
    assert eq5d_index(levels) == pytest.approx(expected, abs=1e-9)
    assert score("eq5d_index", levels) == pytest.approx(expected, abs=1e-9)


def test_eq5d_worst_state_against_stated_range():
    # PRO.md says -0.757 to 1; the tabulated decrements give -0.758 for 55555.
    # The registry range follows the coefficients so the worst state stays in range.
    worst = eq5d_index([5] * 5)
    assert worst == -0.758
    assert INSTRUMENTS["eq5d_index"].score_min == worst


def test_eq5d_index_needs_all_levels():
    with pytest.raises(ProValueError, match="alle 5 dimensioner"):
        eq5d_index([1, 1, None, 1, 1])
    with pytest.raises(ProValueError):
        eq5d_index([1, 1, 2.5, 1, 1])
    with pytest.raises(ProValueError):
        eq5d_index([0, 1, 1, 1, 1])


# --- PCS subscales --------------------------------------------------------------------------


def test_pcs_subscales():
    # items:       1  2  3  4  5  6  7  8  9 10 11 12 13
    items = [4, 3, 2, 1, 0, 3, 2, 4, 4, 3, 1, 3, 0]
    assert pcs_subscales(items) == {
        "helplessness": 13.0,  # 4+3+2+1+0+3 (items 1-5, 12)
        "magnification": 5.0,  # 3+2+0 (6, 7, 13)
        "rumination": 12.0,  # 4+4+3+1 (8-11)
    }
    assert score("pcs", items) == 30


def test_pcs_subscale_missing_rule():
    items = [1] * 13
    items[5] = items[6] = None  # two of the three magnification items
    result = pcs_subscales(items)
    assert result["magnification"] is None
    assert result["helplessness"] == 6
    items[5] = 2  # now 2 of 3 answered: (2 + 1) * 3 / 2 = 4.5
    assert pcs_subscales(items)["magnification"] == 4.5


# --- bands ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "label", "level"),
    [
        ("nrs_avg", 4, "Lette smerter", "green"),
        ("nrs_avg", 5, "Moderate smerter", "yellow"),
        ("nrs_avg", 6, "Moderate smerter", "yellow"),
        ("nrs_peak", 7, "Svære smerter", "red"),
        ("pcs", 29, "Under grænseværdien (< 30)", "green"),
        ("pcs", 30, "Over grænseværdien (≥ 30)", "red"),
        ("hads_a", 7, "Normalområdet", "green"),
        ("hads_a", 8, "Mulig angst (let)", "yellow"),
        ("hads_d", 11, "Sandsynlig depression (moderat)", "red"),
        ("hads_d", 15, "Svær depression", "red"),
        ("isi", 14, "Subklinisk søvnløshed", "yellow"),
        ("isi", 15, "Moderat klinisk søvnløshed", "red"),
        ("isi", 22, "Svær klinisk søvnløshed", "red"),
        ("pseq", 19, "Svært nedsat self-efficacy", "red"),
        ("pseq", 20, "Moderat nedsat self-efficacy", "yellow"),
        ("pseq", 41, "Minimalt nedsat self-efficacy", "green"),
        ("who5", 7, "Meget lav trivsel (≤ 28 %)", "red"),  # raw 7 = 28 %
        ("who5", 12, "Lav trivsel (< 52 %)", "red"),  # raw 12 = 48 %
        ("who5", 13, "Trivsel i normalområdet (≥ 52 %)", "green"),  # raw 13 = 52 %
        ("pgic", 2, "Meget eller en hel del bedre", "green"),
        ("pgic", 4, "Lidt bedre eller uændret", "yellow"),
        ("pgic", 5, "Værre", "red"),
    ],
)
def test_band_for(code, value, label, level):
    band = band_for(code, value)
    assert isinstance(band, Band)
    assert (band.label, band.level) == (label, level)


def test_prorated_score_between_bands_does_not_reach_the_higher_cut_off():
    assert band_for("hads_a", 7.5).label == "Normalområdet"
    assert band_for("hads_a", 10.5).label == "Mulig angst (let)"
    assert band_for("who5", 12.5).label == "Lav trivsel (< 52 %)"
    assert band_for("pcs", 29.9).level == "green"


def test_band_for_none_and_no_bands():
    assert band_for("hads_a", None) is None
    assert band_for("pdi", 50) is None
    assert band_for("eq5d_index", 0.2) is None
    assert band_for("eq_vas", 10) is None
    assert band_for("hads_a", 22) is None  # outside the scale


def test_display_bands_for_who5_are_percent():
    bands = pro.display_bands("who5")
    assert [(b.lower, b.upper) for b in bands] == [(0, 28), (pytest.approx(28.4), 48), (52, 100)]


# --- display ------------------------------------------------------------------------------


def test_who5_is_shown_times_four():
    assert display_value("who5", 12) == 48
    assert display_value("who5", 12.5) == 50
    assert format_score("who5", 12) == "48 %"
    assert format_score("who5", 11.3) == "45 %"  # a whole percentage, never "45,2 %"
    assert format_score("who5", 25) == "100 %"
    assert display_value("pcs", 30) == 30


@pytest.mark.parametrize(
    ("code", "value", "text"),
    [
        ("pdi", 36.2, "36,2"),
        ("pdi", 35.0, "35"),
        ("nrs_avg", 0, "0"),
        ("eq5d_index", 0.5, "0,500"),
        ("eq5d_index", -0.758, "-0,758"),
        ("eq5d_index", 1.0, "1,000"),
        ("pdi", None, "kan ikke beregnes"),
        ("who5", float("nan"), "kan ikke beregnes"),
    ],
)
def test_format_score(code, value, text):
    assert format_score(code, value) == text


# --- change -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "baseline", "current", "direction", "relevant"),
    [
        # NRS: 2 points ...
        ("nrs_avg", 7, 5, "bedre", True),
        ("nrs_avg", 5, 7, "værre", True),
        ("nrs_avg", 7, 6, "bedre", False),  # 1 point, 14 %
        # ... or 30 % of the baseline
        ("nrs_avg", 3, 2, "bedre", True),  # 1 point = 33 %
        ("nrs_peak", 4, 5, "værre", False),  # 1 point = 25 %
        ("nrs_avg", 0, 1, "værre", False),  # no % rule from a zero baseline
        # PCS: 8 points, 11 when the baseline is above 30
        ("pcs", 30, 22, "bedre", True),
        ("pcs", 31, 23, "bedre", False),
        ("pcs", 31, 20, "bedre", True),
        ("pcs", 20, 28, "værre", True),
        ("pcs", 20, 27, "værre", False),
        # PDI 9
        ("pdi", 40, 31, "bedre", True),
        ("pdi", 40, 32, "bedre", False),
        # HADS 1.5
        ("hads_a", 10, 8.5, "bedre", True),
        ("hads_d", 10, 11, "værre", False),
        # ISI 6
        ("isi", 20, 14, "bedre", True),
        ("isi", 14, 19, "værre", False),
        # higher is better: PSEQ 5.5
        ("pseq", 20, 26, "bedre", True),
        ("pseq", 20, 25, "bedre", False),
        ("pseq", 26, 20, "værre", True),
        # WHO-5: 10 percentage points = 2.5 raw
        ("who5", 10, 12.5, "bedre", True),
        ("who5", 10, 12, "bedre", False),
        ("who5", 15, 12.5, "værre", True),
        # EQ-5D index 0.09, with floating point: 0.5 - 0.41 is not exactly 0.09
        ("eq5d_index", 0.5, 0.41, "værre", True),
        ("eq5d_index", 0.5, 0.42, "værre", False),
        ("eq5d_index", 0.41, 0.5, "bedre", True),
        # EQ VAS 8
        ("eq_vas", 50, 58, "bedre", True),
        ("eq_vas", 50, 43, "værre", False),
        # PGIC: lower is better, no MIC
        ("pgic", 4, 2, "bedre", False),
    ],
)
def test_change(code, baseline, current, direction, relevant):
    ch = change(code, baseline, current)
    assert ch.direction == direction
    assert ch.clinically_relevant is relevant
    assert ch.delta == pytest.approx(current - baseline)


def test_change_labels():
    assert change("nrs_avg", 7, 4).label == "klinisk relevant forbedring"
    assert change("pseq", 30, 20).label == "klinisk relevant forværring"
    assert change("nrs_avg", 7, 6).label == "forbedring, ikke klinisk relevant"
    same = change("hads_a", 9, 9)
    assert (same.direction, same.clinically_relevant, same.label, same.delta) == (
        "uændret",
        False,
        "uændret",
        0.0,
    )


def test_change_with_missing_scores_is_none():
    assert change("pdi", None, 30) is None
    assert change("pdi", 30, None) is None
    assert change("pdi", float("nan"), 30) is None


# --- flags --------------------------------------------------------------------------------


FORBIDDEN = ("anbefal", "bør", "skal ", "henvis", "behandl")


def _check_wording(result):
    for flag in result:
        assert isinstance(flag, Flag)
        assert not any(word in flag.text.lower() for word in FORBIDDEN), flag.text
        assert ("kræver opmærksomhed" in flag.text) == (flag.level == "red"), flag.text


def test_flags_red_band():
    result = flags("hads_d", 12)
    assert result == [
        Flag("band", "red", "HADS-D 12: Sandsynlig depression (moderat) – kræver opmærksomhed")
    ]
    _check_wording(result)


def test_flags_yellow_band_and_green_band():
    assert flags("isi", 10) == [Flag("band", "yellow", "ISI 10: Subklinisk søvnløshed")]
    assert flags("isi", 3) == []
    assert flags("pdi", 60) == []  # no bands
    assert flags("pdi", None) == []


def test_flags_change_better_and_worse():
    better = flags("nrs_avg", 4, baseline=7)
    assert [(f.kind, f.level) for f in better] == [("change", "green")]
    assert "klinisk relevant ændring" in better[0].text and "bedre" in better[0].text
    worse = flags("nrs_avg", 7, baseline=4)
    assert [(f.kind, f.level) for f in worse] == [("band", "red"), ("change", "red")]
    assert "værre" in worse[1].text
    assert flags("nrs_avg", 4, baseline=5) == []  # 1 point, 20 %: not relevant
    _check_wording(better + worse)


def test_flags_who5_low_item_is_red_even_with_good_total():
    result = flags("who5", 17, items=[5, 5, 1, 3, 3])
    assert [(f.kind, f.level) for f in result] == [("band", "red")]
    assert "0 eller 1" in result[0].text
    assert flags("who5", 17, items=[5, 5, 2, 2, 3]) == []
    _check_wording(result)


def test_flags_who5_low_total_shown_in_percent():
    result = flags("who5", 11, items=[3, 2, 2, 2, 2])
    assert [f.text for f in result] == ["WHO-5 44 %: Lav trivsel (< 52 %) – kræver opmærksomhed"]


def test_flags_pcs_subscales():
    items = [4, 3, 2, 1, 0, 3, 2, 4, 4, 3, 1, 3, 0]  # total 30; subscales 13, 5, 12
    result = flags("pcs", score("pcs", items), items=items)
    assert [f.level for f in result] == ["red", "yellow", "yellow", "yellow"]
    assert "hjælpeløshed 13" in result[1].text
    _check_wording(result)


def test_flags_never_for_missing_score():
    assert flags("hads_a", None, baseline=10) == []


# --- properties ---------------------------------------------------------------------------


@st.composite
def item_vectors(draw, code):
    inst = INSTRUMENTS[code]
    answer = st.integers(int(inst.item_min), int(inst.item_max))
    return draw(st.lists(st.none() | answer, min_size=inst.items, max_size=inst.items))


@given(data=st.data(), code=st.sampled_from(CODES))
def test_score_is_none_or_in_range(data, code):
    inst = INSTRUMENTS[code]
    items = data.draw(item_vectors(code))
    result = score(code, items)
    answered = sum(v is not None for v in items)
    if answered < inst.min_answered:
        assert result is None
    else:
        assert result is not None
        assert inst.score_min <= result <= inst.score_max
        assert result == round(result, 3)


@pytest.mark.parametrize("code", CODES)
def test_all_missing_is_never_zero(code):
    assert score(code, [None] * INSTRUMENTS[code].items) is None


@given(data=st.data(), code=st.sampled_from(CODES))
def test_out_of_range_answer_raises(data, code):
    inst = INSTRUMENTS[code]
    items = data.draw(item_vectors(code))
    position = data.draw(st.integers(0, inst.items - 1))
    bad = data.draw(
        st.integers(int(inst.item_max) + 1, 1000) | st.integers(-1000, int(inst.item_min) - 1)
    )
    items[position] = bad
    with pytest.raises(ProValueError):
        score(code, items)


@given(
    code=st.sampled_from(CODES),
    a=st.floats(0, 1, allow_nan=False),
    b=st.floats(0, 1, allow_nan=False),
)
def test_change_sign_is_symmetric(code, a, b):
    inst = INSTRUMENTS[code]
    span = inst.score_max - inst.score_min
    x, y = inst.score_min + a * span, inst.score_min + b * span
    forward, backward = change(code, x, y), change(code, y, x)
    assert forward.delta == -backward.delta
    swap = {"bedre": "værre", "værre": "bedre", "uændret": "uændret"}
    assert backward.direction == swap[forward.direction]
    if forward.delta > 0:
        assert forward.direction == ("bedre" if inst.higher_is_better else "værre")
