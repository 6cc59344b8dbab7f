"""Small-number suppression: the one module every shared aggregate goes through."""

from __future__ import annotations

import math

import pandas as pd

from yearofcare.disclosure import DisclosurePolicy, suppress


def test_small_counts_and_their_derived_values_are_masked():
    frame = pd.DataFrame({"people": [0, 3, 9, 10, 12, 1234], "mean_cost": [0.0, 1, 2, 3, 4, 5]})
    out = suppress(frame, ["people"], ["mean_cost"])
    assert list(out.suppressed) == [False, True, True, False, False, False]
    assert out.people.tolist()[:1] == [0.0]
    assert math.isnan(out.people[1]) and math.isnan(out.mean_cost[2])
    # other counts round to the nearest 5: 10 -> 10, 12 -> 10, 1234 -> 1235
    assert out.people.tolist()[3:] == [10.0, 10.0, 1235.0]
    assert out.mean_cost.tolist()[3:] == [3.0, 4.0, 5.0]


def test_policy_is_configurable():
    frame = pd.DataFrame({"n": [4, 6]})
    out = suppress(frame, ["n"], policy=DisclosurePolicy(threshold=5, rounding=1))
    assert math.isnan(out.n[0]) and out.n[1] == 6
