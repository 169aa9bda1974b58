"""The audit trail: every write of clinical content leaves a row in the same transaction."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session

from db.models import AuditLog, Staff


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The row's column values as JSON-safe data (for before/after)."""
    mapper = inspect(obj).mapper
    return {attr.key: _jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def record(
    session: Session,
    actor: Staff,
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    patient_id: int | None = None,
) -> AuditLog:
    """Append an audit row for `obj` (flushes so new rows have their id)."""
    session.flush()
    after = None if action == "delete" else snapshot(obj)
    row = AuditLog(
        actor_id=actor.id,
        action=action,
        entity=obj.__tablename__,
        entity_id=getattr(obj, "id", None),
        patient_id=patient_id if patient_id is not None else getattr(obj, "patient_id", None),
        before=before,
        after=after,
    )
    session.add(row)
    return row


def record_values(
    session: Session,
    actor: Staff,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    patient_id: int | None = None,
) -> AuditLog:
    """Append an audit row for a change that is not one row (e.g. a list of attendees)."""
    row = AuditLog(
        actor_id=actor.id, action=action, entity=entity, entity_id=entity_id,
        patient_id=patient_id, before=before, after=after,
    )
    session.add(row)
    return row


def record_many(
    session: Session,
    actor: Staff,
    action: str,
    entity: str,
    entries: list[tuple[int | None, int | None, dict[str, Any] | None, dict[str, Any] | None]],
) -> int:
    """Append many audit rows in one statement (bulk imports).

    Each entry is ``(entity_id, patient_id, before, after)``, with ``before``/``after`` shaped
    like :func:`snapshot`. Returns how many rows were written.
    """
    if not entries:
        return 0
    now = dt.datetime.now(dt.UTC)
    session.execute(
        insert(AuditLog),
        [
            {"at": now, "actor_id": actor.id, "action": action, "entity": entity,
             "entity_id": entity_id, "patient_id": patient_id, "before": before, "after": after}
            for entity_id, patient_id, before, after in entries
        ],
    )
    return len(entries)


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    actor: str
    action: str
    entity: str
    changes: list[tuple[str, Any, Any]]  # (field, before, after)


IGNORED_FIELDS = {"version", "updated_at", "id"}


def _changes(before: dict | None, after: dict | None) -> list[tuple[str, Any, Any]]:
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if k not in IGNORED_FIELDS]
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def patient_history(session: Session, patient_id: int, limit: int = 300) -> list[HistoryEntry]:
    """Every recorded change of this patient's clinical content, newest first."""
    rows = session.execute(
        select(AuditLog, Staff.name)
        .outerjoin(Staff, Staff.id == AuditLog.actor_id)
        .where(AuditLog.patient_id == patient_id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [
        HistoryEntry(row.at, name or "", row.action, row.entity, _changes(row.before, row.after))
        for row, name in rows
    ]
