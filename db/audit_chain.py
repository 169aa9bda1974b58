"""The append-only logs and their hash chain: audit_log, access_log, security_event.

The database refuses to change or remove a log row for every role (migration 0011: triggers on
PostgreSQL for UPDATE, DELETE and TRUNCATE, and on SQLite for UPDATE and DELETE; on PostgreSQL
the privileges are revoked as well, see deploy/SECURITY.md). On top of that every row carries
`chain_hash`, so a change made around the triggers (by the tables' owner, who can drop them, or
by someone editing the SQLite file) shows:

    chain_hash = sha256(chain_hash of the row before it (by id; "" for the first)
                        + the row's canonical JSON)

The canonical JSON is every column but `id` and `chain_hash` that is not NULL, keys sorted, no
spaces, UTF-8, moments in UTC with microseconds (see `canonical`). Migration 0011 chained the
rows that existed then, in id order, with the same rule.

Rows get in only through `append` (or `prepare` and the caller's INSERT right after): it takes a
lock, reads the last row's hash, chains the new rows and inserts them, in the caller's
transaction. PostgreSQL: a
transaction-level advisory lock per table (`pg_advisory_xact_lock`), held until commit or
rollback, so two transactions appending at once queue up instead of both chaining to the same
row (a fork). SQLite has one writer at a time; a transaction that has not written yet is begun
with `BEGIN IMMEDIATE` first, so the last hash is read under the write lock.

The price: transactions that write a log row queue up on that lock until they end. Keep such
transactions short (the app's are: one save, one page view).

    uv run python -m db.audit_chain verify [--url URL]

checks every chain and names the first broken row of each log (exit status 0: in order, 2: a
chain is broken). Print it now and then and keep the last hashes it shows somewhere else: the
tables' owner can rewrite a whole log and compute a new chain, but not one that ends in a hash
already written down.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, insert, select, text
from sqlalchemy.orm import Session

from db.models import AccessLog, AuditLog, SecurityEvent, utcnow

#: the log tables, each with its own chain
LOG_MODELS = (AuditLog, AccessLog, SecurityEvent)
LOG_TABLES: dict[str, Table] = {model.__tablename__: model.__table__ for model in LOG_MODELS}
GENESIS = ""
#: columns that are not part of a row's content
NOT_CONTENT = ("id", "chain_hash")


def _lock_key(name: str) -> int:
    """A fixed signed 64-bit key per table for pg_advisory_xact_lock."""
    digest = hashlib.sha256(f"konferencetavlen:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


LOCK_KEYS = {name: _lock_key(name) for name in LOG_TABLES}


# --------------------------------------------------------------------------- the rule


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite hands moments back without a zone: they are UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(table: Table, values: Mapping[str, Any]) -> str:
    """The row's content as canonical JSON: every column but id and chain_hash."""
    content = {}
    for column in table.columns:
        if column.name in NOT_CONTENT:
            continue
        value = values.get(column.name)
        if value is None:  # left out: a nullable column added later keeps old rows' content
            continue
        if isinstance(column.type, JSON):
            # as the database gives it back (e.g. tuples as lists, int keys as strings)
            value = json.loads(json.dumps(value))
        content[column.name] = _canonical_value(value)
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain(previous: str, content: str) -> str:
    """The hash of a row: sha256 over the previous row's hash and the row's canonical JSON."""
    return hashlib.sha256((previous + content).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- appending


def _lock(session: Session, table: Table) -> None:
    """Hold the log's append lock until the caller's transaction ends."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": LOCK_KEYS[table.name]})
    elif dialect == "sqlite":
        raw = connection.connection.driver_connection
        if not raw.in_transaction:  # nothing written yet: take the write lock first
            raw.execute("BEGIN IMMEDIATE")


def last_hash(session: Session, table: Table) -> str:
    """The hash the next row chains to ("" for an empty log)."""
    value = session.execute(
        select(table.c.chain_hash).order_by(table.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    return value if value is not None else GENESIS


def chained(table: Table, previous: str, rows: Iterable[Mapping[str, Any]]
            ) -> list[dict[str, Any]]:
    """`rows` with every content column filled in (`at` now, the rest None when missing) and
    their chain_hash, chained after `previous`."""
    out = []
    for row in rows:
        values = {c.name: row.get(c.name) for c in table.columns if c.name != "chain_hash"}
        if "id" not in row:
            values.pop("id")
        if values.get("at") is None:
            values["at"] = utcnow()
        previous = chain(previous, canonical(table, values))
        values["chain_hash"] = previous
        out.append(values)
    return out


def prepare(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]
            ) -> list[dict[str, Any]]:
    """Lock the log and chain `rows` after its last row; the caller inserts them before its
    transaction ends (as `append` does)."""
    session.flush()  # rows the new ones refer to are written; so is any earlier log row
    _lock(session, table)
    return chained(table, last_hash(session, table), rows)


def append(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Append `rows` to the log `table` in the caller's transaction, chained; returns how many.

    In one INSERT (executemany): the ids are assigned in list order, the chain's order."""
    if not rows:
        return 0
    session.execute(insert(table), prepare(session, table, rows))
    return len(rows)


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Verdict:
    table: str
    rows: int
    head: str  # the last row's hash ("" for an empty log)
    broken_id: int | None = None  # the first row whose hash does not follow

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_table(connection: Connection, table: Table) -> Verdict:
    """Walk the log in id order; the first row whose stored hash is not the rule's."""
    previous, count = GENESIS, 0
    result = connection.execution_options(stream_results=True, yield_per=2000).execute(
        select(table).order_by(table.c.id)
    )
    for row in result.mappings():
        count += 1
        if row["chain_hash"] != chain(previous, canonical(table, row)):
            result.close()
            return Verdict(table.name, count, previous, broken_id=row["id"])
        previous = row["chain_hash"]
    return Verdict(table.name, count, previous)


def verify(engine: Engine) -> list[Verdict]:
    with engine.connect() as connection:
        return [verify_table(connection, table) for table in LOG_TABLES.values()]


def main(argv: Sequence[str] | None = None) -> int:
    from db.session import database_url, make_engine

    parser = argparse.ArgumentParser(
        prog="python -m db.audit_chain",
        description="Check the hash chains of the audit log, the access log and the security "
        "log; name the first broken row.",
    )
    parser.add_argument("command", choices=["verify"])
    parser.add_argument("--url", help="database URL (default: DATABASE_URL / the SQLite file)")
    args = parser.parse_args(argv)
    engine = make_engine(args.url or database_url())
    try:
        verdicts = verify(engine)
    finally:
        engine.dispose()
    for verdict in verdicts:
        if verdict.ok:
            print(f"{verdict.table}: {verdict.rows} rækker, kæden er i orden "
                  f"(seneste hash: {verdict.head or '–'}).")
        else:
            print(f"{verdict.table}: kæden er brudt ved række id {verdict.broken_id} "
                  f"(række nr. {verdict.rows} i id-orden): rækken er ændret, eller en række før "
                  "den er ændret eller slettet.", file=sys.stderr)
    return 0 if all(v.ok for v in verdicts) else 2


if __name__ == "__main__":
    sys.exit(main())
