"""Exports as CSV and Excel (.xlsx): what a conference decided, the open action items, PRO.

Tables are built from a fixed number of set-based queries (``conference_tables``,
``open_actions_table``, ``pro_table``) and written by ``to_csv`` / ``to_xlsx``. CSV is what a
Danish Excel opens directly: UTF-8 with BOM, ``;`` between columns, dates dd-mm-åååå, decimal
comma. Text that begins with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is
neutralised with a leading apostrophe, so a spreadsheet shows it and never runs it as a formula
(OWASP "CSV injection"). Numbers and dates are written as numbers and dates.

The PRO table uses the column names the import's standard mapping reads, so an exported PRO
table can be imported again (and changes nothing).

Exporting needs the permission to export (Action.EXPORT_DATA) and is written to the access log:
the patients of a conference by name, the list exports by count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from conference import pro
from conference.cpr import format_cpr
from conference.formatting import date_numeric, local_datetime_numeric, to_local
from conference.labels import (
    ACTION_STATUS,
    AGENDA_LIST,
    AGENDA_STATUS,
    DECISION,
    OWNER_ROLE,
    TIMEPOINT,
)
from conference.pathway import REASON_TEXTS
from conference.permissions import Action
from conference.services.access import authorize, log_access
from db.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Conclusion,
    Conference,
    Intervention,
    Patient,
    ProResponse,
    ProScore,
    Staff,
    Timepoint,
)

__all__ = [
    "ExportTable",
    "conference_tables",
    "conferences",
    "neutralise",
    "open_actions_table",
    "pro_table",
    "to_csv",
    "to_xlsx",
]

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ExportTable:
    title: str  # the worksheet's name (at most 31 characters)
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; the rest is kept."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


# --------------------------------------------------------------------------- writers


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, dt.datetime):
        return local_datetime_numeric(value)
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text.replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def to_csv(table: ExportTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return to_local(value).replace(tzinfo=None)  # Excel has no time zones: the Danish clock
    return neutralise(value)


def to_xlsx(tables: list[ExportTable]) -> bytes:
    """One worksheet per table; dates as Excel dates (dd-mm-åååå), header row frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31])
        sheet.freeze_panes = "A2"
        for index, header in enumerate(table.headers, start=1):
            longest = max([len(str(header)), *(len(_csv_cell(r[index - 1]))
                                               for r in table.rows[:200])])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 8), 60)
        header_cells = []
        for header in table.headers:
            cell = WriteOnlyCell(sheet, value=neutralise(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in table.rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
                if isinstance(value, dt.datetime):
                    cell.number_format = "DD-MM-YYYY HH:MM"
                elif isinstance(value, dt.date):
                    cell.number_format = "DD-MM-YYYY"
                elif isinstance(value, str):
                    cell.data_type = "s"  # text stays text, never a formula
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- tables


def conferences(session: Session) -> list[tuple[int, dt.date, str]]:
    """(id, date, status) of every conference, the newest first."""
    rows = session.execute(
        select(Conference.id, Conference.date, Conference.status).order_by(Conference.date.desc())
    ).all()
    return [(cid, day, status.value) for cid, day, status in rows]


def _owner(name: str | None, role: str | None) -> str:
    if name:
        return name
    return OWNER_ROLE.get(role, role or "")


def _action_rows(session: Session, *conditions: Any) -> list[tuple]:
    owner = aliased(Staff)
    creator = aliased(Staff)
    return session.execute(
        select(ActionItem, Patient, Intervention.name, owner.name, creator.name, Conference.date)
        .join(Patient, Patient.id == ActionItem.patient_id)
        .outerjoin(Intervention, Intervention.id == ActionItem.intervention_id)
        .outerjoin(owner, owner.id == ActionItem.owner_id)
        .join(creator, creator.id == ActionItem.created_by_id)
        .outerjoin(Conclusion, Conclusion.id == ActionItem.conclusion_id)
        .outerjoin(AgendaItem, AgendaItem.id == Conclusion.agenda_item_id)
        .outerjoin(Conference, Conference.id == AgendaItem.conference_id)
        .where(*conditions)
        .order_by(ActionItem.due_date.nulls_last(), Patient.last_name, ActionItem.id)
    ).all()


_ACTION_HEADERS = ["Patient", "CPR", "Opgave", "Indsats", "Ansvarlig", "Frist", "Status",
                   "Besluttet på konference", "Oprettet af"]


def _action_table(title: str, rows: list[tuple]) -> ExportTable:
    table = ExportTable(title, list(_ACTION_HEADERS))
    for action, patient, intervention, owner, creator, decided in rows:
        table.rows.append([
            patient.full_name, format_cpr(patient.cpr), action.description, intervention or "",
            _owner(owner, action.owner_role), action.due_date,
            ACTION_STATUS.get(action.status, action.status.value), decided, creator,
        ])
    return table


def conference_tables(session: Session, actor: Staff, conference_id: int) -> list[ExportTable]:
    """The conference's cases with their conclusions, and the action items decided there."""
    authorize(session, actor, Action.EXPORT_DATA)
    day = session.scalar(select(Conference.date).where(Conference.id == conference_id))
    if day is None:
        return []
    referent = aliased(Staff)
    cases = session.execute(
        select(AgendaItem, Patient, Conclusion, referent.name)
        .join(Patient, Patient.id == AgendaItem.patient_id)
        .outerjoin(Conclusion, Conclusion.agenda_item_id == AgendaItem.id)
        .outerjoin(referent, referent.id == Conclusion.recorded_by_id)
        .where(AgendaItem.conference_id == conference_id)
        .order_by(AgendaItem.list, AgendaItem.position, AgendaItem.id)
    ).all()
    conclusions = ExportTable(
        f"Konklusioner {date_numeric(day)}",
        ["Konference", "Liste", "Patient", "CPR", "Anledning", "Status", "Historik",
         "Konklusion", "Uddybning", "Referent"],
    )
    for item, patient, conclusion, referent_name in cases:
        conclusions.rows.append([
            day, AGENDA_LIST.get(item.list, item.list.value), patient.full_name,
            format_cpr(patient.cpr), item.reason_text or REASON_TEXTS.get(item.reason, item.reason),
            AGENDA_STATUS.get(item.status, item.status.value),
            conclusion.history_sketch if conclusion else None,
            DECISION.get(conclusion.decision, conclusion.decision) if conclusion else None,
            conclusion.decision_text if conclusion else None, referent_name,
        ])
    action_rows = _action_rows(session, Conference.id == conference_id)
    actions = _action_table(f"Opgaver {date_numeric(day)}", action_rows)
    patients = [p.id for _, p, _, _ in cases] + [r[1].id for r in action_rows]
    log_access(session, actor, "eksport_konference", patients)
    return [conclusions, actions]


def open_actions_table(session: Session, actor: Staff) -> ExportTable:
    """Every action item still open or booked, soonest deadline first."""
    authorize(session, actor, Action.EXPORT_DATA)
    rows = _action_rows(session, ActionItem.status.in_([ActionStatus.OPEN, ActionStatus.BOOKED]))
    log_access(session, actor, "eksport_aabne_opgaver", count=len({r[1].id for r in rows}))
    return _action_table("Åbne opgaver", rows)


def pro_table(session: Session, actor: Staff) -> ExportTable:
    """One row per patient and time point, one column per instrument (raw scores)."""
    authorize(session, actor, Action.EXPORT_DATA)
    instruments = list(pro.INSTRUMENTS.values())
    table = ExportTable("PRO", ["CPR", "Navn", "Tidspunkt", "Besvaret",
                                *[i.short_name for i in instruments]])
    responses = session.execute(
        select(ProResponse.id, ProResponse.timepoint, ProResponse.answered_on, Patient)
        .join(Patient, Patient.id == ProResponse.patient_id)
        .order_by(Patient.last_name, Patient.first_name, Patient.id, ProResponse.answered_on)
    ).all()
    scores: dict[int, dict[str, float | None]] = {}
    for response_id, code, value in session.execute(
        select(ProScore.response_id, ProScore.instrument, ProScore.score)
    ):
        scores.setdefault(response_id, {})[code] = value
    order = {tp: i for i, tp in enumerate(Timepoint)}
    responses.sort(key=lambda r: (r[3].last_name, r[3].first_name, r[3].id, order[r[1]]))
    for response_id, timepoint, answered_on, patient in responses:
        values = scores.get(response_id, {})
        table.rows.append([
            format_cpr(patient.cpr), patient.full_name, TIMEPOINT[timepoint], answered_on,
            *[values.get(i.code) for i in instruments],
        ])
    log_access(session, actor, "eksport_pro", count=len({r[3].id for r in responses}))
    return table
