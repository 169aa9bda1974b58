"""Patient: one patient's course so far, PRO answers per time point, and conference history."""

import streamlit as st

from conference.charts import timeline_chart
from conference.formatting import date_long, date_short, number
from conference.labels import (
    ACTION_STATUS,
    AGENDA_LIST,
    AGENDA_STATUS,
    DECISION,
    FINDING,
    SEX,
    WORK_SITUATION,
)
from conference.pathway import REASON_TEXTS
from conference.patient_view import history_frame, team_lines, timeline_frame
from conference.services.audit import patient_history
from conference.services.errors import ServiceError
from conference.services.patients import patient_detail, raise_concern
from conference.ui.context import acting_user, clear_caches, db_session, record_view, today
from conference.ui.form_keys import field_key, saved
from conference.ui.pro_view import pro_section
from conference.ui.text import escape_md, facts

raw_id = st.query_params.get("id", "")
if not raw_id.isdigit():
    st.title("Patient")
    st.info("Vælg en patient på listen for at se forløbet.")
    st.page_link("views/patienter.py", label="Til patientlisten", icon=":material/groups:")
    st.stop()

with db_session() as session:
    user = acting_user(session)
    try:
        patient = patient_detail(session, int(raw_id), today())
        record_view(session, user, "patient", [patient.id])
        history = patient_history(session, patient.id)
    except ServiceError as error:
        st.error(str(error))
        st.page_link("views/patienter.py", label="Til patientlisten", icon=":material/groups:")
        st.stop()

st.page_link("views/patienter.py", label="Patientlisten", icon=":material/arrow_back:")
st.title(escape_md(patient.name))
st.caption(
    f"CPR {patient.cpr} · {patient.age} år · {SEX.get(patient.sex, patient.sex)} · "
    f"henvist {date_short(patient.referral_date)}"
    + (f" · afsluttet {date_short(patient.discharged_on)}" if patient.discharged_on else "")
)

next_step = (
    f"{patient.next_step.name}, {date_short(patient.next_step.planned_date)}"
    if patient.next_step else "Intet planlagt"
)
facts([
    ("Forløbstrin", patient.stage.text),
    ("Næste skridt", next_step),
    ("PAL-læge", patient.pal_laege or "Ikke angivet"),
    ("Kontaktsygeplejerske", patient.kontaktsygeplejerske or "Ikke angivet"),
    ("Mikroteam", patient.microteam or "Intet"),
])

if patient.due:
    st.warning(
        f"**Aktuel til tværfaglig konference {date_long(patient.conference_date)}**\n\n"
        + "\n".join(f"- {escape_md(reason.text)}" for reason in patient.due)
    )

if patient.open_actions:
    st.subheader("Åbne opgaver fra konferencen")
    st.dataframe(
        [
            {
                "Opgave": a.description,
                "Ansvarlig": a.owner,
                "Frist": a.due_date,
                "Status": ACTION_STATUS.get(a.status, a.status),
            }
            for a in patient.open_actions
        ],
        hide_index=True,
        column_config={"Frist": st.column_config.DateColumn(format="DD.MM.YYYY")},
    )

course_tab, pro_tab, conf_tab, background_tab, history_tab = st.tabs(
    ["Forløb", "PRO", "Konferencer", "Baggrund og mikroteam", "Historik"]
)

with course_tab:
    if not patient.timeline:
        st.info("Der er endnu ingen indsatser i forløbet.")
    else:
        st.altair_chart(timeline_chart(patient.timeline, today()), width="stretch")
        st.dataframe(
            timeline_frame(patient.timeline),
            hide_index=True,
            column_config={
                "Start": st.column_config.DateColumn(format="DD.MM.YYYY"),
                "Slut": st.column_config.DateColumn(format="DD.MM.YYYY"),
                "Fremmøde": st.column_config.TextColumn(width="large"),
            },
        )
        for entry in patient.timeline:
            if entry.handover_note:
                st.info(f"**Overlevering fra {entry.name}:** {escape_md(entry.handover_note)}")

with pro_tab:
    pro_section(patient.pro, key="patient_pro")

with conf_tab:
    if not patient.conferences:
        st.info("Patienten har ikke været på tværfaglig konference.")
    else:
        st.dataframe(
            [
                {
                    "Konference": c.conference_date,
                    "Anledning": REASON_TEXTS.get(c.reason, c.reason),
                    "Liste": AGENDA_LIST.get(c.list, c.list),
                    "Status": AGENDA_STATUS.get(c.status, c.status),
                    "Konklusion": DECISION.get(c.decision, c.decision or ""),
                    "Uddybning": c.decision_text or "",
                }
                for c in patient.conferences
            ],
            hide_index=True,
            column_config={"Konference": st.column_config.DateColumn(format="DD.MM.YYYY")},
        )

with background_tab:
    left, right = st.columns(2)
    with left:
        st.markdown("**Baggrund**")
        duration = patient.pain_duration_years
        years = f"{number(duration)} år" if duration is not None else "ikke angivet"
        st.text(
            f"Diagnose: {patient.diagnosis or 'ikke angivet'}\n"
            f"Smertevarighed: {years}\n"
            f"Smerteudbredelse: {patient.pain_distribution or 'ikke angivet'}\n"
            f"Forsørgelse: {WORK_SITUATION.get(patient.work_situation, 'ikke angivet')}"
        )
        findings = [e for e in patient.timeline if e.finding]
        for entry in findings:
            st.caption(f"{entry.name}: {FINDING.get(entry.finding, entry.finding)}")
    with right:
        st.markdown(f"**{escape_md(patient.microteam or 'Intet mikroteam')}**")
        st.text("\n".join(team_lines(patient.team_members)) or "Ingen medlemmer registreret")

with history_tab:
    st.caption("Alle ændringer af patientens kliniske indhold: hvem, hvornår, før og efter.")
    if not history:
        st.info("Ingen registrerede ændringer.")
    else:
        st.dataframe(history_frame(history), hide_index=True)

st.divider()
with st.expander("Rejs en problemstilling til tværfaglig konference"):
    if patient.open_concerns:
        for concern in patient.open_concerns:
            st.caption(f"Rejst {date_short(concern.raised_on)} af {escape_md(concern.raised_by)}:")
            st.text(concern.note)
    with st.form("concern"):
        note = st.text_area(
            "Hvad er problemstillingen eller usikkerheden om behandlingsbehovet?",
            max_chars=2000, key=field_key("concern", "note"),
        )
        if st.form_submit_button("Rejs problemstilling"):
            try:
                with db_session() as session:
                    raise_concern(session, user, patient.id, note, today())
            except ServiceError as error:
                st.error(str(error))
            else:
                clear_caches()
                saved("concern")
                st.toast("Problemstillingen er registreret; patienten er aktuel til konferencen.")
                st.rerun()
