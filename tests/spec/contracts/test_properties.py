"""Properties of settlement over random contracts and outturns (hypothesis).

Contracts are random orderings of random subsets of the mechanisms below, on a pooled budget
(ICB £750k + council £250k) held by a provider, over two periods.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.spec.contracts.helpers import D, inputs, pooled
from yearofcare.contracts.settle import settle
from yearofcare.contracts.terms import terms_from_dict

TEMPLATES = {
    "stop": {"type": "stop_loss", "threshold": "50k", "party": "s75"},
    "cont": {"type": "contingency", "amount": "1%", "held_by": "s75", "unused": "return"},
    "corr": {"type": "risk_corridor", "width": "0.5%"},
    "tiers": {
        "type": "tiered_shares",
        "bands": [
            {"from": 0, "to": 2, "shares": {"prov": 100}},
            {"from": 2, "to": 5, "shares": {"prov": 50, "s75": 50}},
            {"from": 5, "shares": {"s75": 100}},
        ],
    },
    "share": {
        "type": "gain_loss",
        "gain_shares": {"prov": 30, "s75": 70},
        "loss_shares": {"prov": 60, "s75": 40},
    },
    "cc": {"type": "cap_and_collar", "marginal_rate": 30, "payer": "s75", "cap": "2%"},
    "aqc": {
        "type": "quality_share",
        "payer": "s75",
        "levels": {1: {"premium": 2, "overspend": 80, "surplus": 20}},
    },
    "wh": {
        "type": "outcome_withhold",
        "amount": "3%",
        "payer": "s75",
        "measures": [{"id": "a", "weight": 100, "rule": "proportional"}],
    },
    "uw": {"type": "underwriting", "party": "s75", "covers": "loss"},
    "sav": {"type": "saving", "amount": "1%", "retained_by": "s75"},
    "pay": {"type": "payment", "amount": "5k", "from": "s75", "to": "prov"},
    "carry": {"type": "carry_forward", "max_underspend": "1%", "max_overspend": "15k"},
    "app": {"type": "apportion", "underspend": {"icb": 60, "council": 40}},
}
COSTS = [60_000, 75_000.5, 41_000]


def contract(order: list[str]) -> dict:
    return pooled({k: TEMPLATES[k] for k in order}, order, periods=2)


orders = st.lists(st.sampled_from(sorted(TEMPLATES)), min_size=1, max_size=8, unique=True).flatmap(
    st.permutations
)
pounds = st.decimals(min_value=700_000, max_value=1_300_000, places=2)
achieved = st.integers(min_value=0, max_value=100)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(order, o1, o2, a=100):
    loaded = terms_from_dict(contract(order))
    kw = {"level": 1, "achievement": {"a": a}, "costs": COSTS}
    return settle(loaded, {"P1": inputs(o1, **kw), "P2": inputs(o2, **kw)})


@SETTINGS
@given(order=orders, o1=pounds, o2=pounds, a=achieved)
def test_money_is_conserved(order, o1, o2, a):
    s = run(order, o1, o2, a)
    for r in s.periods:
        f, accounts = r.figures, r.parties
        gains = sum(acc["gain_loss"] for acc in accounts.values())
        # what the parties gain and lose adds up to the variance (± balances carried)
        assert gains == f["variance"] + f["carried_in"] - f["carried_out"]
        # what the parties pay each other, they receive: only the budget and care leave
        paid = sum(acc["paid"] for acc in accounts.values())
        received = sum(acc["received"] for acc in accounts.values())
        assert paid == received
        # the holder's gain is its net payment less the cost of care (± carried)
        prov = accounts["prov"]
        assert prov["gain_loss"] == f["payment"] - f["outturn"] + prov["carried"]
        # premiums, withholds and earned incentives are part of that payment, penny for penny
        moved = {ln.kind: ln.amount for ln in r.state.lines}
        if "quality_premium" in moved:
            assert f["premium"] == moved["quality_premium"]
        if "outcome_withhold" in moved:
            assert -moved["outcome_withhold"] == f["withheld"]
    for a_, b_ in zip(s.periods, s.periods[1:], strict=False):
        assert b_.figures["carried_in"] == a_.figures["carried_out"]


@SETTINGS
@given(order=orders, low=pounds, high=pounds)
def test_settlement_is_monotone_in_the_outturn(order, low, high):
    """A higher outturn never leaves a party better off, nor the provider paid less (each term
    here is monotone; the minimum savings rate, which jumps at its threshold, is left out).
    Rounding may move a party by a penny per line."""
    low, high = min(low, high), max(low, high)
    a, b = run(order, low, 1_000_000), run(order, high, 1_000_000)
    tolerance = D("0.01") * len(a.periods[0].state.lines)
    for party in a.periods[0].parties:
        assert (
            b.periods[0].parties[party]["gain_loss"]
            <= a.periods[0].parties[party]["gain_loss"] + tolerance
        )
    assert b.periods[0].figures["payment"] >= a.periods[0].figures["payment"] - tolerance


def _terms(s):
    return [ln.term for ln in s.periods[0].state.lines if ln.term in TEMPLATES]


def _lines(s, upto):
    return [
        (ln.term, ln.kind, ln.amount, ln.variance_after, ln.payment_after)
        for ln in s.periods[0].state.lines[:upto]
    ]


@SETTINGS
@given(order=orders.filter(lambda o: len(o) >= 2), o1=pounds, data=st.data())
def test_order_in_the_file_is_the_order_applied(order, o1, data):
    s = run(order, o1, 1_000_000)
    # the statement lists the terms in the order of `apply`
    assert list(dict.fromkeys(_terms(s))) == order
    # each term sees what the terms before it left: a shorter list is a prefix of the statement
    k = data.draw(st.integers(min_value=1, max_value=len(order) - 1))
    shorter = run(order[:k], o1, 1_000_000)
    n = len(shorter.periods[0].state.lines) - 1  # all but its closing remainder line
    assert _lines(shorter, n) == _lines(s, n)
    # swapping two neighbours swaps them in the statement and leaves the steps before alone
    i = data.draw(st.integers(min_value=0, max_value=len(order) - 2))
    swapped = [*order[:i], order[i + 1], order[i], *order[i + 2 :]]
    t = run(swapped, o1, 1_000_000)
    assert list(dict.fromkeys(_terms(t))) == swapped
    # the opening lines (two contributions, the baseline, the outturn) and the terms before i
    before = 4 + sum(1 for ln in s.periods[0].state.lines if ln.term in order[:i])
    assert _lines(t, before) == _lines(s, before)


def test_swapping_two_terms_changes_the_statement_as_worked_by_hand():
    """Stop-loss then tiers vs tiers then stop-loss, on a £1m budget overspent by £80k with
    £35k + £25.0005k... of cost above £50k (60k, 75,000.50, 41k → £10k + £25,000.50)."""
    excess = D("10000") + D("25000.50")
    first = run(["stop", "tiers"], 1_080_000, 1_000_000).periods[0].parties
    # stop-loss first: the pool meets £35,000.50; the £44,999.50 left is 4.49995 % → the
    # provider carries the first 2 % (£20k) and half of the rest (£12,499.75)
    left = 80_000 - excess
    assert first["prov"]["gain_loss"] == -(20_000 + (left - 20_000) / 2)
    then = run(["tiers", "stop"], 1_080_000, 1_000_000).periods[0].parties
    # tiers first on the whole 8 %: provider 2 % + 1.5 % = £35k; pool £45k; then the pool
    # meets the £35,000.50 above the threshold, which reaches the provider as a payment
    assert then["prov"]["gain_loss"] == -(20_000 + 15_000) + excess
    assert first["prov"]["gain_loss"] != then["prov"]["gain_loss"]
    assert Decimal(sum(a["gain_loss"] for a in first.values())) == -80_000
    assert Decimal(sum(a["gain_loss"] for a in then.values())) == -80_000
