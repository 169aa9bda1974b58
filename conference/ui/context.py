"""What every page needs: the shared engine, a session, today, and who is acting.

The engine lives in st.cache_resource (shared by every user and thread); nothing per-user does.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from conference.services.access import PermissionDenied, log_access, log_denial
from conference.services.settings import is_demo
from conference.services.staff import StaffOption, get_staff, list_staff
from conference.ui.db_guard import database_guard
from db.migrate import upgrade
from db.models import Staff
from db.session import make_engine, session_scope

USER_PARAM = "som"


@st.cache_resource
def engine() -> Engine:
    """One engine per process, migrated to the newest schema on first use."""
    eng = make_engine()
    upgrade(eng)
    return eng


@contextmanager
def db_session() -> Iterator[Session]:
    """A session for one script run: commits on success, rolls back on any error.

    A refused call (PermissionDenied) is logged in a transaction of its own, then re-raised
    for the page to show its Danish message. An unreachable database gives the Danish
    message of conference.ui.db_guard and stops the run, keeping what the user typed."""
    try:
        with database_guard(), session_scope(engine()) as session:
            yield session
    except PermissionDenied as denied:
        log_denial(engine(), denied)
        raise


def today() -> dt.date:
    """Today's date (KT_TODAY overrides it, for tests and demonstrations)."""
    override = os.environ.get("KT_TODAY")
    return dt.date.fromisoformat(override) if override else dt.date.today()


@st.cache_data(ttl=300, show_spinner=False)
def staff_options() -> list[StaffOption]:
    with db_session() as session:
        return list_staff(session)


@st.cache_data(ttl=300, show_spinner=False)
def demo_mode() -> bool:
    with db_session() as session:
        return is_demo(session)


ACTING_KEY = "acting_staff_id"


def choose_user() -> int:
    """The sidebar's "who are you" (demo mode: no login yet); app.py draws it once per run.

    The choice lives in the URL (?som=INITIALS) so a browser reload keeps it.
    """
    options = staff_options()
    if not options:
        st.error("Der er ingen medarbejdere i databasen. Indlæs demo-centret med `make run`.")
        st.stop()
    by_initials = {o.initials: o for o in options}
    wanted = st.query_params.get(USER_PARAM)
    default = by_initials.get(wanted) or next(
        (o for o in options if "moedeleder" in o.roles), options[0]
    )
    with st.sidebar:
        if demo_mode():
            st.warning("**DEMO** – fiktive patienter og medarbejdere. Ingen rigtige data.")
        st.caption("Ingen login endnu: vælg, hvem du er.")
        chosen = st.selectbox(
            "Du er",
            options,
            index=options.index(default),
            format_func=lambda o: o.label,
            key="acting_user",
        )
    if st.query_params.get(USER_PARAM) != chosen.initials:
        st.query_params[USER_PARAM] = chosen.initials
    st.session_state[ACTING_KEY] = chosen.id
    return chosen.id


def acting_user(session: Session) -> Staff:
    """The staff member using the app (chosen in the sidebar); safe to call in callbacks."""
    staff_id = st.session_state.get(ACTING_KEY)
    if staff_id is None:
        # normally app.py has identified the user; if a page runs without it (a deep link
        # on a freshly started server), the same login applies here
        from conference.ui.auth import identify

        staff_id = identify()
    staff = get_staff(session, staff_id)
    if staff is None:
        staff_options.clear()
        st.session_state.pop(ACTING_KEY, None)
        st.error("Den valgte medarbejder findes ikke længere. Vælg igen.")
        st.stop()
    return staff


def clear_caches() -> None:
    """After a write: drop cached reads so every screen shows the change."""
    st.cache_data.clear()


ACCESS_LOG_MINUTES = 5


def record_view(
    session: Session, user: Staff, view: str, patient_ids: list[int] | tuple[int, ...] = (),
    *, count: int | None = None,
) -> None:
    """Log that `user` sees these patients in `view` (once per view and patient per few
    minutes per browser session). If the log cannot be written, nothing is shown."""
    seen: dict[tuple[str, int | None], dt.datetime] = st.session_state.setdefault(
        "access_logged", {}
    )
    now = dt.datetime.now(dt.UTC)
    fresh = dt.timedelta(minutes=ACCESS_LOG_MINUTES)
    keys = [(view, pid) for pid in patient_ids] or [(view, None)]
    due = [k for k in keys if now - seen.get(k, dt.datetime.min.replace(tzinfo=dt.UTC)) > fresh]
    if not due:
        return
    try:
        log_access(
            session, user, view, [pid for _, pid in due if pid is not None], count=count
        )
    except Exception:  # noqa: BLE001 - any failure to log means: show nothing
        st.error("Adgangen kunne ikke logges, så oplysningerne vises ikke. Prøv igen om lidt.")
        st.stop()
    for key in due:
        seen[key] = now
