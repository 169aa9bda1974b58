"""Who is using the app: single sign-on (st.login) when secrets has an [auth] section, local
accounts otherwise, and the labelled "choose who you are" only on a demo database."""

from __future__ import annotations

import streamlit as st

from conference.services.access import log_security_event
from conference.services.accounts import authenticate, staff_for_identity
from conference.services.settings import is_demo
from conference.ui.context import ACTING_KEY, choose_user, db_session


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def _sso() -> int:
    if not st.user.is_logged_in:
        st.title("Konferencetavlen")
        st.info("Log ind med regionens fælles login for at fortsætte.")
        st.button("Log ind", type="primary", on_click=st.login)
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
    st.sidebar.button("Log ud", on_click=_sso_logout)
    return st.session_state[ACTING_KEY]


def _local_login() -> int:
    if ACTING_KEY in st.session_state:
        st.sidebar.button("Log ud", on_click=_logout)
        return st.session_state[ACTING_KEY]
    st.title("Konferencetavlen")
    with st.form("login"):
        username = st.text_input("Initialer eller e-mail")
        password = st.text_input("Adgangskode", type="password")
        submitted = st.form_submit_button("Log ind", type="primary")
    if submitted:
        with db_session() as session:
            staff = authenticate(session, username, password)
            staff_id = staff.id if staff else None
        if staff_id is None:
            st.error("Forkert brugernavn eller adgangskode.")
        else:
            st.session_state[ACTING_KEY] = staff_id
            st.rerun()
    st.stop()


def _logout() -> None:
    """Forget who is logged in, and log that they logged out."""
    staff_id = st.session_state.pop(ACTING_KEY, None)
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
