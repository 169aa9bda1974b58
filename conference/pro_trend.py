"""A patient's PRO answers as trends per instrument: score, band, change and flags per time point.

Built on conference.pro (the rules) for the case page, its charts and the conference board.
Dialogue support only: the words are "kræver opmærksomhed" and "klinisk relevant ændring".

Missing is never 0:
- a scale answered with too many missing items has ``score is None`` ("kan ikke beregnes");
- a time point the instrument is asked at, that the patient skipped while answering a later
  one, is listed in ``missing`` ("ikke besvaret"); time points still to come are not missing.

Plain Python: no database, no streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from conference import pro

NOT_ANSWERED = "ikke besvaret"
NOT_ASKED = "–"
LEVEL_WORD = {"red": "rød", "yellow": "gul", "green": "grøn"}
LEVEL_ORDER = {"red": 0, "yellow": 1, "green": 2}


class Answers(Protocol):
    """One questionnaire response (conference.services.patients.ProPoint has this shape)."""

    timepoint: str
    answered_on: dt.date
    scores: Mapping[str, float | None]
    items: Mapping[str, Sequence[Any] | None]


@dataclass(frozen=True)
class TrendPoint:
    timepoint: str
    label: str  # Danish time point name
    answered_on: dt.date
    score: float | None  # raw score; None = "kan ikke beregnes"
    value: float | None  # on the display scale (WHO-5 in %)
    text: str  # e.g. "7", "48 %", "kan ikke beregnes"
    band: pro.Band | None
    change: pro.Change | None  # against baseline (None at baseline or when either is missing)
    flags: tuple[pro.Flag, ...]

    @property
    def computable(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class InstrumentTrend:
    instrument: pro.Instrument
    points: tuple[TrendPoint, ...]  # answered time points, in time order
    missing: tuple[str, ...]  # Danish labels of skipped time points ("ikke besvaret")

    @property
    def code(self) -> str:
        return self.instrument.code

    @property
    def latest(self) -> TrendPoint | None:
        return self.points[-1] if self.points else None

    @property
    def attention(self) -> tuple[pro.Flag, ...]:
        """The flags of the latest answered time point."""
        return self.latest.flags if self.latest else ()

    def at(self, timepoint: str) -> TrendPoint | None:
        return next((p for p in self.points if p.timepoint == timepoint), None)


def _order(timepoint: str) -> int:
    order = list(pro.TIMEPOINTS)
    return order.index(timepoint) if timepoint in order else len(order)


def sorted_answers(answers: Sequence[Answers]) -> list[Answers]:
    return sorted(answers, key=lambda a: (_order(a.timepoint), a.answered_on))


def trends(answers: Sequence[Answers]) -> list[InstrumentTrend]:
    """One trend per instrument the patient has answered, in registry order."""
    answers = sorted_answers(answers)
    baseline = next((a for a in answers if a.timepoint == "baseline"), None)
    result = []
    for code, inst in pro.INSTRUMENTS.items():
        if not any(code in a.scores for a in answers):
            continue
        base_score = baseline.scores.get(code) if baseline else None
        points = []
        for a in answers:
            if code not in a.scores:
                continue
            score = a.scores[code]
            items = a.items.get(code)
            is_base = a is baseline
            try:
                flags = pro.flags(
                    code, score, None if is_base else base_score, items=items or None
                )
            except pro.ProValueError:  # stored items that no longer fit the registry
                flags = pro.flags(code, score, None if is_base else base_score)
            points.append(
                TrendPoint(
                    timepoint=a.timepoint,
                    label=pro.TIMEPOINTS.get(a.timepoint, a.timepoint),
                    answered_on=a.answered_on,
                    score=score,
                    value=pro.display_value(code, score),
                    text=pro.format_score(code, score),
                    band=pro.band_for(code, score),
                    change=None if is_base else pro.change(code, base_score, score),
                    flags=tuple(flags),
                )
            )
        last = max((_order(p.timepoint) for p in points), default=-1)
        have = {p.timepoint for p in points}
        missing = tuple(
            pro.TIMEPOINTS[tp]
            for tp in pro.TIMEPOINTS
            if tp in inst.timepoints and tp not in have and _order(tp) < last
        )
        result.append(InstrumentTrend(inst, tuple(points), missing))
    return result


def direction_text(inst: pro.Instrument) -> str:
    """'↑ bedre' or '↓ bedre' with the words, for charts and tables."""
    arrow = "↑" if inst.higher_is_better else "↓"
    return f"{arrow} bedre ({inst.better})"


def flag_text(flag: pro.Flag) -> str:
    """A flag as plain text that names its colour: '[rød] PCS 33: … – kræver opmærksomhed'."""
    word = LEVEL_WORD.get(flag.level)
    return f"[{word}] {flag.text}" if word else flag.text


def top_level(flags: Sequence[pro.Flag]) -> str | None:
    """The most serious colour among `flags` (red before yellow before green)."""
    levels = sorted((f.level for f in flags), key=lambda lv: LEVEL_ORDER.get(lv, 9))
    return levels[0] if levels else None


def cell_text(point: TrendPoint) -> str:
    """One time point in the summary table: score, band, and a relevant change."""
    if not point.computable:
        return pro.NOT_COMPUTABLE
    text = point.text
    if point.band:
        text += f" ({point.band.label})"
    if point.change and point.change.clinically_relevant:
        text += f" · {point.change.label}"
    return text


def change_text(trend: InstrumentTrend) -> str:
    """The latest change from baseline: '7 → 4: klinisk relevant forbedring' ('' if none)."""
    latest, base = trend.latest, trend.at("baseline")
    if latest is None or base is None or latest.change is None:
        return ""
    return f"{base.text} → {latest.text}: {latest.change.label}"


def timepoint_columns(answers: Sequence[Answers]) -> list[tuple[str, str]]:
    """(time point code, column title with date) for every answered time point."""
    return [
        (a.timepoint, f"{pro.TIMEPOINTS.get(a.timepoint, a.timepoint)} {a.answered_on:%d.%m.%Y}")
        for a in sorted_answers(answers)
    ]


def summary_rows(answers: Sequence[Answers]) -> list[dict[str, str]]:
    """Rows for the PRO summary table: one per instrument, a column per answered time point,
    the latest change from baseline, and the flags ("Markering")."""
    columns = timepoint_columns(answers)
    rows = []
    for trend in trends(answers):
        inst = trend.instrument
        row = {"Instrument": inst.short_name, "Retning": direction_text(inst)}
        for tp, title in columns:
            point = trend.at(tp)
            if point is not None:
                row[title] = cell_text(point)
            elif tp in inst.timepoints:
                row[title] = NOT_ANSWERED
            else:
                row[title] = NOT_ASKED
        row["Ændring fra baseline"] = change_text(trend)
        row["Markering"] = " · ".join(flag_text(f) for f in trend.attention)
        rows.append(row)
    return rows
