"""Evaluering: who completes the standard course, who benefits, which perpetuating factors
change, and the yearly report (seed Efterord and 2.4; issue 15).

A period (a year by default, or any range) and a cohort definition (the year, the cohort and
the outcome of "Hvem har gavn" live in the address, so a reload keeps them); the definition is
stated on screen. Four parts: Gennemførelse, Effekt,
Vedligeholdende faktorer, Hvem har gavn. Small counts are suppressed on screen as in the files.
The yearly report as PDF and XLSX for mødeledere and administratorer (made when clicked, and
logged as produced by the acting user).
"""

import datetime as dt

import pandas as pd
import streamlit as st

from conference import evaluation as ev
from conference import evaluation_charts as charts
from conference import evaluation_report as report
from conference import pro
from conference.formatting import date_numeric, local_clock
from conference.permissions import Action, decide
from conference.services import evaluation as service
from conference.services.errors import ServiceError
from conference.services.staff import get_staff
from conference.ui.context import acting_user, db_session, engine, now, record_view, today

YEAR, RANGE = "aar", "periode"


#: How long a computed evaluation is kept (for everyone: it holds aggregates only). A save
#: elsewhere does not clear it (st.cache_data is cleared by every save): the figures of a period
#: change slowly, and the page says when they were computed and can recompute them at once.
KEEP_MINUTES = 15


@st.cache_resource(ttl=KEEP_MINUTES * 60, max_entries=24, show_spinner="Beregner evalueringen …")
def computed(database: str, start: dt.date, end: dt.date, cohort: str,  # noqa: ARG001
             day: dt.date) -> dict:
    """The evaluation of one period and cohort on `database` (the cache key), with what the
    four parts draw (tables as Danish text, chart specs) and when it was computed."""
    with db_session() as session:
        result = service.evaluate_cohort(session, service.Period(start, end), cohort, day)
    factor_rows = report.effect_table(result, "afslutning")
    factor_names = {pro.INSTRUMENTS[c].short_name for c in ev.FACTORS if c in pro.INSTRUMENTS}
    factor_rows.rows = [r for r in factor_rows.rows if r[1] in factor_names]
    factor_rows.title = "Ændring i de vedligeholdende faktorer, baseline til afslutning"
    return {
        "result": result,
        "at": now(),
        "tables": {
            "gennemfoert": report.completion_table(result),
            "trin": report.funnel_table(result),
            "aarsager": report.reasons_table(result),
            "tilvalg": report.addons_table(result),
            "svar": report.response_table(result),
            "effekt_slut": report.effect_table(result, "afslutning"),
            "effekt_midt": report.effect_table(result, "midtvejs"),
            "faktor_aendring": factor_rows,
            "faktorer": report.factors_table(result),
        },
        "charts": {
            "tragt": charts.funnel_chart(result.funnel).to_dict(validate=False),
            "effekt": charts.effect_chart(result.effect).to_dict(validate=False),
            "fordeling": charts.breakdown_chart(result.effect).to_dict(validate=False),
            "faktorer": charts.factor_chart(result.factors).to_dict(validate=False),
        },
    }


@st.cache_resource(ttl=KEEP_MINUTES * 60, max_entries=96, show_spinner=False)
def who_benefits(database: str, start: dt.date, end: dt.date, cohort: str, day: dt.date,
                 code: str) -> tuple[report.ReportTable, dict]:
    result = computed(database, start, end, cohort, day)["result"]
    frame = result.subgroups(code)
    name = pro.INSTRUMENTS[code].short_name
    return (report.subgroup_table(result, code, frame),
            charts.subgroup_chart(frame, name).to_dict(validate=False))


@st.cache_data(ttl=300, show_spinner=False)
def years(day: dt.date, staff_id: int) -> list[int]:
    with db_session() as session:
        return service.available_years(session, get_staff(session, staff_id), day)


def table(data: report.ReportTable, key: str) -> None:
    """A report table as on paper: its title, the Danish text, its note."""
    st.markdown(f"**{data.title}**")
    frame = data.frame()
    st.dataframe(frame, hide_index=True, key=key, width="stretch",
                 height=min(38 + 35 * len(frame), 560))
    if data.note:
        st.caption(data.note)


def chart(spec: dict, key: str) -> None:
    """An Altair chart's spec; its own title and description (the accessible name) say what
    it shows."""
    # its own size, title and legend included (Streamlit would squeeze a layered chart into
    # a default height otherwise)
    st.vega_lite_chart({**spec, "autosize": {"type": "pad", "contains": "padding"}}, key=key,
                       width="content")


day = today()
try:
    with db_session() as session:
        user = acting_user(session)
        staff_id = user.id
        may_export = decide(user.role_set, Action.EXPORT_REPORT).allowed
    year_options = years(day, staff_id)
except ServiceError as error:
    st.error(str(error))
    st.stop()

st.title("Evaluering")
st.caption("Hvem gennemfører standardforløbet, hvem har gavn af det, og hvilke vedligeholdende "
           "faktorer ændrer sig – for en periode og en afgrænset gruppe patienter.")

# period on one row, cohort on the next: each keeps its width on a 1024-pixel screen and zoomed
kind_col, period_col = st.columns(2, vertical_alignment="bottom")
kind = kind_col.segmented_control(
    "Periode", [YEAR, RANGE], default=YEAR, required=True, key="periodetype",
    format_func={YEAR: "År", RANGE: "Egen periode"}.get, bind="query-params",
)
default_year = day.year - 1 if day.year - 1 in year_options else year_options[0]
if kind == YEAR:
    year = period_col.selectbox("År", year_options, index=year_options.index(default_year),
                                key="aar", bind="query-params")
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
else:
    chosen = period_col.date_input(
        "Fra og med – til og med",
        value=(dt.date(default_year, 1, 1), dt.date(default_year, 12, 31)),
        format="DD.MM.YYYY", key="interval",
    )
    if not isinstance(chosen, tuple) or len(chosen) != 2:
        st.info("Vælg både en start- og en slutdato.")
        st.stop()
    start, end = chosen
cohort = st.segmented_control(
    "Kohorte", list(service.COHORTS), default=service.REFERRED, required=True, key="kohorte",
    format_func=lambda c: service.COHORTS[c][0], bind="query-params",
)

database = engine().url.render_as_string(hide_password=True)
try:
    with db_session() as session:
        service.authorize_reading(session, acting_user(session))
    view = computed(database, start, end, cohort, day)
    result = view["result"]
    with db_session() as session:
        record_view(session, acting_user(session), "evaluering", count=result.size)
except ServiceError as error:
    st.error(str(error))
    st.stop()

label, definition = service.COHORTS[cohort]
period_text = (f"år {start.year}" if kind == YEAR
               else f"{date_numeric(start)}–{date_numeric(end)}")
st.info(f"**Kohorte: {label}, {period_text}** – {report.count_text(result.size)} patienter. "
        f"{definition}", icon=":material/groups:")
st.caption(report.SUPPRESSION_NOTE + " Dialogstøtte og kvalitetsudvikling: tallene siger, "
           "hvordan det gik, ikke hvad der skal gøres.")

if may_export:
    meta_args = {"period": service.Period(start, end), "cohort": cohort, "today": day}
    stem = f"evaluering_{start.isoformat()}_{end.isoformat()}_{cohort}"

    def _file(build):  # noqa: ANN001, ANN202 - a deferred download
        """The file is made when clicked, as the acting user (checked and logged there)."""
        def data() -> bytes:
            with db_session() as session:
                return build(session, get_staff(session, staff_id), now=now(), **meta_args)
        return data

    pdf_col, xlsx_col = st.columns(2)
    pdf_col.download_button(
        "Hent årsrapport (PDF)", data=_file(service.report_pdf), file_name=f"{stem}.pdf",
        mime=report.PDF_MIME, icon=":material/picture_as_pdf:", key="rapport_pdf",
        on_click="ignore", width="stretch",
    )
    xlsx_col.download_button(
        "Hent tabeller (Excel)", data=_file(service.report_xlsx), file_name=f"{stem}.xlsx",
        mime=report.XLSX_MIME, icon=":material/table_view:", key="rapport_xlsx",
        on_click="ignore", width="stretch",
    )
else:
    st.caption("Årsrapporten (PDF og Excel) kan hentes af mødeledere og administratorer.")

if result.size == 0:
    st.warning("Ingen patienter i kohorten for den valgte periode.")
    st.stop()

when_col, again_col = st.columns([3, 1], vertical_alignment="center")
when_col.caption(f"Beregnet kl. {local_clock(view['at'])}; tallene genberegnes højst hvert "
                 f"{KEEP_MINUTES}. minut (rapporterne altid, når de hentes).")
if again_col.button("Beregn igen", icon=":material/refresh:", key="beregn_igen"):
    computed.clear()
    who_benefits.clear()
    st.rerun()

parts = st.tabs(["Gennemførelse", "Effekt", "Vedligeholdende faktorer", "Hvem har gavn"])
tables, specs = view["tables"], view["charts"]

with parts[0]:
    done = result.completion
    share = done.share
    a, b = st.columns(2)  # two by two: the labels are long
    c, d = st.columns(2)
    a.metric("Gennemført standardforløb", report.count_text(report.shown_count(done.completed)))
    b.metric("Andel af afsluttede forløb",
             report.percent_text(share["share"]) if not share["hidden"] and done.ended else "–",
             help="Gennemført af dem, hvis forløb er slut (gennemført, udgået eller afsluttet "
                  "undervejs), med 95 % Wilson-interval i tabellen nedenfor.")
    c.metric("Udgået undervejs", report.count_text(report.shown_count(done.dropped_out)))
    d.metric("Stadig i forløb", report.count_text(report.shown_count(done.in_course)))
    chart(specs["tragt"], "tragt")
    table(tables["gennemfoert"], "tabel_gennemfoert")
    table(tables["trin"], "tabel_trin")
    left, right = st.columns(2)
    with left:
        table(tables["aarsager"], "tabel_aarsager")
    with right:
        table(tables["tilvalg"], "tabel_tilvalg")

with parts[1]:
    table(tables["svar"], "tabel_svar")
    chart(specs["effekt"], "effekt")
    chart(specs["fordeling"], "fordeling")
    table(tables["effekt_slut"], "tabel_effekt_slut")
    table(tables["effekt_midt"], "tabel_effekt_midt")

with parts[2]:
    st.caption("Vedligeholdende faktorer (3P): katastrofetænkning (PCS), angst og depression "
               "(HADS), søvn (ISI) og self-efficacy (PSEQ). Ændrer de sig, og følges det af "
               "bedre funktion (PDI) og patientens egen vurdering (PGIC)?")
    table(tables["faktor_aendring"], "tabel_faktor_aendring")
    chart(specs["faktorer"], "faktorer")
    table(tables["faktorer"], "tabel_faktorer")

with parts[3]:
    choices = [c for c, inst in pro.INSTRUMENTS.items() if "afslutning" in inst.timepoints]
    code = st.selectbox(
        "Effektmål", choices, index=choices.index("pdi") if "pdi" in choices else 0,
        format_func=lambda c: pro.INSTRUMENTS[c].name, key="effektmaal", bind="query-params",
    )
    subgroup_table, subgroup_spec = who_benefits(database, start, end, cohort, day, code)
    chart(subgroup_spec, "undergrupper")
    table(subgroup_table, "tabel_undergrupper")

with st.expander("Definitioner"):
    definitions = report.definitions_table(report.ReportMeta(
        start, end, cohort, label, definition, now()))
    st.dataframe(pd.DataFrame(definitions.rows, columns=definitions.headers), hide_index=True,
                 width="stretch")
