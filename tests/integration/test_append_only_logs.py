"""The audit, access and security logs are append-only, enforced by the database (migration
0011), and hash-chained (db/audit_chain.py), on the suite's database (SQLite or PostgreSQL).

Every refused statement is tried against every log. The chain is checked on rows the services
write, on rows that existed before the migration, under concurrent appends, and after
tampering, which needs the guard gone: the tampering tests drop the triggers in a throwaway
database of their own (`drop_the_log_guard_of_this_throwaway_database`, test-only).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from conference.services import audit
from conference.services.access import log_access, log_security_event
from db import audit_chain
from db.migrate import alembic_config, upgrade
from db.models import AccessLog, AuditLog, Role, SecurityEvent, Staff, UtcDateTime
from db.session import make_engine, session_scope
from tests import factories as f
from tests.conftest import _is_postgres, _server_url, database_url, drop_database

LOGS = list(audit_chain.LOG_TABLES)
#: SQLite has no TRUNCATE (a DELETE without WHERE is its truncate, and is refused as a DELETE)
REFUSED = ("UPDATE", "DELETE", "TRUNCATE") if _is_postgres() else ("UPDATE", "DELETE")
STATEMENTS = {
    "UPDATE": "UPDATE {table} SET at = at",
    "DELETE": "DELETE FROM {table}",
    "TRUNCATE": "TRUNCATE {table}",
}


def _write_logs(engine: Engine, n: int = 1) -> None:
    """`n` rows in every log, written by the services (one transaction)."""
    with session_scope(engine) as session:
        admin = session.scalars(select(Staff).order_by(Staff.id)).first() or f.staff(
            session, "Anne Audit", roles=(Role.ADMIN,))
        patient = f.patient(session, "Logget")
        for k in range(n):
            audit.record_values(session, admin, "update", "test", k,
                                before={"tekst": "før", "tal": k}, after={"tekst": "Søren æøå",
                                                                          "tal": k + 0.5},
                                patient_id=patient.id)
            log_access(session, admin, "patient", [patient.id])
            log_security_event(session, "login_ok", staff_id=admin.id, username="AA",
                               detail=f"forsøg {k}")


@pytest.fixture
def throwaway(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = database_url(f"throwaway{os.getpid()}", tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()
    drop_database(url)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of this module's own with rows in every log."""
    url = database_url("appendonly", tmp_path_factory.mktemp("appendonly"))
    engine = make_engine(url)
    upgrade(engine)
    _write_logs(engine, 3)
    yield engine
    engine.dispose()
    drop_database(url)


def drop_the_log_guard_of_this_throwaway_database(engine: Engine) -> None:
    """Test-only: remove the triggers of migration 0011, so a test can tamper with the logs of
    its own throwaway database (as someone editing the database file, or the tables' owner,
    could)."""
    with engine.begin() as connection:
        for table in LOGS:
            if engine.dialect.name == "postgresql":
                connection.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
            else:
                for statement in ("update", "delete"):
                    connection.execute(text(f"DROP TRIGGER {table}_no_{statement}"))


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t: connection.scalar(select(func.count()).select_from(audit_chain.LOG_TABLES[t]))
                for t in LOGS}


# --------------------------------------------------------------------------- refused statements


@pytest.mark.parametrize("statement", REFUSED)
@pytest.mark.parametrize("table", LOGS)
def test_the_database_refuses_to_change_or_remove_log_rows(logged, table, statement) -> None:
    before = _counts(logged)
    sql = STATEMENTS[statement].format(table=table)
    with pytest.raises(DBAPIError, match=f"{table} kan kun tilføjes til") as refused, \
            logged.begin() as connection:
        connection.execute(text(sql))
    assert statement in str(refused.value.orig)
    assert _counts(logged) == before
    assert all(v.ok for v in audit_chain.verify(logged))


@pytest.mark.parametrize("table", LOGS)
def test_one_row_cannot_be_changed_or_deleted_either(logged, table) -> None:
    for sql in (f"UPDATE {table} SET chain_hash = 'x' WHERE id = (SELECT MIN(id) FROM {table})",
                f"DELETE FROM {table} WHERE id = (SELECT MAX(id) FROM {table})"):
        with pytest.raises(DBAPIError, match="kan kun tilføjes til"), \
                logged.begin() as connection:
            connection.execute(text(sql))


def test_the_orm_cannot_change_a_log_row(logged) -> None:
    with Session(logged) as session:
        row = session.scalars(select(AuditLog).order_by(AuditLog.id)).first()
        row.action = "delete"
        with pytest.raises(DBAPIError, match="audit_log kan kun tilføjes til"):
            session.commit()


@pytest.mark.skipif(not _is_postgres(), reason="roles and privileges: PostgreSQL")
def test_the_migration_revokes_update_delete_truncate_from_the_app_role(tmp_path) -> None:
    """A role granted everything before the migration (the app's role, not the owner) keeps
    SELECT and INSERT on the logs and loses UPDATE, DELETE and TRUNCATE; it can still append
    (the chain's advisory lock needs no privilege), and is refused by privilege."""
    url = database_url("roles", tmp_path)
    engine = make_engine(url)
    role = f"kt_app_test_{os.getpid()}"
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0010")
            connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
            connection.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"'))
            connection.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        upgrade(engine)
        with engine.connect() as connection:
            def may(table: str, privilege: str) -> bool:
                return connection.scalar(text("SELECT has_table_privilege(:r, :t, :p)"),
                                         {"r": role, "t": table, "p": privilege})

            for table in LOGS:
                assert may(table, "SELECT") and may(table, "INSERT"), table
                for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                    assert not may(table, privilege), (table, privilege)
            assert may("patient", "UPDATE") and may("patient", "DELETE")

        with Session(engine) as session:
            session.execute(text(f'SET LOCAL ROLE "{role}"'))
            log_security_event(session, "login_ok", username="app-rollen")
            session.commit()
        for statement in REFUSED:
            with pytest.raises(DBAPIError, match="permission denied"), \
                    engine.begin() as connection:
                connection.execute(text(f'SET LOCAL ROLE "{role}"'))
                connection.execute(text(STATEMENTS[statement].format(table="security_event")))
        assert all(v.ok for v in audit_chain.verify(engine))
    finally:
        engine.dispose()
        drop_database(url)
        admin = make_engine(_server_url())
        with admin.begin() as connection:
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


# --------------------------------------------------------------------------- the chain


def test_rows_written_by_the_services_form_one_chain(throwaway, capsys) -> None:
    url, engine = throwaway
    _write_logs(engine, 4)
    verdicts = audit_chain.verify(engine)
    assert [(v.table, v.rows, v.ok) for v in verdicts] == [(t, 4, True) for t in LOGS]
    with Session(engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        previous = audit_chain.GENESIS
        for row in rows:  # the rule, spelled out: sha256(previous hash + canonical JSON)
            content = audit_chain.canonical(AuditLog.__table__, {
                c.name: getattr(row, c.name) for c in AuditLog.__table__.columns})
            assert '"after":{"tal":' in content and "Søren æøå" in content
            assert row.chain_hash == audit_chain.chain(previous, content)
            previous = row.chain_hash
    assert audit_chain.main(["verify", "--url", url]) == 0
    out = capsys.readouterr().out
    assert out.count("kæden er i orden") == 3 and previous in out


def test_one_view_of_many_patients_is_chained_in_id_order(throwaway) -> None:
    _, engine = throwaway
    with session_scope(engine) as session:
        admin = f.staff(session, roles=(Role.ADMIN,))
        ids = [f.patient(session, f"Nr{k}").id for k in range(7)]
        log_access(session, admin, "patientliste", reversed(ids))
    with Session(engine) as session:
        logged = session.scalars(select(AccessLog.patient_id).order_by(AccessLog.id)).all()
    assert logged == list(reversed(ids))
    assert all(v.ok for v in audit_chain.verify(engine))


def test_verify_names_the_first_broken_row_after_tampering(throwaway, capsys) -> None:
    url, engine = throwaway
    _write_logs(engine, 5)
    drop_the_log_guard_of_this_throwaway_database(engine)
    with engine.begin() as connection:
        audit_ids = connection.scalars(select(AuditLog.id).order_by(AuditLog.id)).all()
        access_ids = connection.scalars(select(AccessLog.id).order_by(AccessLog.id)).all()
        event_ids = connection.scalars(select(SecurityEvent.id).order_by(SecurityEvent.id)).all()
        # a changed row; a deleted row (the one after it no longer follows); a forged hash
        connection.execute(text("UPDATE audit_log SET action = 'delete' WHERE id = :id"),
                           {"id": audit_ids[2]})
        connection.execute(text("DELETE FROM access_log WHERE id = :id"), {"id": access_ids[1]})
        connection.execute(text("UPDATE security_event SET chain_hash = :h WHERE id = :id"),
                           {"h": "0" * 64, "id": event_ids[3]})

    broken = {v.table: v.broken_id for v in audit_chain.verify(engine)}
    assert broken == {"audit_log": audit_ids[2], "access_log": access_ids[2],
                      "security_event": event_ids[3]}
    assert audit_chain.main(["verify", "--url", url]) == 2
    err = capsys.readouterr().err
    assert f"audit_log: kæden er brudt ved række id {audit_ids[2]}" in err
    assert f"access_log: kæden er brudt ved række id {access_ids[2]}" in err
    assert f"security_event: kæden er brudt ved række id {event_ids[3]}" in err


def test_the_migration_chains_the_rows_that_exist_before_it(tmp_path) -> None:
    """Rows written before 0011 get their chain in id order, by the same rule as new rows."""
    url = database_url("prechain", tmp_path)
    engine = make_engine(url)
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0010")
        at = dt.datetime(2026, 11, 20, 9, 15, 30, 123456, tzinfo=dt.UTC)
        audit_rows = sa.table(
            "audit_log", sa.column("at", UtcDateTime()), sa.column("action", sa.String),
            sa.column("entity", sa.String), sa.column("entity_id", sa.Integer),
            sa.column("before", sa.JSON(none_as_null=True)),
            sa.column("after", sa.JSON(none_as_null=True)))
        access_rows = sa.table("access_log", sa.column("at", UtcDateTime()),
                               sa.column("view", sa.String),
                               sa.column("patient_count", sa.Integer))
        event_rows = sa.table("security_event", sa.column("at", UtcDateTime()),
                              sa.column("kind", sa.String), sa.column("username", sa.String),
                              sa.column("detail", sa.String))
        with engine.begin() as connection:
            connection.execute(audit_rows.insert(), [
                {"at": at, "action": "create", "entity": "patient", "entity_id": 1,
                 "before": None, "after": {"navn": "Åse Ørsted", "liste": [1, 2.5, None],
                                           "indre": {"b": True, "a": "x"}}},
                {"at": at + dt.timedelta(seconds=1), "action": "update", "entity": "patient",
                 "entity_id": 1, "before": {"navn": "Åse Ørsted"}, "after": {"navn": "Åse"}},
            ])
            connection.execute(access_rows.insert(), [
                {"at": at, "view": "patientliste", "patient_count": 12},
                {"at": at, "view": "patientliste", "patient_count": 0},
            ])
            connection.execute(event_rows.insert(), [
                {"at": at, "kind": "login_failed", "username": "ØØ", "detail": None},
            ])
        upgrade(engine)
        verdicts = audit_chain.verify(engine)
        assert [(v.table, v.rows, v.ok) for v in verdicts] == [
            ("audit_log", 2, True), ("access_log", 2, True), ("security_event", 1, True)]
        _write_logs(engine, 2)  # and new rows chain on from the migrated ones
        verdicts = audit_chain.verify(engine)
        assert [(v.table, v.rows, v.ok) for v in verdicts] == [
            ("audit_log", 4, True), ("access_log", 4, True), ("security_event", 3, True)]
    finally:
        engine.dispose()
        drop_database(url)


def test_two_transactions_appending_at_once_do_not_fork(throwaway) -> None:
    """Writers in their own transactions, started together: every row follows the one before."""
    _, engine = throwaway
    with session_scope(engine) as session:
        admin_id = f.staff(session, roles=(Role.ADMIN,)).id
        patient_id = f.patient(session).id
    writers, rounds = 4, 8
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(rounds):
                with session_scope(engine) as session:
                    admin = session.get(Staff, admin_id)
                    audit.record_values(session, admin, "update", "test", k * 100 + n,
                                        before=None, after={"skriver": k, "n": n})
                    log_access(session, admin, "patient", [patient_id])
                    log_security_event(session, "login_ok", staff_id=admin_id,
                                       detail=f"{k}/{n}")
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    verdicts = audit_chain.verify(engine)
    assert [(v.rows, v.ok) for v in verdicts] == [(writers * rounds, True)] * 3
