"""A conference's agenda: proposals from the due rules, carry-over, speaking order, time budget
and the live timer. Plain data in, plain data out (shared/DOMAIN.md "The conference").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from conference import pathway

#: Default split of the 2½-hour meeting (minutes); the rest goes to the patient conference.
GROUP_MINUTES_PER_GROUP = 1
GROUP_MINUTES_PER_FLAG = 3
DEVELOPMENT_MINUTES = 20
MIN_CASE_SECONDS = 3 * 60


#: Reasons that on their own make a routine status: listed for information, not discussed.
ROUTINE_REASONS = frozenset({"anden_opfoelgning"})


@dataclass(frozen=True)
class Proposal:
    """A patient the rules put on the agenda, with why, and on which list."""

    patient_id: int
    reason: str  # the first (main) reason code
    reason_text: str
    carried_from_id: int | None = None
    for_discussion: bool = True


def proposals(
    courses: Mapping[int, pathway.PatientCourse],
    conference_date: dt.date,
    already_on: set[int],
) -> list[Proposal]:
    """Every patient due at `conference_date` who is not already on its agenda."""
    result = []
    for patient_id in sorted(courses):
        if patient_id in already_on:
            continue
        reasons = pathway.due_reasons(courses[patient_id], conference_date)
        if reasons:
            text = "; ".join(r.text for r in reasons)
            routine = {r.code for r in reasons} <= ROUTINE_REASONS
            result.append(
                Proposal(patient_id, reasons[0].code, text, for_discussion=not routine)
            )
    return result


@dataclass(frozen=True)
class Unfinished:
    """A case from an earlier conference that was not reached (or left open)."""

    item_id: int
    patient_id: int
    reason: str
    reason_text: str | None
    for_discussion: bool = True


def carry_over(unfinished: Sequence[Unfinished], already_on: set[int]) -> list[Proposal]:
    """Cases not reached last time come first on the next agenda, marked as carried over."""
    result = []
    seen = set(already_on)
    for case in unfinished:
        if case.patient_id in seen:
            continue
        seen.add(case.patient_id)
        text = "Ikke nået sidst" + (f": {case.reason_text}" if case.reason_text else "")
        result.append(Proposal(
            case.patient_id, case.reason, text, carried_from_id=case.item_id,
            for_discussion=case.for_discussion,
        ))
    return result


@dataclass(frozen=True)
class TimePlan:
    total_minutes: int
    group_minutes: int
    development_minutes: int
    case_minutes: int
    default_case_seconds: int


def time_plan(total_minutes: int, n_groups: int, n_flags: int, n_cases: int) -> TimePlan:
    """Split the meeting: holdkonference (a minute per group, more per patient the therapists
    bring), faglig udvikling, and an equal share of the rest per case."""
    groups = n_groups * GROUP_MINUTES_PER_GROUP + n_flags * GROUP_MINUTES_PER_FLAG
    development = DEVELOPMENT_MINUTES
    cases = max(total_minutes - groups - development, 0)
    per_case = cases * 60 // n_cases if n_cases else cases * 60
    return TimePlan(total_minutes, groups, development, cases, max(per_case, MIN_CASE_SECONDS))


@dataclass(frozen=True)
class Clock:
    """Elapsed and remaining time of one case or of the meeting (seconds)."""

    elapsed: int
    budget: int | None

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.elapsed

    @property
    def over(self) -> bool:
        return self.budget is not None and self.elapsed > self.budget


def case_clock(
    now: dt.datetime, started_at: dt.datetime | None, seconds_used: int | None, budget: int | None
) -> Clock:
    """Time spent on a case: earlier stretches plus the running one (if it is running)."""
    running = int((now - started_at).total_seconds()) if started_at else 0
    return Clock(max(running, 0) + (seconds_used or 0), budget)


def meeting_clock(now: dt.datetime, started_at: dt.datetime | None, total_minutes: int) -> Clock:
    elapsed = int((now - started_at).total_seconds()) if started_at else 0
    return Clock(max(elapsed, 0), total_minutes * 60)


def format_seconds(seconds: int | None) -> str:
    """'12:05', '-3:20' for over-run, '1:02:00' past an hour."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def move(order: Sequence[int], item_id: int, steps: int) -> list[int]:
    """The speaking order with `item_id` moved `steps` places (negative = earlier)."""
    result = list(order)
    index = result.index(item_id)
    target = min(max(index + steps, 0), len(result) - 1)
    result.insert(target, result.pop(index))
    return result


def neighbour(order: Sequence[int], current: int | None, step: int) -> int | None:
    """The case after (step=1) or before (step=-1) `current`; the first when none is current."""
    if not order:
        return None
    if current not in order:
        return order[0] if step > 0 else None
    index = order.index(current) + step
    return order[index] if 0 <= index < len(order) else None


NAME_MODES = {
    "fuldt": "Fulde navn",
    "fornavn": "Fornavn og forbogstav",
    "initialer": "Initialer",
}


def display_name(first: str, last: str, mode: str) -> str:
    """How a patient is named on the projected board (a centre setting); never the CPR."""
    if mode == "initialer":
        parts = [*first.split(), *last.split()]
        return ".".join(p[0].upper() for p in parts if p) + "."
    if mode == "fornavn":
        return f"{first} {last[:1]}." if last else first
    return f"{first} {last}"
