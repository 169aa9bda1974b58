"""Forbered sag: the microteam prepares its cases for coming conferences.

Reads
- :func:`my_cases`: a staff member's patients on coming conferences, with readiness;
- :func:`case_readiness`: readiness of every case on one conference (for the board);
- :func:`case_detail`: one case: the template version it is written with, the stored texts,
  the system-filled texts (Baggrund, Forløb indtil nu, PRO) and the patient's team notes.

Writes (each takes the acting staff member and leaves an audit row in the same transaction)
- :func:`put_on_conference`: a patient on a conference with reason and question;
- :func:`save_draft`: autosave of the texts; a stale save is caught per field and returned as
  a :class:`Conflict` with both texts (nothing is silently overwritten);
- :func:`mark_ready` / :func:`mark_unready`: "Klar til konference";
- :func:`add_team_note` / :func:`edit_team_note`: team notes, editable by their author only,
  with history (the audit trail keeps every earlier text);
- :func:`new_template_version`: an administrator changes the template; cases keep theirs.

Reads are set-based: a fixed number of statements whatever the number of cases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from conference import case_text
from conference.cpr import format_cpr
from conference.pathway import REASON_TEXTS
from conference.permissions import Action
from conference.services import agenda, audit
from conference.services.access import authorize, authorize_case, authorize_team_note
from conference.services.errors import InvalidInput, NotFound
from conference.services.patients import PatientDetail, patient_detail
from conference.services.settings import conference_weekday
from conference.template import (
    VALUE_MAX,
    CaseState,
    TemplateError,
    TemplateField,
    default_fields,
    first_anledning,
    missing_required,
    parse_fields,
    ready_problem,
    state_of,
)
from db.models import (
    AgendaItem,
    AgendaStatus,
    AuditLog,
    CasePresentation,
    Conference,
    ConferenceStatus,
    Microteam,
    MicroteamMember,
    Patient,
    PatientStatus,
    PresentationTemplate,
    Staff,
    TeamNote,
    utcnow,
)

NOTE_MAX = 4000
COMING_WEEKS = 6


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateVersion:
    id: int | None  # None: nothing stored yet; version 1 is stored on the first write
    version_no: int
    fields: tuple[TemplateField, ...]
    created_at: dt.datetime | None = None
    created_by: str | None = None

    def field(self, key: str) -> TemplateField | None:
        return next((f for f in self.fields if f.key == key), None)


def _fields(raw: list[dict] | None) -> tuple[TemplateField, ...]:
    try:
        return parse_fields(raw or [])
    except TemplateError:  # a stored version no longer valid: show what can be shown
        return tuple(
            TemplateField(
                key=str(f.get("key")),
                label=str(f.get("label") or f.get("key")),
                help=str(f.get("help") or ""),
                required=bool(f.get("required")),
                system=bool(f.get("system")),
            )
            for f in raw or []
            if isinstance(f, dict) and f.get("key")
        )


def _version(row: PresentationTemplate, by: str | None = None) -> TemplateVersion:
    return TemplateVersion(row.id, row.version_no, _fields(row.fields), row.created_at, by)


DEFAULT_TEMPLATE = TemplateVersion(None, 1, parse_fields(default_fields()))


def current_template(session: Session) -> TemplateVersion:
    """The newest template version (version 1's defaults if none is stored yet)."""
    row = _newest_template_row(session)
    return _version(row) if row else DEFAULT_TEMPLATE


def _newest_template_row(session: Session) -> PresentationTemplate | None:
    return session.scalar(
        select(PresentationTemplate).order_by(PresentationTemplate.version_no.desc()).limit(1)
    )


def ensure_template(session: Session, actor: Staff) -> PresentationTemplate:
    """The newest stored template; version 1 (DOMAIN.md's eight fields) is stored if none is."""
    row = _newest_template_row(session)
    if row is not None:
        return row
    row = PresentationTemplate(version_no=1, fields=default_fields(), created_by_id=actor.id)
    session.add(row)
    audit.record(session, actor, "create", row)
    return row


def template_versions(session: Session) -> list[TemplateVersion]:
    """Every stored version, newest first, with who made it and how many cases use it."""
    rows = session.execute(
        select(PresentationTemplate, Staff.name)
        .outerjoin(Staff, Staff.id == PresentationTemplate.created_by_id)
        .order_by(PresentationTemplate.version_no.desc())
    ).all()
    return [_version(row, name) for row, name in rows]


def new_template_version(
    session: Session, actor: Staff, fields: list[Mapping[str, object]]
) -> TemplateVersion:
    """Store a changed template as the next version; cases already begun keep theirs."""
    authorize(session, actor, Action.EDIT_TEMPLATE)
    try:
        parsed = parse_fields(fields)
    except TemplateError as error:
        raise InvalidInput(str(error)) from error
    current = ensure_template(session, actor)
    if _fields(current.fields) == parsed:
        raise InvalidInput("Skabelonen er uændret; der er ikke gemt en ny version.")
    top = session.scalar(select(func.max(PresentationTemplate.version_no))) or 0
    row = PresentationTemplate(
        version_no=top + 1, fields=[f.as_dict() for f in parsed], created_by_id=actor.id
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        raise InvalidInput(
            "En anden har netop gemt en ny version af skabelonen. Genindlæs og prøv igen."
        ) from error
    audit.record(session, actor, "create", row)
    return _version(row, actor.name)


# --------------------------------------------------------------------------- readiness


@dataclass(frozen=True)
class ReadyInfo:
    """How far one case is; what the board and every case list show."""

    agenda_item_id: int
    state: CaseState  # ikke_paabegyndt | kladde | klar
    missing: tuple[str, ...]  # labels of required fields still empty, template order
    template_version: int  # the version the case is (or will be) written with
    ready_at: dt.datetime | None = None
    ready_by: str | None = None
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

    @property
    def ready(self) -> bool:
        return self.state == CaseState.READY


def _ready_info(
    item_id: int,
    values: Mapping[str, str] | None,
    fields: tuple[TemplateField, ...],
    version_no: int,
    ready_at: dt.datetime | None = None,
    ready_by: str | None = None,
    updated_at: dt.datetime | None = None,
    updated_by: str | None = None,
    *,
    initial: Mapping[str, str] | None = None,
) -> ReadyInfo:
    """`values` None: nothing saved yet; `initial` are then the starting texts (Anledning)."""
    return ReadyInfo(
        agenda_item_id=item_id,
        state=state_of(values, ready_at is not None),
        missing=tuple(f.label for f in missing_required(fields, values or initial or {})),
        template_version=version_no,
        ready_at=ready_at,
        ready_by=ready_by,
        updated_at=updated_at,
        updated_by=updated_by,
    )


def _readiness(session: Session, condition) -> dict[int, ReadyInfo]:  # noqa: ANN001
    """Readiness of the agenda items matching `condition`: two statements in all."""
    ready_by = aliased(Staff)
    updated_by = aliased(Staff)
    rows = session.execute(
        select(
            AgendaItem.id,
            AgendaItem.reason,
            AgendaItem.reason_text,
            AgendaItem.question,
            CasePresentation.fields,
            CasePresentation.ready_at,
            ready_by.name,
            CasePresentation.updated_at,
            updated_by.name,
            PresentationTemplate.fields,
            PresentationTemplate.version_no,
        )
        .select_from(AgendaItem)
        .outerjoin(CasePresentation, CasePresentation.agenda_item_id == AgendaItem.id)
        .outerjoin(PresentationTemplate, PresentationTemplate.id == CasePresentation.template_id)
        .outerjoin(ready_by, ready_by.id == CasePresentation.ready_by_id)
        .outerjoin(updated_by, updated_by.id == CasePresentation.updated_by_id)
        .where(condition)
    ).all()
    current = current_template(session)
    parsed: dict[int, tuple[TemplateField, ...]] = {}
    result = {}
    for (item_id, reason, reason_text, question, values, ready_at, r_by, updated_at, u_by,
         t_fields, t_no) in rows:
        if t_no is None:
            fields, version_no = current.fields, current.version_no
        else:
            fields = parsed.setdefault(t_no, _fields(t_fields))
            version_no = t_no
        result[item_id] = _ready_info(
            item_id, values, fields, version_no, ready_at, r_by, updated_at, u_by,
            initial=_initial_values(reason, reason_text, question),
        )
    return result


def case_readiness(session: Session, conference_id: int) -> dict[int, ReadyInfo]:
    """Readiness of every case on one conference, by agenda item id (two statements)."""
    return _readiness(session, AgendaItem.conference_id == conference_id)


# --------------------------------------------------------------------------- my cases


@dataclass(frozen=True)
class CaseRow:
    agenda_item_id: int
    conference_id: int
    conference_date: dt.date
    patient_id: int
    patient_name: str
    cpr: str
    microteam: str
    reason: str
    question: str | None
    list: str
    readiness: ReadyInfo


def reason_label(reason: str, reason_text: str | None) -> str:
    """The agenda's reason as text: the written reason, else the rule's wording."""
    return (reason_text or "").strip() or REASON_TEXTS.get(reason, reason)


def _members_patients(staff_id: int):  # noqa: ANN202 - a where clause
    teams = select(MicroteamMember.microteam_id).where(MicroteamMember.staff_id == staff_id)
    return or_(
        Patient.microteam_id.in_(teams),
        Patient.pal_laege_id == staff_id,
        Patient.kontaktsygeplejerske_id == staff_id,
    )


def _coming(today: dt.date):  # noqa: ANN202 - a where clause
    return (
        Conference.date >= today,
        Conference.status != ConferenceStatus.CLOSED,
        Conference.signed_off_at.is_(None),
    )


def my_cases(session: Session, staff_id: int | None, today: dt.date) -> list[CaseRow]:
    """Cases on coming conferences of patients the staff member treats (microteam, PAL-læge,
    kontaktsygeplejerske); every coming case when `staff_id` is None. Three statements."""
    query = (
        select(
            AgendaItem.id,
            Conference.id,
            Conference.date,
            Patient.id,
            Patient.first_name,
            Patient.last_name,
            Patient.cpr,
            Microteam.name,
            AgendaItem.reason,
            AgendaItem.reason_text,
            AgendaItem.question,
            AgendaItem.list,
        )
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .outerjoin(Microteam, Microteam.id == Patient.microteam_id)
        .where(*_coming(today), AgendaItem.status == AgendaStatus.PLANNED)
        .order_by(Conference.date, AgendaItem.position, AgendaItem.id)
    )
    if staff_id is not None:
        query = query.where(_members_patients(staff_id))
    rows = session.execute(query).all()
    if not rows:
        return []
    readiness = _readiness(session, AgendaItem.id.in_([r[0] for r in rows]))
    return [
        CaseRow(
            agenda_item_id=item_id,
            conference_id=conf_id,
            conference_date=day,
            patient_id=pid,
            patient_name=f"{first} {last}",
            cpr=format_cpr(cpr),
            microteam=team or "",
            reason=reason_label(reason, reason_text),
            question=question,
            list=lst.value,
            readiness=readiness[item_id],
        )
        for (item_id, conf_id, day, pid, first, last, cpr, team, reason, reason_text, question,
             lst) in rows
    ]


@dataclass(frozen=True)
class PatientOption:
    id: int
    name: str
    cpr: str
    microteam: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.cpr})"


def my_patients(session: Session, staff_id: int | None) -> list[PatientOption]:
    """Active patients the staff member treats (every active patient when None)."""
    query = (
        select(Patient.id, Patient.first_name, Patient.last_name, Patient.cpr, Microteam.name)
        .outerjoin(Microteam, Microteam.id == Patient.microteam_id)
        .where(Patient.status == PatientStatus.ACTIVE)
        .order_by(Patient.last_name, Patient.first_name)
    )
    if staff_id is not None:
        query = query.where(_members_patients(staff_id))
    return [
        PatientOption(pid, f"{first} {last}", format_cpr(cpr), team or "")
        for pid, first, last, cpr, team in session.execute(query)
    ]


def coming_conference_dates(
    session: Session, today: dt.date, weeks: int = COMING_WEEKS
) -> list[dt.date]:
    """Planned conferences from today, and the centre's weekday for the next `weeks` weeks."""
    planned = set(
        session.scalars(
            select(Conference.date).where(*_coming(today)).order_by(Conference.date)
        )
    )
    first = today + dt.timedelta(days=(conference_weekday(session) - today.weekday()) % 7)
    weekly = {first + dt.timedelta(weeks=w) for w in range(weeks)}
    closed = set(
        session.scalars(
            select(Conference.date).where(
                Conference.date.in_(weekly),
                or_(
                    Conference.status == ConferenceStatus.CLOSED,
                    Conference.signed_off_at.is_not(None),
                ),
            )
        )
    )
    return sorted(planned | (weekly - closed))


def put_on_conference(
    session: Session,
    actor: Staff,
    patient_id: int,
    day: dt.date,
    reason_text: str,
    question: str,
    today: dt.date,
) -> AgendaItem:
    """Put a patient on the conference on `day` (created if missing) with reason and question.

    The whole change is one savepoint: on invalid input nothing is written, not even the
    conference row. Two people creating the same conference at once both succeed.
    """
    authorize(session, actor, Action.PROPOSE_CASE, patient_id=patient_id)
    if day < today:
        raise InvalidInput("Vælg en kommende konference.")
    if day not in coming_conference_dates(session, today, weeks=max(COMING_WEEKS, 52)):
        raise InvalidInput("Der er ikke tværfaglig konference den dag. Vælg en konferencedag.")
    for attempt in range(2):
        try:
            with session.begin_nested():
                conference = agenda.ensure_conference(session, actor, day)
                return agenda.add_case(
                    session, actor, conference.id, patient_id, reason_text, question
                )
        except IntegrityError as error:  # someone created the same conference or item
            if attempt:
                raise InvalidInput(
                    "Patienten er netop sat på konferencen af en anden."
                ) from error
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- one case


@dataclass(frozen=True)
class NoteVersion:
    text: str
    replaced_at: dt.datetime  # when this text was replaced by a newer one


@dataclass(frozen=True)
class NoteView:
    id: int
    author_id: int
    author: str
    text: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    history: tuple[NoteVersion, ...] = ()  # earlier texts, newest first

    @property
    def edited(self) -> bool:
        return bool(self.history)


@dataclass
class CaseView:
    agenda_item_id: int
    conference_id: int
    conference_date: dt.date
    editable: bool  # False once the conference is over
    reason: str
    question: str | None
    list: str
    patient: PatientDetail
    template: TemplateVersion
    newest_template: int
    values: dict[str, str]  # stored texts (or the starting ones before the first save)
    version: int | None  # None: nothing saved yet
    readiness: ReadyInfo
    system: dict[str, str]  # the system's texts for the system fields, current
    notes: list[NoteView]


def _item(session: Session, agenda_item_id: int) -> tuple[AgendaItem, Conference]:
    row = session.execute(
        select(AgendaItem, Conference)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(AgendaItem.id == agenda_item_id)
    ).one_or_none()
    if row is None:
        raise NotFound("Sagen findes ikke.")
    return row[0], row[1]


def _editable(conference: Conference) -> bool:
    return conference.status != ConferenceStatus.CLOSED and conference.signed_off_at is None


def _open_item(session: Session, agenda_item_id: int) -> tuple[AgendaItem, Conference]:
    item, conference = _item(session, agenda_item_id)
    if not _editable(conference):
        raise InvalidInput("Konferencen er afholdt; sagsfremstillingen kan ikke længere ændres.")
    return item, conference


def _initial_values(reason: str, reason_text: str | None, question: str | None) -> dict[str, str]:
    """A new case starts with Anledning from the agenda: the reason and the question."""
    return {"anledning": first_anledning(reason_label(reason, reason_text), question)}


def _initial(item: AgendaItem) -> dict[str, str]:
    return _initial_values(item.reason, item.reason_text, item.question)


def _case_row(session: Session, agenda_item_id: int) -> CasePresentation | None:
    """The stored case, read fresh from the database (not from the session's memory)."""
    return session.scalar(
        select(CasePresentation)
        .where(CasePresentation.agenda_item_id == agenda_item_id)
        .execution_options(populate_existing=True)
    )


def _template_of(session: Session, row: CasePresentation | None) -> TemplateVersion:
    if row is None:
        return current_template(session)
    template = session.get(PresentationTemplate, row.template_id)
    return _version(template) if template else current_template(session)


def case_detail(session: Session, agenda_item_id: int, today: dt.date) -> CaseView:
    """One case with everything the page shows; a fixed number of statements."""
    item, conference = _item(session, agenda_item_id)
    row = _case_row(session, agenda_item_id)
    template = _template_of(session, row)
    newest = session.scalar(select(func.max(PresentationTemplate.version_no))) or 1
    patient = patient_detail(session, item.patient_id, today)
    names = _names(session, {row.ready_by_id, row.updated_by_id} if row else set())
    values = dict(row.fields or {}) if row else _initial(item)
    readiness = _ready_info(
        item.id,
        values if row else None,
        template.fields,
        template.version_no,
        row.ready_at if row else None,
        names.get(row.ready_by_id) if row else None,
        row.updated_at if row else None,
        names.get(row.updated_by_id) if row else None,
        initial=values,
    )
    return CaseView(
        agenda_item_id=item.id,
        conference_id=conference.id,
        conference_date=conference.date,
        editable=_editable(conference),
        reason=reason_label(item.reason, item.reason_text),
        question=item.question,
        list=item.list.value,
        patient=patient,
        template=template,
        newest_template=newest,
        values=values,
        version=row.version if row else None,
        readiness=readiness,
        system=case_text.system_texts(patient),
        notes=team_notes(session, item.patient_id),
    )


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    # Asked even when there is nobody to name: one statement whatever the case holds.
    wanted = [i for i in ids if i is not None]
    return dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted))).all())


@dataclass(frozen=True)
class CaseStamp:
    """What is stored for a case right now (for the autosave poll): cheap to read."""

    version: int | None
    values: dict[str, str]
    readiness: ReadyInfo


def case_stamp(session: Session, agenda_item_id: int) -> CaseStamp:
    item, _conference = _item(session, agenda_item_id)
    row = _case_row(session, agenda_item_id)
    template = _template_of(session, row)
    names = _names(session, {row.ready_by_id, row.updated_by_id} if row else set())
    if row is None:
        values = _initial(item)
        return CaseStamp(None, values, _ready_info(item.id, None, template.fields,
                                                   template.version_no, initial=values))
    values = dict(row.fields or {})
    readiness = _ready_info(
        item.id, values, template.fields, template.version_no, row.ready_at,
        names.get(row.ready_by_id), row.updated_at, names.get(row.updated_by_id),
    )
    return CaseStamp(row.version, values, readiness)


# --------------------------------------------------------------------------- autosave


@dataclass(frozen=True)
class Saved:
    version: int
    values: dict[str, str]  # what is stored now
    saved_at: dt.datetime
    unready: bool = False  # the save took away "Klar": a required field is empty again


@dataclass(frozen=True)
class FieldConflict:
    key: str
    label: str
    mine: str
    theirs: str


@dataclass(frozen=True)
class Conflict:
    """Someone else saved the same field since this person's text was loaded."""

    version: int  # the stored version now: save again with it to keep one's own text
    values: dict[str, str]  # what is stored now
    fields: tuple[FieldConflict, ...]
    saved_by: str
    saved_at: dt.datetime


def _check_changes(template: TemplateVersion, changes: Mapping[str, str]) -> dict[str, str]:
    keys = {f.key for f in template.fields}
    clean = {}
    for key, value in changes.items():
        if key not in keys:
            raise InvalidInput(f"Skabelonen har ikke feltet {key!r}.")
        value = "" if value is None else str(value)
        if len(value) > VALUE_MAX:
            label = template.field(key).label  # type: ignore[union-attr]
            raise InvalidInput(f"»{label}« er for lang (højst {VALUE_MAX:,} tegn).".replace(
                ",", "."))
        clean[key] = value
    return clean


def _conflicts(
    template: TemplateVersion,
    stored: Mapping[str, str],
    changes: Mapping[str, str],
    base: Mapping[str, str],
) -> tuple[FieldConflict, ...]:
    """Fields this person changed that someone else changed too, to something else."""
    result = []
    for key, mine in changes.items():
        theirs = stored.get(key, "")
        if theirs == mine or theirs == base.get(key, ""):
            continue
        field = template.field(key)
        result.append(FieldConflict(key, field.label if field else key, mine, theirs))
    return tuple(result)


def check_typed_for(form_item_id: int, typed_for: object) -> None:
    """Refuse text typed for another case than the form's (`typed_for` None: not known)."""
    if typed_for is None:
        return
    if isinstance(typed_for, bool) or not isinstance(typed_for, int | str) \
            or str(typed_for) != str(form_item_id):
        raise InvalidInput(
            "Teksten blev skrevet til en anden sag end den, der er åben, og er ikke gemt her. "
            "Genindlæs siden, og se efter, at teksten står hos den rigtige patient."
        )


def save_draft(
    session: Session,
    actor: Staff,
    agenda_item_id: int,
    changes: Mapping[str, str],
    base: Mapping[str, str],
    version: int | None,
    *,
    typed_for: int | None = None,
) -> Saved | Conflict:
    """Save changed texts of a case (autosave).

    `changes` holds the fields this person changed, `base` the stored texts those edits
    started from, `version` the case version they were loaded with (None: nothing stored).
    `typed_for` is the case the browser's box says the text was typed for: another than
    `agenda_item_id` is refused (InvalidInput), nothing written.
    When the case changed since, fields nobody else touched are still saved (merged, with an
    audit row "merge" naming the version merged with); a field someone else saved differently
    is not: the result is a :class:`Conflict` with both texts, nothing of it is written but its
    audit row "conflict" (mine, theirs, who). Two concurrent saves cannot both win (version
    column).
    """
    check_typed_for(agenda_item_id, typed_for)
    authorize_case(session, actor, Action.PREPARE_CASE, agenda_item_id)
    item, _conference = _open_item(session, agenda_item_id)
    # Every read comes before the first write of the savepoint: on SQLite a transaction that
    # read first and then writes cannot wait for a concurrent writer ("database is locked").
    for _attempt in range(3):
        row = _case_row(session, agenda_item_id)
        template = _template_of(session, row)
        clean = _check_changes(template, changes)
        merged = False
        if row is None:
            stored_template = _newest_template_row(session)
        else:
            stored = dict(row.fields or {})
            # With an up-to-date version stored == base; checking every field anyway also
            # catches a page whose version moved on while one of its fields did not.
            if row.version != version or any(stored.get(k, "") != base.get(k, "")
                                             for k in clean):
                conflicts = _conflicts(template, stored, clean, base)
                if conflicts:
                    names = _names(session, {row.updated_by_id})
                    audit.record_conflict(
                        session, actor, "conflict", CasePresentation.__tablename__, row.id,
                        mine={"fields": {c.key: c.mine for c in conflicts},
                              "version": version},
                        theirs=_other_version(row, {c.key: c.theirs for c in conflicts}),
                        patient_id=item.patient_id,
                    )
                    return Conflict(
                        version=row.version,
                        values=stored,
                        fields=conflicts,
                        saved_by=names.get(row.updated_by_id, "en anden"),
                        saved_at=row.updated_at,
                    )
                merged = {**stored, **clean} != stored
        try:
            with session.begin_nested():
                if row is None:
                    return _create(session, actor, item, clean, stored_template)
                other = _other_version(row, {}) if merged else None
                saved = _update(session, actor, row, item.patient_id, template, stored, clean)
                if other is not None:
                    audit.record_conflict(
                        session, actor, "merge", CasePresentation.__tablename__, row.id,
                        mine={"fields": clean, "version": version}, theirs=other,
                        patient_id=item.patient_id,
                    )
                return saved
        except StaleDataError:
            continue  # someone saved between our read and our write: read again
        except IntegrityError:
            continue  # someone created the case (or version 1) at the same moment: read again
    raise InvalidInput("Sagen bliver ændret af flere på samme tid. Prøv igen om et øjeblik.")


def _other_version(row: CasePresentation, fields: dict[str, str]) -> dict:
    """The stored version another save met (for its audit row): texts, version, who, when."""
    return {"fields": fields, "version": row.version, "updated_by_id": row.updated_by_id,
            "updated_at": row.updated_at}


def _create(
    session: Session,
    actor: Staff,
    item: AgendaItem,
    changes: Mapping[str, str],
    template: PresentationTemplate | None,
) -> Saved:
    now = utcnow()
    row = CasePresentation(
        agenda_item_id=item.id,
        fields={**_initial(item), **changes},
        updated_at=now,
        updated_by_id=actor.id,
    )
    if template is None:  # no template stored yet: version 1 goes in with the first case
        template = PresentationTemplate(
            version_no=1, fields=default_fields(), created_by_id=actor.id
        )
        session.add(template)
        session.flush()
        audit.record(session, actor, "create", template)
    row.template_id = template.id
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", row, patient_id=item.patient_id)
    return Saved(row.version, dict(row.fields), now)


def _update(
    session: Session,
    actor: Staff,
    row: CasePresentation,
    patient_id: int,
    template: TemplateVersion,
    stored: dict[str, str],
    changes: Mapping[str, str],
) -> Saved:
    values = {**stored, **changes}
    if values == stored:
        return Saved(row.version, stored, row.updated_at)
    before = audit.snapshot(row)
    now = utcnow()
    row.fields = values
    row.updated_at = now
    row.updated_by_id = actor.id
    unready = row.ready_at is not None and bool(missing_required(template.fields, values))
    if unready:
        row.ready_at = None
        row.ready_by_id = None
    session.flush()
    audit.record(session, actor, "update", row, before=before, patient_id=patient_id)
    return Saved(row.version, values, now, unready)


def mark_ready(session: Session, actor: Staff, agenda_item_id: int) -> None:
    """"Klar til konference": refused, naming them, while required fields are empty."""
    authorize_case(session, actor, Action.PREPARE_CASE, agenda_item_id)
    item, _conference = _open_item(session, agenda_item_id)
    row = _case_row(session, agenda_item_id)
    template = _template_of(session, row)
    values = dict(row.fields or {}) if row else _initial(item)
    problem = ready_problem(template.fields, values)
    if problem:
        raise InvalidInput(problem)
    if row is None:  # a template without required free text: store the starting texts
        _create(session, actor, item, {}, _newest_template_row(session))
        row = _case_row(session, agenda_item_id)
        assert row is not None
    if row.ready_at is None:
        before = audit.snapshot(row)
        row.ready_at = utcnow()
        row.ready_by_id = actor.id
        _flush_case(session)
        audit.record(session, actor, "update", row, before=before, patient_id=item.patient_id)


def mark_unready(session: Session, actor: Staff, agenda_item_id: int) -> None:
    """Take away "Klar til konference" (e.g. something new must be added)."""
    authorize_case(session, actor, Action.PREPARE_CASE, agenda_item_id)
    item, _conference = _open_item(session, agenda_item_id)
    row = _case_row(session, agenda_item_id)
    if row is None or row.ready_at is None:
        return
    before = audit.snapshot(row)
    row.ready_at = None
    row.ready_by_id = None
    _flush_case(session)
    audit.record(session, actor, "update", row, before=before, patient_id=item.patient_id)


def _flush_case(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except StaleDataError as error:
        raise InvalidInput(
            "Sagen er netop ændret af en anden. Se de nyeste tekster og prøv igen."
        ) from error


# --------------------------------------------------------------------------- team notes


def team_notes(session: Session, patient_id: int) -> list[NoteView]:
    """A patient's team notes, newest first, each with its earlier texts (two statements)."""
    rows = session.execute(
        select(TeamNote, Staff.name)
        .join(Staff, Staff.id == TeamNote.author_id)
        .where(TeamNote.patient_id == patient_id)
        .order_by(TeamNote.created_at.desc(), TeamNote.id.desc())
    ).all()
    if not rows:
        return []
    history: dict[int, list[NoteVersion]] = defaultdict(list)
    changes = session.execute(
        select(AuditLog.entity_id, AuditLog.before, AuditLog.at)
        .where(
            AuditLog.entity == TeamNote.__tablename__,
            AuditLog.action == "update",
            AuditLog.entity_id.in_([note.id for note, _ in rows]),
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    ).all()
    for note_id, before, at in changes:
        if before and "text" in before:
            history[note_id].append(NoteVersion(before["text"], at))
    return [
        NoteView(
            id=note.id,
            author_id=note.author_id,
            author=name,
            text=note.text,
            created_at=note.created_at,
            updated_at=note.updated_at,
            version=note.version,
            history=tuple(history.get(note.id, ())),
        )
        for note, name in rows
    ]


def _note_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Skriv noten, før du gemmer.")
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"Noten er for lang (højst {NOTE_MAX:,} tegn).".replace(",", "."))
    return text


def add_team_note(session: Session, actor: Staff, patient_id: int, text: str) -> TeamNote:
    authorize(session, actor, Action.WRITE_TEAM_NOTE, patient_id=patient_id)
    text = _note_text(text)
    if session.get(Patient, patient_id) is None:
        raise NotFound("Patienten findes ikke.")
    now = utcnow()
    note = TeamNote(
        patient_id=patient_id, author_id=actor.id, text=text, created_at=now, updated_at=now
    )
    session.add(note)
    audit.record(session, actor, "create", note)
    return note


def edit_team_note(
    session: Session, actor: Staff, note_id: int, text: str, version: int
) -> TeamNote:
    """Change a team note: only its author may; the earlier text stays in the history."""
    authorize_team_note(session, actor, note_id)
    text = _note_text(text)
    note = session.get(TeamNote, note_id, populate_existing=True)
    if note is None:
        raise NotFound("Noten findes ikke.")
    if note.author_id != actor.id:
        raise InvalidInput("Kun den, der har skrevet noten, kan rette den.")
    if note.version != version:
        raise InvalidInput(
            "Noten er ændret et andet sted, siden du åbnede den. "
            f"Gemt tekst: »{note.text}«. Din tekst: »{text}«. Ret igen ud fra den gemte tekst."
        )
    if note.text == text:
        return note
    before = audit.snapshot(note)
    note.text = text
    note.updated_at = utcnow()
    try:
        with session.begin_nested():
            session.flush()
    except StaleDataError as error:
        raise InvalidInput(
            f"Noten er netop ændret et andet sted. Din tekst: »{text}«. Prøv igen."
        ) from error
    audit.record(session, actor, "update", note, before=before)
    return note
