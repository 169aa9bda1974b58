"""Adgangslog: who has looked up a patient (sundhedsloven § 42 a, GDPR art. 15), and the
security events (logins, refused calls). Administrators only."""

import datetime as dt

import streamlit as st

from conference.cpr import CprError
from conference.exporting import CSV_MIME, ExportTable, to_csv
from conference.formatting import local_datetime
from conference.services.access import patient_by_cpr, search_access_log, security_events
from conference.services.errors import ServiceError
from conference.ui.context import acting_user, db_session, staff_options, today

st.title("Adgangslog")
st.caption("Hvem har set hvilke patienter hvornår. Søgningen bliver selv logget.")

people = staff_options()
with st.form("search"):
    cpr_col, staff_col = st.columns(2)
    cpr = cpr_col.text_input("Patientens CPR-nummer", placeholder="DDMMÅÅ-XXXX")
    person = staff_col.selectbox(
        "Medarbejder", people, index=None, format_func=lambda o: o.label, placeholder="Alle"
    )
    since_col, until_col = st.columns(2)
    since = since_col.date_input("Fra", value=today() - dt.timedelta(days=90), format="DD.MM.YYYY")
    until = until_col.date_input("Til", value=today(), format="DD.MM.YYYY")
    searched = st.form_submit_button("Søg", type="primary")

rows, events, message = None, [], None
try:
    with db_session() as session:
        user = acting_user(session)
        patient_id = None
        if searched and cpr.strip():
            patient = patient_by_cpr(session, cpr)
            if patient is None:
                message = "Ingen patient med det CPR-nummer."
            else:
                patient_id = patient.id
        if searched and message is None:
            if patient_id is None and person is None:
                message = "Angiv et CPR-nummer eller en medarbejder."
            else:
                rows = search_access_log(
                    session, user, patient_id=patient_id,
                    staff_id=person.id if person else None, since=since, until=until,
                )
        events = security_events(session, user, limit=200)
except CprError as error:
    message = str(error)
except ServiceError as error:
    st.error(str(error))
    st.stop()

if message:
    st.warning(message)
if rows is not None:
    table = ExportTable(
        "Adgangslog",
        ["Tidspunkt", "Medarbejder", "Initialer", "Visning", "Patient", "CPR", "Antal i liste"],
        [[local_datetime(r.at), r.staff, r.initials, r.view, r.patient, r.cpr,
          r.patient_count or ""] for r in rows],
    )
    st.subheader(f"{len(rows)} opslag")
    st.dataframe(
        [dict(zip(table.headers, row, strict=True)) for row in table.rows], hide_index=True
    )
    st.download_button(
        "Hent som CSV", to_csv(table), file_name="adgangslog.csv", mime=CSV_MIME,
        disabled=not rows,
    )

st.subheader("Log ind og afviste handlinger")
KIND = {
    "login_ok": "Logget ind", "login_failed": "Mislykket login", "denied": "Afvist handling",
    "password_set": "Adgangskode sat", "logout": "Logget ud",
    "staff_created": "Medarbejder oprettet",
}
st.dataframe(
    [
        {"Tidspunkt": local_datetime(e.at), "Hændelse": KIND.get(e.kind, e.kind),
         "Medarbejder": e.staff, "Brugernavn": e.username, "Detaljer": e.detail}
        for e in events
    ],
    hide_index=True,
)
