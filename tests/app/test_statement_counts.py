"""Pages must not issue more SQL statements as the centre grows (no per-patient queries).

Two demo centres of different size; every page is drawn on each and its statements counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from conference.ui import context
from db.demo import build_demo
from db.migrate import upgrade
from db.models import Patient, PatientStatus
from db.session import make_engine, session_scope
from db.statements import count_statements
from tests.conftest import database_url, drop_database

ROOT = Path(__file__).resolve().parents[2]
SMALL, LARGE = 0.05, 0.3


@pytest.fixture(scope="module")
def centres(tmp_path_factory) -> Iterator[dict[float, str]]:
    folder = tmp_path_factory.mktemp("scales")
    urls = {}
    for scale in (SMALL, LARGE):
        url = database_url(f"scale{int(scale * 100)}", folder)
        engine = make_engine(url)
        upgrade(engine)
        with session_scope(engine) as session:
            build_demo(session, scale=scale)
        engine.dispose()
        urls[scale] = url
    yield urls
    for url in urls.values():
        drop_database(url)


def first_active_patient(url: str) -> str:
    engine = make_engine(url)
    with session_scope(engine) as session:
        pid = session.scalar(
            select(Patient.id).where(Patient.status == PatientStatus.ACTIVE).order_by(Patient.id)
        )
    engine.dispose()
    return str(pid)


def statements_to_draw(url: str, page: str, **query: str) -> int:
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    context.engine.clear()
    st.cache_data.clear()
    try:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        app.switch_page(page)
        for key, value in query.items():
            app.query_params[key] = value
        app.run()  # warm-up: migrations check, cached staff list
        assert not app.exception, [e.message for e in app.exception]
        st.cache_data.clear()
        with count_statements() as counter:
            app.run()
        assert not app.exception
        return counter.count
    finally:
        context.engine.clear()
        st.cache_data.clear()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


@pytest.mark.parametrize("page", ["pages/patienter.py", "pages/patient.py"])
def test_statement_count_is_flat_as_the_centre_grows(centres, page):
    counts = {}
    for scale, url in centres.items():
        query = {"id": first_active_patient(url)} if page == "pages/patient.py" else {}
        counts[scale] = statements_to_draw(url, page, **query)
    assert counts[LARGE] <= counts[SMALL], counts
    assert counts[SMALL] < 40, counts
