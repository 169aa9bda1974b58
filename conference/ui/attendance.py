"""Who attended a conference: the board's Fremmøde tab and Referat's Deltagere, one way.

A picker is a multiselect that saves each change at once. The save carries the list the picker
was drawn from, so only the person's own changes (who they added, who they removed) are applied
to the list as stored (conference.services.agenda.set_attendance): two people recording at the
same moment both keep theirs.

The picker follows what anyone saves: it is drawn from the list as stored, as a new widget
whenever that list has changed (its key names the list). Its value is never set from the server:
a browser with the list open keeps its own value and would send it back as a change of its
own, undoing the other person's (two screens would then undo each other for ever).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence

import streamlit as st

from conference.services import agenda

Write = Callable[..., object]  # runs a service write; None or False when it was refused


def picker(
    label: str,
    options: Mapping[int, str],
    present: Collection[int],
    *,
    conference_id: int,
    key: str,
    write: Write,
    disabled: bool = False,
    placeholder: str | None = None,
) -> None:
    """A multiselect of `options` (staff id: name) showing who of them is `present`."""
    stored = [i for i in options if i in present]
    drawn = hashlib.sha256(",".join(map(str, stored)).encode()).hexdigest()[:12]
    # a refused change: the next widget starts again from the list as stored
    widget = f"{key}_{drawn}_{st.session_state.get(f'{key}_refused', 0)}"
    st.multiselect(
        label, list(options), default=stored, format_func=options.get, key=widget,
        disabled=disabled, placeholder=placeholder, on_change=_save,
        args=(conference_id, widget, key, stored, write),
    )


def _save(conference_id: int, widget: str, key: str, since: Sequence[int], write: Write) -> None:
    result = write(agenda.set_attendance, conference_id, set(st.session_state[widget]),
                   set(since))
    if result is None or result is False:  # the message says why
        st.session_state[f"{key}_refused"] = st.session_state.get(f"{key}_refused", 0) + 1
