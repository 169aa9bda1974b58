"""The Referat on screen and as downloads (PDF, DOCX), from conference.minutes.Minutes.

User text is shown with st.text or escaped markdown, never as HTML.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from conference.formatting import number
from conference.minutes import Bullets, Heading, MeetingStats, Minutes, Paragraph, Table
from conference.minutes_export import DOCX_MIME, PDF_MIME, to_docx, to_pdf
from conference.services import minutes as minutes_service
from conference.services.decisions import OpenDecision
from conference.services.minutes import ReferentView
from conference.services.staff import StaffOption
from conference.ui import attendance, followup, open_decisions
from conference.ui.text import escape_md


def show(minutes: Minutes) -> None:
    """The minutes as they will print, compact."""
    st.markdown(f"#### {escape_md(minutes.title)}")
    st.caption(minutes.subtitle)
    for block in minutes.blocks:
        if isinstance(block, Heading):
            marks = "#####" if block.level <= 2 else "######"
            st.markdown(f"{marks} {escape_md(block.text)}")
        elif isinstance(block, Paragraph):
            if block.label:
                st.markdown(f"**{escape_md(block.label)}:** {escape_md(block.text)}")
            else:
                st.text(block.text)
        elif isinstance(block, Bullets):
            st.markdown("\n".join(f"- {escape_md(item)}" for item in block.items))
        elif isinstance(block, Table) and any(block.header):
            frame = pd.DataFrame(list(block.rows), columns=list(block.header))
            st.dataframe(frame, hide_index=True, width="stretch")
        elif isinstance(block, Table):  # label and value
            st.markdown("  \n".join(
                f"**{escape_md(row[0])}:** {escape_md(' · '.join(row[1:]))}" for row in block.rows
            ))


def downloads(minutes: Minutes, key: str) -> None:
    """Two buttons; the files are made when clicked (not on every rerun)."""
    pdf_col, docx_col = st.columns(2)
    pdf_col.download_button(
        "Hent referat som PDF", data=lambda: to_pdf(minutes), file_name=f"{minutes.file_stem}.pdf",
        mime=PDF_MIME, icon=":material/picture_as_pdf:", key=f"{key}_pdf", on_click="ignore",
        width="stretch",
    )
    docx_col.download_button(
        "Hent referat som Word (DOCX)", data=lambda: to_docx(minutes),
        file_name=f"{minutes.file_stem}.docx", mime=DOCX_MIME, icon=":material/description:",
        key=f"{key}_docx", on_click="ignore", width="stretch",
    )


def numbers(stats: MeetingStats) -> None:
    """How the meeting went: discussed, carried over, minutes per case against budget, steps."""
    a, b, c, d = st.columns(4)
    a.metric("Drøftet", f"{stats.discussed} af {stats.cases_on_agenda}")
    b.metric("Overføres", stats.carried_over)
    per_case = stats.minutes_per_case
    budget = stats.budget_seconds / 60 / stats.timed_cases if stats.timed_cases else None
    c.metric(
        "Minutter pr. sag", number(per_case) if per_case else "–",
        f"afsat {number(budget, 0)}" if budget else None, delta_color="off",
    )
    d.metric("Næste skridt aftalt", stats.actions)


def _case_link(case: OpenDecision) -> None:
    """Open the case on this page (the address names it)."""
    if st.button("Skriv konklusionen", key=f"closing_open{case.item_id}",
                 icon=":material/edit:"):
        st.query_params["sag"] = str(case.item_id)
        st.rerun()


def closing(
    view: ReferentView, staff: Sequence[StaffOption], undecided: Sequence[OpenDecision] = ()
) -> None:
    """Before sign-off: who attended, every case still without a decision (with what to do
    about each), and the button that signs off (refused while any remain)."""
    # saved at each change, merged with what others record meanwhile (as on the board)
    attendance.picker(
        "Deltagere", {s.id: s.label for s in staff}, view.present,
        conference_id=view.conference_id, key=f"referat_present_{view.conference_id}",
        write=followup.write, placeholder="Vælg deltagerne",
    )
    if undecided and not view.ended:
        st.caption(
            "Endnu uden beslutning: " + escape_md(", ".join(c.patient_name for c in undecided))
            + ". Når mødet er slut, vises hver af dem her med forslag og valg."
        )
    elif undecided:
        st.warning(
            f"{len(undecided)} sag(er) mangler en beslutning: "
            + escape_md(", ".join(c.patient_name for c in undecided))
            + ". Referatet kan først underskrives, når hver sag er besluttet eller overført.",
            icon=":material/warning:",
        )
        open_decisions.panel(
            view.conference_id, undecided, followup.write, can_record=True, can_lead=False,
            meeting_over=True, referat_link=_case_link, key="closing",
        )
    st.button(
        "Underskriv referatet og afslut konferencen", type="primary",
        icon=":material/verified:", key="sign_off",
        on_click=followup.write, args=(minutes_service.sign_off, view.conference_id),
        help="Sager, der ikke er nået, overføres til næste konference. Herefter kan en "
        "konklusion kun ændres med en rettelse, der gemmer den oprindelige.",
    )
