"""Engine and sessions from settings: SQLite file by default, PostgreSQL by DATABASE_URL.

A SQLite database holds patient data in files: an engine on one makes this process create files
for its own user only (umask 077, `private_files`), so the database, its -wal and -shm, and any
backup or journal are created 0600; an existing database file (and its -wal, -shm) readable by
others is narrowed to 0600 when the engine is made.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "data" / "konferencetavlen.db"
#: the bits no file of this process grants: nothing for the group, nothing for others
PRIVATE_UMASK = 0o077


def private_files() -> None:
    """From now on this process creates files (and folders) for its own user only: 077 is added
    to the umask (process-wide; it only ever takes permissions away)."""
    current = os.umask(PRIVATE_UMASK)
    os.umask(current | PRIVATE_UMASK)


def _narrow(path: Path) -> None:
    """An existing file readable or writable by others: 0600 (when it is ours to change)."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            status = file.stat()
            if status.st_uid == os.getuid() and status.st_mode & PRIVATE_UMASK:
                file.chmod(status.st_mode & 0o777 & ~PRIVATE_UMASK)
        except OSError:
            continue


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None: in memory, or not SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def database_url() -> str:
    """DATABASE_URL if set, else the embedded SQLite file of the demo centre."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    private_files()
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """The engine for ``url``. ``hide_parameters``: an error's text (and so every traceback and
    log line made from it) never shows a statement's parameters, which hold CPR numbers and
    names."""
    url = url or database_url()
    if url.startswith("sqlite"):
        private_files()  # before SQLite creates the database, its WAL or a journal
        path = sqlite_file(url)
        if path is not None:
            _narrow(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                               hide_parameters=True)
    return engine


@cache
def default_engine() -> Engine:
    return make_engine()


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or default_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
