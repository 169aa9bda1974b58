"""PRO (patient-reported outcome) instruments: registry, scoring, cut-off bands, change, flags.

The instruments are data, not code: ``conference/data/instruments.toml`` (see the comments at the
top of that file for every field). This module loads and checks that file and implements the
rules on top of it:

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
* :func:`change` — change between two scores and whether it reaches the minimal important
  change (MIC), taking the instrument's direction into account; :func:`mic_text` /
  :func:`change_rule_text` say the rule in Danish, from the registry.
* :func:`flags` — dialogue support, never decision support: the only evaluative wording is
  "kræver opmærksomhed" (red) and "klinisk relevant ændring".
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import numbers
import random
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from conference.formatting import number as _danish_number

__all__ = [
    "ATTENTION",
    "Band",
    "Change",
    "DEFAULT_PATH",
    "DIRECTIONS",
    "Flag",
    "INSTRUMENTS",
    "Instrument",
    "LEVELS",
    "NOT_ANSWERED",
    "NOT_COMPUTABLE",
    "ProValueError",
    "RELEVANT_CHANGE",
    "RegistryError",
    "Subscale",
    "TIMEPOINTS",
    "band_for",
    "change",
    "change_rule_text",
    "display_bands",
    "display_value",
    "eq5d_index",
    "flags",
    "format_score",
    "generate_items",
    "instruments_for_timepoint",
    "load_instruments",
    "load_timepoints",
    "mic_text",
    "missing_text",
    "pcs_subscales",
    "score",
    "subscale_scores",
]

DEFAULT_PATH = Path(__file__).parent / "data" / "instruments.toml"

DIRECTIONS = ("higher_worse", "higher_better", "lower_better")
LEVELS = ("green", "yellow", "red")
NOT_COMPUTABLE = "kan ikke beregnes"  # answered, but too many items missing for a score
NOT_ANSWERED = "ikke besvaret"  # no item of the scale answered at all
NO_MIC = "Ingen fastsat mindste betydende ændring"
ATTENTION = "kræver opmærksomhed"
RELEVANT_CHANGE = "klinisk relevant ændring"

# Tolerance for comparing floating-point deltas with a MIC (0.5 - 0.41 must count as 0.09).
_EPS = 1e-9


class ProValueError(ValueError):
    """Invalid answers or an unknown instrument; the message is Danish and can be shown."""


class RegistryError(ValueError):
    """The instrument registry file is inconsistent; the message says where (Danish)."""


@dataclass(frozen=True)
class Band:
    """A cut-off band on the raw score scale; ``lower`` and ``upper`` are inclusive."""

    lower: float
    upper: float
    label: str
    level: str  # "green" | "yellow" | "red" (red = "kræver opmærksomhed")


@dataclass(frozen=True)
class Subscale:
    """A subscale: a sum over some of the instrument's items (1-based item numbers)."""

    code: str
    name: str
    items: tuple[int, ...]
    threshold: float | None
    min_answered: int


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    short_name: str
    items: int
    item_min: float
    item_max: float
    score_min: float
    score_max: float
    direction: str  # "higher_worse" | "higher_better" | "lower_better"
    bands: tuple[Band, ...]
    mic: float | None
    mic_pct: float | None
    display_factor: float
    min_answered: int
    timepoints: tuple[str, ...]
    # Beyond the core fields (all have defaults):
    mic_steps: tuple[tuple[float, float], ...] = ()  # (baseline_above, mic), ascending
    subscales: tuple[Subscale, ...] = ()
    scoring: str = "sum"  # "sum" | "value_set"
    value_set: tuple[tuple[float, ...], ...] = ()  # per item: decrement for level min+1 .. max
    value_set_dimensions: tuple[str, ...] = ()
    integer_items: bool = True
    item_alert_max: float | None = None
    unit: str = ""
    decimals: int = 1
    source: str = ""

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_better"

    @property
    def better(self) -> str:
        """Danish text for the chart: which way is better."""
        return "højere er bedre" if self.higher_is_better else "lavere er bedre"

    def mic_for(self, baseline: float | None) -> float | None:
        """The absolute MIC that applies from ``baseline`` (PCS: 11 instead of 8 above 30)."""
        mic = self.mic
        if baseline is not None:
            for above, step_mic in self.mic_steps:
                if baseline > above:
                    mic = step_mic
        return mic


@dataclass(frozen=True)
class Change:
    delta: float  # current - baseline, raw units
    direction: str  # "bedre" | "værre" | "uændret"
    clinically_relevant: bool
    label: str  # Danish, e.g. "klinisk relevant forbedring"


@dataclass(frozen=True)
class Flag:
    kind: str  # "band" | "change"
    level: str  # "red" | "yellow" | "green"
    text: str  # Danish
    # The answers the flag comes from (set by conference.pro_trend; empty from flags() alone).
    timepoint: str = ""
    answered_on: dt.date | None = None


# --------------------------------------------------------------------------------------------
# Loading and checking the registry
# --------------------------------------------------------------------------------------------

_INSTRUMENT_KEYS = {
    "code",
    "name",
    "short_name",
    "items",
    "item_min",
    "item_max",
    "integer_items",
    "score_min",
    "score_max",
    "scoring",
    "min_answered",
    "direction",
    "mic",
    "mic_pct",
    "mic_steps",
    "display_factor",
    "unit",
    "decimals",
    "timepoints",
    "item_alert_max",
    "band",
    "subscale",
    "value_set",
    "source",
}
_REQUIRED_KEYS = (
    "code",
    "name",
    "short_name",
    "items",
    "item_min",
    "item_max",
    "score_min",
    "score_max",
    "direction",
    "timepoints",
)


def _read(path: Path | str | None) -> dict[str, Any]:
    path = Path(path) if path is not None else DEFAULT_PATH
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _num(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RegistryError(f"{where}: '{key}' skal være et tal, ikke {value!r}")
    return float(value)


def _opt_num(where: str, raw: Mapping[str, Any], key: str) -> float | None:
    return None if key not in raw else _num(where, key, raw[key])


def load_timepoints(path: Path | str | None = None) -> dict[str, str]:
    """Time point codes and their Danish labels, in file order."""
    table = _read(path).get("timepoints")
    if not isinstance(table, dict) or not table:
        raise RegistryError("instruments.toml: tabellen [timepoints] mangler")
    return {str(k): str(v) for k, v in table.items()}


def _build(raw: Mapping[str, Any], timepoints: Mapping[str, str]) -> Instrument:
    where = f"instruments.toml: {raw.get('code', '(uden code)')}"
    unknown = set(raw) - _INSTRUMENT_KEYS
    if unknown:
        raise RegistryError(f"{where}: ukendte felter {sorted(unknown)}")
    missing = [k for k in _REQUIRED_KEYS if k not in raw]
    if missing:
        raise RegistryError(f"{where}: mangler felterne {missing}")

    n_items = raw["items"]
    if not isinstance(n_items, int) or isinstance(n_items, bool) or n_items < 1:
        raise RegistryError(f"{where}: 'items' skal være et helt tal ≥ 1")
    item_min = _num(where, "item_min", raw["item_min"])
    item_max = _num(where, "item_max", raw["item_max"])
    score_min = _num(where, "score_min", raw["score_min"])
    score_max = _num(where, "score_max", raw["score_max"])
    if not item_min < item_max:
        raise RegistryError(f"{where}: item_min skal være mindre end item_max")
    if not score_min < score_max:
        raise RegistryError(f"{where}: score_min skal være mindre end score_max")
    direction = raw["direction"]
    if direction not in DIRECTIONS:
        raise RegistryError(f"{where}: direction skal være en af {DIRECTIONS}, ikke {direction!r}")
    scoring = raw.get("scoring", "sum")
    integer_items = bool(raw.get("integer_items", True))

    value_set: tuple[tuple[float, ...], ...] = ()
    dimensions: tuple[str, ...] = ()
    if scoring == "sum":
        if "value_set" in raw:
            raise RegistryError(f"{where}: value_set bruges kun med scoring = 'value_set'")
        if (score_min, score_max) != (n_items * item_min, n_items * item_max):
            raise RegistryError(
                f"{where}: en sumscore af {n_items} svar {item_min:g}–{item_max:g} går fra "
                f"{n_items * item_min:g} til {n_items * item_max:g}, ikke "
                f"{score_min:g}–{score_max:g}"
            )
        default_min_answered = math.ceil(n_items / 2)
    elif scoring == "value_set":
        table = raw.get("value_set")
        if not isinstance(table, dict) or len(table) != n_items:
            raise RegistryError(f"{where}: value_set skal have én linje pr. dimension ({n_items})")
        if not integer_items:
            raise RegistryError(f"{where}: value_set kræver hele svar (integer_items = true)")
        n_levels = int(item_max - item_min)
        rows = []
        for dim, decrements in table.items():
            if not isinstance(decrements, list) or len(decrements) != n_levels:
                raise RegistryError(
                    f"{where}: value_set.{dim} skal have {n_levels} fradrag (niveau 2 og op)"
                )
            rows.append(tuple(_num(where, f"value_set.{dim}", d) for d in decrements))
        value_set = tuple(rows)
        dimensions = tuple(str(k) for k in table)
        best = 1.0
        worst = round(1.0 - sum(max((0.0, *row)) for row in value_set), 6)
        if worst < score_min - _EPS or best > score_max + _EPS:
            raise RegistryError(
                f"{where}: værdisættet giver indeks fra {worst:g} til {best:g}, uden for "
                f"score_min–score_max ({score_min:g}–{score_max:g})"
            )
        default_min_answered = n_items
    else:
        raise RegistryError(f"{where}: scoring skal være 'sum' eller 'value_set'")

    min_answered = raw.get("min_answered", default_min_answered)
    if not isinstance(min_answered, int) or not 1 <= min_answered <= n_items:
        raise RegistryError(f"{where}: min_answered skal være et helt tal fra 1 til {n_items}")
    if scoring == "value_set" and min_answered != n_items:
        raise RegistryError(f"{where}: et indeks fra et værdisæt kræver alle {n_items} svar")

    mic = _opt_num(where, raw, "mic")
    mic_pct = _opt_num(where, raw, "mic_pct")
    if (mic is not None and mic <= 0) or (mic_pct is not None and mic_pct <= 0):
        raise RegistryError(f"{where}: mic og mic_pct skal være positive")
    steps = []
    for step in raw.get("mic_steps", []):
        if not isinstance(step, dict) or set(step) != {"baseline_above", "mic"}:
            raise RegistryError(f"{where}: mic_steps skal være [{{baseline_above = x, mic = y}}]")
        steps.append(
            (_num(where, "baseline_above", step["baseline_above"]), _num(where, "mic", step["mic"]))
        )
    steps.sort()

    bands = []
    for b in raw.get("band", []):
        if not isinstance(b, dict) or set(b) != {"lower", "upper", "label", "level"}:
            raise RegistryError(f"{where}: et band skal have netop lower, upper, label og level")
        band = Band(
            lower=_num(where, "lower", b["lower"]),
            upper=_num(where, "upper", b["upper"]),
            label=str(b["label"]),
            level=str(b["level"]),
        )
        if band.level not in LEVELS:
            raise RegistryError(f"{where}: band-level skal være en af {LEVELS}")
        if not score_min <= band.lower <= band.upper <= score_max:
            raise RegistryError(
                f"{where}: båndet {band.label!r} ({band.lower:g}–{band.upper:g}) ligger ikke "
                f"inden for {score_min:g}–{score_max:g}"
            )
        if bands and band.lower <= bands[-1].upper:
            raise RegistryError(
                f"{where}: båndene skal stå i stigende orden uden overlap ({band.label!r})"
            )
        bands.append(band)

    subscales = []
    for s in raw.get("subscale", []):
        s_items = tuple(s.get("items", ()))
        if (
            not s_items
            or len(set(s_items)) != len(s_items)
            or not all(isinstance(i, int) and 1 <= i <= n_items for i in s_items)
        ):
            raise RegistryError(
                f"{where}: delskala {s.get('code')!r}: items skal være 1..{n_items}"
            )
        s_min = s.get("min_answered", math.ceil(len(s_items) / 2))
        if not isinstance(s_min, int) or not 1 <= s_min <= len(s_items):
            raise RegistryError(f"{where}: delskala {s.get('code')!r}: ugyldig min_answered")
        subscales.append(
            Subscale(
                code=str(s["code"]),
                name=str(s["name"]),
                items=s_items,
                threshold=_opt_num(where, s, "threshold"),
                min_answered=s_min,
            )
        )
    if subscales and scoring != "sum":
        raise RegistryError(f"{where}: delskalaer kræver scoring = 'sum'")

    tps = tuple(raw["timepoints"])
    bad_tps = [t for t in tps if t not in timepoints]
    if not tps or bad_tps:
        raise RegistryError(
            f"{where}: timepoints skal være blandt {list(timepoints)}, ikke {bad_tps or '[]'}"
        )
    display_factor = _num(where, "display_factor", raw.get("display_factor", 1))
    if display_factor <= 0:
        raise RegistryError(f"{where}: display_factor skal være positiv")
    decimals = raw.get("decimals", 1)
    if not isinstance(decimals, int) or not 0 <= decimals <= 4:
        raise RegistryError(f"{where}: decimals skal være et helt tal fra 0 til 4")

    return Instrument(
        code=str(raw["code"]),
        name=str(raw["name"]),
        short_name=str(raw["short_name"]),
        items=n_items,
        item_min=item_min,
        item_max=item_max,
        score_min=score_min,
        score_max=score_max,
        direction=direction,
        bands=tuple(bands),
        mic=mic,
        mic_pct=mic_pct,
        display_factor=display_factor,
        min_answered=min_answered,
        timepoints=tps,
        mic_steps=tuple(steps),
        subscales=tuple(subscales),
        scoring=scoring,
        value_set=value_set,
        value_set_dimensions=dimensions,
        integer_items=integer_items,
        item_alert_max=_opt_num(where, raw, "item_alert_max"),
        unit=str(raw.get("unit", "")),
        decimals=decimals,
        source=str(raw.get("source", "")),
    )


def load_instruments(path: Path | str | None = None) -> dict[str, Instrument]:
    """Load and check the registry (default: the packaged instruments.toml), in file order.

    Raises :class:`RegistryError` naming the instrument and the problem.
    """
    data = _read(path)
    timepoints = data.get("timepoints") or {}
    result: dict[str, Instrument] = {}
    for raw in data.get("instrument", []):
        inst = _build(raw, timepoints)
        if inst.code in result:
            raise RegistryError(f"instruments.toml: koden {inst.code!r} står to gange")
        result[inst.code] = inst
    if not result:
        raise RegistryError("instruments.toml: ingen [[instrument]]-blokke")
    return result


TIMEPOINTS: dict[str, str] = load_timepoints()
INSTRUMENTS: dict[str, Instrument] = load_instruments()


def instruments_for_timepoint(timepoint: str) -> list[Instrument]:
    """The instruments asked at ``timepoint``, in registry order."""
    return [inst for inst in INSTRUMENTS.values() if timepoint in inst.timepoints]


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def _instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise ProValueError(f"Ukendt PRO-instrument: {code!r}") from None


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fmt_num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _clean_items(inst: Instrument, items: Sequence[Any]) -> list[float | None]:
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
                f"{inst.name}, spørgsmål {number}: svaret {_fmt_num(v)} ligger uden for "
                f"skalaen {_fmt_num(inst.item_min)}–{_fmt_num(inst.item_max)}"
            )
        if inst.integer_items and not v.is_integer():
            raise ProValueError(
                f"{inst.name}, spørgsmål {number}: svaret {_fmt_num(v)} skal være et helt tal"
            )
        cleaned.append(v)
    return cleaned


def _round1(value: float) -> float:
    """Round half away from zero to one decimal (12.25 → 12.3, not banker's 12.2)."""
    return math.copysign(math.floor(abs(value) * 10 + 0.5 + _EPS) / 10, value)


def _prorated_sum(values: Sequence[float | None], min_answered: int) -> float | None:
    answered = [v for v in values if v is not None]
    if len(answered) < min_answered:
        return None
    total = sum(answered)
    if len(answered) == len(values):
        return float(total)
    return _round1(total * len(values) / len(answered))


def _value_set_index(inst: Instrument, levels: Sequence[float]) -> float:
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
    inst = _instrument(code)
    values = _clean_items(inst, items)
    if inst.scoring == "value_set":
        if any(v is None for v in values):
            return None
        return _value_set_index(inst, values)  # type: ignore[arg-type]
    return _prorated_sum(values, inst.min_answered)


def eq5d_index(levels: Sequence[int]) -> float:
    """EQ-5D-5L index from the five levels (1–5) with the Danish value set (3 decimals).

    ``[1, 1, 1, 1, 1]`` → 1.0; ``[5, 5, 5, 5, 5]`` → -0.758.
    """
    inst = _instrument("eq5d_index")
    values = _clean_items(inst, levels)
    if any(v is None for v in values):
        raise ProValueError(f"{inst.name}: alle {inst.items} dimensioner skal være besvaret")
    return _value_set_index(inst, values)  # type: ignore[arg-type]


def subscale_scores(code: str, items: Sequence[float | None]) -> dict[str, float | None]:
    """Subscale sums (prorated like the total), keyed by subscale code."""
    inst = _instrument(code)
    values = _clean_items(inst, items)
    return {
        sub.code: _prorated_sum([values[i - 1] for i in sub.items], sub.min_answered)
        for sub in inst.subscales
    }


def pcs_subscales(items: Sequence[float | None]) -> dict[str, float | None]:
    """PCS helplessness (items 1–5, 12), magnification (6, 7, 13), rumination (8–11)."""
    return subscale_scores("pcs", items)


# --------------------------------------------------------------------------------------------
# Bands, display and change
# --------------------------------------------------------------------------------------------


def band_for(code: str, score: float | None) -> Band | None:
    """The cut-off band of a raw score; ``None`` for no score, no bands or outside all bands."""
    inst = _instrument(code)
    if _is_missing(score) or not inst.bands:
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
    if _is_missing(score):
        return None
    inst = _instrument(code)
    if inst.display_factor == 1:
        return float(score)
    return round(score * inst.display_factor, 6)


def display_bands(code: str) -> tuple[Band, ...]:
    """The instrument's bands with limits on the display scale (for shading charts)."""
    inst = _instrument(code)
    f = inst.display_factor
    return tuple(Band(b.lower * f, b.upper * f, b.label, b.level) for b in inst.bands)


def _round_half_up(value: float, decimals: int) -> float:
    """Round half away from zero (50.5 % → 51 %, not banker's 50 %)."""
    scale = 10**decimals
    return math.copysign(math.floor(abs(value) * scale + 0.5 + _EPS) / scale, value)


def _format_number(value: float, decimals: int) -> str:
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
    inst = _instrument(code)
    if inst.items == 1:
        return NOT_ANSWERED
    if items is not None and len(items) and all(_is_missing(v) for v in items):
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
    if _is_missing(score):
        return missing_text(code, items)
    inst = _instrument(code)
    text = _format_number(display_value(code, score), inst.decimals)
    return f"{text} {inst.unit}" if inst.unit else text


def _amount_text(value: float) -> str:
    """A registry number in Danish ('1,5', '0,09', '10'), without trailing zeros."""
    return _danish_number(value, 3)


def mic_text(code: str, baseline: float | None = None) -> str:
    """The minimal important change in Danish on the display scale, from the registry.

    Without ``baseline`` the whole rule: "2 point eller 30 % af baseline" (NRS), "8 point (11
    point ved baseline over 30)" (PCS), "10 procentpoint" (WHO-5, raw 2.5 × 4). With a baseline
    the rule that applies from it: "11 point ved baseline over 30". ``""`` when the instrument
    has no MIC (PGIC).
    """
    inst = _instrument(code)
    factor = inst.display_factor
    unit = "procentpoint" if inst.unit == "%" else "point"
    suffix = f" {inst.unit}" if inst.unit else ""

    def amount(mic: float) -> str:
        return f"{_amount_text(mic * factor)} {unit}"

    def step(above: float, mic: float) -> str:
        return f"{amount(mic)} ved baseline over {_amount_text(above * factor)}{suffix}"

    parts = []
    if _is_missing(baseline):
        steps = [step(above, mic) for above, mic in inst.mic_steps]
        if inst.mic is not None:
            parts.append(amount(inst.mic) + (f" ({', '.join(steps)})" if steps else ""))
        else:
            parts += steps
    else:
        applied = [s for s in inst.mic_steps if baseline > s[0]]
        if applied:
            parts.append(step(*applied[-1]))
        elif inst.mic is not None:
            parts.append(amount(inst.mic))
    if inst.mic_pct is not None:
        parts.append(f"{_amount_text(inst.mic_pct)} % af baseline")
    return " eller ".join(parts)


def change_rule_text(code: str, baseline: float | None = None) -> str:
    """'Mindste betydende ændring: 2 point eller 30 % af baseline' (or that none is set)."""
    text = mic_text(code, baseline)
    return f"Mindste betydende ændring: {text}" if text else NO_MIC


def _format_delta(code: str, delta: float) -> str:
    inst = _instrument(code)
    text = _format_number(abs(delta) * inst.display_factor, inst.decimals)
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    unit = " procentpoint" if inst.unit == "%" else ""
    return f"{sign}{text}{unit}"


def change(code: str, baseline: float | None, current: float | None) -> Change | None:
    """Change from ``baseline`` to ``current`` (raw scores); ``None`` if either is missing.

    Clinically relevant when |delta| reaches the MIC (PCS: 11 instead of 8 when the baseline is
    above 30) or, where the instrument has one, the relative MIC in % of the baseline (NRS:
    2 points or 30 %). Either is enough, as PRO.md says ("2 points or 30 %"), with no floor:
    NRS 2 → 3 (+1 = 50 % of the baseline) is a clinically relevant worsening, 0 → 1 is not (no
    relative rule from a zero baseline). Direction "bedre"/"værre" follows the instrument's
    direction.
    """
    inst = _instrument(code)
    if _is_missing(baseline) or _is_missing(current):
        return None
    delta = round(float(current) - float(baseline), 6)
    if delta == 0:
        return Change(delta=0.0, direction="uændret", clinically_relevant=False, label="uændret")
    better = (delta > 0) == inst.higher_is_better
    direction = "bedre" if better else "værre"
    size = abs(delta)
    mic = inst.mic_for(baseline)
    relevant = mic is not None and size >= mic - _EPS
    if inst.mic_pct is not None and baseline > 0:
        relevant = relevant or size >= baseline * inst.mic_pct / 100 - _EPS
    noun = "forbedring" if better else "forværring"
    if relevant:
        label = f"klinisk relevant {noun}"
    elif mic is None and inst.mic_pct is None:
        label = noun
    else:
        label = f"{noun}, ikke klinisk relevant"
    return Change(delta=delta, direction=direction, clinically_relevant=relevant, label=label)


def _either_or(values: Sequence[str]) -> str:
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " eller " + values[-1]


def flags(
    code: str,
    score: float | None,
    baseline: float | None = None,
    *,
    items: Sequence[float | None] | None = None,
) -> list[Flag]:
    """Flags for the conference screen (dialogue support, never a recommendation).

    * a score in a red band → red flag ending in "kræver opmærksomhed"; yellow band → yellow
      flag naming the band (green bands give no flag);
    * with ``items``: WHO-5 any item 0–1 → red flag; a PCS subscale at or above its threshold
      → yellow flag;
    * with ``baseline``: a change of at least the MIC → "klinisk relevant ændring", green when
      better, red (and "kræver opmærksomhed") when worse; the text names the change, its size
      (and % of baseline where the MIC has a relative rule) and the MIC rule that applied:
      "NRS værst: klinisk relevant ændring, værre (2 → 3, +1 = +50 %; mindste betydende
      ændring: 2 point eller 30 % af baseline) – kræver opmærksomhed".
    """
    inst = _instrument(code)
    result: list[Flag] = []
    if not _is_missing(score):
        band = band_for(code, score)
        if band is not None and band.level != "green":
            text = f"{inst.short_name} {format_score(code, score)}: {band.label}"
            if band.level == "red":
                text += f" – {ATTENTION}"
            result.append(Flag(kind="band", level=band.level, text=text))
    if items is not None:
        values = _clean_items(inst, items)
        alert = inst.item_alert_max
        if alert is not None and any(v is not None and v <= alert for v in values):
            low = [_fmt_num(v) for v in range(int(inst.item_min), int(alert) + 1)]
            result.append(
                Flag(
                    kind="band",
                    level="red",
                    text=(
                        f"{inst.short_name}: mindst ét spørgsmål besvaret med {_either_or(low)}"
                        f" – {ATTENTION}"
                    ),
                )
            )
        if inst.subscales:
            sub_scores = subscale_scores(code, items)
            for sub in inst.subscales:
                value = sub_scores[sub.code]
                if sub.threshold is not None and value is not None and value >= sub.threshold:
                    result.append(
                        Flag(
                            kind="band",
                            level="yellow",
                            text=(
                                f"{inst.short_name} {sub.name.lower()} "
                                f"{_format_number(value, 1)} (grænse ≥ {_fmt_num(sub.threshold)})"
                            ),
                        )
                    )
    if not _is_missing(baseline) and not _is_missing(score):
        ch = change(code, baseline, score)
        if ch is not None and ch.clinically_relevant:
            worse = ch.direction == "værre"
            delta = _format_delta(code, ch.delta)
            if inst.mic_pct is not None and baseline > 0:  # the relative rule: say the %
                pct = _format_number(abs(ch.delta) / baseline * 100, 0)
                delta += f" = {'+' if ch.delta > 0 else '−'}{pct} %"
            text = (
                f"{inst.short_name}: {RELEVANT_CHANGE}, {ch.direction} "
                f"({format_score(code, baseline)} → {format_score(code, score)}, {delta}; "
                f"{change_rule_text(code, baseline).lower()})"
            )
            if worse:
                text += f" – {ATTENTION}"
            result.append(Flag(kind="change", level="red" if worse else "green", text=text))
    return result


# --------------------------------------------------------------------------------------------
# Synthetic answers for demo data
# --------------------------------------------------------------------------------------------


@cache
def _value_set_states(code: str) -> tuple[list[float], list[tuple[int, ...]]]:
    """All states of a value-set instrument sorted by index: (indices, states)."""
    inst = _instrument(code)
    levels = range(int(inst.item_min), int(inst.item_max) + 1)
    states = sorted(
        ((_value_set_index(inst, s), s) for s in itertools.product(levels, repeat=inst.items)),
    )
    return [s[0] for s in states], [s[1] for s in states]


def generate_items(
    code: str,
    target_score: float,
    rng: random.Random,
    *,
    missing_prob: float = 0.03,
) -> list[int | float | None]:
    """Plausible item answers whose score is close to ``target_score`` (raw scale, clamped).

    Sums: the (stochastically rounded) target is spread over the items and then varied by moving
    points between items, so answers are not all equal; with probability ``missing_prob`` one item
    of a multi-item sum scale is left unanswered (the score is then prorated, still close).
    EQ-5D-5L: a random state among those whose index is within 0.015 of the target (or the
    nearest one). Single items: the rounded target. Cheap: no search loops.
    """
    inst = _instrument(code)
    target = min(max(float(target_score), inst.score_min), inst.score_max)

    if inst.scoring == "value_set":
        indices, states = _value_set_states(code)
        lo = bisect.bisect_left(indices, target - 0.015)
        hi = bisect.bisect_right(indices, target + 0.015)
        if lo >= hi:
            pos = bisect.bisect_left(indices, target)
            candidates = [p for p in (pos - 1, pos) if 0 <= p < len(indices)]
            lo = min(candidates, key=lambda p: abs(indices[p] - target))
            hi = lo + 1
        return list(states[rng.randrange(lo, hi)])

    n = inst.items
    item_min, item_max = inst.item_min, inst.item_max
    if not inst.integer_items:
        if n == 1:
            return [round(target, 1)]
        per_item = target / n
        return [round(min(max(per_item, item_min), item_max), 1) for _ in range(n)]

    rand = rng.random  # plain random() calls: this runs ~500k times for a large demo
    lo_i, hi_i = int(item_min), int(item_max)
    total = math.floor(target + rand())  # stochastic rounding: unbiased on average
    total = min(max(total, lo_i * n), hi_i * n)
    if n == 1:
        return [total]
    base, extra = divmod(total - lo_i * n, n)
    start = int(rand() * n)  # the items that get one point extra start at a random position
    values: list[int | float | None] = [
        lo_i + base + (1 if (k - start) % n < extra else 0) for k in range(n)
    ]
    for _ in range(n):  # move single points between items: keeps the sum, adds spread
        i, j = int(rand() * n), int(rand() * n)
        if values[i] > lo_i and values[j] < hi_i:  # i == j is a harmless no-op
            values[i] -= 1
            values[j] += 1
    if n - 1 >= inst.min_answered and rand() < missing_prob:
        values[int(rand() * n)] = None
    return values
