"""Reading a file as clinics have it into a table of rows: CSV or Excel .xlsx.

CSV: ``;``, ``,`` or tab between columns (whichever the header line uses most); UTF-8 with or
without BOM, UTF-16 with BOM (Excel's "Unicode-tekst"), or Windows-1252 (Excel's "CSV (semikolon
separeret)" on a Danish Windows). Excel: the first worksheet of an .xlsx file; cells keep their
types (dates stay dates). The file's content decides the format, not its name.

Row numbers are the ones the user sees in Excel: the header is row 1, the first data row is 2.

What no clinic file holds is refused, with the row and column where it can be named:

- the file as a whole (:class:`FileProblem`): more than :data:`MAX_BYTES`, :data:`MAX_ROWS`
  rows or :data:`MAX_COLUMNS` columns (counted while reading: the file is read as a stream and
  reading stops at the limit; an Excel sheet that declares more rows is refused before its rows
  are read); NUL bytes (looked for before parsing); a CSV that mixes UTF-8 and Windows-1252 (it
  is not one encoding); letters that were saved with the wrong encoding (»Ã¸« for »ø«); a quote
  (") that does not close; an .xlsx whose parts unpack to more than :data:`MAX_UNPACKED` bytes
  or are compressed more than :data:`MAX_RATIO` times (a zip bomb: checked in the zip's
  directory before anything is unpacked), or with a big worksheet that does not declare its
  size (openpyxl would read it whole to find out);
- a cell (``Table.issues``): control characters (BEL, ESC, ...), characters that turn the
  writing direction (U+202E) and other invisible characters (U+200B); a cell in a column
  without a header (beyond the header row's last cell, or under a blank header);
- a warning (``Table.warnings``): text that looks like wrongly decoded letters (»Ã«, »â€«, »�«)
  in a file that is otherwise one clean encoding.

A cell with invisible characters is kept without them, so no later message shows them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from conference.importing.report import Issue
from conference.importing.values import is_blank

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "FileProblem",
    "Row",
    "Table",
    "read_table",
    "visible",
]

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls (and other Office 97-2003 files)
_UTF8_BOM = b"\xef\xbb\xbf"

MAX_BYTES = 50 * 1024 * 1024  # the file as uploaded
MAX_ROWS = 100_000  # rows under the header (ten times the PRO volume measured in issue 8)
MAX_COLUMNS = 1_000
MAX_LINE = 100_000  # characters in one line of a CSV file
MAX_UNPACKED = 300 * 1024 * 1024  # .xlsx: every part unpacked, as the zip's directory says
MAX_PART = 50 * 1024 * 1024  # .xlsx: a part other than a worksheet (openpyxl reads it whole)
MAX_RATIO = 100  # .xlsx: unpacked / packed size of a part over 1 MB
# .xlsx: a worksheet that does not declare its size (<dimension>, which Excel always writes) is
# scanned whole by openpyxl when the workbook is opened, before any row can be counted
MAX_UNDIMENSIONED = 20 * 1024 * 1024
_PEEK = 64 * 1024
_RATIO_FLOOR = 1024 * 1024
_MAX_PARTS = 10_000
_CHUNK = 1024 * 1024

# UTF-8 text that was once read as Windows-1252 and saved again: 'ø' became 'Ã¸', and so on.
# These pairs are never Danish: the file is refused.
_MOJIBAKE = ("Ã¦", "Ã¸", "Ã¥", "Ã†", "Ã˜", "Ã…", "Ã©", "Ã¼", "Ã¶", "Ã¤")
# The bytes 0x80-0xBF (the second byte of a UTF-8 letter) as Windows-1252 shows them.
_CONTINUATION = "".join(bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xC0))
# Likely wrong decoding, only warned: »Ã« or »Â« before such a character, »â€« (’ – “ ” …),
# and the replacement character � (a letter lost in an earlier conversion).
_LIKELY_MOJIBAKE = re.compile(
    f"Ã[{re.escape(_CONTINUATION)}]|Â[\u00a0-\u00bf]|â€|â‚¬|\ufffd"
)
# Characters a cell may not hold: C0 and C1 control characters except tab, line feed and
# carriage return; every Unicode format character (Cf: U+200B-U+200F, U+202A-U+202E,
# U+2060-U+2069, U+FEFF, soft hyphen, ...). Written out for speed; _forbidden() is the rule.
_FORBIDDEN_CLASS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_FORBIDDEN = re.compile(f"[{_FORBIDDEN_CLASS}]")
_ATTENTION = re.compile(f"[{_FORBIDDEN_CLASS}]|[ÃÂâ\ufffd]")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CONTROL_NAMES = {"\x00": "NUL", "\x07": "BEL", "\x08": "BS", "\x0b": "VT", "\x0c": "FF",
                  "\x1b": "ESC", "\x7f": "DEL"}
# Bytes only UTF-8 writes (a letter, a no-break space or ° §, or ’ – “ ” … €): in a file that
# is not UTF-8, they mean two encodings in one file.
_UTF8_SIGNS = re.compile(rb"\xc3[\x80-\xbf]|\xc2[\xa0-\xbf]|\xe2\x80[\x80-\xbf]|\xe2\x82\xac")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b")
_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b")
_SAVE_UTF8 = "Gem den som »CSV UTF-8«."


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
    issues: list[Issue] = field(default_factory=list)  # cells no import may take
    warnings: list[Issue] = field(default_factory=list)  # cells that look wrongly decoded


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _megabytes(size: int) -> str:
    return _thousands(round(size / (1024 * 1024)))


def _forbidden(char: str) -> bool:
    category = unicodedata.category(char)
    return (category == "Cc" and char not in "\t\n\r") or category == "Cf"


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if unicodedata.category(char) == "Cc":
        name = _CONTROL_NAMES.get(char)
        return f"styretegnet {name} ({code})" if name else f"styretegnet {code}"
    if char in _BIDI:
        return f"et tegn, der vender skriveretningen ({code})"
    return f"et usynligt tegn ({code})"


def visible(text: str) -> str:
    """``text`` without control and invisible format characters (for names shown back)."""
    return _FORBIDDEN.sub("", text) if _FORBIDDEN.search(text) else text


def _named(column: str) -> str:
    return column if column.startswith("kolonne ") else f"kolonne »{column}«"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# --------------------------------------------------------------------------- rows to a table


def _trim(values: Iterable[Any]) -> list[Any]:
    cells = list(values)
    end = len(cells)
    while end and is_blank(cells[end - 1]):
        end -= 1
    del cells[end:]
    return cells


class _Builder:
    """Takes the rows one at a time: limits, the header, and every cell's characters."""

    def __init__(self, description: str, beyond_hint: str = "") -> None:
        self.table: Table | None = None
        self.description = description
        self.beyond_hint = beyond_hint  # why a row may have more cells than the header
        self.read = 0  # rows taken, the header and blank rows included
        self.number = 1  # the row number of the last row taken (header = 1)
        self.blank_headers: dict[int, list[int]] = {}  # position -> rows with data there

    def add(self, values: Iterable[Any]) -> None:
        self.read += 1
        if self.read > MAX_ROWS + 1:
            raise FileProblem(
                f"Filen har flere end {_thousands(MAX_ROWS)} rækker under overskriften; der kan "
                f"højst importeres {_thousands(MAX_ROWS)} rækker ad gangen. Del filen op."
            )
        cells = _trim(values)
        if self.table is None:
            if cells:
                self._header(cells)
            return
        self.number += 1
        if len(cells) > MAX_COLUMNS:
            raise FileProblem(
                f"Række {self.number} har {_thousands(len(cells))} celler; der kan højst være "
                f"{_thousands(MAX_COLUMNS)} kolonner."
            )
        if not cells or all(is_blank(v) for v in cells):
            return
        self._check(self.number, cells)
        headers = self.table.headers
        if len(cells) > len(headers):
            first = next(i for i in range(len(headers), len(cells)) if not is_blank(cells[i]))
            self.table.issues.append(Issue(
                self.number, f"kolonne {first + 1}",
                f"rækken har {len(cells)} celler, men overskriftsrækken kun {len(headers)}: "
                f"celler uden overskrift kan ikke læses{self.beyond_hint}"))
        for position, rows in self.blank_headers.items():
            if position < len(cells) and not is_blank(cells[position]):
                rows.append(self.number)
        self.table.rows.append(Row(self.number, tuple(cells)))

    def _header(self, cells: list[Any]) -> None:
        if len(cells) > MAX_COLUMNS:
            raise FileProblem(
                f"Overskriftsrækken har {_thousands(len(cells))} kolonner; der kan højst være "
                f"{_thousands(MAX_COLUMNS)}."
            )
        if isinstance(cells[0], str):
            cells[0] = cells[0].lstrip("\ufeff")
        self.table = Table(headers=[], description=self.description)
        self._check(1, cells)
        self.table.headers = ["" if is_blank(h) else " ".join(str(h).split()) for h in cells]
        self.blank_headers = {i: [] for i, h in enumerate(self.table.headers) if not h}

    def _column(self, position: int) -> str:
        headers = self.table.headers if self.table else []
        if position < len(headers) and headers[position]:
            return headers[position]
        return f"kolonne {position + 1}"

    def _check(self, number: int, cells: list[Any]) -> None:
        """Refuse invisible characters (and keep the cell without them); find bad decoding."""
        texts = [v for v in cells if isinstance(v, str)]
        if not texts or not _ATTENTION.search("\n".join(texts)):
            return
        for position, value in enumerate(cells):
            if not isinstance(value, str) or not _ATTENTION.search(value):
                continue
            # a header cell is named by its position: its text is what is wrong
            column = self._column(position) if number > 1 else f"kolonne {position + 1}"
            bad = list(dict.fromkeys(ch for ch in value if _forbidden(ch)))
            if bad:
                value = cells[position] = "".join(ch for ch in value if not _forbidden(ch))
                shown = ", ".join(_describe(ch) for ch in bad[:3])
                more = f" og {len(bad) - 3} andre" if len(bad) > 3 else ""
                self.table.issues.append(Issue(
                    number, column,
                    f"teksten indeholder {shown}{more}, som ikke ses, men ændrer eller skjuler "
                    "teksten; fjern det, og gem filen igen"))
            sure = next((pair for pair in _MOJIBAKE if pair in value), None)
            if sure is not None:
                raise FileProblem(
                    f"Filen indeholder forkert kodede bogstaver (fx »{sure}« hvor der skulle stå "
                    f"»{sure.encode('cp1252').decode('utf-8')}«; første gang i række {number}, "
                    f"{_named(column)}): den er blevet læst og gemt med forkert tegnsæt. "
                    "Eksportér den igen fra kilden og gem som »CSV UTF-8«."
                )
            if _LIKELY_MOJIBAKE.search(value):
                shown = value if len(value) <= 60 else value[:59] + "…"
                self.table.warnings.append(Issue(
                    number, column,
                    f"»{shown}« ser ud til at have forkert kodede tegn (fx »Ã« eller »â€« hvor "
                    "der skulle stå et bogstav eller et tegn); kontrollér teksten i kilden"))

    def finish(self) -> Table:
        if self.table is None:
            raise FileProblem("Filen er tom: der er ingen overskriftsrække.")
        for position, rows in self.blank_headers.items():
            if rows:
                self.table.issues.append(Issue(
                    1, f"kolonne {position + 1}",
                    f"kolonnen har ingen overskrift, men data i {len(rows)} "
                    f"række{'r' if len(rows) != 1 else ''} (fx række {rows[0]}); giv den en "
                    "overskrift, eller slet den"))
        return self.table


# --------------------------------------------------------------------------- CSV


def _utf8_error(data: bytes, start: int = 0) -> int | None:
    """The offset of the first byte that is not UTF-8 (read in chunks), or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for offset in range(start, len(data), _CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[offset:offset + _CHUNK], final=offset + _CHUNK >= len(data))
        except UnicodeDecodeError as error:
            return offset - pending + error.start
    return None


def _encoding(data: bytes) -> tuple[str, str]:
    """(codec, description) of a CSV file, checked byte by byte; NUL bytes refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16"  # NUL is a character's half here: looked for per line
    nul = data.find(b"\x00")
    head = data[:4096]
    if nul >= 0 and head.count(0) > len(head) // 10:  # UTF-16 without BOM, or not text at all
        raise FileProblem(
            "Filen indeholder binære data og er hverken CSV eller Excel (.xlsx). "
            "Gem den som »CSV UTF-8« eller »Excel-projektmappe (.xlsx)«."
        )
    if nul >= 0:
        raise FileProblem(
            f"Filen indeholder et NUL-tegn (byte 0) på linje {_line_of(data, nul)}. Det hører "
            "ikke hjemme i en CSV-fil: filen er beskadiget eller sat sammen af flere filer. "
            "Eksportér den igen fra kilden."
        )
    bom = data.startswith(_UTF8_BOM)
    bad = _utf8_error(data, len(_UTF8_BOM) if bom else 0)
    if bad is None:
        return ("utf-8-sig", "UTF-8 med BOM") if bom else ("utf-8", "UTF-8")
    sign = _UTF8_SIGNS.search(data)
    if bom or sign is not None:
        utf8_line = 1 if sign is None else _line_of(data, sign.start())
        raise FileProblem(
            f"Filen blander to tegnsæt: linje {utf8_line} er skrevet som UTF-8, men linje "
            f"{_line_of(data, bad)} som Windows-1252 (eller et andet tegnsæt). Filen er altså "
            "ikke i ét tegnsæt, og bogstaverne kan ikke læses sikkert. Eksportér den igen fra "
            f"kilden. {_SAVE_UTF8}"
        )
    undefined = _CP1252_UNDEFINED.search(data)
    if undefined is not None:
        raise FileProblem(
            "Filens tegnsæt kan ikke genkendes (hverken UTF-8 eller Windows-1252; se linje "
            f"{_line_of(data, undefined.start())}). {_SAVE_UTF8}"
        )
    return "cp1252", "Windows-1252"


def _lines(stream: io.TextIOBase, counter: list[int]) -> Iterator[str]:
    """The file's lines, each at most MAX_LINE characters and without NUL (UTF-16)."""
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        counter[0] += 1
        if len(line) > MAX_LINE and not line.endswith(("\n", "\r")):
            raise FileProblem(
                f"Linje {counter[0]} er over {_thousands(MAX_LINE)} tegn lang; det er ikke en "
                "CSV-fil med én række pr. linje."
            )
        if "\x00" in line:
            raise FileProblem(
                f"Filen indeholder et NUL-tegn på linje {counter[0]}. Det hører ikke hjemme i en "
                "CSV-fil: filen er beskadiget eller sat sammen af flere filer. Eksportér den "
                "igen fra kilden."
            )
        yield line


def _delimiter(first_line: str) -> tuple[str, str]:
    counts = {";": first_line.count(";"), ",": first_line.count(","), "\t": first_line.count("\t")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    names = {";": "semikolon", ",": "komma", "\t": "tabulator"}
    return best, names[best]


def _quote_problem(error: csv.Error, row: int, first_line: int, line: int) -> FileProblem:
    """A Danish message for what Python's csv module found (strict mode)."""
    text = str(error)
    lines = f"linje {first_line}" if line <= first_line else f"linje {first_line}–{line}"
    if "end of data" in text or "field larger than field limit" in text:
        return FileProblem(
            f"Række {row}: et anførselstegn (\") i rækken lukkes aldrig, så resten af filen "
            f"({lines}) bliver læst som én celle. Tilføj det manglende anførselstegn, eller "
            "fjern det, og gem filen igen."
        )
    if "expected after" in text and line > first_line:
        return FileProblem(
            f"Række {row}: et anførselstegn (\") i rækken lukkes ikke på linje {first_line}, så "
            f"de følgende linjer bliver læst som en del af samme celle ({lines}). Tilføj det "
            "manglende anførselstegn, eller fjern det, og gem filen igen."
        )
    if "expected after" in text:
        return FileProblem(
            f"Række {row} ({lines}): efter et afsluttende anførselstegn (\") står der mere tekst "
            "i samme celle. Et anførselstegn inde i en celle skrives som to (\"\"), eller cellen "
            "skal ikke begynde med et anførselstegn."
        )
    return FileProblem(f"Filen kan ikke læses som CSV ({lines}): rækken har et ugyldigt format.")


def _read_csv(data: bytes) -> Table:
    encoding, described = _encoding(data)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    counter = [0]
    lines = _lines(stream, counter)
    peeked: list[str] = []
    try:
        for line in lines:
            peeked.append(line)
            if line.strip():
                break
            if len(peeked) > MAX_ROWS:
                break
        delimiter, name = _delimiter(peeked[-1] if peeked else "")
        builder = _Builder(f"CSV, {described}, {name}", " (et skilletegn for meget, eller et "
                                                        "anførselstegn der mangler?)")
        reader = csv.reader(chain(peeked, lines), delimiter=delimiter, strict=True)
        last_line = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise _quote_problem(error, builder.number + 1, last_line + 1,
                                     reader.line_num) from None
            last_line = reader.line_num
            builder.add(values)
    except UnicodeDecodeError:
        raise FileProblem(f"Filen er ikke gyldig {described}. {_SAVE_UTF8}") from None
    return builder.finish()


# --------------------------------------------------------------------------- Excel


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb from the sizes the zip's directory declares, before unpacking.

    Python's zipfile never unpacks a part beyond its declared size (and checks its CRC), so
    the declared sizes bound what reading the file can cost."""
    parts = archive.infolist()
    if len(parts) > _MAX_PARTS:
        raise FileProblem(f"Excel-filen har {_thousands(len(parts))} dele; det har en "
                          "almindelig projektmappe ikke. Gem den igen fra Excel.")
    total = 0
    for part in parts:
        total += part.file_size
        worksheet = part.filename.startswith("xl/worksheets/")
        if part.file_size > _RATIO_FLOOR and part.file_size > MAX_RATIO * max(
                part.compress_size, 1):
            ratio = part.file_size // max(part.compress_size, 1)
            raise FileProblem(
                f"Excel-filen kan ikke åbnes sikkert: en del af den ({part.filename}) fylder "
                f"{_megabytes(part.file_size)} MB udpakket, {_thousands(ratio)} gange mere end "
                f"pakket (højst {MAX_RATIO} gange). Sådan ser en almindelig projektmappe ikke "
                "ud; gem filen igen fra Excel, eller brug »CSV UTF-8«."
            )
        if not worksheet and part.file_size > MAX_PART:
            raise FileProblem(
                f"Excel-filen kan ikke åbnes sikkert: delen {part.filename} fylder "
                f"{_megabytes(part.file_size)} MB udpakket (højst {_megabytes(MAX_PART)} MB)."
            )
    if total > MAX_UNPACKED:
        raise FileProblem(
            f"Excel-filen fylder {_megabytes(total)} MB udpakket (højst "
            f"{_megabytes(MAX_UNPACKED)} MB). Del den op, eller gem den som »CSV UTF-8«."
        )
    for part in parts:
        if not part.filename.startswith("xl/worksheets/") or part.file_size <= MAX_UNDIMENSIONED:
            continue
        with archive.open(part) as source:
            head = source.read(_PEEK)  # unpacks only this much
        declared = _DIMENSION.search(head)
        data = _SHEET_DATA.search(head)
        if declared is None or (data is not None and data.start() < declared.start()):
            raise FileProblem(
                f"Excel-filen kan ikke læses sikkert: et ark ({part.filename}) fylder "
                f"{_megabytes(part.file_size)} MB udpakket uden at angive sin størrelse, som "
                "Excel altid gør. Åbn filen i Excel, og gem den igen, eller gem den som "
                "»CSV UTF-8«."
            )


def _unescape(text: str) -> str:
    """Excel writes control characters (and a carriage return) as _xHHHH_ in the file."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _excel_value(value: Any) -> Any:
    if isinstance(value, str):
        return _unescape(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


_NOT_EXCEL = ("Filen kan ikke læses som Excel-projektmappe (.xlsx): den er beskadiget eller ikke "
              "en Excel-fil. Åbn den i Excel, og gem den igen som »Excel-projektmappe (.xlsx)« "
              "eller »CSV UTF-8«.")


def _read_xlsx(data: bytes) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_archive(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        if isinstance(error, FileProblem):
            raise
        raise FileProblem(_NOT_EXCEL) from None

    from openpyxl import load_workbook  # imported here: only .xlsx files need it

    with warnings.catch_warnings():  # openpyxl's English warnings are no use to the reader
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - whatever a broken file makes openpyxl raise
            raise FileProblem(_NOT_EXCEL) from None
        try:
            if not workbook.worksheets:
                raise FileProblem("Excel-filen har intet regneark.")
            sheet = workbook.worksheets[0]
            if (sheet.max_row or 0) - (sheet.min_row or 1) > MAX_ROWS:  # as the sheet declares
                raise FileProblem(
                    f"Excel-arket har {_thousands(sheet.max_row - (sheet.min_row or 1))} rækker "
                    f"under overskriften; der kan højst importeres {_thousands(MAX_ROWS)} rækker "
                    "ad gangen. Del filen op."
                )
            sheet.reset_dimensions()  # the declared size may be too small: read what is there
            builder = _Builder(f"Excel (.xlsx), arket »{visible(sheet.title)}«")
            for values in sheet.iter_rows(values_only=True):
                builder.add(_excel_value(v) for v in values)
            return builder.finish()
        except FileProblem:
            raise
        except Exception:  # noqa: BLE001
            raise FileProblem(_NOT_EXCEL) from None
        finally:
            workbook.close()


def read_table(data: bytes) -> Table:
    """The file's rows; raises :class:`FileProblem` (Danish) when it cannot be read at all."""
    if not data:
        raise FileProblem("Filen er tom.")
    if len(data) > MAX_BYTES:
        raise FileProblem(
            f"Filen er for stor ({_megabytes(len(data))} MB; højst "
            f"{_megabytes(MAX_BYTES)} MB). Del den op i flere filer."
        )
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data)
    if data.startswith(_OLE_MAGIC):
        raise FileProblem(
            "Filen er i det gamle Excel-format (.xls). Åbn den i Excel og gem den som "
            "»Excel-projektmappe (.xlsx)« eller »CSV UTF-8«."
        )
    return _read_csv(data)
