"""Import kind "pro": questionnaire answers as the questionnaire system exports them.

One row per patient and time point; which column is which answer comes from the source's
column mapping (conference/importing/mapping.py). Item answers are scored with the registry's
rules (conference.pro.score: ranges, whole numbers, prorating); a scale score given directly is
checked against the scale's range. A row without any answers is skipped (missing follow-ups are
normal). A stored answer for the same patient and time point is updated where it differs;
instruments not in the file are left as they are. The answer date lies between 1900 and the
import's date, and not before the patient's birth.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conference import pro
from conference.cpr import CprInfo, format_cpr
from conference.formatting import date_numeric
from conference.importing.lookups import chunks, patients_by_cpr
from conference.importing.mapping import ANSWERED_ON, CPR, TIMEPOINT, Mapping
from conference.importing.plausible import date_problem
from conference.importing.reading import Row, Table
from conference.importing.report import CREATE, UPDATE, Change, Issue, Plan
from conference.importing.sheet import read_cpr
from conference.importing.values import (
    ValueProblem,
    cell_text,
    is_blank,
    parse_date,
    parse_decimal,
)
from conference.labels import TIMEPOINT as TIMEPOINT_LABEL
from db.models import ProResponse, ProScore, Timepoint

KIND = "pro"
_ITEM_IN_MESSAGE = re.compile(r"spørgsmål (\d+)")


@dataclass
class _Columns:
    cpr: int | None = None
    timepoint: int | None = None
    answered_on: int | None = None
    scores: dict[str, int] = field(default_factory=dict)  # instrument -> position
    items: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))


def _locate(table: Table, mapping: Mapping, result: Plan) -> _Columns:
    cols = _Columns()
    taken: dict[str, str] = {}
    for position, header in enumerate(table.headers):
        target = mapping.target_for(header) if header else None
        if target is None:
            if header:
                result.warnings.append(Issue(1, header, "kolonnen bruges ikke (ikke kortlagt)"))
            continue
        if target in taken:
            result.issues.append(Issue(1, header, f"samme betydning som kolonnen "
                                                  f"»{taken[target]}«"))
            continue
        taken[target] = header
        if target in (CPR, TIMEPOINT, ANSWERED_ON):
            setattr(cols, target, position)
        elif "." in target:
            code, _, n = target.partition(".")
            cols.items[code][int(n)] = position
        else:
            cols.scores[target] = position
    needed = [("CPR-nummer", cols.cpr), ("Besvarelsesdato", cols.answered_on)]
    if mapping.fixed_timepoint is None:
        needed.append(("Tidspunkt", cols.timepoint))
    for label, position in needed:
        if position is None:
            result.issues.append(Issue(1, label, "kolonnen findes ikke i filen (se "
                                                 "kolonnekortlægningen)"))
    if not cols.scores and not cols.items:
        result.issues.append(Issue(1, None, "ingen af filens kolonner er kortlagt til svar "
                                            "eller scorer"))
    return cols


def _as_stored(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _same(a: Any, b: Any) -> bool:
    if a == b:  # the usual case, decided in C
        return True
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b, strict=True)))
    return abs(float(a) - float(b)) < 1e-9


class _RowReader:
    def __init__(self, table: Table, cols: _Columns, mapping: Mapping, result: Plan) -> None:
        self.headers = table.headers
        self.cols = cols
        self.mapping = mapping
        self.result = result
        # instruments in the file's column order, so a row's problems come left to right
        self.codes = sorted({*cols.items, *cols.scores}, key=self._first_position)

    def problem(
        self, row: Row, position: int | None, message: str, *, patient_id: int | None = None
    ) -> None:
        column = self.headers[position] if position is not None else None
        self.result.issues.append(Issue(row.number, column, message, patient_id))

    def timepoint(self, row: Row) -> str | None:
        if self.cols.timepoint is None:
            return self.mapping.fixed_timepoint
        text = cell_text(row.get(self.cols.timepoint))
        if text is None:
            self.problem(row, self.cols.timepoint, "tidspunktet mangler")
            return None
        code = self.mapping.timepoint_for(text)
        if code is None:
            known = ", ".join(pro.TIMEPOINTS.values())
            self.problem(row, self.cols.timepoint, f"ukendt tidspunkt »{text}« (kendte: {known}; "
                                                   "andre stavemåder kortlægges under kilden)")
        return code

    def answered_on(self, row: Row) -> dt.date | None:
        position = self.cols.answered_on
        try:
            day = parse_date(row.get(position))
        except ValueProblem as problem:
            self.problem(row, position, str(problem))
            return None
        if day is None:
            self.problem(row, position, "besvarelsesdatoen mangler")
        return day

    def number(self, row: Row, position: int) -> tuple[float | None, bool]:
        try:
            return parse_decimal(row.get(position)), True
        except ValueProblem as problem:
            self.problem(row, position, str(problem))
            return None, False

    def scores(self, row: Row, timepoint: str | None) -> dict[str, dict[str, Any]]:
        """Per answered instrument: {"items": [...] | None, "score": float | None}."""
        found: dict[str, dict[str, Any]] = {}
        for code in self.codes:
            answer = (self._items(row, code) if code in self.cols.items
                      else self._score(row, code))
            if answer is not None:
                found[code] = answer
        if timepoint is not None:
            for code in list(found):
                inst = pro.INSTRUMENTS[code]
                if timepoint not in inst.timepoints:
                    asked = ", ".join(pro.TIMEPOINTS[t].lower() for t in inst.timepoints)
                    self.problem(row, self._first_position(code),
                                 f"{inst.short_name} besvares ikke ved "
                                 f"{pro.TIMEPOINTS[timepoint].lower()} (kun {asked})")
                    del found[code]
        return found

    def _items(self, row: Row, code: str) -> dict[str, Any] | None:
        inst = pro.INSTRUMENTS[code]
        positions = self.cols.items[code]
        cells = row.values
        values: list[float | None] = []
        ok = True
        for n in range(1, inst.items + 1):
            position = positions.get(n)
            raw = cells[position] if position is not None and position < len(cells) else None
            if raw is None or raw == "":
                values.append(None)
            elif isinstance(raw, str) and raw.isdigit() and raw.isascii():
                values.append(float(raw))  # the common case, fast
            else:
                value, read = self.number(row, position)
                ok = ok and read
                values.append(value)
        if not ok or all(v is None for v in values):
            return None
        try:
            score = pro.score(code, values)
        except pro.ProValueError as error:
            item = _ITEM_IN_MESSAGE.search(str(error))
            position = positions.get(int(item.group(1))) if item else None
            self.problem(row, position if position is not None else min(positions.values()),
                         str(error))
            return None
        return {"items": [_as_stored(v) for v in values], "score": score}

    def _score(self, row: Row, code: str) -> dict[str, Any] | None:
        inst = pro.INSTRUMENTS[code]
        position = self.cols.scores[code]
        value, _read = self.number(row, position)
        if value is None:
            return None
        if inst.items == 1:
            try:
                return {"items": [_as_stored(value)], "score": pro.score(code, [value])}
            except pro.ProValueError as error:
                self.problem(row, position, str(error))
                return None
        if not inst.score_min <= value <= inst.score_max:
            self.problem(row, position, f"{inst.name}: scoren {_num(value)} ligger uden for "
                                        f"skalaen {_num(inst.score_min)}–{_num(inst.score_max)}")
            return None
        return {"items": None, "score": value}

    def _first_position(self, code: str) -> int:
        if code in self.cols.scores:
            return self.cols.scores[code]
        return min(self.cols.items[code].values())


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _stored_responses(session: Session, patient_ids: list[int]) -> dict[tuple[int, str], tuple]:
    """(patient, timepoint) -> (response row, {instrument: score row}), as plain rows."""
    found: dict[tuple[int, str], tuple] = {}
    for batch in chunks(patient_ids):
        by_id = {}
        for r in session.execute(
            select(ProResponse.id, ProResponse.patient_id, ProResponse.timepoint,
                   ProResponse.answered_on).where(ProResponse.patient_id.in_(batch))
        ):
            by_id[r.id] = (r, {})
            found[(r.patient_id, r.timepoint.value)] = by_id[r.id]
        for ids in chunks(list(by_id)):
            for s in session.execute(
                select(ProScore.response_id, ProScore.instrument, ProScore.items, ProScore.score)
                .where(ProScore.response_id.in_(ids))
            ):
                by_id[s.response_id][1][s.instrument] = s
    return found


def _changed_scores(found: dict[str, dict], stored: dict[str, Any]) -> dict[str, dict]:
    changed = {}
    for code, new in found.items():
        old = stored.get(code)
        if old is None:
            changed[code] = new
        elif new["items"] is None:  # a score only: unchanged when the score is the same
            if not _same(old.score, new["score"]):
                changed[code] = new
        elif not (_same(old.items, new["items"]) and _same(old.score, new["score"])):
            changed[code] = new
    return changed


def plan(session: Session, table: Table, result: Plan, today: dt.date, mapping: Mapping) -> None:
    cols = _locate(table, mapping, result)
    result.rows = len(table.rows)
    if result.issues:
        return
    reader = _RowReader(table, cols, mapping, result)
    infos = {row.number: _cpr(reader, row, today) for row in table.rows}
    patients = patients_by_cpr(session, [i.cpr for i in infos.values() if i])
    stored = _stored_responses(session, [p.id for p in patients.values()])
    seen: dict[tuple[int, str], int] = {}
    answer_positions = [*cols.scores.values()]
    answer_positions += [p for by_item in cols.items.values() for p in by_item.values()]
    for row in table.rows:
        if all(is_blank(row.get(p)) for p in answer_positions):
            result.warnings.append(Issue(row.number, None, "ingen svar – rækken springes over"))
            continue
        before = len(result.issues)
        info = infos[row.number]
        patient = patients.get(info.cpr) if info else None
        if info is not None and patient is None:
            reader.problem(row, cols.cpr, f"ukendt CPR-nummer {info.formatted}: patienten findes "
                                          "ikke (importér patienterne først)")
        timepoint = reader.timepoint(row)
        answered = reader.answered_on(row)
        problem = date_problem(answered, today=today, what="besvarelsesdatoen",
                               birth=patient.birth_date if patient is not None else None)
        if problem:
            reader.problem(row, cols.answered_on, problem)
        found = reader.scores(row, timepoint)
        if patient is None or timepoint is None:
            continue
        key = (patient.id, timepoint)
        label = (f"{patient.first_name} {patient.last_name} ({format_cpr(patient.cpr)}), "
                 f"{TIMEPOINT_LABEL[Timepoint(timepoint)].lower()}")
        if key in seen:
            reader.problem(row, cols.timepoint, f"{label} står også i række {seen[key]} (dublet)",
                           patient_id=patient.id)
            continue
        seen[key] = row.number
        if len(result.issues) > before:
            continue
        existing = stored.get(key)
        if existing is None:
            result.changes.append(Change(
                "pro_response", CREATE, row.number, label,
                {"patient_id": patient.id, "timepoint": timepoint,
                 "answered_on": answered.isoformat(), "scores": found},
                patient_id=patient.id,
            ))
            continue
        response, scores = existing
        changed = _changed_scores(found, scores)
        payload: dict[str, Any] = {}
        details = []
        if response.answered_on != answered:
            payload["answered_on"] = answered.isoformat()
            details.append(("Besvaret", date_numeric(response.answered_on),
                            date_numeric(answered)))
        if changed:
            payload["scores"] = changed
            for code, new in changed.items():
                old = scores.get(code)
                details.append((pro.INSTRUMENTS[code].short_name,
                                pro.format_score(code, old.score) if old else "",
                                pro.format_score(code, new["score"])))
        if not payload:
            result.unchanged += 1
            continue
        result.changes.append(Change("pro_response", UPDATE, row.number, label, payload,
                                     response.id, details, patient_id=patient.id))


def _cpr(reader: _RowReader, row: Row, today: dt.date) -> CprInfo | None:
    info, problem = read_cpr(row.get(reader.cols.cpr), today)
    if problem:
        reader.problem(row, reader.cols.cpr, problem)
    for warning in info.warnings if info else ():
        reader.result.warnings.append(
            Issue(row.number, reader.headers[reader.cols.cpr], f"{info.formatted}: {warning}")
        )
    return info
