"""Centre settings: demo mode, the conference weekday, start time and length, and how patients
are named on the projected board.

The settings are `setting` rows read with defaults. An administrator changes them through
`save_conference_settings` (permission CHANGE_SETTINGS), which checks the values, refuses a
change based on values another administrator has changed since, and writes the changed rows
and one audit row in the caller's transaction.

A conference keeps the date, start time and length it was created with: a changed weekday,
start time or length applies to conferences created from then on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conference.agenda import NAME_MODES
from conference.formatting import time_hm
from conference.permissions import Action
from conference.services import audit
from conference.services.access import authorize
from conference.services.errors import InvalidInput
from db.models import AuditLog, Conference, ConferenceStatus, Setting, Staff

WEEKDAY_KEY = "conference_weekday"
START_KEY = "conference_start"
MINUTES_KEY = "conference_minutes"
NAME_MODE_KEY = "projection_name"
DEMO_KEY = "demo"

DEFAULT_WEEKDAY = 2  # Wednesday (Monday = 0)
DEFAULT_START = dt.time(9, 0)
DEFAULT_MINUTES = 150
DEFAULT_NAME_MODE = "fornavn"

WEEKDAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
CONFERENCE_WEEKDAYS = range(5)  # mandag–fredag
MIN_MINUTES, MAX_MINUTES = 30, 300
EARLIEST_START, LATEST_START = dt.time(6, 0), dt.time(18, 0)


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else default


def is_demo(session: Session) -> bool:
    return get_setting(session, DEMO_KEY) == "1"


# --------------------------------------------------------------------------- reading values


def _weekday(raw: str | None) -> int:
    try:
        value = int(raw) if raw is not None else DEFAULT_WEEKDAY
    except ValueError:
        return DEFAULT_WEEKDAY
    return value if 0 <= value <= 6 else DEFAULT_WEEKDAY


def _start(raw: str | None) -> dt.time:
    try:
        return dt.time.fromisoformat(raw) if raw else DEFAULT_START
    except ValueError:
        return DEFAULT_START


def _minutes(raw: str | None) -> int:
    try:
        value = int(raw) if raw else DEFAULT_MINUTES
    except ValueError:
        return DEFAULT_MINUTES
    return value if value > 0 else DEFAULT_MINUTES


def _name_mode(raw: str | None) -> str:
    return raw if raw in NAME_MODES else DEFAULT_NAME_MODE


def conference_weekday(session: Session) -> int:
    return _weekday(get_setting(session, WEEKDAY_KEY))


def next_conference_date(session: Session, today: dt.date) -> dt.date:
    """The next conference on or after today: a planned one if it exists, else the weekday."""
    planned = session.scalar(
        select(Conference.date)
        .where(Conference.date >= today, Conference.status != ConferenceStatus.CLOSED)
        .order_by(Conference.date)
        .limit(1)
    )
    if planned:
        return planned
    days = (conference_weekday(session) - today.weekday()) % 7
    return today + dt.timedelta(days=days)


@dataclass(frozen=True)
class ConferenceSettings:
    """The settings an administrator may change, as they are now (defaults filled in)."""

    weekday: int  # Monday = 0
    start: dt.time
    minutes: int
    name_mode: str  # a key of conference.agenda.NAME_MODES

    def stored(self) -> dict[str, str]:
        """The values as `setting` rows hold them."""
        return {
            WEEKDAY_KEY: str(self.weekday),
            START_KEY: self.start.isoformat(timespec="minutes"),
            MINUTES_KEY: str(self.minutes),
            NAME_MODE_KEY: self.name_mode,
        }


@dataclass(frozen=True)
class SettingsView:
    """What the settings page shows: the values, demo mode and the last change."""

    settings: ConferenceSettings
    demo: bool
    changed_at: dt.datetime | None
    changed_by: str | None


EDITABLE_KEYS = (WEEKDAY_KEY, START_KEY, MINUTES_KEY, NAME_MODE_KEY)
FIELD_LABELS = {
    WEEKDAY_KEY: "ugedag",
    START_KEY: "starttidspunkt",
    MINUTES_KEY: "varighed",
    NAME_MODE_KEY: "navnevisning",
}


def _rows(session: Session) -> dict[str, str]:
    """The stored rows of the editable settings and demo mode (one statement)."""
    rows = session.execute(
        select(Setting.key, Setting.value).where(Setting.key.in_([*EDITABLE_KEYS, DEMO_KEY]))
    )
    return {key: value for key, value in rows}


def _from_rows(rows: dict[str, str]) -> ConferenceSettings:
    return ConferenceSettings(
        weekday=_weekday(rows.get(WEEKDAY_KEY)),
        start=_start(rows.get(START_KEY)),
        minutes=_minutes(rows.get(MINUTES_KEY)),
        name_mode=_name_mode(rows.get(NAME_MODE_KEY)),
    )


def conference_settings(session: Session) -> ConferenceSettings:
    return _from_rows(_rows(session))


def settings_view(session: Session, actor: Staff) -> SettingsView:
    """The settings page's data (administrators only)."""
    authorize(session, actor, Action.CHANGE_SETTINGS)
    rows = _rows(session)
    last = session.execute(
        select(AuditLog.at, Staff.name)
        .outerjoin(Staff, Staff.id == AuditLog.actor_id)
        .where(AuditLog.entity == Setting.__tablename__)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    ).first()
    return SettingsView(
        settings=_from_rows(rows),
        demo=rows.get(DEMO_KEY) == "1",
        changed_at=last[0] if last else None,
        changed_by=last[1] if last else None,
    )


# --------------------------------------------------------------------------- describing values


def weekday_name(weekday: int) -> str:
    return WEEKDAY_NAMES[weekday] if 0 <= weekday <= 6 else str(weekday)


def describe(key: str, settings: ConferenceSettings) -> str:
    """One setting's value in Danish, for messages."""
    if key == WEEKDAY_KEY:
        return weekday_name(settings.weekday)
    if key == START_KEY:
        return f"kl. {time_hm(settings.start)}"
    if key == MINUTES_KEY:
        return f"{settings.minutes} min"
    return NAME_MODES.get(settings.name_mode, settings.name_mode).lower()


def differences(a: ConferenceSettings, b: ConferenceSettings) -> list[str]:
    """The keys whose values differ."""
    one, other = a.stored(), b.stored()
    return [key for key in EDITABLE_KEYS if one[key] != other[key]]


# --------------------------------------------------------------------------- changing


class SettingsConflict(InvalidInput):
    """Another administrator changed the settings after the form was drawn. `current` holds
    what is stored now, `changed` the keys that differ from what the form was based on."""

    def __init__(self, message: str, current: ConferenceSettings, changed: list[str]) -> None:
        super().__init__(message)
        self.current = current
        self.changed = changed


def _conflict(seen: ConferenceSettings, current: ConferenceSettings) -> SettingsConflict:
    changed = differences(seen, current)
    what = "; ".join(
        f"{FIELD_LABELS[key]}: du så {describe(key, seen)}, nu {describe(key, current)}"
        for key in changed
    )
    return SettingsConflict(
        "En anden administrator har netop ændret indstillingerne"
        + (f" ({what})" if what else "")
        + ". Intet er gemt. Dine valg står stadig i formularen: gem igen for at bruge dem.",
        current,
        changed,
    )


def validate(
    weekday: object, start: object, minutes: object, name_mode: object
) -> ConferenceSettings:
    """The values as settings, or InvalidInput with a Danish message naming what is wrong."""
    problems = []
    if isinstance(weekday, bool) or not isinstance(weekday, int) or (
        weekday not in CONFERENCE_WEEKDAYS
    ):
        problems.append("Vælg konferencens ugedag blandt mandag til fredag.")
    if not isinstance(start, dt.time) or start.tzinfo is not None:
        problems.append("Angiv starttidspunktet som et klokkeslæt, fx 09:00.")
    else:
        start = start.replace(second=0, microsecond=0)
        if not EARLIEST_START <= start <= LATEST_START:
            problems.append(
                f"Starttidspunktet skal ligge mellem kl. {time_hm(EARLIEST_START)} "
                f"og kl. {time_hm(LATEST_START)}."
            )
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not (
        MIN_MINUTES <= minutes <= MAX_MINUTES
    ):
        problems.append(
            f"Varigheden skal være et helt antal minutter mellem {MIN_MINUTES} og {MAX_MINUTES}."
        )
    if not isinstance(name_mode, str) or name_mode not in NAME_MODES:
        problems.append(
            "Vælg navnevisningen blandt: "
            + ", ".join(label.lower() for label in NAME_MODES.values()) + "."
        )
    if problems:
        raise InvalidInput(" ".join(problems))
    return ConferenceSettings(weekday, start, minutes, name_mode)


class _RaceLost(Exception):
    """A conditional write found the row changed by someone else."""


def _write(session: Session, key: str, old: str | None, new: str) -> None:
    """Set one row if it still holds `old` (None: absent), else _RaceLost."""
    if old is None:
        try:
            with session.begin_nested():
                session.execute(insert(Setting).values(key=key, value=new))
        except IntegrityError as error:
            raise _RaceLost from error
        return
    result = session.execute(
        update(Setting).where(Setting.key == key, Setting.value == old).values(value=new)
    )
    if result.rowcount != 1:
        raise _RaceLost


def save_conference_settings(
    session: Session,
    actor: Staff,
    *,
    weekday: int,
    start: dt.time,
    minutes: int,
    name_mode: str,
    seen: ConferenceSettings,
) -> ConferenceSettings:
    """Change the centre's conference settings (administrators only).

    `seen` is what the form was drawn from: if another administrator has changed any setting
    since, nothing is saved (SettingsConflict, with what is stored now). Only changed rows are
    written, each on the condition that it still holds what was read, with one audit row of
    the values before and after. Conferences already created keep their date, start time and
    length; the new values apply to conferences created from now on."""
    authorize(session, actor, Action.CHANGE_SETTINGS)
    wanted = validate(weekday, start, minutes, name_mode)
    rows = _rows(session)
    current = _from_rows(rows)
    if differences(seen, current):
        raise _conflict(seen, current)
    changed = differences(current, wanted)
    if not changed:
        raise InvalidInput("Indstillingerne er uændrede; der er ikke gemt noget.")
    before, after = current.stored(), wanted.stored()
    try:
        with session.begin_nested():  # all rows or none
            for key in changed:
                _write(session, key, rows.get(key), after[key])
    except _RaceLost:
        raise _conflict(seen, conference_settings(session)) from None
    audit.record_values(
        session, actor, "update", Setting.__tablename__, None,
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
    )
    return wanted


# --------------------------------------------------------------------------- login security

LOGIN_FREE_KEY = "login_free_failures"
LOGIN_LOCK_KEY = "login_lock_failures"
LOGIN_LOCK_MINUTES_KEY = "login_lock_minutes"
LOGIN_DELAY_KEY = "login_delay_seconds"
IDLE_KEY = "idle_timeout_seconds"
SECURITY_KEYS = (LOGIN_FREE_KEY, LOGIN_LOCK_KEY, LOGIN_LOCK_MINUTES_KEY, LOGIN_DELAY_KEY,
                 IDLE_KEY)


@dataclass(frozen=True)
class SecuritySettings:
    """How logins resist guessing, and when an idle session asks for the password again.

    After `free_failures` failed logins in a row (per account and per client) each further
    attempt waits: `delay_seconds`, doubled after every failure; at `lock_failures` the account
    or client is locked for `lock_minutes` (an administrator can lift it). An idle session asks
    for the password again after `idle_seconds`."""

    free_failures: int = 5
    lock_failures: int = 10
    lock_minutes: int = 15
    delay_seconds: int = 1
    idle_seconds: int = 30 * 60

    def stored(self) -> dict[str, str]:
        return {
            LOGIN_FREE_KEY: str(self.free_failures),
            LOGIN_LOCK_KEY: str(self.lock_failures),
            LOGIN_LOCK_MINUTES_KEY: str(self.lock_minutes),
            LOGIN_DELAY_KEY: str(self.delay_seconds),
            IDLE_KEY: str(self.idle_seconds),
        }


DEFAULT_SECURITY = SecuritySettings()
#: The range an administrator may choose for each (checked when saved; a stored value outside
#: it, or not a number, reads as the default).
SECURITY_LIMITS = {
    LOGIN_FREE_KEY: (1, 100),
    LOGIN_LOCK_KEY: (2, 1000),
    LOGIN_LOCK_MINUTES_KEY: (1, 24 * 60),
    LOGIN_DELAY_KEY: (0, 60),
    IDLE_KEY: (2, 24 * 60 * 60),
}
SECURITY_LABELS = {
    LOGIN_FREE_KEY: "mislykkede login før ventetid",
    LOGIN_LOCK_KEY: "mislykkede login før spærring",
    LOGIN_LOCK_MINUTES_KEY: "spærringens længde i minutter",
    LOGIN_DELAY_KEY: "første ventetid i sekunder",
    IDLE_KEY: "inaktivitet i sekunder før ny adgangskode",
}
_SECURITY_FIELDS = {
    LOGIN_FREE_KEY: "free_failures",
    LOGIN_LOCK_KEY: "lock_failures",
    LOGIN_LOCK_MINUTES_KEY: "lock_minutes",
    LOGIN_DELAY_KEY: "delay_seconds",
    IDLE_KEY: "idle_seconds",
}


def _security_from_rows(rows: dict[str, str]) -> SecuritySettings:
    values = {}
    for key, field_name in _SECURITY_FIELDS.items():
        low, high = SECURITY_LIMITS[key]
        try:
            value = int(rows[key])
        except (KeyError, ValueError):
            continue
        if low <= value <= high:
            values[field_name] = value
    found = SecuritySettings(**values)
    if found.lock_failures <= found.free_failures:  # a lock before any wait: keep the defaults
        found = SecuritySettings(**{**values, "free_failures": DEFAULT_SECURITY.free_failures,
                                    "lock_failures": DEFAULT_SECURITY.lock_failures})
    return found


def security_settings(session: Session) -> SecuritySettings:
    """The login and idle settings as they are now (defaults filled in; one statement)."""
    rows = session.execute(
        select(Setting.key, Setting.value).where(Setting.key.in_(SECURITY_KEYS))
    )
    return _security_from_rows({key: value for key, value in rows})


def save_security_settings(
    session: Session, actor: Staff, **changes: int
) -> SecuritySettings:
    """Change login and idle settings (administrators only): keyword arguments named as the
    fields of SecuritySettings. Values outside SECURITY_LIMITS are refused with a Danish message;
    the changed rows and one audit row are written in the caller's transaction."""
    authorize(session, actor, Action.CHANGE_SETTINGS)
    by_field = {field_name: key for key, field_name in _SECURITY_FIELDS.items()}
    unknown = set(changes) - set(by_field)
    if unknown:
        raise InvalidInput(f"Ukendt indstilling: {', '.join(sorted(unknown))}.")
    problems = []
    for field_name, value in changes.items():
        key = by_field[field_name]
        low, high = SECURITY_LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"Angiv {SECURITY_LABELS[key]} som et helt tal fra {low} til {high}.")
    current = security_settings(session)
    wanted = SecuritySettings(**{**current.__dict__, **changes}) if not problems else current
    if not problems and wanted.lock_failures <= wanted.free_failures:
        problems.append("Spærringen skal komme efter ventetiden: angiv flere mislykkede login før "
                        "spærring end før ventetid.")
    if problems:
        raise InvalidInput(" ".join(problems))
    before, after = current.stored(), wanted.stored()
    changed = [key for key in SECURITY_KEYS if before[key] != after[key]]
    if not changed:
        raise InvalidInput("Indstillingerne er uændrede; der er ikke gemt noget.")
    for key in changed:
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=after[key]))
        else:
            row.value = after[key]
    session.flush()
    audit.record_values(
        session, actor, "update", Setting.__tablename__, None,
        before={key: before[key] for key in changed}, after={key: after[key] for key in changed},
    )
    return wanted
