"""Altair chart builders: data in, chart out, no I/O."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from conference import pro
from conference.labels import COURSE_STATUS
from conference.pro_trend import NOT_ANSWERED, InstrumentTrend, direction_text
from conference.services.patients import TimelineEntry

STATUS_COLOURS = {
    "Gennemført": "#2e7d32",
    "I gang": "#1565c0",
    "Planlagt": "#9e9e9e",
    "Aflyst": "#c62828",
    "Udgået": "#ef6c00",
}


def timeline_chart(timeline: list[TimelineEntry], today: dt.date) -> alt.LayerChart:
    """The course as bars on a date axis, one row per intervention, coloured by status."""
    rows = []
    for e in timeline:
        start = e.start_date or e.planned_date or e.end_date
        if start is None:
            continue
        end = e.end_date or start
        rows.append(
            {
                "Indsats": e.name,
                "Start": pd.Timestamp(start),
                "Slut": pd.Timestamp(end + dt.timedelta(days=1)),
                "Status": COURSE_STATUS.get(e.status, e.status),
                "Periode": f"{start:%d.%m.%Y}" + (f"–{end:%d.%m.%Y}" if end != start else ""),
            }
        )
    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(frame["Indsats"])) if rows else []
    bars = (
        alt.Chart(frame)
        .mark_bar(size=14, cornerRadius=3)
        .encode(
            x=alt.X("Start:T", title=None,
                    axis=alt.Axis(format="%m.%Y", tickCount="month", labelOverlap=True)),
            x2="Slut:T",
            y=alt.Y("Indsats:N", sort=order, title=None,
                    axis=alt.Axis(labelLimit=260, labelOverlap=False, labelFontSize=12)),
            color=alt.Color(
                "Status:N",
                scale=alt.Scale(
                    domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())
                ),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=["Indsats", "Status", "Periode"],
        )
    )
    today_rule = (
        alt.Chart(pd.DataFrame({"I dag": [pd.Timestamp(today)]}))
        .mark_rule(color="#d32f2f", strokeDash=[4, 3])
        .encode(x="I dag:T")
    )
    return (bars + today_rule).properties(height=max(140, 30 * len(order)))


# --------------------------------------------------------------------------- PRO trends

BAND_FILL = {"green": "#c8e6c9", "yellow": "#fff0b3", "red": "#ffcdd2"}
PRO_LINE = "#1a237e"
PRO_CHART_WIDTH = 250
PRO_CHART_HEIGHT = 160


def _band_frame(trend: InstrumentTrend) -> pd.DataFrame:
    """The cut-off bands as shaded rows on the display scale; gaps go to the band below."""
    bands = pro.display_bands(trend.code)
    rows = []
    for i, band in enumerate(bands):
        top = bands[i + 1].lower if i + 1 < len(bands) else band.upper
        rows.append(
            {
                "fra": band.lower,
                "til": top,
                "midt": (band.lower + top) / 2,
                "Bånd": band.label,
                "niveau": band.level,
            }
        )
    return pd.DataFrame(rows, columns=["fra", "til", "midt", "Bånd", "niveau"])


def _point_frame(trend: InstrumentTrend) -> pd.DataFrame:
    rows, segment = [], 0
    for point in trend.points:
        if not point.computable:
            segment += 1  # the line breaks at a score that cannot be computed
        rows.append(
            {
                "Dato": pd.Timestamp(point.answered_on),
                "Tidspunkt": point.label,
                "Score": point.value,
                "Vist": point.text,
                "Bånd": point.band.label if point.band else "",
                "Ændring fra baseline": point.change.label if point.change else "",
                "segment": segment,
                "beregnet": point.computable,
            }
        )
        if not point.computable:
            segment += 1
    columns = ["Dato", "Tidspunkt", "Score", "Vist", "Bånd", "Ændring fra baseline", "segment",
               "beregnet"]
    return pd.DataFrame(rows, columns=columns)


def pro_date_domain(trends: list[InstrumentTrend]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """One date range for every chart of a patient (so the small multiples line up)."""
    days = [p.answered_on for t in trends for p in t.points]
    first, last = min(days), max(days)
    pad = max(dt.timedelta(days=14), (last - first) / 12)
    return pd.Timestamp(first - pad), pd.Timestamp(last + pad)


def pro_trend_chart(
    trend: InstrumentTrend,
    domain: tuple[pd.Timestamp, pd.Timestamp],
    width: int = PRO_CHART_WIDTH,
    height: int = PRO_CHART_HEIGHT,
) -> alt.LayerChart:
    """One instrument over time: shaded cut-off bands, the score at each time point (date on
    x), a break and "kan ikke beregnes" where a score is missing, and "bedre" on the chart."""
    inst = trend.instrument
    y_scale = alt.Scale(
        domain=[inst.score_min * inst.display_factor, inst.score_max * inst.display_factor],
        nice=False,
    )
    x = alt.X("Dato:T", title=None, scale=alt.Scale(domain=list(domain)),
              axis=alt.Axis(format="%d.%m.%y", labelAngle=0, tickCount=4))
    y_title = f"{inst.short_name} ({inst.unit})" if inst.unit else inst.short_name
    points = _point_frame(trend)
    computed = points[points["beregnet"]]
    missing = points[~points["beregnet"]]

    layers = []
    bands = _band_frame(trend)
    if not bands.empty:
        layers.append(
            alt.Chart(bands)
            .mark_rect(opacity=0.7)
            .encode(
                y=alt.Y("fra:Q", scale=y_scale, title=y_title),
                y2="til:Q",
                color=alt.Color(
                    "niveau:N",
                    scale=alt.Scale(domain=list(BAND_FILL), range=list(BAND_FILL.values())),
                    legend=None,
                ),
                tooltip=[alt.Tooltip("Bånd:N")],
            )
        )
        layers.append(
            alt.Chart(bands)
            .mark_text(align="left", baseline="middle", dx=3, fontSize=9, color="#555")
            .encode(x=alt.value(0), y=alt.Y("midt:Q", scale=y_scale), text="Bånd:N")
        )
    tooltip = ["Tidspunkt:N", alt.Tooltip("Dato:T", format="%d.%m.%Y"), "Vist:N", "Bånd:N",
               "Ændring fra baseline:N"]
    layers.append(
        alt.Chart(computed)
        .mark_line(color=PRO_LINE, strokeWidth=2)
        .encode(x=x, y=alt.Y("Score:Q", scale=y_scale, title=y_title), detail="segment:N")
    )
    layers.append(
        alt.Chart(computed)
        .mark_point(color=PRO_LINE, filled=True, size=60)
        .encode(x=x, y=alt.Y("Score:Q", scale=y_scale), tooltip=tooltip)
    )
    layers.append(
        alt.Chart(computed)
        .mark_text(dy=-10, fontSize=10, fontWeight="bold", color=PRO_LINE)
        .encode(x=x, y=alt.Y("Score:Q", scale=y_scale), text="Vist:N")
    )
    if not missing.empty:
        layers.append(
            alt.Chart(missing)
            .mark_rule(color="#757575", strokeDash=[3, 3])
            .encode(x=x, tooltip=tooltip)
        )
        layers.append(
            alt.Chart(missing)
            .mark_text(angle=270, align="right", baseline="bottom", dx=-4, dy=-3, fontSize=10,
                       color="#424242")
            .encode(x=x, y=alt.value(0), text=alt.value(pro.NOT_COMPUTABLE))
        )
    subtitle = [direction_text(inst)]
    if trend.missing:
        subtitle.append(f"{', '.join(trend.missing)}: {NOT_ANSWERED}")
    return alt.layer(*layers).properties(
        width=width,
        height=height,
        title=alt.TitleParams(
            inst.short_name, subtitle=subtitle, anchor="start", fontSize=13,
            subtitleFontSize=11, subtitleColor="#333",
        ),
    )


def pro_small_multiples(
    trends: list[InstrumentTrend],
    columns: int = 3,
    width: int = PRO_CHART_WIDTH,
    height: int = PRO_CHART_HEIGHT,
) -> alt.ConcatChart:
    """Every instrument's trend side by side, on one shared date range."""
    domain = pro_date_domain(trends)
    charts = [pro_trend_chart(t, domain, width, height) for t in trends]
    return (
        alt.concat(*charts, columns=columns)
        .resolve_scale(y="independent", color="independent")
        .configure_view(stroke="#bdbdbd")
    )
