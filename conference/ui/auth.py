"""Who is using the app: single sign-on (st.login) when secrets has an [auth] section, local
accounts otherwise, and the labelled "choose who you are" only on a demo database.

Local logins are throttled per account and per client (conference.services.accounts.login; the
client is the browser's address, see `client_address`). A session idle for longer than the
setting asks for the password again: the same person continues where they were, with what they
had typed still in the fields (the page's session_state stays; its texts are set again when the
page is drawn), or someone else starts afresh after "Log ud". With single sign-on an idle
session is logged out (the identity provider logs the person in again).
"""

from __future__ import annotations

import os
from contextlib import suppress

import streamlit as st
from streamlit.errors import StreamlitAPIException

from conference.services.access import log_security_event
from conference.services.accounts import login, staff_for_identity
from conference.services.settings import is_demo, security_settings
from conference.services.staff import get_staff
from conference.ui.context import (
    ACTING_KEY,
    arm_idle_timeout,
    check_idle,
    choose_user,
    db_session,
    disarm_idle_timeout,
    idle_expired,
    now,
)

#: The staff member whose idle session waits for their password (ACTING_KEY is gone meanwhile).
REAUTH_KEY = "reauth_staff_id"
#: The texts of the page, kept while the password is asked for again (set again afterwards).
KEPT_KEY = "idle_kept_text"
RESTORE_KEY = "idle_restore_text"
#: Comma-separated addresses of reverse proxies whose X-Real-IP / X-Forwarded-For is believed
#: (a proxy on the same machine, as in deploy/, always is).
TRUSTED_PROXIES_ENV = "KT_TRUSTED_PROXIES"
LOCAL_CLIENT = "lokal"
LOGIN_USER_KEY = "login_username"
LOGIN_PASSWORD_KEY = "login_password"
RELOGIN_PASSWORD_KEY = "relogin_password"
WATCH_SECONDS_MAX = 15


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def client_address() -> str:
    """The client a login attempt comes from, for the per-client throttle: the connection's
    address; behind a trusted reverse proxy (on this machine, or named in KT_TRUSTED_PROXIES)
    the address the proxy reports. Headers from anyone else are not believed."""
    peer = st.context.ip_address  # None: a connection from this machine
    if not isinstance(peer, str):  # (AppTest has no connection: a stand-in object)
        peer = None
    trusted = {p.strip() for p in os.environ.get(TRUSTED_PROXIES_ENV, "").split(",") if p.strip()}
    if peer is None or peer in trusted:
        headers = st.context.headers
        real = str(headers.get("X-Real-IP") or "").strip()
        forwarded = [a.strip() for a in str(headers.get("X-Forwarded-For") or "").split(",")]
        reported = real or (forwarded[-1] if forwarded[-1] else "")
        if reported:
            return reported[:100]
    return peer or LOCAL_CLIENT


def _idle_text(seconds: int) -> str:
    if seconds % 60:
        return f"{seconds} sekunder"
    minutes = seconds // 60
    return "1 minut" if minutes == 1 else f"{minutes} minutter"


# --------------------------------------------------------------------------- idle sessions


def _idle_seconds() -> int:
    with db_session() as session:
        return security_settings(session).idle_seconds


def _watch(seconds: int) -> None:
    """A small fragment that looks every few seconds whether the session has gone idle (then a
    full run asks for the password) and whether the person typed or chose something."""
    def idle_watch() -> None:
        check_idle(_idle_seconds())

    interval = max(1, min(WATCH_SECONDS_MAX, seconds // 4))
    with st.sidebar:
        st.fragment(idle_watch, run_every=interval)()


def _keep_text() -> None:
    """Note the page's texts (keyed fields and typed texts) before the password is asked for."""
    kept = dict(st.session_state.get(KEPT_KEY) or {})
    for key in list(st.session_state.keys()):
        value = st.session_state.get(key)
        if isinstance(key, str) and key not in (KEPT_KEY, RESTORE_KEY) and isinstance(value, str):
            kept[key] = value
    st.session_state[KEPT_KEY] = kept


def _restore_text() -> None:
    """After the password: set the texts again before the page draws its fields, so the browser
    shows them (what a page removed or changed on purpose meanwhile stays so)."""
    kept = st.session_state.pop(KEPT_KEY, None) or {}
    st.session_state.pop(RESTORE_KEY, None)
    for key, value in kept.items():
        if st.session_state.get(key) in (value, "", None) and value:
            with suppress(StreamlitAPIException):  # e.g. a field already drawn in this run
                st.session_state[key] = value


def _go_idle(staff_id: int, seconds: int) -> None:
    st.session_state.pop(ACTING_KEY, None)
    st.session_state[REAUTH_KEY] = staff_id
    _keep_text()
    disarm_idle_timeout()
    with db_session() as session:
        log_security_event(session, "idle_timeout", staff_id=staff_id,
                           detail=f"inaktiv i mere end {_idle_text(seconds)}")


def _forget_typed_credentials() -> None:
    """A login succeeded: its fields are not kept in the session (nor offered to the next)."""
    for key in (LOGIN_USER_KEY, LOGIN_PASSWORD_KEY, RELOGIN_PASSWORD_KEY):
        with suppress(StreamlitAPIException, KeyError):
            del st.session_state[key]


def _forget_everything() -> None:
    """Someone else takes over an idle session: nothing of the previous person's stays."""
    staff_id = st.session_state.get(REAUTH_KEY)
    for key in list(st.session_state.keys()):
        with suppress(StreamlitAPIException, KeyError):
            del st.session_state[key]
    if staff_id is not None:
        with db_session() as session:
            log_security_event(session, "logout", staff_id=staff_id, detail="efter inaktivitet")


def _relogin(staff_id: int) -> None:
    """The idle session's person types their password again; stops the run until then."""
    with db_session() as session:
        staff = get_staff(session, staff_id)
        seconds = security_settings(session).idle_seconds
    if staff is None:
        _forget_everything()
        st.rerun()
    st.title("Konferencetavlen")
    st.warning(
        f"Du har ikke brugt Konferencetavlen i {_idle_text(seconds)}, så den er låst. Skriv din "
        "adgangskode for at fortsætte; det, du havde skrevet, står der stadig.",
        icon=":material/lock_clock:",
    )
    with st.form("relogin"):
        st.text_input("Initialer eller e-mail", value=staff.initials, disabled=True)
        password = st.text_input("Adgangskode", type="password", key=RELOGIN_PASSWORD_KEY)
        submitted = st.form_submit_button("Fortsæt", type="primary")
    st.button("Log ud (en anden skal bruge Konferencetavlen)", on_click=_forget_everything,
              key="relogin_logout")
    if submitted:
        with db_session() as session:
            result = login(session, staff.initials, password, client=client_address(),
                           now=now(), detail="efter inaktivitet")
            back = result.staff is not None and result.staff.id == staff_id
        if back:
            _forget_typed_credentials()
            st.session_state.pop(REAUTH_KEY, None)
            st.session_state[ACTING_KEY] = staff_id
            st.session_state[RESTORE_KEY] = True
            arm_idle_timeout(seconds, now())
            st.rerun()
        st.error(result.message or "Forkert brugernavn eller adgangskode.")
    st.stop()


# --------------------------------------------------------------------------- logging in


def _sso() -> int:
    if not st.user.is_logged_in:
        st.session_state.pop(ACTING_KEY, None)
        disarm_idle_timeout()
        st.title("Konferencetavlen")
        st.info("Log ind med regionens fælles login for at fortsætte.")
        st.button("Log ind", type="primary", on_click=st.login)
        st.stop()
    at = now()
    seconds = _idle_seconds()
    if ACTING_KEY in st.session_state and idle_expired(at, seconds):
        staff_id = st.session_state.pop(ACTING_KEY)
        disarm_idle_timeout()
        with db_session() as session:
            log_security_event(session, "idle_timeout", staff_id=staff_id,
                               detail=f"inaktiv i mere end {_idle_text(seconds)}; sso")
        st.logout()  # the identity provider logs the person in again
        st.stop()
    if ACTING_KEY not in st.session_state:
        claim = st.secrets["auth"].get("roles_claim", "groups")
        groups = st.user.get(claim) or []
        with db_session() as session:
            staff = staff_for_identity(session, st.user.get("email"), list(groups))
            if staff is None:
                st.error(
                    "Din bruger er ikke oprettet i Konferencetavlen, eller du har ingen rolle "
                    "i regionens login. Kontakt en administrator."
                )
                st.button("Log ud", on_click=st.logout)
                st.stop()
            st.session_state[ACTING_KEY] = staff.id
    arm_idle_timeout(seconds, at)
    _watch(seconds)
    st.sidebar.button("Log ud", on_click=_sso_logout)
    return st.session_state[ACTING_KEY]


def _local_login() -> int:
    if ACTING_KEY in st.session_state:
        at = now()
        seconds = _idle_seconds()
        if not idle_expired(at, seconds):
            if st.session_state.get(RESTORE_KEY):
                _restore_text()
            arm_idle_timeout(seconds, at)  # a full run: the person did something
            _watch(seconds)
            st.sidebar.button("Log ud", on_click=_logout)
            return st.session_state[ACTING_KEY]
        _go_idle(st.session_state[ACTING_KEY], seconds)
    if REAUTH_KEY in st.session_state:
        _relogin(st.session_state[REAUTH_KEY])
    st.title("Konferencetavlen")
    with st.form("login"):
        username = st.text_input("Initialer eller e-mail", key=LOGIN_USER_KEY)
        password = st.text_input("Adgangskode", type="password", key=LOGIN_PASSWORD_KEY)
        submitted = st.form_submit_button("Log ind", type="primary")
    if submitted:
        with db_session() as session:
            result = login(session, username, password, client=client_address(), now=now())
            staff_id = result.staff.id if result.staff else None
            seconds = security_settings(session).idle_seconds
        if staff_id is None:
            st.error(result.message or "Forkert brugernavn eller adgangskode.")
        else:
            _forget_typed_credentials()
            st.session_state[ACTING_KEY] = staff_id
            arm_idle_timeout(seconds, now())
            st.rerun()
    st.stop()


def _logout() -> None:
    """Forget who is logged in, and log that they logged out."""
    staff_id = st.session_state.pop(ACTING_KEY, None)
    disarm_idle_timeout()
    if staff_id is not None:
        with db_session() as session:
            log_security_event(session, "logout", staff_id=staff_id)


def _sso_logout() -> None:
    _logout()
    st.logout()


def identify() -> int:
    """The acting staff member's id; draws the login and stops the script until there is one."""
    if _sso_configured():
        return _sso()
    with db_session() as session:
        demo = is_demo(session)
    if demo:
        return choose_user()
    return _local_login()
