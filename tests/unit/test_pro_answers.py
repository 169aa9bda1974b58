"""The demo centre's synthetic PRO answers (demo/pro_answers.py): valid, close to the target."""

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from conference.pro import INSTRUMENTS, score
from demo.pro_answers import generate_items

CODES = list(INSTRUMENTS)  # every instrument of the registry


@given(code=st.sampled_from(CODES), target=st.floats(-200, 200), seed=st.integers(0, 2**32))
def test_generate_items_scores_close_to_target(code, target, seed):
    inst = INSTRUMENTS[code]
    items = generate_items(code, target, random.Random(seed))
    result = score(code, items)  # must not raise: all answers valid
    assert result is not None
    clamped = min(max(target, inst.score_min), inst.score_max)
    # EQ-5D-5L: the widest gap between two states; sums: stochastic rounding (< 1) plus, with
    # one missing item, the prorating error (at most one item's span).
    span = inst.item_max - inst.item_min
    tolerance = 0.035 if inst.scoring == "value_set" else 1 + span
    assert abs(result - clamped) <= tolerance


def test_generate_items_is_deterministic_and_varied():
    a = [generate_items("pcs", 27, random.Random(5)) for _ in range(3)]
    b = [generate_items("pcs", 27, random.Random(5)) for _ in range(3)]
    assert a == b
    rng = random.Random(1)
    samples = [generate_items("pcs", 26, rng) for _ in range(2000)]
    assert any(None in s for s in samples)  # sometimes a missing item
    assert sum(None in s for s in samples) < 200
    complete = [s for s in samples if None not in s]
    assert any(len(set(s)) > 2 for s in complete)  # not all answers equal
    mean = sum(score("pcs", s) for s in samples) / len(samples)
    assert math.isclose(mean, 26, abs_tol=0.5)


def test_generate_items_clamps():
    rng = random.Random(0)
    assert generate_items("nrs_avg", 14, rng) == [10]
    assert score("who5", generate_items("who5", -3, rng)) == 0
    assert generate_items("eq5d_index", 1.5, rng) == [1, 1, 1, 1, 1]
    assert generate_items("eq5d_index", -2, rng) == [5, 5, 5, 5, 5]
