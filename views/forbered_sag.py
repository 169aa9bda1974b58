"""Forbered sag: the microteam's patients on coming conferences, and one case from the template.

The case lives in the URL (?sag=<agenda item id>), and only there, so a reload returns to it;
its texts are in the database (autosave), so a reload finds them again. A row picked in the list
opens the case of the row as it was drawn (the rows of the next run may be others: someone put a
case on meanwhile).
"""

import pandas as pd
import streamlit as st

from conference.formatting import date_long, date_short, local_datetime
from conference.labels import AGENDA_LIST, CASE_STATE, SEX
from conference.services.cases import (
    case_detail,
    coming_conference_dates,
    my_cases,
    my_patients,
    put_on_conference,
)
from conference.services.errors import ServiceError
from conference.ui.case_form import ACTOR_KEY, case_form
from conference.ui.context import (
    USER_PARAM,
    acting_user,
    clear_caches,
    db_session,
    record_view,
    today,
)
from conference.ui.pro_view import pro_section
from conference.ui.team_notes import team_notes_section
from conference.ui.text import escape_md, facts

CASE_PARAM = "sag"
TAB_PARAM = "fane"
TABLE_KEY = "case_table"
SHOWN_KEY = "case_table_shown"  # the cases of the table's rows, in order, as last drawn


def _open_case(item_id: int) -> None:
    st.query_params[CASE_PARAM] = str(item_id)


def _open_picked() -> None:
    """on_select of the list: open the case of the row picked, by the rows as they were drawn
    (a row's position names a case only in the table the person saw)."""
    rows = st.session_state[TABLE_KEY].selection.rows
    shown = st.session_state.get(SHOWN_KEY, [])
    if rows and rows[0] < len(shown):
        _open_case(shown[rows[0]])


def _close_case() -> None:
    st.query_params.pop(CASE_PARAM, None)
    st.session_state[TAB_PARAM] = "Sagsfremstilling"


with db_session() as session:
    user = acting_user(session)
st.session_state[ACTOR_KEY] = user.id

raw_id = st.query_params.get(CASE_PARAM, "")

# --------------------------------------------------------------------------- one case

if raw_id.isdigit():
    with db_session() as session:
        try:
            view = case_detail(session, int(raw_id), today())
        except ServiceError as error:
            st.title("Forbered sag")
            st.error(str(error))
            st.button("Til mine sager", on_click=_close_case)
            st.stop()
        record_view(session, user, "forbered_sag", [view.patient.id])
    patient = view.patient
    st.button("Mine sager", icon=":material/arrow_back:", on_click=_close_case, type="tertiary")
    st.title(escape_md(patient.name))
    st.caption(
        f"CPR {patient.cpr} · {patient.age} år · {SEX.get(patient.sex, patient.sex)} · "
        f"tværfaglig konference {date_long(view.conference_date)} · "
        f"{AGENDA_LIST.get(view.list, view.list).lower()}"
    )
    facts([
        ("Forløbstrin", patient.stage.text),
        ("Mikroteam", patient.microteam or "Intet"),
        ("PAL-læge", patient.pal_laege or "Ikke angivet"),
        ("Kontaktsygeplejerske", patient.kontaktsygeplejerske or "Ikke angivet"),
    ])
    st.page_link("views/patient.py", label="Hele patientforløbet", icon=":material/person:",
                 query_params={"id": patient.id, USER_PARAM: user.initials})
    # The open tab is in the URL too (?fane=PRO), and only the open tab is drawn.
    form_tab, pro_tab, notes_tab = st.tabs(
        ["Sagsfremstilling", "PRO", "Teamnoter"], key=TAB_PARAM, bind="query-params"
    )
    if form_tab.open:
        with form_tab:
            case_form(view, user.name)
    if pro_tab.open:
        with pro_tab:
            pro_section(patient.pro, key=f"pro_{view.agenda_item_id}")
    if notes_tab.open:
        with notes_tab:
            team_notes_section(patient.id, view.notes, user.id)
    st.stop()

# --------------------------------------------------------------------------- my cases

st.title("Forbered sag")
everyone = st.toggle("Vis alle kommende sager, ikke kun mine patienters", key="all_cases")
with db_session() as session:
    rows = my_cases(session, None if everyone else user.id, today())
    patients = my_patients(session, None if everyone else user.id)
    dates = coming_conference_dates(session, today())
    if rows:  # the table names the patients of these cases
        record_view(session, user, "forbered_sag_liste", [r.patient_id for r in rows])

if rows:
    st.caption(
        f"{len(rows)} {'sag' if len(rows) == 1 else 'sager'} på kommende konferencer · "
        f"{sum(1 for r in rows if r.readiness.ready)} klar til konference. "
        "Vælg en række for at forberede sagen."
    )
    frame = pd.DataFrame(
        [
            {
                "Konference": r.conference_date,
                "Patient": r.patient_name,
                "Status": CASE_STATE[r.readiness.state],
                "Mangler": ", ".join(r.readiness.missing) if not r.readiness.ready else "",
                "Anledning": r.reason,
                "Spørgsmål": r.question or "",
                "CPR": r.cpr,
                "Sidst gemt": local_datetime(r.readiness.updated_at),
            }
            for r in rows
        ],
        index=[r.agenda_item_id for r in rows],
    )
    frame["Konference"] = pd.to_datetime(frame["Konference"])
    st.dataframe(
        frame,
        hide_index=True,
        on_select=_open_picked,
        selection_mode="single-row",
        key=TABLE_KEY,
        column_config={
            "Konference": st.column_config.DateColumn(format="DD.MM.YYYY", width="small"),
            "Mangler": st.column_config.TextColumn(width="medium"),
            "Anledning": st.column_config.TextColumn(width="medium"),
            "Spørgsmål": st.column_config.TextColumn(width="medium"),
        },
    )
    st.session_state[SHOWN_KEY] = [int(i) for i in frame.index]
else:
    st.info(
        "Ingen af dine patienter er på de kommende konferencer."
        if not everyone else "Der er ingen sager på de kommende konferencer."
    )

with st.expander("Sæt en patient på en konference", expanded=not rows):
    if not patients:
        st.caption("Du har ingen aktive patienter i dine mikroteams.")
    with st.form("put_on_conference", clear_on_submit=False):
        chosen = st.selectbox(
            "Patient", patients, index=None, format_func=lambda p: p.label,
            placeholder="Vælg patient", key="put_patient",
        )
        day = st.selectbox("Konference", dates, format_func=date_long, key="put_day")
        reason = st.text_area("Hvorfor skal patienten på konferencen?", max_chars=2000,
                              key="put_reason")
        question = st.text_area("Mikroteamets spørgsmål til konferencen", max_chars=2000,
                                key="put_question")
        if st.form_submit_button("Sæt på konferencen", type="primary"):
            if chosen is None:
                st.error("Vælg en patient.")
            else:
                try:
                    with db_session() as session:
                        item = put_on_conference(
                            session, user, chosen.id, day, reason, question, today()
                        )
                        item_id = item.id
                except ServiceError as error:
                    st.error(str(error))
                else:
                    clear_caches()
                    st.toast(f"{escape_md(chosen.name)} er sat på konferencen {date_short(day)}.")
                    _open_case(item_id)
                    st.rerun()
