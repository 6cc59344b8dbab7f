"""Outturn draws: each distribution has the moments it says it has."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from yearofcare.contracts import simulate as sim


def test_stated_lognormal_and_normal_have_the_stated_mean_and_spread():
    rng = np.random.default_rng(7)
    for distribution in ("lognormal", "normal"):
        d = sim.stated(12_000_000, 600_000, 200_000, rng, distribution)
        pounds = d.outturn / 100
        assert pounds.mean() == pytest.approx(12_000_000, rel=0.002)
        assert pounds.std() == pytest.approx(600_000, rel=0.01)
    assert d.outturn.dtype == np.int64


def test_poisson_bootstrap_moments_and_high_cost_excess():
    rng = np.random.default_rng(11)
    costs = np.concatenate([np.full(2_000, 1_000.0), [60_000.0, 90_000.0, 150_000.0]])
    d = sim.bootstrap(costs, 200_000, rng, thresholds=[Decimal(50_000)])
    pounds = d.outturn / 100
    # a Poisson bootstrap total has mean Σc and variance Σc²
    assert pounds.mean() == pytest.approx(costs.sum(), rel=0.003)
    assert pounds.std() == pytest.approx(np.sqrt(np.square(costs).sum()), rel=0.01)
    excess = d.excess(Decimal(50_000)) / 100
    # cost above £50k: 10k + 40k + 100k = £150k on average, with variance Σ excess²
    assert excess.mean() == pytest.approx(150_000, rel=0.01)
    assert excess.std() == pytest.approx(np.sqrt(10e3**2 + 40e3**2 + 100e3**2), rel=0.02)
    # the excess is drawn with the outturn's own weights: they move together
    assert np.corrcoef(pounds, excess)[0, 1] > 0.9
    with pytest.raises(Exception, match="not drawn for a stop-loss threshold"):
        d.excess(Decimal(60_000))


def test_bootstrap_centred_on_the_baseline():
    rng = np.random.default_rng(3)
    d = sim.bootstrap(np.full(1_000, 2_000.0), 50_000, rng, centre=2_200_000)
    assert (d.outturn / 100).mean() == pytest.approx(2_200_000, rel=0.002)


def test_poisson_table_matches_poisson_1():
    counts = np.bincount(sim._POISSON, minlength=8)[:8] / 65_536
    expected = [np.exp(-1) / np.prod(range(1, k + 1)) for k in range(8)]
    assert counts == pytest.approx(expected, abs=1 / 65_536)
