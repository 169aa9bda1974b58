"""Pages must not issue more SQL statements as the centre grows (no per-patient queries).

Two demo centres of different size, each in the meeting's state (the next conference's agenda
filled, the meeting started, a case on the board); every view of every page in app.py's
navigation (tests/bench/views.py: the one list the benchmark uses too) is drawn on each with
every cache cleared, and its statements are counted: opening it (a new browser session's first
run, which also logs who saw which patients) and a rerun.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conference.ui import context
from db.migrate import upgrade
from db.session import make_engine, session_scope
from db.statements import count_statements
from demo import build_demo
from tests.bench import views as bench
from tests.conftest import database_url, drop_database

#: The day the demo centres are built for and the pages are drawn on (KT_TODAY), whatever the
#: clock says: nothing here reads the clock. On this day both centres give the user a case to
#: prepare; on some days the small one has none, and the page then reads less (not a growth).
DAY = dt.date(2026, 12, 3)

ROOT = Path(__file__).resolve().parents[2]
SMALL, LARGE = 0.05, 0.3
CEILING = 60  # a page needing more than this for one draw is doing per-row work somewhere
VIEWS = bench.views()


@pytest.fixture(scope="module")
def centres(tmp_path_factory) -> Iterator[dict[float, str]]:
    folder = tmp_path_factory.mktemp("scales")
    urls = {}
    for scale in (SMALL, LARGE):
        url = database_url(f"scale{int(scale * 100)}", folder)
        engine = make_engine(url)
        upgrade(engine)
        with session_scope(engine) as session:
            build_demo(session, scale=scale, today=DAY)
        with session_scope(engine) as session:
            bench.prepare_meeting(session, DAY)
        engine.dispose()
        urls[scale] = url
    yield urls
    for url in urls.values():
        drop_database(url)


def query_for(url: str, view: bench.View) -> dict[str, str]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        params = view.params(session, DAY)
    engine.dispose()
    return params


def statements_to_draw(url: str, page: str, **query: str) -> tuple[int, int]:
    """Statements of opening the page (a new session's first run: access logging included)
    and of a rerun, both with every cache cleared."""
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    os.environ["KT_TODAY"] = DAY.isoformat()  # the pages' today: the demo's, on any clock
    context.engine.clear()
    st.cache_data.clear()
    try:
        context.engine()  # the engine checks the migrations once per process: not the page's
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        app.switch_page(page)
        for key, value in query.items():
            app.query_params[key] = value
        with count_statements() as opening:
            app.run()
        assert not app.exception, [e.message for e in app.exception]
        st.cache_data.clear()
        with count_statements() as rerun:
            app.run()
        assert not app.exception, [e.message for e in app.exception]
        return opening.count, rerun.count
    finally:
        context.engine.clear()
        st.cache_data.clear()
        os.environ.pop("KT_TODAY", None)
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def test_the_view_list_covers_the_navigation():
    """Every page of app.py is measured; every extra view and query names a page there."""
    pages = bench.app_pages()
    assert "views/konference.py" in pages and "views/patient.py" in pages
    assert all((ROOT / page).is_file() for page in pages)
    assert {v.page for v in VIEWS} == set(pages)
    named = set(bench.QUERY) | {page for page, _, _ in bench.EXTRA_VIEWS}
    assert named <= set(pages), named - set(pages)
    assert len({v.name for v in VIEWS}) == len(VIEWS)


@pytest.mark.parametrize("view", VIEWS, ids=[v.name for v in VIEWS])
def test_statement_count_is_flat_as_the_centre_grows(centres, view):
    counts = {}
    for scale, url in centres.items():
        query = query_for(url, view)
        if view.query is not None:
            assert query, f"no representative data for {view.name} at scale {scale}"
        counts[scale] = statements_to_draw(url, view.page, **query)
    (open_small, rerun_small), (open_large, rerun_large) = counts[SMALL], counts[LARGE]
    assert open_large <= open_small, f"opening the page (small, large): {counts}"
    assert rerun_large <= rerun_small, f"a rerun (small, large): {counts}"
    assert open_small < CEILING, counts
