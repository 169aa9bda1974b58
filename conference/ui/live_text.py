"""A text area that saves while the person types: `live_text_area`.

Streamlit's own st.text_area sends its text only when the field is left or on Ctrl+Enter, so text
being typed is lost on a browser reload. `live_text_area` is a small st.components.v2 component
(inline CSS and JS from live_text.{css,js} beside this file; no build step, nothing fetched)
that reports its text 1.5 s after the last keystroke (at the latest every 5 s while typing), at
once when the field is left or on Ctrl+Enter, and when the page is being left. Text not yet
echoed back by Python is also kept in the tab's sessionStorage, so a reload that cut the last
report off puts it back and sends it (unless the stored text changed meanwhile). A restarted
server is met the same way: the box sees a new server session and sends the text that session
has not confirmed, without a reload; until Python has it, the box says "Ikke gemt – forbinder
igen…" when the connection was lost, and leaving the page asks first.

Every report names the box it was typed in (its key) and what it belongs to (`belongs_to`, e.g.
the agenda item id): a report that names another key is never taken as this box's text, and
`reported_for(key)` gives the caller the id to hand to the service, which refuses a save typed
for another record than the form's.

For the caller it behaves like st.text_area: the text is in st.session_state[key] (a plain
string the caller may set before drawing, as with a widget), and on_change(*args) is called
when the text changes. Python's echo of the text never replaces what is in the box; only a text
Python set itself (st.session_state[key] = ...) does, so a rerun mid-typing keeps caret and text.

Where no browser runs the component (AppTest, bare mode) it is st.text_area itself, with the
same key, so AppTests drive it with at.text_area(key=...) as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config
from streamlit.runtime.scriptrunner import get_script_run_ctx

HERE = Path(__file__).parent
COMPONENT_NAME = "konferencetavlen_live_text_area"
META_KEY = "_live_text_area"  # per key: the revision and the text Python last knew the box had
MIN_BOX_HEIGHT = 66  # px: as st.text_area
LABEL_HEIGHT = 30  # px: a label line, as st.text_area counts it into `height`


@functools.cache
def _component() -> Callable[..., Any]:
    return st.components.v2.component(
        COMPONENT_NAME,
        css=(HERE / "live_text.css").read_text(encoding="utf-8"),
        js=(HERE / "live_text.js").read_text(encoding="utf-8"),
    )


def browser_runs_components() -> bool:
    """False where no browser runs the script's components: AppTest and bare `python x.py`."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return False
    # AppTest patches streamlit.config.get_option (not st.get_option) to say so during a run;
    # Streamlit's own elements ask the same way.
    return not config.get_option("global.appTest")


def _component_key(key: str) -> str:
    # Streamlit splits a component's event ids at "__": keep the caller's key free of it.
    return "live-text-" + key.replace("__", "_-")


def _box_height(height: int | None) -> int | None:
    """The text box's own height for an st.text_area-style `height` (label included)."""
    return None if height is None else max(MIN_BOX_HEIGHT, height - LABEL_HEIGHT)


def _meta(key: str, current: str) -> dict[str, Any]:
    """What Python knows of the box: its revision and the text it last knew the box had."""
    return st.session_state.setdefault(META_KEY, {}).setdefault(key, {"rev": 0, "seen": current})


def _session_id() -> str:
    """This browser session on this server: a restarted server (or a lost session) has a new
    one, which tells the box to send again what the old one never confirmed."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else ""


def reported_for(key: str) -> Any:
    """What the box's last report said its text belongs to (`belongs_to` as the browser had
    it); None before the first report and where no browser runs the component."""
    return st.session_state.get(META_KEY, {}).get(key, {}).get("for")


def _on_report(
    key: str, max_chars: int | None, on_change: Callable[..., Any] | None, args: tuple
) -> None:
    """The browser reported the box's text: keep it in session_state[key], call on_change."""
    # The component's state is {"typed": {text, stamp, key, for}}. Not "value": Streamlit
    # unwraps a state whose only key is "value" and would look for callbacks named "text"/...
    state = st.session_state.get(_component_key(key)) or {}
    reported = state.get("typed") if hasattr(state, "get") else None
    if not isinstance(reported, dict) or not isinstance(reported.get("text"), str):
        return
    if reported.get("key", key) != key:  # typed in another field's box: never this one's text
        return
    text = reported["text"][:max_chars] if max_chars else reported["text"]
    meta = _meta(key, text)
    meta["seen"] = text
    meta["for"] = reported.get("for")
    if text == st.session_state.get(key):
        return
    st.session_state[key] = text
    if on_change is not None:
        on_change(*args)


def live_text_area(
    label: str,
    *,
    key: str,
    value: str = "",
    height: int | None = None,
    max_chars: int | None = None,
    help: str | None = None,  # noqa: A002 - the name st.text_area uses
    on_change: Callable[..., Any] | None = None,
    args: tuple = (),
    placeholder: str | None = None,
    disabled: bool = False,
    belongs_to: int | str | None = None,
) -> str:
    """A text area whose text reaches Python (and on_change) while it is typed; returns it.

    `value` is the text when st.session_state[key] is not set yet. `belongs_to` (e.g. the
    agenda item id) travels with every report of the box; see reported_for(). In the browser
    the label, help, placeholder and text are set as text (textContent/.value), never as HTML
    or markdown; the st.text_area fallback shows label and help as Streamlit does (markdown).
    """
    if not browser_runs_components():
        if key not in st.session_state:
            st.session_state[key] = value
        return st.text_area(
            label, key=key, height=height, max_chars=max_chars, help=help, on_change=on_change,
            args=args, placeholder=placeholder, disabled=disabled,
        )

    current = st.session_state.get(key)
    if not isinstance(current, str):
        current = value if current is None else str(current)
        st.session_state[key] = current
    meta = _meta(key, current)
    if current != meta["seen"]:  # Python set the text itself: the box is to show it
        meta["rev"] += 1
        meta["seen"] = current
    data = {
        "value": current,
        "rev": meta["rev"],
        "label": label,
        "help": help or "",
        "placeholder": placeholder or "",
        "maxChars": max_chars,
        "height": _box_height(height),
        "disabled": disabled,
        "draftKey": key,  # unsent text survives a reload in the tab's sessionStorage
        "belongsTo": belongs_to,
        "session": _session_id(),
    }
    _component()(
        key=_component_key(key),
        data=data,
        on_typed_change=functools.partial(_on_report, key, max_chars, on_change, tuple(args)),
    )
    return current
