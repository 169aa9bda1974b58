"""The PRO instrument registry: ``conference/data/instruments.toml`` loaded and checked.

The instruments are data, not code (see the comments at the top of that file for every field);
this module reads the file once (:data:`INSTRUMENTS`, :data:`TIMEPOINTS`) and refuses an
inconsistent one with a :class:`RegistryError` naming the instrument and the problem.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).parent.parent / "data" / "instruments.toml"

DIRECTIONS = ("higher_worse", "higher_better", "lower_better")
LEVELS = ("green", "yellow", "red")

# Tolerance for comparing floating-point values with a limit (0.5 - 0.41 must count as 0.09).
EPS = 1e-9


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


def _check_keys(where: str, raw: Mapping[str, Any]) -> int:
    """Known and required fields present; the number of items."""
    unknown = set(raw) - _INSTRUMENT_KEYS
    if unknown:
        raise RegistryError(f"{where}: ukendte felter {sorted(unknown)}")
    missing = [k for k in _REQUIRED_KEYS if k not in raw]
    if missing:
        raise RegistryError(f"{where}: mangler felterne {missing}")
    n_items = raw["items"]
    if not isinstance(n_items, int) or isinstance(n_items, bool) or n_items < 1:
        raise RegistryError(f"{where}: 'items' skal være et helt tal ≥ 1")
    return n_items


def _ranges(where: str, raw: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """(item_min, item_max, score_min, score_max), each range non-empty."""
    item_min = _num(where, "item_min", raw["item_min"])
    item_max = _num(where, "item_max", raw["item_max"])
    score_min = _num(where, "score_min", raw["score_min"])
    score_max = _num(where, "score_max", raw["score_max"])
    if not item_min < item_max:
        raise RegistryError(f"{where}: item_min skal være mindre end item_max")
    if not score_min < score_max:
        raise RegistryError(f"{where}: score_min skal være mindre end score_max")
    return item_min, item_max, score_min, score_max


def _sum_rule(
    where: str, raw: Mapping[str, Any], n_items: int, ranges: tuple[float, float, float, float]
) -> int:
    """A sum score: its range must be the items' sum range; the default min_answered."""
    item_min, item_max, score_min, score_max = ranges
    if "value_set" in raw:
        raise RegistryError(f"{where}: value_set bruges kun med scoring = 'value_set'")
    if (score_min, score_max) != (n_items * item_min, n_items * item_max):
        raise RegistryError(
            f"{where}: en sumscore af {n_items} svar {item_min:g}–{item_max:g} går fra "
            f"{n_items * item_min:g} til {n_items * item_max:g}, ikke "
            f"{score_min:g}–{score_max:g}"
        )
    return math.ceil(n_items / 2)


def _value_set_rule(
    where: str,
    raw: Mapping[str, Any],
    n_items: int,
    ranges: tuple[float, float, float, float],
    integer_items: bool,
) -> tuple[tuple[tuple[float, ...], ...], tuple[str, ...]]:
    """An index from a value set: (decrements per dimension, dimension names), checked."""
    item_min, item_max, score_min, score_max = ranges
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
    best = 1.0
    worst = round(1.0 - sum(max((0.0, *row)) for row in value_set), 6)
    if worst < score_min - EPS or best > score_max + EPS:
        raise RegistryError(
            f"{where}: værdisættet giver indeks fra {worst:g} til {best:g}, uden for "
            f"score_min–score_max ({score_min:g}–{score_max:g})"
        )
    return value_set, tuple(str(k) for k in table)


def _min_answered(where: str, raw: Mapping[str, Any], n_items: int, default: int,
                  scoring: str) -> int:
    min_answered = raw.get("min_answered", default)
    if not isinstance(min_answered, int) or not 1 <= min_answered <= n_items:
        raise RegistryError(f"{where}: min_answered skal være et helt tal fra 1 til {n_items}")
    if scoring == "value_set" and min_answered != n_items:
        raise RegistryError(f"{where}: et indeks fra et værdisæt kræver alle {n_items} svar")
    return min_answered


def _mic(
    where: str, raw: Mapping[str, Any]
) -> tuple[float | None, float | None, tuple[tuple[float, float], ...]]:
    """(mic, mic_pct, mic_steps ascending)."""
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
    return mic, mic_pct, tuple(steps)


def _bands(
    where: str, raw: Mapping[str, Any], score_min: float, score_max: float
) -> tuple[Band, ...]:
    """The cut-off bands, within the score range, ascending, without overlap."""
    bands: list[Band] = []
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
    return tuple(bands)


def _subscales(
    where: str, raw: Mapping[str, Any], n_items: int, scoring: str
) -> tuple[Subscale, ...]:
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
    return tuple(subscales)


def _display(
    where: str, raw: Mapping[str, Any], timepoints: Mapping[str, str]
) -> tuple[tuple[str, ...], float, int]:
    """(time points, display factor, decimals)."""
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
    return tps, display_factor, decimals


def _build(raw: Mapping[str, Any], timepoints: Mapping[str, str]) -> Instrument:
    """One ``[[instrument]]`` block checked, in the order its fields are read."""
    where = f"instruments.toml: {raw.get('code', '(uden code)')}"
    n_items = _check_keys(where, raw)
    ranges = _ranges(where, raw)
    item_min, item_max, score_min, score_max = ranges
    direction = raw["direction"]
    if direction not in DIRECTIONS:
        raise RegistryError(f"{where}: direction skal være en af {DIRECTIONS}, ikke {direction!r}")
    scoring = raw.get("scoring", "sum")
    integer_items = bool(raw.get("integer_items", True))
    value_set: tuple[tuple[float, ...], ...] = ()
    dimensions: tuple[str, ...] = ()
    if scoring == "sum":
        default_min_answered = _sum_rule(where, raw, n_items, ranges)
    elif scoring == "value_set":
        value_set, dimensions = _value_set_rule(where, raw, n_items, ranges, integer_items)
        default_min_answered = n_items
    else:
        raise RegistryError(f"{where}: scoring skal være 'sum' eller 'value_set'")
    min_answered = _min_answered(where, raw, n_items, default_min_answered, scoring)
    mic, mic_pct, steps = _mic(where, raw)
    bands = _bands(where, raw, score_min, score_max)
    subscales = _subscales(where, raw, n_items, scoring)
    tps, display_factor, decimals = _display(where, raw, timepoints)
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
        bands=bands,
        mic=mic,
        mic_pct=mic_pct,
        display_factor=display_factor,
        min_answered=min_answered,
        timepoints=tps,
        mic_steps=steps,
        subscales=subscales,
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


def instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise ProValueError(f"Ukendt PRO-instrument: {code!r}") from None
