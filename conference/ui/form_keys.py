"""Forms that keep what was typed when a save fails, and start empty after a save that worked.

`st.form(clear_on_submit=True)` empties the fields on every submit, also when the save is then
refused (a missing reason, a conflict, the database away), so the person would have to type it
all again. Instead a form's fields take their keys from `field_key(form, name)`, and the page calls
`saved(form)` after a successful save: the next run draws new, empty fields under new keys.
"""

from __future__ import annotations

import streamlit as st

ROUNDS_KEY = "form_rounds"


def field_key(form: str, name: str) -> str:
    """The widget key of field `name` in `form`, for the form's current round."""
    rounds: dict[str, int] = st.session_state.setdefault(ROUNDS_KEY, {})
    return f"{form}_r{rounds.get(form, 0)}_{name}"


def saved(form: str) -> None:
    """The form's content is saved: show it empty from the next run on."""
    rounds: dict[str, int] = st.session_state.setdefault(ROUNDS_KEY, {})
    for key in [k for k in st.session_state if isinstance(k, str)
                and k.startswith(f"{form}_r{rounds.get(form, 0)}_")]:
        del st.session_state[key]
    rounds[form] = rounds.get(form, 0) + 1
