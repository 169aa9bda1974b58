"""Dates a clinic's file can hold: not before 1900, not before the patient's birth, and not
after the day of the import unless the date is a plan (a planned step, a group session).

``today`` is always passed in (the import's date); nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt

from conference.formatting import date_numeric

__all__ = ["EARLIEST", "date_problem"]

EARLIEST = dt.date(1900, 1, 1)


def date_problem(
    day: dt.date | None,
    *,
    today: dt.date,
    birth: dt.date | None = None,
    future: bool = False,
    what: str = "datoen",
    future_hint: str = "",
) -> str | None:
    """Why ``day`` cannot be right (Danish, for the row and column it came from), or None.

    ``future``: a plan, which may lie after ``today``. ``birth``: the patient's birth date,
    when known. ``future_hint`` is added to the message about a date after today.
    """
    if day is None:
        return None
    if day < EARLIEST:
        return f"{what} {date_numeric(day)} ligger før år 1900"
    if not future and day > today:
        return (f"{what} {date_numeric(day)} ligger efter dags dato ({date_numeric(today)})"
                + (f"; {future_hint}" if future_hint else ""))
    if birth is not None and day < birth:
        return (f"{what} {date_numeric(day)} ligger før patientens fødselsdato "
                f"({date_numeric(birth)})")
    return None
