"""The audit trail: every write of clinical content leaves a row in the same transaction.

Rows are appended through db/audit_chain.py (chained, under the log's lock); the database
refuses to change or delete them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session

from db import audit_chain
from db.models import AuditLog, Staff

#: session.info key of a function given each audit row's values (at, before, after, …) before
#: the row is chained and written, returning the values to write. Only the demo builder sets it
#: (db/demo.py `_dated`: what a service writes is dated on the days before the demo's today),
#: so that the rows are written once, as they stay.
REWRITE_KEY = "audit_rewrite"


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


def _append(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = session.info.get(REWRITE_KEY)
    if rewrite is not None:
        rows = [rewrite(row) for row in rows]
    return audit_chain.prepare(session, AuditLog.__table__, rows)


def _append_one(session: Session, values: dict[str, Any]) -> AuditLog:
    row = AuditLog(**_append(session, [values])[0])
    session.add(row)
    session.flush()  # written now, in the chain's order
    return row


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
    return _append_one(session, {
        "actor_id": actor.id,
        "action": action,
        "entity": obj.__tablename__,
        "entity_id": getattr(obj, "id", None),
        "patient_id": patient_id if patient_id is not None else getattr(obj, "patient_id", None),
        "before": before,
        "after": after,
    })


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
    return _append_one(session, {
        "actor_id": actor.id, "action": action, "entity": entity, "entity_id": entity_id,
        "patient_id": patient_id, "before": before, "after": after,
    })


def record_conflict(
    session: Session,
    actor: Staff,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    mine: dict[str, Any],
    theirs: dict[str, Any],
    patient_id: int | None = None,
) -> AuditLog:
    """Append the row of a write that met someone else's newer save: `action` is "conflict"
    (refused: nothing of `mine` was written) or "merge" (written beside their change). `after`
    is what the actor tried (mine), `before` the other version (theirs: its text, version, who).

    A merged write, and a refusal returned as a value (cases.save_draft), record the row in the
    same transaction as the rest of the call. A refusal raised as an exception rolls its
    transaction back, so its row cannot share it: the caller records it afterwards in a short
    transaction of its own (as access.log_denial does for refused calls); see
    minutes.record_conclusion_conflict.
    """
    return record_values(
        session, actor, action, entity, entity_id,
        before={k: _jsonable(v) for k, v in theirs.items()},
        after={k: _jsonable(v) for k, v in mine.items()},
        patient_id=patient_id,
    )


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
    rows = _append(session, [
        {"at": now, "actor_id": actor.id, "action": action, "entity": entity,
         "entity_id": entity_id, "patient_id": patient_id, "before": before, "after": after}
        for entity_id, patient_id, before, after in entries
    ])
    session.execute(insert(AuditLog.__table__), rows)
    return len(rows)


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
