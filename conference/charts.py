"""Altair chart builders: data in, chart out, no I/O."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from conference.labels import COURSE_STATUS
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
            x=alt.X("Start:T", title=None, axis=alt.Axis(format="%m.%Y")),
            x2="Slut:T",
            y=alt.Y("Indsats:N", sort=order, title=None),
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
    return (bars + today_rule).properties(height=max(120, 26 * len(order)))
