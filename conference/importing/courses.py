"""Import kind "forloeb": course events, one row per intervention in a patient's course.

Columns: CPR, Indsats (code or name from the intervention catalogue), Status, and at least one
of Planlagt and Start; optionally Slut, Behandler (initials), Fund and Note. A row is the same
course event as a stored one when patient and intervention agree and the planned or the start
date is the same; it then updates that event (a blank cell never erases what is stored).

Dates lie between 1900 and the import's date, and not before the patient's birth; only a plan
may lie ahead: Planlagt always, Start and Slut when the status is Planlagt.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.cpr import format_cpr
from conference.formatting import date_numeric
from conference.importing.columns import Column
from conference.importing.lookups import Catalogue, StaffDirectory, chunks, patients_by_cpr
from conference.importing.reading import Table
from conference.importing.report import CREATE, UPDATE, Change, Plan
from conference.importing.sheet import Options, Sheet
from conference.importing.values import is_blank
from conference.labels import COURSE_STATUS, FINDING
from db.models import CourseEvent, CourseStatus

KIND = "forloeb"
COLUMNS = (
    Column("cpr", "CPR", ("cpr nr", "cpr nr.", "cprnr", "cpr nummer", "personnummer"), True,
           "DDMMÅÅ-SSSS"),
    Column("intervention", "Indsats", ("ydelse", "aktivitet", "intervention"), True,
           "kode eller navn fra indsatskataloget, fx »Lang primærsamtale«"),
    Column("status", "Status", (), True, ", ".join(COURSE_STATUS.values())),
    Column("planned_date", "Planlagt", ("planlagt dato", "planlagt til"), help="dd-mm-åååå"),
    Column("start_date", "Start", ("startdato", "start dato", "dato"), help="dd-mm-åååå"),
    Column("end_date", "Slut", ("slutdato", "slut dato"), help="dd-mm-åååå"),
    Column("staff", "Behandler", ("medarbejder", "initialer"), help="initialer"),
    Column("finding", "Fund", ("fund til konference",), help=", ".join(FINDING.values())),
    Column("note", "Note", ("bemærkning", "kommentar")),
)
STATUS = Options.of(
    COURSE_STATUS,
    {"igang": CourseStatus.IN_PROGRESS, "afsluttet": CourseStatus.DONE,
     "gennemfort": CourseStatus.DONE, "udgaaet": CourseStatus.DROPPED_OUT},
)
FINDINGS = Options.of(FINDING)
FIELD_LABELS = {
    "status": "Status",
    "planned_date": "Planlagt",
    "start_date": "Start",
    "end_date": "Slut",
    "staff_id": "Behandler",
    "finding": "Fund",
    "note": "Note",
}


def _existing(session: Session, patient_ids: set[int]) -> dict[tuple[int, int], list[CourseEvent]]:
    found: dict[tuple[int, int], list[CourseEvent]] = defaultdict(list)
    for batch in chunks(sorted(patient_ids)):
        for event in session.scalars(select(CourseEvent).where(CourseEvent.patient_id.in_(batch))):
            found[(event.patient_id, event.intervention_id)].append(event)
    return found


def _match(events: list[CourseEvent], planned: dt.date | None, start: dt.date | None) -> list:
    return [
        e for e in events
        if (planned is not None and e.planned_date == planned)
        or (start is not None and e.start_date == start)
    ]


def _show(key: str, value: Any, directory: StaffDirectory) -> str:
    if value is None:
        return ""
    if key == "staff_id":
        return directory.label(value)
    if key == "status":
        return COURSE_STATUS[CourseStatus(value)]
    if key == "finding":
        return next(label for f, label in FINDING.items() if f.value == value)
    if isinstance(value, dt.date):
        return date_numeric(value)
    return str(value)


def _stored(value: Any) -> Any:
    return getattr(value, "value", value)


def plan(session: Session, table: Table, result: Plan, today: dt.date) -> None:
    sheet = Sheet(table, COLUMNS, result)
    sheet.warn_unused()
    if result.issues:
        return
    infos = {row.number: sheet.cpr(row, today=today) for row in sheet.rows}
    patients = patients_by_cpr(session, [i.cpr for i in infos.values() if i])
    catalogue = Catalogue(session)
    directory = StaffDirectory(session)
    events = _existing(session, {p.id for p in patients.values()})
    seen_keys: dict[tuple, int] = {}
    seen_events: dict[int, int] = {}

    for row in sheet.rows:
        before = len(result.issues)
        info = infos[row.number]
        patient = patients.get(info.cpr) if info else None
        if info is not None and patient is None:
            sheet.problem(row, "cpr", f"ukendt CPR-nummer {info.formatted}: patienten findes "
                                      "ikke (importér patienterne først)")
        name = sheet.required_text(row, "intervention")
        intervention = catalogue.find(name) if name else None
        if name and intervention is None:
            sheet.problem(row, "intervention", f"ukendt indsats »{name}« (brug koden eller "
                                               "navnet fra indsatskataloget)")
        status = sheet.choice(row, "status", STATUS, "status")
        if status is None and sheet.text(row, "status") is None:
            sheet.problem(row, "status", "skal udfyldes")
        planned = sheet.date(row, "planned_date")
        start = sheet.date(row, "start_date")
        end = sheet.date(row, "end_date")
        if is_blank(sheet.raw(row, "planned_date")) and is_blank(sheet.raw(row, "start_date")):
            sheet.problem(row, "planned_date" if sheet.has("planned_date") else "start_date",
                          "angiv mindst én af Planlagt og Start")
        birth = patient.birth_date if patient is not None else None
        for key, day, what in (("planned_date", planned, "den planlagte dato"),
                               ("start_date", start, "startdatoen"),
                               ("end_date", end, "slutdatoen")):
            sheet.plausible(row, key, day, today=today, birth=birth,
                            future=key == "planned_date" or status == CourseStatus.PLANNED,
                            what=what, future_hint="kun en planlagt indsats kan have start- og "
                                                   "slutdato efter i dag")
        if start and end and end < start:
            sheet.problem(row, "end_date", f"slutdatoen {date_numeric(end)} ligger før "
                                           f"startdatoen {date_numeric(start)}")
        staff_text = sheet.text(row, "staff")
        staff = None
        if staff_text:
            match = directory.find(staff_text)
            staff = match.staff
            if match.problem:
                sheet.problem(row, "staff", match.problem)
        finding = sheet.choice(row, "finding", FINDINGS, "fund")
        note = sheet.text(row, "note", 4000)
        if patient is not None and intervention is not None and (planned or start):
            key = (patient.id, intervention.id, planned or start)
            if key in seen_keys:
                sheet.problem(row, None, f"{intervention.name} den "
                                         f"{date_numeric(planned or start)} står også i række "
                                         f"{seen_keys[key]} (dublet)")
                continue
            seen_keys[key] = row.number
        if len(result.issues) > before:
            continue

        label = f"{intervention.name}, {patient.first_name} {patient.last_name} " \
                f"({format_cpr(patient.cpr)})"
        values = {
            "status": status.value,
            "planned_date": planned,
            "start_date": start,
            "end_date": end,
            "staff_id": staff.id if staff else None,
            "finding": finding.value if finding else None,
            "note": note,
        }
        matches = _match(events.get((patient.id, intervention.id), []), planned, start)
        if len(matches) > 1:
            sheet.problem(row, None, f"{len(matches)} gemte forløbsindsatser »{intervention.name}«"
                                     " passer på datoerne; ret dem i forløbet først")
            continue
        if not matches:
            payload = {"patient_id": patient.id, "intervention_id": intervention.id}
            payload.update({k: v.isoformat() if isinstance(v, dt.date) else v
                            for k, v in values.items()})
            result.changes.append(Change("course_event", CREATE, row.number, label, payload,
                                         patient_id=patient.id))
            continue
        event = matches[0]
        if event.id in seen_events:
            sheet.problem(row, None, f"rækken er samme forløbsindsats som række "
                                     f"{seen_events[event.id]} (dublet)")
            continue
        seen_events[event.id] = row.number
        changed = {
            k: v for k, v in values.items()
            if v not in (None, "") and v != _stored(getattr(event, k))
        }
        if not changed:
            result.unchanged += 1
            continue
        result.changes.append(Change(
            "course_event", UPDATE, row.number, label,
            {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in changed.items()},
            event.id,
            [(FIELD_LABELS[k], _show(k, _stored(getattr(event, k)), directory),
              _show(k, v, directory)) for k, v in changed.items()],
            patient_id=patient.id,
        ))
