"""Local accounts (used when no single sign-on is configured): argon2 password hashes, logins
that resist guessing, accountable password changes; staff members created from the command line.

Logins (`login`) are throttled per account and per client (conference.services.settings
.SecuritySettings): after a few failures in a row a growing wait, then a lock that an
administrator can lift (`unlock`, `unlock_account`). An unknown name, an account without a
password and a wrong password cost the same work and get the same answer. Every attempt, lock
and release is a security event; every password change an audit row naming who made it.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conference.formatting import local_clock
from conference.labels import PROFESSION, ROLE
from conference.permissions import Action
from conference.services import audit
from conference.services.access import PermissionDenied, authorize, log_security_event
from conference.services.errors import InvalidInput, NotFound
from conference.services.settings import SecuritySettings, security_settings
from db.models import LoginThrottle, Profession, Role, Staff, StaffRole, utcnow

HASHER = PasswordHasher()
MIN_PASSWORD = 12
INITIALS_MAX = 12
NAME_MAX = 120
EMAIL_MAX = 200
#: How the command line names the roles (the keys are stored; these are typed and shown).
ROLE_WORDS = {
    Role.ADMIN: "admin",
    Role.MOEDELEDER: "mødeleder",
    Role.REFERENT: "referent",
    Role.BEHANDLER: "behandler",
    Role.LAESER: "læser",
}


def _folded(text: str) -> str:
    """'Mødeleder' -> 'moedeleder', 'Socialrådgiver' -> 'socialraadgiver' (the stored keys)."""
    text = text.strip().casefold()
    return text.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")


def parse_profession(text: str) -> Profession:
    """A profession from its key or its Danish name, any case ('læge', 'Læge', 'laege')."""
    wanted = _folded(text or "")
    for profession, label in PROFESSION.items():
        if wanted in (profession.value, _folded(label)):
            return profession
    known = ", ".join(label.lower() for label in PROFESSION.values())
    raise InvalidInput(f"Ukendt faggruppe »{(text or '').strip()}«. Vælg en af: {known}.")


def parse_roles(texts: Iterable[str]) -> set[Role]:
    """Roles from their keys or Danish names ('mødeleder', 'moedeleder', 'Administrator');
    each text may hold several, separated by commas. At least one."""
    roles: set[Role] = set()
    for text in texts:
        for word in (w for w in text.split(",") if w.strip()):
            wanted = _folded(word)
            found = next(
                (r for r in Role if wanted in (r.value, _folded(ROLE[r]), _folded(ROLE_WORDS[r]))),
                None,
            )
            if found is None:
                known = ", ".join(ROLE_WORDS.values())
                raise InvalidInput(f"Ukendt rolle »{word.strip()}«. Vælg blandt: {known}.")
            roles.add(found)
    if not roles:
        raise InvalidInput("Angiv mindst én rolle.")
    return roles


def _text(value: str | None, missing: str, too_long: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(missing)
    if len(text) > limit:
        raise InvalidInput(f"{too_long} (højst {limit} tegn).")
    return text


def create_staff(
    session: Session,
    actor: Staff | None,
    initials: str,
    name: str,
    profession: str,
    roles: Iterable[str],
    *,
    email: str | None = None,
) -> Staff:
    """Create a staff member with a profession and roles (from the command line).

    `actor` must be an administrator (Action.MANAGE_STAFF). Only the very first staff member
    of an empty database is created without one, and must be an administrator; the audit row
    then names the new staff member as the one who acted. Refusals raise PermissionDenied or
    InvalidInput (Danish messages) before anything is written."""
    if actor is not None:
        authorize(session, actor, Action.MANAGE_STAFF)
    elif session.scalar(select(Staff.id).limit(1)) is not None:
        raise PermissionDenied(
            "Der findes allerede medarbejdere: nye oprettes af en administrator "
            "(--as INITIALER).", None, Action.MANAGE_STAFF, "ingen administrator angivet",
        )
    initials = _text(initials, "Angiv initialerne.", "Initialerne er for lange", INITIALS_MAX)
    if any(c.isspace() for c in initials):
        raise InvalidInput("Initialerne må ikke indeholde mellemrum.")
    name = _text(name, "Angiv navnet.", "Navnet er for langt", NAME_MAX)
    chosen_profession = parse_profession(profession)
    chosen_roles = parse_roles(roles)
    email = (email or "").strip() or None
    if email is not None and ("@" not in email or len(email) > EMAIL_MAX):
        raise InvalidInput(f"»{email}« er ikke en gyldig e-mailadresse.")
    if actor is None and Role.ADMIN not in chosen_roles:
        raise InvalidInput("Den første medarbejder skal være administrator (--role admin).")
    same = session.scalar(select(Staff).where(func.upper(Staff.initials) == initials.upper()))
    if same is not None:
        raise InvalidInput(
            f"Der findes allerede en medarbejder med initialerne {same.initials} ({same.name})."
        )
    if email is not None and session.scalar(
        select(Staff.id).where(func.lower(Staff.email) == email.lower())
    ) is not None:
        raise InvalidInput(f"E-mailadressen {email} bruges allerede af en anden medarbejder.")

    staff = Staff(
        initials=initials, name=name, profession=chosen_profession, email=email, active=True,
        roles=[StaffRole(role=r) for r in sorted(chosen_roles)],
    )
    session.add(staff)
    session.flush()
    after = {k: v for k, v in audit.snapshot(staff).items() if k != "password_hash"}
    after["roles"] = sorted(r.value for r in chosen_roles)
    audit.record_values(
        session, actor or staff, "create", "staff", staff.id, before=None, after=after
    )
    log_security_event(
        session, "staff_created", staff_id=(actor or staff).id, username=staff.initials,
        detail=", ".join(sorted(r.value for r in chosen_roles)),
    )
    return staff


# --------------------------------------------------------------------------- passwords


def _verify(password_hash: str, password: str | None) -> bool:
    try:
        return HASHER.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def staff_by_initials(session: Session, initials: str) -> Staff | None:
    """The staff member with these initials (any case), or None."""
    wanted = (initials or "").strip().upper()
    if not wanted:
        return None
    return session.scalar(select(Staff).where(func.upper(Staff.initials) == wanted))


def _an_administrator_has_a_password(session: Session) -> bool:
    return session.scalar(
        select(Staff.id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(StaffRole.role == Role.ADMIN, Staff.active.is_(True),
               Staff.password_hash.is_not(None))
        .limit(1)
    ) is not None


def set_password(
    session: Session,
    actor: Staff | None,
    initials: str,
    password: str,
    *,
    old_password: str | None = None,
) -> Staff:
    """Give a staff member a new local password, accountably.

    Who may: an administrator for anyone (`actor`, whose identity the caller has checked: the
    command line asks for their own password); the account's owner (`actor` is the account)
    with the current password as `old_password`; and, once, the first administrator of an
    installation: `actor` None, for an administrator while no administrator has a password.
    Every change writes an audit row and a security event naming who did it; a refusal raises
    PermissionDenied or InvalidInput (Danish) before anything is written, for the caller to
    log (`log_password_refusal`)."""
    staff = staff_by_initials(session, initials)
    if staff is None:
        raise NotFound(f"Ingen medarbejder med initialerne {initials}.")
    subject = f"adgangskode for {staff.initials}"
    if actor is None:
        if Role.ADMIN not in staff.role_set or _an_administrator_has_a_password(session):
            raise PermissionDenied(
                "Angiv, hvem der sætter adgangskoden: en administrator med --as INITIALER (og "
                "sin egen adgangskode), eller medarbejderen selv med sin nuværende adgangskode.",
                None, Action.MANAGE_STAFF, subject,
            )
        actor, how = staff, "første administrator"
    elif actor.id == staff.id and staff.password_hash:
        if not (actor.active and _verify(staff.password_hash, old_password)):
            raise PermissionDenied(
                "Den nuværende adgangskode er forkert. Adgangskoden er ikke ændret.",
                actor.id, Action.MANAGE_STAFF, f"{subject}: forkert nuværende adgangskode",
            )
        how = "egen"
    else:
        authorize(session, actor, Action.MANAGE_STAFF)
        how = "egen" if actor.id == staff.id else "administrator"
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"Adgangskoden skal være mindst {MIN_PASSWORD} tegn.")
    if staff.password_hash and _verify(staff.password_hash, password):
        raise InvalidInput("Den nye adgangskode er den samme som den nuværende.")
    had = staff.password_hash is not None
    staff.password_hash = HASHER.hash(password)
    session.flush()
    audit.record_values(
        session, actor, "update", Staff.__tablename__, staff.id,
        before={"adgangskode": "sat" if had else "ingen"},
        after={"adgangskode": "ny", "sat_af": actor.initials, "hvordan": how},
    )
    log_security_event(session, "password_set", staff_id=actor.id, username=staff.initials,
                       detail=how)
    return staff


def log_password_refusal(
    session: Session, actor_id: int | None, initials: str, reason: str
) -> None:
    """A refused password change, as a security event (in a transaction of its own: the
    refused one was rolled back)."""
    log_security_event(session, "password_refused", staff_id=actor_id,
                       username=(initials or "")[:200], detail=reason[:400])


# --------------------------------------------------------------------------- logging in

#: Verified instead of a real hash for unknown names and accounts without a password, so that
#: every failed login costs the same work. Made at import with the hasher's own parameters.
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(24))
FAILED_MESSAGE = "Forkert brugernavn eller adgangskode."
#: Failures are forgotten this long after the last one (unless a lock is running); a success
#: forgets them at once.
FORGET_AFTER = dt.timedelta(hours=1)
KEY_MAX = 240


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to: the staff member, or the Danish message to show."""

    staff: Staff | None
    message: str | None = None
    locked_until: dt.datetime | None = None
    wait_seconds: int = 0


def _folded_name(name: str) -> str:
    return " ".join(name.split()).casefold()[:200]


def throttle_keys(staff_id: int | None, name: str, client: str | None) -> list[str]:
    """The throttle rows one attempt counts against: the account (or the name as typed, when
    no staff member has it: such names are throttled exactly alike) and the client."""
    account = f"konto:{staff_id}" if staff_id is not None else f"navn:{_folded_name(name)}"
    keys = [account[:KEY_MAX]]
    if client:
        keys.append(f"klient:{client}"[:KEY_MAX])
    return keys


def _locked_message(until: dt.datetime) -> str:
    return (
        "For mange mislykkede forsøg på at logge ind: det er spærret til kl. "
        f"{local_clock(until)}. En administrator kan ophæve spærringen."
    )


def _wait_message(seconds: int, *, failed: bool) -> str:
    unit = "sekund" if seconds == 1 else "sekunder"
    first = f"{FAILED_MESSAGE} " if failed else "For mange mislykkede forsøg. "
    return f"{first}Vent {seconds} {unit}, før du prøver igen."


def _wait(settings: SecuritySettings, failures: int) -> dt.timedelta:
    """How long after the last failure the next attempt must wait."""
    if failures < settings.free_failures or settings.delay_seconds == 0:
        return dt.timedelta(0)
    doublings = min(failures - settings.free_failures, 20)
    return dt.timedelta(seconds=settings.delay_seconds * 2 ** doublings)


def _seconds(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _staff_of(key: str) -> int | None:
    kind, _, rest = key.partition(":")
    return int(rest) if kind == "konto" and rest.isdigit() else None


def _what(key: str) -> str:
    kind, _, rest = key.partition(":")
    return {"konto": "kontoen", "navn": "navnet", "klient": f"klienten {rest}"}.get(kind, key)


def _release_expired(session: Session, keys: list[str], now: dt.datetime) -> None:
    """Locks that have run out are lifted (a security event each); failures long past are
    forgotten."""
    table = LoginThrottle.__table__
    released = session.execute(
        update(table)
        .where(table.c.key.in_(keys), table.c.locked_until <= now)
        .values(locked_until=None)
        .returning(table.c.key, table.c.failures)
    ).all()
    for key, failures in released:
        log_security_event(session, "login_unlocked", staff_id=_staff_of(key),
                           detail=f"spærringen af {_what(key)} udløb ({failures} fejl)")
    session.execute(
        update(table)
        .where(table.c.key.in_(keys), table.c.locked_until.is_(None),
               table.c.last_failure_at < now - FORGET_AFTER)
        .values(failures=0)
    )


def _count_failure(
    session: Session, key: str, now: dt.datetime, settings: SecuritySettings, username: str
) -> tuple[int, dt.datetime | None]:
    """One more failure on `key` (atomic); locks it when it reaches the limit. Returns the
    failures and the end of a lock this failure started."""
    table = LoginThrottle.__table__
    failures = session.execute(
        update(table).where(table.c.key == key)
        .values(failures=table.c.failures + 1, last_failure_at=now)
        .returning(table.c.failures)
    ).scalar()
    if failures is None:
        try:
            with session.begin_nested():
                session.execute(insert(table).values(key=key, failures=1, last_failure_at=now))
            failures = 1
        except IntegrityError:  # another attempt created it a moment ago
            failures = session.execute(
                update(table).where(table.c.key == key)
                .values(failures=table.c.failures + 1, last_failure_at=now)
                .returning(table.c.failures)
            ).scalar_one()
    if failures < settings.lock_failures:
        return failures, None
    until = now + dt.timedelta(minutes=settings.lock_minutes)
    started = session.execute(
        update(table)
        .where(table.c.key == key,
               or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
        .values(locked_until=until)
    ).rowcount
    if not started:
        return failures, None
    log_security_event(
        session, "login_locked", staff_id=_staff_of(key), username=username,
        detail=f"{_what(key)} spærret til {until.isoformat(timespec='seconds')} "
               f"efter {failures} mislykkede forsøg",
    )
    return failures, until


def login(
    session: Session,
    username: str,
    password: str,
    *,
    client: str | None = None,
    now: dt.datetime | None = None,
    detail: str | None = None,
) -> LoginResult:
    """A local login by initials or e-mail, throttled per account and per `client` (e.g. the
    browser's address; None: the account only).

    After SecuritySettings.free_failures failures in a row each attempt waits a growing time
    (refused unchecked until then); at lock_failures the account or client is locked for
    lock_minutes: a security event, as is its end. Unknown names, accounts without a password
    (or inactive) and wrong passwords cost the same work (a dummy hash is verified) and get the
    same answer. Every attempt is a security event (`detail` says where it came from)."""
    now = now or utcnow()
    settings = security_settings(session)
    name = (username or "").strip()
    shown = name[:200]
    # the same one statement whoever it is (the columns only: no roles loaded for a found one)
    found = session.execute(
        select(Staff.id, Staff.active, Staff.password_hash).where(
            or_(func.upper(Staff.initials) == name.upper(), func.lower(Staff.email) == name.lower())
        ).limit(1)
    ).first()
    staff_id = found.id if found is not None else None
    keys = throttle_keys(staff_id, name, client)
    _release_expired(session, keys, now)
    table = LoginThrottle.__table__
    rows = session.execute(
        select(table.c.key, table.c.failures, table.c.last_failure_at, table.c.locked_until)
        .where(table.c.key.in_(keys)).order_by(table.c.key).with_for_update()
    ).all()
    locked = [row.locked_until for row in rows if row.locked_until is not None]
    if locked:
        log_security_event(session, "login_failed", staff_id=staff_id, username=shown,
                           detail=_joined(detail, "spærret"))
        return LoginResult(None, _locked_message(max(locked)), locked_until=max(locked))
    waits = [(row.last_failure_at, _wait(settings, row.failures)) for row in rows]
    ready = max((last + wait for last, wait in waits if wait), default=now)
    if ready > now:
        log_security_event(session, "login_failed", staff_id=staff_id, username=shown,
                           detail=_joined(detail, "for tidligt"))
        wait = _seconds(ready - now)
        return LoginResult(None, _wait_message(wait, failed=False), wait_seconds=wait)

    usable = found is not None and found.active and bool(found.password_hash)
    ok = _verify(found.password_hash if usable else DUMMY_HASH, password) and usable
    if ok:
        staff = session.get(Staff, staff_id)
        assert staff is not None and staff.password_hash
        if HASHER.check_needs_rehash(staff.password_hash):
            staff.password_hash = HASHER.hash(password)
        session.execute(delete(table).where(table.c.key.in_(keys)))
        _forget_quiet_rows(session, now)
        log_security_event(session, "login_ok", staff_id=staff.id, username=shown,
                           detail=detail)
        return LoginResult(staff)

    log_security_event(session, "login_failed", staff_id=staff_id, username=shown,
                       detail=detail)
    # (in key order, as the rows were locked: two attempts never wait for each other in turn)
    counted = [_count_failure(session, key, now, settings, shown) for key in sorted(keys)]
    until = max((lock for _, lock in counted if lock is not None), default=None)
    if until is not None:
        return LoginResult(None, _locked_message(until), locked_until=until)
    wait = max((_wait(settings, failures) for failures, _ in counted), default=dt.timedelta(0))
    if wait:
        seconds = _seconds(wait)
        return LoginResult(None, _wait_message(seconds, failed=True), wait_seconds=seconds)
    return LoginResult(None, FAILED_MESSAGE)


def _joined(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second


def _forget_quiet_rows(session: Session, now: dt.datetime) -> None:
    """Delete rows quiet for long (no lock running): names typed once stay no longer. Rows
    another attempt holds are skipped (PostgreSQL; SQLite has one writer anyway)."""
    table = LoginThrottle.__table__
    quiet = (
        select(table.c.key)
        .where(table.c.last_failure_at < now - FORGET_AFTER,
               or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    keys = session.scalars(quiet).all()
    if keys:
        session.execute(delete(table).where(table.c.key.in_(keys)))


def authenticate(
    session: Session, username: str, password: str, *, client: str | None = None,
    now: dt.datetime | None = None,
) -> Staff | None:
    """The staff member whose initials or e-mail and password match (see `login`)."""
    return login(session, username, password, client=client, now=now).staff


# --------------------------------------------------------------------------- locks


@dataclass(frozen=True)
class LoginLock:
    """A running lock (or wait) for the administrators' list."""

    key: str
    label: str  # 'LL (Lene Læge)', 'navnet »xyz« (ingen medarbejder)', 'klienten 10.0.0.5'
    failures: int
    locked_until: dt.datetime | None


def _labels(session: Session, keys: list[str]) -> dict[str, str]:
    ids = [i for i in (_staff_of(k) for k in keys) if i is not None]
    people = {
        s.id: f"{s.initials} ({s.name})"
        for s in session.scalars(select(Staff).where(Staff.id.in_(ids)))
    } if ids else {}
    labels = {}
    for key in keys:
        kind, _, rest = key.partition(":")
        if kind == "konto":
            labels[key] = people.get(int(rest), key)
        elif kind == "navn":
            labels[key] = f"navnet »{rest}« (ingen medarbejder)"
        else:
            labels[key] = f"klienten {rest}"
    return labels


def login_locks(session: Session, actor: Staff, *, now: dt.datetime) -> list[LoginLock]:
    """The accounts, names and clients locked now (administrators only), newest lock first."""
    authorize(session, actor, Action.MANAGE_STAFF)
    table = LoginThrottle.__table__
    rows = session.execute(
        select(table.c.key, table.c.failures, table.c.locked_until)
        .where(table.c.locked_until > now)
        .order_by(table.c.locked_until.desc(), table.c.key)
    ).all()
    labels = _labels(session, [row.key for row in rows])
    return [LoginLock(row.key, labels[row.key], row.failures, row.locked_until) for row in rows]


def unlock(session: Session, actor: Staff, key: str, *, now: dt.datetime) -> LoginLock | None:
    """Lift a lock (and forget the failures) of one account, name or client (administrators
    only): a security event and an audit row naming the administrator. None: nothing was
    locked or counted under `key`."""
    authorize(session, actor, Action.MANAGE_STAFF)
    table = LoginThrottle.__table__
    row = session.execute(
        select(table.c.key, table.c.failures, table.c.locked_until)
        .where(table.c.key == key).with_for_update()
    ).one_or_none()
    if row is None:
        return None
    lock = LoginLock(row.key, _labels(session, [row.key])[row.key], row.failures,
                     row.locked_until)
    session.execute(delete(table).where(table.c.key == key))
    running = row.locked_until is not None and row.locked_until > now
    log_security_event(
        session, "login_unlocked", staff_id=actor.id, username=lock.label[:200],
        detail=("spærring ophævet" if running else "mislykkede forsøg nulstillet")
        + f" af administrator {actor.initials}",
    )
    audit.record_values(
        session, actor, "delete", LoginThrottle.__tablename__, _staff_of(key),
        before={"nøgle": key, "fejl": row.failures,
                "spærret_til": row.locked_until.isoformat() if row.locked_until else None},
        after=None,
    )
    return lock


def unlock_account(
    session: Session, actor: Staff, initials: str, *, now: dt.datetime
) -> list[LoginLock]:
    """Lift the locks of a staff member's account (by initials; also what was counted against
    their initials or e-mail as typed before the account existed). Administrators only."""
    authorize(session, actor, Action.MANAGE_STAFF)
    staff = staff_by_initials(session, initials)
    if staff is None:
        raise NotFound(f"Ingen medarbejder med initialerne {initials}.")
    keys = [f"konto:{staff.id}", f"navn:{_folded_name(staff.initials)}"]
    if staff.email:
        keys.append(f"navn:{_folded_name(staff.email)}")
    lifted = [unlock(session, actor, key, now=now) for key in keys]
    return [lock for lock in lifted if lock is not None]


def staff_for_identity(session: Session, email: str | None, groups: list[str]) -> Staff | None:
    """Single sign-on: the staff member with this e-mail; roles from the provider's groups
    (group names equal to a role's value, e.g. "moedeleder"), replacing the stored ones. The
    provider decides: someone in none of the app's groups has no roles and is not let in."""
    if not email:
        return None
    staff = session.scalar(select(Staff).where(func.lower(Staff.email) == email.lower()))
    if staff is None or not staff.active:
        log_security_event(session, "login_failed", username=email[:200], detail="ukendt i SSO")
        return None
    claimed = {Role(g) for g in groups if g in {r.value for r in Role}}
    if claimed != staff.role_set:
        before = sorted(r.value for r in staff.role_set)
        staff.roles = [StaffRole(role=r) for r in sorted(claimed)]
        session.flush()
        audit.record_values(session, staff, "update", "staff_roles", staff.id,
                            before={"roles": before},
                            after={"roles": sorted(r.value for r in claimed)})
    if not claimed:
        log_security_event(session, "login_failed", staff_id=staff.id, username=email[:200],
                           detail="ingen roller i SSO")
        return None
    log_security_event(session, "login_ok", staff_id=staff.id, username=email[:200],
                       detail="sso")
    return staff
