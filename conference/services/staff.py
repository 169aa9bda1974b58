"""Staff: who works at the centre, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.labels import PROFESSION
from db.models import Role, Staff


@dataclass(frozen=True)
class StaffOption:
    id: int
    name: str
    initials: str
    profession: str
    roles: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.initials}, {self.profession})"


def list_staff(session: Session, *, active_only: bool = True) -> list[StaffOption]:
    query = select(Staff).order_by(Staff.name)
    if active_only:
        query = query.where(Staff.active.is_(True))
    return [
        StaffOption(
            s.id,
            s.name,
            s.initials,
            PROFESSION[s.profession],
            tuple(sorted(r.role.value for r in s.roles)),
        )
        for s in session.scalars(query)
    ]


def get_staff(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def has_role(staff: Staff, role: Role) -> bool:
    return role in staff.role_set
