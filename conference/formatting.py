"""Danish dates, numbers and labels for the UI and texts (Babel, locale da_DK).

The one way to show a time: a stored timestamp (UTC; a naive one, as SQLite can give, is UTC
too) is shown on the Danish clock (Europe/Copenhagen) by `local_clock` / `local_datetime`
(`local_datetime_numeric` for CSV, `to_local` for an Excel cell). `time_hm` is only for a
time of day that already is on the Danish clock (a meeting's start), never for a timestamp.
tests/unit/test_house_rules.py keeps hour/minute formatting out of the rest of the code.
"""

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


def time_hm(moment: dt.time | None) -> str:
    """'09:00': a time of day already on the Danish clock ('' for none). A stored timestamp
    goes through `local_clock` instead (refused here, so it cannot be shown in UTC)."""
    if isinstance(moment, dt.datetime):
        raise TypeError("time_hm takes a time of day; show a timestamp with local_clock")
    return format_time(moment, "HH:mm", locale=LOCALE) if moment else ""


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return format_decimal(round(value, digits), format=f"#,##0.{'#' * digits}", locale=LOCALE)


#: The clinic's time zone: stored timestamps are UTC (naive ones from SQLite too).
LOCAL_TZ = get_timezone("Europe/Copenhagen")


def to_local(moment: dt.datetime) -> dt.datetime:
    """The same instant on the Danish clock (aware); a naive timestamp is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_TZ)


def local_day(moment: dt.datetime) -> dt.date:
    """The Danish calendar day of a stored timestamp."""
    return to_local(moment).date()


def local_clock(moment: dt.datetime | None) -> str:
    """'14:05': a stored timestamp on the Danish clock ('' for none)."""
    return format_time(to_local(moment), "HH:mm", locale=LOCALE) if moment else ""


def local_datetime(moment: dt.datetime | None) -> str:
    """'24. nov. 2026 kl. 14:05': a stored timestamp on the Danish clock ('' for none)."""
    if not moment:
        return ""
    return format_datetime(to_local(moment), "d. MMM y 'kl.' HH:mm", locale=LOCALE)


def local_datetime_numeric(moment: dt.datetime | None) -> str:
    """'24-11-2026 14:05' (what a Danish Excel reads from CSV), on the Danish clock."""
    return format_datetime(to_local(moment), "dd-MM-y HH:mm", locale=LOCALE) if moment else ""
