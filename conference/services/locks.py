"""Two people saving at the same moment: the locks and the retry test the services share.

SQLite has one writer at a time, and pysqlite opens a transaction only before a write, so what
a service reads first may be changed by another writer before its own write lands. `write_lock`
takes the database's write lock first (`BEGIN IMMEDIATE`; another writer waits up to the busy
timeout), so what the transaction reads from then on is what its writes apply to. It also makes
a savepoint opened afterwards an inner one: a SAVEPOINT that opens the transaction is the
outermost one, and releasing it commits.

PostgreSQL locks rows: `lock_conference` holds one conference's row, FOR NO KEY UPDATE (rows
that refer to it may still be written), so changes to its shared lists apply one at a time.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.models import Conference


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def write_lock(session: Session) -> None:
    """SQLite: begin the transaction holding the write lock, unless one has begun (one that has
    written holds it already). Nothing on PostgreSQL."""
    if not is_sqlite(session):
        return
    raw = session.connection().connection.driver_connection
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def lock_conference(session: Session, conference_id: int) -> None:
    """Until the commit, nobody else changes this conference's shared lists (attendance): what
    is read after this is what the change applies to."""
    if is_sqlite(session):
        write_lock(session)
        return
    session.execute(
        select(Conference.id).where(Conference.id == conference_id).with_for_update(key_share=True)
    )


def serialization_failure(error: DBAPIError) -> bool:
    """PostgreSQL gave up on a statement for a concurrent transaction (serialization failure or
    deadlock): rolled back to a savepoint, the same statements, tried again, succeed."""
    return getattr(error.orig, "sqlstate", None) in ("40001", "40P01")
