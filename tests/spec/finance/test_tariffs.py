"""Spec: tariffs from historical in-scope cost, outliers, the bridge and small values.

Base year 2024/25. Value High: people h1…h20, each registered all year, with in-scope
(community) cost £100 × i and £10 of GP care (outside the map). Trimming at the 5th and 95th
percentiles (linear interpolation: £195 and £1,905) removes exactly h1 and h20, so the tariff
is the mean of £200…£1,900 = £1,050.00. Value Low: l1 registered 6 months costing £600 and l2
all year costing £300: (600 + 300) / (6 + 12) × 12 = £600.00 per person-year before outliers;
with two people, trimming at the 5th and 95th percentiles removes both (£1,200 a year is above
£1,155 and £300 below £345), so Low has no tariff and says so. Value Gone has people in 2023/24
only: no tariff for 2024/25.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import ENGINES
from tests.spec import load, rows, spec_test
from tests.spec.finance import economy as E
from yearofcare.engine import connect
from yearofcare.finance import tariffs as tf
from yearofcare.finance.settings import FinanceSettings, Outliers
from yearofcare.finance.tariff_stage import run_tariffs
from yearofcare.store import Store

D = date


def _people():
    act, py, pc = [], [], []

    def add(pid, value, fy, months, pounds):
        py.append({"person_id": pid, "fy": fy, "months_registered": months, "died_in_year": False})
        pc.append(
            {
                "person_id": pid,
                "fy": fy,
                "currency": "level",
                "currency_version": "spec",
                "value": value,
                "value_order": {"Low": 1, "High": 2, "Gone": 3}[value],
                "matched": True,
            }
        )
        when = D(fy, 6, 1)
        act.append(E._act(f"{pid}-c", pid, "community", when, pounds))
        act.append(E._act(f"{pid}-g", pid, "gp", when, 10.0, provider="P1"))

    for i in range(1, 21):
        add(f"h{i}", "High", 2024, 12, 100.0 * i)
    add("l1", "Low", 2024, 6, 600.0)
    add("l2", "Low", 2024, 12, 300.0)
    add("g1", "Gone", 2023, 12, 700.0)
    add("g1b", "High", 2023, 12, 700.0)
    return {"activity": act, "person_year": py, "person_currency": pc}


def _settings():
    return FinanceSettings.model_validate(
        {
            "tariffs": {
                "years": [2024],
                "outliers": {"method": "trim", "low_percentile": 5, "high_percentile": 95},
                "bootstrap": {"replicates": 200},
                "flags": {"min_people": 10},
            },
            "budget": {"uplift": 2},
        }
    )


@pytest.fixture(scope="module", params=ENGINES)
def tariffs(request, tmp_path_factory):
    store = Store(connect(request.param, tmp_path_factory.mktemp(f"tariff-{request.param}")))
    load(store, _people())
    run_tariffs(store, _settings(), E.service_map())
    frame = store.to_pandas(store.table("tariff")).set_index("value")
    return store, frame


def test_trimming_at_the_95th_percentile_removes_exactly_the_named_rows(tariffs):
    store, t = tariffs
    high = t.loc["High"]
    assert (high.people, high.people_trimmed) == (20, 2)
    assert (high.low_threshold_pence, high.high_threshold_pence) == (19_500, 190_500)
    assert high.tariff_pence == 105_000
    p = tf.people(
        store.table("person_year"), store.table("person_currency"), store.table("tariff_person")
    )
    treated = tf.treat(p, tf.thresholds(p, _settings().tariffs.outliers), "trim")
    gone = rows(store, treated.filter(~treated.kept).select("person_id"))
    assert [r["person_id"] for r in gone] == ["h1", "h20", "l1", "l2"]


def test_mean_is_weighted_by_months_registered(tariffs):
    _, t = tariffs
    assert t.loc["Low", "in_scope_mean_pence"] == 60_000
    assert t.loc["Low", "registered_years"] == 1.5


def test_trimming_everyone_leaves_no_tariff_and_says_so(tariffs):
    _, t = tariffs
    low = t.loc["Low"]
    assert low.people_trimmed == 2 and low.small
    assert "every person was removed by trimming" in low.note


def test_the_bridge_shows_each_step(tariffs):
    store, _ = tariffs
    b = store.to_pandas(store.table("tariff_bridge"))
    high = b[b.value == "High"].sort_values("step_order")
    # raw mean includes £10 of GP care each; the map leaves it out; trimming; 2 % uplift
    assert list(high.amount_pence) == [106_000, 105_000, 105_000, 107_100]
    assert list(high.change_pence.fillna(0)) == [0, -1_000, 0, 2_100]


def test_a_value_with_no_people_has_no_tariff_and_says_why(tariffs):
    _, t = tariffs
    gone = t.loc["Gone"]
    assert gone.people == 0 and gone.small
    assert gone.tariff_pence is None or gone.tariff_pence != gone.tariff_pence
    assert "no tariff can be set" in gone.note


def test_small_values_are_flagged_with_people_and_interval(tariffs):
    _, t = tariffs
    assert t.loc["Low", "small"] and "only 2 people" in t.loc["Low", "note"]
    high = t.loc["High"]
    assert high.ci_low_pence <= high.tariff_pence <= high.ci_high_pence


def _pieces(method: str, **outliers):
    thr_settings = Outliers(method=method, **outliers)

    def expression(store):
        p = store.table("spec_people")
        treated = tf.treat(p, tf.thresholds(p, thr_settings), method)
        return treated.select("person_id", "kept", "adjusted", "cost_in", "treated", "pooled")

    return expression


def _spec_people():
    return [
        {
            "person_id": f"h{i}",
            "fy": 2024,
            "currency": "level",
            "value": "High",
            "value_order": 2,
            "months": 12 if i != 20 else 6,
            "cost_all": 10_000 * i,
            "cost_in": 10_000 * i,
        }
        for i in range(1, 21)
    ]


def test_cap_and_pool_conserves_cost(store):
    # cap £1,500 a year: h16–h19 pay £1,500 and pool the rest; h20 (6 months, £2,000 =
    # £4,000 a year) is capped at £750 for its half year and pools £1,250
    people = _spec_people()
    spec_test(
        store,
        {"spec_people": people},
        _pieces("cap_and_pool", cap=1500),
        [
            {
                "person_id": f"h{i}",
                "adjusted": i >= 16,
                "treated": min(10_000 * i, 150_000) if i < 20 else 75_000,
                "pooled": max(10_000 * i - 150_000, 0) if i < 20 else 125_000,
            }
            for i in range(1, 21)
        ],
    )
    got = rows(store, _pieces("cap_and_pool", cap=1500)(store))
    assert sum(r["treated"] + r["pooled"] for r in got) == sum(p["cost_in"] for p in people)


def test_winsorising_sets_the_named_rows_to_the_threshold(store):
    people = [dict(p, months=12) for p in _spec_people()]
    spec_test(
        store,
        {"spec_people": people},
        _pieces("winsorise", low_percentile=5, high_percentile=95),
        [{"person_id": "h1", "treated": 19_500}, {"person_id": "h20", "treated": 190_500}]
        + [{"person_id": f"h{i}", "treated": 10_000 * i} for i in range(2, 20)],
    )
