"""When the database cannot be reached: a clear Danish message instead of a traceback, and what
the user typed is still in the fields when it works again.

`database_guard()` is a context manager and a decorator. When the database is unreachable
(connection refused or lost, server shutting down, pool exhausted, SQLite file locked or
unopenable) it shows UNREACHABLE_MESSAGE with a »Prøv igen« button and stops the script run
with `st.stop()`. Nothing is retried automatically: a write is never sent twice.

Keeping the text. The run stops before the page has drawn its fields, and the browser then
forgets the fields' contents (the server still has them). So before stopping, the guard notes
the text of every keyed widget (st.session_state entries holding a non-empty str), and the next
run that enters a guard, before any field is drawn, sets those entries again through the
Session State API, which makes the browser show them. Only entries that still hold the same
text, or were emptied, are set again: state a page removed on purpose stays removed. Fields
without a `key` cannot be addressed this way, and a form with `clear_on_submit=True` empties
its fields on submit whatever happens: give text fields a key, and clear a form after a
successful save instead.

Nested guards: the outermost one shows the message; inner ones let the error pass, so an
`except OperationalError` between two guards still handles it. Inside an `st.cache_data`
function no button is drawn (Streamlit forbids widgets there); when an outer guard exists it
shows the message with the button instead.

Use: `conference.ui.context.db_session` opens its session inside `database_guard()`, so every
page, fragment and callback that reads or writes through `db_session` is covered. app.py may
also wrap its body in it (then cached reads get the button as well).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import streamlit as st
from sqlalchemy import exc
from streamlit.errors import StreamlitAPIException

UNREACHABLE_MESSAGE = (
    "Databasen kan ikke nås lige nu. Det, du har skrevet, er ikke gemt endnu – prøv igen om lidt."
)
RETRY_LABEL = "Prøv igen"
RETRY_KEY = "db_guard_retry"
KEPT_KEY = "db_guard_kept_text"

_log = logging.getLogger(__name__)
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("db_guard_depth", default=0)

try:  # Streamlit's own flag for "inside an st.cache_data/st.cache_resource function"
    from streamlit.runtime.scriptrunner_utils.script_run_context import in_cached_function
except ImportError:  # pragma: no cover - moved in a later Streamlit: then never a button there
    in_cached_function = None


def is_unreachable(error: BaseException) -> bool:
    """The database could not be reached or gave up on the connection (not a bad query)."""
    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError):
        return True
    return isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)


def _in_cache() -> bool:
    return in_cached_function is None or bool(in_cached_function.get())


def keep_typed_text() -> None:
    """Note the text in every keyed field, for `restore_typed_text` in a later run."""
    kept = dict(st.session_state.get(KEPT_KEY) or {})
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        if isinstance(key, str) and key != KEPT_KEY and isinstance(value, str) and value.strip():
            kept[key] = value
    st.session_state[KEPT_KEY] = kept


def restore_typed_text() -> None:
    """Set the kept texts again before the fields are drawn, so the browser shows them."""
    kept = st.session_state.get(KEPT_KEY)
    if not kept or _in_cache():
        return
    del st.session_state[KEPT_KEY]
    for key, value in kept.items():
        if st.session_state.get(key) in (value, ""):
            with suppress(StreamlitAPIException):  # a field already drawn in this run
                st.session_state[key] = value


def show_unreachable() -> None:
    """The message, and a button that runs the page again (not inside a cached function)."""
    st.error(UNREACHABLE_MESSAGE, icon=":material/cloud_off:")
    if _in_cache():
        return
    with suppress(StreamlitAPIException):  # already drawn in this run
        st.button(RETRY_LABEL, key=RETRY_KEY, icon=":material/refresh:")


@contextmanager
def database_guard() -> Iterator[None]:
    """Show UNREACHABLE_MESSAGE and stop the run when the database cannot be reached."""
    token = _depth.set(_depth.get() + 1)
    try:
        restore_typed_text()
        yield
    except (exc.DBAPIError, exc.TimeoutError) as error:
        outermost = _depth.get() == 1
        if not is_unreachable(error) or not outermost:
            raise
        _log.warning("Database unreachable: %s", error.__class__.__name__, exc_info=error)
        keep_typed_text()
        show_unreachable()
        st.stop()
    finally:
        _depth.reset(token)
