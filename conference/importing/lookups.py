"""Read-only look-ups an import plan needs: set-based, a fixed number of queries per file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.importing.values import header_key
from db.models import Intervention, Patient, Profession, Staff

__all__ = ["Catalogue", "StaffDirectory", "chunks", "patients_by_cpr"]

CHUNK = 2000  # values per IN (...) list: well inside SQLite's and PostgreSQL's limits


def chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch: list = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def patients_by_cpr(session: Session, cprs: Iterable[str]) -> dict[str, Patient]:
    found: dict[str, Patient] = {}
    for batch in chunks(sorted(set(cprs))):
        for patient in session.scalars(select(Patient).where(Patient.cpr.in_(batch))):
            found[patient.cpr] = patient
    return found


@dataclass(frozen=True)
class StaffMatch:
    staff: Staff | None
    problem: str | None


class StaffDirectory:
    """Staff by initials (or full name), for columns like PAL-læge and Behandler."""

    PROFESSION_TEXT = {
        Profession.LAEGE: "læge",
        Profession.SYGEPLEJERSKE: "sygeplejerske",
        Profession.PSYKOLOG: "psykolog",
        Profession.FYSIOTERAPEUT: "fysioterapeut",
        Profession.SOCIALRAADGIVER: "socialrådgiver",
        Profession.SEKRETAER: "sekretær",
    }

    def __init__(self, session: Session) -> None:
        self._by_key: dict[str, Staff] = {}
        self.by_id: dict[int, Staff] = {}
        for person in session.scalars(select(Staff)):
            self.by_id[person.id] = person
            self._by_key.setdefault(header_key(person.initials), person)
            self._by_key.setdefault(header_key(person.name), person)

    def label(self, staff_id: int | None) -> str:
        person = self.by_id.get(staff_id) if staff_id is not None else None
        return f"{person.name} ({person.initials})" if person else ""

    def find(self, text: str, profession: Profession | None = None) -> StaffMatch:
        person = self._by_key.get(header_key(text))
        if person is None:
            return StaffMatch(None, f"ukendt medarbejder »{text}« (angiv initialer)")
        if not person.active:
            return StaffMatch(None, f"{person.name} ({person.initials}) er ikke længere aktiv")
        if profession is not None and person.profession != profession:
            return StaffMatch(
                None,
                f"{person.name} ({person.initials}) er "
                f"{self.PROFESSION_TEXT[person.profession]}, ikke "
                f"{self.PROFESSION_TEXT[profession]}",
            )
        return StaffMatch(person, None)


class Catalogue:
    """The intervention catalogue by code and by name (db/catalogue.py keeps it in the table)."""

    def __init__(self, session: Session) -> None:
        self.by_id: dict[int, Intervention] = {}
        self._by_key: dict[str, Intervention] = {}
        for item in session.scalars(select(Intervention)):
            self.by_id[item.id] = item
            self._by_key[header_key(item.code)] = item
            self._by_key.setdefault(header_key(item.name), item)

    def find(self, text: str) -> Intervention | None:
        return self._by_key.get(header_key(text))
