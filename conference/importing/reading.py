"""Reading a file as clinics have it into a table of rows: CSV or Excel .xlsx.

CSV: ``;``, ``,`` or tab between columns (whichever the header line uses most); UTF-8 with or
without BOM, UTF-16 with BOM (Excel's "Unicode-tekst"), or Windows-1252 (Excel's "CSV (semikolon
separeret)" on a Danish Windows). Excel: the first worksheet of an .xlsx file; cells keep their
types (dates stay dates). The file's content decides the format, not its name.

Row numbers are the ones the user sees in Excel: the header is row 1, the first data row is 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from conference.importing.values import is_blank

__all__ = ["FileProblem", "Row", "Table", "read_table"]

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls (and other Office 97-2003 files)
_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-8 text that was once read as Windows-1252 and saved again: 'ø' became 'Ã¸', and so on.
_MOJIBAKE = ("Ã¦", "Ã¸", "Ã¥", "Ã†", "Ã˜", "Ã…", "Ã©", "Ã¼", "Ã¶", "Ã¤")
MAX_BYTES = 50 * 1024 * 1024


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message is Danish and says what to do."""


@dataclass(frozen=True)
class Row:
    number: int  # the row number in the spreadsheet (header = 1)
    values: tuple[Any, ...]

    def get(self, index: int | None) -> Any:
        if index is None or index >= len(self.values):
            return None
        return self.values[index]


@dataclass
class Table:
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    description: str = ""  # e.g. "CSV, UTF-8 med BOM, semikolon"


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM):].decode("utf-8"), "UTF-8 med BOM"
        except UnicodeDecodeError:
            raise FileProblem(
                "Filen begynder som UTF-8, men indeholder tegn, der ikke er gyldig UTF-8. "
                "Gem den igen som »CSV UTF-8«."
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise FileProblem("Filen er ikke gyldig UTF-16. Gem den som »CSV UTF-8«.") from None
    if b"\x00" in data[:4096]:
        raise FileProblem(
            "Filen indeholder binære data og er hverken CSV eller Excel (.xlsx). "
            "Gem den som »CSV UTF-8« eller »Excel-projektmappe (.xlsx)«."
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise FileProblem(
            "Filens tegnsæt kan ikke genkendes (hverken UTF-8 eller Windows-1252). "
            "Gem den som »CSV UTF-8«."
        ) from None


def _delimiter(first_line: str) -> tuple[str, str]:
    counts = {";": first_line.count(";"), ",": first_line.count(","), "\t": first_line.count("\t")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    names = {";": "semikolon", ",": "komma", "\t": "tabulator"}
    return best, names[best]


def _trim(values: list[Any]) -> tuple[Any, ...]:
    end = len(values)
    while end and is_blank(values[end - 1]):
        end -= 1
    return tuple(values[:end])


def _build(raw_rows: Any, description: str) -> Table:
    rows_iter = iter(raw_rows)
    for header_values in rows_iter:
        header = _trim(list(header_values))
        if header:
            break
    else:
        raise FileProblem("Filen er tom: der er ingen overskriftsrække.")
    headers = ["" if is_blank(h) else " ".join(str(h).split()) for h in header]
    table = Table(headers=headers, description=description)
    for number, values in enumerate(rows_iter, start=2):
        trimmed = _trim(list(values))
        if trimmed and not all(is_blank(v) for v in trimmed):
            table.rows.append(Row(number, trimmed))
    return table


def _read_csv(data: bytes) -> Table:
    text, encoding = _decode(data)
    if any(bad in text for bad in _MOJIBAKE):
        raise FileProblem(
            "Filen indeholder forkert kodede bogstaver (fx »Ã¸« hvor der skulle stå »ø«): "
            "den er blevet læst og gemt med forkert tegnsæt. Eksportér den igen fra kilden og "
            "gem som »CSV UTF-8«."
        )
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter, name = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _build(list(reader), f"CSV, {encoding}, {name}")
    except csv.Error as error:
        raise FileProblem(f"Filen kan ikke læses som CSV: {error}") from None


def _excel_value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # imported here: only .xlsx files need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileProblem(
            f"Filen kan ikke læses som Excel-projektmappe (.xlsx): {error}"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = ([_excel_value(v) for v in row] for row in sheet.iter_rows(values_only=True))
        return _build(rows, f"Excel (.xlsx), arket »{sheet.title}«")
    finally:
        workbook.close()


def read_table(data: bytes) -> Table:
    """The file's rows; raises :class:`FileProblem` (Danish) when it cannot be read at all."""
    if not data:
        raise FileProblem("Filen er tom.")
    if len(data) > MAX_BYTES:
        raise FileProblem(f"Filen er for stor (højst {MAX_BYTES // (1024 * 1024)} MB).")
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data)
    if data.startswith(_OLE_MAGIC):
        raise FileProblem(
            "Filen er i det gamle Excel-format (.xls). Åbn den i Excel og gem den som "
            "»Excel-projektmappe (.xlsx)« eller »CSV UTF-8«."
        )
    return _read_csv(data)
