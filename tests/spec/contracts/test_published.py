"""The published worked examples, reproduced exactly.

- Lewisham diabetes pathway budget (DH 2012 annex 3.3.1): £3.6m spend → £3.0m commissioner
  payment, £50k contingency = 1.7 %, £2.95m provider budget, I/C ratio 3/2.95 = 1.017,
  £3.3m transition payment in 2013-14.
- Blue Cross AQC (DH 2012 annex 4.3): premium by level (1 = 2 % … 5 = 10 %); level 1 carries
  80 % of an overspend and keeps 20 % of a surplus, level 5 carries 20 % and keeps 80 %.
- Whittington (DH 2012 annex 4.2): changes in acute activity paid at a 30 % marginal rate.
- LGA 2019 "Sharing risks and rewards": gain or loss = baseline − outturn.
"""

from __future__ import annotations

import pytest

from tests.spec import rows
from tests.spec.contracts.helpers import D, gains, inputs, settle_one, two_party
from yearofcare.contracts.inputs import load_inputs, period_inputs
from yearofcare.contracts.run import SettleOptions, example, run_settle
from yearofcare.contracts.settle import settle
from yearofcare.contracts.terms import load_terms

M = D(1_000_000)
K = D(1_000)


def _example(name: str):
    terms, inputs = example(name)
    loaded = load_terms(terms)
    typed = load_inputs(inputs)
    return settle(loaded, {p.id: period_inputs(typed, p.id) for p in loaded.terms.periods})


def test_lewisham_pathway_budget():
    s = _example("lewisham")
    transition, affordable = (r.figures for r in s.periods)
    # 2014/15: £3.6m − £300k QIPP saving − £300k incentives = £3.0m commissioner payment
    assert affordable["baseline"] == D("3.6") * M
    assert affordable["planned_payment"] == D("3.6") * M - 300 * K - 300 * K == 3 * M
    # £50k contingency inside the JMB: provider budget £3.0m − £50k = £2.95m
    assert affordable["contingency"] == 50 * K
    assert affordable["provider_budget"] == 3 * M - 50 * K == D("2.95") * M
    # "a 1.7% contingency": £50k / £3m = 1.67 % → 1.7 % (one place, half up)
    assert affordable["contingency_percent"] == D("1.7")
    # I/C ratio 3/2.95 = 1.01695 → 1.017
    assert affordable["income_to_cost_ratio"] == D("1.017")
    assert (3 * M / (D("2.95") * M)).quantize(D("0.001")) == D("1.017")
    # 2013/14: transition payment £3.3m = £3m + £0.3m incentive payments
    assert transition["planned_payment"] == 3 * M + D("0.3") * M == D("3.3") * M
    assert transition["payment"] == D("3.3") * M


def test_lewisham_statement_steps_name_the_terms():
    s = _example("lewisham")
    lines = s.periods[1].state.lines
    assert [ln.term for ln in lines] == [
        "budget",
        "baseline",
        "outturn",
        "qipp_saving",
        "provider_incentives",
        "provider_incentives",
        "contingency",
        "contingency",
        "contingency",
        "remainder",
    ]
    by_kind = {ln.kind: ln for ln in lines}
    assert by_kind["saving"].payment_after == D("3.3") * M
    assert by_kind["outcome_withhold"].payment_after == 3 * M
    assert by_kind["contingency"].target_after == D("2.95") * M


@pytest.mark.parametrize(
    ("level", "premium_pct", "overspend_pct", "surplus_pct"),
    [(1, 2, 80, 20), (5, 10, 20, 80)],
)
@pytest.mark.parametrize("outturn", ["overspend", "surplus"])
def test_aqc_levels_1_and_5(level, premium_pct, overspend_pct, surplus_pct, outturn):
    terms, _ = example("aqc")
    loaded = load_terms(terms)
    budget = 10 * M  # the example's global budget
    actual = D("10.5") * M if outturn == "overspend" else D("9.5") * M
    s = settle(loaded, {"year 1": inputs(actual, level=level)})
    g = gains(s)
    premium = budget * premium_pct / 100
    variance = budget - actual  # −£500k overspend or +£500k surplus
    provider_pct = overspend_pct if variance < 0 else surplus_pct
    provider_share = variance * provider_pct / 100
    assert s.periods[0].figures["premium"] == premium
    assert g["provider_group"] == provider_share + premium
    assert g["payer"] == (variance - provider_share) - premium
    # level 1 overspend: provider −£400k + £200k premium; level 5 surplus: +£400k + £1m
    expected = {
        (1, "overspend"): -200 * K,
        (1, "surplus"): 300 * K,
        (5, "overspend"): 900 * K,
        (5, "surplus"): D("1.4") * M,
    }
    assert g["provider_group"] == expected[(level, outturn)]


def test_aqc_levels_between_are_never_guessed():
    terms, _ = example("aqc")
    with pytest.raises(Exception, match=r"level 3 has no overspend or surplus share defined"):
        settle(load_terms(terms), {"year 1": inputs(10 * M, level=3)})


def test_whittington_marginal_rate_on_a_rise_and_a_fall():
    s = _example("whittington")
    rise, fall = s.periods
    # 2012/13: acute activity rises £5m above the £100m baseline: commissioners pay 30 %
    assert rise.figures["payment"] == 100 * M + D("0.30") * 5 * M == D("101.5") * M
    assert rise.parties["whittington"]["gain_loss"] == -5 * M * D("0.70") == D("-3.5") * M
    assert rise.parties["commissioners"]["gain_loss"] == D("-1.5") * M
    # 2013/14: activity falls £5m: the payment falls by 30 % of it; Whittington keeps 70 %
    assert fall.figures["payment"] == 100 * M - D("0.30") * 5 * M == D("98.5") * M
    assert fall.parties["whittington"]["gain_loss"] == D("3.5") * M
    assert fall.parties["commissioners"]["gain_loss"] == D("1.5") * M


def test_gain_loss_is_baseline_minus_outturn():
    """LGA 2019: gains and losses = baseline (expected cost) − out-turn (actual cost)."""
    data = two_party({"share": {"type": "gain_loss", "shares": {"icb": 50, "prov": 50}}})
    under = settle_one(data, 900_000)
    over = settle_one(data, 1_100_000)
    assert under.periods[0].figures["variance"] == 1_000_000 - 900_000 == 100 * K
    assert over.periods[0].figures["variance"] == 1_000_000 - 1_100_000 == -100 * K
    assert gains(under) == {"icb": 50 * K, "prov": 50 * K}  # a gain is positive
    assert gains(over) == {"icb": -50 * K, "prov": -50 * K}  # a loss is negative


@pytest.mark.duckdb_only(
    reason="the store round trip on PySpark is tests/spec/contracts/test_store.py"
)
def test_lewisham_settled_into_the_store(duck_store):
    """The same figures through `yoc settle --example lewisham` (the store's writes and reads on
    PySpark are covered by tests/spec/contracts/test_store.py)."""
    store = duck_store
    run_settle(store, SettleOptions(examples=("lewisham",)))
    fig = store.table("settlement_figure")
    got = rows(
        store,
        fig.filter(fig.period == "2014/15").select("figure", "value", "value_pence"),
        order_by=["figure"],
    )
    by = {r["figure"]: r for r in got}
    assert by["planned_payment"]["value_pence"] == 300_000_000
    assert by["provider_budget"]["value_pence"] == 295_000_000
    assert by["contingency"]["value_pence"] == 5_000_000
    assert by["income_to_cost_ratio"]["value"] == pytest.approx(1.017)
    assert by["contingency_percent"]["value"] == pytest.approx(1.7)
    party = store.table("settlement_party")
    acc = rows(store, party.select("period", "party", "gain_loss_pence"))
    assert {(r["period"], r["party"]): r["gain_loss_pence"] for r in acc} == {
        ("2013/14", "commissioners"): 30_000_000,
        ("2013/14", "jmb"): 0,
        ("2014/15", "commissioners"): 60_000_000,
        ("2014/15", "jmb"): 5_000_000,
    }
