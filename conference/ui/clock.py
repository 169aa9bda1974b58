"""The live meeting and case clocks: a fragment that redraws every second, on its own."""

from __future__ import annotations

import streamlit as st

from conference import agenda as rules
from conference.services.agenda import clock_state
from conference.ui.context import db_session
from conference.ui.text import escape_md
from db.models import utcnow


def _texts(clock: rules.Clock) -> tuple[str, str | None]:
    elapsed = rules.format_seconds(clock.elapsed)
    if clock.remaining is None:
        return elapsed, None
    if clock.over:
        return elapsed, f"{rules.format_seconds(-clock.remaining)} over tid"
    return elapsed, f"{rules.format_seconds(clock.remaining)} tilbage"


@st.fragment(run_every=1)
def clocks(conference_id: int, default_budget: int, name_mode: str) -> None:
    with db_session() as session:
        state = clock_state(session, conference_id, default_budget, name_mode)
    now = state.meeting_ended or utcnow()
    meeting = rules.meeting_clock(now, state.meeting_started, state.total_minutes)
    case = rules.case_clock(utcnow(), state.case_started, state.case_used, state.case_budget)
    left, right = st.columns(2)
    if state.meeting_started is None:
        left.metric("Mødet", "Ikke startet", help=f"Mødet er sat til {state.total_minutes} min")
    else:
        value, rest = _texts(meeting)
        left.metric("Mødet", value, rest, delta_color="inverse" if meeting.over else "off",
                    delta_arrow="off")
    if state.case_name:
        value, rest = _texts(case)
        right.metric(f"Aktuel sag: {escape_md(state.case_name)}", value, rest,
                     delta_color="inverse" if case.over else "off", delta_arrow="off")
    else:
        right.metric("Aktuel sag", "–")
