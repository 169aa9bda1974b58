"""Creating staff members from the command line: the first administrator of an empty database,
then others by an administrator; refusals in Danish with exit status 2 and nothing written;
set-password and a login for the new staff member."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from conference.accounts import main
from conference.services.access import PermissionDenied
from conference.services.accounts import authenticate, create_staff, parse_profession, parse_roles
from conference.services.errors import InvalidInput
from db import session as db_session
from db.models import AuditLog, Profession, Role, SecurityEvent, Staff
from db.session import session_scope
from tests import factories as f
from tests.conftest import database_url, drop_database

ADMIN = ["create-staff", "AA", "--name", "Anne Andersen", "--profession", "læge",
         "--role", "admin"]


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> Iterator[Engine]:
    """A database of its own, migrated by the command, with no staff; DATABASE_URL points at it."""
    url = database_url("accounts", tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    db_session.default_engine.cache_clear()
    try:
        yield db_session.default_engine()
    finally:
        db_session.default_engine().dispose()
        db_session.default_engine.cache_clear()
        drop_database(url)


def counts(engine: Engine) -> tuple[int, int]:
    """(staff members, audit rows)."""
    with session_scope(engine) as session:
        return (session.scalar(select(func.count()).select_from(Staff)),
                session.scalar(select(func.count()).select_from(AuditLog)))


def staff(engine: Engine, initials: str) -> Staff | None:
    with session_scope(engine) as session:
        return session.scalar(select(Staff).where(Staff.initials == initials))


def test_the_first_staff_member_is_an_administrator_who_audits_their_own_creation(
    empty_db, capsys
) -> None:
    assert main(ADMIN) == 0
    assert "Anne Andersen (AA, læge) er oprettet med rollerne: admin" in capsys.readouterr().out
    admin = staff(empty_db, "AA")
    assert admin.profession == Profession.LAEGE and admin.role_set == {Role.ADMIN}
    assert admin.active and admin.password_hash is None
    with session_scope(empty_db) as session:
        row = session.scalar(select(AuditLog).where(AuditLog.entity == "staff"))
        event = session.scalar(select(SecurityEvent).where(SecurityEvent.kind == "staff_created"))
    assert (row.action, row.entity_id, row.actor_id) == ("create", admin.id, admin.id)
    assert row.before is None
    assert row.after["initials"] == "AA" and row.after["roles"] == ["admin"]
    assert "password_hash" not in row.after
    assert event.staff_id == admin.id and event.username == "AA"


def test_the_first_staff_member_must_be_an_administrator(empty_db, capsys) -> None:
    code = main(["create-staff", "BB", "--name", "Bo", "--profession", "læge",
                 "--role", "behandler"])
    assert code == 2
    assert "Den første medarbejder skal være administrator" in capsys.readouterr().err
    assert counts(empty_db) == (0, 0)


def test_an_administrator_creates_the_next_ones_with_several_roles(empty_db, capsys) -> None:
    assert main(ADMIN) == 0
    # without --as once staff exist: refused
    assert main(["create-staff", "SS", "--name", "Sara Sygeplejerske",
                 "--profession", "Sygeplejerske", "--role", "behandler"]) == 2
    assert "--as" in capsys.readouterr().err
    assert counts(empty_db) == (1, 1)

    assert main(["create-staff", "SS", "--name", "Sara Sygeplejerske",
                 "--profession", "Sygeplejerske", "--role", "behandler",
                 "--role", "Mødeleder,læser", "--email", "sara@example.org", "--as", "aa"]) == 0
    nurse, admin = staff(empty_db, "SS"), staff(empty_db, "AA")
    assert nurse.profession == Profession.SYGEPLEJERSKE
    assert nurse.role_set == {Role.BEHANDLER, Role.MOEDELEDER, Role.LAESER}
    assert nurse.email == "sara@example.org"
    with session_scope(empty_db) as session:
        row = session.scalar(select(AuditLog).where(AuditLog.entity_id == nurse.id,
                                                    AuditLog.entity == "staff"))
    assert row.actor_id == admin.id
    assert row.after["roles"] == ["behandler", "laeser", "moedeleder"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["AA", "--name", "Anders", "--profession", "læge", "--role", "læser"],
         "Der findes allerede en medarbejder med initialerne AA (Anne Andersen)."),
        (["aa", "--name", "Anders", "--profession", "læge", "--role", "læser"],
         "Der findes allerede en medarbejder med initialerne AA"),
        (["KK", "--name", "Karl Kok", "--profession", "kok", "--role", "læser"],
         "Ukendt faggruppe »kok«. Vælg en af: læge, sygeplejerske, psykolog, fysioterapeut, "
         "socialrådgiver, sekretær."),
        (["KK", "--name", "Karl", "--profession", "psykolog", "--role", "behandler,chef"],
         "Ukendt rolle »chef«. Vælg blandt: admin, mødeleder, referent, behandler, læser."),
        (["K K", "--name", "Karl", "--profession", "psykolog", "--role", "læser"],
         "Initialerne må ikke indeholde mellemrum."),
        (["KK", "--name", " ", "--profession", "psykolog", "--role", "læser"],
         "Angiv navnet."),
        (["KK", "--name", "Karl", "--profession", "psykolog", "--role", "læser",
          "--email", "anne@example.org"],
         "E-mailadressen anne@example.org bruges allerede af en anden medarbejder."),
        (["KK", "--name", "Karl", "--profession", "psykolog", "--role", "læser",
          "--as", "XX"],
         "Ukendt medarbejder: XX"),
    ],
    ids=["duplicate", "duplicate-case", "profession", "role", "initials", "name", "email",
         "unknown-admin"],
)
def test_refusals_say_why_in_danish_exit_2_and_write_nothing(
    empty_db, capsys, args, message
) -> None:
    assert main([*ADMIN, "--email", "anne@example.org"]) == 0
    capsys.readouterr()
    before = counts(empty_db)
    as_admin = [] if "--as" in args else ["--as", "AA"]
    assert main(["create-staff", *args, *as_admin]) == 2
    assert message in capsys.readouterr().err
    assert counts(empty_db) == before


def test_a_non_administrator_is_refused_and_the_refusal_logged(empty_db, capsys) -> None:
    assert main(ADMIN) == 0
    assert main(["create-staff", "LL", "--name", "Lene Læge", "--profession", "læge",
                 "--role", "behandler,mødeleder", "--as", "AA"]) == 0
    before = counts(empty_db)
    capsys.readouterr()
    assert main(["create-staff", "NN", "--name", "Ny", "--profession", "læge",
                 "--role", "admin", "--as", "LL"]) == 2
    assert "administrere brugere" in capsys.readouterr().err
    assert counts(empty_db) == before
    with session_scope(empty_db) as session:
        denied = session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "denied"))
        assert [(e.staff_id, e.detail) for e in denied] == [
            (staff(empty_db, "LL").id, "administrere_brugere")
        ]


def test_set_password_works_for_a_created_staff_member(empty_db, capsys, monkeypatch) -> None:
    assert main(ADMIN) == 0
    assert main(["create-staff", "LL", "--name", "Lene Læge", "--profession", "laege",
                 "--role", "behandler", "--as", "AA"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("administratorens kode\n"))
    assert main(["set-password", "AA", "--password-stdin"]) == 0  # the first administrator
    monkeypatch.setattr("sys.stdin", io.StringIO("administratorens kode\nkorrekt hest batteri\n"))
    assert main(["set-password", "LL", "--as", "AA", "--password-stdin"]) == 0
    assert "Adgangskode sat for Lene Læge (LL) af AA." in capsys.readouterr().out
    with session_scope(empty_db) as session:
        assert authenticate(session, "ll", "korrekt hest batteri").initials == "LL"
        assert authenticate(session, "LL", "forkert") is None


def test_professions_and_roles_are_read_from_keys_or_danish_names() -> None:
    assert parse_profession("Socialrådgiver") == Profession.SOCIALRAADGIVER
    assert parse_profession(" sekretaer ") == Profession.SEKRETAER
    assert parse_roles(["Administrator", "moedeleder, Læser", "referent"]) == {
        Role.ADMIN, Role.MOEDELEDER, Role.LAESER, Role.REFERENT
    }
    with pytest.raises(InvalidInput, match="mindst én rolle"):
        parse_roles([" , "])


def test_the_service_refuses_a_first_user_when_staff_exist(db) -> None:
    """The service itself creates without an actor only on a database with no staff."""
    f.staff(db, "Eksisterende")
    with pytest.raises(PermissionDenied, match="administrator"):
        create_staff(db, None, "ZZ", "Zenia", "læge", ["admin"])


def test_single_sign_on_takes_roles_from_the_provider_and_refuses_someone_with_none(db):
    from conference.services.accounts import staff_for_identity

    person = f.staff(db, "Sara Sygeplejerske", roles=(Role.MOEDELEDER, Role.BEHANDLER))
    person.email = "sara@region.dk"
    db.flush()
    found = staff_for_identity(db, "SARA@region.dk", ["behandler", "andet-system"])
    assert found is not None and found.role_set == {Role.BEHANDLER}  # mødeleder taken away
    # removed from every app group at the provider: no roles left, not let in
    assert staff_for_identity(db, "sara@region.dk", ["andet-system"]) is None
    assert person.role_set == set()
    changes = db.scalars(select(AuditLog).where(AuditLog.entity == "staff_roles")).all()
    assert len(changes) == 2
    kinds = db.scalars(select(SecurityEvent.detail).where(SecurityEvent.staff_id == person.id)
                       .order_by(SecurityEvent.id)).all()
    assert kinds[-1] == "ingen roller i SSO"
