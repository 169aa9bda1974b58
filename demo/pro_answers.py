"""Synthetic PRO answers for the demo centre: who answers what, and item answers that score
close to a target.

Demo data only (moved out of the scoring module): the domain's scoring rules are in
:mod:`conference.pro`; nothing in ``conference/`` or ``db/`` imports this.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Sequence
from functools import cache

from conference.pro import Instrument, score
from conference.pro.registry import instrument
from conference.pro.scoring import value_set_index
from demo.helpers import clip
from demo.parameters import P_SCORE_MISSING
from demo.records import SimPatient

__all__ = ["answer_questionnaires", "generate_items"]


@cache
def _value_set_states(code: str) -> tuple[list[float], list[tuple[int, ...]]]:
    """All states of a value-set instrument sorted by index: (indices, states)."""
    inst = instrument(code)
    levels = range(int(inst.item_min), int(inst.item_max) + 1)
    states = sorted(
        ((value_set_index(inst, s), s) for s in itertools.product(levels, repeat=inst.items)),
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
    inst = instrument(code)
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


# PRO model: baseline mean and SD (raw scale) and how strongly the instrument responds.
PRO_MODEL: dict[str, tuple[float, float, float]] = {
    "nrs_avg": (6.5, 1.8, 0.9),
    "nrs_peak": (7.8, 1.6, 1.3),
    "pdi": (40.0, 13.0, 0.8),
    "pcs": (28.0, 11.0, 1.1),
    "hads_a": (9.2, 5.0, 0.6),
    "hads_d": (8.7, 4.7, 0.7),
    "isi": (16.0, 6.0, 0.6),
    "pseq": (22.0, 12.0, 1.0),
    "who5": (9.0, 5.0, 0.8),
    "eq5d_index": (0.50, 0.22, 0.7),
    "eq_vas": (45.0, 20.0, 0.7),
}
TIMEPOINT_EFFECT = {"baseline": 0.0, "midtvejs": 0.5, "afslutning": 1.0, "opfoelgning": 0.9}


def answer_questionnaires(
    p: SimPatient, instruments: Sequence[Instrument], timepoint: str, answered: dt.date
) -> None:
    """The patient answers the questionnaires of `timepoint` on `answered` (added to p.pro):
    scores from the patient's severity and response to treatment, a few left incomplete."""
    rng = p.rng_pro
    effect = TIMEPOINT_EFFECT.get(timepoint, 1.0)
    response = p.response - (0.3 if p.dropped_on else 0.0)
    scores: list[tuple[str, list, float | None]] = []
    for inst in instruments:
        if timepoint not in inst.timepoints:
            continue
        code = inst.code
        lo, hi = inst.score_min, inst.score_max
        worse = -1.0 if inst.direction == "higher_better" else 1.0
        if "baseline" not in inst.timepoints:
            # A global impression of change (PGIC): lower = better for "lower_better".
            mid, unit = (lo + hi) / 2, (hi - lo) / 6
            eff = response * effect + rng.gauss(0, 0.35)
            target = mid - worse * unit * 2.2 * eff
        else:
            mean, sd, mult = PRO_MODEL.get(code, ((lo + hi) / 2, (hi - lo) / 6, 0.7))
            if code not in p.uniques:
                if code == "nrs_peak" and "nrs_avg" in p.uniques:
                    p.uniques[code] = 0.8 * p.uniques["nrs_avg"] + 0.6 * rng.gauss(0, 1)
                else:
                    p.uniques[code] = rng.gauss(0, 1)
            base = mean + worse * sd * (0.6 * p.severity + 0.8 * p.uniques[code])
            if effect:
                target = base - worse * sd * (mult * response * effect + rng.gauss(0, 0.35))
            else:
                target = base
        target = clip(target, lo, hi)
        items = generate_items(code, target, rng)
        if rng.random() < P_SCORE_MISSING:
            n = len(items)
            blank = n - inst.min_answered + 1 if n > 1 else 1
            for k in rng.sample(range(n), min(n, blank)):
                items[k] = None
        scores.append((code, items, score(code, items)))
    p.pro.append((timepoint, answered, scores))
