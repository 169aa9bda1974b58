"""Import kind "patienter": patients and their microteams.

One row per patient: CPR, name (Fornavn + Efternavn, or Navn), Henvist, and optionally
Mikroteam, PAL-læge, Kontaktsygeplejerske (initials or full name), Diagnose and Smertevarighed
(years, decimal comma allowed). Sex and birth date come from the CPR number. A known CPR number
updates the patient; a blank cell never erases what is stored. A microteam that does not exist
is created, and the PAL-læge and kontaktsygeplejerske become members of the patient's team.

A known CPR number with another name (compared without regard to case and spacing) or another
birth date than the stored patient's is refused: it may be another person under a mistyped
number. Only when the importer explicitly chooses to update that patient (``update_existing``:
True for every such row, or the CPR numbers chosen) does the row update the name and birth date,
with before and after in the preview and the audit trail. A birth date that gives an age over
110 years at the referral date or today, or that lies after a stored referral date, is a
warning on the row; a referral date in the row before the birth date is refused. A birth date
(from the CPR number) or a referral date after the import's date or before 1900 is refused.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.cpr import CprInfo, format_cpr, plausibility_warnings
from conference.formatting import date_numeric, number
from conference.importing.columns import Column
from conference.importing.lookups import StaffDirectory, patients_by_cpr
from conference.importing.reading import Row, Table
from conference.importing.report import CREATE, UPDATE, Change, IdentityConflict, Issue, Plan
from conference.importing.sheet import Sheet
from conference.importing.values import header_key, is_blank
from db.models import Microteam, MicroteamMember, Patient, Profession, Staff, TeamFunction

KIND = "patienter"
COLUMNS = (
    Column("cpr", "CPR", ("cpr nr", "cpr nr.", "cprnr", "cpr nummer", "personnummer"), True,
           "DDMMÅÅ-SSSS"),
    Column("first_name", "Fornavn", ("fornavne",)),
    Column("last_name", "Efternavn"),
    Column("name", "Navn", ("patient", "patientnavn", "fulde navn"),
           help="i stedet for Fornavn og Efternavn: »Efternavn, Fornavn« eller "
                "»Fornavn Efternavn«"),
    Column("referral_date", "Henvist", ("henvisningsdato", "henvist dato", "henvist den"),
           help="dd-mm-åååå; skal udfyldes for nye patienter"),
    Column("microteam", "Mikroteam", ("team",)),
    Column("pal", "PAL-læge", ("pal", "pal laege"), help="initialer"),
    Column("nurse", "Kontaktsygeplejerske", ("kontakt sygeplejerske", "ks"), help="initialer"),
    Column("diagnosis", "Diagnose"),
    Column("pain_years", "Smertevarighed", ("smertevarighed (år)", "smertevarighed år"),
           help="år, fx 7,5"),
)
FIELD_LABELS = {
    "first_name": "Fornavn",
    "last_name": "Efternavn",
    "referral_date": "Henvist",
    "microteam": "Mikroteam",
    "pal_laege_id": "PAL-læge",
    "kontaktsygeplejerske_id": "Kontaktsygeplejerske",
    "diagnosis": "Diagnose",
    "pain_duration_years": "Smertevarighed",
    "birth_date": "Fødselsdato",
}
_STAFF_FIELDS = ("pal_laege_id", "kontaktsygeplejerske_id")


def _split_name(full: str) -> tuple[str, str]:
    if "," in full:
        last, first = (p.strip() for p in full.split(",", 1))
        return first, last
    parts = full.split()
    if len(parts) == 1:
        return "", parts[0]
    return " ".join(parts[:-1]), parts[-1]


def _names(sheet: Sheet, row: Row) -> tuple[str | None, str | None]:
    if sheet.has("first_name") and sheet.has("last_name"):
        return sheet.text(row, "first_name", 100), sheet.text(row, "last_name", 100)
    full = sheet.text(row, "name", 201)
    if full is None:
        return None, None
    first, last = _split_name(full)
    if len(first) > 100 or len(last) > 100:
        sheet.problem(row, "name", "navnet er for langt")
        return None, None
    return first or None, last


def _staff(
    sheet: Sheet, directory: StaffDirectory, row: Row, key: str, profession: Profession
) -> Staff | None:
    text = sheet.text(row, key)
    if text is None:
        return None
    match = directory.find(text, profession)
    if match.problem:
        sheet.problem(row, key, match.problem)
    return match.staff


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _show(key: str, value: Any, directory: StaffDirectory) -> str:
    if value is None:
        return ""
    if key in _STAFF_FIELDS:
        return directory.label(value)
    if isinstance(value, dt.date):
        return date_numeric(value)
    if isinstance(value, float):
        return number(value)
    return str(value)


class _Teams:
    """Microteams by name, the ones this file creates, and the memberships it adds."""

    def __init__(self, session: Session, result: Plan, directory: StaffDirectory) -> None:
        self.result = result
        self.directory = directory
        self.existing = {header_key(t.name): t for t in session.scalars(select(Microteam))}
        self.names = {t.id: t.name for t in self.existing.values()}
        self.members = set(
            session.execute(select(MicroteamMember.microteam_id, MicroteamMember.staff_id)).all()
        )
        self.new: dict[str, str] = {}
        self.new_members: set[tuple[str, int]] = set()

    def name_for(self, row: Row, text: str | None) -> str | None:
        if text is None:
            return None
        key = header_key(text)
        if key in self.existing:
            return self.existing[key].name
        if key not in self.new:
            self.new[key] = text
            self.result.changes.append(Change("microteam", CREATE, row.number, text,
                                              {"name": text}))
        return self.new[key]

    def add_member(self, row: Row, team: str, person: Staff, function: TeamFunction) -> None:
        key = header_key(team)
        existing = self.existing.get(key)
        if existing is not None and (existing.id, person.id) in self.members:
            return
        if (key, person.id) in self.new_members:
            return
        self.new_members.add((key, person.id))
        self.result.changes.append(Change(
            "microteam_member", CREATE, row.number,
            f"{self.directory.label(person.id)} i {team}",
            {"microteam": team, "staff_id": person.id, "function": function.value},
        ))


def _name_key(text: str | None) -> str:
    """A name compared loosely: case, spacing and Unicode composition do not matter."""
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


def _same_name(first: str | None, last: str | None, patient: Patient) -> bool:
    """Whether the row names the stored patient; a blank part is kept, so it is not compared.

    With both parts the whole name is compared, so »Camilla Ødegaard Hansen« in a Navn column
    is the stored Camilla (first name) Ødegaard Hansen (last name).
    """
    if first and last:
        return _name_key(f"{first} {last}") == _name_key(
            f"{patient.first_name} {patient.last_name}")
    if last:
        return _name_key(last) == _name_key(patient.last_name)
    if first:
        return _name_key(first) == _name_key(patient.first_name)
    return True


def _person(first: str | None, last: str | None, born: dt.date) -> str:
    name = " ".join(p for p in (first, last) if p)
    return f"{name or '(uden navn)'} (født {date_numeric(born)})"


def _identity(
    row: Row,
    info: CprInfo,
    first: str | None,
    last: str | None,
    patient: Patient,
    update_existing: bool | Collection[str],
) -> IdentityConflict | None:
    """The conflict when the row's name or birth date is not the stored patient's."""
    same_name = _same_name(first, last, patient)
    if same_name and info.birth_date == patient.birth_date:
        return None
    after_first = first if first else patient.first_name
    after_last = last if last else patient.last_name
    details: list[tuple[str, str, str]] = []
    if not same_name:
        details.append(("Navn", patient.full_name.strip(), f"{after_first} {after_last}".strip()))
    if info.birth_date != patient.birth_date:
        details.append(("Fødselsdato", date_numeric(patient.birth_date),
                        date_numeric(info.birth_date)))
    approved = update_existing is True or (
        not isinstance(update_existing, bool) and info.cpr in update_existing)
    return IdentityConflict(
        row=row.number, cpr=info.cpr, patient_id=patient.id,
        stored=_person(patient.first_name, patient.last_name, patient.birth_date),
        in_file=_person(after_first, after_last, info.birth_date),
        details=tuple(details), approved=approved,
    )


def plan(
    session: Session,
    table: Table,
    result: Plan,
    today: dt.date,
    *,
    update_existing: bool | Collection[str] = False,
) -> None:
    """Check every row (see the module docstring); ``today`` is the import's date.

    ``update_existing``: True updates every stored patient whose name or birth date differs
    from the row's; a collection updates only those CPR numbers (10 digits); otherwise such
    rows are refused.
    """
    sheet = Sheet(table, COLUMNS, result)
    if not (sheet.has("name") or (sheet.has("first_name") and sheet.has("last_name"))):
        result.issues.append(
            Issue(1, "Navn", "angiv enten kolonnen »Navn« eller »Fornavn« og »Efternavn«")
        )
    sheet.warn_unused()
    if result.issues:
        return

    infos = {row.number: sheet.cpr(row, today=today, born=True) for row in sheet.rows}
    existing = patients_by_cpr(session, [i.cpr for i in infos.values() if i])
    directory = StaffDirectory(session)
    teams = _Teams(session, result, directory)
    seen: dict[str, int] = {}
    cpr_title = sheet.title("cpr")

    for row in sheet.rows:
        issues_before = len(result.issues)
        info = infos[row.number]
        if info is not None and info.cpr in seen:
            sheet.problem(row, "cpr", f"{info.formatted} står også i række {seen[info.cpr]} "
                                      "(dublet)")
            info = None
        elif info is not None:
            seen[info.cpr] = row.number
        first, last = _names(sheet, row)
        referral = sheet.date(row, "referral_date")
        if not sheet.plausible(row, "referral_date", referral, today=today,
                               what="henvisningsdatoen"):
            referral = None
        team_text = sheet.text(row, "microteam", 80)
        pal = _staff(sheet, directory, row, "pal", Profession.LAEGE)
        nurse = _staff(sheet, directory, row, "nurse", Profession.SYGEPLEJERSKE)
        diagnosis = sheet.text(row, "diagnosis", 200)
        years = sheet.number(row, "pain_years")
        if years is not None and not 0 <= years <= 100:
            sheet.problem(row, "pain_years", f"{number(years)} år ligger uden for 0–100")
        if info is None:
            continue
        patient = existing.get(info.cpr)
        conflict = None
        if patient is None:
            if not sheet.has("referral_date"):
                sheet.problem(row, None, "kolonnen »Henvist« skal med, når der er nye patienter")
            elif is_blank(sheet.raw(row, "referral_date")):
                sheet.problem(row, "referral_date", "skal udfyldes for en ny patient")
            if not last:
                sheet.problem(row, "name" if sheet.has("name") else "last_name",
                              "navnet skal udfyldes for en ny patient")
        else:
            conflict = _identity(row, info, first, last, patient, update_existing)
        if conflict is not None:
            result.conflicts.append(conflict)
            if conflict.approved:
                result.warnings.append(Issue(
                    row.number, cpr_title,
                    f"{info.formatted}: {conflict.stored} opdateres til {conflict.in_file} "
                    "(valgt: opdatér eksisterende patient)", patient.id))
            else:
                result.issues.append(Issue(
                    row.number, cpr_title,
                    f"{info.formatted} tilhører {conflict.stored} i databasen, men rækken "
                    f"angiver {conflict.in_file}. Er det en anden person, så ret "
                    "CPR-nummeret; er det samme person, så vælg at opdatere den eksisterende "
                    "patient.", patient.id))
        if referral is not None and referral < info.birth_date:
            sheet.problem(row, "referral_date",
                          f"henvist {date_numeric(referral)} før fødselsdatoen "
                          f"{date_numeric(info.birth_date)}")
        else:
            stored_referral = patient.referral_date if patient is not None else None
            for warning in plausibility_warnings(
                info.birth_date, today=today, referral_date=referral or stored_referral
            ):
                result.warnings.append(Issue(row.number, cpr_title, f"{info.formatted}: {warning}",
                                             patient.id if patient is not None else None))
        if len(result.issues) > issues_before:
            continue

        team = teams.name_for(row, team_text)
        for person, function in ((pal, TeamFunction.PAL_LAEGE),
                                 (nurse, TeamFunction.KONTAKTSYGEPLEJERSKE)):
            if person is not None and team is not None:
                teams.add_member(row, team, person, function)

        values = {
            "first_name": first,
            "last_name": last,
            "referral_date": referral,
            "microteam": team,
            "pal_laege_id": pal.id if pal else None,
            "kontaktsygeplejerske_id": nurse.id if nurse else None,
            "diagnosis": diagnosis,
            "pain_duration_years": years,
        }
        if patient is None:
            payload = {"cpr": info.cpr, "sex": info.sex, "birth_date": info.birth_date}
            payload.update(values)
            label = f"{first or ''} {last} ({info.formatted})".strip()
            result.changes.append(Change(
                "patient", CREATE, row.number, label,
                {k: _jsonable(v) for k, v in payload.items()},
            ))
            continue
        current = {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "referral_date": patient.referral_date,
            "microteam": teams.names.get(patient.microteam_id),
            "pal_laege_id": patient.pal_laege_id,
            "kontaktsygeplejerske_id": patient.kontaktsygeplejerske_id,
            "diagnosis": patient.diagnosis,
            "pain_duration_years": patient.pain_duration_years,
            "birth_date": patient.birth_date,
        }
        if _same_name(first, last, patient):  # the stored spelling of the same name stays
            values["first_name"] = values["last_name"] = None
        if conflict is not None:  # approved (a refused row stopped above)
            values["birth_date"] = info.birth_date
        changed = {k: v for k, v in values.items() if v not in (None, "") and v != current[k]}
        if not changed:
            result.unchanged += 1
            continue
        result.changes.append(Change(
            "patient", UPDATE, row.number,
            f"{patient.first_name} {patient.last_name} ({format_cpr(patient.cpr)})",
            {k: _jsonable(v) for k, v in changed.items()},
            patient.id,
            [(FIELD_LABELS[k], _show(k, current[k], directory), _show(k, v, directory))
             for k, v in changed.items()],
            patient_id=patient.id,
        ))
