"""Script and image payloads in every free-text field; every page is drawn and no payload may
reach the browser as HTML or as live markdown.

The payloads (tests/xss.py) are stored through the services in a database of its own (the demo
centre plus the payloads; the shared demo database is not touched). Each page runs through
app.py as in the browser, acting as the staff member whose name is itself a payload. Every
element the page sends is read back from the AppTest tree, field by field:
- a markdown-rendered string (markdown, captions, alerts, headings, widget labels and help,
  radio options, metric labels, expander and tab labels, page links, toasts …) must carry the
  payload escaped (conference.ui.text.escape_md), never as raw HTML, link or image;
- plain-text fields (st.text, st.code, text area and select box values, tables) may carry it as
  typed: the browser shows them as text;
- an element with unsafe_allow_html, or st.html, must not carry user text at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from conference.ui.text import escape_md
from tests.conftest import DEMO_SCALE, database_url, drop_database
from tests.xss import Stored, build_database, markdown_leaks

ROOT = Path(__file__).resolve().parents[2]

#: element type -> fields shown as plain text (None: every field); everything else is markdown
PLAIN_TEXT: dict[str, set[str] | None] = {
    "text": None,
    "code": None,
    "json": None,
    "dataframe": None,
    "table": None,
    "text_area": {"value", "default", "placeholder", "id", "form_id"},
    "text_input": {"value", "default", "placeholder", "id", "form_id"},
    "selectbox": {"options", "default", "raw_value", "placeholder", "id", "form_id"},
    "multiselect": {"options", "default", "raw_values", "placeholder", "id", "form_id"},
}
PAYLOAD_TRACES = ("alert(1)", "alert\\(1\\)", "evil/x")
#: The case form's text areas (conference/ui/live_text.py) are a component in the browser that
#: sets label and help with textContent, never as markdown; only its AppTest fallback is an
#: st.text_area. Their labels are checked in the browser by tests/e2e/test_xss.py.
LIVE_TEXT_KEY = re.compile(r"^case\d+_field_")


@pytest.fixture(scope="module")
def stored(tmp_db_dir: Path) -> Iterator[Stored]:
    """The demo centre plus payloads; DATABASE_URL points the app at it for this module."""
    url = database_url("xss", tmp_db_dir)
    data = build_database(url, scale=DEMO_SCALE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        st.cache_resource.clear()
        st.cache_data.clear()
        yield data
        st.cache_resource.clear()
        st.cache_data.clear()
    drop_database(url)


def pages(data: Stored) -> list[tuple[str, dict[str, str], tuple[str, ...]]]:
    """(page, query, tags that must be on it): every page, on the rows holding payloads."""
    day, past = data.conference_day.isoformat(), data.past_day.isoformat()
    case, group = str(data.item_id), str(data.group_id)
    return [
        ("views/patienter.py", {}, ("XssFornavn", "XssMedarbejder")),
        ("views/patient.py", {"id": str(data.patient_id)},
         ("XssFornavn", "XssEfternavn", "XssMikroteam", "XssDiagnose", "XssUdbredelse",
          "XssProblemstilling", "XssMedarbejder", "XssKonklusion")),
        ("views/patient.py", {"id": str(data.handover_patient_id)}, ("XssOverlevering",)),
        ("views/konference.py", {"dato": day},
         ("XssFornavn", "XssAnledning", "XssSpoergsmaal", "XssUdsat", "XssHold",
          "XssHoldmarkering", "XssHoldnote", "XssFagligUdvikling")),
        ("views/konference.py", {"dato": day, "visning": "projektion"},
         ("XssFornavn", "XssOverskrift", "XssFremlaeggelseAnledning", "XssTeamnote",
          "XssHoldmarkering")),
        ("views/konference.py", {"dato": data.development_day.isoformat(),
                                  "visning": "projektion"}, ("XssFagligUdvikling", "XssOevelse")),
        ("views/forbered_sag.py", {}, ("XssFornavn",)),
        ("views/forbered_sag.py", {"sag": case},
         ("XssFornavn", "XssOverskrift", "XssHjaelpetekst", "XssFremlaeggelseTreP")),
        ("views/forbered_sag.py", {"sag": case, "fane": "PRO"}, ("XssFornavn",)),
        ("views/forbered_sag.py", {"sag": case, "fane": "Teamnoter"}, ("XssTeamnote",)),
        ("views/referat.py", {"dato": day, "sag": case},
         ("XssFornavn", "XssSkitse", "XssKonklusion", "XssNaesteSkridt", "XssOverskrift",
          "XssFagligUdvikling", "XssOevelse")),
        ("views/referat.py", {"dato": past, "sag": str(data.past_item_id)},
         ("XssRettetSkitse", "XssRettelse", "XssNytSkridt")),
        ("views/opfoelgning.py", {}, ("XssNaesteSkridt", "XssFornavn")),
        ("views/hold.py", {"hold": group}, ("XssHold", "XssFornavn")),
        ("views/hold.py", {"hold": group, "fane": "Registrér fremmøde"}, ("XssFornavn",)),
        ("views/hold.py", {"hold": group, "fane": "Til holdkonference"},
         ("XssHoldmarkering", "XssHoldnote")),
        ("views/hold.py", {"hold": group, "fane": "Tilmeld patient"}, ("XssHold",)),
        ("views/hold.py", {"hold": str(data.handover_group_id), "fane": "Overlevering"},
         ("XssOverlevering",)),
        ("views/import_eksport.py", {}, ("XssMedarbejder",)),
        ("views/skabelon.py", {}, ("XssMedarbejder",)),
        ("views/adgangslog.py", {}, ("XssMedarbejder",)),
        ("views/indstillinger.py", {}, ("XssMedarbejder",)),
    ]


def run(page: str, query: dict[str, str], initials: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.switch_page(page)
    app.query_params["som"] = initials
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def _strings(value: object, field: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, field or key)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, field)
    elif isinstance(value, str):
        yield field, value


def elements(app: AppTest) -> Iterator[tuple[str, object, dict]]:
    """(type, node, proto as a dict) of every element and container the page sent."""
    for node in app._tree:  # noqa: SLF001 - the whole tree, sidebar and containers included
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "DESCRIPTOR"):
            continue
        yield node.type, node, MessageToDict(proto, preserving_proto_field_name=True)


def findings(app: AppTest) -> tuple[list[str], str]:
    """Payloads that reach the browser as HTML or markdown, and all text the page sent."""
    found: list[str] = []
    seen: list[str] = []
    for kind, node, data in elements(app):
        if kind == "dataframe":  # cells are text in the grid; read them for coverage
            seen.append(node.value.to_csv())
        plain = PLAIN_TEXT.get(kind, set())
        if kind == "text_area" and LIVE_TEXT_KEY.match(getattr(node, "key", None) or ""):
            plain = plain | {"label", "help"}
        html = kind == "html" or bool(data.get("allow_html"))
        for field, value in _strings(data):
            seen.append(value)
            if html and any(trace in value for trace in PAYLOAD_TRACES):
                found.append(f"{kind}.{field} with HTML allowed: {value[:120]!r}")
            elif (plain is not None and field not in plain) and markdown_leaks(value):
                found.append(f"{kind}.{field}: {value[:120]!r}")
    return found, "\n".join(seen)


def test_payloads_are_stored_in_every_free_text_field(stored: Stored) -> None:
    assert len(stored.fields) >= 25, stored.fields


def test_every_page_shows_the_payloads_as_text_never_as_html_or_markdown(stored: Stored) -> None:
    problems: dict[str, list[str]] = {}
    shown: list[str] = []
    for page, query, tags in pages(stored):
        app = run(page, query, stored.staff_initials)
        found, text = findings(app)
        where = f"{page}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
        missing = [t for t in tags if t not in text]
        assert not missing, f"{where} does not show {missing}: the page did not draw the data"
        if found:
            problems[where] = found
        shown.append(text)
    everything = "\n".join(shown)
    not_shown = [f for f, tag in stored.fields.items() if tag not in everything]
    assert not not_shown, f"fields stored but shown on no page: {not_shown}"
    assert not problems, "\n".join(
        f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items()
    )


def test_the_check_finds_an_unescaped_payload(stored: Stored) -> None:
    """The scan is not blind: a page drawing a name raw is caught, an escaped one is not."""

    def page(name: str, escaped: bool) -> None:
        import streamlit as st

        from conference.ui.text import escape_md

        st.title(escape_md(name) if escaped else name)
        st.radio("Sager", [escape_md(name) if escaped else name])
        st.text(name)

    name = "XssFornavn <img src=x onerror=alert(1)> ![x](http://evil/x.png)"
    raw = AppTest.from_function(page, args=(name, False)).run()
    found, _ = findings(raw)
    assert len(found) == 2 and found[0].startswith("title.body")
    escaped = AppTest.from_function(page, args=(name, True)).run()
    assert findings(escaped)[0] == []
    assert escape_md(name) in findings(escaped)[1]
