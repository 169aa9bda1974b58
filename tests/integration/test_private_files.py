"""Files holding patient data are readable by the app's user only: the SQLite database, its WAL
and shared-memory file, every backup and a restored database are created 0600 (db/session.py,
db/backup.py), whatever umask the process was started with."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db import backup
from db.migrate import upgrade
from db.session import make_engine, session_scope
from tests import factories as f
from tests.conftest import _is_postgres


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The process started with the common umask 022 (files 0644: readable by everyone)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_sqlite_database_its_wal_and_its_backups_are_0600(tmp_path, open_umask) -> None:
    path = tmp_path / "konferencetavlen.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        f.staff(session, "Privat Person")
    with engine.connect() as connection:  # an open connection: the -wal and -shm exist
        connection.execute(text("SELECT 1"))
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(file.exists() for file in files)
        assert {file.name: mode(file) for file in files} == {file.name: 0o600 for file in files}
        copy = backup.backup(url, tmp_path / "kopier" / "kopi.db").path
    engine.dispose()
    assert mode(copy) == 0o600
    restored = tmp_path / "genskabt" / "konferencetavlen.db"
    backup.restore(copy, f"sqlite:///{restored}")
    assert mode(restored) == 0o600
    assert [p.name for p in copy.parent.iterdir()] == ["kopi.db"]  # no partial file left


def test_an_existing_database_readable_by_others_is_narrowed(tmp_path, open_umask) -> None:
    path = tmp_path / "gammel.db"
    sqlite3.connect(path).close()
    assert mode(path) == 0o644
    engine: Engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    assert mode(path) == 0o600


@pytest.mark.skipif(not _is_postgres() or shutil.which("pg_dump") is None,
                    reason="pg_dump against the suite's PostgreSQL")
def test_a_postgres_backup_is_0600(own_engine, tmp_path, open_umask) -> None:
    url = own_engine.url.render_as_string(hide_password=False)
    result = backup.backup(url, tmp_path / "kopi.dump")
    assert mode(result.path) == 0o600
