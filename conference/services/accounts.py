"""Local accounts (used when no single sign-on is configured): argon2 password hashes,
logins logged as security events; staff members created from the command line."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from conference.labels import PROFESSION, ROLE
from conference.permissions import Action
from conference.services import audit
from conference.services.access import PermissionDenied, authorize, log_security_event
from conference.services.errors import InvalidInput, NotFound
from db.models import Profession, Role, Staff, StaffRole

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


def set_password(session: Session, initials: str, password: str) -> Staff:
    """Give a staff member a local password (from the command line, by an administrator)."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Adgangskoden skal være mindst {MIN_PASSWORD} tegn.")
    staff = session.scalar(select(Staff).where(func.upper(Staff.initials) == initials.upper()))
    if staff is None:
        raise NotFound(f"Ingen medarbejder med initialerne {initials}.")
    staff.password_hash = HASHER.hash(password)
    log_security_event(session, "password_set", staff_id=staff.id, username=staff.initials)
    return staff


def authenticate(session: Session, username: str, password: str) -> Staff | None:
    """The staff member whose initials or e-mail and password match; every attempt is logged."""
    name = (username or "").strip()
    staff = session.scalar(
        select(Staff).where(
            or_(func.upper(Staff.initials) == name.upper(), func.lower(Staff.email) == name.lower())
        )
    ) if name else None
    ok = False
    if staff is not None and staff.active and staff.password_hash:
        try:
            ok = HASHER.verify(staff.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and HASHER.check_needs_rehash(staff.password_hash):
            staff.password_hash = HASHER.hash(password)
    log_security_event(
        session, "login_ok" if ok else "login_failed",
        staff_id=staff.id if staff else None, username=name[:200],
    )
    return staff if ok else None


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
