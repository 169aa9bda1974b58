"""Showing stored text safely: never as HTML, and with markdown's special characters escaped."""

from __future__ import annotations

import re

import streamlit as st

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<&$:])")


def escape_md(text: str | None) -> str:
    """`text` with every markdown control character escaped, so it shows literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text or "")


def facts(pairs: list[tuple[str, str]]) -> None:
    """A row of labelled values (label small, value bold), e.g. stage, next step, staff."""
    columns = st.columns(len(pairs))
    for column, (label, value) in zip(columns, pairs, strict=True):
        column.caption(label)
        column.markdown(f"**{escape_md(value)}**" if value else "–")
