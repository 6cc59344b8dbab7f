"""The statement path (Decimal pounds) and the simulation path (int64 pence arrays) agree to
the penny on the same outturns, for random contracts."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.spec.contracts.helpers import inputs
from tests.spec.contracts.test_properties import COSTS, contract, orders
from yearofcare.contracts import simulate as sim
from yearofcare.contracts.inputs import high_cost
from yearofcare.contracts.settle import settle_period
from yearofcare.contracts.terms import terms_from_dict

outturns = st.lists(
    st.decimals(min_value=0, max_value=2_000_000, places=2), min_size=1, max_size=25
)


@settings(max_examples=80, deadline=None)
@given(order=orders, values=outturns, a=st.integers(0, 100))
def test_decimal_and_pence_paths_agree_to_the_penny(order, values, a):
    loaded = terms_from_dict(contract(order))
    period = loaded.terms.periods[0]
    excess, _ = high_cost([Decimal(str(c)) for c in COSTS])
    draws = sim.Draws(
        np.array([int(v * 100) for v in values], dtype=np.int64),
        "typed",
        lambda t: np.full(len(values), int(excess(t) * 100), dtype=np.int64),
    )
    (scenario,) = sim.scenarios_for(loaded, draws, quality_level=1, achievement={"a": Decimal(a)})
    for i, value in enumerate(values):
        st_ = settle_period(
            loaded, period, inputs(value, level=1, achievement={"a": a}, costs=COSTS), last=False
        )
        for party, position in st_.position.items():
            assert int(scenario.positions[party][i]) == int(position * 100), (party, value)
        assert int(scenario.payment[i]) == int(st_.payment * 100)
        assert int(scenario.carried[i]) == int(st_.carried_out * 100)


def test_exposure_summary_of_a_known_distribution():
    """P(loss), percentiles and expected shortfall of a gain/loss spread evenly over −£99 … £100."""
    pence = np.arange(-9_900, 10_100, 100, dtype=np.int64)  # −£99, −£98, …, £100: 200 values
    e = sim.exposure(pence)
    assert e["prob_loss"] == 99 / 200
    assert e["mean"] == 0.5
    # the worst 5 % are the 10 lowest: −£99 … −£90, mean −£94.50
    assert e["expected_shortfall"] == -94.5
    assert e["worst"] == -99 and e["best"] == 100
