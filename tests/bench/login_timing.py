"""How long a failed login takes, by kind (issue 13): unknown initials, initials without a
password, a wrong password; and a successful login beside them. The same work is done for all
three failures (a dummy argon2 hash is verified where there is no real one), so their medians
should be alike: no one can tell from the time which initials have a password.

    uv run python -m tests.bench.login_timing [--runs 50] [--db postgresql+psycopg://…/test]

Through the login service the form uses (conference.services.accounts.login), each attempt in a
transaction of its own, on a new database with the real argon2 parameters. The throttle is set
wide for the measurement (no wait or lock within the runs; the waits are refused before any
work, so they would only measure the refusal). Figures, never pass/fail.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from conference.services.accounts import login, set_password
from conference.services.settings import save_security_settings
from db.migrate import upgrade
from db.models import Role
from db.session import make_engine, session_scope
from tests import factories as f
from tests.bench.centre import database_url, drop_database

RIGHT = "korrekt hest batteri"
KINDS = {
    "ukendte initialer": ("XQ", "forkert adgangskode"),
    "initialer uden adgangskode": ("NU", "forkert adgangskode"),
    "forkert adgangskode": ("LL", "forkert adgangskode"),
    "rigtig adgangskode (til sammenligning)": ("LL", RIGHT),
}


def prepare(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        admin = f.staff(session, "Anne Admin", roles=(Role.ADMIN,), initials="AA")
        f.staff(session, "Lene Læge", roles=(Role.BEHANDLER,), initials="LL")
        f.staff(session, "Nina Uden", roles=(Role.BEHANDLER,), initials="NU")
        set_password(session, None, "AA", "administratorens kode")
        set_password(session, admin, "LL", RIGHT)
        save_security_settings(session, admin, free_failures=100, lock_failures=1000,
                               delay_seconds=0)
    engine.dispose()


def measure(url: str, runs: int) -> dict[str, list[tuple[float, float]]]:
    """Per kind: (wall-clock seconds, this process's CPU seconds) of each attempt."""
    engine = make_engine(url)
    times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
    try:
        for _ in range(runs):  # the kinds interleaved, so that load hits them alike
            for kind, (name, password) in KINDS.items():
                start, cpu = time.perf_counter(), time.process_time()
                with session_scope(engine) as session:
                    result = login(session, name, password, client="bench")
                elapsed = (time.perf_counter() - start, time.process_time() - cpu)
                assert (result.staff is not None) == (password == RIGHT), result.message
                times[kind].append(elapsed)
    finally:
        engine.dispose()
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.login_timing")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--db", help="a PostgreSQL server URL (default: a SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = database_url("login_timing", args.db, Path(folder))
        try:
            prepare(url)
            times = measure(url, args.runs)
        finally:
            drop_database(url, args.db)
    where = "PostgreSQL" if args.db else "SQLite"
    print(f"Login, median of {args.runs} attempts each ({where}; argon2 as configured):")
    print("  (wall clock; and the CPU time of this process, which load on the machine does not "
          "inflate)")
    for kind, values in times.items():
        ms = [wall * 1000 for wall, _ in values]
        cpu = [used * 1000 for _, used in values]
        print(f"  {kind:40s} median {statistics.median(ms):7.1f} ms "
              f"(min {min(ms):6.1f}, max {max(ms):6.1f})   CPU median "
              f"{statistics.median(cpu):6.1f} ms")


if __name__ == "__main__":
    main()
