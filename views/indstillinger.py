"""Indstillinger: the conference's weekday, start time and length, and how patients are named
on the projected board. Administrators only; the service checks every save again.

The form remembers the values it was drawn from; if another administrator saves in between,
nothing is saved and the page shows what is stored now next to what this user chose."""

import datetime as dt

import streamlit as st

from conference.agenda import NAME_MODES, display_name
from conference.formatting import date_long, local_datetime, time_hm
from conference.services import agenda
from conference.services import settings as service
from conference.services.errors import ServiceError
from conference.ui.context import acting_user, clear_caches, db_session, today
from conference.ui.text import escape_md

SEEN_KEY = "settings_seen"  # the stored values the form was drawn from
SAVED_KEY = "settings_saved"  # the message after a save, shown on the next run
WEEKDAY, START, MINUTES, NAME_MODE = (
    "settings_weekday", "settings_start", "settings_minutes", "settings_name_mode",
)
EXAMPLE = ("Nicolai", "Hansen")  # a made-up patient, to show each name mode


def load(values: service.ConferenceSettings) -> None:
    """Draw the form from these values (only before its widgets, or from a callback)."""
    st.session_state[SEEN_KEY] = values
    st.session_state[WEEKDAY] = values.weekday
    st.session_state[START] = values.start
    st.session_state[MINUTES] = min(max(values.minutes, service.MIN_MINUTES), service.MAX_MINUTES)
    st.session_state[NAME_MODE] = values.name_mode


def in_form() -> service.ConferenceSettings | None:
    keys = (WEEKDAY, START, MINUTES, NAME_MODE)
    if any(key not in st.session_state for key in keys):
        return None
    return service.ConferenceSettings(*(st.session_state[key] for key in keys))


def name_example(mode: str) -> str:
    return f"{NAME_MODES[mode]} – fx »{display_name(*EXAMPLE, mode)}«"


try:
    with db_session() as session:
        user = acting_user(session)
        view = service.settings_view(session, user)
        next_day = service.next_conference_date(session, today())
        created = [
            (c.date, c.starts_at, c.duration_minutes)
            for c in agenda.upcoming_conferences(session, today())
        ]
except ServiceError as error:
    st.error(str(error))
    st.stop()

current = view.settings
seen = st.session_state.get(SEEN_KEY)
form = in_form()
if seen is None or form is None or (seen != current and form == seen):
    load(current)  # first visit, or the form is untouched and someone else has saved
    seen = current

st.title("Indstillinger")
st.caption(
    "Centrets faste indstillinger for den tværfaglige konference."
    + (f" Senest ændret {local_datetime(view.changed_at)}"
       f" af {escape_md(view.changed_by or 'ukendt')}." if view.changed_at else "")
)
if SAVED_KEY in st.session_state:
    st.success(st.session_state.pop(SAVED_KEY))

weekdays = list(service.CONFERENCE_WEEKDAYS)
if st.session_state[WEEKDAY] not in weekdays:  # stored outside mandag–fredag
    weekdays.append(st.session_state[WEEKDAY])

with st.form("settings"):
    st.subheader("Konferencens tidspunkt")
    day_col, start_col, length_col = st.columns(3)
    day_col.selectbox(
        "Ugedag", weekdays, key=WEEKDAY,
        format_func=lambda d: service.weekday_name(d).capitalize(),
    )
    start_col.time_input("Starttidspunkt", key=START, step=dt.timedelta(minutes=5))
    length_col.number_input(
        "Varighed i minutter", min_value=service.MIN_MINUTES, max_value=service.MAX_MINUTES,
        step=5, key=MINUTES,
        help=f"Mellem {service.MIN_MINUTES} og {service.MAX_MINUTES} minutter.",
    )
    st.caption(
        "Ugedag, starttidspunkt og varighed gælder konferencer, der oprettes fra nu af. "
        "Konferencer, der allerede er oprettet, flyttes ikke og beholder deres dato, "
        "starttidspunkt og varighed."
    )

    st.subheader("Navnevisning i projektion")
    st.radio(
        "Sådan vises patienternes navne på den projicerede tavle",
        list(NAME_MODES), key=NAME_MODE, format_func=name_example,
    )
    st.caption(
        "Gælder med det samme, også for en konference, der er i gang. "
        "CPR-nummeret vises aldrig i projektion."
    )
    submitted = st.form_submit_button("Gem indstillinger", type="primary")

if submitted:
    chosen = in_form()
    try:
        with db_session() as session:
            saved = service.save_conference_settings(
                session, acting_user(session),
                weekday=chosen.weekday, start=chosen.start, minutes=chosen.minutes,
                name_mode=chosen.name_mode, seen=seen,
            )
    except service.SettingsConflict as conflict:
        st.session_state[SEEN_KEY] = conflict.current  # saving again uses what is in the form
        st.error(str(conflict))
        st.button("Brug de gemte indstillinger i stedet", on_click=load,
                  args=(conflict.current,))
    except ServiceError as error:
        st.error(str(error))
    else:
        clear_caches()
        st.session_state.pop(SEEN_KEY, None)
        st.session_state[SAVED_KEY] = (
            f"Indstillingerne er gemt: {service.weekday_name(saved.weekday)} "
            f"kl. {time_hm(saved.start)}, {saved.minutes} min, "
            f"navne vises som »{display_name(*EXAMPLE, saved.name_mode)}«."
        )
        st.rerun()

st.subheader("Kommende konferencer")
existing = {day for day, _, _ in created}
st.markdown(
    f"Næste konference: **{date_long(next_day)}**"
    + (" (oprettet)." if next_day in existing else
       " (ikke oprettet endnu; den oprettes på siden Konference).")
)
if created:
    st.dataframe(
        [
            {"Dato": date_long(day), "Start": time_hm(start), "Varighed (min)": minutes}
            for day, start, minutes in created
        ],
        hide_index=True,
    )
    st.caption("Allerede oprettede konferencer ændres ikke, når indstillingerne gemmes.")

st.subheader("Demo")
if view.demo:
    st.info(
        "Databasen er demo-centret med fiktive patienter og medarbejdere. Det er sat, da "
        "demo-centret blev indlæst, og kan ikke ændres her."
    )
else:
    st.caption("Databasen er ikke en demo. Det kan ikke ændres her.")
