"""The same inputs and settings give the same store (issue 10, finding 11): sums of
floating-point columns are exact, so they do not depend on the order an engine adds rows in;
results pulled out for models and generators do not depend on the order rows come back in (the
test-only shuffled DuckDB engine, YOC_SHUFFLE_ROWS, proves it)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from tests.spec import spec_test
from yearofcare.backends.shuffle import ENV, ShuffledDuckDB, ordered
from yearofcare.engine import connect
from yearofcare.segmentation.features import INTERCEPT, Term
from yearofcare.segmentation.model import draw_sample
from yearofcare.store import Store
from yearofcare.sums import exact_mean, exact_sum


def test_exact_sums_are_the_same_whatever_the_order(store):
    # added in the order given, floats make (1e16 + 1) − 1e16 = 0 and 0.1 + 0.2 + 0.3 =
    # 0.6000000000000001; summed exactly they are 1 and 0.6 in every order; nulls are skipped
    spec_test(
        store,
        {
            "sums_input": [
                {"g": "a", "x": 1e16},
                {"g": "a", "x": 1.0},
                {"g": "a", "x": -1e16},
                {"g": "b", "x": 0.1},
                {"g": "b", "x": 0.2},
                {"g": "b", "x": 0.3},
                {"g": "b", "x": None},
            ]
        },
        lambda s: (
            (t := s.table("sums_input"))
            .group_by("g")
            .aggregate(
                total=exact_sum(t.x), mean=exact_mean(t.x), hit=exact_sum(t.x, where=t.x > 0)
            )
        ),
        [
            {"g": "a", "total": 1.0, "mean": 1.0 / 3, "hit": 1e16 + 1},
            {"g": "b", "total": 0.6, "mean": 0.6 / 3, "hit": 0.6},
        ],
    )


def _shuffled(tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv(ENV, "5")
    store = Store(connect("duckdb", tmp_path / "shuffled"))
    assert isinstance(store.con, ShuffledDuckDB)
    return store


@pytest.mark.duckdb_only(reason="the shuffled engine is a DuckDB test device")
def test_the_shuffled_engine_reorders_only_unordered_results(tmp_path, monkeypatch):
    store = _shuffled(tmp_path, monkeypatch)
    t = ibis.memtable({"i": list(range(100))})
    got = store.to_pandas(t).i.tolist()
    assert sorted(got) == list(range(100)) and got != list(range(100))
    assert store.to_pyarrow(t)["i"].to_pylist() != list(range(100))
    assert store.to_pandas(t.order_by("i")).i.tolist() == list(range(100))
    assert store.to_pandas(t.order_by("i").limit(3).select("i")).i.tolist() == [0, 1, 2]
    assert ordered(t.order_by("i").filter(t.i > 2)) and not ordered(t.distinct())
    monkeypatch.delenv(ENV)
    plain = Store(connect("duckdb", tmp_path / "plain"))
    assert not isinstance(plain.con, ShuffledDuckDB)
    assert plain.to_pandas(t).i.tolist() == list(range(100))
    store.close()
    plain.close()


@pytest.mark.duckdb_only(reason="the shuffled engine is a DuckDB test device")
def test_the_risk_model_sample_is_the_same_however_rows_come_back(
    duck_store, tmp_path, monkeypatch
):
    """draw_sample sorts the sample by person and year: the fit and the seeded draws over it
    see the same rows in the same order whatever order the engine returns them in."""
    rng = np.random.default_rng(1)
    n = 300
    paired = ibis.memtable(
        {
            "person_id": [f"p{i:04d}" for i in rng.permutation(n)],
            "fy": [2024] * n,
            "age": rng.integers(0, 100, n).astype(float),
            "_admitted": rng.random(n) < 0.2,
            "_cost_next": rng.gamma(1.0, 1000.0, n),
        }
    )
    terms = [Term(INTERCEPT, None, "intercept"), Term("age", "age", "value", fill_value=0.0)]
    shuffled = _shuffled(tmp_path, monkeypatch)
    assert (
        shuffled.to_pandas(paired).person_id.tolist()
        != duck_store.to_pandas(paired).person_id.tolist()
    )
    a = draw_sample(duck_store.to_pandas, paired, terms, 200, seed=7, extra=("age",))
    b = draw_sample(shuffled.to_pandas, paired, terms, 200, seed=7, extra=("age",))
    assert 0 < len(a.x) < n
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.admitted, b.admitted)
    np.testing.assert_array_equal(a.cost, b.cost)
    assert a.extra.equals(b.extra)
    shuffled.close()


@pytest.mark.duckdb_only(reason="the order is set by permuting an in-memory table")
@pytest.mark.parametrize("values", [[0.1, 0.2, 0.3], [1e16, 1.0, -1e16]])
def test_exact_sum_on_duckdb_in_every_order(duck_store, values):
    """The same rows in every order give the same bits (DuckDB adds in parallel)."""
    import itertools

    totals = set()
    for order in itertools.permutations(values):
        t = ibis.memtable({"x": list(order)})
        totals.add(float(duck_store.to_pandas(t.aggregate(s=exact_sum(t.x))).s.iloc[0]))
    assert len(totals) == 1


def test_secondary_suppression_picks_the_same_cell_in_any_row_order():
    """Two cells tie for the smallest: the one masked with the lone suppressed cell does not
    depend on the order the rows came out of the engine."""
    from yearofcare.disclosure import secondary_suppress

    frame = pd.DataFrame(
        {"line": ["a"] * 4, "cell": ["w", "x", "y", "z"], "n": [np.nan, 20.0, 20.0, 30.0]}
    )
    chosen = set()
    for order in ([0, 1, 2, 3], [0, 2, 1, 3], [3, 2, 1, 0]):
        f = frame.iloc[order]
        out = secondary_suppress(f, "n", ["line"])
        chosen.add(tuple(sorted(f.cell[out.isna()])))
    assert chosen == {("w", "x")}
