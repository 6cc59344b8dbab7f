"""Properties of the money (hypothesis): the schedule always sums to the budget; inside +
outside tags always equal the total cost; the budget is unchanged when the register is
unchanged (however its rows are ordered); tariffs are invariant to row order.

The relational pieces run on a private in-memory DuckDB connection (the same Ibis
expressions the stages run; engine parity is covered by the spec tests)."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.spec.finance import economy as E
from yearofcare.finance import register as rg
from yearofcare.finance import tariffs as tf
from yearofcare.finance.bootstrap import generator, interval, ratio_replicates
from yearofcare.finance.money import largest_remainder
from yearofcare.finance.settings import Outliers
from yearofcare.finance.tagging import tag
from yearofcare.finance.tariff_stage import build_pools

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DB = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def con():
    c = ibis.duckdb.connect()
    yield c
    c.disconnect()


@FAST
@given(
    total=st.integers(0, 10**12),
    weights=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=12),
)
def test_the_schedule_always_sums_to_the_budget(total, weights):
    parts = largest_remainder(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    s = sum(weights)
    exact = [total * w / s for w in weights] if s > 0 else [total / len(weights)] * len(weights)
    assert all(abs(p - e) <= 1 + 1e-6 * max(1, e) for p, e in zip(parts, exact, strict=True))


DAY0 = date(2024, 4, 1)


@st.composite
def registers(draw):
    people = draw(st.integers(1, 6))
    rows = []
    for p in range(people):
        start = draw(st.integers(0, 700))
        spells = draw(st.integers(1, 3))
        for s in range(1, spells + 1):
            length = draw(st.integers(0, 400))
            open_ = s == spells and draw(st.booleans())
            join = DAY0 + timedelta(days=start)
            leave = None if open_ else join + timedelta(days=length)
            rows.append(
                E._member(
                    f"p{p}",
                    s,
                    draw(st.sampled_from(["High", "Low"])),
                    join,
                    leave,
                    leave_reason=None
                    if open_
                    else draw(st.sampled_from(["died", "moved_away", "changed_currency"])),
                )
            )
            if leave is None:
                break
            start = start + length + 1 + draw(st.integers(0, 60))
    return rows


def _memtable(rows):
    frame = pd.DataFrame(rows)
    for c in ("join_date", "leave_date"):
        frame[c] = pd.to_datetime(frame[c])
    t = ibis.memtable(frame)
    return t.mutate(join_date=t.join_date.cast("date"), leave_date=t.leave_date.cast("date"))


def _budget(con, rows):
    prices = ibis.memtable(
        pd.DataFrame(
            {
                "currency": "level",
                "value": list(E.TARIFFS),
                "tariff_pence": list(E.TARIFFS.values()),
            }
        )
    )
    reg = _memtable(rows)
    p = ibis.union(*[rg.priced(rg.year_spells(reg, fy), prices) for fy in (2024, 2025, 2026)])
    spells = con.to_pandas(
        p.group_by("fy").aggregate(
            base=p.tariff_pence.sum(where=p.in_base), total=p.amount_pence.sum()
        )
    )
    m = rg.movements(p)
    moves = con.to_pandas(m.group_by("fy").aggregate(amount=m.amount_pence.sum()))
    out = spells.merge(moves, on="fy", how="left").fillna(0).sort_values("fy")
    return [(int(r.fy), int(r.base), int(r.amount), int(r.total)) for r in out.itertuples()]


@DB
@given(rows=registers(), seed=st.integers(0, 2**32 - 1))
def test_the_budget_is_unchanged_when_the_register_is_unchanged(con, rows, seed):
    first = _budget(con, rows)
    shuffled = [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))]
    assert _budget(con, shuffled) == first
    for _fy, base, moves, total in first:
        assert base + moves == total  # the movements explain every change from the base


@st.composite
def activity(draw):
    n = draw(st.integers(1, 30))
    settings_ = ["community", "gp", "acute_non_elective", "outpatient"]
    return [
        {
            "activity_id": f"a{i}",
            "person_id": f"p{draw(st.integers(0, 6))}",
            "fy": 2025,
            "month": 1,
            "start_date": date(2019, 1, 1) + timedelta(days=draw(st.integers(0, 2800))),
            "setting": draw(st.sampled_from(settings_)),
            "service_type": draw(st.sampled_from(["x", "residential"])),
            "provider_code": "ZC1",
            "currency": "-",
            "funding_route": "block",
            "cost_basis": "actual",
            "cost_pence": draw(st.integers(0, 10**7)),
        }
        for i in range(n)
    ]


@DB
@given(rows=activity(), register=registers())
def test_inside_plus_outside_tags_always_equal_the_total_cost(con, rows, register):
    frame = pd.DataFrame(rows)
    frame["start_date"] = pd.to_datetime(frame.start_date)
    a = ibis.memtable(frame)
    a = a.mutate(start_date=a.start_date.cast("date"), month=a.month.cast("int8"))
    tags = con.to_pandas(tag(a, _memtable(register), E.service_map()))
    assert len(tags) == len(rows)  # one tag per row (one cohort)
    assert sorted(tags.activity_id) == sorted(r["activity_id"] for r in rows)
    inside = int(tags[tags.inside].cost_pence.sum())
    outside = int(tags[~tags.inside].cost_pence.sum())
    assert inside + outside == sum(r["cost_pence"] for r in rows)


@st.composite
def people(draw):
    n = draw(st.integers(2, 60))
    return [
        {
            "person_id": f"p{i}",
            "fy": 2024,
            "currency": "level",
            "value": draw(st.sampled_from(["High", "Low"])),
            "value_order": 1,
            "months": draw(st.integers(1, 12)),
            "cost_all": 0,
            "cost_in": draw(st.integers(0, 5 * 10**6)),
        }
        for i in range(n)
    ]


def _tariffs(con, rows, method):
    frame = pd.DataFrame(rows).astype({"fy": "int16"})
    p = ibis.memtable(frame)
    o = (
        Outliers(method=method, low_percentile=5, high_percentile=95, cap=20000)
        if method != "none"
        else Outliers()
    )
    treated = tf.treat(p, tf.thresholds(p, o), method)
    sums = con.to_pandas(tf.sums(treated)).sort_values("value").reset_index(drop=True)
    kept = treated.filter(treated.kept)
    sizes = kept.group_by(tf.KEYS).aggregate(n=kept.count())
    pools = build_pools(con.to_pandas(tf.pool_rows(kept, "treated", sizes, 100)))
    cis = {
        k: interval(ratio_replicates(pool, pool.n, 200, generator(7, *k)), 0.95)
        for k, pool in sorted(pools.items())
    }
    cols = ["value", "people", "kept_months", "treated", "trimmed", "adjusted", "pooled"]
    return sums[cols].to_dict(orient="records"), cis


@DB
@given(
    rows=people(),
    seed=st.integers(0, 2**32 - 1),
    method=st.sampled_from(["none", "trim", "winsorise", "cap_and_pool"]),
)
def test_tariffs_are_invariant_to_row_order(con, rows, seed, method):
    shuffled = [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))]
    assert _tariffs(con, shuffled, method) == _tariffs(con, rows, method)
