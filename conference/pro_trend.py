"""A patient's PRO answers as trends per instrument: score, band, change and flags per time point.

Built on conference.pro (the rules) for the case page, its charts and the conference board.
Dialogue support only: the words are "kræver opmærksomhed" and "klinisk relevant ændring".

Missing is never 0, and the words say which kind of missing:
- a scale answered with too many missing items has ``score is None`` and the text "kan ikke
  beregnes"; a scale in a response with no item answered at all (a one-item scale without its
  answer) has ``score is None`` and the text "ikke besvaret" (``answered`` is False);
- a time point the instrument is asked at, that the patient skipped while answering a later
  one, is listed in ``missing`` ("ikke besvaret"); time points still to come are not missing.

Every flag carries its time point and date (:func:`flag_when`: "Baseline 12. mar. 2025").
:func:`split_flags` separates the flags of the patient's latest response ("current") from the
latest flags of instruments not asked or answered since ("Tidligere målinger"), so an old
baseline flag is never shown as if it were current.

Plain Python: no database, no streamlit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from conference import pro
from conference.formatting import date_short

NOT_ANSWERED = pro.NOT_ANSWERED
HISTORY_TITLE = "Tidligere målinger"
MIC_COLUMN = "Mindste betydende ændring"
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
    score: float | None  # raw score; None = "kan ikke beregnes" or "ikke besvaret"
    value: float | None  # on the display scale (WHO-5 in %)
    text: str  # e.g. "7", "48 %", "kan ikke beregnes", "ikke besvaret"
    band: pro.Band | None
    change: pro.Change | None  # against baseline (None at baseline or when either is missing)
    flags: tuple[pro.Flag, ...]  # each with this point's time point and date
    answered: bool = True  # False: no item of the scale answered in this response

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
            flags = [
                dataclasses.replace(f, timepoint=a.timepoint, answered_on=a.answered_on)
                for f in flags
            ]
            text = pro.format_score(code, score, items=items or None)
            points.append(
                TrendPoint(
                    timepoint=a.timepoint,
                    label=pro.TIMEPOINTS.get(a.timepoint, a.timepoint),
                    answered_on=a.answered_on,
                    score=score,
                    value=pro.display_value(code, score),
                    text=text,
                    band=pro.band_for(code, score),
                    change=None if is_base else pro.change(code, base_score, score),
                    flags=tuple(flags),
                    answered=text != pro.NOT_ANSWERED,
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


def timepoint_when(timepoint: str, answered_on: dt.date | None) -> str:
    """'Baseline 12. mar. 2025': a time point's Danish name and its date."""
    label = pro.TIMEPOINTS.get(timepoint, timepoint)
    return f"{label} {date_short(answered_on)}".strip()


def flag_when(flag: pro.Flag) -> str:
    """The time point and date a flag comes from ('' for a flag without them)."""
    if not flag.timepoint:
        return ""
    return timepoint_when(flag.timepoint, flag.answered_on)


def dated_text(flag: pro.Flag) -> str:
    """'Baseline 12. mar. 2025 · HADS-D 12: … – kræver opmærksomhed' (the badge's label)."""
    when = flag_when(flag)
    return f"{when} · {flag.text}" if when else flag.text


def flag_text(flag: pro.Flag, *, dated: bool = True) -> str:
    """A flag as plain text that names its colour and, unless ``dated`` is False, its time
    point and date: '[rød] Afslutning 7. sep. 2026 · PCS 33: … – kræver opmærksomhed'."""
    text = dated_text(flag) if dated else flag.text
    word = LEVEL_WORD.get(flag.level)
    return f"[{word}] {text}" if word else text


@dataclass(frozen=True)
class FlagSplit:
    """The flags for the screen: the latest response's, and older ones as history."""

    latest: str  # the latest response, 'Afslutning 7. sep. 2026' ('' without answers)
    current: tuple[pro.Flag, ...]  # flags of the latest response, most serious first
    history: tuple[pro.Flag, ...]  # "Tidligere målinger": newest first, then most serious


def _key(timepoint: str, answered_on: dt.date) -> tuple[int, dt.date]:
    return _order(timepoint), answered_on


def split_flags(trends: Sequence[InstrumentTrend]) -> FlagSplit:
    """The flags of each instrument's latest score, split by whether that score comes from the
    patient's latest response (current) or from an earlier one because the instrument was not
    asked, answered or computable since (history, e.g. HADS from baseline when the latest
    response is midtvejs)."""
    latest = [t.latest for t in trends if t.latest is not None]
    if not latest:
        return FlagSplit("", (), ())
    last = max(latest, key=lambda p: _key(p.timepoint, p.answered_on))
    last_key = _key(last.timepoint, last.answered_on)
    current, history = [], []
    for trend in trends:
        scored = [p for p in trend.points if p.computable]
        if not scored:
            continue
        point = scored[-1]
        (current if _key(point.timepoint, point.answered_on) == last_key else history).extend(
            point.flags
        )
    current.sort(key=lambda f: LEVEL_ORDER.get(f.level, 9))
    history.sort(key=lambda f: LEVEL_ORDER.get(f.level, 9))
    history.sort(key=lambda f: _key(f.timepoint, f.answered_on or dt.date.min), reverse=True)
    return FlagSplit(timepoint_when(last.timepoint, last.answered_on), tuple(current),
                     tuple(history))


def top_level(flags: Sequence[pro.Flag]) -> str | None:
    """The most serious colour among `flags` (red before yellow before green)."""
    levels = sorted((f.level for f in flags), key=lambda lv: LEVEL_ORDER.get(lv, 9))
    return levels[0] if levels else None


def cell_text(point: TrendPoint) -> str:
    """One time point in the summary table: score, band, and a relevant change; without a
    score "ikke besvaret" or "kan ikke beregnes"."""
    if not point.computable:
        return point.text
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


def markering_text(trend: InstrumentTrend) -> str:
    """The table's "Markering" cell: the latest flags, after their time point and date (all
    flags of one row come from the same response): 'Baseline 2. mar. 2026: [gul] …'."""
    flags = trend.attention
    if not flags:
        return ""
    texts = " · ".join(flag_text(f, dated=False) for f in flags)
    when = flag_when(flags[0])
    return f"{when}: {texts}" if when else texts


def summary_rows(answers: Sequence[Answers]) -> list[dict[str, str]]:
    """Rows for the PRO summary table: one per instrument, a column per answered time point,
    the latest change from baseline and the instrument's rule for a clinically relevant change
    ("Mindste betydende ændring", from the registry), and the dated flags ("Markering")."""
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
        row[MIC_COLUMN] = pro.mic_text(inst.code) or "ingen fastsat"
        row["Markering"] = markering_text(trend)
        rows.append(row)
    return rows
