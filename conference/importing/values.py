"""Cell values as clinics write them: Danish and ISO dates, decimal comma, header names.

Every parser takes what a CSV gives (text) or what openpyxl gives (int, float, datetime, date,
text) and returns a Python value, or raises :class:`ValueProblem` with a Danish reason that the
import report shows next to the row and column. Blank cells are ``None`` everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

__all__ = [
    "ValueProblem",
    "cell_text",
    "header_key",
    "is_blank",
    "parse_date",
    "parse_decimal",
    "shown",
]


class ValueProblem(ValueError):
    """A cell that cannot be read; the message is Danish and names the value."""


# dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy (one or two digit day and month), an optional time after
_DANISH = re.compile(r"(\d{1,2})([-./])(\d{1,2})\2(\d{2,4})(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)?")
# yyyy-mm-dd, an optional time (ISO, with T or space, seconds, fraction and zone)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?")
_MINUS = "\u2212\u2013"  # minus sign and en dash, as typed in Word/Excel


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def cell_text(value: Any) -> str | None:
    """The cell as trimmed text (``None`` when blank); whole floats from Excel lose their '.0'."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def shown(value: Any) -> str:
    """A value as quoted in an error message."""
    text = cell_text(value)
    return "(tom)" if text is None else f"'{text}'"


def header_key(header: Any) -> str:
    """A header compared loosely: case, accents kept (æøå matter), spacing, '_', '-', ':'."""
    text = unicodedata.normalize("NFC", str(header or "")).replace("\ufeff", "")
    text = re.sub(r"[\s_\-:]+", " ", text.casefold()).strip()
    return text


def _date(year: int, month: int, day: int, original: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueProblem(f"'{original}' er ikke en gyldig dato") from None


def parse_date(value: Any) -> dt.date | None:
    """A date from dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy, ISO yyyy-mm-dd or an Excel date cell.

    A time after the date (e.g. '03.06.2026 10:15' from a questionnaire system) is ignored.
    Two-digit years are refused: '01-06-26' could be 1926 or 2026.
    """
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):  # bool is an int too
        raise ValueProblem(
            f"{shown(value)} er et tal, ikke en dato; formatér cellen som dato (dd-mm-åååå)"
        )
    text = str(value).strip()
    match = _ISO.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _date(year, month, day, text)
    match = _DANISH.fullmatch(text)
    if match:
        day, _sep, month, year = match.groups()
        if len(year) != 4:
            raise ValueProblem(f"'{text}': årstallet skal have fire cifre (dd-mm-åååå)")
        return _date(int(year), int(month), int(day), text)
    raise ValueProblem(f"'{text}' kan ikke læses som en dato (brug dd-mm-åååå)")


def parse_decimal(value: Any) -> float | None:
    """A number with decimal comma ('12,5'), decimal point ('12.5') or both ('1.234,5').

    With both marks, the last one is the decimal mark. Spaces (thousands) are ignored.
    """
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return float(value)  # the common case, "3": fast
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"{shown(value)} er ikke et tal")
    if isinstance(value, int | float):
        return float(value)
    text = "".join(str(value).split())
    for minus in _MINUS:
        text = text.replace(minus, "-")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise ValueProblem(f"{shown(value)} er ikke et tal")
    return float(text)
