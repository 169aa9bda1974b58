"""Importing the files clinics have: patients, course events, group rosters, PRO answers.

``build_plan`` reads a file (conference/importing/reading.py), checks every row against the
kind's columns and the database, and returns a :class:`~conference.importing.report.Plan`:
either every bad row with column and Danish reason, or a preview of what will be created and
changed. Nothing is written here; conference/services/imports.py applies a plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection
from types import ModuleType

from sqlalchemy.orm import Session

from conference.importing import courses, groups, patients, pro_answers
from conference.importing.columns import Column
from conference.importing.mapping import Mapping, standard_mapping
from conference.importing.reading import FileProblem, read_table, visible
from conference.importing.report import Issue, Plan

__all__ = ["KINDS", "build_plan", "columns_for", "file_sha256"]

KINDS: dict[str, ModuleType] = {
    patients.KIND: patients,
    courses.KIND: courses,
    groups.KIND: groups,
    pro_answers.KIND: pro_answers,
}


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def columns_for(kind: str) -> tuple[Column, ...]:
    """The columns a kind reads (PRO: none fixed, the source's mapping decides)."""
    return getattr(KINDS[kind], "COLUMNS", ())


def build_plan(
    session: Session,
    kind: str,
    data: bytes,
    file_name: str,
    *,
    today: dt.date,
    source: str | None = None,
    mapping: Mapping | None = None,
    update_existing: bool | Collection[str] = False,
) -> Plan:
    """Read and check the file; the plan says what an import would do, or why it cannot.

    ``update_existing`` (patients only): update stored patients whose name or birth date
    differs from the file's (True: all of them; a collection: those CPR numbers, 10 digits)
    instead of refusing those rows.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    result = Plan(kind=kind, file_name=visible(file_name), sha256=file_sha256(data),
                  source=source)
    try:
        table = read_table(data)
    except FileProblem as problem:
        result.issues.append(Issue(None, None, str(problem)))
        return result
    result.description = table.description
    if kind == pro_answers.KIND:
        pro_answers.plan(session, table, result, today, mapping or standard_mapping(table.headers))
    elif kind == patients.KIND:
        patients.plan(session, table, result, today, update_existing=update_existing)
    else:
        KINDS[kind].plan(session, table, result, today)
    result.issues.extend(table.issues)  # cells no kind may take (reading.py), after the kind's
    result.warnings.extend(table.warnings)
    result.issues.sort(key=lambda i: -1 if i.row is None else i.row)
    result.warnings.sort(key=lambda i: -1 if i.row is None else i.row)
    result.conflicts.sort(key=lambda c: c.row)
    if result.ok and not result.rows:
        result.issues.append(Issue(None, None, "Filen har ingen rækker under overskrifterne."))
    return result
