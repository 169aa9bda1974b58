"""Backup and restore (db/backup.py) while the app is writing, on SQLite and on PostgreSQL.

SQLite: the online backup API; PostgreSQL: pg_dump and pg_restore into a new database.
Checked: the copy is sound (PRAGMA integrity_check / pg_restore reads it), holds every save
committed before the backup began and no half-written one, and a restore gives the same rows
(row counts and a checksum of every row of every table).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from conference.services.patients import raise_concern
from db import backup
from db.migrate import upgrade
from db.models import Staff
from db.session import make_engine
from tests.conftest import _is_postgres, database_url, drop_database
from tests.integration import saves


class Writer(threading.Thread):
    """The app writing: service saves, one transaction each, as fast as the database allows."""

    def __init__(self, engine: Engine, actor_id: int, patient_ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.engine, self.actor_id, self.patient_ids = engine, actor_id, patient_ids
        self.committed: dict[str, set[int]] = {kind: set() for kind in saves.KINDS}
        self.count = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._saving = threading.Lock()
        self._may_run = threading.Event()
        self._may_run.set()

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                self._may_run.wait()
                with self._saving:
                    patient = self.patient_ids[n % len(self.patient_ids)]
                    kind, ident = saves.save(self.engine, self.actor_id, patient, n)
                with self._lock:
                    self.committed[kind].add(ident)
                    self.count += 1
                n += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No save of this writer in flight inside the block (SQLite has one writer at a time:
        a second one would wait on the first and fail on its stale snapshot)."""
        self._may_run.clear()
        with self._saving:
            pass
        try:
            yield
        finally:
            self._may_run.set()

    def snapshot(self) -> dict[str, set[int]]:
        with self._lock:
            return {kind: set(ids) for kind, ids in self.committed.items()}

    def wait_for(self, count: int, timeout: float = 60) -> None:
        """Until `count` more saves are committed."""
        target = self.count + count
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while self.count < target and not deadline.is_set():
                assert self.error is None, self.error
                self.stop.wait(0.005)
        finally:
            timer.cancel()
        assert self.count >= target, "the writer made no progress"

    def finish(self) -> None:
        self.stop.set()
        self.join(30)
        assert self.error is None, self.error


def _url(name: str, tmp_path: Path) -> str:
    return database_url(name, tmp_path)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[tuple[str, Engine, int, list[int]]]:
    """A migrated database with committed rows, as the app leaves it."""
    url = _url("backup_source", tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    actor_id, patient_ids = saves.seed(engine)
    yield url, engine, actor_id, patient_ids
    engine.dispose()
    drop_database(url)


@pytest.fixture
def restored_url(tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into (a new file / a new PostgreSQL database)."""
    url = _url("backup_restored", tmp_path)
    yield url
    drop_database(url)


def _assert_consistent_copy(copy: Engine, before: dict[str, set[int]],
                            every: dict[str, set[int]]) -> None:
    found = saves.consistency(copy)
    assert found.problems == [], f"half-written saves in the backup: {found.problems}"
    for kind in saves.KINDS:
        missing = before[kind] - found.ids[kind]
        assert not missing, f"{kind} committed before the backup but not in it: {missing}"
        unknown = found.ids[kind] - every[kind]
        assert not unknown, f"{kind} in the backup that was never committed: {unknown}"


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def test_backup_during_writes_then_restore_gives_the_same_rows(
    source, restored_url, tmp_path: Path
) -> None:
    url, engine, actor_id, patient_ids = source
    if _is_postgres() and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    writer = Writer(engine, actor_id, patient_ids)
    writer.start()
    try:
        writer.wait_for(30)
        # a save in the middle of its transaction while the copy is taken
        with writer.paused(), Session(engine) as unfinished:
            actor = unfinished.get(Staff, actor_id)
            pending = raise_concern(unfinished, actor, patient_ids[0], "ufærdig", saves.TODAY)
            unfinished.flush()
            before = writer.snapshot()
            file = tmp_path / ("backup.dump" if _is_postgres() else "backup.db")
            result = backup.backup(url, file)
            unfinished.commit()
            pending_id = pending.id
        writer.wait_for(10)  # the app went on writing after the copy was taken
    finally:
        writer.finish()
    every = writer.snapshot()
    assert file.is_file() and not list(tmp_path.glob(".*.partial"))
    assert result.path == file.resolve()

    # restore into a new, empty database
    restored = backup.restore(file, restored_url)
    copy = make_engine(restored_url)
    try:
        if not _is_postgres():
            assert _integrity(file) == "ok"
            assert _integrity(Path(copy.url.database)) == "ok"
            assert backup.fingerprint(copy) == backup.fingerprint(make_engine(
                f"sqlite:///{file}"))
        _assert_consistent_copy(copy, before, every)
        assert pending_id not in saves.consistency(copy).ids["concern"]
        assert restored.counts["concern"] >= len(before["concern"]) > 0
        assert restored.counts["alembic_version"] == 1
        # the restored database takes new saves: ids continue (PostgreSQL: sequences restored)
        held = saves.consistency(copy).ids
        kind, ident = saves.save(copy, actor_id, patient_ids[0], 10**6)
        assert ident > max(held[kind])
    finally:
        copy.dispose()

    # quiet now: a backup and restore round trip gives exactly the source's rows
    again = tmp_path / ("again.dump" if _is_postgres() else "again.db")
    backup.backup(url, again)
    backup.restore(again, restored_url, force=True)
    copy = make_engine(restored_url)
    try:
        expected = backup.fingerprint(engine)
        assert backup.fingerprint(copy) == expected
        assert expected["concern"][0] == len(every["concern"]) + 1  # + the unfinished one
        assert expected["team_note"][0] == len(every["team_note"])
    finally:
        copy.dispose()


def test_restore_refuses_a_database_with_data_unless_forced(source, tmp_path: Path) -> None:
    url, engine, actor_id, patient_ids = source
    if _is_postgres() and shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed")
    file = tmp_path / "before.bak"
    backup.backup(url, file)
    saved = backup.fingerprint(engine)
    saves.save(engine, actor_id, patient_ids[0], 0)  # a save after the backup

    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore(file, url)
    assert backup.fingerprint(engine)["concern"][0] == saved["concern"][0] + 1

    engine.dispose()  # PostgreSQL: pg_restore --clean needs the tables free
    backup.restore(file, url, force=True)
    assert backup.fingerprint(engine) == saved
    with engine.connect() as connection:  # the app's engine still works afterwards
        assert connection.execute(text("select count(*) from concern")).scalar() == \
            saved["concern"][0]


def test_a_damaged_or_foreign_file_is_refused(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(backup.BackupError):
        backup.check(damaged)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("create table t (x)")
    with pytest.raises(backup.BackupError, match="ikke en database fra Konferencetavlen"):
        backup.check(foreign)
    with pytest.raises(backup.BackupError, match="findes ikke"):
        backup.backup(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "x.db")
    assert not (tmp_path / "missing.db").exists()  # not created by the attempt


def test_cli_backs_up_checks_and_restores_sqlite(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    upgrade(engine)
    saves.seed(engine)
    engine.dispose()
    file = tmp_path / "kopi.db"
    assert backup.main(["backup", str(file), "--url", url]) == 0
    assert "Sikkerhedskopi gemt" in capsys.readouterr().out
    assert backup.main(["check", str(file)]) == 0
    assert "i orden" in capsys.readouterr().out
    assert backup.main(["restore", str(file), "--url", url]) == 1
    assert "--force" in capsys.readouterr().err
    new = f"sqlite:///{tmp_path / 'ny.db'}"
    assert backup.main(["restore", str(file), "--url", new]) == 0
    assert backup.fingerprint(make_engine(new)) == backup.fingerprint(make_engine(url))


def test_postgres_recipe_keeps_the_password_off_the_command_line(capsys) -> None:
    url = "postgresql://kt:hemmeligt@db.example:5432/konferencetavlen"
    assert backup.main(["backup", "kt.dump", "--url", url, "--print"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("pg_dump --format=custom")
    assert "hemmeligt" not in printed and "kt@db.example:5432/konferencetavlen" in printed
    assert backup.main(["restore", "kt.dump", "--url", url, "--print"]) == 0
    printed = capsys.readouterr().out
    assert "pg_restore" in printed and "--single-transaction" in printed
    assert "hemmeligt" not in printed
