"""Adgangslog: who has looked up a patient (sundhedsloven § 42 a, GDPR art. 15), the
security events (logins, refused calls), and the logins locked after too many failures (an
administrator lifts a lock here). Administrators only."""

import datetime as dt

import streamlit as st

from conference.cpr import CprError
from conference.exporting import CSV_MIME, ExportTable, to_csv
from conference.formatting import local_clock, local_datetime
from conference.services.access import patient_by_cpr, search_access_log, security_events
from conference.services.accounts import login_locks, unlock
from conference.services.errors import ServiceError
from conference.ui.context import acting_user, db_session, now, staff_options, today
from conference.ui.text import escape_md

UNLOCK_NOTICE = "adgangslog_unlock_notice"


def _unlock(key: str) -> None:
    """Lift one lock as the acting administrator (a security event and an audit row)."""
    try:
        with db_session() as session:
            lifted = unlock(session, acting_user(session), key, now=now())
    except ServiceError as error:
        st.session_state[UNLOCK_NOTICE] = ("error", str(error))
        return
    st.session_state[UNLOCK_NOTICE] = (
        ("success", f"Spærringen af {lifted.label} er ophævet.") if lifted
        else ("info", "Spærringen var allerede ophævet.")
    )


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
        locks = login_locks(session, user, now=now())
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

st.subheader("Spærrede login")
if UNLOCK_NOTICE in st.session_state:
    kind, text = st.session_state.pop(UNLOCK_NOTICE)
    getattr(st, kind)(text)
if not locks:
    st.caption("Ingen konti eller klienter er spærret lige nu.")
for lock in locks:
    what, until, button = st.columns([5, 3, 2], vertical_alignment="center")
    what.markdown(f"**{escape_md(lock.label)}** · {lock.failures} mislykkede forsøg")
    until.markdown(f"spærret til kl. {local_clock(lock.locked_until)}")
    button.button("Ophæv spærringen", key=f"unlock_{lock.key}", on_click=_unlock,
                  args=(lock.key,), icon=":material/lock_open:")

st.subheader("Log ind og afviste handlinger")
KIND = {
    "login_ok": "Logget ind", "login_failed": "Mislykket login", "denied": "Afvist handling",
    "password_set": "Adgangskode sat", "password_refused": "Adgangskode afvist",
    "logout": "Logget ud", "staff_created": "Medarbejder oprettet",
    "login_locked": "Login spærret", "login_unlocked": "Spærring ophævet",
    "idle_timeout": "Låst efter inaktivitet",
}
st.dataframe(
    [
        {"Tidspunkt": local_datetime(e.at), "Hændelse": KIND.get(e.kind, e.kind),
         "Medarbejder": e.staff, "Brugernavn": e.username, "Detaljer": e.detail}
        for e in events
    ],
    hide_index=True,
)
