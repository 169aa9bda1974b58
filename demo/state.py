"""The builder's shared state: the dates and rules every step uses, ids and bulk rows.

`DemoBuilder` (demo/builder.py) is put together from one part per concern (the centre, the
simulation, writing, the conferences, the next conference); each part is a subclass of
`BuilderState`, which declares everything they share.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import defaultdict
from typing import Any

from sqlalchemy import JSON, Table, func, select
from sqlalchemy.orm import Session

from conference import pro
from demo.groups import GroupPlanner
from demo.helpers import is_closed, weekday_on_or_after
from demo.parameters import CHUNK, CONFERENCE_WEEKDAY, HISTORY_DAYS, PREP_DAYS
from demo.records import SimGroup, SimPatient


class BuilderState:
    """Set up from the seed, the scale and `today`; filled in as the build goes."""

    # the centre (demo/centre.py)
    iv: dict[str, dict[str, Any]]  # the intervention catalogue by code
    staff_rows: list[dict[str, Any]]
    role_rows: list[dict[str, Any]]
    member_rows: list[dict[str, Any]]
    by_prof: dict[str, list[int]]  # staff ids by profession
    leaders: list[int]
    referents: list[int]
    teams: list[dict[str, Any]]
    team_by_id: dict[int, dict[str, Any]]
    planners: dict[str, GroupPlanner]
    patients: list[SimPatient]
    # written (demo/writing.py, demo/conferences.py)
    groups: list[SimGroup]
    conf_ids: dict[dt.date, int]

    def __init__(self, session: Session, scale: float, seed: int, today: dt.date) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.session = session
        self.scale = scale
        self.seed = seed
        self.today = today
        self.text_rng = random.Random(seed * 7919 + 17)
        self.upcoming = weekday_on_or_after(today, CONFERENCE_WEEKDAY)
        last = self.upcoming - dt.timedelta(days=7)
        while is_closed(last):
            last -= dt.timedelta(days=7)
        self.last_past = last
        self.first_conference = weekday_on_or_after(
            today - dt.timedelta(days=HISTORY_DAYS), CONFERENCE_WEEKDAY
        )
        if self.first_conference >= today:  # pragma: no cover - HISTORY_DAYS is two years
            self.first_conference = self.upcoming
        # How many active patients each due reason should at least have around today (few: the
        # next conference's agenda is made from them, with a few left over).
        self.quota = max(2, round(2 * math.sqrt(scale)))
        self.quota_a2 = max(5, round(10 * math.sqrt(scale)))
        self.due: dict[str, int] = defaultdict(int)
        self.planned_count: dict[str, int] = defaultdict(int)
        self.next_ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.instruments = [pro.INSTRUMENTS[code] for code in sorted(pro.INSTRUMENTS)]

    # ------------------------------------------------------------------ dates and rules

    def conf_after(self, day: dt.date) -> dt.date:
        """The conference where an event on `day` is presented (after time to prepare)."""
        return weekday_on_or_after(day + dt.timedelta(days=PREP_DAYS), CONFERENCE_WEEKDAY)

    def unpresented(self, day: dt.date) -> bool:
        """An event on `day` (before today) has not been presented at a past conference yet."""
        return self.conf_after(day) >= self.today

    def need(self, reason: str) -> bool:
        quota = self.quota_a2 if reason == "anden_opfoelgning" else self.quota
        return self.due[reason] < quota

    def _recent_workday(self, earliest: dt.date, rng: random.Random) -> dt.date | None:
        """A random workday before today, not before `earliest`, not yet presented."""
        lo = max(earliest, self.last_past - dt.timedelta(days=PREP_DAYS - 1))
        days = [
            lo + dt.timedelta(days=k)
            for k in range((self.today - lo).days)
            if (lo + dt.timedelta(days=k)).weekday() < 5
            and not is_closed(lo + dt.timedelta(days=k))
        ]
        return days[rng.randrange(len(days))] if days else None

    # ------------------------------------------------------------------ ids and writing

    def _next_id(self, table: Table) -> int:
        name = table.name
        if name not in self.next_ids:
            current = self.session.scalar(select(func.max(table.c.id))) or 0
            self.next_ids[name] = int(current) + 1
        value = self.next_ids[name]
        self.next_ids[name] = value + 1
        return value

    def _ids(self, table: Table, n: int) -> range:
        first = self._next_id(table)
        self.next_ids[table.name] = first + n
        return range(first, first + n)

    def _write(self, model: Any, rows: list[dict[str, Any]]) -> None:
        table: Table = model.__table__
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        if not rows:
            return
        if self.session.get_bind().dialect.driver == "psycopg" and len(rows) > 100:
            self._copy(table, rows)
            return
        for start in range(0, len(rows), CHUNK):
            self.session.execute(table.insert(), rows[start : start + CHUNK])

    def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL (psycopg 3): COPY ... FROM STDIN, several times faster than inserts."""
        columns = list(rows[0])
        as_json = [isinstance(table.c[name].type, JSON) for name in columns]
        names = ", ".join(f'"{name}"' for name in columns)
        raw = self.session.connection().connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
            f'COPY "{table.name}" ({names}) FROM STDIN'
        ) as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[name]) if is_json and row[name] is not None else row[name]
                        for name, is_json in zip(columns, as_json, strict=True)
                    ]
                )
