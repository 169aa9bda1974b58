"""The PRO section of a case: flags, trend charts per instrument and the summary table.

Shared by Forbered sag and the conference board (projection mode: larger, fewer columns).
Dialogue support only: flags say "kræver opmærksomhed" / "klinisk relevant ændring", never what
to do. Colours always come with a text label (colour-blind readers, projectors).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from conference import pro_trend
from conference.charts import pro_small_multiples

BADGE_COLOUR = {"red": "red", "yellow": "yellow", "green": "green"}
#: A shape per colour too, so the flags read without colour (projectors, colour-blindness).
BADGE_ICON = {"red": ":material/error:", "yellow": ":material/warning:",
              "green": ":material/check_circle:"}
CELL_FILL = {"red": "#ffcdd2", "yellow": "#fff0b3", "green": "#c8e6c9"}
DIALOGUE_NOTE = (
    "Dialogstøtte, ikke beslutningsstøtte. Ændring regnes fra baseline og er "
    "»klinisk relevant ændring«, når den når den mindste betydende ændring (MIC). "
    "Manglende besvarelser vises som manglende, aldrig som 0."
)


def pro_flags(trends: Sequence[pro_trend.InstrumentTrend], *, limit: int | None = None) -> None:
    """The flags of the latest answers as coloured badges with their text."""
    flags = [f for t in trends for f in t.attention]
    if not flags:
        st.caption("Ingen markeringer ved seneste besvarelse.")
        return
    flags.sort(key=lambda f: pro_trend.LEVEL_ORDER.get(f.level, 3))
    shown = flags if limit is None else flags[:limit]
    with st.container(horizontal=True, gap="small"):
        for flag in shown:
            st.badge(flag.text, color=BADGE_COLOUR.get(flag.level, "gray"),
                     icon=BADGE_ICON.get(flag.level))
    if len(shown) < len(flags):
        st.caption(f"… og {len(flags) - len(shown)} markeringer mere i tabellen.")


def pro_table(answers: Sequence[pro_trend.Answers]):  # noqa: ANN201 - a pandas Styler
    """The summary table; the "Markering" cell is shaded in its most serious colour."""
    trends = pro_trend.trends(answers)
    frame = pd.DataFrame(pro_trend.summary_rows(answers))
    fills = [CELL_FILL.get(pro_trend.top_level(t.attention) or "", "") for t in trends]
    return frame.style.apply(
        lambda column: [f"background-color: {f}" if f else "" for f in fills],
        subset=["Markering"],
    )


def pro_section(
    answers: Sequence[pro_trend.Answers], *, projection: bool = False, key: str = "pro"
) -> None:
    """Everything about the patient's PRO answers; `projection` for the wall screen."""
    trends = pro_trend.trends(answers)
    if not trends:
        st.info("Patienten har ikke besvaret spørgeskemaer endnu.")
        return
    st.caption(DIALOGUE_NOTE)
    pro_flags(trends, limit=6 if projection else None)
    if projection:
        chart = pro_small_multiples(trends, columns=3, width=380, height=220)
    else:
        chart = pro_small_multiples(trends, columns=3)
    st.altair_chart(
        chart,
        width="content",
        key=f"{key}_chart",
        alt="PRO-forløb pr. instrument med grænseværdier; se tabellen for tallene.",
    )
    table = pro_table(answers)
    st.dataframe(
        table,
        hide_index=True,
        key=f"{key}_table",
        height=38 + 35 * len(table.data),
        column_config={
            "Markering": st.column_config.TextColumn(width="large"),
            "Retning": st.column_config.TextColumn(width="medium"),
        },
    )
