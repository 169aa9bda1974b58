"""Cached reads shared by pages: short-lived, cleared after every write (context.clear_caches)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from conference.agenda import Proposal
from conference.services.agenda import pending_proposals as _pending
from conference.services.patients import PatientList, list_patients
from conference.services.patients import patient_choices as _choices
from conference.ui.context import db_session


@st.cache_data(ttl=60, show_spinner="Henter patienter …")
def patient_list(today: dt.date) -> PatientList:
    with db_session() as session:
        return list_patients(session, today)


@st.cache_data(ttl=60, show_spinner=False)
def patient_choices() -> list[tuple[int, str]]:
    """Active patients as (id, name with CPR), for pickers."""
    with db_session() as session:
        return _choices(session)


@st.cache_data(ttl=60, show_spinner=False)
def pending_proposals(conference_id: int, today: dt.date) -> list[Proposal]:
    """Due and carried-over patients not yet on the agenda (the rules read every course)."""
    with db_session() as session:
        return _pending(session, conference_id, today)
