"""Cached reads shared by pages: short-lived, cleared after every write (context.clear_caches)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from conference.agenda import Proposal
from conference.services.agenda import pending_proposals as _pending
from conference.services.patients import PatientList, list_patients, search_patients
from conference.ui.context import db_session


@st.cache_data(ttl=60, show_spinner="Henter patienter …")
def patient_list(today: dt.date) -> PatientList:
    with db_session() as session:
        return list_patients(session, today)


@st.cache_data(ttl=60, show_spinner=False)
def patient_search(text: str) -> list[tuple[int, str]]:
    """Active patients matching a name or CPR search, for pickers (at most 20)."""
    with db_session() as session:
        return search_patients(session, text)


@st.cache_data(ttl=60, show_spinner=False)
def pending_proposals(conference_id: int, today: dt.date) -> list[Proposal]:
    """Due and carried-over patients not yet on the agenda (the rules read every course)."""
    with db_session() as session:
        return _pending(session, conference_id, today)
