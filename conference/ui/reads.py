"""Cached reads shared by pages: short-lived, cleared after every write (context.clear_caches)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from conference.services.patients import PatientList, list_patients
from conference.ui.context import db_session


@st.cache_data(ttl=60, show_spinner="Henter patienter …")
def patient_list(today: dt.date) -> PatientList:
    with db_session() as session:
        return list_patients(session, today)
