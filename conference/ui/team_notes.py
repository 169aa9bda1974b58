"""Team notes on a patient: newest first, with author and time; the author can edit, and the
earlier texts stay visible as history. User text is always rendered as text."""

from __future__ import annotations

import streamlit as st

from conference.formatting import local_datetime
from conference.services.cases import NoteView, add_team_note, edit_team_note
from conference.services.errors import ServiceError
from conference.services.staff import get_staff
from conference.ui.context import clear_caches, db_session
from conference.ui.form_keys import field_key, saved
from conference.ui.text import escape_md

NOTE_MAX = 4000


def _write(action, *args) -> bool:  # noqa: ANN001 - a service function
    """Run a team-note write as the acting user; show its Danish message on refusal."""
    try:
        with db_session() as session:
            actor = get_staff(session, st.session_state["team_notes_actor_id"])
            if actor is None:
                st.error("Vælg, hvem du er, i menuen til venstre.")
                return False
            action(session, actor, *args)
    except ServiceError as error:
        st.error(str(error))
        return False
    clear_caches()
    return True


def team_notes_section(patient_id: int, notes: list[NoteView], me_id: int) -> None:
    st.session_state["team_notes_actor_id"] = me_id
    form = f"team_note_new_{patient_id}"
    with st.form(form):
        text = st.text_area("Ny teamnote", max_chars=NOTE_MAX, height=90,
                            placeholder="Kort note til mikroteamet om patienten.",
                            key=field_key(form, "text"))
        if st.form_submit_button("Gem note") and _write(add_team_note, patient_id, text):
            saved(form)
            st.toast("Noten er gemt.")
            st.rerun()
    if not notes:
        st.caption("Ingen teamnoter endnu.")
        return
    for note in notes:
        with st.container(border=True):
            stamp = f"{escape_md(note.author)} · {local_datetime(note.created_at)}"
            if note.edited:
                stamp += f" · rettet {local_datetime(note.updated_at)}"
            st.caption(stamp)
            st.text(note.text)
            if note.author_id == me_id:
                with st.expander("Ret noten"), st.form(f"team_note_edit_{note.id}"):
                    new_text = st.text_area("Noten", value=note.text, max_chars=NOTE_MAX,
                                            key=f"team_note_text_{note.id}")
                    if st.form_submit_button("Gem rettelse") and _write(
                        edit_team_note, note.id, new_text, note.version
                    ):
                        st.toast("Rettelsen er gemt.")
                        st.rerun()
            if note.history:
                with st.expander(f"Tidligere versioner ({len(note.history)})"):
                    for old in note.history:
                        st.caption(f"Gældende indtil {local_datetime(old.replaced_at)}")
                        st.text(old.text)
