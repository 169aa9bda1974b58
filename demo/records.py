"""What the simulation produces per patient, before anything is written: plain records."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from demo.helpers import age_on


class Halt(Exception):  # noqa: N818 - control flow, not an error
    """The simulated main course stops here: a step is planned in the future, or it ended."""

    def __init__(self, kind: str, day: dt.date | None = None) -> None:
        super().__init__(kind)
        self.kind = kind  # "planned" | "dropout" | "ended" | "completed"
        self.day = day


@dataclass(eq=False)
class SimGroup:
    code: str
    intervention_id: int
    name: str
    dates: list[dt.date]
    minutes: list[int | None]
    labels: list[str | None]
    starts_at: list[dt.time]
    capacity: int
    online: bool
    therapists: tuple[int, int]
    slot: int
    parallel: int
    enrolled: int = 0
    id: int = 0
    session_ids: list[int] = field(default_factory=list)

    @property
    def start(self) -> dt.date:
        return self.dates[0]

    @property
    def end(self) -> dt.date:
        return self.dates[-1]


@dataclass(eq=False)
class SimEvent:
    code: str
    status: str
    planned: dt.date | None
    start: dt.date | None = None
    end: dt.date | None = None
    group: SimGroup | None = None
    staff: int | None = None
    finding: str | None = None
    note: str | None = None
    main: bool = True

    @property
    def day(self) -> dt.date | None:
        return self.end or self.start or self.planned


@dataclass(eq=False)
class SimEnrolment:
    group: SimGroup
    status: str
    enrolled_on: dt.date
    attendance: list[str]
    handover_note: str | None = None
    id: int = 0


@dataclass(eq=False)
class SimPresentation:
    conf: dt.date
    reason: str
    source: str = "regel"
    list: str = "droeftelse"
    status: str = "droeftet"
    question: str | None = None
    reason_detail: str | None = None
    decision: str | None = None
    carried_from: SimPresentation | None = None
    added_by: int | None = None
    id: int = 0


@dataclass(eq=False)
class SimPatient:
    idx: int
    id: int
    rng: random.Random
    rng_addon: random.Random
    rng_pro: random.Random
    first_name: str
    last_name: str
    sex: str
    birth_date: dt.date
    referral: dt.date
    cpr: str
    team: int
    pal: int
    nurse: int
    diagnosis: str
    pain_years: float
    distribution: str
    work: str
    status: str = "aktiv"
    discharged_on: dt.date | None = None
    events: list[SimEvent] = field(default_factory=list)
    enrolments: list[SimEnrolment] = field(default_factory=list)
    pro: list[tuple[str, dt.date, list[tuple[str, list, float | None]]]] = field(
        default_factory=list
    )
    presentations: list[SimPresentation] = field(default_factory=list)
    concerns: list[tuple[int, dt.date, str, dt.date | None]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # due reasons not yet presented
    dropped_on: dt.date | None = None
    severity: float = 0.0
    response: float = 0.0
    uniques: dict[str, float] = field(default_factory=dict)

    @property
    def age(self) -> int:
        return age_on(self.birth_date, self.referral)



def ordered_events(p: SimPatient) -> list[SimEvent]:
    """A patient's events by start (or planned) day, main course before add-ons."""

    def key(e: SimEvent) -> tuple[dt.date, int]:
        return (e.start or e.planned or dt.date.max, 0 if e.main else 1)

    return sorted(p.events, key=key)
