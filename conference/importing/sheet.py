"""Reading typed cells of a table for one import kind, collecting every problem on the plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from conference.cpr import CprError, CprInfo, parse_cpr
from conference.importing.columns import Column, locate
from conference.importing.reading import Row, Table
from conference.importing.report import Issue, Plan
from conference.importing.values import (
    ValueProblem,
    cell_text,
    header_key,
    parse_date,
    parse_decimal,
)

__all__ = ["Options", "Sheet", "read_cpr"]


class Sheet:
    """A table read against a kind's columns; problems go to ``plan.issues``."""

    def __init__(self, table: Table, columns: tuple[Column, ...], plan: Plan) -> None:
        self.table = table
        self.columns = columns
        self.plan = plan
        self.located = locate(table.headers, columns)
        plan.issues.extend(self.located.issues)
        plan.rows = len(table.rows)

    @property
    def rows(self) -> list[Row]:
        return self.table.rows

    def has(self, key: str) -> bool:
        return self.located.has(key)

    def title(self, key: str) -> str:
        return self.located.title(key, self.columns)

    def raw(self, row: Row, key: str) -> Any:
        return row.get(self.located.index.get(key))

    def problem(self, row: Row, key: str | None, message: str) -> None:
        self.plan.issues.append(Issue(row.number, self.title(key) if key else None, message))

    def warn(self, row: Row, key: str | None, message: str) -> None:
        self.plan.warnings.append(Issue(row.number, self.title(key) if key else None, message))

    def warn_unused(self, skip: set[int] = frozenset()) -> None:  # noqa: B006 - read only
        for position, header in self.located.unused:
            if position not in skip:
                self.plan.warnings.append(
                    Issue(1, header or f"kolonne {position + 1}", "kolonnen bruges ikke")
                )

    # ------------------------------------------------------------------ typed cells

    def text(self, row: Row, key: str, max_length: int | None = None) -> str | None:
        value = cell_text(self.raw(row, key))
        if value is not None and max_length is not None and len(value) > max_length:
            self.problem(row, key, f"teksten er for lang ({len(value)} tegn, højst {max_length})")
            return None
        return value

    def required_text(self, row: Row, key: str, max_length: int | None = None) -> str | None:
        value = self.text(row, key, max_length)
        if value is None and self.has(key):
            self.problem(row, key, "skal udfyldes")
        return value

    def date(self, row: Row, key: str) -> dt.date | None:
        try:
            return parse_date(self.raw(row, key))
        except ValueProblem as problem:
            self.problem(row, key, str(problem))
            return None

    def number(self, row: Row, key: str) -> float | None:
        try:
            return parse_decimal(self.raw(row, key))
        except ValueProblem as problem:
            self.problem(row, key, str(problem))
            return None

    def cpr(self, row: Row, key: str = "cpr", today: dt.date | None = None) -> CprInfo | None:
        info, problem = read_cpr(self.raw(row, key), today)
        if problem:
            self.problem(row, key, problem)
        for warning in info.warnings if info else ():
            self.warn(row, key, f"{info.formatted}: {warning}")
        return info

    def choice(self, row: Row, key: str, options: Options, what: str) -> Any:
        """A value from a fixed list (matched loosely); None when blank."""
        text = cell_text(self.raw(row, key))
        if text is None:
            return None
        value = options.lookup.get(header_key(text))
        if value is None:
            self.problem(row, key, f"ukendt {what} »{text}« (brug en af: {options.allowed})")
        return value


def read_cpr(value: Any, today: dt.date | None = None) -> tuple[CprInfo | None, str | None]:
    """A CPR cell: (info, None) or (None, Danish problem). Modulus 11 is only a warning."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Excel dropped the leading zero of a CPR number stored as a number: restore it.
        value = f"{int(value):010d}"
    text = cell_text(value)
    if text is None:
        return None, "CPR-nummeret mangler"
    try:
        return parse_cpr(text, today=today), None
    except CprError as error:
        return None, str(error)


@dataclass(frozen=True)
class Options:
    """The accepted spellings of a fixed list: labels, stored codes and a few synonyms."""

    lookup: dict[str, Any]
    allowed: str  # the labels, for the message

    @classmethod
    def of(cls, labels: dict[Any, str], synonyms: dict[str, Any] | None = None) -> Options:
        lookup: dict[str, Any] = {}
        for value, label in labels.items():
            lookup[header_key(label)] = value
            lookup[header_key(getattr(value, "value", value))] = value
        for text, value in (synonyms or {}).items():
            lookup[header_key(text)] = value
        return cls(lookup, ", ".join(labels.values()))
