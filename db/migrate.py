"""Bring a database to the newest schema with Alembic (the app calls this on start)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from db.catalogue import ROOT, sync_catalogue
from db.session import session_scope


def alembic_config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


def upgrade(engine: Engine) -> None:
    """Migrate to head and load the intervention catalogue (both idempotent)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    with session_scope(engine) as session:
        sync_catalogue(session)


def downgrade_to_base(engine: Engine) -> None:
    """Drop every table (used to rebuild the demo centre)."""
    config = alembic_config()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # tables with rows refer to each other (the conference's current case)
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
