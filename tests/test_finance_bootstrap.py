"""The bootstrap: seeded and reproducible, and the stratified form (for large currency values)
agrees with resampling person by person."""

from __future__ import annotations

import numpy as np

from yearofcare.finance.bootstrap import (
    Pool,
    generator,
    interval,
    ratio_replicates,
    strata_count,
    tail_strata,
)


def _people(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    cost = np.where(rng.random(n) < 0.3, 0, rng.lognormal(7, 1.5, n)).round()
    months = np.where(rng.random(n) < 0.1, rng.integers(1, 12, n), 12).astype(float)
    return cost, months


def _stratified(cost, months):
    order = np.lexsort((months, cost / months))
    c, m = cost[order], months[order]
    n = len(c)
    b = strata_count(n)
    stratum = (np.arange(n) * b) // n
    one = stratum >= b - tail_strata(b)
    rows = [
        [k.sum(), c[k].sum(), m[k].sum(), (c[k] ** 2).sum(), (m[k] ** 2).sum(), (c[k] * m[k]).sum()]
        for k in (stratum == s for s in range(b - tail_strata(b)))
    ]
    return Pool.of_strata(np.array(rows), c[one], m[one])


def test_stratified_bootstrap_agrees_with_the_exact_one():
    cost, months = _people(30_000)
    exact, strat = Pool.of_people(cost, months), _stratified(cost, months)
    assert exact.ratio() == strat.ratio() and strat.kind == "stratified"
    for draws in (500, 30_000):
        e = interval(ratio_replicates(exact, draws, 2000, generator(3, draws)), 0.95)
        s = interval(ratio_replicates(strat, draws, 2000, generator(4, draws)), 0.95)
        width = e[1] - e[0]
        assert abs((s[1] - s[0]) / width - 1) < 0.12
        assert abs((s[0] + s[1]) / 2 - (e[0] + e[1]) / 2) < 0.1 * width


def test_the_same_seed_and_key_give_the_same_interval_and_row_order_does_not_matter():
    cost, months = _people(3_000)
    a = ratio_replicates(
        Pool.of_people(cost, months), 3000, 300, generator(9, "level", "High", 2024)
    )
    shuffle = np.random.default_rng(0).permutation(len(cost))
    b = ratio_replicates(
        Pool.of_people(cost[shuffle], months[shuffle]),
        3000,
        300,
        generator(9, "level", "High", 2024),
    )
    assert np.array_equal(a, b)
    c = ratio_replicates(
        Pool.of_people(cost, months), 3000, 300, generator(9, "level", "Low", 2024)
    )
    assert not np.array_equal(a, c)
