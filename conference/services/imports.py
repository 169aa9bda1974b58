"""Imports: preview a file, apply it all or nothing, and keep the PRO column mappings.

``apply_import`` re-reads the file, refuses it when any row is bad (:class:`ImportRejected`
carries the whole report) or when the planned changes differ from the preview the user
confirmed, and otherwise writes every change with an audit row carrying the acting user, in
the caller's transaction (one transaction: the page's and the command line's session). A file
whose content is already in the database plans no changes, so importing it again writes
nothing at all. Previewing, importing and saving a mapping need Action.IMPORT_DATA.

A patient row whose CPR number is stored with another name or birth date refuses the whole file
unless the caller passes ``update_existing`` (True, or the chosen CPR numbers): the importer's
explicit choice to update that patient. The update is then written like any other, with its
audit row (before and after, the acting user) in the same transaction.

A database error while previewing or writing is reported as a Danish :class:`InvalidInput`
without the row content, and logged with its kind and SQLSTATE only: the statement's parameters
and the database's message (PostgreSQL's DETAIL names key values) hold CPR numbers and names.
An unreachable database passes through for the page's guard (conference/ui/db_guard.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from conference.formatting import date_short, local_datetime
from conference.importing import build_plan
from conference.importing.lookups import chunks
from conference.importing.mapping import STANDARD, Mapping, MappingProblem, parse_mapping
from conference.importing.report import CREATE, Change, Plan
from conference.importing.values import header_key
from conference.permissions import Action
from conference.services import audit
from conference.services.access import authorize
from conference.services.errors import InvalidInput
from db.models import (
    Attendance,
    AttendanceStatus,
    CourseEvent,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Finding,
    GroupSession,
    GroupTherapist,
    ImportRun,
    Microteam,
    MicroteamMember,
    Patient,
    ProMapping,
    ProResponse,
    ProScore,
    Sex,
    Staff,
    TeamFunction,
    TherapyGroup,
    Timepoint,
)

__all__ = [
    "ImportRejected",
    "ImportResult",
    "apply_import",
    "apply_plan",
    "mapping_for",
    "preview_import",
    "recent_imports",
    "save_mapping",
    "saved_sources",
]

SOURCE_MAX_LENGTH = 40
_log = logging.getLogger(__name__)


def _unreachable(error: SQLAlchemyError) -> bool:
    """The database could not be reached (the guard's and the command line's case)."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _database_refused(step: str, kind: str, error: SQLAlchemyError) -> InvalidInput:
    """Log a database error without its statement, parameters or message; the Danish error."""
    original = getattr(error, "orig", None)
    code = (getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
            or type(original or error).__name__)
    _log.error("Import (%s, %s) failed in the database: %s, %s", kind, step,
               type(error).__name__, code)
    if step == "preview":
        return InvalidInput(
            "Filen kunne ikke kontrolleres, fordi databasen gav en fejl. Intet er gemt; prøv "
            f"igen, og kontakt den systemansvarlige, hvis det sker igen (fejlkode {code})."
        )
    return InvalidInput(
        "Databasen afviste importen, så intet er gemt. Filen blev godkendt ved kontrollen, "
        "men noget i den kunne ikke gemmes; kontakt den systemansvarlige (fejlkode "
        f"{code})."
    )


class ImportRejected(InvalidInput):
    """The file has bad rows; `plan.issues` names every one. Nothing was written."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.summary())
        self.plan = plan


@dataclass(frozen=True)
class ImportResult:
    plan: Plan
    run_id: int | None  # None: nothing to import, nothing written

    @property
    def message(self) -> str:
        if self.run_id is None:
            return "Intet at importere: alt i filen findes allerede. Intet er ændret."
        return (f"Importeret: {self.plan.created} nye og {self.plan.updated} ændrede, "
                f"{self.plan.unchanged} rækker uændrede.")


# --------------------------------------------------------------------------- mappings


def saved_sources(session: Session) -> list[str]:
    return list(session.scalars(select(ProMapping.source).order_by(ProMapping.source)))


def mapping_for(session: Session, source: str | None) -> tuple[Mapping | None, int | None]:
    """(mapping, version) of a saved source; (None, None) for the built-in standard mapping."""
    if not source or source == STANDARD:
        return None, None
    row = session.scalar(select(ProMapping).where(ProMapping.source == source))
    if row is None:
        raise InvalidInput(f"Der er ingen gemt kolonnekortlægning for kilden »{source}«.")
    try:
        return parse_mapping(row.mapping), row.version
    except MappingProblem as problem:
        raise InvalidInput(f"Kortlægningen for »{source}« kan ikke bruges: {problem}") from None


def save_mapping(
    session: Session,
    actor: Staff,
    source: str,
    raw: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> ProMapping:
    """Create or replace a source's column mapping (checked first; audited).

    ``expected_version``: the version the editor started from; a newer saved version (someone
    else saved meanwhile) is refused with both versions described, nothing overwritten.
    """
    authorize(session, actor, Action.IMPORT_DATA)
    source = " ".join((source or "").split())
    if not source:
        raise InvalidInput("Giv kilden et navn, fx »PainData«.")
    if len(source) > SOURCE_MAX_LENGTH:
        raise InvalidInput(f"Kildens navn er for langt (højst {SOURCE_MAX_LENGTH} tegn).")
    if header_key(source) == STANDARD:
        raise InvalidInput("»standard« er den indbyggede kortlægning og kan ikke ændres.")
    try:
        mapping = parse_mapping(raw)
    except MappingProblem as problem:
        raise InvalidInput(f"Kortlægningen kan ikke gemmes: {problem}") from None
    row = session.scalar(select(ProMapping).where(ProMapping.source == source))
    now = dt.datetime.now(dt.UTC)
    if row is None:
        row = ProMapping(source=source, mapping=mapping.to_json(), updated_at=now,
                         updated_by_id=actor.id)
        session.add(row)
        audit.record(session, actor, "create", row)
        return row
    if expected_version is not None and row.version != expected_version:
        who = session.get(Staff, row.updated_by_id) if row.updated_by_id else None
        raise InvalidInput(
            f"Kortlægningen for »{source}« er gemt af {who.name if who else 'en anden'} "
            f"{local_datetime(row.updated_at)} (version {row.version}), efter du åbnede "
            f"version {expected_version}. Din version har {len(mapping.columns)} kortlagte "
            f"kolonner, den gemte {len(row.mapping.get('columns', {}))}. Intet er gemt; "
            "indlæs siden igen for at se den gemte version."
        )
    before = audit.snapshot(row)
    row.mapping = mapping.to_json()
    row.updated_at = now
    row.updated_by_id = actor.id
    try:
        session.flush()
    except StaleDataError:
        raise InvalidInput(
            f"Kortlægningen for »{source}« blev gemt af en anden i samme øjeblik. Intet er "
            "gemt; indlæs siden igen."
        ) from None
    audit.record(session, actor, "update", row, before=before)
    return row


# --------------------------------------------------------------------------- preview


def preview_import(
    session: Session,
    actor: Staff,
    kind: str,
    data: bytes,
    file_name: str,
    *,
    today: dt.date,
    source: str | None = None,
    update_existing: bool | Collection[str] = False,
) -> Plan:
    """What importing the file would create and change, or every bad row. Writes nothing.

    ``update_existing``: see the module docstring (patients only).
    """
    authorize(session, actor, Action.IMPORT_DATA)
    mapping = None
    if kind == "pro":
        mapping, _version = mapping_for(session, source)
        source = source or STANDARD
    if not isinstance(update_existing, bool):  # CPR numbers in any spelling: their digits
        update_existing = frozenset("".join(ch for ch in c if ch.isdigit())
                                    for c in update_existing)
    try:
        plan = build_plan(session, kind, data, file_name, today=today, source=source,
                          mapping=mapping, update_existing=update_existing)
        last = session.execute(
            select(ImportRun.at, Staff.initials)
            .join(Staff, Staff.id == ImportRun.actor_id)
            .where(ImportRun.file_sha256 == plan.sha256, ImportRun.kind == kind)
            .order_by(ImportRun.at.desc())
            .limit(1)
        ).first()
    except SQLAlchemyError as error:
        if _unreachable(error):
            raise
        raise _database_refused("preview", kind, error) from None
    if last is not None:
        plan.previous_import = f"{date_short(last.at)} af {last.initials}"
    return plan


def recent_imports(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ImportRun, Staff.initials)
        .join(Staff, Staff.id == ImportRun.actor_id)
        .order_by(ImportRun.at.desc(), ImportRun.id.desc())
        .limit(limit)
    ).all()
    return [
        {"at": run.at, "kind": run.kind, "file_name": run.file_name, "source": run.source,
         "created": run.created, "updated": run.updated, "unchanged": run.unchanged,
         "by": initials}
        for run, initials in rows
    ]


# --------------------------------------------------------------------------- apply


def apply_import(
    session: Session,
    actor: Staff,
    kind: str,
    data: bytes,
    file_name: str,
    *,
    today: dt.date,
    source: str | None = None,
    expected_fingerprint: str | None = None,
    update_existing: bool | Collection[str] = False,
) -> ImportResult:
    """Import the file all or nothing (see the module docstring)."""
    plan = preview_import(session, actor, kind, data, file_name, today=today, source=source,
                          update_existing=update_existing)
    if expected_fingerprint is not None and plan.ok and plan.fingerprint() != expected_fingerprint:
        raise InvalidInput(
            "Data er ændret, siden forhåndsvisningen blev lavet, så importen ville gøre noget "
            "andet end vist. Intet er gemt; se den nye forhåndsvisning og bekræft igen."
        )
    return apply_plan(session, actor, plan)


def apply_plan(session: Session, actor: Staff, plan: Plan) -> ImportResult:
    """Write a plan built in this same session and transaction (the command line's path)."""
    authorize(session, actor, Action.IMPORT_DATA)
    if not plan.ok:
        raise ImportRejected(plan)
    if not plan.changes:
        return ImportResult(plan, None)
    trail = _Trail(session, actor)
    try:
        _APPLY[plan.kind](session, actor, plan, trail)
        trail.write()
        run = ImportRun(
            kind=plan.kind, source=plan.source, file_name=plan.file_name[:255],
            file_sha256=plan.sha256, rows=plan.rows, created=plan.created,
            updated=plan.updated, unchanged=plan.unchanged, actor_id=actor.id,
        )
        session.add(run)
        audit.record(session, actor, "create", run)
        session.flush()  # any refusal by the database happens here, not at the caller's commit
    except (IntegrityError, StaleDataError):
        # someone else wrote the same rows between the preview and now: the caller rolls back
        raise InvalidInput(
            "Andre har ændret de samme data under importen, så intet er gemt. Se den nye "
            "forhåndsvisning og bekræft igen."
        ) from None
    except SQLAlchemyError as error:  # the caller rolls back
        if _unreachable(error):
            raise
        raise _database_refused("apply", plan.kind, error) from None
    return ImportResult(plan, run.id)


class _Trail:
    """The audit rows of an import: collected while applying, written in bulk after a flush
    (one statement per kind of row instead of one flush per row: 10,000 PRO rows in seconds)."""

    def __init__(self, session: Session, actor: Staff) -> None:
        self.session = session
        self.actor = actor
        self.entries: list[tuple[str, Any, dict | None, int | None]] = []
        self.rows: dict[tuple[str, str], list[tuple]] = defaultdict(list)

    def created(self, obj: Any, patient_id: int | None = None) -> None:
        self.entries.append(("create", obj, None, patient_id))

    def updated(self, obj: Any, values: dict[str, Any], patient_id: int | None = None) -> None:
        """Change `obj` and remember its row as it was before."""
        before = audit.snapshot(obj)
        for key, value in values.items():
            setattr(obj, key, value)
        self.entries.append(("update", obj, before, patient_id))

    def row(self, action: str, entity: str, entity_id: int | None, patient_id: int | None,
            before: dict | None, after: dict | None) -> None:
        """An audit row for something written without an ORM object (bulk inserts)."""
        self.rows[(action, entity)].append((entity_id, patient_id, before, after))

    def write(self) -> None:
        self.session.flush()
        for action, obj, before, patient_id in self.entries:
            if patient_id is None:
                patient_id = obj.id if isinstance(obj, Patient) else getattr(obj, "patient_id",
                                                                              None)
            self.rows[(action, obj.__tablename__)].append(
                (getattr(obj, "id", None), patient_id, before, audit.snapshot(obj))
            )
        for (action, entity), rows in self.rows.items():
            audit.record_many(self.session, self.actor, action, entity, rows)
        self.entries.clear()
        self.rows.clear()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _of(changes: list[Change], entity: str) -> list[Change]:
    return [c for c in changes if c.entity == entity]


def _targets(session: Session, model: type, changes: list[Change]) -> dict[int, Any]:
    """The stored rows that `changes` update, loaded in a few set-based queries."""
    found: dict[int, Any] = {}
    ids = [c.target_id for c in changes if c.action != CREATE]
    for batch in chunks(ids):
        found.update((row.id, row) for row in session.scalars(
            select(model).where(model.id.in_(batch))))
    return found


# patients ---------------------------------------------------------------------------


def _apply_patients(session: Session, actor: Staff, plan: Plan, trail: _Trail) -> None:
    changes = plan.changes
    names = {c.payload.get("microteam") for c in changes if c.payload.get("microteam")}
    teams = {t.name: t for t in session.scalars(select(Microteam).where(Microteam.name.in_(names)))}
    for change in _of(changes, "microteam"):
        team = Microteam(name=change.payload["name"])
        session.add(team)
        trail.created(team)
        teams[team.name] = team
    session.flush()
    for change in _of(changes, "microteam_member"):
        p = change.payload
        member = MicroteamMember(microteam_id=teams[p["microteam"]].id, staff_id=p["staff_id"],
                                 function=TeamFunction(p["function"]))
        session.add(member)
        trail.created(member)
    stored = _targets(session, Patient, _of(changes, "patient"))
    for change in _of(changes, "patient"):
        values = _patient_values(change.payload, teams)
        if change.action == CREATE:
            patient = Patient(first_name=values.pop("first_name", None) or "", **values)
            session.add(patient)
            trail.created(patient)
        else:
            trail.updated(stored[change.target_id], values, change.target_id)


def _patient_values(payload: dict[str, Any], teams: dict[str, Microteam]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in payload.items():
        if key == "microteam":
            values["microteam_id"] = teams[value].id if value else None
        elif key in ("referral_date", "birth_date"):
            values[key] = _date(value)
        elif key == "sex":
            values[key] = Sex(value)
        else:
            values[key] = value
    return values


# course events -----------------------------------------------------------------------

_EVENT_ENUMS = {"status": CourseStatus, "finding": Finding}


def _event_values(payload: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for key, value in payload.items():
        if key in ("group", "group_id"):
            continue
        if key in ("planned_date", "start_date", "end_date"):
            values[key] = _date(value)
        elif key in _EVENT_ENUMS:
            values[key] = _EVENT_ENUMS[key](value) if value else None
        else:
            values[key] = value
    return values


def _apply_courses(session: Session, actor: Staff, plan: Plan, trail: _Trail) -> None:
    stored = _targets(session, CourseEvent, plan.changes)
    for change in plan.changes:
        values = _event_values(change.payload)
        if change.action == CREATE:
            event = CourseEvent(**values)
            session.add(event)
            trail.created(event)
        else:
            trail.updated(stored[change.target_id], values)


# groups ------------------------------------------------------------------------------


class _GroupRefs:
    """Groups, sessions and enrolments a group import refers to, stored or just created."""

    def __init__(self, session: Session, changes: list[Change]) -> None:
        ids = {c.payload["group_id"] for c in changes if c.payload.get("group_id")}
        self.groups: dict[str, TherapyGroup] = {}
        self.sessions: dict[tuple[int, dt.date], GroupSession] = {}
        self.enrolments: dict[tuple[int, int], Enrolment] = {}
        if ids:
            for group in session.scalars(select(TherapyGroup).where(TherapyGroup.id.in_(ids))):
                self.groups[header_key(group.name)] = group
            query = select(GroupSession).where(GroupSession.group_id.in_(ids))
            for s in session.scalars(query):
                self.sessions[(s.group_id, s.date)] = s
            for e in session.scalars(select(Enrolment).where(Enrolment.group_id.in_(ids))):
                self.enrolments[(e.group_id, e.patient_id)] = e

    def group(self, payload: dict[str, Any]) -> TherapyGroup:
        return self.groups[header_key(payload["group"])]


def _apply_groups(session: Session, actor: Staff, plan: Plan, trail: _Trail) -> None:
    changes = plan.changes
    refs = _GroupRefs(session, changes)
    for change in _of(changes, "therapy_group"):
        p = change.payload
        if change.action == CREATE:
            group = TherapyGroup(
                name=p["name"], intervention_id=p["intervention_id"],
                start_date=_date(p["start_date"]), end_date=_date(p["end_date"]),
                capacity=p["capacity"], online=p["online"],
            )
            session.add(group)
            trail.created(group)
            refs.groups[header_key(group.name)] = group
        else:
            trail.updated(session.get(TherapyGroup, change.target_id),
                          {"end_date": _date(p["end_date"])})
    session.flush()
    for change in _of(changes, "group_session"):
        group = refs.group(change.payload)
        row = GroupSession(group_id=group.id, number=change.payload["number"],
                           date=_date(change.payload["date"]))
        session.add(row)
        trail.created(row)
        refs.sessions[(group.id, row.date)] = row
    for change in _of(changes, "group_therapist"):
        row = GroupTherapist(group_id=refs.group(change.payload).id,
                             staff_id=change.payload["staff_id"])
        session.add(row)
        trail.created(row)
    for change in _of(changes, "enrolment"):
        p = change.payload
        if change.action == CREATE:
            group = refs.group(p)
            row = Enrolment(group_id=group.id, patient_id=p["patient_id"],
                            status=EnrolmentStatus(p["status"]),
                            enrolled_on=_date(p["enrolled_on"]))
            session.add(row)
            trail.created(row)
            refs.enrolments[(group.id, row.patient_id)] = row
        else:
            trail.updated(session.get(Enrolment, change.target_id),
                          {"status": EnrolmentStatus(p["status"])})
    session.flush()
    marks = _targets(session, Attendance, _of(changes, "attendance"))
    patient_of = dict(session.execute(select(Enrolment.id, Enrolment.patient_id).where(
        Enrolment.id.in_({m.enrolment_id for m in marks.values()}))).all()) if marks else {}
    for change in _of(changes, "attendance"):
        p = change.payload
        if change.action == CREATE:
            group = refs.group(p)
            row = Attendance(
                session_id=refs.sessions[(group.id, _date(p["date"]))].id,
                enrolment_id=refs.enrolments[(group.id, p["patient_id"])].id,
                status=AttendanceStatus(p["status"]), recorded_by_id=actor.id,
            )
            session.add(row)
            trail.created(row, patient_id=p["patient_id"])
        else:
            row = marks[change.target_id]
            trail.updated(row, {"status": AttendanceStatus(p["status"]),
                                "recorded_by_id": actor.id},
                          patient_of[row.enrolment_id])
    events = _targets(session, CourseEvent, _of(changes, "course_event"))
    for change in _of(changes, "course_event"):
        group = refs.group(change.payload)
        values = _event_values(change.payload)
        if change.action == CREATE:
            event = CourseEvent(group_id=group.id, **values)
            session.add(event)
            trail.created(event)
        else:
            trail.updated(events[change.target_id], {"group_id": group.id, **values})


# PRO ---------------------------------------------------------------------------------


def _apply_pro(session: Session, actor: Staff, plan: Plan, trail: _Trail) -> None:
    """New answers with bulk inserts (the volume case); changed answers through the ORM."""
    creates = [c for c in plan.changes if c.action == CREATE]
    for batch in chunks(creates, 2000):
        rows = [{"patient_id": c.payload["patient_id"],
                 "timepoint": Timepoint(c.payload["timepoint"]),
                 "answered_on": _date(c.payload["answered_on"]), "source": plan.source}
                for c in batch]
        ids = session.scalars(
            insert(ProResponse).returning(ProResponse.id, sort_by_parameter_order=True), rows
        ).all()
        session.execute(insert(ProScore), [
            {"response_id": rid, "instrument": code, "items": s["items"], "score": s["score"]}
            for rid, c in zip(ids, batch, strict=True)
            for code, s in c.payload["scores"].items()
        ])
        for rid, c, row in zip(ids, batch, rows, strict=True):
            after = {"id": rid, "patient_id": row["patient_id"],
                     "timepoint": row["timepoint"].value,
                     "answered_on": c.payload["answered_on"], "source": plan.source,
                     "scores": {code: s["score"] for code, s in c.payload["scores"].items()}}
            trail.row("create", "pro_response", rid, row["patient_id"], None, after)

    updates = [c for c in plan.changes if c.action != CREATE]
    stored: dict[int, dict[str, ProScore]] = defaultdict(dict)
    responses: dict[int, ProResponse] = {}
    for batch in chunks([c.target_id for c in updates]):
        responses.update((r.id, r) for r in session.scalars(
            select(ProResponse).where(ProResponse.id.in_(batch))))
        for s in session.scalars(select(ProScore).where(ProScore.response_id.in_(batch))):
            stored[s.response_id][s.instrument] = s
    for change in updates:
        p = change.payload
        response = responses[change.target_id]
        old_scores = stored[response.id]
        before = {**audit.snapshot(response),
                  "scores": {code: s.score for code, s in old_scores.items()}}
        if "answered_on" in p:
            response.answered_on = _date(p["answered_on"])
        for code, s in p.get("scores", {}).items():
            row = old_scores.get(code)
            if row is None:
                session.add(ProScore(response_id=response.id, instrument=code, items=s["items"],
                                     score=s["score"]))
            else:
                row.items, row.score = s["items"], s["score"]
        after = {**audit.snapshot(response),
                 "scores": {**before["scores"],
                            **{code: s["score"] for code, s in p.get("scores", {}).items()}}}
        trail.row("update", "pro_response", response.id, response.patient_id, before, after)


_APPLY = {
    "patienter": _apply_patients,
    "forloeb": _apply_courses,
    "hold": _apply_groups,
    "pro": _apply_pro,
}
