"""Therapy groups (hold) as plain rules: session dates from the catalogue's rhythm, moving one
session, capacity, the one-group-of-a-kind rule and free places (shared/DOMAIN.md).

Plain data in, plain data out; a broken rule raises `GroupRuleError` with a Danish message that
the service layer hands on to the user unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conference.formatting import date_short

#: Interventions that are alternatives to each other: a patient is on at most one at a time.
STRESS_REDUCTION = frozenset({"afspaending", "teleafspaending", "mindfulness"})
#: Group interventions run online (the group is created as an online group).
ONLINE = frozenset({"teleafspaending"})
SATURDAY = 5
MAX_THERAPISTS = 2


class GroupRuleError(ValueError):
    """A group rule is broken; `str(error)` is the Danish message for the user."""


@dataclass(frozen=True)
class SpecialDay:
    """A session that is not one of the regular ones, e.g. Mindfulness' day of silence."""

    label: str
    minutes: int
    after_regular: int  # it falls between this regular session and the next


#: Mindfulness (3.8.2): 9 sessions of 2½ hours plus a 6-hour day of silence. The catalogue counts
#: the day among its 10 sessions; Tabel 4 places it between the 6th and the 7th session.
SPECIAL_DAYS: dict[str, tuple[SpecialDay, ...]] = {
    "mindfulness": (SpecialDay("Stilhedsdag", 360, after_regular=6),),
}


@dataclass(frozen=True)
class Rhythm:
    """What the catalogue says about a group intervention's sessions."""

    code: str
    name: str
    sessions: int | None
    interval_days: int | None
    session_minutes: int | None


@dataclass(frozen=True)
class PlannedSession:
    number: int
    date: dt.date
    minutes: int | None
    label: str | None = None


def _special_date(previous: dt.date, following: dt.date | None) -> dt.date:
    """The first Saturday after `previous`, unless that is not before the next session."""
    days = (SATURDAY - previous.weekday()) % 7 or 7
    candidate = previous + dt.timedelta(days=days)
    if following is not None and candidate >= following:
        candidate = previous + dt.timedelta(days=1)
    return candidate


def schedule(rhythm: Rhythm, start: dt.date) -> list[PlannedSession]:
    """Every session of a new group starting on `start`, from the intervention's rhythm.

    Regular sessions fall every `interval_days` from the start; special days (Mindfulness'
    Stilhedsdag) are placed between the regular sessions they belong between.
    """
    if not rhythm.sessions or rhythm.sessions < 1:
        raise GroupRuleError(f"{rhythm.name} har ingen holdgange i kataloget.")
    specials = SPECIAL_DAYS.get(rhythm.code, ())
    regular = rhythm.sessions - len(specials)
    if regular < 1:
        raise GroupRuleError(f"{rhythm.name} har ingen almindelige holdgange i kataloget.")
    if regular > 1 and not rhythm.interval_days:
        raise GroupRuleError(f"{rhythm.name} mangler et interval mellem holdgangene i kataloget.")
    step = dt.timedelta(days=rhythm.interval_days or 0)
    dates = [start + i * step for i in range(regular)]
    planned: list[tuple[dt.date, int, str | None]] = [
        (day, rhythm.session_minutes or 0, None) for day in dates
    ]
    for special in specials:
        after = min(special.after_regular, regular)
        previous = dates[after - 1]
        following = dates[after] if after < regular else None
        planned.append((_special_date(previous, following), special.minutes, special.label))
    planned.sort(key=lambda p: p[0])
    return [
        PlannedSession(i + 1, day, minutes or None, label)
        for i, (day, minutes, label) in enumerate(planned)
    ]


def check_move(dates: Sequence[dt.date], number: int, new_date: dt.date) -> None:
    """Moving session `number` (1-based) to `new_date` must keep the sessions in order."""
    if not 1 <= number <= len(dates):
        raise GroupRuleError("Holdgangen findes ikke på holdet.")
    before = dates[number - 2] if number > 1 else None
    after = dates[number] if number < len(dates) else None
    if before is not None and new_date <= before:
        raise GroupRuleError(
            f"Holdgang {number} skal ligge efter holdgang {number - 1} ({date_short(before)})."
        )
    if after is not None and new_date >= after:
        raise GroupRuleError(
            f"Holdgang {number} skal ligge før holdgang {number + 1} ({date_short(after)})."
        )


def free_places(capacity: int, enrolled: int) -> int:
    return max(capacity - enrolled, 0)


def check_capacity(group_name: str, capacity: int, enrolled: int) -> None:
    if enrolled >= capacity:
        raise GroupRuleError(
            f"{group_name} er fuldt: {enrolled} af {capacity} pladser er besat. "
            "Patienten er ikke tilmeldt."
        )


def kind_of(code: str) -> str:
    """Groups of one kind: the same intervention, or any of the stress-reduction groups."""
    return "stressreduktion" if code in STRESS_REDUCTION else code


@dataclass(frozen=True)
class GroupPeriod:
    """A group a patient is (or would be) enrolled on, as the same-kind rule needs it."""

    group_id: int
    code: str
    name: str
    start_date: dt.date
    end_date: dt.date


def same_kind_conflict(target: GroupPeriod, current: Iterable[GroupPeriod]) -> GroupPeriod | None:
    """A group of the same kind the patient is on that has not ended before `target` starts."""
    for other in current:
        if other.group_id == target.group_id:
            continue
        if kind_of(other.code) == kind_of(target.code) and other.end_date >= target.start_date:
            return other
    return None


def check_same_kind(patient_name: str, target: GroupPeriod, current: Iterable[GroupPeriod]) -> None:
    other = same_kind_conflict(target, current)
    if other is not None:
        raise GroupRuleError(
            f"{patient_name} er allerede tilmeldt {other.name} "
            f"({date_short(other.start_date)} – {date_short(other.end_date)}). "
            "En patient kan kun gå på ét hold af samme slags ad gangen. "
            "Patienten er ikke tilmeldt."
        )


def check_therapists(count: int) -> None:
    if count < 1:
        raise GroupRuleError("Vælg holdets behandlere (mindst én).")
    if count > MAX_THERAPISTS:
        raise GroupRuleError(f"Et hold har højst {MAX_THERAPISTS} behandlere.")


def default_name(intervention_name: str, start: dt.date) -> str:
    """'Afspænding – uge 3, 2027': the week the group starts is how the centre tells them apart."""
    year, week, _ = start.isocalendar()
    return f"{intervention_name} – uge {week}, {year}"


def dropout_text(dropped_out_on: dt.date | None) -> str:
    """'udgået af holdet 12. jan. 2027' (without the date when none is recorded).

    A patient who dropped out of a group may still be flagged for the holdkonference (3.10:
    problems that arose during the course); the flag says so wherever it is shown.
    """
    when = f" {date_short(dropped_out_on)}" if dropped_out_on else ""
    return f"udgået af holdet{when}"
