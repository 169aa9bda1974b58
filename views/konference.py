"""Konference: the meeting leader's board (agenda in three parts, speaking order, timer,
attendance) and the projected one-case view (?visning=projektion)."""

import datetime as dt

import streamlit as st

from conference.formatting import date_long, time_hm
from conference.permissions import Action, decide
from conference.services import agenda, decisions
from conference.services.errors import ServiceError
from conference.services.settings import next_conference_date
from conference.ui import board_view
from conference.ui.clock import clocks
from conference.ui.context import (
    acting_user,
    clear_caches,
    db_session,
    keep_awake,
    record_view,
    staff_options,
    today,
)
from conference.ui.keyboard_help import keyboard_help
from conference.ui.reads import patient_search, pending_proposals

DATE_PARAM = "dato"
VIEW_PARAM = "visning"
ERROR_KEY = "board_error"


def act(action, *args) -> bool:  # noqa: ANN001 - a service function and its arguments
    """Run a service write as the acting user; keep its Danish message if it is refused (shown
    on the board, in the run the click starts, until this user's next action)."""
    st.session_state.pop(ERROR_KEY, None)
    try:
        with db_session() as session:
            action(session, acting_user(session), *args)
    except ServiceError as error:
        st.session_state[ERROR_KEY] = str(error)
        return False
    clear_caches()
    return True


with db_session() as session:
    roles = acting_user(session).role_set
    raw = st.query_params.get(DATE_PARAM, "")
    try:
        day = dt.date.fromisoformat(raw) if raw else next_conference_date(session, today())
    except ValueError:
        st.error("Ugyldig dato i adressen; viser næste konference.")
        day = next_conference_date(session, today())
    conference = agenda.find_conference(session, day)
    choices = {c.date for c in agenda.upcoming_conferences(session, today())}
    choices |= {c.date for c in agenda.recent_conferences(session, today())}
    mode = board_view.name_mode(session)

projection = st.query_params.get(VIEW_PARAM) == "projektion"
choices = sorted(choices | {day}, reverse=True)
pick_col, view_col = st.columns([3, 1], vertical_alignment="bottom")
if not projection:
    picked = pick_col.selectbox(
        "Konference", choices, index=choices.index(day), format_func=date_long,
        key="conference_day",
    )
    if picked != day:
        st.query_params[DATE_PARAM] = picked.isoformat()
        st.rerun()
if view_col.toggle("Projektion", value=projection, key="projection") != projection:
    if projection:
        del st.query_params[VIEW_PARAM]
    else:
        st.query_params[VIEW_PARAM] = "projektion"
    st.rerun()
keyboard_help(view_col)  # the shortcuts, one click or Tab+Enter away

if conference is None:
    st.title(f"Tværfaglig konference {date_long(day)}")
    if ERROR_KEY in st.session_state:
        st.error(st.session_state.pop(ERROR_KEY))
    st.info("Konferencen er ikke oprettet endnu.")
    st.button("Opret konferencen", type="primary", on_click=act,
              args=(agenda.ensure_conference, day))
    st.stop()

if not projection:
    st.title(f"Tværfaglig konference {date_long(conference.date)}")
    st.caption(f"Kl. {time_hm(conference.starts_at)} · {conference.duration_minutes} minutter")

conference_id = conference.id
with db_session() as session:
    first_view = agenda.board(session, conference_id)
    plan = board_view.plan_for(first_view, board_view.groups_for(session, first_view.date))
clocks(conference_id, plan.default_case_seconds, mode)


@st.fragment(run_every=3)
def live_board() -> None:
    """Re-read every few seconds: what others save shows here without a reload."""
    # a refusal shows in the run the click starts (this fragment's) until the user acts again
    if ERROR_KEY in st.session_state:
        st.error(st.session_state[ERROR_KEY], icon=":material/block:")
    can_lead = decide(roles, Action.MANAGE_AGENDA).allowed
    with db_session() as session:
        view = agenda.board(session, conference_id)
        if projection and view.started_at is not None and view.ended_at is None:
            keep_awake()  # the wall's view stays unlocked while the meeting runs
        undecided = [] if projection or view.signed_off else decisions.open_decisions(
            session, conference_id
        )
        groups = board_view.groups_for(session, view.date)
        sheet = board_view.sheet_for(session, view.current_item_id, today()) if projection else None
        pending = [] if projection or view.signed_off or not can_lead else pending_proposals(
            conference_id, today()
        )
        # Every patient the screen names: the case(s), flagged group patients, proposals.
        flagged = [f.patient_id for g in groups for f in g.flags if f.patient_id is not None]
        if projection:
            shown = [sheet.patient_id] if sheet else flagged
        else:
            shown = [c.patient_id for c in view.cases] + flagged + [
                p.patient_id for p in pending[:board_view.PROPOSALS_SHOWN]
            ]
        if shown:
            record_view(session, acting_user(session), "konference", list(dict.fromkeys(shown)))
    if projection:
        board_view.projection(view, groups, sheet, act, mode)
        return
    board_view.leader_board(
        view, groups, pending, act, staff_options(), patient_search,
        can_lead=can_lead,
        can_record_attendance=decide(roles, Action.RECORD_ATTENDANCE).allowed,
        undecided=undecided, can_record=decide(roles, Action.RECORD_MINUTES).allowed,
    )


live_board()
