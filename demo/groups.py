"""Group cohorts: when each group intervention starts a cohort, and who joins which."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from demo.helpers import is_closed, weekday_on_or_after
from demo.records import SimGroup


class GroupPlanner:
    """Cohorts of one group intervention: a new one starts every `cadence` days on a weekday;
    a parallel cohort opens when one is full, so capacity is never exceeded."""

    def __init__(
        self,
        intervention: dict[str, Any],
        cadence: int,
        weekday: int,
        starts_at: dt.time,
        horizon_start: dt.date,
        therapists: Callable[[int], tuple[int, int]],
    ) -> None:
        self.intervention = intervention
        self.code = intervention["code"]
        self.cadence = cadence
        self.anchor = weekday_on_or_after(horizon_start, weekday)
        self.starts_at = starts_at
        self.therapists = therapists
        self.slots: dict[int, list[SimGroup]] = {}
        self.groups: list[SimGroup] = []

    def _slot(self, earliest: dt.date) -> int:
        return max(0, math.ceil((earliest - self.anchor).days / self.cadence))

    def enrol(self, earliest: dt.date) -> SimGroup:
        slot = self._slot(earliest)
        cohorts = self.slots.setdefault(slot, [])
        if not cohorts or cohorts[-1].enrolled >= cohorts[-1].capacity:
            cohorts.append(self._new_group(slot, len(cohorts) + 1))
        group = cohorts[-1]
        group.enrolled += 1
        return group

    def _new_group(self, slot: int, parallel: int) -> SimGroup:
        iv = self.intervention
        start = self.anchor + dt.timedelta(days=slot * self.cadence)
        n = iv["sessions"] or 1
        interval = dt.timedelta(days=iv["interval_days"] or 7)
        dates: list[dt.date] = []
        day = start
        for _ in range(n):
            while is_closed(day):  # no sessions between Christmas and New Year
                day += dt.timedelta(days=7)
            dates.append(day)
            day += interval
        minutes: list[int | None] = [iv["session_minutes"]] * n
        labels: list[str | None] = [None] * n
        starts: list[dt.time] = [self.starts_at] * n
        if self.code == "mindfulness" and n >= 2:
            # MBSR: 9 weekly sessions and a 6-hour day of silence as the last one.
            minutes[-1] = 360
            labels[-1] = "Stilhedsdag"
            starts[-1] = dt.time(9, 0)
        year, week, _ = start.isocalendar()
        name = f"{iv['name']} – hold {year}-{week:02d}"
        if parallel > 1:
            name += f" ({parallel})"
        group = SimGroup(
            code=self.code,
            intervention_id=iv["id"],
            name=name,
            dates=dates,
            minutes=minutes,
            labels=labels,
            starts_at=starts,
            capacity=int(iv["capacity"] or 10),
            online=self.code == "teleafspaending",
            therapists=self.therapists(len(self.groups)),
            slot=slot,
            parallel=parallel,
        )
        self.groups.append(group)
        return group
