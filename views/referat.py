"""Referat: the referent's screen. Per case the history sketch, the conclusion and the next steps
(saved as typed), the record note ready to copy; then sign-off and the minutes as PDF or DOCX.

The page's place lives in the address: ?dato=<conference date>&sag=<case> (a reload returns),
and only there: every run reads the case from the address, and nothing on the page holds a
selection of its own. The case list is a column of buttons, each naming its case by id (a radio
would be named by its label, which changes as the case gets a draft or the board arrives, and a
label Streamlit no longer finds resets the radio to the first case). The page opens on the case
the leader's board is on and says when the board moves on.
"""

import datetime as dt

import streamlit as st

from conference import minutes as text
from conference.formatting import date_long, local_datetime
from conference.labels import AGENDA_LIST, AGENDA_STATUS
from conference.services import actions, decisions
from conference.services import minutes as service
from conference.ui import conclusion_form, followup, minutes_view, open_decisions
from conference.ui.context import (
    USER_PARAM,
    acting_user,
    db_session,
    record_view,
    staff_options,
    today,
)
from conference.ui.text import escape_md
from db.models import AgendaList, AgendaStatus

DATE_PARAM = "dato"
CASE_PARAM = "sag"


@st.cache_data(ttl=600, show_spinner=False)
def catalogue() -> list[tuple[str, str]]:
    with db_session() as session:
        return actions.step_catalogue(session)


def select_case(item_id: int) -> None:
    """Go to a case: the address names it; the full rerun that follows draws it."""
    st.query_params[CASE_PARAM] = str(item_id)


def select_conference(key: str) -> None:
    """on_change of the conference picker: the address names the conference (and no case)."""
    st.query_params[DATE_PARAM] = st.session_state[key].isoformat()
    st.query_params.pop(CASE_PARAM, None)


def meeting_state(view: service.ReferentView) -> str:
    if view.signed_off:
        return f"Underskrevet af {view.signed_off_by} {local_datetime(view.signed_off_at)}"
    if view.ended:
        return "Mødet er slut; referatet er ikke underskrevet"
    return "Mødet er i gang" if view.started else "Mødet er ikke begyndt"


# --------------------------------------------------------------------------- which conference

raw = st.query_params.get(DATE_PARAM, "")
try:
    wanted = dt.date.fromisoformat(raw) if raw else None
except ValueError:
    wanted = None
with db_session() as session:
    user = acting_user(session)
    choices = service.conference_choices(session, today(), include=wanted)

by_date = {c.date: c for c in choices}
if wanted not in by_date:
    default_id = service.default_conference(choices, today())
    if default_id is None:
        st.title("Referat")
        st.info("Der er ingen konferencer endnu. Opret konferencen på siden Konference.")
        st.stop()
    wanted = next(c.date for c in choices if c.id == default_id)
    st.query_params[DATE_PARAM] = wanted.isoformat()

# The picker shows the address's conference on every run (a link from elsewhere that names
# another date wins over what the picker held); a pick changes the address in its callback.
st.session_state["referat_conference"] = wanted
st.columns([2, 3])[0].selectbox(
    "Konference", list(by_date), format_func=date_long, key="referat_conference",
    on_change=select_conference, args=("referat_conference",),
)
conference_id = by_date[wanted].id

with db_session() as session:
    view = service.referent_view(session, conference_id)
    minutes_data = service.minutes_data(session, conference_id, today())
    stats = service.meeting_stats(session, today(), [conference_id])
    undecided = [] if view.signed_off else decisions.open_decisions(session, conference_id)
    # the page names the cases on the agenda (list, case, minutes) and the patients of the
    # group notes in the minutes: logged before anything of them is drawn
    shown = [c.patient_id for c in view.cases if c.status != AgendaStatus.REMOVED.value]
    shown += [n.patient_id for n in minutes_data.group_notes if n.patient_id is not None]
    if shown:
        record_view(session, user, "referat", list(dict.fromkeys(shown)))
minutes = text.build_minutes(minutes_data)

st.title(f"Referat · {date_long(view.date)}")
st.caption(
    f"Mødeleder: {view.leader or 'ikke valgt'} · Referent: {view.referent or 'ikke valgt'} · "
    f"{meeting_state(view)}"
)
followup.messages()

cases = [c for c in view.cases if c.status != AgendaStatus.REMOVED.value]
open_by_item = {c.item_id: c for c in undecided}
by_item = {c.item_id: c for c in cases}
case_tab, minutes_tab = st.tabs(["Sager", "Referat og afslutning"])

# --------------------------------------------------------------------------- the cases

with case_tab:
    if not cases:
        st.info("Der er ingen sager på dagsordenen. Sager sættes på under Konference.")
    else:
        raw_case = st.query_params.get(CASE_PARAM, "")
        selected = int(raw_case) if raw_case.isdigit() and int(raw_case) in by_item else None
        if selected is None:
            selected = view.current_item_id if view.current_item_id in by_item \
                else cases[0].item_id
            st.query_params[CASE_PARAM] = str(selected)

        @st.fragment(run_every=3)
        def follow_board() -> None:
            """Say when the leader's board moves to another case; one click follows it.
            (Never switched automatically: text being typed would be lost.)"""
            with db_session() as session:
                position = service.board_position(session, conference_id)
            if view.signed_off or position in (None, selected) or position not in by_item:
                return
            note, go = st.columns([4, 1], vertical_alignment="center")
            note.info(f"Tavlen er nu på {escape_md(by_item[position].patient_name)}.",
                      icon=":material/campaign:")
            if go.button("Gå til sagen", key="follow_board", type="primary", width="stretch"):
                select_case(position)
                st.rerun(scope="app")

        def case_label(item_id: int) -> str:
            case = by_item[item_id]
            mark = "✓" if case.decision else ("✎" if case.decision == "" else "○")
            info = " (orientering)" if case.list == AgendaList.INFORMATION.value else ""
            board = " ◀ tavlen" if item_id == view.current_item_id else ""
            return f"{mark} {escape_md(case.patient_name)}{info}{board}"

        follow_board()
        list_col, case_col = st.columns([1, 3], gap="large")
        with list_col:
            st.markdown("**Sager**")
            cases_list = st.container(gap=None)
            for item_id in by_item:  # keyed by the case: a click names its case, whatever label
                cases_list.button(
                    case_label(item_id), key=f"referat_case_{item_id}", on_click=select_case,
                    args=(item_id,), type="primary" if item_id == selected else "tertiary",
                )
            st.caption("✓ konklusion · ✎ kladde · ○ intet endnu")

        with case_col:
            with db_session() as session:
                detail = service.case_detail(session, selected)
            head, link = st.columns([4, 1], vertical_alignment="bottom")
            head.subheader(f"{escape_md(detail.patient_name)} ({detail.cpr})")
            link.page_link(
                "views/patient.py", label="Patientens forløb", icon=":material/person:",
                query_params={"id": detail.patient_id, USER_PARAM: user.initials},
            )
            st.caption(
                f"{escape_md(detail.facts)} · {AGENDA_LIST[AgendaList(detail.list)]} · "
                f"{AGENDA_STATUS[AgendaStatus(detail.status)]}"
            )
            st.text(f"Anledning: {detail.reason_text}"
                    + (f"\nSpørgsmål: {detail.question}" if detail.question else ""))
            if detail.presentation:
                presenter = escape_md(detail.presented_by or "mikroteamet")
                with st.expander(f"Fremlæggelse ({presenter})", icon=":material/article:"):
                    for field_label, value in detail.presentation:
                        st.markdown(f"**{escape_md(field_label)}**")
                        st.text(value)

            if selected in open_by_item and open_by_item[selected].for_information:
                with st.container(border=True):
                    st.markdown("**Til orientering: forslag til konklusion**")
                    open_decisions.panel(
                        conference_id, [open_by_item[selected]], followup.write,
                        can_record=True, can_lead=False, meeting_over=True, key="case",
                    )
                    st.caption("Eller skriv en anden konklusion herunder.")
            if detail.signed_off:
                st.info("Konferencen er underskrevet. Ændringer gemmes som rettelser.",
                        icon=":material/lock:")
                conclusion_form.read_only(detail)
                conclusion_form.amendment_form(detail)
            else:
                conclusion_form.editor(detail)

            st.markdown("##### Næste skridt")
            decision = st.session_state.get(f"ref{detail.item_id}_decision") or (
                detail.conclusion.decision if detail.conclusion else None
            )
            followup.case_steps(detail, decision, catalogue(), staff_options(), today())

            st.markdown("##### Journalnotat")
            st.caption("Klar til journalen: kopiér med knappen øverst til højre i feltet.")
            st.code(text.journal_note(detail.record), language=None, wrap_lines=True)

# --------------------------------------------------------------------------- the minutes

with minutes_tab:
    if stats:
        minutes_view.numbers(stats[0])
    if not view.signed_off:
        minutes_view.closing(view, staff_options(), undecided)
    minutes_view.downloads(minutes, f"minutes_{conference_id}")
    with st.container(border=True):
        minutes_view.show(minutes)
