"""Local accounts (used when no single sign-on is configured): argon2 password hashes,
logins logged as security events."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from conference.services.access import log_security_event
from conference.services.errors import InvalidInput, NotFound
from db.models import Role, Staff, StaffRole

HASHER = PasswordHasher()
MIN_PASSWORD = 12


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
    (group names equal to a role's value, e.g. "moedeleder"), replacing the stored ones."""
    if not email:
        return None
    staff = session.scalar(select(Staff).where(func.lower(Staff.email) == email.lower()))
    if staff is None or not staff.active:
        log_security_event(session, "login_failed", username=email[:200], detail="ukendt i SSO")
        return None
    claimed = {Role(g) for g in groups if g in {r.value for r in Role}}
    if claimed and claimed != staff.role_set:
        staff.roles = [StaffRole(role=r) for r in sorted(claimed)]
    log_security_event(session, "login_ok", staff_id=staff.id, username=email[:200],
                       detail="sso")
    return staff
