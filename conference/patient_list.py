"""Filtering and tabulating the patient list (plain Python and pandas, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from conference.services.patients import PatientRow


@dataclass(frozen=True)
class PatientFilter:
    text: str = ""
    stages: tuple[str, ...] = ()
    pal_laege: str | None = None
    kontaktsygeplejerske: str | None = None
    microteam: str | None = None
    due_only: bool = False

    def matches(self, row: PatientRow) -> bool:
        if self.stages and row.stage.label not in self.stages:
            return False
        if self.pal_laege and row.pal_laege != self.pal_laege:
            return False
        if self.kontaktsygeplejerske and row.kontaktsygeplejerske != self.kontaktsygeplejerske:
            return False
        if self.microteam and row.microteam != self.microteam:
            return False
        if self.due_only and not (row.due or row.on_agenda):
            return False
        return _text_matches(self.text, row)


def _text_matches(text: str, row: PatientRow) -> bool:
    """Every word must match the name, or the CPR number (with or without dash)."""
    words = text.casefold().split()
    if not words:
        return True
    name = row.name.casefold()
    cpr = row.cpr.replace("-", "")
    for word in words:
        digits = re.sub(r"\D", "", word)
        if word in name or (digits and digits in cpr):
            continue
        return False
    return True


def filter_rows(rows: Iterable[PatientRow], flt: PatientFilter) -> list[PatientRow]:
    return [row for row in rows if flt.matches(row)]


def conference_status(row: PatientRow) -> str:
    if row.on_agenda:
        return "På dagsorden"
    return "Aktuel" if row.due else ""


COLUMNS = [
    "Navn",
    "CPR",
    "Alder",
    "Forløbstrin",
    "PAL-læge",
    "Kontaktsygeplejerske",
    "Næste skridt",
    "Planlagt",
    "Konference",
    "Begrundelse",
]


def to_frame(rows: list[PatientRow]) -> pd.DataFrame:
    """One row per patient, Danish column names, in display order; index = patient id."""
    frame = pd.DataFrame(
        [
            [
                r.name,
                r.cpr,
                r.age,
                r.stage.text,
                r.pal_laege,
                r.kontaktsygeplejerske,
                r.next_step,
                r.next_step_date,
                conference_status(r),
                "; ".join(d.text for d in r.due),
            ]
            for r in rows
        ],
        columns=COLUMNS,
        index=pd.Index([r.id for r in rows], name="id"),
    )
    frame["Planlagt"] = pd.to_datetime(frame["Planlagt"])
    return frame
