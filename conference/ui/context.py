"""What every page needs: the shared engine, a session, today, and who is acting.

The engine lives in st.cache_resource (shared by every user and thread); nothing per-user does.

Idle sessions (with a login: local or single sign-on; not on a demo database): `now()` is the
clock of login and idle decisions (tests replace it). conference.ui.auth notes activity at every
full script run and arms the timeout; `acting_user` (pages, fragments and callbacks) and a small
watch fragment note activity when what the person has typed or chosen changed since last seen
(a fragment that only redraws itself on a timer is not activity), and once the session has been
idle longer than the setting, start a full run, where conference.ui.auth asks for the password
again. A callback that finds the session idle is stopped before it writes anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
from db.models import Staff, utcnow
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
ACTIVITY_KEY = "idle_last_activity"  # the moment (UTC) of the last activity seen
FINGERPRINT_KEY = "idle_fingerprint"  # a digest of the person's input when last seen
IDLE_SECONDS_KEY = "idle_timeout_seconds"  # the timeout of this session (from the setting)
_NOT_INPUT = {ACTIVITY_KEY, FINGERPRINT_KEY, IDLE_SECONDS_KEY, ACTING_KEY}
_SIMPLE = (str, int, float, bool, dt.date, dt.time, type(None))


def now() -> dt.datetime:
    """The moment (UTC) for login and idle decisions; tests replace it."""
    return utcnow()


def _input_fingerprint() -> str:
    """A digest of what the person has typed or chosen: the simple values in session_state
    (widget values by key, and texts such as live_text_area's). Timers do not change it."""
    digest = hashlib.blake2b(digest_size=16)
    for key in sorted(k for k in st.session_state if isinstance(k, str)):
        if key in _NOT_INPUT:
            continue
        value = st.session_state.get(key)
        if isinstance(value, list | tuple) and all(isinstance(v, _SIMPLE) for v in value):
            value = tuple(value)
        elif not isinstance(value, _SIMPLE):
            continue
        digest.update(repr((key, value)).encode())
    return digest.hexdigest()


def arm_idle_timeout(seconds: int, at: dt.datetime) -> None:
    """Start (or keep) counting idle time for this session: `at` is activity."""
    st.session_state[IDLE_SECONDS_KEY] = seconds
    st.session_state[ACTIVITY_KEY] = at
    st.session_state[FINGERPRINT_KEY] = _input_fingerprint()


def disarm_idle_timeout() -> None:
    for key in (ACTIVITY_KEY, FINGERPRINT_KEY, IDLE_SECONDS_KEY):
        st.session_state.pop(key, None)


def idle_expired(at: dt.datetime, seconds: int | None = None) -> bool:
    """The session has been idle longer than its timeout (never when it is not armed)."""
    last = st.session_state.get(ACTIVITY_KEY)
    seconds = seconds if seconds is not None else st.session_state.get(IDLE_SECONDS_KEY)
    if last is None or seconds is None:
        return False
    return at - last > dt.timedelta(seconds=seconds)


def check_idle(seconds: int | None = None) -> None:
    """Idle too long: a full run, where the login asks for the password again (in a callback
    this stops the callback before it writes). Otherwise, changed input counts as activity."""
    if ACTIVITY_KEY not in st.session_state:
        return
    at = now()
    if seconds is not None:
        st.session_state[IDLE_SECONDS_KEY] = seconds
    if idle_expired(at):
        st.rerun(scope="app")
    fingerprint = _input_fingerprint()
    if fingerprint != st.session_state.get(FINGERPRINT_KEY):
        st.session_state[FINGERPRINT_KEY] = fingerprint
        st.session_state[ACTIVITY_KEY] = at


def keep_awake() -> None:
    """The projected board while the meeting runs: the wall shows it for hours with nobody
    touching it, and a password form there mid-meeting would stop the room. Each of its re-reads
    counts as activity (only while armed; the meeting's end ends it)."""
    if ACTIVITY_KEY in st.session_state:
        st.session_state[ACTIVITY_KEY] = now()


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
    """The staff member using the app (chosen in the sidebar); safe to call in callbacks.

    A session idle for longer than the timeout goes to the login first (`check_idle`)."""
    check_idle()
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
