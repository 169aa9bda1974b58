"""The CLI: ``python -m demo [--scale 10] [--seed N] [--reset] [--if-empty] [--today ISO]``
(``--ensure`` is another name for ``--if-empty``).

Only on a database that is empty or already marked demo: on any other it stops with a Danish
message and exit status 2 whatever its flags, and changes nothing (`--if-empty` alone, what
`make run` does, then just says there is nothing to load: exit status 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Iterable

from sqlalchemy import func, select

from db.migrate import downgrade_to_base, upgrade
from db.models import Staff
from db.session import default_engine, session_scope
from demo.builder import build_demo, ensure_demo
from demo.parameters import CENTRE_NAME, DEFAULT_SEED
from demo.refusal import DemoRefused, demo_refusal


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description=f"Load the synthetic demo centre ({CENTRE_NAME}) into DATABASE_URL "
        "(default: the SQLite file).",
    )
    parser.add_argument("--scale", type=float, default=1.0,
                        help="patients × scale (1 ≈ 1,600 patients over two years)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help="build as if today were this date (YYYY-MM-DD)")
    parser.add_argument("--reset", action="store_true",
                        help="drop everything first (alembic downgrade base + upgrade head); "
                        "only on a demo database")
    parser.add_argument("--if-empty", "--ensure", dest="if_empty", action="store_true",
                        help="only load when the database has no staff (as `make run` does)")
    args = parser.parse_args(list(argv) if argv is not None else None)

    started = time.perf_counter()
    engine = default_engine()
    # Whatever the flags: nothing is dropped, filled or marked demo on a database with real data.
    with engine.connect() as connection:
        refusal = demo_refusal(connection)
    if refusal is not None and args.if_empty and not args.reset:
        # `make run` on a real installation: nothing to load, nothing touched, start the app.
        print("Databasen har rigtige data – demo-centret indlæses ikke.")
        return 0
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    if args.reset:
        downgrade_to_base(engine)
    try:
        if args.if_empty and not args.reset:
            stats = ensure_demo(engine, scale=args.scale, seed=args.seed, today=args.today)
            if stats is None:
                print("Databasen har allerede medarbejdere – demo-centret indlæses ikke.")
                return 0
        else:
            upgrade(engine)
            with session_scope(engine) as session:
                if session.scalar(select(func.count()).select_from(Staff)):
                    print(
                        "Databasen indeholder allerede data. Brug --reset for at starte forfra.",
                        file=sys.stderr,
                    )
                    return 1
                stats = build_demo(session, scale=args.scale, seed=args.seed, today=args.today)
    except DemoRefused as refused:  # real data written meanwhile: nothing of the demo is kept
        print(refused, file=sys.stderr)
        return 2
    print(stats.format())
    print(f"I alt (inkl. migrering og commit): {time.perf_counter() - started:.1f} s")
    return 0
