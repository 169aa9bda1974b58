"""Real data is safe: the demo is built and reset only on an empty database or a demo one."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text


class DemoRefused(Exception):
    """The database holds data that is not the demo's; str() says what (Danish)."""


#: tables whose rows make a database "not empty", with how the refusal names them
CONTENT_TABLES = (
    ("patient", "patienter"),
    ("staff", "medarbejdere"),
    ("audit_log", "auditlog"),
    ("security_event", "sikkerhedslog"),
    ("access_log", "adgangslog"),
)


def demo_refusal(connection: Connection) -> str | None:
    """Why the demo may not be built or reset here (Danish), or None: the database is empty
    (no patients, staff or log rows; not migrated counts as empty) or marked demo."""
    tables = set(inspect(connection).get_table_names())
    if "setting" in tables and connection.execute(
        text("SELECT value FROM setting WHERE key = 'demo'")
    ).scalar() == "1":
        return None
    found = [
        label for name, label in CONTENT_TABLES
        if name in tables
        and connection.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None
    ]
    if not found:
        return None
    return (
        f"Databasen er ikke en demo-database og indeholder data ({', '.join(found)}). "
        "Demo-centret indlæses og nulstilles kun i en tom database eller i en, der allerede er "
        "en demo-database. Intet er ændret."
    )
