"""Patienter: the centre's active patients, searchable and filterable."""

import streamlit as st

from conference.formatting import date_long
from conference.pathway import STAGE_LABELS
from conference.patient_list import PatientFilter, filter_rows, to_frame
from conference.ui.context import USER_PARAM, acting_user, db_session, record_view, today
from conference.ui.reads import patient_list

SEARCH_LOGGED = 50  # a search finding at most this many patients logs each of them

data = patient_list(today())
rows = data.rows
with db_session() as session:
    record_view(session, acting_user(session), "patientliste", count=len(rows))

st.title("Patienter")
st.caption(
    f"Aktive patienter i forløb · næste tværfaglige konference: {date_long(data.conference_date)}"
)

search, stage_col, due_col = st.columns([3, 3, 1.4], vertical_alignment="bottom")
text = search.text_input(
    "Søg", placeholder="Navn eller CPR-nummer", key="search", label_visibility="collapsed"
)
stages = stage_col.multiselect(
    "Forløbstrin",
    [s for s in STAGE_LABELS if any(r.stage.label == s for r in rows)],
    key="stages",
    placeholder="Alle forløbstrin",
    label_visibility="collapsed",
)
due_only = due_col.toggle("Kun aktuelle til konference", key="due_only")

with st.expander("Flere filtre"):
    team_col, pal_col, nurse_col = st.columns(3)
    microteam = team_col.selectbox(
        "Mikroteam", sorted({r.microteam for r in rows if r.microteam}), index=None,
        placeholder="Alle", key="microteam",
    )
    pal = pal_col.selectbox(
        "PAL-læge", sorted({r.pal_laege for r in rows if r.pal_laege}), index=None,
        placeholder="Alle", key="pal",
    )
    nurse = nurse_col.selectbox(
        "Kontaktsygeplejerske",
        sorted({r.kontaktsygeplejerske for r in rows if r.kontaktsygeplejerske}),
        index=None, placeholder="Alle", key="nurse",
    )

shown = filter_rows(
    rows,
    PatientFilter(text, tuple(stages), pal, nurse, microteam, due_only),
)
if text.strip() and 0 < len(shown) <= SEARCH_LOGGED:
    # A search by name or CPR is a look-up of the patients it finds: logged one by one.
    with db_session() as session:
        record_view(session, acting_user(session), "patientsoegning", [r.id for r in shown])

total, due, agenda = st.columns(3)
total.metric("Aktive patienter", len(rows))
due.metric("Aktuelle til konference", sum(1 for r in rows if r.due))
agenda.metric("På næste dagsorden", sum(1 for r in rows if r.on_agenda))

if not shown:
    st.info("Ingen patienter matcher søgningen og filtrene.")
    st.stop()

st.caption(f"Viser {len(shown)} af {len(rows)} patienter. Vælg en række for at åbne patienten.")
frame = to_frame(shown)
selection = st.dataframe(
    frame,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="patient_table",
    column_config={
        "Alder": st.column_config.NumberColumn(format="%d år", width="small"),
        "Planlagt": st.column_config.DateColumn(format="DD.MM.YYYY"),
        "Begrundelse": st.column_config.TextColumn(width="large"),
    },
    height=min(38 + 35 * len(frame), 640),
)
if selection.selection.rows:
    patient_id = int(frame.index[selection.selection.rows[0]])
    st.switch_page(
        "views/patient.py",
        query_params={"id": patient_id, USER_PARAM: st.query_params.get(USER_PARAM, "")},
    )
