"""Logins that resist guessing (issue 13), on both databases: per account and per client a
growing wait after 5 failures and a 15-minute lock at 10 (settings), the lock and its end as
security events, an administrator's unlock; unknown names, accounts without a password and wrong
passwords cost the same work and get the same answer. The clock is passed in (`now`)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from conference.services import accounts
from conference.services.access import PermissionDenied
from conference.services.accounts import (
    FAILED_MESSAGE,
    login,
    login_locks,
    set_password,
    unlock,
    unlock_account,
)
from conference.services.errors import InvalidInput
from conference.services.settings import (
    DEFAULT_SECURITY,
    save_security_settings,
    security_settings,
)
from db.models import AuditLog, LoginThrottle, Role, SecurityEvent, Setting
from db.statements import count_statements
from tests import factories as f

T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
RIGHT = "korrekt hest batteri"
CLIENT = "10.0.0.5"


@pytest.fixture
def fast_hashes(monkeypatch):
    """Cheap argon2 parameters, so that many attempts run quickly (the rules are the same)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(accounts, "HASHER", hasher)
    monkeypatch.setattr(accounts, "DUMMY_HASH", hasher.hash("ingen bruger har denne kode"))
    return hasher


@pytest.fixture
def people(db, fast_hashes):  # noqa: ARG001 - the hashes are made cheap first
    admin = f.staff(db, "Anne Admin", roles=(Role.ADMIN,), initials="AA")
    lene = f.staff(db, "Lene Læge", roles=(Role.BEHANDLER,), initials="LL")
    nopass = f.staff(db, "Nina Uden", roles=(Role.BEHANDLER,), initials="NU")
    set_password(db, None, "AA", "administratorens kode")
    set_password(db, admin, "LL", RIGHT)
    lene.email = "lene@example.org"
    db.flush()
    return {"db": db, "admin": admin, "lene": lene, "nopass": nopass}


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def events(db, kind: str) -> list[SecurityEvent]:
    return list(db.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)
                           .order_by(SecurityEvent.id)))


def fail_until_locked(db, name: str, client: str | None = CLIENT, start: float = 0) -> float:
    """Wrong passwords, each as soon as allowed, until the lock; returns the moment of the last."""
    moment = start
    for _ in range(DEFAULT_SECURITY.lock_failures):
        result = login(db, name, "forkert", client=client, now=at(moment))
        assert result.staff is None
        if result.locked_until:
            return moment
        moment += result.wait_seconds
    raise AssertionError("never locked")


def test_after_five_failures_a_growing_wait_then_a_lock_for_fifteen_minutes(people) -> None:
    db = people["db"]
    answers = [login(db, "LL", "forkert", client=CLIENT, now=at(i)) for i in range(5)]
    assert [a.message for a in answers[:4]] == [FAILED_MESSAGE] * 4
    assert answers[4].message == f"{FAILED_MESSAGE} Vent 1 sekund, før du prøver igen."

    # within the wait even the right password is refused, unchecked, and not counted
    early = login(db, "LL", RIGHT, client=CLIENT, now=at(4.5))
    assert early.staff is None and early.wait_seconds == 1
    assert early.message == "For mange mislykkede forsøg. Vent 1 sekund, før du prøver igen."

    waits, moment = [], 5.0
    while True:
        result = login(db, "LL", "forkert", client=CLIENT, now=at(moment))
        if result.locked_until:
            break
        waits.append(result.wait_seconds)
        moment += result.wait_seconds
    assert waits == [2, 4, 8, 16]  # failures 6 to 9; the 10th locks
    assert result.locked_until == at(moment) + dt.timedelta(minutes=15)
    assert result.message.startswith("For mange mislykkede forsøg på at logge ind: det er "
                                     "spærret til kl. ")
    locked = events(db, "login_locked")
    assert {e.detail.split(" spærret")[0] for e in locked} == {"kontoen", f"klienten {CLIENT}"}
    assert all(e.username == "LL" for e in locked)
    assert any(e.staff_id == people["lene"].id for e in locked)

    # during the lock the right password is refused, from another client too
    during = login(db, "LL", RIGHT, client="10.0.0.9", now=at(moment + 14 * 60))
    assert during.staff is None and during.locked_until == result.locked_until

    # after it the lock's end is logged and the right password works
    after = login(db, "LL", RIGHT, client="10.0.0.9", now=at(moment + 15 * 60 + 1))
    assert after.staff is people["lene"]
    released = events(db, "login_unlocked")
    assert [e.detail for e in released] == ["spærringen af kontoen udløb (10 fejl)"]
    assert released[0].staff_id == people["lene"].id


def test_after_a_lock_has_run_out_the_next_failure_locks_again(people) -> None:
    db = people["db"]
    last = fail_until_locked(db, "LL")
    again = login(db, "LL", "forkert", client=None, now=at(last + 16 * 60))
    assert again.locked_until == at(last + 16 * 60) + dt.timedelta(minutes=15)
    # an hour without failures (and no lock): they are forgotten
    later = at(last + 16 * 60 + 15 * 60 + 3601)
    assert login(db, "LL", "forkert", client=None, now=later).message == FAILED_MESSAGE


def test_a_success_forgets_the_failures(people) -> None:
    db = people["db"]
    for i in range(4):
        login(db, "LL", "forkert", client=CLIENT, now=at(i))
    assert login(db, "LL", RIGHT, client=CLIENT, now=at(5)).staff is people["lene"]
    for i in range(4):
        assert login(db, "LL", "forkert", client=CLIENT, now=at(10 + i)).message == (
            FAILED_MESSAGE
        )


def test_one_client_guessing_many_names_is_locked_as_a_client(people) -> None:
    db = people["db"]
    moment = 0.0
    for n in range(DEFAULT_SECURITY.lock_failures):
        result = login(db, f"gæt{n}", "forkert", client=CLIENT, now=at(moment))
        moment += result.wait_seconds
    assert result.locked_until is not None
    assert [e.detail.split(" spærret")[0] for e in events(db, "login_locked")] == [
        f"klienten {CLIENT}"
    ]
    # that client cannot log in to anyone now; another client can
    assert login(db, "LL", RIGHT, client=CLIENT, now=at(moment + 1)).staff is None
    assert login(db, "LL", RIGHT, client="10.0.0.6", now=at(moment + 1)).staff is not None


def _attempt(db, name: str, monkeypatch) -> tuple[str, int, list[str], list[str]]:
    verified: list[str] = []
    real = accounts._verify

    def counting(password_hash: str, password: str | None) -> bool:
        verified.append("dummy" if password_hash == accounts.DUMMY_HASH else "real")
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", counting)
    with count_statements() as counted:
        result = login(db, name, "forkert", client=CLIENT + name, now=at(0))
    monkeypatch.setattr(accounts, "_verify", real)
    # the same statements (savepoint names aside: they number up through the test)
    shapes = [re.sub(r"sa_savepoint_\d+", "sa_savepoint", " ".join(s.split()))
              for s in counted.statements]
    return result.message, counted.count, verified, shapes


def test_unknown_initials_no_password_and_a_wrong_one_cost_the_same_and_read_the_same(
    people, monkeypatch
) -> None:
    db = people["db"]
    unknown = _attempt(db, "XQ", monkeypatch)
    no_password = _attempt(db, "NU", monkeypatch)
    wrong = _attempt(db, "LL", monkeypatch)
    assert unknown[0] == no_password[0] == wrong[0] == FAILED_MESSAGE
    # the same statements, and one argon2 verification each (a dummy hash where there is none)
    assert unknown[1] == no_password[1] == wrong[1]
    assert unknown[3] == no_password[3] == wrong[3]
    assert (unknown[2], no_password[2], wrong[2]) == (["dummy"], ["dummy"], ["real"])
    failed = events(db, "login_failed")[-3:]
    assert [(e.username, e.staff_id) for e in failed] == [
        ("XQ", None), ("NU", people["nopass"].id), ("LL", people["lene"].id)
    ]


def test_an_unknown_name_is_locked_exactly_like_an_account(people) -> None:
    db = people["db"]
    unknown_last = fail_until_locked(db, "XQ", client=None)
    known_last = fail_until_locked(db, "LL", client=None)
    assert unknown_last == known_last
    assert login(db, "XQ", "x", now=at(unknown_last + 1)).message == login(
        db, "LL", "x", now=at(known_last + 1)
    ).message


def test_an_inactive_account_is_refused_like_any_other_failure(people) -> None:
    db = people["db"]
    people["lene"].active = False
    db.flush()
    result = login(db, "LL", RIGHT, client=CLIENT, now=at(0))
    assert result.staff is None and result.message == FAILED_MESSAGE


def test_initials_and_e_mail_count_against_the_same_account(people) -> None:
    db = people["db"]
    moment = 0.0
    for n in range(DEFAULT_SECURITY.lock_failures):
        name = "LL" if n % 2 else "LENE@example.org"
        result = login(db, name, "forkert", client=None, now=at(moment))
        moment += result.wait_seconds
    assert result.locked_until is not None
    assert db.scalar(select(func.count()).select_from(LoginThrottle)) == 1


def test_an_administrator_lists_and_lifts_locks_with_an_event_and_an_audit_row(people) -> None:
    db, admin, lene = people["db"], people["admin"], people["lene"]
    last = fail_until_locked(db, "LL")
    now = at(last + 60)
    locks = login_locks(db, admin, now=now)
    assert {(lock.label, lock.failures) for lock in locks} == {
        (f"LL ({lene.name})", 10), (f"klienten {CLIENT}", 10)
    }
    with pytest.raises(PermissionDenied, match="administrere brugere"):
        login_locks(db, lene, now=now)
    with pytest.raises(PermissionDenied, match="administrere brugere"):
        unlock(db, lene, f"konto:{lene.id}", now=now)

    lifted = unlock_account(db, admin, "ll", now=now)
    assert [lock.key for lock in lifted] == [f"konto:{lene.id}"]
    event = events(db, "login_unlocked")[-1]
    assert event.staff_id == admin.id and event.username == f"LL ({lene.name})"
    assert event.detail == "spærring ophævet af administrator AA"
    row = db.scalar(select(AuditLog).where(AuditLog.entity == "login_throttle"))
    assert (row.actor_id, row.action, row.entity_id) == (admin.id, "delete", lene.id)
    assert row.before["fejl"] == 10

    # the client is still locked: from it, no one; lifted too, Lene is in
    assert login(db, "LL", RIGHT, client=CLIENT, now=now).staff is None
    assert unlock(db, admin, f"klient:{CLIENT}", now=now) is not None
    assert login(db, "LL", RIGHT, client=CLIENT, now=now).staff is lene
    assert login_locks(db, admin, now=now) == []
    assert unlock(db, admin, f"klient:{CLIENT}", now=now) is None


def test_the_thresholds_are_settings_an_administrator_changes_with_an_audit_row(people) -> None:
    db, admin = people["db"], people["admin"]
    assert security_settings(db) == DEFAULT_SECURITY
    assert (DEFAULT_SECURITY.free_failures, DEFAULT_SECURITY.lock_failures,
            DEFAULT_SECURITY.lock_minutes, DEFAULT_SECURITY.idle_seconds) == (5, 10, 15, 1800)
    with pytest.raises(PermissionDenied):
        save_security_settings(db, people["lene"], lock_minutes=5)
    with pytest.raises(InvalidInput, match="spærringens længde"):
        save_security_settings(db, admin, lock_minutes=0)
    with pytest.raises(InvalidInput, match="Spærringen skal komme efter ventetiden"):
        save_security_settings(db, admin, free_failures=10, lock_failures=10)
    saved = save_security_settings(db, admin, free_failures=2, lock_failures=3, lock_minutes=5,
                                   delay_seconds=0)
    assert security_settings(db) == saved
    row = db.scalars(select(AuditLog).where(AuditLog.entity == "setting")).all()[-1]
    assert row.actor_id == admin.id and row.after["login_lock_failures"] == "3"

    answers = [login(db, "LL", "forkert", client=None, now=at(0)) for _ in range(3)]
    assert [a.wait_seconds for a in answers] == [0, 0, 0]  # no wait with delay 0
    assert answers[2].locked_until == at(0) + dt.timedelta(minutes=5)


def test_stored_nonsense_reads_as_the_defaults(people) -> None:
    db = people["db"]
    db.add_all([Setting(key="login_lock_failures", value="mange"),
                Setting(key="idle_timeout_seconds", value="-5")])
    db.flush()
    assert security_settings(db) == DEFAULT_SECURITY
