"""Reading typed cells of a table for one import kind, collecting every problem on the plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from conference.cpr import CprError, CprInfo, parse_cpr
from conference.importing.columns import Column, locate
from conference.importing.plausible import date_problem
from conference.importing.reading import Row, Table
from conference.importing.report import Issue, Plan
from conference.importing.values import (
    ValueProblem,
    cell_text,
    header_key,
    is_blank,
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

    def plausible(self, row: Row, key: str, day: dt.date | None, *, today: dt.date,
                  birth: dt.date | None = None, future: bool = False, what: str = "datoen",
                  future_hint: str = "") -> bool:
        """Whether ``day`` can be right (conference/importing/plausible.py); else a problem."""
        problem = date_problem(day, today=today, birth=birth, future=future, what=what,
                               future_hint=future_hint)
        if problem:
            self.problem(row, key, problem)
        return problem is None

    def number(self, row: Row, key: str) -> float | None:
        try:
            return parse_decimal(self.raw(row, key))
        except ValueProblem as problem:
            self.problem(row, key, str(problem))
            return None

    def cpr(
        self, row: Row, key: str = "cpr", today: dt.date | None = None, *, born: bool = False
    ) -> CprInfo | None:
        """The row's CPR number. ``born``: the birth date it gives must be plausible (not after
        ``today``, not before 1900), else the row is refused (for new and updated patients)."""
        info, problem = read_cpr(self.raw(row, key), today)
        if problem:
            self.problem(row, key, problem)
            return None
        if born and today is not None:
            problem = date_problem(info.birth_date, today=today, what="fødselsdatoen")
            if problem:
                self.problem(row, key, f"{info.formatted}: {problem}. Kontrollér CPR-nummeret "
                                       "(7. ciffer afgør århundredet).")
                return None
        for warning in info.warnings:
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
    """A CPR cell: (info, None) or (None, Danish problem). Modulus 11 is only a warning.

    From Excel a CPR number is text, or a whole number of 9 or 10 digits (Excel drops the
    leading zero of a number: it is put back). A fraction or another length is refused.
    """
    if isinstance(value, float) and not is_blank(value):
        if not value.is_integer():
            shown_value = str(value).replace(".", ",")
            return None, (f"CPR-nummeret er gemt som et tal med decimaler ({shown_value}) i Excel, "
                          "så cifrene kan være ændret. Formatér kolonnen som tekst, og skriv "
                          "CPR-numrene igen (DDMMÅÅ-SSSS)")
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if not 100_000_000 <= value <= 9_999_999_999:
            return None, (f"CPR-nummeret er gemt som tallet {value} i Excel; som tal skal det "
                          "have 9 eller 10 cifre. Formatér kolonnen som tekst, og skriv "
                          "CPR-nummeret som DDMMÅÅ-SSSS")
        value = f"{value:010d}"
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
