"""What the referent writes: the record (EPJ) note per case and the minutes (Referat).

Plain data in, plain text or a structured document out (no I/O, no streamlit). The services
load the facts (conference.services.minutes); conference.minutes_export renders the document
as PDF and DOCX. Dates are Danish (conference.formatting); the note uses the record's own
numeric form (25.11.2026) and writes words out: no abbreviations the record does not use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from conference.formatting import date_long, date_numeric, local_datetime, local_day, time_hm
from conference.labels import ACTION_STATUS, AGENDA_STATUS, DECISION, OWNER_ROLE
from db.models import ActionStatus, AgendaStatus

OTHER = "andet"


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class FollowUp:
    """The usual next step after a decision: proposed to the referent as a one-click item."""

    intervention: str | None  # catalogue code, or None for a free-text task
    description: str
    owner_role: str  # a key of labels.OWNER_ROLE
    days: int  # due this many days after the conference


DECISION_FOLLOW_UP: dict[str, FollowUp | None] = {
    "fortsaet_standardforloeb": None,
    "afsluttende_samtale": FollowUp(
        "afsluttende_samtale", "Afsluttende samtale", "pal_laege", 28
    ),
    "helbred_og_arbejdsmarked": FollowUp(
        "helbred_og_arbejdsmarked", "Helbred og arbejdsmarked", "socialraadgiver", 14
    ),
    "cft": FollowUp("cft", "Kognitiv funktionel terapi (CFT)", "fysioterapeut", 14),
    "psykolog_visitation": FollowUp(
        "psykolog_efter", "Visitationssamtale hos psykolog efter standardforløb", "psykolog", 14
    ),
    "terapihold": FollowUp("terapihold", "Terapihold", "psykolog", 21),
    "medicin": FollowUp("medicinsamtale", "Medicinsamtale", "pal_laege", 14),
    "nedtrapningshold": FollowUp("nedtrapningshold", "Nedtrapningshold", "sygeplejerske", 21),
    "individuel_samtale": FollowUp(
        "individuel_samtale", "Individuel samtale om særlige problematikker",
        "kontaktsygeplejerske", 14,
    ),
    "afslut_forloeb": FollowUp(
        None, "Afslutning af forløbet og epikrise til egen læge", "pal_laege", 14
    ),
    OTHER: None,
}


def decision_label(code: str | None) -> str:
    """The decision's Danish name ('' for a draft without a decision yet)."""
    if not code:
        return ""
    return DECISION.get(code, code)


def owner_text(
    owner_name: str | None,
    owner_profession: str | None,
    owner_role: str | None,
    role_holder: str | None = None,
) -> str:
    """Who is responsible, as the record says it: 'Lise Hansen, læge', 'PAL-læge Lise Hansen',
    'fysioterapeut'."""
    if owner_name:
        return f"{owner_name}, {owner_profession.lower()}" if owner_profession else owner_name
    if owner_role:
        label = OWNER_ROLE.get(owner_role, owner_role)
        if role_holder:
            return f"{label} {role_holder}"
        return label if owner_role in ("pal_laege", "kontaktsygeplejerske") else label.lower()
    return "ikke angivet"


# --------------------------------------------------------------------------- one case


@dataclass(frozen=True)
class PlanLine:
    description: str
    owner: str  # already as text (owner_text)
    due_date: dt.date | None
    status: str = ActionStatus.OPEN.value


@dataclass(frozen=True)
class AmendmentLine:
    at: dt.datetime
    by: str
    reason: str
    before: dict
    after: dict


@dataclass(frozen=True)
class CaseRecord:
    """Everything the note and the minutes say about one case."""

    conference_date: dt.date
    patient_name: str
    cpr: str
    reason_text: str
    question: str | None = None
    presented_by: str | None = None
    history_sketch: str | None = None
    decision: str | None = None
    decision_text: str | None = None
    plan: tuple[PlanLine, ...] = ()
    referent: str | None = None
    amendments: tuple[AmendmentLine, ...] = ()
    status: str = AgendaStatus.DISCUSSED.value
    status_reason: str | None = None
    seconds_used: int | None = None
    budget_seconds: int | None = None


def conclusion_text(decision: str | None, decision_text: str | None) -> str:
    """'Kognitiv funktionel terapi (CFT). Start efter Mindfulness.'; 'Andet' shows the text."""
    label = decision_label(decision)
    text = (decision_text or "").strip()
    if decision == OTHER and text:
        return text
    if label and text:
        return f"{label}. {text}"
    return label or text or "Ingen konklusion registreret."


def plan_line_text(line: PlanLine) -> str:
    parts = [line.description.strip().rstrip(".") + ".", f"Ansvarlig: {line.owner}."]
    if line.due_date:
        parts.append(f"Frist: {date_numeric(line.due_date)}.")
    if line.status != ActionStatus.OPEN.value:
        parts.append(f"Status: {ACTION_STATUS[ActionStatus(line.status)].lower()}.")
    return " ".join(parts)


def _amendment_lines(amendment: AmendmentLine) -> list[str]:
    day = date_numeric(local_day(amendment.at))
    lines = [f"Rettet {day} af {amendment.by}: {amendment.reason}"]
    before = amendment.before
    if "decision" in before or "decision_text" in before:
        old = conclusion_text(before.get("decision"), before.get("decision_text"))
        lines.append(f"Oprindelig konklusion: {old}")
    if "history_sketch" in before:
        lines.append(f"Oprindelig skitse: {before.get('history_sketch') or 'ingen'}")
    if "plan" in amendment.after:
        lines.append(f"Tilføjet til planen: {amendment.after['plan']}")
    if "step" in before:  # a next step changed after sign-off (what, who or by when)
        lines.append(f"Oprindeligt næste skridt: {before['step']}")
        lines.append(f"Ændret til: {amendment.after.get('step', '')}")
    return lines


def journal_note(case: CaseRecord) -> str:
    """The record (EPJ) note of one case, plain text, ready to paste."""
    lines = [f"Tværfaglig konference {date_numeric(case.conference_date)}"]
    lines.append(f"Fremlagt af: {case.presented_by or 'mikroteamet'}")
    lines.append(f"Anledning: {case.reason_text}")
    if case.question:
        lines.append(f"Spørgsmål til konferencen: {case.question.strip()}")
    lines += ["", "Skitse af historik:", (case.history_sketch or "").strip() or "Ingen skitse."]
    lines += ["", "Konklusion:", conclusion_text(case.decision, case.decision_text)]
    lines += ["", "Plan:"]
    if case.plan:
        lines += [f"- {plan_line_text(line)}" for line in case.plan]
    else:
        lines.append("Ingen yderligere tiltag aftalt.")
    for amendment in case.amendments:
        lines += ["", *_amendment_lines(amendment)]
    if case.referent:
        lines += ["", f"Referent: {case.referent}"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the minutes


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    label: str | None = None  # a bold lead-in ('Konklusion')


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] | None = None  # relative column widths


Block = Heading | Paragraph | Bullets | Table


@dataclass(frozen=True)
class Minutes:
    """The Referat as a document: title, subtitle, blocks; renderers turn it into files."""

    title: str
    subtitle: str
    blocks: tuple[Block, ...]
    footer: str
    file_stem: str


@dataclass(frozen=True)
class GroupNote:
    group: str
    patient: str | None  # None: a note about the whole group
    note: str
    by: str
    patient_id: int | None = None  # whose name `patient` is (for the access log)


@dataclass(frozen=True)
class MeetingStats:
    """How one conference went (numbers for the minutes and the statistics over time)."""

    conference_id: int
    date: dt.date
    cases_on_agenda: int
    discussed: int
    carried_over: int
    information: int
    seconds_used: int
    budget_seconds: int
    timed_cases: int
    over_budget: int
    actions: int
    actions_due: int  # with a due date on or before `today`
    done_on_time: int
    done_late: int
    overdue_open: int

    @property
    def minutes_per_case(self) -> float | None:
        return self.seconds_used / 60 / self.timed_cases if self.timed_cases else None

    @property
    def on_time_share(self) -> float | None:
        return self.done_on_time / self.actions_due if self.actions_due else None


@dataclass(frozen=True)
class MinutesData:
    conference_date: dt.date
    starts_at: dt.time | None
    duration_minutes: int
    leader: str | None
    referent: str | None
    attendees: tuple[str, ...]
    signed_off_by: str | None
    signed_off_at: dt.datetime | None
    group_notes: tuple[GroupNote, ...]
    cases: tuple[CaseRecord, ...]  # the discussion list, in speaking order
    information: tuple[CaseRecord, ...] = ()
    development_topic: str | None = None
    staff_exercise: str | None = None
    stats: MeetingStats | None = None
    extra: dict = field(default_factory=dict)


def _minutes_text(seconds: int) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min."


def _case_blocks(case: CaseRecord) -> list[Block]:
    blocks: list[Block] = [
        Heading(f"{case.patient_name} ({case.cpr})", 3),
        Paragraph(case.reason_text, "Anledning"),
    ]
    if case.question:
        blocks.append(Paragraph(case.question, "Spørgsmål til konferencen"))
    blocks.append(Paragraph(case.presented_by or "mikroteamet", "Fremlagt af"))
    if case.history_sketch:
        blocks.append(Paragraph(case.history_sketch, "Skitse af historik"))
    blocks.append(Paragraph(conclusion_text(case.decision, case.decision_text), "Konklusion"))
    if case.plan:
        blocks.append(
            Table(
                # the status is the follow-through since, not part of what was decided
                ("Næste skridt", "Ansvarlig", "Frist", "Opfølgning"),
                tuple(
                    (
                        line.description,
                        line.owner,
                        date_numeric(line.due_date),
                        ACTION_STATUS[ActionStatus(line.status)],
                    )
                    for line in case.plan
                ),
                (0.42, 0.28, 0.14, 0.16),
            )
        )
    else:
        blocks.append(Paragraph("Ingen yderligere tiltag aftalt.", "Plan"))
    for amendment in case.amendments:
        blocks.append(Paragraph("\n".join(_amendment_lines(amendment)), "Rettelse"))
    return blocks


def _stats_rows(stats: MeetingStats) -> tuple[tuple[str, str], ...]:
    rows = [
        ("Sager til drøftelse", str(stats.cases_on_agenda)),
        ("Drøftet", str(stats.discussed)),
        ("Ikke nået eller udsat (overføres)", str(stats.carried_over)),
        ("Til orientering", str(stats.information)),
    ]
    if stats.timed_cases:
        used = _minutes_text(stats.seconds_used)
        budget = _minutes_text(stats.budget_seconds) if stats.budget_seconds else "ingen"
        rows.append(("Tid brugt på sager (afsat)", f"{used} ({budget})"))
        rows.append(("Sager over den afsatte tid", str(stats.over_budget)))
    rows.append(("Næste skridt aftalt", str(stats.actions)))
    return tuple(rows)


def build_minutes(data: MinutesData) -> Minutes:
    """The Referat of one conference: attendance, the three parts, and the numbers."""
    start = time_hm(data.starts_at) if data.starts_at else ""
    end = ""
    if data.starts_at:
        end_at = dt.datetime.combine(data.conference_date, data.starts_at) + dt.timedelta(
            minutes=data.duration_minutes
        )
        end = time_hm(end_at.time())
    subtitle = date_long(data.conference_date).capitalize()
    if start:
        subtitle += f", kl. {start}–{end}"
    if data.signed_off_at:
        signed = f"{data.signed_off_by or 'ukendt'}, {local_datetime(data.signed_off_at)}"
    else:
        signed = "Ikke underskrevet endnu (kladde)"
    blocks: list[Block] = [
        Table(
            ("", ""),
            (
                ("Mødeleder", data.leader or "ikke angivet"),
                ("Referent", data.referent or "ikke angivet"),
                ("Deltagere", ", ".join(data.attendees) or "ikke registreret"),
                ("Underskrevet", signed),
            ),
            (0.25, 0.75),
        ),
        Heading("1. Holdkonference", 2),
    ]
    if data.group_notes:
        by_group: dict[str, list[GroupNote]] = {}
        for note in data.group_notes:
            by_group.setdefault(note.group, []).append(note)
        for group, notes in by_group.items():
            blocks.append(Heading(group, 3))
            blocks.append(
                Bullets(
                    tuple(
                        f"{n.patient or 'Hele holdet'}: {n.note} ({n.by})" for n in notes
                    )
                )
            )
    else:
        blocks.append(Paragraph("Ingen noter fra holdene."))

    blocks.append(Heading("2. Patientkonference", 2))
    discussed = [c for c in data.cases if c.status == AgendaStatus.DISCUSSED.value]
    left = [c for c in data.cases if c.status != AgendaStatus.DISCUSSED.value]
    if not discussed:
        blocks.append(Paragraph("Ingen sager blev drøftet."))
    for case in discussed:
        blocks += _case_blocks(case)
    informed = [
        c for c in data.information if c.decision or c.status == AgendaStatus.DISCUSSED.value
    ]
    left += [c for c in data.information if c not in informed]
    if informed:
        blocks.append(Heading("Til orientering", 3))
        blocks.append(Bullets(tuple(_information_text(c) for c in informed)))
    if left:
        blocks.append(Heading("Ikke drøftet", 3))
        blocks.append(Bullets(tuple(_left_text(c) for c in left)))

    blocks.append(Heading("3. Faglig udvikling", 2))
    blocks.append(Paragraph(data.development_topic or "Intet emne registreret.", "Emne"))
    blocks.append(Paragraph(data.staff_exercise or "Ingen registreret.", "Øvelse for personalet"))

    if data.stats:
        blocks.append(Heading("Mødets tal", 2))
        blocks.append(Table(("", ""), _stats_rows(data.stats), (0.6, 0.4)))

    return Minutes(
        title="Referat af tværfaglig konference",
        subtitle=subtitle,
        blocks=tuple(blocks),
        footer=f"Smertecenter Syd · tværfaglig konference {date_numeric(data.conference_date)}",
        file_stem=f"referat-{data.conference_date.isoformat()}",
    )


def _information_text(case: CaseRecord) -> str:
    """A case til orientering in one line: why, the conclusion confirmed, and its next steps."""
    text = f"{case.patient_name} ({case.cpr}): {case.reason_text.strip().rstrip('.')}."
    if case.decision:
        text += " Konklusion: " + conclusion_text(case.decision, case.decision_text)
    else:
        text += " Ingen konklusion registreret."
    return " ".join([text, *(plan_line_text(line) for line in case.plan)])


def _left_text(case: CaseRecord) -> str:
    status = AGENDA_STATUS[AgendaStatus(case.status)]
    text = f"{case.patient_name} ({case.cpr}): {status.lower()}"
    if case.status_reason:
        text += f" – {case.status_reason}"
    if case.status in (AgendaStatus.NOT_REACHED.value, AgendaStatus.PLANNED.value,
                       AgendaStatus.POSTPONED.value):
        text += "; overføres til næste konference"
    return text


def minutes_text(minutes: Minutes) -> str:
    """The minutes as plain text (for previews, tests and e-mail)."""
    lines = [minutes.title, minutes.subtitle, ""]
    for block in minutes.blocks:
        lines += _block_text(block)
    return "\n".join(lines).rstrip() + "\n"


def _block_text(block: Block) -> Sequence[str]:
    if isinstance(block, Heading):
        return ["", block.text, ""] if block.level < 3 else [block.text]
    if isinstance(block, Paragraph):
        return [f"{block.label}: {block.text}" if block.label else block.text]
    if isinstance(block, Bullets):
        return [f"- {item}" for item in block.items]
    rows = block.rows if not any(block.header) else (block.header, *block.rows)
    return [" | ".join(cell for cell in row) for row in rows]
