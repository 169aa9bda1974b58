"""Test databases: the whole suite runs on SQLite or on PostgreSQL (KT_TEST_DB).

KT_TEST_DB=sqlite (default) uses temporary files; a PostgreSQL URL makes the suite create its own
databases on that server (one set per xdist worker) and drop them afterwards. Two databases:
- `clean`: migrated, catalogue only; integration tests run in a transaction rolled back after;
- `demo`: migrated with a small demo centre; pages (AppTest) and browser tests read it.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from db.migrate import upgrade
from db.session import make_engine

# Property tests share two cores with the browser tests' servers: no per-example deadline
# (speed is measured in benchmarks, never as a pass/fail).
hypothesis_settings.register_profile("konferencetavlen", deadline=None)
hypothesis_settings.load_profile("konferencetavlen")

TEST_DB = os.environ.get("KT_TEST_DB", "sqlite")
#: Days to move this process's clock ahead for the whole run (`make test-later`): a test that
#: pins a date near today and lets the code read the clock fails now, not next year.
CLOCK_SHIFT_DAYS = int(os.environ.get("KT_CLOCK_SHIFT_DAYS", "0"))
DEMO_SCALE = 0.15


def _is_postgres() -> bool:
    return TEST_DB.startswith("postgresql")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _server_url() -> str:
    url = TEST_DB
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def database_url(name: str, tmp_dir: Path) -> str:
    """The URL of this worker's test database `name` (created empty if needed)."""
    if not _is_postgres():
        return f"sqlite:///{tmp_dir / f'{name}.db'}"
    server = _server_url()
    db_name = f"kt_{name}_{_worker()}_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return make_url(server).set(database=db_name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    admin = create_engine(_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def pytest_report_header(config: pytest.Config) -> str:  # noqa: ARG001
    kind = f"PostgreSQL {TEST_DB}" if _is_postgres() else "SQLite"
    return f"Konferencetavlen test database: {kind}"


def pytest_sessionstart(session: pytest.Session) -> None:  # noqa: ARG001
    if not _is_postgres():
        return
    try:
        with create_engine(_server_url()).connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        banner = "!" * 78
        sys.stderr.write(
            f"\n{banner}\nPostgreSQL NOT REACHABLE at {TEST_DB}: {exc}\n"
            f"The PostgreSQL run of the suite cannot pass without it.\n{banner}\n"
        )
        pytest.exit("PostgreSQL not reachable", returncode=3)


@pytest.fixture(scope="session", autouse=True)
def shifted_clock() -> Iterator[None]:
    """With KT_CLOCK_SHIFT_DAYS set, the clock of this test process runs that many days ahead
    (it keeps ticking). Browser tests run a server in another process and are left out of such
    runs (see the Makefile)."""
    if not CLOCK_SHIFT_DAYS:
        yield
        return
    import datetime as dt

    import time_machine

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=CLOCK_SHIFT_DAYS)
    with time_machine.travel(later, tick=True):
        yield


@pytest.fixture(scope="session")
def tmp_db_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("db")


@pytest.fixture(scope="session")
def clean_engine(tmp_db_dir: Path) -> Iterator[Engine]:
    url = database_url("clean", tmp_db_dir)
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    drop_database(url)


_own_databases = itertools.count()


@pytest.fixture
def own_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated database for this test alone, dropped afterwards: for tests that commit.

    The audit, access and security logs are append-only (migration 0011): what a committing
    test logs cannot be deleted again, so it must not commit into the shared `clean` database
    (whose tests expect empty logs)."""
    url = database_url(f"own{next(_own_databases)}", tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    drop_database(url)


@pytest.fixture
def db(clean_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = clean_engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def demo_url(tmp_db_dir: Path) -> Iterator[str]:
    """A migrated database with a small demo centre; DATABASE_URL points the app at it."""
    from db.session import session_scope
    from demo import build_demo

    url = database_url("demo", tmp_db_dir)
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, scale=DEMO_SCALE)
    engine.dispose()
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    yield url
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    drop_database(url)
