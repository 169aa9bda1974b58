"""Centre settings: demo mode, the conference weekday and time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Conference, ConferenceStatus, Setting

DEFAULT_WEEKDAY = 2  # Wednesday (Monday = 0)


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else default


def is_demo(session: Session) -> bool:
    return get_setting(session, "demo") == "1"


def conference_weekday(session: Session) -> int:
    return int(get_setting(session, "conference_weekday", str(DEFAULT_WEEKDAY)) or DEFAULT_WEEKDAY)


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
