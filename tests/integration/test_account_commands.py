"""Accountable account commands (issue 13), on both databases: `set-password` by an
administrator (--as, with their own password) or by the owner with the current password (the
first administrator of an installation once without); every change an audit row naming who did
it, every refusal a security event; `unlock` by an administrator."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from conference.accounts import main
from conference.services import accounts
from conference.services.accounts import login
from db import session as db_session
from db.models import AuditLog, LoginThrottle, SecurityEvent, Staff
from db.session import session_scope
from tests.conftest import database_url, drop_database

ADMIN_PW = "administratorens kode"
LENE_PW = "korrekt hest batteri"
T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> Iterator[Engine]:
    """A database of its own with no staff; DATABASE_URL points at it. Cheap argon2 hashes."""
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "HASHER", hasher)
    monkeypatch.setattr(accounts, "DUMMY_HASH", hasher.hash("ingen har denne"))
    url = database_url("commands", tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    db_session.default_engine.cache_clear()
    try:
        yield db_session.default_engine()
    finally:
        db_session.default_engine().dispose()
        db_session.default_engine.cache_clear()
        drop_database(url)


def run(monkeypatch, args: list[str], *lines: str) -> int:
    """The command with `lines` on standard input (--password-stdin)."""
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    return main([*args, "--password-stdin"])


def staff(engine: Engine, initials: str) -> Staff:
    with session_scope(engine) as session:
        return session.scalar(select(Staff).where(Staff.initials == initials))


def has_password(engine: Engine, initials: str, password: str) -> bool:
    """The stored hash is of `password` (checked without a login: the command's logins read the
    real clock, these tests do not)."""
    return accounts._verify(staff(engine, initials).password_hash, password)


def events(engine: Engine, kind: str) -> list[SecurityEvent]:
    with session_scope(engine) as session:
        return list(session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)
                                    .order_by(SecurityEvent.id)))


def password_audits(engine: Engine) -> list[AuditLog]:
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity == "staff",
                                                      AuditLog.action == "update")
                               .order_by(AuditLog.id))
        return [r for r in rows if r.after and "adgangskode" in r.after]


@pytest.fixture
def centre(empty_db, monkeypatch, capsys) -> Engine:
    """AA (administrator, with a password) and LL (behandler, without one yet)."""
    assert main(["create-staff", "AA", "--name", "Anne Andersen", "--profession", "læge",
                 "--role", "admin"]) == 0
    assert main(["create-staff", "LL", "--name", "Lene Læge", "--profession", "læge",
                 "--role", "behandler", "--as", "AA"]) == 0
    assert run(monkeypatch, ["set-password", "AA"], ADMIN_PW) == 0
    capsys.readouterr()
    return empty_db


def test_the_first_administrator_sets_their_own_first_password_once(centre, capsys) -> None:
    admin = staff(centre, "AA")
    (row,) = password_audits(centre)
    assert row.actor_id == admin.id and row.entity_id == admin.id
    assert row.before == {"adgangskode": "ingen"}
    assert row.after == {"adgangskode": "ny", "sat_af": "AA", "hvordan": "første administrator"}
    assert "argon2" not in str(row.after)
    (event,) = events(centre, "password_set")
    assert (event.staff_id, event.username, event.detail) == (
        admin.id, "AA", "første administrator"
    )


def test_without_as_an_account_without_a_password_is_refused_and_the_refusal_logged(
    centre, monkeypatch, capsys
) -> None:
    assert run(monkeypatch, ["set-password", "LL"], LENE_PW) == 2
    assert "en administrator med --as INITIALER" in capsys.readouterr().err
    assert staff(centre, "LL").password_hash is None
    (refused,) = events(centre, "password_refused")
    assert refused.username == "LL" and refused.staff_id is None
    assert len(password_audits(centre)) == 1  # the administrator's own, from the fixture


def test_an_administrator_sets_it_with_their_own_password_and_is_named(
    centre, monkeypatch, capsys
) -> None:
    assert run(monkeypatch, ["set-password", "LL", "--as", "AA"], "forkert", LENE_PW) == 2
    assert "--as AA: Forkert brugernavn eller adgangskode." in capsys.readouterr().err
    assert staff(centre, "LL").password_hash is None
    assert [e.detail for e in events(centre, "login_failed")] == ["kommandolinje"]
    assert events(centre, "password_refused")[-1].username == "LL"

    assert run(monkeypatch, ["set-password", "LL", "--as", "aa"], ADMIN_PW, LENE_PW) == 0
    assert "Adgangskode sat for Lene Læge (LL) af AA." in capsys.readouterr().out
    admin, lene = staff(centre, "AA"), staff(centre, "LL")
    row = password_audits(centre)[-1]
    assert (row.actor_id, row.entity_id) == (admin.id, lene.id)
    assert row.after == {"adgangskode": "ny", "sat_af": "AA", "hvordan": "administrator"}
    event = events(centre, "password_set")[-1]
    assert (event.staff_id, event.username, event.detail) == (admin.id, "LL", "administrator")
    assert has_password(centre, "LL", LENE_PW)


def test_someone_who_is_not_an_administrator_cannot_set_anothers(
    centre, monkeypatch, capsys
) -> None:
    assert main(["create-staff", "BB", "--name", "Bo Behandler", "--profession", "psykolog",
                 "--role", "behandler", "--as", "AA"]) == 0
    assert run(monkeypatch, ["set-password", "BB", "--as", "AA"], ADMIN_PW, "bos egen kode!") == 0
    capsys.readouterr()
    assert run(monkeypatch, ["set-password", "LL", "--as", "BB"], "bos egen kode!",
               LENE_PW) == 2
    assert "administrere brugere" in capsys.readouterr().err
    assert staff(centre, "LL").password_hash is None
    refused = events(centre, "password_refused")[-1]
    assert (refused.staff_id, refused.username) == (staff(centre, "BB").id, "LL")


def test_the_owner_changes_it_with_the_current_password(centre, monkeypatch, capsys) -> None:
    assert run(monkeypatch, ["set-password", "LL", "--as", "AA"], ADMIN_PW, LENE_PW) == 0
    capsys.readouterr()
    assert run(monkeypatch, ["set-password", "LL"], "ikke den rigtige", "en helt ny kode") == 2
    assert "Den nuværende adgangskode blev ikke godtaget" in capsys.readouterr().err
    assert has_password(centre, "LL", LENE_PW)

    assert run(monkeypatch, ["set-password", "LL"], LENE_PW, "en helt ny kode") == 0
    lene = staff(centre, "LL")
    row = password_audits(centre)[-1]
    assert row.actor_id == lene.id and row.after["hvordan"] == "egen"
    assert has_password(centre, "LL", "en helt ny kode")
    # too short: refused and logged, nothing changed
    assert run(monkeypatch, ["set-password", "LL"], "en helt ny kode", "kort") == 2
    assert "mindst 12 tegn" in capsys.readouterr().err
    assert events(centre, "password_refused")[-1].detail == (
        "Adgangskoden skal være mindst 12 tegn."
    )


def test_an_administrators_own_password_with_as_themselves(centre, monkeypatch) -> None:
    assert run(monkeypatch, ["set-password", "AA", "--as", "AA"], ADMIN_PW,
               "administratorens nye kode") == 0
    assert password_audits(centre)[-1].after["hvordan"] == "egen"


def test_an_administrator_unlocks_a_locked_login(centre, monkeypatch, capsys) -> None:
    lene = staff(centre, "LL")
    with session_scope(centre) as session:
        moment = T0
        for _ in range(10):
            result = login(session, "LL", "forkert", now=moment)
            moment += dt.timedelta(seconds=result.wait_seconds)
        assert result.locked_until is not None
    assert run(monkeypatch, ["unlock", "LL", "--as", "LL"], "forkert") == 2
    capsys.readouterr()
    assert run(monkeypatch, ["unlock", "LL", "--as", "AA"], "forkert") == 2
    assert "--as AA: Forkert brugernavn eller adgangskode." in capsys.readouterr().err

    assert run(monkeypatch, ["unlock", "ll", "--as", "AA"], ADMIN_PW) == 0
    assert "Spærringen af Lene Læge (LL) er ophævet" in capsys.readouterr().out
    with session_scope(centre) as session:
        assert session.get(LoginThrottle, f"konto:{lene.id}") is None
    event = events(centre, "login_unlocked")[-1]
    assert event.staff_id == staff(centre, "AA").id and event.username.startswith("LL (")
    assert run(monkeypatch, ["unlock", "LL", "--as", "AA"], ADMIN_PW) == 0
    assert "er ikke spærret" in capsys.readouterr().out


def test_someone_who_is_not_an_administrator_cannot_unlock(centre, monkeypatch, capsys) -> None:
    assert run(monkeypatch, ["set-password", "LL", "--as", "AA"], ADMIN_PW, LENE_PW) == 0
    capsys.readouterr()
    assert run(monkeypatch, ["unlock", "AA", "--as", "LL"], LENE_PW) == 2
    assert "administrere brugere" in capsys.readouterr().err
    denied = events(centre, "denied")[-1]
    assert denied.staff_id == staff(centre, "LL").id
