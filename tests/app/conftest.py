"""AppTest helpers: run a page in-process against the demo test database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_page(demo_url: str) -> Callable[..., AppTest]:  # noqa: ARG001 - DATABASE_URL is set
    """Run a page script (path from the repo root) with optional query params."""
    st.cache_data.clear()

    def run(page: str, **query: str) -> AppTest:
        """Through app.py, as a browser would: its navigation, page config and sidebar."""
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        app.switch_page(page)
        for key, value in query.items():
            app.query_params[key] = value
        app.run()
        assert not app.exception, [e.message for e in app.exception]
        return app

    return run
