"""Small helpers: the centre's calendar (closed days, workdays, local times) and draws."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from demo.parameters import DAY, TZ


def is_closed(day: dt.date) -> bool:
    """The centre is closed between Christmas and New Year (24 December – 1 January)."""
    return (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)


def weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    """The first `weekday` on or after `day` when the centre is open."""
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    while is_closed(day):
        day += dt.timedelta(days=7)
    return day


def workday(day: dt.date) -> dt.date:
    """The day itself, or the next weekday when the centre is open."""
    while day.weekday() >= 5 or is_closed(day):
        day += DAY
    return day


def weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def clip(value: float, lo: float, hi: float) -> float:
    return lo if value < lo else hi if value > hi else value


def ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def local_time(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Copenhagen wall-clock time as an aware UTC datetime (SQLite keeps the wall clock of
    the value it is given and drops the offset, so store UTC there as everywhere else)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(dt.UTC)


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - int((on.month, on.day) < (birth.month, birth.day))
