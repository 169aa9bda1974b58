"""Danish dates, numbers and labels for the UI and texts (Babel, locale da_DK)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date, format_datetime, format_time, get_timezone
from babel.numbers import format_decimal

LOCALE = "da_DK"


def date_short(day: dt.date | None) -> str:
    """'25. nov. 2026' ('' for no date)."""
    return format_date(day, "d. MMM y", locale=LOCALE) if day else ""


def date_long(day: dt.date | None) -> str:
    """'onsdag den 25. november 2026'."""
    return format_date(day, "EEEE 'den' d. MMMM y", locale=LOCALE) if day else ""


def date_numeric(day: dt.date | None) -> str:
    """'25.11.2026', the form the record uses."""
    return format_date(day, "dd.MM.y", locale=LOCALE) if day else ""


def time_hm(moment: dt.datetime | dt.time | None) -> str:
    return format_time(moment, "HH:mm", locale=LOCALE) if moment else ""


def datetime_short(moment: dt.datetime | None) -> str:
    return format_datetime(moment, "d. MMM y 'kl.' HH:mm", locale=LOCALE) if moment else ""


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return format_decimal(round(value, digits), format=f"#,##0.{'#' * digits}", locale=LOCALE)


#: The clinic's time zone: stored timestamps are UTC (naive ones from SQLite too).
LOCAL_TZ = get_timezone("Europe/Copenhagen")


def local_clock(moment: dt.datetime | None) -> str:
    """'14:05': a stored timestamp on the Danish clock ('' for none)."""
    return format_time(moment, "HH:mm", tzinfo=LOCAL_TZ, locale=LOCALE) if moment else ""


def local_datetime(moment: dt.datetime | None) -> str:
    """'24. nov. 2026 kl. 14:05': a stored timestamp on the Danish clock ('' for none)."""
    if not moment:
        return ""
    return format_datetime(moment, "d. MMM y 'kl.' HH:mm", tzinfo=LOCAL_TZ, locale=LOCALE)
