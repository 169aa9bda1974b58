"""Cases still without a decision, on the board and in Referat (seed 3.9, 3.10): the pathway's
proposal for each case til orientering with "Bekræft" (one or all), "Til drøftelse" while the
meeting runs, and "Overfør" to the next conference with a reason. Sign-off is refused until the
list is empty (conference.services.decisions).

`act` is the page's write path: act(service_function, *args) runs it as the acting user and
shows a refusal in Danish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from conference.labels import DECISION, OWNER_ROLE
from conference.services import agenda, decisions
from conference.services.decisions import OpenDecision
from conference.ui.text import escape_md
from db.models import AgendaList

Act = Callable[..., object]


def proposal_lines(case: OpenDecision) -> list[str]:
    """The proposal in words (plain text: shown with st.text or escaped)."""
    proposal = case.proposal
    if proposal is None:
        return []
    lines = [f"Forslag: {DECISION.get(proposal.decision, proposal.decision)}. {proposal.text}"]
    if proposal.follow_up is not None:
        owner = OWNER_ROLE.get(proposal.follow_up.owner_role, proposal.follow_up.owner_role)
        lines.append(f"Næste skridt: {proposal.step_text} (ansvarlig: {owner})")
    return lines


def _carry_over(act: Act, case: OpenDecision, key: str) -> None:
    reason = st.session_state.get(key, "")
    if act(decisions.carry_over, case.item_id, reason):
        st.session_state.pop(key, None)


def panel(
    conference_id: int,
    cases: Sequence[OpenDecision],
    act: Act,
    *,
    can_record: bool,
    can_lead: bool,
    meeting_over: bool,
    referat_link: Callable[[OpenDecision], None] | None = None,
    key: str = "decide",
) -> None:
    """Every case without a decision, with what can be done about it."""
    if not cases:
        return
    informed = [c for c in cases if c.for_information and c.proposal is not None]
    if can_record and len(informed) > 1:
        st.button(
            f"Bekræft alle {len(informed)} forslag til orientering", type="primary",
            icon=":material/done_all:", key=f"{key}_all", on_click=act,
            args=(decisions.confirm_proposals, conference_id, [c.item_id for c in informed]),
        )
    for case in cases:
        with st.container(border=True):
            which = "til orientering" if case.for_information else "til drøftelse"
            st.markdown(f"**{escape_md(case.patient_name)}** ({which})")
            if case.reason_text:
                st.caption(escape_md(case.reason_text))
            if case.proposal is not None:
                st.text("\n".join(proposal_lines(case)))
            elif not case.for_information:
                st.text("Mangler en konklusion fra drøftelsen.")
            row = st.container(horizontal=True)  # each as wide as its label, at any width
            buttons = [row, row, row]
            if can_record and case.proposal is not None:
                buttons[0].button(
                    "Bekræft forslaget", key=f"{key}_confirm{case.item_id}", type="primary",
                    icon=":material/check:", on_click=act,
                    args=(decisions.confirm_proposals, conference_id, [case.item_id]),
                )
            elif referat_link is not None and not case.for_information:
                with buttons[0]:
                    referat_link(case)
            if can_lead and case.for_information and not meeting_over:
                buttons[1].button(
                    "Til drøftelse", key=f"{key}_discuss{case.item_id}",
                    icon=":material/forum:", on_click=act,
                    args=(agenda.set_list, case.item_id, AgendaList.DISCUSSION),
                    help="Sagen drøftes på mødet i stedet for blot at blive registreret.",
                )
            if can_record:
                with buttons[2].popover("Overfør til næste konference",
                                        icon=":material/redo:"):
                    reason_key = f"{key}_reason{case.item_id}"
                    st.text_input("Begrundelse", key=reason_key, max_chars=500,
                                  placeholder="Fx afventer svar fra egen læge")
                    st.button("Overfør", key=f"{key}_carry{case.item_id}", on_click=_carry_over,
                              args=(act, case, reason_key))
