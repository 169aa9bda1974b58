"""Fail loudly when the PostgreSQL half of the suite cannot reach its server."""

import sys

from sqlalchemy import create_engine, text

url = sys.argv[1]
try:
    with create_engine(url).connect() as conn:
        conn.execute(text("select 1"))
except Exception as exc:  # noqa: BLE001 - any failure to connect is the message
    banner = "!" * 78
    print(
        f"\n{banner}\nPostgreSQL NOT REACHABLE at {url}\n{exc}\n"
        "The PostgreSQL half of the suite did NOT run. Start PostgreSQL and run again.\n"
        f"{banner}",
        file=sys.stderr,
    )
    sys.exit(2)
print(f"PostgreSQL reachable at {url}")
