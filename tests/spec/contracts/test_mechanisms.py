"""Each mechanism on a hand-worked case: a commissioner (icb) and a provider (prov), baseline
£1,000,000 (1 % = £10,000), answers written as arithmetic."""

from __future__ import annotations

import pytest

from tests.spec.contracts.helpers import D, gains, inputs, pooled, settle_one, two_party
from yearofcare.contracts.money import DECIMAL, split
from yearofcare.contracts.settle import settle
from yearofcare.contracts.terms import terms_from_dict

K = D(1_000)
TIERS = {
    "type": "tiered_shares",
    "bands": [
        {"from": 0, "to": 2, "shares": {"prov": 100}},
        {"from": 2, "to": 5, "shares": {"prov": 50, "icb": 50}},
        {"from": 5, "shares": {"icb": 100}},
    ],
}
HALF = {"type": "gain_loss", "shares": {"prov": 50, "icb": 50}}


def test_tiered_shares_overspend_and_underspend():
    data = two_party({"tiers": TIERS})
    # 7 % overspend (−£70k): first 2 % provider, next 3 % half each, the last 2 % the ICB
    assert gains(settle_one(data, 1_070_000)) == {
        "prov": -20 * K - 15 * K,
        "icb": -15 * K - 20 * K,
    }
    # 1 % underspend stays inside band 1: all the provider's
    assert gains(settle_one(data, 990_000)) == {"prov": 10 * K, "icb": 0}


def test_tiered_asymmetric_with_a_capped_top_band():
    data = two_party(
        {
            "tiers": {
                "type": "tiered_shares",
                "overspend": [{"from": 0, "to": 3, "shares": {"icb": 100}}],
                "underspend": [{"from": 0, "shares": {"icb": 40, "prov": 60}}],
            }
        }
    )
    over = settle_one(data, 1_050_000)
    # the ICB meets the first 3 % (£30k); the £20k beyond the cap stays with the holder
    assert gains(over) == {"icb": -30 * K, "prov": -20 * K}
    assert over.periods[0].figures["remaining_variance"] == -20 * K
    assert gains(settle_one(data, 950_000)) == {"icb": 20 * K, "prov": 30 * K}


@pytest.mark.parametrize(
    ("outturn", "expected"),
    [
        # within ±1 %: the provider keeps it all
        (1_005_000, {"prov": -5 * K, "icb": 0}),
        # beyond: the first £10k is the provider's, the other £40k shared half each
        (1_050_000, {"prov": -10 * K - 20 * K, "icb": -20 * K}),
    ],
)
def test_risk_corridor_beyond(outturn, expected):
    data = two_party({"corridor": {"type": "risk_corridor", "width": "1%"}, "share": HALF})
    assert gains(settle_one(data, outturn)) == expected


def test_minimum_savings_rate_shares_from_the_first_pound():
    data = two_party(
        {"msr": {"type": "risk_corridor", "width": "1%", "mode": "minimum_rate"}, "share": HALF}
    )
    assert gains(settle_one(data, 995_000)) == {"prov": 5 * K, "icb": 0}
    assert gains(settle_one(data, 950_000)) == {"prov": 25 * K, "icb": 25 * K}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        # costs above £50k: (60k − 50k) + (120k − 50k) = £80k, all met by the ICB
        ({}, {"icb": -80 * K, "prov": 0}),
        # the ICB meets 90 %: £72k; the provider keeps £8k of the £80k overspend
        ({"share": 90}, {"icb": -72 * K, "prov": -8 * K}),
        # £50k of the baseline was for those costs: handed to the ICB, which meets £80k
        ({"funded_in_baseline": "50k"}, {"icb": 50 * K - 80 * K, "prov": -80 * K + 30 * K}),
    ],
)
def test_stop_loss(extra, expected):
    term = {"type": "stop_loss", "threshold": "50k", "party": "icb", **extra}
    s = settle_one(two_party({"stop": term}), 1_080_000, costs=[60_000, 120_000, 40_000])
    assert gains(s) == expected


def test_stop_loss_without_person_costs_names_the_term():
    data = two_party({"stop": {"type": "stop_loss", "threshold": "50k", "party": "icb"}})
    with pytest.raises(Exception, match=r"term 'stop'.*cost above £50,000 per person is not known"):
        settle_one(data, 1_000_000)


def test_contingency_meets_overspend_first():
    data = two_party(
        {"cont": {"type": "contingency", "amount": "2%", "held_by": "icb", "unused": "return"}}
    )
    # £20k held by the ICB; overspend £10k against £1m is £30k against the £980k budget;
    # the contingency meets £20k of it, the provider the other £10k
    over = settle_one(data, 1_010_000)
    assert gains(over) == {"icb": 20 * K - 20 * K, "prov": -10 * K}
    assert over.periods[0].figures["provider_budget"] == 980 * K


def test_unused_contingency_returned():
    data = two_party({"cont": {"type": "contingency", "amount": "20k", "unused": "return"}})
    # held by the provider (holder); £50k underspend: £30k against its £980k budget plus the
    # unused £20k, returned to the ICB
    assert gains(settle_one(data, 950_000)) == {"icb": 20 * K, "prov": 50 * K - 20 * K}


WITHHOLD = {
    "type": "outcome_withhold",
    "amount": "10%",
    "measures": [
        {"id": "a", "weight": 50, "rule": "proportional", "threshold": 50},
        {"id": "b", "weight": 30, "rule": "all_or_nothing", "target": 90},
        {
            "id": "c",
            "weight": 20,
            "rule": "steps",
            "steps": [{"at": 50, "pay": 25}, {"at": 75, "pay": 75}, {"at": 100, "pay": 100}],
        },
    ],
}


@pytest.mark.parametrize(
    ("achieved", "earned"),
    [
        # a: 80 % of £50k; b: 85 < 90 → nothing; c: 80 reaches the 75 step → 75 % of £20k
        ({"a": 80, "b": 85, "c": 80}, 40 * K + 0 + 15 * K),
        # a below its 50 % threshold pays nothing; b met; c at 50 → 25 % of £20k
        ({"a": 40, "b": 90, "c": 50}, 0 + 30 * K + 5 * K),
        ({"a": 100, "b": 100, "c": 100}, 100 * K),
    ],
)
def test_outcome_withhold_partial_achievement(achieved, earned):
    s = settle_one(two_party({"w": WITHHOLD}), 900_000, achievement=achieved)
    # £100k held back; the provider spends exactly the £900k left
    assert s.periods[0].figures["earned"] == earned
    assert gains(s) == {"prov": earned, "icb": 100 * K - earned}


def test_missing_achievement_names_the_measure():
    with pytest.raises(Exception, match=r"no achievement was given for outcome measure 'a'"):
        settle_one(two_party({"w": WITHHOLD}), 900_000, achievement={"b": 100, "c": 100})


def test_carry_forward_between_periods_with_limits():
    data = two_party(
        {
            "carry": {"type": "carry_forward", "max_underspend": "20k", "max_overspend": "2%"},
            "share": HALF,
        },
        periods=[{"id": "P1", "baseline": 1_000_000}, {"id": "P2", "baseline": 1_000_000}],
    )
    loaded = terms_from_dict(data)
    s = settle(loaded, {"P1": inputs(950_000), "P2": inputs(1_010_000)})
    p1, p2 = s.periods
    # P1: £50k underspend, £20k carried, £30k shared
    assert p1.figures["carried_out"] == 20 * K
    assert gains(s, 0) == {"prov": 15 * K, "icb": 15 * K}
    # P2: −£10k + £20k carried in = +£10k; last period, nothing carried; shared
    assert p2.figures["carried_in"] == 20 * K
    assert gains(s, 1) == {"prov": 5 * K, "icb": 5 * K}
    total = sum(gains(s, 0).values()) + sum(gains(s, 1).values())
    assert total == (1_000_000 - 950_000) + (1_000_000 - 1_010_000)


def test_pool_over_and_underspend_apportioned():
    mechanisms = {
        "share": {"type": "gain_loss", "shares": {"prov": 40, "s75": 60}},
        "apportion": {"type": "apportion", "underspend": {"icb": 50, "council": 50}},
    }
    data = pooled(mechanisms, ["share", "apportion"])
    # overspend £100k: provider 40 %, pool 60 % (£60k) met in proportion to 750:250
    assert gains(settle_one(data, 1_100_000)) == {
        "icb": -60 * K * 3 / 4,
        "council": -60 * K / 4,
        "prov": -40 * K,
        "s75": 0,
    }
    # underspend £100k: the pool's £60k returned half each, as agreed
    assert gains(settle_one(data, 900_000)) == {
        "icb": 30 * K,
        "council": 30 * K,
        "prov": 40 * K,
        "s75": 0,
    }


def test_underwriting_of_losses_only():
    data = two_party({"uw": {"type": "underwriting", "party": "icb", "covers": "loss"}})
    assert gains(settle_one(data, 1_100_000)) == {"icb": -100 * K, "prov": 0}
    assert gains(settle_one(data, 900_000)) == {"icb": 0, "prov": 100 * K}


def test_saving_then_share_and_a_fixed_payment():
    data = two_party(
        {
            "qipp": {"type": "saving", "amount": "5%"},
            "share": HALF,
            "topup": {"type": "payment", "amount": "10k"},
        }
    )
    s = settle_one(data, 950_000)
    # £50k saving kept by the ICB; outturn meets the £950k budget; £10k top-up to the provider
    assert gains(s) == {"icb": 50 * K - 10 * K, "prov": 10 * K}
    assert s.periods[0].figures["planned_payment"] == 1_000_000 - 50 * K + 10 * K


def test_cap_and_collar_limits():
    data = two_party(
        {"cc": {"type": "cap_and_collar", "marginal_rate": 30, "cap": "1%", "collar": "5k"}}
    )
    # +£100k activity: 30 % is £30k, capped at £10k above the baseline
    assert gains(settle_one(data, 1_100_000)) == {"icb": -10 * K, "prov": -90 * K}
    # −£100k activity: 30 % is £30k back, collared at £5k
    assert gains(settle_one(data, 900_000)) == {"icb": 5 * K, "prov": 95 * K}


def test_term_not_in_force_in_a_period():
    data = two_party(
        {"share": {**HALF, "periods": ["P2"]}},
        periods=[{"id": "P1", "baseline": 1_000_000}, {"id": "P2", "baseline": 1_000_000}],
    )
    s = settle(terms_from_dict(data), {"P1": inputs(900_000), "P2": inputs(900_000)})
    assert gains(s, 0) == {"prov": 100 * K, "icb": 0}
    assert gains(s, 1) == {"prov": 50 * K, "icb": 50 * K}
    assert "not in force in P1" in s.periods[0].state.lines[3].description


def test_rounding_rule_half_up_and_the_largest_share_takes_the_rest():
    # 30 % of £0.05 = £0.015 → £0.02 (half away from zero); −£0.015 → −£0.02
    assert DECIMAL.pct(D("0.05"), D(30)) == D("0.02")
    assert DECIMAL.pct(D("-0.05"), D(30)) == D("-0.02")
    # £1.00 in thirds: 33.33 % and 33.33 % round to £0.33 each, the largest (34 %) takes £0.34
    assert split(DECIMAL, D("1.00"), [D("33.34"), D("33.33"), D("33.33")]) == [
        D("0.34"),
        D("0.33"),
        D("0.33"),
    ]
    # 1p half and half: the second part rounds half up to 1p; the first (largest on a tie)
    # takes the rest, 0p; the parts add up to the penny split
    assert split(DECIMAL, D("0.01"), [D(50), D(50)]) == [D("0.00"), D("0.01")]
