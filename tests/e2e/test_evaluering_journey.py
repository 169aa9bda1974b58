"""In a real browser: the meeting leader opens Evaluering, picks a year, opens each of the four
parts and downloads the yearly report as PDF and as XLSX."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import func, select

from db.models import Patient, Role, Staff, StaffRole
from tests.e2e.conftest import SCREENSHOTS, click_tab, pick_option, screenshot, wait_idle
from tests.factories import in_db

PARTS = {
    "Gennemførelse": "Gennemførelse af standardforløbet",
    "Effekt": "Svarprocent pr. tidspunkt",
    "Vedligeholdende faktorer": "Forbedring i vedligeholdende faktorer og effekt",
    "Hvem har gavn": "pr. undergruppe",
}


def leader_and_year(demo_url: str) -> tuple[str, int]:
    """A meeting leader's initials, and the last whole year of the demo's referrals."""

    def read(session):
        initials = session.scalar(
            select(Staff.initials).join(StaffRole).where(StaffRole.role == Role.MOEDELEDER)
            .order_by(Staff.id).limit(1)
        )
        last = session.scalar(select(func.max(Patient.referral_date)))
        return initials, last.year - 1

    return in_db(demo_url, read)


def first_run(page: Page) -> None:
    """A page's first draw on a fresh server (the evaluation computed, caches empty) can take
    longer than a click's rerun on a busy machine."""
    expect(page.locator("[data-testid='stApp']")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=120_000)


def download(page: Page, name: str):  # noqa: ANN201 - a Playwright download
    """Click a deferred download (the file is made on the click) and wait for it."""
    button = page.get_by_role("button", name=name)
    for attempt in range(3):
        try:
            with page.expect_download(timeout=60_000) as started:
                button.click()
            return started.value
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            wait_idle(page)
    raise AssertionError("unreachable")


def test_pick_a_year_open_each_part_and_download_the_report(page: Page, app_server,
                                                            demo_url) -> None:
    initials, year = leader_and_year(demo_url)
    page.goto(app_server.url)  # the first visit runs app.py (its navigation) on the server
    first_run(page)
    page.goto(f"{app_server.url}/evaluering?som={initials}")
    first_run(page)
    expect(page.get_by_role("heading", name="Evaluering")).to_be_visible()
    pick_option(page, page.locator("[data-testid='stMain']"), "År", str(year))
    wait_idle(page)
    expect(page.get_by_text(f"Kohorte: Henvist i perioden, år {year}")).to_be_visible()

    for part, title in PARTS.items():
        click_tab(page, part)
        wait_idle(page)
        expect(page.get_by_text(title).first).to_be_visible()
        expect(page.locator("[data-testid='stVegaLiteChart']:visible").first).to_be_visible()
        slug = part.lower().replace(" ", "_").replace("ø", "oe")
        screenshot(page, f"e2e_evaluering_{slug}")

    pdf = download(page, "Hent årsrapport (PDF)")
    assert pdf.suggested_filename == f"evaluering_{year}-01-01_{year}-12-31_henvist.pdf"
    data = Path(pdf.path()).read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000  # with its charts
    SCREENSHOTS.mkdir(exist_ok=True)
    pdf.save_as(SCREENSHOTS / "e2e_evaluering_rapport.pdf")

    xlsx = download(page, "Hent tabeller (Excel)")
    assert xlsx.suggested_filename.endswith("_henvist.xlsx")
    book = load_workbook(io.BytesIO(Path(xlsx.path()).read_bytes()))
    assert book.sheetnames[:4] == ["Rapport", "Svarprocent", "Patientkarakteristika",
                                   "Effekt afslutning"]
    front = {row[0]: row[1] for row in book["Rapport"].iter_rows(values_only=True) if row[0]}
    assert front["Periode"].startswith(f"år {year}")
