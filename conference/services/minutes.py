"""The referent's work: conclusions (drafts saved as typed), next steps, sign-off, amendments,
the record note and the minutes (Referat), and the meeting's numbers.

Reads are set-based: a fixed number of statements whatever the number of cases or actions.
Every write takes the acting staff member and leaves an audit row in the same transaction.
Conclusions and action items carry a version: a save based on an older version is refused with
`Conflict`, which carries both versions, so nothing is silently overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from conference import minutes as text
from conference.cpr import age_on, format_cpr
from conference.formatting import local_datetime
from conference.groups import dropout_text
from conference.labels import DECISION, PROFESSION, SEX
from conference.pathway import REASON_TEXTS
from conference.permissions import Action
from conference.services import audit
from conference.services.access import authorize, authorize_case
from conference.services.actions import (
    OPEN_STATUSES,
    ActionView,
    Conflict,
    actions_for_conclusions,
    check_amendment_reason,
    clean,
    conclusion_for,
    item_for_write,
)
from conference.services.cases import check_typed_for
from conference.services.errors import InvalidInput, NotFound
from db.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    AgendaList,
    AgendaStatus,
    CasePresentation,
    Conclusion,
    ConclusionAmendment,
    Conference,
    ConferenceAttendance,
    ConferenceStatus,
    Enrolment,
    EnrolmentStatus,
    GroupFlag,
    Microteam,
    Patient,
    PresentationTemplate,
    Staff,
    TherapyGroup,
    utcnow,
)

#: Template fields that make up the history sketch, in order (labels from the template).
SKETCH_KEYS = ("baggrund", "tre_p", "forloeb", "maal_udbytte", "barrierer", "vurdering")
SKETCH_LABELS = {
    "baggrund": "Baggrund",
    "tre_p": "Grundlæggende, udløsende og vedligeholdende faktorer",
    "forloeb": "Forløb indtil nu",
    "maal_udbytte": "Patientens mål og udbytte",
    "barrierer": "Barrierer og tematikker",
    "vurdering": "Mikroteamets vurdering og forslag",
}


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ConferenceChoice:
    id: int
    date: dt.date
    status: str
    signed_off: bool
    ended: bool


@dataclass(frozen=True)
class CaseSummary:
    item_id: int
    patient_id: int
    patient_name: str
    list: str
    status: str
    position: int
    decision: str | None  # None: no conclusion yet; '' a draft without a decision
    actions: int
    timed: bool = False  # the board's clock ran for it: it counts as discussed at the end


@dataclass
class ReferentView:
    conference_id: int
    date: dt.date
    status: str
    started: bool
    ended: bool
    signed_off_at: dt.datetime | None
    signed_off_by: str | None
    current_item_id: int | None
    leader: str | None
    referent: str | None
    cases: list[CaseSummary] = field(default_factory=list)
    present: set[int] = field(default_factory=set)

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


@dataclass(frozen=True)
class ConclusionView:
    id: int
    history_sketch: str | None
    decision: str
    decision_text: str | None
    recorded_by: str
    recorded_at: dt.datetime
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "history_sketch": self.history_sketch or "",
            "decision": self.decision,
            "decision_text": self.decision_text or "",
            "version": self.version,
            "by": self.recorded_by,
            "at": local_datetime(self.recorded_at),
        }


@dataclass
class CaseDetail:
    item_id: int
    conference_id: int
    conference_date: dt.date
    signed_off: bool
    patient_id: int
    patient_name: str
    cpr: str
    facts: str  # '56 år, kvinde · Team Nord'
    pal_laege: tuple[int, str] | None
    kontaktsygeplejerske: tuple[int, str] | None
    list: str
    status: str
    reason_text: str
    question: str | None
    presentation: list[tuple[str, str]]  # (label, text) in template order, filled fields only
    presented_by: str | None
    sketch_prefill: str
    conclusion: ConclusionView | None
    actions: list[ActionView]
    record: text.CaseRecord


def conference_choices(
    session: Session, today: dt.date, *, include: dt.date | None = None, back: int = 10,
    ahead: int = 3,
) -> list[ConferenceChoice]:
    """Recent and coming conferences, newest first (for the referent's picker), and the one on
    `include` (e.g. from the address) wherever it lies."""
    past = session.scalars(
        select(Conference).where(Conference.date <= today)
        .order_by(Conference.date.desc()).limit(back)
    ).all()
    future = session.scalars(
        select(Conference).where(Conference.date > today).order_by(Conference.date).limit(ahead)
    ).all()
    rows = {c.id: c for c in (*past, *future)}
    if include is not None:
        extra = session.scalar(select(Conference).where(Conference.date == include))
        if extra is not None:
            rows[extra.id] = extra
    return [
        ConferenceChoice(
            c.id, c.date, c.status.value, c.signed_off_at is not None, c.ended_at is not None
        )
        for c in sorted(rows.values(), key=lambda c: c.date, reverse=True)
    ]


def default_conference(choices: Sequence[ConferenceChoice], today: dt.date) -> int | None:
    """The one the referent most likely means: running, else today's, else the newest one not
    signed off up to today, else the next, else the newest."""
    if not choices:
        return None
    for wanted in (
        lambda c: c.status == ConferenceStatus.RUNNING.value and not c.signed_off,
        lambda c: c.date == today,
        lambda c: c.date < today and not c.signed_off,
    ):
        found = [c for c in choices if wanted(c)]
        if found:
            return found[0].id
    coming = [c for c in choices if c.date > today]
    return (coming[-1] if coming else choices[0]).id


def board_position(session: Session, conference_id: int) -> int | None:
    """The case the leader's board is on (cheap: for polling)."""
    return session.scalar(
        select(Conference.current_item_id).where(Conference.id == conference_id)
    )


def referent_view(session: Session, conference_id: int) -> ReferentView:
    conference = session.get(Conference, conference_id)
    if conference is None:
        raise NotFound("Konferencen findes ikke.")
    names = _staff_names(
        session, [conference.leader_id, conference.referent_id, conference.signed_off_by_id]
    )
    n_actions = (
        select(func.count(ActionItem.id))
        .where(ActionItem.conclusion_id == Conclusion.id)
        .correlate(Conclusion)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            AgendaItem.id, AgendaItem.patient_id, Patient.first_name, Patient.last_name,
            AgendaItem.list, AgendaItem.status, AgendaItem.position, Conclusion.decision,
            n_actions, AgendaItem.started_at, AgendaItem.seconds_used,
        )
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .outerjoin(Conclusion, Conclusion.agenda_item_id == AgendaItem.id)
        .where(AgendaItem.conference_id == conference_id)
        .order_by(AgendaItem.list, AgendaItem.position, AgendaItem.id)
    ).all()
    cases = [
        CaseSummary(
            iid, pid, f"{first} {last}", lst.value, status.value, position, decision, count or 0,
            timed=started is not None or bool(used),
        )
        for iid, pid, first, last, lst, status, position, decision, count, started, used in rows
    ]
    return ReferentView(
        conference_id=conference.id,
        date=conference.date,
        status=conference.status.value,
        started=conference.started_at is not None,
        ended=conference.ended_at is not None,
        signed_off_at=conference.signed_off_at,
        signed_off_by=names.get(conference.signed_off_by_id),
        current_item_id=conference.current_item_id,
        leader=names.get(conference.leader_id),
        referent=names.get(conference.referent_id),
        cases=cases,
        present=set(
            session.scalars(
                select(ConferenceAttendance.staff_id).where(
                    ConferenceAttendance.conference_id == conference_id
                )
            )
        ),
    )


def _staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    # Asked even when there is nobody to name: one statement whatever the minutes hold.
    wanted = {i for i in ids if i}
    return dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted))).all())


def _staff_line(name: str | None, profession: Any) -> str | None:
    if not name:
        return None
    return f"{name}, {PROFESSION[profession].lower()}" if profession else name


def _template_labels(session: Session, template_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    # Asked even for no templates: one statement whatever the conference holds.
    rows = session.execute(
        select(PresentationTemplate.id, PresentationTemplate.fields)
        .where(PresentationTemplate.id.in_(template_ids))
    ).all()
    return {
        tid: [(f["key"], f.get("label") or f["key"]) for f in (fields or []) if "key" in f]
        for tid, fields in rows
    }


def sketch_from_presentation(fields: dict[str, str], facts: str = "") -> str:
    """The history sketch proposed to the referent: the case's own words, field by field."""
    parts = []
    for key in SKETCH_KEYS:
        value = (fields.get(key) or "").strip()
        if value:
            parts.append(f"{SKETCH_LABELS[key]}: {value}")
    if not parts and facts:
        parts.append(facts)
    return "\n".join(parts)


def _amendments_for(
    session: Session, conclusion_ids: list[int]
) -> dict[int, list[text.AmendmentLine]]:
    if not conclusion_ids:
        return {}
    rows = session.execute(
        select(ConclusionAmendment, Staff.name)
        .join(Staff, Staff.id == ConclusionAmendment.amended_by_id)
        .where(ConclusionAmendment.conclusion_id.in_(conclusion_ids))
        .order_by(ConclusionAmendment.amended_at, ConclusionAmendment.id)
    ).all()
    result: dict[int, list[text.AmendmentLine]] = defaultdict(list)
    for amendment, name in rows:
        result[amendment.conclusion_id].append(
            text.AmendmentLine(
                amendment.amended_at, name, amendment.reason, amendment.before, amendment.after
            )
        )
    return result


@dataclass
class _CaseRows:
    """The raw rows behind a set of cases (loaded together, a fixed number of statements)."""

    items: list[Any]
    conclusions: dict[int, tuple[Conclusion, str, Any]]
    presentations: dict[int, tuple[CasePresentation, str | None, Any]]
    actions: dict[int, list[ActionView]]
    amendments: dict[int, list[text.AmendmentLine]]
    labels: dict[int, list[tuple[str, str]]]


def _load_cases(session: Session, where: Any) -> _CaseRows:
    pal, nurse = aliased(Staff), aliased(Staff)
    items = session.execute(
        select(
            AgendaItem, Conference.date, Conference.signed_off_at, Patient, Microteam.name,
            pal.id, pal.name, nurse.id, nurse.name,
        )
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .outerjoin(Microteam, Microteam.id == Patient.microteam_id)
        .outerjoin(pal, pal.id == Patient.pal_laege_id)
        .outerjoin(nurse, nurse.id == Patient.kontaktsygeplejerske_id)
        .where(where)
        .order_by(AgendaItem.list, AgendaItem.position, AgendaItem.id)
    ).all()
    item_ids = [row[0].id for row in items]
    if not item_ids:
        return _CaseRows([], {}, {}, {}, {}, {})
    recorder, presenter = aliased(Staff), aliased(Staff)
    conclusions = {
        c.agenda_item_id: (c, name, prof)
        for c, name, prof in session.execute(
            select(Conclusion, recorder.name, recorder.profession)
            .join(recorder, recorder.id == Conclusion.recorded_by_id)
            .where(Conclusion.agenda_item_id.in_(item_ids))
        ).all()
    }
    presentations = {
        p.agenda_item_id: (p, name, prof)
        for p, name, prof in session.execute(
            select(CasePresentation, presenter.name, presenter.profession)
            .outerjoin(presenter, presenter.id == CasePresentation.presented_by_id)
            .where(CasePresentation.agenda_item_id.in_(item_ids))
        ).all()
    }
    conclusion_ids = [c.id for c, _, _ in conclusions.values()]
    return _CaseRows(
        items=items,
        conclusions=conclusions,
        presentations=presentations,
        actions=actions_for_conclusions(session, conclusion_ids),
        amendments=_amendments_for(session, conclusion_ids),
        labels=_template_labels(session, {p.template_id for p, _, _ in presentations.values()}),
    )


def _facts(patient: Patient, on: dt.date, team: str | None) -> str:
    parts = [f"{age_on(patient.birth_date, on)} år, {SEX[patient.sex].lower()}"]
    if patient.diagnosis:
        parts.append(patient.diagnosis)
    if team:
        parts.append(team)
    return " · ".join(parts)


def _reason_text(item: AgendaItem) -> str:
    return item.reason_text or REASON_TEXTS.get(item.reason, item.reason)


def _details(rows: _CaseRows) -> list[CaseDetail]:
    result = []
    for item, day, signed, patient, team, pal_id, pal_name, nurse_id, nurse_name in rows.items:
        found = rows.conclusions.get(item.id)
        pres = rows.presentations.get(item.id)
        fields = (pres[0].fields or {}) if pres else {}
        labels = rows.labels.get(pres[0].template_id, []) if pres else []
        order = labels or [(k, SKETCH_LABELS.get(k, k)) for k in fields]
        shown = [(label, fields[k].strip()) for k, label in order if (fields.get(k) or "").strip()]
        facts = _facts(patient, day, team)
        presented_by = _staff_line(pres[1], pres[2]) if pres else None
        conclusion = None
        actions: list[ActionView] = []
        amendments: list[text.AmendmentLine] = []
        referent = None
        if found:
            c, by, prof = found
            conclusion = ConclusionView(
                c.id, c.history_sketch, c.decision, c.decision_text, by, c.recorded_at, c.version
            )
            actions = rows.actions.get(c.id, [])
            amendments = rows.amendments.get(c.id, [])
            referent = _staff_line(by, prof)
        prefill = sketch_from_presentation(fields, _facts(patient, day, None))
        record = text.CaseRecord(
            conference_date=day,
            patient_name=patient.full_name,
            cpr=format_cpr(patient.cpr),
            reason_text=_reason_text(item),
            question=item.question,
            presented_by=presented_by,
            history_sketch=conclusion.history_sketch if conclusion else prefill,
            decision=conclusion.decision if conclusion else None,
            decision_text=conclusion.decision_text if conclusion else None,
            plan=tuple(a.plan_line() for a in actions),
            referent=referent,
            amendments=tuple(amendments),
            status=item.status.value,
            status_reason=item.status_reason,
            seconds_used=item.seconds_used,
            budget_seconds=item.time_budget_seconds,
        )
        result.append(
            CaseDetail(
                item_id=item.id,
                conference_id=item.conference_id,
                conference_date=day,
                signed_off=signed is not None,
                patient_id=patient.id,
                patient_name=patient.full_name,
                cpr=format_cpr(patient.cpr),
                facts=facts,
                pal_laege=(pal_id, pal_name) if pal_id else None,
                kontaktsygeplejerske=(nurse_id, nurse_name) if nurse_id else None,
                list=item.list.value,
                status=item.status.value,
                reason_text=_reason_text(item),
                question=item.question,
                presentation=shown,
                presented_by=presented_by,
                sketch_prefill=prefill,
                conclusion=conclusion,
                actions=actions,
                record=record,
            )
        )
    return result


def case_detail(session: Session, item_id: int) -> CaseDetail:
    """One case as the referent works on it, with its record note's facts."""
    details = _details(_load_cases(session, AgendaItem.id == item_id))
    if not details:
        raise NotFound("Sagen findes ikke på dagsordenen.")
    return details[0]


def journal_note(session: Session, item_id: int) -> str:
    return text.journal_note(case_detail(session, item_id).record)


# --------------------------------------------------------------------------- the minutes


def _group_notes(session: Session, conference: Conference) -> list[text.GroupNote]:
    """Notes handled at this conference; before sign-off also those its holdkonference shows."""
    from conference.services import groups  # the group engineer's service

    author = aliased(Staff)
    rows = session.execute(
        select(GroupFlag.note, TherapyGroup.name, Patient.first_name, Patient.last_name,
               author.name, GroupFlag.patient_id, Enrolment.status, groups.dropped_out_on())
        .join(TherapyGroup, TherapyGroup.id == GroupFlag.group_id)
        .outerjoin(Patient, Patient.id == GroupFlag.patient_id)
        .outerjoin(Enrolment, groups.FLAG_ENROLMENT)
        .join(author, author.id == GroupFlag.created_by_id)
        .where(GroupFlag.handled_conference_id == conference.id)
        .order_by(TherapyGroup.start_date, TherapyGroup.name, GroupFlag.patient_id.is_(None),
                  GroupFlag.created_at)
    ).all()
    def who(name: str | None, dropout: str) -> str | None:
        """The patient, and that they dropped out of the group when they did (3.10)."""
        return f"{name} ({dropout})" if name and dropout else name

    notes = [
        text.GroupNote(
            group, who(f"{first} {last}" if first else None,
                       dropout_text(left_on) if status == EnrolmentStatus.DROPPED_OUT else ""),
            note, by, patient_id,
        )
        for note, group, first, last, by, patient_id, status, left_on in rows
    ]
    if conference.signed_off_at is None:
        notes += [
            text.GroupNote(group.name, who(flag.patient_name, flag.dropout), flag.note,
                           flag.created_by, flag.patient_id)
            for group in groups.holdkonference(session, conference.date)
            for flag in group.flags
        ]
    return notes


def minutes_data(session: Session, conference_id: int, today: dt.date) -> text.MinutesData:
    conference = session.get(Conference, conference_id)
    if conference is None:
        raise NotFound("Konferencen findes ikke.")
    staff = {
        sid: (name, prof)
        for sid, name, prof in session.execute(
            select(Staff.id, Staff.name, Staff.profession).where(
                Staff.id.in_(
                    [i for i in (conference.leader_id, conference.referent_id,
                                 conference.signed_off_by_id) if i]
                )
            )
        ).all()
    }
    attendees = session.scalars(
        select(Staff.name)
        .join(ConferenceAttendance, ConferenceAttendance.staff_id == Staff.id)
        .where(ConferenceAttendance.conference_id == conference_id)
        .order_by(Staff.name)
    ).all()
    details = _details(_load_cases(session, AgendaItem.conference_id == conference_id))
    on_agenda = [d for d in details if d.status not in (AgendaStatus.REMOVED.value,)]

    def line(staff_id: int | None) -> str | None:
        if not staff_id or staff_id not in staff:
            return None
        return _staff_line(*staff[staff_id])

    stats = meeting_stats(session, today, [conference_id])
    return text.MinutesData(
        conference_date=conference.date,
        starts_at=conference.starts_at,
        duration_minutes=conference.duration_minutes,
        leader=line(conference.leader_id),
        referent=line(conference.referent_id),
        attendees=tuple(attendees),
        signed_off_by=staff.get(conference.signed_off_by_id, (None,))[0],
        signed_off_at=conference.signed_off_at,
        group_notes=tuple(_group_notes(session, conference)),
        cases=tuple(d.record for d in on_agenda if d.list == AgendaList.DISCUSSION.value),
        information=tuple(d.record for d in on_agenda if d.list == AgendaList.INFORMATION.value),
        development_topic=conference.development_topic,
        staff_exercise=conference.staff_exercise,
        stats=stats[0] if stats else None,
    )


def conference_minutes(session: Session, conference_id: int, today: dt.date) -> text.Minutes:
    """The Referat of one conference as a document (see conference.minutes_export for files)."""
    return text.build_minutes(minutes_data(session, conference_id, today))


# --------------------------------------------------------------------------- statistics


def meeting_stats(
    session: Session,
    today: dt.date,
    conference_ids: Sequence[int] | None = None,
    *,
    last: int = 26,
) -> list[text.MeetingStats]:
    """Per conference (oldest first): cases discussed and carried over, time against budget,
    next steps and how many were done on time. Without ids: the `last` held up to today."""
    query = select(Conference.id, Conference.date)
    if conference_ids is not None:
        query = query.where(Conference.id.in_(list(conference_ids)))
    else:
        query = query.where(Conference.date <= today, Conference.started_at.is_not(None))
    conferences = session.execute(query.order_by(Conference.date.desc()).limit(last)).all()
    ids = [cid for cid, _ in conferences]
    if not ids:
        return []
    items = session.execute(
        select(
            AgendaItem.conference_id, AgendaItem.list, AgendaItem.status,
            AgendaItem.seconds_used, AgendaItem.time_budget_seconds,
        ).where(AgendaItem.conference_id.in_(ids))
    ).all()
    actions = session.execute(
        select(
            AgendaItem.conference_id, ActionItem.due_date, ActionItem.status,
            ActionItem.completed_on,
        )
        .join(Conclusion, Conclusion.id == ActionItem.conclusion_id)
        .join(AgendaItem, AgendaItem.id == Conclusion.agenda_item_id)
        .where(AgendaItem.conference_id.in_(ids))
    ).all()
    per_items: dict[int, list] = defaultdict(list)
    for row in items:
        per_items[row[0]].append(row)
    per_actions: dict[int, list] = defaultdict(list)
    for row in actions:
        per_actions[row[0]].append(row)
    result = [
        _stats(cid, day, per_items.get(cid, []), per_actions.get(cid, []), today)
        for cid, day in conferences
    ]
    return sorted(result, key=lambda s: s.date)


def _stats(cid: int, day: dt.date, items: list, actions: list, today: dt.date):  # noqa: ANN202
    discussion = [
        r for r in items
        if r[1] == AgendaList.DISCUSSION and r[2] != AgendaStatus.REMOVED
    ]
    discussed = [r for r in discussion if r[2] == AgendaStatus.DISCUSSED]
    carried = [r for r in discussion if r[2] in (AgendaStatus.NOT_REACHED, AgendaStatus.POSTPONED)]
    timed = [r for r in discussed if r[3]]
    due = [a for a in actions if a[1] and a[1] <= today and a[2] != ActionStatus.CANCELLED]
    on_time = [a for a in due if a[2] == ActionStatus.DONE and (a[3] or a[1]) <= a[1]]
    late = [a for a in due if a[2] == ActionStatus.DONE and a[3] and a[3] > a[1]]
    overdue = [a for a in due if a[2] in OPEN_STATUSES and a[1] < today]
    return text.MeetingStats(
        conference_id=cid,
        date=day,
        cases_on_agenda=len(discussion),
        discussed=len(discussed),
        carried_over=len(carried),
        information=sum(
            1 for r in items if r[1] == AgendaList.INFORMATION and r[2] != AgendaStatus.REMOVED
        ),
        seconds_used=sum(r[3] for r in timed),
        budget_seconds=sum(r[4] or 0 for r in timed),
        timed_cases=len(timed),
        over_budget=sum(1 for r in timed if r[4] and r[3] > r[4]),
        actions=sum(1 for a in actions if a[2] != ActionStatus.CANCELLED),
        actions_due=len(due),
        done_on_time=len(on_time),
        done_late=len(late),
        overdue_open=len(overdue),
    )


# --------------------------------------------------------------------------- writing


def _conclusion_conflict(
    conclusion: Conclusion, mine: dict[str, Any], session: Session
) -> Conflict:
    by = session.get(Staff, conclusion.recorded_by_id)
    theirs = {
        "history_sketch": conclusion.history_sketch or "",
        "decision": conclusion.decision,
        "decision_text": conclusion.decision_text or "",
        "version": conclusion.version,
        "by": by.name if by else "",
        "at": local_datetime(conclusion.recorded_at),
    }
    who = f"{theirs['by']} ({theirs['at']})" if theirs["by"] else "en anden"
    return Conflict(
        f"Konklusionen er netop gemt af {who}. Din tekst er ikke gemt: "
        "sammenlign de to udgaver og vælg.",
        theirs,
        mine,
    )


def save_conclusion(
    session: Session,
    actor: Staff,
    item_id: int,
    *,
    history_sketch: str | None,
    decision: str | None,
    decision_text: str | None,
    version: int | None,
    typed_for: int | None = None,
) -> Conclusion:
    """Save the referent's draft (as typed). `version` is the one the user started from (None:
    there was no conclusion yet). Refused after sign-off: then only an amendment can change it.
    `typed_for` is the case the browser's text box says the text was typed for: another than
    `item_id` is refused, nothing written. A save over someone else's newer version raises
    Conflict (rolled back); its audit row is written by record_conclusion_conflict."""
    check_typed_for(item_id, typed_for)
    authorize_case(session, actor, Action.RECORD_MINUTES, item_id)
    item, conference = item_for_write(session, item_id)
    if conference.signed_off_at is not None:
        raise InvalidInput(
            "Konferencen er afsluttet og underskrevet. En konklusion kan nu kun ændres med en "
            "rettelse, der gemmer den oprindelige."
        )
    decision = (decision or "").strip()
    if decision and decision not in DECISION:
        raise InvalidInput("Ukendt konklusion; vælg en fra listen.")
    values = {
        "history_sketch": clean(history_sketch, "Skitsen"),
        "decision": decision,
        "decision_text": clean(decision_text, "Uddybningen"),
    }
    mine = {k: v or "" for k, v in values.items()}
    # created here, or the one someone created a moment ago (a first step, or their first save)
    conclusion, created = conclusion_for(session, actor, item, values)
    if created:
        return conclusion
    empty_draft = not (
        conclusion.history_sketch or conclusion.decision or conclusion.decision_text
    )
    if version != conclusion.version and not (version is None and empty_draft):
        raise _conclusion_conflict(conclusion, mine, session)
    if all(getattr(conclusion, k) == v for k, v in values.items()):
        return conclusion
    before = audit.snapshot(conclusion)
    for key, value in values.items():
        setattr(conclusion, key, value)
    conclusion.recorded_by_id = actor.id
    conclusion.recorded_at = utcnow()
    _flush_conclusion(session, mine)
    audit.record(session, actor, "update", conclusion, before=before, patient_id=item.patient_id)
    return conclusion


def record_conclusion_conflict(
    session: Session, actor: Staff, item_id: int, conflict: Conflict
) -> None:
    """The audit row of a conclusion save refused with `conflict`: who, what they tried, and
    the other version. Called after the refused save rolled back, in a short transaction of its
    own (the refusal's transaction cannot keep it; see audit.record_conflict)."""
    authorize_case(session, actor, Action.RECORD_MINUTES, item_id)
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound("Sagen findes ikke.")
    stored = session.scalar(select(Conclusion).where(Conclusion.agenda_item_id == item_id))
    theirs = dict(conflict.theirs)
    if not theirs and stored is not None:  # lost a race: the other version is what is stored
        theirs = {k: v for k, v in audit.snapshot(stored).items()
                  if k in ("history_sketch", "decision", "decision_text", "version",
                           "recorded_by_id", "recorded_at")}
    audit.record_conflict(
        session, actor, "conflict", Conclusion.__tablename__,
        stored.id if stored is not None else None,
        mine=dict(conflict.mine), theirs=theirs, patient_id=item.patient_id,
    )


def _flush_conclusion(session: Session, mine: dict[str, Any]) -> None:
    """Flush; a save that lost the race between reading and writing becomes a Conflict."""
    try:
        session.flush()
    except StaleDataError as error:
        raise Conflict(
            "Konklusionen blev gemt af en anden i samme øjeblik. Din tekst er ikke gemt; "
            "siden viser nu den gemte udgave.",
            {},
            mine,
        ) from error


def sign_off(session: Session, actor: Staff, conference_id: int) -> Conference:
    """Close the conference: cases still open are ended as the board ends them; every case on
    either list must then have a decision or have been carried over or postponed with a reason
    (refused otherwise, naming the cases); the group notes shown are marked handled, and the
    conference is signed off by the acting user. Afterwards conclusions change only by
    amendment."""
    authorize(session, actor, Action.SIGN_OFF)
    from conference.services import agenda, decisions, groups  # the board's, the groups'

    conference = session.get(Conference, conference_id)
    if conference is None:
        raise NotFound("Konferencen findes ikke.")
    if conference.signed_off_at is not None:
        raise InvalidInput("Konferencen er allerede underskrevet.")
    decided = agenda.decided_items(session, conference_id)
    for item in session.scalars(
        select(AgendaItem).where(
            AgendaItem.conference_id == conference_id,
            AgendaItem.status == AgendaStatus.PLANNED,
            AgendaItem.id.in_(decided),
        )
    ):  # a recorded decision means the case was discussed, timer or not
        before = audit.snapshot(item)
        item.status = AgendaStatus.DISCUSSED
        session.flush()
        audit.record(session, actor, "update", item, before=before)
    if conference.ended_at is None:
        agenda.close_meeting(session, actor, conference)
    # Every case leaves with a decision, or carried over with a reason (seed 3.9, 3.10).
    decisions.assert_all_decided(session, conference_id)
    # What the therapists brought to this meeting is handled; a flag raised after the meeting
    # ended (before a late sign-off) waits for the next conference.
    flag_ids = [
        flag.id
        for group in groups.holdkonference(session, conference.date)
        for flag in group.flags
        if flag.created_at <= conference.ended_at
    ]
    if flag_ids:
        groups.mark_flags_handled(session, actor, flag_ids, conference_id=conference_id)
    before = audit.snapshot(conference)
    conference.status = ConferenceStatus.CLOSED
    conference.signed_off_at = utcnow()
    conference.signed_off_by_id = actor.id
    conference.referent_id = conference.referent_id or actor.id
    try:
        session.flush()
    except StaleDataError as error:
        raise InvalidInput(
            "Konferencen blev ændret af en anden samtidig. Genindlæs siden og prøv igen."
        ) from error
    audit.record(session, actor, "update", conference, before=before)
    return conference


AMENDABLE = ("history_sketch", "decision", "decision_text")


def amend_conclusion(
    session: Session,
    actor: Staff,
    conclusion_id: int,
    *,
    history_sketch: str | None,
    decision: str,
    decision_text: str | None,
    reason: str,
    version: int,
) -> ConclusionAmendment:
    """After sign-off: change a conclusion and keep the original with who, when and why (a
    real reason: at least a few words, `check_amendment_reason`)."""
    authorize(session, actor, Action.AMEND_CONCLUSION)
    conclusion = session.get(Conclusion, conclusion_id)
    if conclusion is None:
        raise NotFound("Konklusionen findes ikke.")
    item, conference = item_for_write(session, conclusion.agenda_item_id)
    if conference.signed_off_at is None:
        raise InvalidInput("Konferencen er ikke underskrevet endnu: ret konklusionen direkte.")
    if decision not in DECISION:
        raise InvalidInput("Vælg en konklusion fra listen.")
    new = {
        "history_sketch": clean(history_sketch, "Skitsen"),
        "decision": decision,
        "decision_text": clean(decision_text, "Uddybningen"),
    }
    if version != conclusion.version:
        raise _conclusion_conflict(conclusion, {k: v or "" for k, v in new.items()}, session)
    reason = check_amendment_reason(reason)
    changed = [k for k in AMENDABLE if getattr(conclusion, k) != new[k]]
    if not changed:
        raise InvalidInput("Rettelsen ændrer ikke noget.")
    snapshot = audit.snapshot(conclusion)
    amendment = ConclusionAmendment(
        conclusion_id=conclusion.id,
        before={k: getattr(conclusion, k) for k in changed},
        after={k: new[k] for k in changed},
        reason=reason,
        amended_by_id=actor.id,
        amended_at=utcnow(),
    )
    for key in changed:
        setattr(conclusion, key, new[key])
    session.add(amendment)
    _flush_conclusion(session, {k: v or "" for k, v in new.items()})
    audit.record(session, actor, "update", conclusion, before=snapshot, patient_id=item.patient_id)
    audit.record(session, actor, "create", amendment, patient_id=item.patient_id)
    return amendment
