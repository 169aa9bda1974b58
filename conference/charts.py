"""Altair chart builders: data in, chart out, no I/O.

Every chart is readable without sight: it has a title and a `description` (Vega-Lite's, the
accessible name of the drawn SVG) that says what it shows with the main figures, and the page
draws the same figures in a table beside it. The marks and axes themselves are left out of the
accessibility tree (`aria=False`): Vega would expose each mark group as an unnamed graphic, and
a screen reader reads the table better than a list of points. Colours never carry meaning alone:
PRO bands step in lightness (they read in greyscale) and carry their label, series differ by
dash as well as colour, and text in charts is at least 4.5:1 on what it stands on (7:1 on the
PRO charts, which are projected).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import altair as alt
import pandas as pd

from conference import pro
from conference.formatting import date_numeric, number
from conference.labels import COURSE_STATUS
from conference.pro_trend import MIC_COLUMN, NOT_ANSWERED, InstrumentTrend, direction_text
from conference.services.patients import TimelineEntry

STATUS_COLOURS = {
    "Gennemført": "#2e7d32",
    "I gang": "#1565c0",
    "Planlagt": "#757575",  # 4.6:1 on white (was #9e9e9e, 2.7:1: too faint for a bar)
    "Aflyst": "#c62828",
    "Udgået": "#ef6c00",
}


#: Axis, legend and title text: 12.6:1 on white.
CHART_TEXT = "#333333"


def accessible(chart, title: str, description: str):  # noqa: ANN001, ANN201 - any top chart
    """`chart` with a title and a description (its accessible name), and its marks and axes
    out of the accessibility tree. Only for the outermost chart: it sets the configuration."""
    return (
        chart.properties(title=alt.TitleParams(title, anchor="start"), description=description)
        .configure(aria=False)  # axes, legends and headers: hidden from the reader
        .configure_mark(aria=False)  # every mark too (else each mark group is an unnamed image)
        # Streamlit's chart theme draws axis and legend text in a light grey (about 3:1)
        .configure_axis(labelColor=CHART_TEXT, titleColor=CHART_TEXT)
        .configure_legend(labelColor=CHART_TEXT, titleColor=CHART_TEXT)
        .configure_title(color=CHART_TEXT)
    )


def timeline_description(rows: list[dict], today: dt.date) -> str:
    """What the course chart shows, in words (its accessible name)."""
    if not rows:
        return "Forløbet har ingen daterede indsatser."
    first = min(r["Start"] for r in rows).date()
    last = max(r["Slut"] for r in rows).date() - dt.timedelta(days=1)
    statuses = ", ".join(f"{n} {s.lower()}" for s, n in Counter(r["Status"] for r in rows).items())
    return (
        f"Forløbets {len(rows)} indsatser som vandrette søjler på en tidsakse fra "
        f"{date_numeric(first)} til {date_numeric(last)}, farvet efter status ({statuses}). "
        f"En stiplet linje markerer i dag, {date_numeric(today)}. "
        "Indsatserne står med status og datoer i tabellen under diagrammet."
    )


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
    return accessible(
        (bars + today_rule).properties(height=max(140, 30 * len(order))),
        "Forløbet: indsatser over tid",
        timeline_description(rows, today),
    )


# --------------------------------------------------------------------------- PRO trends

#: The bands step in lightness (relative luminance about 0.93, 0.76 and 0.47), so they read
#: apart in greyscale and on a washed-out projector too; each also carries its label.
BAND_FILL = {"green": "#eef7ee", "yellow": "#fbe08a", "red": "#f0a0a8"}
#: Text in the PRO charts (projected: at least 7:1 on the darkest band).
PRO_TEXT = "#111111"
PRO_LINE = "#0d1450"  # line, points and values: 8:1 on the red band, 18:1 on white
PRO_CHART_WIDTH = 250
PRO_CHART_HEIGHT = 160
_PRO_COLUMNS = ["Instrument", "kind", "Dato", "Score", "Vist", "Tidspunkt", "Bånd",
                "Ændring fra baseline", MIC_COLUMN, "segment", "fra", "til", "midt", "niveau"]


def pro_title(trend: InstrumentTrend) -> str:
    """The small multiple's heading, lines split by '|': name, 'bedre' direction, missing."""
    inst = trend.instrument
    lines = [f"{inst.short_name} ({inst.unit})" if inst.unit else inst.short_name,
             direction_text(inst)]
    if trend.missing:
        lines.append(f"{', '.join(trend.missing)}: {NOT_ANSWERED}")
    return "|".join(lines)


def pro_frame(trends: list[InstrumentTrend]) -> pd.DataFrame:
    """All instruments in one long frame: shaded bands, the range, and the time points.

    Display scale throughout (WHO-5 in %). A time point without a score is a row of kind
    'missing' (no y value: drawn as a marked gap labelled "kan ikke beregnes" or "ikke
    besvaret", never as 0) and breaks the line. Every time point carries the instrument's
    rule for a clinically relevant change (tooltip), from the registry.
    """
    rows: list[dict] = []
    for trend in trends:
        inst, title = trend.instrument, pro_title(trend)
        f = inst.display_factor
        rule = pro.mic_text(trend.code) or "ingen fastsat"
        rows += [
            {"Instrument": title, "kind": "range", "Score": inst.score_min * f},
            {"Instrument": title, "kind": "range", "Score": inst.score_max * f},
        ]
        bands = pro.display_bands(trend.code)
        for i, band in enumerate(bands):  # a gap between bands belongs to the band below
            top = bands[i + 1].lower if i + 1 < len(bands) else band.upper
            rows.append({"Instrument": title, "kind": "band", "fra": band.lower, "til": top,
                         "midt": (band.lower + top) / 2, "Bånd": band.label,
                         "niveau": band.level})
        segment = 0
        for point in trend.points:
            segment += 0 if point.computable else 1
            rows.append({
                "Instrument": title,
                "kind": "point" if point.computable else "missing",
                "Dato": pd.Timestamp(point.answered_on),
                "Score": point.value,
                "Vist": point.text,
                "Tidspunkt": point.label,
                "Bånd": point.band.label if point.band else "",
                "Ændring fra baseline": point.change.label if point.change else "",
                MIC_COLUMN: rule,
                "segment": segment,
            })
            segment += 0 if point.computable else 1
    return pd.DataFrame(rows, columns=_PRO_COLUMNS)


def pro_description(trends: list[InstrumentTrend]) -> str:
    """What the PRO small multiples show, in words (their accessible name)."""
    parts = []
    for trend in trends:
        scored = [p for p in trend.points if p.computable]
        if not scored:
            parts.append(f"{trend.instrument.short_name}: ingen score kan beregnes")
            continue
        latest = scored[-1]
        band = f", {latest.band.label}" if latest.band else ""
        parts.append(
            f"{trend.instrument.short_name}: {len(scored)} "
            f"{'måling' if len(scored) == 1 else 'målinger'}, senest {latest.text} "
            f"({latest.label}{band})"
        )
    return (
        "PRO-forløb, ét lille diagram pr. instrument: scoren ved hvert tidspunkt over tid, med "
        "instrumentets grænseværdier som bånd bagved. " + "; ".join(parts) + ". "
        "Alle tal står i tabellen under diagrammet."
    )


def pro_date_domain(trends: list[InstrumentTrend]) -> list[pd.Timestamp]:
    """One date range for every chart of a patient (so the small multiples line up)."""
    days = [p.answered_on for t in trends for p in t.points]
    first, last = min(days), max(days)
    pad = max(dt.timedelta(days=14), (last - first) / 12)
    return [pd.Timestamp(first - pad), pd.Timestamp(last + pad)]


def pro_small_multiples(
    trends: list[InstrumentTrend],
    columns: int = 3,
    width: int = PRO_CHART_WIDTH,
    height: int = PRO_CHART_HEIGHT,
) -> alt.FacetChart:
    """Every instrument's trend as a small multiple: shaded cut-off bands, the score at each
    time point (date on x, one date range for all), a labelled gap where a score cannot be
    computed or was not answered (saying which), and the 'bedre' direction in every heading."""
    frame = pro_frame(trends)
    decimal_comma = alt.Axis(labelExpr="replace(datum.label, '.', ',')")
    y = alt.Y("Score:Q", title=None, scale=alt.Scale(zero=False, nice=False), axis=decimal_comma)
    x = alt.X("Dato:T", title=None, scale=alt.Scale(domain=pro_date_domain(trends)),
              axis=alt.Axis(format="%d.%m.%y", labelAngle=0, tickCount=4, grid=False))
    tooltip = ["Tidspunkt:N", alt.Tooltip("Dato:T", format="%d.%m.%Y"), "Vist:N", "Bånd:N",
               "Ændring fra baseline:N", f"{MIC_COLUMN}:N"]
    base = alt.Chart()

    def kind(*names: str) -> alt.Chart:
        test = " || ".join(f"datum.kind == '{n}'" for n in names)
        return base.transform_filter(test)

    bands = kind("band").mark_rect().encode(
        y=alt.Y("fra:Q", title=None, axis=decimal_comma), y2="til:Q",
        color=alt.Color("niveau:N", legend=None,
                        scale=alt.Scale(domain=list(BAND_FILL), range=list(BAND_FILL.values()))),
        tooltip=[alt.Tooltip("Bånd:N")],
    )
    band_text = kind("band").mark_text(
        align="left", baseline="middle", dx=3, fontSize=10, color=PRO_TEXT
    ).encode(x=alt.value(0), y=alt.Y("midt:Q"), text="Bånd:N")
    extent = kind("range").mark_point(opacity=0).encode(y=y)
    line = kind("point").mark_line(color=PRO_LINE, strokeWidth=2).encode(
        x=x, y=y, detail="segment:N"
    )
    dots = kind("point").mark_point(color=PRO_LINE, filled=True, size=60, opacity=1).encode(
        x=x, y=y, tooltip=tooltip
    )
    values = kind("point").mark_text(dy=-10, fontSize=10, fontWeight="bold",
                                     color=PRO_LINE).encode(x=x, y=y, text="Vist:N")
    gap = kind("missing").mark_rule(color="#424242", strokeDash=[3, 3]).encode(
        x=x, tooltip=tooltip
    )
    gap_text = kind("missing").mark_text(
        angle=270, align="right", baseline="bottom", dx=-4, dy=-3, fontSize=10, color=PRO_TEXT
    ).encode(x=x, y=alt.value(0), text="Vist:N")
    order = [pro_title(t) for t in trends]
    chart = (
        alt.layer(bands, band_text, extent, line, dots, values, gap, gap_text, data=frame)
        .properties(width=width, height=height)
        .facet(
            facet=alt.Facet(
                "Instrument:N", sort=order, title=None,
                header=alt.Header(labelExpr="split(datum.value, '|')", labelAnchor="start",
                                  labelAlign="left", labelFontSize=12, labelFontWeight="bold",
                                  labelColor=PRO_TEXT, labelPadding=6),
            ),
            columns=columns,
        )
        .resolve_scale(y="independent")
        .resolve_axis(x="independent")
    )
    return accessible(chart, "PRO-forløb pr. instrument", pro_description(trends))


def pro_trend_chart(trend: InstrumentTrend, width: int = 420, height: int = 220) -> alt.FacetChart:
    """One instrument alone (e.g. enlarged on the conference board)."""
    return pro_small_multiples([trend], columns=1, width=width, height=height)


def meeting_time_chart(frame: pd.DataFrame) -> alt.Chart:
    """Minutes per case against the minutes set aside, one point per conference (issue 6).

    `frame` has the columns Konference (date), "Minutter pr. sag" and "Afsat pr. sag".
    Dates on the axis as numbers (dd.mm.yy), so no English month names."""
    long = frame.melt(
        id_vars=["Konference"], value_vars=["Minutter pr. sag", "Afsat pr. sag"],
        var_name="Serie", value_name="Minutter",
    ).dropna(subset=["Minutter"])
    long["Konference"] = pd.to_datetime(long["Konference"])
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("Konference:T", title="Konference", axis=alt.Axis(format="%d.%m.%y")),
            y=alt.Y("Minutter:Q", title="Minutter pr. sag"),
            color=alt.Color(
                "Serie:N", title=None, legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(domain=["Minutter pr. sag", "Afsat pr. sag"],
                                range=["#1565c0", "#757575"]),
            ),
            strokeDash=alt.StrokeDash(
                "Serie:N", legend=None,
                scale=alt.Scale(domain=["Minutter pr. sag", "Afsat pr. sag"],
                                range=[[1, 0], [4, 3]]),
            ),
            tooltip=[alt.Tooltip("Konference:T", format="%d.%m.%Y"), "Serie:N",
                     alt.Tooltip("Minutter:Q", format=".1f")],
        )
        .properties(height=320)  # the whole chart: title, axes and legend take about 200
    )
    return accessible(chart, "Tid pr. sag ved hver konference", meeting_description(frame))


def meeting_description(frame: pd.DataFrame) -> str:
    """What the meeting-time chart shows, in words (its accessible name)."""
    if frame.empty:
        return "Der er ikke holdt konferencer endnu."
    days = pd.to_datetime(frame["Konference"])
    used, planned = frame["Minutter pr. sag"].mean(), frame["Afsat pr. sag"].mean()
    average = (
        f" I gennemsnit {number(used)} minutter pr. sag mod {number(planned)} afsat."
        if used == used and planned == planned else ""  # NaN: no case timed yet
    )
    return (
        f"Linjediagram over {len(frame)} konferencer fra {date_numeric(days.min().date())} til "
        f"{date_numeric(days.max().date())}: minutter brugt pr. sag (fuld linje) mod minutter "
        f"afsat pr. sag (stiplet linje).{average} Tallene står i tabellen under diagrammet."
    )
