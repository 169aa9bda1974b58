"""Alembic: the migrations build exactly the models' schema, and go down and up again."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from db.migrate import alembic_config
from db.models import Base


def test_migrated_schema_matches_models(clean_engine) -> None:
    with clean_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_alembic_check_is_clean(clean_engine) -> None:
    config = alembic_config()
    with clean_engine.connect() as conn:
        config.attributes["connection"] = conn
        command.check(config)  # raises when the models need a new migration


def test_every_model_table_exists(clean_engine) -> None:
    tables = set(inspect(clean_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
