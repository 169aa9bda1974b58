"""The system-filled texts of a case (Baggrund, Forløb indtil nu, PRO) and the PRO trends and
charts they share with the page: worked examples against DOMAIN.md and PRO.md."""

import datetime as dt
import math

import pytest

from conference import pro_trend
from conference.case_text import background_text, course_text, pro_text, system_texts
from conference.charts import pro_frame, pro_small_multiples, pro_title
from conference.pathway import Stage
from conference.services.patients import (
    PatientDetail,
    ProPoint,
    SessionAttendance,
    TimelineEntry,
)

BASE = dt.date(2026, 3, 2)
MID = dt.date(2026, 6, 1)
END = dt.date(2026, 9, 7)


def entry(code, name, status, start=None, end=None, **extra):
    return TimelineEntry(code=code, name=name, status=status, planned_date=start,
                         start_date=None if status == "planlagt" else start, end_date=end,
                         group_name=extra.pop("group_name", None), staff_name=None,
                         finding=extra.pop("finding", None), note=None, **extra)


def patient(**changes) -> PatientDetail:
    values = dict(
        id=1, name="Anna Test", cpr="170570-1234", age=56, sex="K",
        birth_date=dt.date(1970, 5, 17), referral_date=dt.date(2026, 2, 2), status="aktiv",
        discharged_on=None, diagnosis="Komplekse kroniske smerter (DR 52.2E)",
        pain_duration_years=10.5, pain_distribution="Lænd og ben", work_situation="sygemeldt",
        microteam="Mikroteam 1", team_members=[], pal_laege="", kontaktsygeplejerske="",
        stage=Stage("Anden opfølgning", 8), next_step=None, conference_date=END,
        due=[], timeline=[], pro=[], conferences=[], open_actions=[],
    )
    values.update(changes)
    return PatientDetail(**values)


# --------------------------------------------------------------------------- Baggrund


def test_background_has_age_sex_diagnosis_duration_distribution_and_work():
    text = background_text(patient())
    assert text.splitlines() == [
        "56-årig kvinde, henvist 2. feb. 2026.",
        "Diagnose: Komplekse kroniske smerter (DR 52.2E).",
        "Smertevarighed: 10,5 år. Smerteudbredelse: Lænd og ben.",
        "Arbejde og forsørgelse: Sygemeldt.",
    ]


def test_background_says_what_is_not_known_and_adds_findings():
    who = patient(
        sex="M", diagnosis=None, pain_duration_years=0.5, pain_distribution=None,
        work_situation=None,
        timeline=[entry("lang_primaersamtale", "Lang primærsamtale", "gennemfoert", BASE, BASE,
                        finding="uafklaret_behandlingsbehov")],
    )
    text = background_text(who)
    assert "56-årig mand" in text
    assert "Diagnose: ikke angivet." in text
    assert "Smertevarighed: under 1 år. Smerteudbredelse: ikke angivet." in text
    assert "Arbejde og forsørgelse: ikke angivet." in text
    assert "Lang primærsamtale: Uafklaret behandlingsbehov." in text


# --------------------------------------------------------------------------- Forløb indtil nu


def sessions(*statuses, start=dt.date(2026, 4, 1)):
    return tuple(
        SessionAttendance(i + 1, start + dt.timedelta(weeks=i), None, s)
        for i, s in enumerate(statuses)
    )


def test_course_names_attendance_and_missed_sessions_with_dates():
    timeline = [
        entry("visitation", "Visitation", "gennemfoert", BASE, BASE),
        entry("livet_med_smerter", "Livet med smerter", "gennemfoert", dt.date(2026, 4, 1),
              dt.date(2026, 4, 22), group_name="Livet med smerter – hold 14",
              sessions=sessions("moedt", "udeblevet", "moedt", "afbud")),
        entry("mindfulness", "Mindfulness", "i_gang", dt.date(2026, 5, 6),
              group_name="Mindfulness – hold 19",
              sessions=sessions("moedt", "moedt", None, None, start=dt.date(2026, 5, 6))),
        entry("cft", "Kognitiv funktionel terapi (CFT)", "aflyst", dt.date(2026, 5, 1)),
        entry("afsluttende_samtale", "Afsluttende samtale", "planlagt", dt.date(2026, 9, 1)),
    ]
    lines = course_text(timeline).splitlines()
    assert lines[0] == "- Visitation: gennemført 2. mar. 2026"
    assert lines[1] == (
        "- Livet med smerter – hold 14: gennemført 1. apr. 2026–22. apr. 2026; 2 af 4 mødt; "
        "udeblevet 8. apr. 2026; afbud 22. apr. 2026"
    )
    assert lines[2] == (
        "- Mindfulness – hold 19: i gang siden 6. maj 2026; 2 af 2 mødt; 2 holdgange tilbage"
    )
    assert lines[3] == "- Kognitiv funktionel terapi (CFT): aflyst 1. maj 2026"
    assert lines[4] == "Fremmøde på hold i alt: 4 af 6 holdgange (1 udeblivelse, 1 afbud)."
    assert lines[5] == "Planlagt: Afsluttende samtale 1. sep. 2026."
    assert len(lines) == 6


def test_course_carries_the_therapists_handover_from_the_last_session():
    text = course_text([
        entry("livet", "Livet med smerter", "gennemfoert", MID, END, group_name="LMS hold 3",
              handover_note="Vælger Mindfulness. Bekymret for at køre bil."),
        entry("mindfulness", "Mindfulness", "planlagt", END + dt.timedelta(days=14)),
    ])
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "Livet med smerter" in line)
    assert lines[at + 1] == (
        "  Overlevering fra holdbehandlerne: Vælger Mindfulness. Bekymret for at køre bil.")


def test_course_without_interventions_says_so():
    assert course_text([]) == "Ingen indsatser gennemført eller i gang endnu."


# --------------------------------------------------------------------------- PRO

ANSWERS = [
    ProPoint("baseline", BASE,
             {"nrs_avg": 7.0, "nrs_peak": 9.0, "pcs": 33.0, "hads_a": 9.0, "who5": 10.0,
              "pdi": 50.0},
             {}),
    ProPoint("midtvejs", MID, {"nrs_avg": 5.0, "nrs_peak": None, "who5": 14.0}, {}),
    ProPoint("afslutning", END,
             {"nrs_avg": 4.0, "nrs_peak": 8.0, "pcs": 20.0, "hads_a": 10.0, "who5": 15.0,
              "pdi": 38.0},
             {}),
]


def trend(code):
    return next(t for t in pro_trend.trends(ANSWERS) if t.code == code)


def test_trend_has_score_band_and_change_against_baseline_per_time_point():
    nrs = trend("nrs_avg")
    assert [p.timepoint for p in nrs.points] == ["baseline", "midtvejs", "afslutning"]
    assert [p.band.label for p in nrs.points] == ["Svære smerter", "Moderate smerter",
                                                   "Lette smerter"]
    assert nrs.points[0].change is None
    assert nrs.points[1].change.label == "klinisk relevant forbedring"  # 7 -> 5: MIC 2
    assert nrs.points[2].change.delta == -3


def test_pcs_uses_the_larger_mic_above_30_and_hads_small_change_is_not_relevant():
    assert trend("pcs").latest.change.label == "klinisk relevant forbedring"  # 33 -> 20: 13 >= 11
    hads = trend("hads_a").latest.change
    assert hads.direction == "værre" and not hads.clinically_relevant  # 9 -> 10 < 1.5


def test_unanswered_score_is_missing_never_zero():
    peak = trend("nrs_peak")
    mid = peak.at("midtvejs")
    # a one-item scale without its answer is not answered (not "kan ikke beregnes")
    assert mid.score is None and mid.value is None and mid.text == "ikke besvaret"
    assert mid.change is None and not mid.computable and not mid.answered


def test_skipped_time_point_is_not_answered_and_a_coming_one_is_not_missing():
    assert trend("pdi").missing == ("Midtvejs",)  # asked at midtvejs, a later one answered
    assert trend("hads_a").missing == ()  # HADS is not asked at midtvejs
    only_baseline = pro_trend.trends(ANSWERS[:1])
    assert all(t.missing == () for t in only_baseline)  # midtvejs not yet due: not missing


def test_who5_is_shown_in_percent_with_change_in_percentage_points():
    who5 = trend("who5")
    assert [p.text for p in who5.points] == ["40 %", "56 %", "60 %"]
    assert [p.value for p in who5.points] == [40, 56, 60]
    flag_texts = [f.text for f in who5.attention]
    assert ("WHO-5: klinisk relevant ændring, bedre (40 % → 60 %, +20 procentpoint; "
            "mindste betydende ændring: 10 procentpoint)") in flag_texts


def test_summary_rows_show_missing_not_asked_and_not_computable_differently():
    rows = {r["Instrument"]: r for r in pro_trend.summary_rows(ANSWERS)}
    assert rows["PDI"]["Midtvejs 01.06.2026"] == "ikke besvaret"
    assert rows["HADS-A"]["Midtvejs 01.06.2026"] == "–"
    assert rows["NRS værst"]["Midtvejs 01.06.2026"] == "ikke besvaret"  # its one item
    assert rows["NRS gennemsnit"]["Afslutning 07.09.2026"] == (
        "4 (Lette smerter) · klinisk relevant forbedring"
    )
    assert rows["NRS gennemsnit"]["Ændring fra baseline"] == "7 → 4: klinisk relevant forbedring"
    assert rows["PCS"]["Retning"] == "↓ bedre (lavere er bedre)"
    assert rows["WHO-5"]["Retning"] == "↑ bedre (højere er bedre)"


def test_flags_name_their_colour_and_use_only_the_dialogue_words():
    rows = {r["Instrument"]: r for r in pro_trend.summary_rows(ANSWERS)}
    assert rows["NRS værst"]["Markering"] == (
        "Afslutning 7. sep. 2026: [rød] NRS værst 8: Svære smerter – kræver opmærksomhed"
    )
    assert rows["PCS"]["Markering"].startswith(
        "Afslutning 7. sep. 2026: [grøn] PCS: klinisk relevant ændring, bedre")
    assert rows["HADS-A"]["Markering"] == (
        "Afslutning 7. sep. 2026: [gul] HADS-A 10: Mulig angst (let)")


def test_pro_text_per_instrument_with_missing_and_flags_and_no_recommendation():
    text = pro_text(ANSWERS)
    lines = text.splitlines()
    assert lines[0] == (
        "Besvaret: Baseline 2. mar. 2026; Midtvejs 1. jun. 2026; Afslutning 7. sep. 2026."
    )
    rule = "mindste betydende ændring: 2 point eller 30 % af baseline"
    assert "NRS gennemsnit: baseline 7, svære smerter; midtvejs 5, moderate smerter; " \
           f"afslutning 4, lette smerter – klinisk relevant forbedring ({rule})." in lines
    assert "NRS værst: baseline 9, svære smerter; midtvejs ikke besvaret; " \
           f"afslutning 8, svære smerter – forbedring, ikke klinisk relevant ({rule})." in lines
    assert "PDI: baseline 50; afslutning 38; midtvejs ikke besvaret – klinisk relevant " \
           "forbedring (mindste betydende ændring: 9 point)." in lines
    assert "Markeringer (dialogstøtte, ikke beslutningsstøtte):" in lines
    assert "- [rød] Afslutning 7. sep. 2026 · NRS værst 8: Svære smerter – kræver opmærksomhed" \
        in lines
    for advice in ("anbefal", "bør", "skal henvises", "beslut"):
        assert advice not in text.lower().replace("beslutningsstøtte", "")


def test_pro_text_without_answers():
    assert pro_text([]) == "Patienten har ikke besvaret spørgeskemaer endnu."


def test_system_texts_fill_the_three_system_fields():
    texts = system_texts(patient(pro=ANSWERS))
    assert set(texts) == {"baggrund", "forloeb", "pro"}
    assert texts["pro"].startswith("Besvaret:")


# --------------------------------------------------------------------------- PRO charts


def test_chart_frame_keeps_missing_scores_missing_and_shades_bands():
    trends = pro_trend.trends(ANSWERS)
    frame = pro_frame(trends)
    peak = frame[frame["Instrument"] == pro_title(trend("nrs_peak"))]
    missing = peak[peak["kind"] == "missing"]
    assert len(missing) == 1 and math.isnan(missing["Score"].iloc[0])
    points = peak[peak["kind"] == "point"]
    assert list(points["Score"]) == [9, 8]
    # the line breaks at the missing score: the two points are in different segments
    assert points["segment"].nunique() == 2
    bands = peak[peak["kind"] == "band"]
    assert list(zip(bands["fra"], bands["til"], bands["niveau"], strict=True)) == [
        (0, 5, "green"), (5, 7, "yellow"), (7, 10, "red"),
    ]
    who5 = frame[frame["Instrument"] == pro_title(trend("who5"))]
    assert who5[who5["kind"] == "range"]["Score"].tolist() == [0, 100]  # display scale


@pytest.mark.parametrize("code", ["nrs_avg", "who5", "pdi", "pcs"])
def test_every_chart_heading_says_which_way_is_better(code):
    title = pro_title(trend(code)).split("|")
    arrow = "↑" if code == "who5" else "↓"
    assert title[1].startswith(f"{arrow} bedre")


def test_small_multiples_is_one_facet_per_instrument_on_one_date_range():
    trends = pro_trend.trends(ANSWERS)
    spec = pro_small_multiples(trends).to_dict()
    assert spec["facet"]["field"] == "Instrument"
    assert spec["facet"]["sort"] == [pro_title(t) for t in trends]
    assert spec["columns"] == 3
    layers = spec["spec"]["layer"]
    marks = [layer["mark"]["type"] for layer in layers]
    assert marks == ["rect", "text", "point", "line", "point", "text", "rule", "text"]
    assert layers[-1]["encoding"]["text"]["field"] == "Vist"  # "kan ikke beregnes"/"ikke besvaret"
    domain = layers[3]["encoding"]["x"]["scale"]["domain"]
    assert len(domain) == 2
