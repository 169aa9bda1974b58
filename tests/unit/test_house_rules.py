"""The rules of the house, checked on the tree: no SQL in pages, no streamlit in the domain,
no HTML from user text, no secrets in git."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "views"
SQL = re.compile(r"session\.(execute|scalars?|query)\(|(?<![\w.])select\(|(?<![\w.])text\(")
STREAMLIT = re.compile(r"^\s*(import streamlit|from streamlit)", re.M)


def test_pages_hold_no_sql():
    offenders = [p.name for p in PAGES.glob("*.py") if SQL.search(p.read_text())]
    assert offenders == []


def test_the_domain_does_not_import_streamlit():
    offenders = [
        str(p.relative_to(ROOT)) for p in (ROOT / "conference").rglob("*.py")
        if "ui" not in p.relative_to(ROOT / "conference").parts[:1]
        and STREAMLIT.search(p.read_text())
    ]
    assert offenders == []


def test_html_is_only_our_constant_style_sheet():
    hits = []
    for path in [*ROOT.glob("*.py"), *PAGES.glob("*.py"), *(ROOT / "conference").rglob("*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"unsafe_allow_html\s*=\s*True|st\.html\(", line):
                hits.append(f"{path.relative_to(ROOT)}:{number}")
    assert len(hits) == 1 and hits[0].startswith("conference/ui/projection_style.py"), hits


def test_no_secrets_file_is_tracked():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert not [t for t in tracked if t.endswith("secrets.toml")]


#: Hour/minute directives (in strftime or an f-string's format spec) and Babel's own
#: date formatting: a time is shown through conference/formatting.py only (the Danish clock).
TIME_FORMAT = re.compile(r"%[HIMRTXp]|babel\.dates")


def test_times_are_formatted_only_by_the_formatter_module():
    assert all(TIME_FORMAT.search(s) for s in [
        'at.strftime("%H:%M")', "f'{at:%H.%M}'", 'x.strftime("%d.%m.%Y %I %p")',
        "from babel.dates import format_time"])
    assert not any(TIME_FORMAT.search(s) for s in ['day.strftime("%d.%m.%Y")', "f'{d:%d.%m}'"])
    formatter = ROOT / "conference" / "formatting.py"
    hits = []
    for path in [*ROOT.glob("*.py"), *PAGES.rglob("*.py"), *(ROOT / "conference").rglob("*.py")]:
        if path == formatter:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if TIME_FORMAT.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}")
    assert hits == [], "show times with conference.formatting.local_clock/local_datetime"
