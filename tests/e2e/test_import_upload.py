"""In a real browser: upload a patient file on "Import og eksport", see the preview, confirm,
and find the new patients on the Patienter page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import Page, expect

from conference.cpr import format_cpr, make_cpr
from tests.e2e.conftest import click_tab, screenshot, wait_idle

PEOPLE = [("Søs", "Zimport", dt.date(1934, 2, 3), "K"),
          ("Åge", "Zimport", dt.date(1935, 4, 5), "M")]


def patient_file(folder: Path) -> tuple[Path, list[str]]:
    cprs = [format_cpr(make_cpr(born, sex, 800 + i)) for i, (*_, born, sex) in enumerate(PEOPLE)]
    lines = ["CPR;Fornavn;Efternavn;Henvist"]
    lines += [f"{cpr};{first};{last};18.11.2026"
              for cpr, (first, last, _, _) in zip(cprs, PEOPLE, strict=True)]
    path = folder / "nye_patienter.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))  # as Excel saves it
    return path, cprs


def test_upload_preview_confirm_and_find_the_patients(page: Page, app_server, tmp_path) -> None:
    path, cprs = patient_file(tmp_path)
    page.goto(app_server.url)
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Import og eksport").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Import og eksport")).to_be_visible()

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    wait_idle(page)
    expect(page.get_by_role("heading", name="Forhåndsvisning")).to_be_visible()
    expect(page.get_by_text("CSV, Windows-1252, semikolon")).to_be_visible()
    expect(page.get_by_text("Patienter og mikroteams: nye: 2 patienter.")).to_be_visible()
    screenshot(page, "e2e_import_preview")

    page.get_by_role("button", name="Importér (2 nye, 0 ændrede)").click()
    wait_idle(page)
    expect(page.get_by_text("Importeret: 2 nye og 0 ændrede, 0 rækker uændrede.")).to_be_visible()
    screenshot(page, "e2e_import_done")

    page.get_by_role("link", name="Se patienterne").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Patienter")).to_be_visible()
    search = page.get_by_placeholder("Navn eller CPR-nummer")
    search.fill("Zimport")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("Viser 2 af")).to_be_visible()
    search.fill(cprs[1])
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("Viser 1 af")).to_be_visible()
    screenshot(page, "e2e_import_found")


def test_download_the_pro_table_as_csv(page: Page, app_server) -> None:
    page.goto(f"{app_server.url}/import_eksport")
    wait_idle(page)
    click_tab(page, "Eksport")
    with page.expect_download() as download:
        page.get_by_role("button", name="PRO (CSV)").click()
    assert download.value.suggested_filename.startswith("pro_")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("CPR;Navn;Tidspunkt;Besvaret;NRS gennemsnit;NRS værst;PDI")
    assert first.count(";") == header.count(";")
