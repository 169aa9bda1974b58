"""PRO scoring on top of the registry: scale scores, cut-off bands and how a score is shown.

* :func:`score` — scale score from item answers. Sums, never means. Missing items (``None`` or
  NaN) are prorated by the mean of the answered items when at least ``min_answered`` items are
  answered (default: at least half, BPI-style), and the score is then rounded half-up to one
  decimal; with fewer answers the score is ``None`` ("kan ikke beregnes"), never 0. EQ-5D-5L
  needs all five dimensions and is scored with the Danish value set. A scale with no answer at
  all (a one-item scale without its answer) is "ikke besvaret", not "kan ikke beregnes":
  :func:`missing_text`.
* :func:`band_for` — the cut-off band of a score. Everything is on the raw score scale (WHO-5
  raw 0–25); only :func:`display_value` / :func:`format_score` apply the display factor
  (WHO-5 ×4 → 0–100 %) and the registry's display precision (``decimals``). Band limits are
  inclusive; a score between two bands (after prorating, e.g. 7.5 with bands 0–7 and 8–10)
  belongs to the lower band, i.e. a cut-off counts as reached only when the score is at least
  its lower limit.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from conference.pro.registry import EPS, Band, Instrument, ProValueError, instrument

NOT_COMPUTABLE = "kan ikke beregnes"  # answered, but too many items missing for a score
NOT_ANSWERED = "ikke besvaret"  # no item of the scale answered at all


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def clean_items(inst: Instrument, items: Sequence[Any]) -> list[float | None]:
    """Check the answers and return them as floats, with ``None`` for a missing answer."""
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise ProValueError(f"{inst.name}: svarene skal angives som en liste")
    if len(items) != inst.items:
        raise ProValueError(
            f"{inst.name}: forkert antal svar – forventede {inst.items}, fik {len(items)}"
        )
    cleaned: list[float | None] = []
    for number, value in enumerate(items, start=1):
        if value is None:
            cleaned.append(None)
            continue
        kind = type(value)
        if (
            kind is not int
            and kind is not float
            and (isinstance(value, bool) or not isinstance(value, numbers.Real))
        ):
            raise ProValueError(f"{inst.name}, spørgsmål {number}: {value!r} er ikke et tal")
        v = float(value)
        if v != v:  # NaN (e.g. from pandas) = missing
            cleaned.append(None)
            continue
        if not inst.item_min <= v <= inst.item_max:
            raise ProValueError(
                f"{inst.name}, spørgsmål {number}: svaret {fmt_num(v)} ligger uden for "
                f"skalaen {fmt_num(inst.item_min)}–{fmt_num(inst.item_max)}"
            )
        if inst.integer_items and not v.is_integer():
            raise ProValueError(
                f"{inst.name}, spørgsmål {number}: svaret {fmt_num(v)} skal være et helt tal"
            )
        cleaned.append(v)
    return cleaned


def _round1(value: float) -> float:
    """Round half away from zero to one decimal (12.25 → 12.3, not banker's 12.2)."""
    return math.copysign(math.floor(abs(value) * 10 + 0.5 + EPS) / 10, value)


def _prorated_sum(values: Sequence[float | None], min_answered: int) -> float | None:
    answered = [v for v in values if v is not None]
    if len(answered) < min_answered:
        return None
    total = sum(answered)
    if len(answered) == len(values):
        return float(total)
    return _round1(total * len(values) / len(answered))


def value_set_index(inst: Instrument, levels: Sequence[float]) -> float:
    total = 0.0
    for row, level in zip(inst.value_set, levels, strict=True):
        step = int(level - inst.item_min)
        if step:
            total += row[step - 1]
    return round(1.0 - total, 3)


def score(code: str, items: Sequence[float | None]) -> float | None:
    """The scale score (raw scale) from the item answers, or ``None`` if it cannot be computed.

    ``items`` has one entry per item in questionnaire order; ``None`` or NaN is a missing
    answer. Raises :class:`ProValueError` for the wrong number of answers, an answer outside the
    item range, or a non-integer answer where whole numbers are required.
    """
    inst = instrument(code)
    values = clean_items(inst, items)
    if inst.scoring == "value_set":
        if any(v is None for v in values):
            return None
        return value_set_index(inst, values)  # type: ignore[arg-type]
    return _prorated_sum(values, inst.min_answered)


def eq5d_index(levels: Sequence[int]) -> float:
    """EQ-5D-5L index from the five levels (1–5) with the Danish value set (3 decimals).

    ``[1, 1, 1, 1, 1]`` → 1.0; ``[5, 5, 5, 5, 5]`` → -0.758.
    """
    inst = instrument("eq5d_index")
    values = clean_items(inst, levels)
    if any(v is None for v in values):
        raise ProValueError(f"{inst.name}: alle {inst.items} dimensioner skal være besvaret")
    return value_set_index(inst, values)  # type: ignore[arg-type]


def subscale_scores(code: str, items: Sequence[float | None]) -> dict[str, float | None]:
    """Subscale sums (prorated like the total), keyed by subscale code."""
    inst = instrument(code)
    values = clean_items(inst, items)
    return {
        sub.code: _prorated_sum([values[i - 1] for i in sub.items], sub.min_answered)
        for sub in inst.subscales
    }


def pcs_subscales(items: Sequence[float | None]) -> dict[str, float | None]:
    """PCS helplessness (items 1–5, 12), magnification (6, 7, 13), rumination (8–11)."""
    return subscale_scores("pcs", items)


def band_for(code: str, score: float | None) -> Band | None:
    """The cut-off band of a raw score; ``None`` for no score, no bands or outside all bands."""
    inst = instrument(code)
    if is_missing(score) or not inst.bands:
        return None
    bands = inst.bands
    for i, band in enumerate(bands):
        if band.lower <= score <= band.upper:
            return band
        nxt = bands[i + 1] if i + 1 < len(bands) else None
        # Between two adjacent bands of an integer scale (a prorated 7.5 between 0-7 and 8-10):
        # the higher band's cut-off is not reached.
        if nxt is not None and band.upper < score < nxt.lower and nxt.lower - band.upper <= 1:
            return band
    return None


def display_value(code: str, score: float | None) -> float | None:
    """The score as shown: raw score × display factor (WHO-5: ×4, 0–100 %)."""
    if is_missing(score):
        return None
    inst = instrument(code)
    if inst.display_factor == 1:
        return float(score)
    return round(score * inst.display_factor, 6)


def display_bands(code: str) -> tuple[Band, ...]:
    """The instrument's bands with limits on the display scale (for shading charts)."""
    inst = instrument(code)
    f = inst.display_factor
    return tuple(Band(b.lower * f, b.upper * f, b.label, b.level) for b in inst.bands)


def _round_half_up(value: float, decimals: int) -> float:
    """Round half away from zero (50.5 % → 51 %, not banker's 50 %)."""
    scale = 10**decimals
    return math.copysign(math.floor(abs(value) * scale + 0.5 + EPS) / scale, value)


def format_number(value: float, decimals: int) -> str:
    text = f"{_round_half_up(value, decimals):.{decimals}f}"
    if decimals == 1 and text.endswith(".0"):
        text = text[:-2]
    if text.lstrip("-").strip("0.") == "":  # avoid "-0"
        text = text.lstrip("-")
    return text.replace(".", ",")


def missing_text(code: str, items: Sequence[float | None] | None = None) -> str:
    """Why a scale has no score: "ikke besvaret" or "kan ikke beregnes".

    "ikke besvaret": no item answered at all — a one-item scale without its answer (NRS, EQ VAS,
    PGIC), or stored answers that are all missing. "kan ikke beregnes": some items answered,
    too few for a score (fewer than ``min_answered``), or no item answers known (a score-only
    import).
    """
    inst = instrument(code)
    if inst.items == 1:
        return NOT_ANSWERED
    if items is not None and len(items) and all(is_missing(v) for v in items):
        return NOT_ANSWERED
    return NOT_COMPUTABLE


def format_score(
    code: str, score: float | None, *, items: Sequence[float | None] | None = None
) -> str:
    """Danish display text of a raw score: decimal comma, display factor, unit.

    Precision is registry data (``decimals``, rounded half up): 0 = whole numbers (WHO-5: raw
    × 4 is a whole percentage, "45 %"), 1 = at most one decimal (prorated sums "36,2", whole
    ones "35"), more = always that many (EQ-5D index "0,500"). No score → :func:`missing_text`
    ("ikke besvaret" / "kan ikke beregnes"; ``items`` tells the two apart for multi-item scales).
    """
    if is_missing(score):
        return missing_text(code, items)
    inst = instrument(code)
    text = format_number(display_value(code, score), inst.decimals)
    return f"{text} {inst.unit}" if inst.unit else text
