"""Every chart is readable without sight and without colour: a title, a description that names
its figures (the accessible name of the drawn chart), marks out of the accessibility tree, PRO
bands that step in lightness (greyscale) and carry a label, and chart text with enough contrast
(7:1 on the PRO charts, which are projected)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from conference import pro_trend
from conference.charts import (
    BAND_FILL,
    PRO_LINE,
    PRO_TEXT,
    STATUS_COLOURS,
    meeting_time_chart,
    pro_small_multiples,
    timeline_chart,
)
from conference.services.patients import ProPoint, TimelineEntry

BASE, END = dt.date(2026, 3, 2), dt.date(2026, 9, 7)
ANSWERS = [
    ProPoint("baseline", BASE, {"nrs_avg": 7.0, "who5": 10.0, "pdi": 50.0}, {}),
    ProPoint("afslutning", END, {"nrs_avg": 4.0, "who5": None, "pdi": 38.0}, {}),
]


def luminance(colour: str) -> float:
    """WCAG relative luminance of '#rrggbb'."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def entry(name: str, status: str, start: dt.date, end: dt.date | None) -> TimelineEntry:
    return TimelineEntry(code=name.lower(), name=name, status=status, planned_date=start,
                         start_date=start, end_date=end, group_name=None, staff_name=None,
                         finding=None, note=None)


def charts() -> dict[str, dict]:
    timeline = timeline_chart(
        [entry("Livet med smerter", "gennemfoert", BASE, dt.date(2026, 4, 1)),
         entry("Mindfulness", "i_gang", dt.date(2026, 5, 4), None)],
        END,
    )
    pro = pro_small_multiples(pro_trend.trends(ANSWERS))
    meetings = meeting_time_chart(pd.DataFrame({
        "Konference": [BASE, END], "Minutter pr. sag": [7.5, 6.0], "Afsat pr. sag": [7.0, 7.0],
    }))
    return {name: chart.to_dict() for name, chart in
            (("timeline", timeline), ("pro", pro), ("meetings", meetings))}


@pytest.mark.parametrize("name", ["timeline", "pro", "meetings"])
def test_every_chart_has_a_title_a_description_and_no_unnamed_marks(name):
    spec = charts()[name]
    assert spec["title"]["text"]
    assert len(spec["description"]) > 60
    assert "tabellen" in spec["description"]  # points to the figures beside it
    assert spec["config"]["aria"] is False  # axes and legends: not unnamed graphics to a reader
    assert spec["config"]["mark"]["aria"] is False  # nor the marks


def test_descriptions_name_the_figures():
    specs = charts()
    assert "2 indsatser" in specs["timeline"]["description"]
    assert "02.03.2026" in specs["timeline"]["description"]
    assert "1 gennemført, 1 i gang" in specs["timeline"]["description"]
    pro = specs["pro"]["description"]
    assert "NRS" in pro and "senest 4" in pro
    assert "I gennemsnit 6,8 minutter pr. sag mod 7 afsat" in specs["meetings"]["description"]


def test_pro_bands_read_apart_in_greyscale():
    """Each level is clearly lighter than the next more serious one (green > yellow > red)."""
    green, yellow, red = (luminance(BAND_FILL[level]) for level in ("green", "yellow", "red"))
    assert green - yellow > 0.15 and yellow - red > 0.2


def test_pro_bands_carry_their_label():
    layers = charts()["pro"]["spec"]["layer"]
    band_text = layers[1]
    assert band_text["mark"]["type"] == "text"
    assert band_text["encoding"]["text"]["field"] == "Bånd"


@pytest.mark.parametrize("level", ["green", "yellow", "red"])
def test_pro_chart_text_reads_from_the_back_of_the_room(level):
    assert contrast(PRO_TEXT, BAND_FILL[level]) >= 7
    assert contrast(PRO_LINE, BAND_FILL[level]) >= 7


def test_chart_colours_stand_out_from_white():
    for colour in STATUS_COLOURS.values():
        assert contrast(colour, "#ffffff") >= 3  # non-text contrast (WCAG 1.4.11)
