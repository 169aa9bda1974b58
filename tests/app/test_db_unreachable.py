"""The database cannot be reached: a clear Danish message, no traceback, and what the user
typed is still there when the database is back (conference/ui/db_guard.py)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import exc
from streamlit.testing.v1 import AppTest

from conference.ui.db_guard import RETRY_KEY, UNREACHABLE_MESSAGE, is_unreachable

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ("views/patienter.py", {}),
    ("views/patient.py", {"id": "1"}),
    ("views/konference.py", {}),
    ("views/forbered_sag.py", {}),
    ("views/referat.py", {}),
    ("views/opfoelgning.py", {}),
    ("views/hold.py", {}),
    ("views/import_eksport.py", {}),
    ("views/skabelon.py", {}),
    ("views/adgangslog.py", {}),
    ("views/indstillinger.py", {}),
]
TYPED_REASON = "Usikkerhed om behandlingsbehovet efter Afspænding – se PRO."
TYPED_QUESTION = "Skal hun henvises til psykolog?"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_postgres() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/konferencetavlen"


def errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error]


def new_engine() -> None:
    """The app's engine is made again from DATABASE_URL on its next use."""
    st.cache_resource.clear()


@pytest.fixture
def caches_restored():
    """Whatever a test did to the process-wide caches, the next test starts clean."""
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def app_page(page: str, **query: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.switch_page(page)
    for key, value in query.items():
        app.query_params[key] = value
    return app


# --------------------------------------------------------------------------- the whole app


@pytest.mark.parametrize(("page", "query"), PAGES, ids=[p for p, _ in PAGES])
def test_every_page_says_in_danish_that_the_database_cannot_be_reached(
    page, query, demo_url, monkeypatch, caches_restored  # noqa: ARG001
) -> None:
    monkeypatch.setenv("DATABASE_URL", unreachable_postgres())
    st.cache_data.clear()
    new_engine()
    app = app_page(page, **query).run()
    assert not app.exception, [e.message for e in app.exception]
    assert UNREACHABLE_MESSAGE in errors(app)


def test_what_the_user_typed_is_kept_until_the_database_is_back(
    demo_url, monkeypatch, caches_restored  # noqa: ARG001
) -> None:
    st.cache_data.clear()
    new_engine()
    app = app_page("views/forbered_sag.py").run()
    assert not app.exception, [e.message for e in app.exception]
    app.text_area(key="put_reason").set_value(TYPED_REASON)
    app.text_area(key="put_question").set_value(TYPED_QUESTION)

    # the database goes away; the user presses the form's button
    monkeypatch.setenv("DATABASE_URL", unreachable_postgres())
    new_engine()
    next(b for b in app.button if b.label == "Sæt på konferencen").click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert UNREACHABLE_MESSAGE in errors(app)
    assert app.button(key=RETRY_KEY).label == "Prøv igen"
    assert app.session_state["put_reason"] == TYPED_REASON

    # still gone: trying again says so again, and keeps the text
    app.button(key=RETRY_KEY).click().run()
    assert UNREACHABLE_MESSAGE in errors(app)

    # back: »Prøv igen« shows the page with the text as typed (and nothing was sent)
    monkeypatch.setenv("DATABASE_URL", demo_url)
    new_engine()
    app.button(key=RETRY_KEY).click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert UNREACHABLE_MESSAGE not in errors(app)
    for key, typed in (("put_reason", TYPED_REASON), ("put_question", TYPED_QUESTION)):
        assert shown_in_browser(app, key) == typed


def shown_in_browser(app: AppTest, key: str) -> str | None:
    """The text a text area shows in the browser. The browser forgets a field's text when a
    run stops before drawing it; it shows the server's text only when the server sends it
    (set_value), else the empty default."""
    proto = app.text_area(key=key).proto
    return proto.value if proto.set_value else proto.default


# --------------------------------------------------------------------------- the guard itself


def guarded_script() -> None:
    """A page like ours: read first, then draw; the read goes through database_guard."""
    import os

    import streamlit as st
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from conference.ui.db_guard import database_guard

    def read() -> int:
        engine = create_engine(os.environ["KT_GUARD_URL"])
        try:
            with engine.connect() as connection:
                return connection.execute(text("select 1")).scalar()
        finally:
            engine.dispose()

    def guarded_read() -> int:
        with database_guard():
            return read()

    @st.cache_data(ttl=60)
    def cached_read(url: str) -> int:  # noqa: ARG001 - the cache key
        return guarded_read()

    mode = st.query_params.get("mode", "main")
    if mode == "main":
        guarded_read()
    elif mode == "cached":
        cached_read(os.environ["KT_GUARD_URL"])
    elif mode == "cached_in_guard":
        with database_guard():
            cached_read(os.environ["KT_GUARD_URL"])
    elif mode == "fragment":
        st.fragment(guarded_read)()
    elif mode == "callback":
        st.button("Gem", key="save", on_click=guarded_read)
    elif mode == "handled_locally":
        with database_guard():
            try:
                guarded_read()
            except OperationalError:
                st.warning("Siden håndterer selv fejlen.")
    st.text_area("Notat", key="note")
    st.success("Forbundet")


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """(set_online(bool), new AppTest of guarded_script)."""

    def set_online(online: bool) -> None:
        where = tmp_path / "ok.db" if online else tmp_path / "no such folder" / "x.db"
        monkeypatch.setenv("KT_GUARD_URL", f"sqlite:///{where}")

    def make(mode: str) -> AppTest:
        app = AppTest.from_function(guarded_script, default_timeout=30)
        app.query_params["mode"] = mode
        return app

    set_online(True)
    return set_online, make


@pytest.mark.parametrize("mode", ["main", "fragment", "callback"])
def test_guard_shows_the_message_and_a_retry_button_instead_of_a_traceback(guarded, mode):
    set_online, make = guarded
    app = make(mode).run()
    assert app.success[0].value == "Forbundet"
    set_online(False)
    if mode == "callback":
        app.button(key="save").click()
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert errors(app) == [UNREACHABLE_MESSAGE]
    assert app.button(key=RETRY_KEY).label == "Prøv igen"


def test_guard_inside_a_cached_read_shows_the_message_without_a_widget(guarded):
    set_online, make = guarded
    set_online(False)
    app = make("cached").run()
    assert not app.exception, [e.message for e in app.exception]
    assert errors(app) == [UNREACHABLE_MESSAGE]
    assert not [b for b in app.button if b.key == RETRY_KEY]
    # with a guard around the cached read, that one shows the message and the button
    app = make("cached_in_guard").run()
    assert not app.exception, [e.message for e in app.exception]
    assert errors(app) == [UNREACHABLE_MESSAGE]
    assert app.button(key=RETRY_KEY).label == "Prøv igen"


def test_an_outer_guard_lets_a_page_handle_the_error_itself(guarded):
    set_online, make = guarded
    set_online(False)
    app = make("handled_locally").run()
    assert not app.exception
    assert errors(app) == []
    assert app.warning[0].value == "Siden håndterer selv fejlen."


def test_guard_keeps_the_typed_text_and_retry_recovers(guarded):
    set_online, make = guarded
    app = make("main").run()
    app.text_area(key="note").set_value("Det vigtige, jeg skrev")
    set_online(False)
    app.run()
    assert errors(app) == [UNREACHABLE_MESSAGE]
    assert not app.text_area  # the page stopped before drawing it
    set_online(True)
    app.button(key=RETRY_KEY).click().run()
    assert errors(app) == []
    assert shown_in_browser(app, "note") == "Det vigtige, jeg skrev"


def test_only_connection_failures_count_as_unreachable() -> None:
    def wrap(kind: type[exc.DBAPIError], *, invalidated: bool = False) -> exc.DBAPIError:
        return kind("select 1", {}, Exception("driver"), connection_invalidated=invalidated)

    assert is_unreachable(wrap(exc.OperationalError))
    assert is_unreachable(wrap(exc.InterfaceError))
    assert is_unreachable(exc.TimeoutError("QueuePool limit reached"))
    assert is_unreachable(wrap(exc.DatabaseError, invalidated=True))
    assert not is_unreachable(wrap(exc.IntegrityError))
    assert not is_unreachable(wrap(exc.ProgrammingError))
    assert not is_unreachable(ValueError("not a database error"))
