"""Import kind "hold": group rosters with attendance, one row per patient on a group.

Columns: Hold (the group's name), Indsats (a group intervention), CPR, optionally Status
(tilmeldt, gennemført, udgået), Behandlere (initials, comma separated) and Navn (not used,
for the reader), then one column per session (holdgang) with the date as its header and the
attendance in the cells: M/mødt, A/afbud, U/udeblevet; blank = not registered.

A file with one group: every date column is one of its sessions. A file with several groups:
a group's sessions are the date columns where at least one of its patients has a registration.
A group that does not exist is created with those sessions; an existing group gets new sessions
only after its last one. Each patient on a group gets a course event linked to the group (an
unlinked event of the same intervention is linked; otherwise one is created).

A column the importer cannot read is refused when it holds data: a header with digits that is
not a readable date, or any other unknown header over attendance marks (the marks would be
lost). Sessions may lie ahead (they are planned), but not before 1900; attendance after the
import's date is refused except afbud (given in advance), and so is a mark before the patient's
birth and the status »gennemført« on a group whose last session is still to come.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.cpr import format_cpr
from conference.formatting import date_numeric
from conference.importing.columns import Column
from conference.importing.lookups import Catalogue, StaffDirectory, chunks, patients_by_cpr
from conference.importing.plausible import EARLIEST, date_problem
from conference.importing.reading import Row, Table
from conference.importing.report import CREATE, UPDATE, Change, Issue, Plan
from conference.importing.sheet import Options, Sheet
from conference.importing.values import ValueProblem, header_key, is_blank, parse_date
from conference.labels import ATTENDANCE, COURSE_STATUS, ENROLMENT_STATUS
from db.models import (
    Attendance,
    AttendanceStatus,
    CourseEvent,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    GroupSession,
    GroupTherapist,
    Intervention,
    InterventionKind,
    Patient,
    TherapyGroup,
)

KIND = "hold"
COLUMNS = (
    Column("group", "Hold", ("holdnavn", "hold navn", "gruppe"), True, "holdets navn"),
    Column("intervention", "Indsats", ("ydelse", "aktivitet"), True,
           "et hold fra indsatskataloget, fx »Livet med smerter«"),
    Column("cpr", "CPR", ("cpr nr", "cpr nr.", "cprnr", "cpr nummer", "personnummer"), True,
           "DDMMÅÅ-SSSS"),
    Column("status", "Status", ("tilmelding",), help=", ".join(ENROLMENT_STATUS.values())),
    Column("therapists", "Behandlere", ("holdbehandlere", "undervisere"),
           help="initialer, adskilt af komma"),
    Column("name", "Navn", ("patient", "patientnavn"), help="bruges ikke; kun til læseren"),
)
ENROLMENT = Options.of(ENROLMENT_STATUS, {"gennemfort": EnrolmentStatus.COMPLETED,
                                          "udgaaet": EnrolmentStatus.DROPPED_OUT})
PRESENCE = Options.of(
    ATTENDANCE,
    {"m": AttendanceStatus.PRESENT, "x": AttendanceStatus.PRESENT, "1": AttendanceStatus.PRESENT,
     "ja": AttendanceStatus.PRESENT, "mødte": AttendanceStatus.PRESENT,
     "a": AttendanceStatus.CANCELLED, "u": AttendanceStatus.NO_SHOW,
     "udeblev": AttendanceStatus.NO_SHOW},
)


@dataclass
class _Group:
    key: str
    name: str
    first_row: int
    intervention: Intervention
    rows: list[Row] = field(default_factory=list)
    therapists: set[int] = field(default_factory=set)
    existing: TherapyGroup | None = None
    sessions: dict[dt.date, int | None] = field(default_factory=dict)  # date -> session id

    @property
    def ref(self) -> dict[str, Any]:
        return {"group": self.name, "group_id": self.existing.id if self.existing else None}


def _date_columns(sheet: Sheet) -> tuple[dict[int, dt.date], dict[int, str]]:
    """The session date of each date column, and why the other unknown headers are no date."""
    dates: dict[int, dt.date] = {}
    unreadable: dict[int, str] = {}
    for position, header in sheet.located.unused:
        try:
            day = parse_date(header)
        except ValueProblem as problem:
            unreadable[position] = str(problem)
            continue
        if day is not None:
            if day in dates.values():
                sheet.plan.issues.append(Issue(1, header, "datoen står to gange i overskriften"))
            elif day < EARLIEST:
                sheet.plan.issues.append(Issue(1, header, f"holdgangen {date_numeric(day)} "
                                                          "ligger før år 1900"))
            dates[position] = day
    return dates, unreadable


def _unreadable_columns(sheet: Sheet, unreadable: dict[int, str]) -> set[int]:
    """Unknown columns that hold attendance: an issue each (the marks would be lost)."""
    refused = set()
    for position, reason in unreadable.items():
        header = sheet.table.headers[position]
        cells = [v for v in (r.get(position) for r in sheet.rows) if not is_blank(v)]
        if not cells:
            continue
        dated = any(ch.isdigit() for ch in header)
        if not dated and not all(PRESENCE.lookup.get(header_key(str(v))) for v in cells):
            continue  # e.g. a Telefon or Kommentar column: only a warning that it is not used
        refused.add(position)
        count = f"{len(cells)} celle{'r' if len(cells) != 1 else ''}"
        sheet.plan.issues.append(Issue(1, header, (
            f"{reason}, så fremmødet i kolonnen ({count}) ville gå tabt; skriv holdgangens "
            "dato som overskrift (dd-mm-åååå)") if dated else (
            f"kolonnen er hverken en kendt kolonne eller en dato, men har fremmøde i {count}, "
            "som ville gå tabt; skriv holdgangens dato som overskrift (dd-mm-åååå)")))
    return refused


def _existing_groups(session: Session) -> dict[str, TherapyGroup]:
    return {header_key(g.name): g for g in session.scalars(select(TherapyGroup))}


def _sessions(session: Session, group_ids: list[int]) -> dict[int, dict[dt.date, GroupSession]]:
    found: dict[int, dict[dt.date, GroupSession]] = defaultdict(dict)
    for batch in chunks(group_ids):
        for s in session.scalars(select(GroupSession).where(GroupSession.group_id.in_(batch))):
            found[s.group_id][s.date] = s
    return found


def _course_status(enrolment: EnrolmentStatus, start: dt.date, end: dt.date,
                   today: dt.date) -> CourseStatus:
    if enrolment == EnrolmentStatus.DROPPED_OUT:
        return CourseStatus.DROPPED_OUT
    if enrolment == EnrolmentStatus.COMPLETED or end < today:
        return CourseStatus.DONE
    return CourseStatus.PLANNED if start > today else CourseStatus.IN_PROGRESS


class _Planner:
    def __init__(self, session: Session, sheet: Sheet, result: Plan, today: dt.date) -> None:
        self.session = session
        self.sheet = sheet
        self.result = result
        self.today = today
        self.catalogue = Catalogue(session)
        self.directory = StaffDirectory(session)
        self.dates, self.unreadable = _date_columns(sheet)

    def groups(self) -> dict[str, _Group]:
        """Group the rows by Hold, checking the intervention and the therapists."""
        sheet = self.sheet
        existing = _existing_groups(self.session)
        groups: dict[str, _Group] = {}
        for row in sheet.rows:
            name = sheet.required_text(row, "group", 120)
            text = sheet.required_text(row, "intervention")
            intervention = self.catalogue.find(text) if text else None
            if text and intervention is None:
                sheet.problem(row, "intervention", f"ukendt indsats »{text}«")
            elif intervention is not None and intervention.kind != InterventionKind.GROUP:
                sheet.problem(row, "intervention", f"»{intervention.name}« er ikke et hold")
                intervention = None
            if name is None or intervention is None:
                continue
            key = header_key(name)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(key, name, row.number, intervention,
                                             existing=existing.get(key))
                stored = group.existing
                if stored is not None and stored.intervention_id != intervention.id:
                    stored_name = self.catalogue.by_id[stored.intervention_id].name
                    sheet.problem(row, "intervention",
                                  f"holdet »{stored.name}« findes allerede som {stored_name}")
            elif group.intervention.id != intervention.id:
                sheet.problem(row, "intervention", f"holdet »{name}« er "
                              f"{group.intervention.name} i række {group.first_row}")
            group.rows.append(row)
            for initials in (sheet.text(row, "therapists") or "").replace(";", ",").split(","):
                if initials.strip():
                    match = self.directory.find(initials.strip())
                    if match.problem:
                        sheet.problem(row, "therapists", match.problem)
                    else:
                        group.therapists.add(match.staff.id)
        return groups

    def session_dates(self, groups: dict[str, _Group]) -> None:
        """Which date columns are each group's sessions; plan new groups and sessions."""
        stored = _sessions(self.session, [g.existing.id for g in groups.values() if g.existing])
        for group in groups.values():
            if len(groups) == 1:
                dates = sorted(self.dates.values())
            else:
                dates = sorted({
                    day for pos, day in self.dates.items()
                    if any(not is_blank(r.get(pos)) for r in group.rows)
                })
            known = stored.get(group.existing.id, {}) if group.existing else {}
            group.sessions = {day: s.id for day, s in known.items()}
            new = [d for d in dates if d not in known]
            if group.existing is None and not dates:
                self.result.issues.append(Issue(
                    group.first_row, None, f"nyt hold »{group.name}« uden holdgange: tilføj en "
                    "kolonne pr. holdgang med datoen som overskrift"))
                continue
            last = max(known) if known else None
            early = [d for d in new if last is not None and d < last]
            if early:
                self.result.issues.append(Issue(
                    group.first_row, ", ".join(date_numeric(d) for d in early),
                    f"holdet »{group.name}« har ingen holdgang den dag; nye holdgange kan kun "
                    f"tilføjes efter den sidste ({date_numeric(last)})"))
                continue
            self._plan_group(group, dates, new, known)

    def _plan_group(self, group: _Group, dates: list[dt.date], new: list[dt.date],
                    known: dict[dt.date, GroupSession]) -> None:
        result = self.result
        if group.existing is None:
            capacity = group.intervention.capacity or max(10, len(group.rows))
            result.changes.append(Change(
                "therapy_group", CREATE, group.first_row, group.name,
                {"name": group.name, "intervention_id": group.intervention.id,
                 "start_date": dates[0].isoformat(), "end_date": dates[-1].isoformat(),
                 "capacity": capacity, "online": group.intervention.code == "teleafspaending"},
            ))
            if len(group.rows) > capacity:
                result.warnings.append(Issue(group.first_row, None, f"holdet »{group.name}« får "
                                             f"{len(group.rows)} deltagere; pladser: {capacity}"))
        elif new and new[-1] > group.existing.end_date:
            result.changes.append(Change(
                "therapy_group", UPDATE, group.first_row, group.name,
                {"end_date": new[-1].isoformat()}, group.existing.id,
                [("Slut", date_numeric(group.existing.end_date), date_numeric(new[-1]))],
            ))
        number = max((s.number for s in known.values()), default=0)
        for day in new:
            number += 1
            group.sessions[day] = None
            result.changes.append(Change(
                "group_session", CREATE, group.first_row,
                f"{group.name}, holdgang {number} den {date_numeric(day)}",
                {**group.ref, "number": number, "date": day.isoformat()},
            ))
        stored_therapists = set()
        if group.existing is not None:
            stored_therapists = set(self.session.scalars(
                select(GroupTherapist.staff_id).where(GroupTherapist.group_id == group.existing.id)
            ))
        for staff_id in sorted(group.therapists - stored_therapists):
            result.changes.append(Change(
                "group_therapist", CREATE, group.first_row,
                f"{self.directory.label(staff_id)} på {group.name}",
                {**group.ref, "staff_id": staff_id},
            ))


def _enrolments(session: Session, group_ids: list[int]) -> dict[tuple[int, int], Enrolment]:
    found = {}
    for batch in chunks(group_ids):
        for e in session.scalars(select(Enrolment).where(Enrolment.group_id.in_(batch))):
            found[(e.group_id, e.patient_id)] = e
    return found


def _attendance(session: Session, enrolment_ids: list[int]) -> dict[tuple[int, int], Attendance]:
    found = {}
    for batch in chunks(enrolment_ids):
        query = select(Attendance).where(Attendance.enrolment_id.in_(batch))
        for a in session.scalars(query):
            found[(a.session_id, a.enrolment_id)] = a
    return found


def _events(session: Session, patient_ids: list[int]) -> dict[tuple[int, int], list[CourseEvent]]:
    found: dict[tuple[int, int], list[CourseEvent]] = defaultdict(list)
    for batch in chunks(patient_ids):
        for e in session.scalars(select(CourseEvent).where(CourseEvent.patient_id.in_(batch))):
            found[(e.patient_id, e.intervention_id)].append(e)
    return found


def plan(session: Session, table: Table, result: Plan, today: dt.date) -> None:
    sheet = Sheet(table, COLUMNS, result)
    planner = _Planner(session, sheet, result, today)
    refused = _unreadable_columns(sheet, planner.unreadable)
    sheet.warn_unused(skip=set(planner.dates) | refused)
    if result.issues:
        return
    infos = {row.number: sheet.cpr(row, today=today) for row in sheet.rows}
    patients = patients_by_cpr(session, [i.cpr for i in infos.values() if i])
    groups = planner.groups()
    planner.session_dates(groups)
    stored_ids = [g.existing.id for g in groups.values() if g.existing]
    enrolments = _enrolments(session, stored_ids)
    attendance = _attendance(session, [e.id for e in enrolments.values()])
    events = _events(session, [p.id for p in patients.values()])
    for group in groups.values():
        seen: dict[int, int] = {}
        for row in group.rows:
            info = infos[row.number]
            patient = patients.get(info.cpr) if info else None
            if info is not None and patient is None:
                sheet.problem(row, "cpr", f"ukendt CPR-nummer {info.formatted}: patienten findes "
                                          "ikke (importér patienterne først)")
            elif patient is not None and patient.id in seen:
                sheet.problem(row, "cpr", f"{info.formatted} står også på »{group.name}« i "
                                          f"række {seen[patient.id]} (dublet)")
                patient = None
            status = sheet.choice(row, "status", ENROLMENT, "status")
            last = max(group.sessions, default=None)
            if status == EnrolmentStatus.COMPLETED and last is not None and last > today:
                sheet.problem(row, "status", f"»{ENROLMENT_STATUS[status]}«, men holdets sidste "
                                             f"holdgang ({date_numeric(last)}) ligger efter "
                                             f"dags dato ({date_numeric(today)})")
            marks = {}
            for position, day in planner.dates.items():
                raw = row.get(position)
                if is_blank(raw):
                    continue
                mark = PRESENCE.lookup.get(header_key(str(raw)))
                if mark is None:
                    result.issues.append(Issue(
                        row.number, sheet.table.headers[position],
                        f"ukendt fremmøde »{raw}« (brug M = mødt, A = afbud, U = udeblevet)"))
                    continue
                problem = date_problem(
                    day, today=today, future=mark == AttendanceStatus.CANCELLED,
                    birth=patient.birth_date if patient is not None else None,
                    what=f"fremmøde »{raw}« på holdgangen",
                    future_hint="kun afbud kan registreres på forhånd")
                if problem:
                    result.issues.append(Issue(row.number, sheet.table.headers[position],
                                               problem))
                elif day in group.sessions:
                    marks[day] = mark
            if patient is None:
                continue
            seen[patient.id] = row.number
            _plan_patient(result, group, row, patient, status, marks, today,
                          enrolments, attendance, events)


def _plan_patient(result: Plan, group: _Group, row: Row, patient: Patient,
                  status: EnrolmentStatus | None, marks: dict[dt.date, AttendanceStatus],
                  today: dt.date, enrolments: dict, attendance: dict, events: dict) -> None:
    who = f"{patient.first_name} {patient.last_name} ({format_cpr(patient.cpr)})"
    ref = {**group.ref, "patient_id": patient.id}
    enrolment = enrolments.get((group.existing.id, patient.id)) if group.existing else None
    before = len(result.changes)
    if enrolment is None:
        start = min(group.sessions)
        result.changes.append(Change(
            "enrolment", CREATE, row.number, f"{who} på {group.name}",
            {**ref, "status": (status or EnrolmentStatus.ENROLLED).value,
             "enrolled_on": start.isoformat()},
            patient_id=patient.id,
        ))
    elif status is not None and status != enrolment.status:
        result.changes.append(Change(
            "enrolment", UPDATE, row.number, f"{who} på {group.name}", {"status": status.value},
            enrolment.id,
            [("Status", ENROLMENT_STATUS[enrolment.status], ENROLMENT_STATUS[status])],
            patient_id=patient.id,
        ))
    for day, mark in sorted(marks.items()):
        session_id = group.sessions[day]
        stored = attendance.get((session_id, enrolment.id)) if enrolment and session_id else None
        label = f"{who}, {group.name} {date_numeric(day)}"
        if stored is None:
            result.changes.append(Change("attendance", CREATE, row.number, label,
                                         {**ref, "date": day.isoformat(), "status": mark.value},
                                         patient_id=patient.id))
        elif stored.status != mark:
            result.changes.append(Change(
                "attendance", UPDATE, row.number, label, {"status": mark.value}, stored.id,
                [("Fremmøde", ATTENDANCE[stored.status], ATTENDANCE[mark])],
                patient_id=patient.id,
            ))
    _plan_event(result, group, row, patient, status, today, events, who)
    if len(result.changes) == before:
        result.unchanged += 1


def _plan_event(result: Plan, group: _Group, row: Row, patient: Patient,
                status: EnrolmentStatus | None, today: dt.date, events: dict, who: str) -> None:
    candidates = events.get((patient.id, group.intervention.id), [])
    if group.existing and any(e.group_id == group.existing.id for e in candidates):
        return
    start, end = min(group.sessions), max(group.sessions)
    free = [e for e in candidates
            if e.group_id is None and e.status != CourseStatus.CANCELLED]
    label = f"{group.intervention.name}, {who}"
    course = _course_status(status or EnrolmentStatus.ENROLLED, start, end, today)
    if free:
        def distance(e: CourseEvent) -> int:
            day = e.start_date or e.planned_date
            return abs((day - start).days) if day else 10_000
        event = min(free, key=distance)
        payload: dict[str, Any] = {**group.ref}
        details = [("Hold", "", group.name)]
        if event.status == CourseStatus.PLANNED and course != CourseStatus.PLANNED:
            # the roster shows that the planned group has begun (or ended): say so
            payload.update(status=course.value, start_date=start.isoformat(),
                           end_date=end.isoformat() if course == CourseStatus.DONE else None)
            details.append(("Status", COURSE_STATUS[event.status], COURSE_STATUS[course]))
        result.changes.append(Change("course_event", UPDATE, row.number, label, payload,
                                     event.id, details, patient_id=patient.id))
        return
    result.changes.append(Change(
        "course_event", CREATE, row.number, label,
        {**group.ref, "patient_id": patient.id, "intervention_id": group.intervention.id,
         "status": course.value, "planned_date": start.isoformat(),
         "start_date": None if course == CourseStatus.PLANNED else start.isoformat(),
         "end_date": end.isoformat() if course == CourseStatus.DONE else None},
        details=[("Status", "", COURSE_STATUS[course])], patient_id=patient.id,
    ))
