"""The PRO section of a case: flags, trend charts per instrument and the summary table.

Shared by Forbered sag and the conference board (projection mode: larger, fewer columns).
Dialogue support only: flags say "kræver opmærksomhed" / "klinisk relevant ændring", never what
to do. Colours always come with a text label (colour-blind readers, projectors). Every flag
names its time point and date; flags from before the latest response are shown apart, under
"Tidligere målinger". Each instrument's rule for a clinically relevant change is stated where
the change is shown (flag text, table column, chart tooltip), from the registry.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from conference import pro, pro_trend
from conference.charts import pro_small_multiples

BADGE_COLOUR = {"red": "red", "yellow": "yellow", "green": "green"}
#: A shape per colour too, so the flags read without colour (projectors, colour-blindness).
BADGE_ICON = {"red": ":material/error:", "yellow": ":material/warning:",
              "green": ":material/check_circle:"}
CELL_FILL = {"red": "#ffcdd2", "yellow": "#fff0b3", "green": "#c8e6c9"}
DIALOGUE_NOTE = (
    "Dialogstøtte, ikke beslutningsstøtte. Ændring regnes fra baseline og er "
    "»klinisk relevant ændring«, når den når instrumentets mindste betydende ændring "
    "(kolonnen »Mindste betydende ændring«). Manglende besvarelser vises som »ikke besvaret« "
    "(intet svar) eller »kan ikke beregnes« (for mange spørgsmål mangler), aldrig som 0."
)
HISTORY_NOTE = "seneste score for instrumenter uden score ved seneste besvarelse"


def _badges(flags: Sequence[pro.Flag]) -> None:
    with st.container(horizontal=True, gap="small"):
        for flag in flags:
            st.badge(pro_trend.dated_text(flag), color=BADGE_COLOUR.get(flag.level, "gray"),
                     icon=BADGE_ICON.get(flag.level))


def pro_flags(trends: Sequence[pro_trend.InstrumentTrend], *, limit: int | None = None) -> None:
    """The flags as coloured badges naming their time point and date: the latest response's
    first, then older ones under "Tidligere målinger". ``limit`` caps the badges shown."""
    split = pro_trend.split_flags(trends)
    total = len(split.current) + len(split.history)
    current = split.current if limit is None else split.current[:limit]
    room = None if limit is None else max(0, limit - len(current))
    history = split.history if room is None else split.history[:room]
    if current:
        st.caption(f"Markeringer ved seneste besvarelse ({split.latest}):")
        _badges(current)
    else:
        st.caption(f"Ingen markeringer ved seneste besvarelse ({split.latest}).")
    if history:
        st.caption(f"{pro_trend.HISTORY_TITLE} ({HISTORY_NOTE}):")
        _badges(history)
    if len(current) + len(history) < total:
        st.caption(f"… og {total - len(current) - len(history)} markeringer mere i tabellen.")


COMPARISON_COLUMN = "Sammenlignelige patienter"
COMPARISON_HELP = (
    "Af tidligere patienter i samme sværhedsbånd ved baseline (instrumentets eget bånd, ellers "
    "smerteintensitet): andelen med klinisk relevant forbedring ved afslutning, og hvor mange "
    "der har svaret. Dialogstøtte om hvordan det plejer at gå – ikke en prognose for patienten. "
    "Under 5 vises ikke."
)


@st.cache_resource(ttl=3600, show_spinner=False)
def _comparison(database: str) -> pd.DataFrame:  # noqa: ARG001 - the cache key
    """The centre's reference (aggregates only), kept an hour per database; not cleared by a
    save (it changes slowly and every save would otherwise recompute it)."""
    from conference.services.evaluation import comparison_reference
    from conference.ui.context import db_session

    with db_session() as session:
        return comparison_reference(session)


def comparison() -> pd.DataFrame:
    """Per instrument and baseline band: how many comparable patients improved."""
    from conference.ui.context import engine

    return _comparison(engine().url.render_as_string(hide_password=True))


def comparison_text(table: pd.DataFrame, code: str, baselines: dict) -> str:
    """'31 % forbedret af 225 (svære smerter, NRS gennemsnit)' for one instrument."""
    from conference import evaluation
    from conference.evaluation_report import count_text, percent_text

    if "afslutning" not in pro.INSTRUMENTS[code].timepoints:
        return pro_trend.NOT_ASKED
    row = evaluation.comparable(table, code, baselines)
    if row is None:
        return "ingen baseline at sammenligne ud fra"
    where = f"{row['band'].lower()}, {pro.INSTRUMENTS[row['severity']].short_name}"
    if not row["n"]:
        return f"ingen endnu ({where})"
    if row["hidden"]:
        n = evaluation.SUPPRESSED if evaluation.is_small(row["n"]) else count_text(row["n"])
        return f"for få til at vise, n = {n} ({where})"
    return f"{percent_text(row['share'])} forbedret af {count_text(row['n'])} ({where})"


def pro_table(answers: Sequence[pro_trend.Answers], reference: pd.DataFrame | None = None
              ):  # noqa: ANN201 - a pandas Styler
    """The summary table; the "Markering" cell is shaded in its most serious colour. With a
    `reference` (comparison()), a column says how comparable patients fared."""
    trends = pro_trend.trends(answers)
    frame = pd.DataFrame(pro_trend.summary_rows(answers))
    if reference is not None and len(frame):
        base = next((a for a in answers if a.timepoint == "baseline"), None)
        baselines = dict(base.scores) if base is not None else {}
        texts = [comparison_text(reference, t.code, baselines) for t in trends]
        frame.insert(list(frame.columns).index("Ændring fra baseline") + 1, COMPARISON_COLUMN,
                     texts)
    fills = [CELL_FILL.get(pro_trend.top_level(t.attention) or "", "") for t in trends]
    return frame.style.apply(
        lambda column: [f"background-color: {f}" if f else "" for f in fills],
        subset=["Markering"],
    )


def pro_section(
    answers: Sequence[pro_trend.Answers], *, projection: bool = False, key: str = "pro",
    reference: pd.DataFrame | None = None,
) -> None:
    """Everything about the patient's PRO answers; `projection` for the wall screen; with a
    `reference` (comparison()) the table says how comparable patients fared."""
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
    # the chart's own description (conference.charts.pro_description) names it for screen
    # readers with the latest scores; the table below has every figure
    st.altair_chart(chart, width="content", key=f"{key}_chart")
    table = pro_table(answers, reference)
    st.dataframe(
        table,
        hide_index=True,
        key=f"{key}_table",
        height=38 + 35 * len(table.data),
        column_config={
            "Markering": st.column_config.TextColumn(
                width="large", help="Markeringer ved instrumentets seneste besvarelse, med "
                                    "tidspunkt og dato."),
            "Retning": st.column_config.TextColumn(width="medium"),
            "Ændring fra baseline": st.column_config.TextColumn(
                help="Fra baseline til seneste besvarelse. »Klinisk relevant«, når ændringen "
                     "når instrumentets mindste betydende ændring."),
            COMPARISON_COLUMN: st.column_config.TextColumn(width="medium",
                                                           help=COMPARISON_HELP),
            pro_trend.MIC_COLUMN: st.column_config.TextColumn(
                help="Instrumentets mindste betydende ændring (fra instrumentregistret); "
                     "én af reglerne er nok."),
        },
    )
