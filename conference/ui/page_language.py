"""The page's language for assistive technology: Danish (`<html lang="da">`).

Streamlit's page shell (its static index.html) says `<html lang="en">`, and Streamlit has no
option to change it: no config option, no `st.set_page_config` argument (upstream:
streamlit/streamlit#15726, open; a `page_lang` argument was proposed in pull request #16024 and
closed unmerged; the general request is #8399). A screen reader then reads the Danish screens
with English pronunciation, and browsers offer to translate them "from English".

The workaround: a tiny st.components.v2 component with no markup. Such a component's script runs
in the app page itself (not in an iframe), so it sets `document.documentElement.lang` on the page.
app.py mounts it in every script run, so every page and every reload says Danish. Where no browser
runs components (AppTest) there is nothing to do. tests/e2e/test_accessibility.py checks the
attribute in Chromium.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

from conference.ui.live_text import browser_runs_components

LANGUAGE = "da"
COMPONENT_NAME = "konferencetavlen_page_language"
# A constant script: it only sets the language code it is given (ours, never user text).
JS = """
export default function pageLanguage({ data }) {
  const lang = (data && data.lang) || "da";
  if (document.documentElement.lang !== lang) {
    document.documentElement.lang = lang;
  }
}
"""


@functools.cache
def _component() -> Callable[..., Any]:
    return st.components.v2.component(COMPONENT_NAME, js=JS)


def set_page_language(language: str = LANGUAGE) -> None:
    """Mark the page as `language` for screen readers and browsers (call once per run)."""
    if not browser_runs_components():
        return
    _component()(key="page_language", data={"lang": language})
