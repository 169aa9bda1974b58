"""Faults: a writer process doing real service saves is SIGKILLed at random moments.

After every kill the database must be intact (SQLite: PRAGMA integrity_check; PostgreSQL:
queries work), every save the writer reported as committed must be there, and no save may be
half-written (each concern and team note has its audit row with the same text, and vice
versa). The kill moments are random but seeded (KT_KILL_SEED), so a failure can be replayed.
The writer waits a random few milliseconds inside each transaction, so many kills land in the
middle of a save; the test counts them.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db.migrate import upgrade
from db.session import make_engine
from tests.conftest import _is_postgres, database_url, drop_database
from tests.integration import saves

ROOT = Path(__file__).resolve().parents[2]
KILL_POINTS = int(os.environ.get("KT_KILL_POINTS", "25"))
SEED = int(os.environ.get("KT_KILL_SEED", "20261125"))


@pytest.fixture
def target(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = database_url("kill", tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()
    drop_database(url)


class Writers:
    """A process that forks one writer per kill point (Python's imports are paid once)."""

    def __init__(self, url: str, actor_id: int, patient_ids: list[int]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.saves", url, str(actor_id),
             ",".join(map(str, patient_ids))],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )

    def start(self, first_save: int, seed: int) -> int:
        """A new writer; returns its pid once it is connected and about to save."""
        self.process.stdin.write(f"go {first_save} {seed}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().split()
        assert line[:1] == ["ready"], f"the writer did not start: {line}"
        return int(line[1])

    def lines_until_gone(self, pid: int) -> list[str]:
        lines = []
        for line in self.process.stdout:
            if line.strip() == f"gone {pid}":
                return lines
            lines.append(line.strip())
        raise AssertionError(f"the writer server ended: {self.process.wait()}")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


def _intact(url: str, engine: Engine) -> None:
    if url.startswith("sqlite"):
        path = make_engine(url).url.database
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    with engine.connect() as connection:  # the app's own engine: queries work
        assert connection.execute(text("select count(*) from audit_log")).scalar() >= 0
        assert connection.execute(text("select count(*) from patient")).scalar() > 0


def test_sigkill_during_saves_loses_nothing_committed_and_leaves_nothing_half_written(
    target,
) -> None:
    url, engine = target
    actor_id, patient_ids = saves.seed(engine)
    rng = random.Random(SEED)
    reported: dict[str, set[int]] = {kind: set() for kind in saves.KINDS}
    mid_save = 0
    start = 0
    writers = Writers(url, actor_id, patient_ids)
    for point in range(KILL_POINTS):
        pid = writers.start(start, rng.randrange(10**9))
        time.sleep(rng.uniform(0.02, 0.5))  # the writer saves meanwhile
        with contextlib.suppress(ProcessLookupError):  # (it crashed: reported just below)
            os.kill(pid, signal.SIGKILL)
        lines = writers.lines_until_gone(pid)
        assert "crashed" not in lines, "the writer failed by itself (see its traceback)"
        for line in lines:
            if line.startswith("done "):
                _, kind, ident = line.split()
                reported[kind].add(int(ident))
        begun = [line for line in lines if line.startswith("begin ")]
        if lines and lines[-1].startswith("begin "):
            mid_save += 1
        start += len(begun) + 1

        _intact(url, engine)
        found = saves.consistency(engine)
        assert found.problems == [], f"kill point {point} (seed {SEED}): {found.problems}"
        for kind in saves.KINDS:
            lost = reported[kind] - found.ids[kind]
            assert not lost, f"kill point {point} (seed {SEED}): committed {kind} lost: {lost}"

    writers.close()
    total = sum(len(ids) for ids in reported.values())
    print(f"\n{KILL_POINTS} kill points ({mid_save} inside a save), {total} committed saves "
          f"reported, none lost, none half-written ({'PostgreSQL' if _is_postgres() else 'SQLite'},"
          f" seed {SEED})")
    assert total > KILL_POINTS, "the writer must have committed saves between the kills"
    assert mid_save > 0, "no kill landed inside a save: the test did not test atomicity"
