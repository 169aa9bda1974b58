"""Demo centres for the benchmarks: a temporary SQLite file or a temporary PostgreSQL database,
filled by the demo generator (`python -m db.demo --reset --scale N`, in a child process so its
time and peak memory are its own), then put in the meeting's state (views.prepare_meeting)."""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.session import make_engine, session_scope
from tests.bench.views import ROOT, prepare_meeting


@dataclass
class Centre:
    scale: float
    url: str
    build_seconds: float | None  # None: an existing database was reused
    build_peak_mb: float | None
    conference_id: int

    @property
    def label(self) -> str:
        return f"{self.scale:g}"


def _postgres(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _admin(server: str, statement: str) -> None:
    engine = create_engine(_postgres(server), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def database_url(name: str, server: str | None, workdir: Path) -> str:
    """A new empty database `name`: a SQLite file in `workdir`, or one on the PostgreSQL
    server `server` (dropped first if it is left over from an earlier run)."""
    if not server:
        return f"sqlite:///{workdir / f'{name}.db'}"
    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(server, f'CREATE DATABASE "{name}"')
    return make_url(_postgres(server)).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, server: str | None) -> None:
    if server and url.startswith("postgresql"):
        _admin(server, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def run_generator(url: str, scale: float) -> tuple[float, float]:
    """`python -m db.demo --reset --scale N` into `url`: (seconds, the child's peak RSS in MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "demo", "--reset", "--scale", f"{scale:g}"],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"db.demo failed: {process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    return seconds, usage.ru_maxrss / 1024


def meeting(url: str, today: dt.date) -> int:
    engine = make_engine(url)
    with session_scope(engine) as session:
        conference_id = prepare_meeting(session, today)
    engine.dispose()
    return conference_id


@contextmanager
def centres(
    scales: list[float],
    *,
    server: str | None,
    workdir: Path,
    reuse: bool = False,
    today: dt.date | None = None,
    log=print,  # noqa: ANN001
) -> Iterator[list[Centre]]:
    """Build one demo centre per scale (SQLite in `workdir`, or PostgreSQL on `server`); the
    PostgreSQL databases are dropped afterwards. With `reuse`, existing SQLite files are kept."""
    day = today or dt.date.today()
    built: list[Centre] = []
    try:
        for scale in scales:
            name = f"kt_bench_scale{scale:g}".replace(".", "_")
            if server:
                name += f"_{os.getpid()}"
            existing = workdir / f"{name}.db"
            if reuse and not server and existing.exists():
                url = f"sqlite:///{existing}"
                log(f"scale {scale:g}: reusing {existing}")
                seconds = peak = None
            else:
                url = database_url(name, server, workdir)
                log(f"scale {scale:g}: building the demo centre …")
                try:
                    seconds, peak = run_generator(url, scale)
                except BaseException:
                    drop_database(url, server)
                    raise
                log(f"scale {scale:g}: built in {seconds:.1f} s (peak {peak:.0f} MB)")
            centre = Centre(scale, url, seconds, peak, conference_id=0)
            built.append(centre)
            centre.conference_id = meeting(url, day)
        yield built
    finally:
        for centre in built:
            drop_database(centre.url, server)


def process_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
