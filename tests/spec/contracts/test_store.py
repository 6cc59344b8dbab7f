"""The settlement tables in the store, on every engine: statements per party, replacing a
contract's rows keeps the others, the outturn read from the money stage's reconciliation."""

from __future__ import annotations

import math
from datetime import date

import pytest

from tests.spec import load, rows
from yearofcare.contracts import sources
from yearofcare.contracts.run import SettleOptions, SimulateOptions, run_settle, run_simulate


def test_statement_rows_per_party_and_step(store):
    run_settle(store, SettleOptions(examples=("whittington",)))
    lines = store.table("settlement")
    got = rows(
        store,
        lines.filter((lines.period == "2012/13") & (lines.term == "marginal_rate")).select(
            "party", "money_in_pence", "money_out_pence", "share_pence", "position_after_pence"
        ),
        order_by=["party"],
    )
    # +£5m activity: commissioners pay 30 % (£1.5m) to Whittington, which carries £3.5m
    assert got == [
        {
            "party": "commissioners",
            "money_in_pence": 0,
            "money_out_pence": 150_000_000,
            "share_pence": -150_000_000,
            "position_after_pence": -150_000_000,
        },
        {
            "party": "whittington",
            "money_in_pence": 150_000_000,
            "money_out_pence": 0,
            "share_pence": -350_000_000,
            "position_after_pence": -350_000_000,
        },
    ]


def test_settling_again_replaces_only_that_contract(store):
    run_settle(store, SettleOptions(examples=("lewisham", "aqc")))
    run_settle(store, SettleOptions(examples=("aqc",), quality_level=("5",), outturn=("9.6m",)))
    contracts = store.table("settlement_contract")
    got = rows(store, contracts.select("contract_id", "period", "outturn_pence", "quality_level"))
    assert got == [
        {
            "contract_id": "aqc-blue-cross",
            "period": "year 1",
            "outturn_pence": 960_000_000,
            "quality_level": 5,
        },
        {
            "contract_id": "lewisham-diabetes-pathway",
            "period": "2013/14",
            "outturn_pence": 330_000_000,
            "quality_level": None,
        },
        {
            "contract_id": "lewisham-diabetes-pathway",
            "period": "2014/15",
            "outturn_pence": 295_000_000,
            "quality_level": None,
        },
    ]


RECONCILIATION_ROWS = [
    # cohort × fy × month total rows, as the money stage writes them (pence)
    {
        "cohort_id": "ltc3",
        "fy": 2025,
        "month": 11,
        "level": "total",
        "provider_code": "ALL",
        "setting": "ALL",
        "ytd_actual_pence": 1_000_000_000,
        "forecast_outturn_pence": 1_100_000_000,
        "complete": True,
    },
    {
        "cohort_id": "ltc3",
        "fy": 2025,
        "month": 12,
        "level": "total",
        "provider_code": "ALL",
        "setting": "ALL",
        "ytd_actual_pence": 1_150_000_000,
        "forecast_outturn_pence": 1_150_000_000,
        "complete": True,
    },
    {
        "cohort_id": "ltc3",
        "fy": 2025,
        "month": 12,
        "level": "provider",
        "provider_code": "RX1",
        "setting": "ALL",
        "ytd_actual_pence": 1,
        "forecast_outturn_pence": 1,
        "complete": True,
    },
    {
        "cohort_id": "ltc3",
        "fy": 2026,
        "month": 4,
        "level": "total",
        "provider_code": "ALL",
        "setting": "ALL",
        "ytd_actual_pence": 400_000_000,
        "forecast_outturn_pence": 1_250_000_000,
        "complete": True,
    },
]


def test_outturn_read_from_the_reconciliation(store, tmp_path):
    load(store, {"reconciliation": RECONCILIATION_ROWS})
    terms = tmp_path / "terms.yaml"
    terms.write_text(
        "contract: rec\nname: From the reconciliation\n"
        "parties: {icb: {name: ICB, role: commissioner}, p: {name: P, role: provider}}\n"
        "holder: p\nperiods: [{id: 2025/26, baseline: 12m}, {id: 2026/27, baseline: 12m}]\n"
        "apply: [half]\nmechanisms: {half: {type: gain_loss, shares: {icb: 50, p: 50}}}\n",
        encoding="utf-8",
    )
    run_settle(store, SettleOptions(terms=(str(terms),)))
    c = store.table("settlement_contract")
    got = rows(store, c.select("period", "outturn_pence", "inputs_source"), order_by=["period"])
    # 2025/26: month 12 of a complete year → the actual; 2026/27: the forecast at month 4
    assert got == [
        {
            "period": "2025/26",
            "outturn_pence": 1_150_000_000,
            "inputs_source": "outturn from reconciliation (actual outturn)",
        },
        {
            "period": "2026/27",
            "outturn_pence": 1_250_000_000,
            "inputs_source": "outturn from reconciliation (forecast outturn at month 4)",
        },
    ]


def test_exposure_table(store):
    run_simulate(
        store,
        SimulateOptions(
            examples=("aqc",), quality_level=("5",), mean="10m", spread="5%", draws=2_000
        ),
    )
    e = store.table("settlement_exposure")
    got = rows(store, e.select("party", "draws", "prob_loss", "mean"), order_by=["party"])
    assert [r["party"] for r in got] == ["payer", "provider_group"]
    assert all(r["draws"] == 2_000 for r in got)
    # at level 5 the provider keeps 80 % of any surplus and carries 20 % of any overspend,
    # plus a £1m premium: with an outturn spread of 5 % (sd £500k) it cannot lose, and its
    # mean is £1m + 0.8·E[surplus] − 0.2·E[overspend] = £1m + 0.3·E|X|, E|X| = £500k·√(2/π)
    assert got[1]["prob_loss"] == 0
    assert got[1]["mean"] == pytest.approx(
        1_000_000 + 0.3 * 500_000 * math.sqrt(2 / math.pi), rel=0.03
    )


PERSON_YEAR = [
    # people with 2+ LTCs in 2025 are the cohort; 2024 sets the one-tariff budget
    {"person_id": "a", "fy": 2024, "ltc_count": 2, "cost_total": 10_000.0},
    {"person_id": "b", "fy": 2024, "ltc_count": 3, "cost_total": 30_000.0},
    {"person_id": "c", "fy": 2024, "ltc_count": 1, "cost_total": 99_000.0},
    {"person_id": "a", "fy": 2025, "ltc_count": 2, "cost_total": 12_000.0},
    {"person_id": "b", "fy": 2025, "ltc_count": 3, "cost_total": 80_000.0},
    {"person_id": "d", "fy": 2025, "ltc_count": 4, "cost_total": 61_000.5},
    {"person_id": "c", "fy": 2025, "ltc_count": 1, "cost_total": 500_000.0},
]


def test_cohort_from_person_year(store, tmp_path):
    load(store, {"person_year": PERSON_YEAR})
    terms = tmp_path / "terms.yaml"
    terms.write_text(
        "contract: cohort\nname: Cohort\n"
        "parties: {icb: {name: ICB, role: commissioner}, p: {name: P, role: provider}}\n"
        "holder: p\nperiods: [{id: 2025/26, baseline: 60k}]\n"
        "apply: [stop]\nmechanisms: {stop: {type: stop_loss, threshold: 50k, party: icb}}\n",
        encoding="utf-8",
    )
    run_settle(store, SettleOptions(terms=(str(terms),), min_ltc=2))
    fig = store.table("settlement_figure")
    got = {r["figure"]: r["value_pence"] for r in rows(store, fig.select("figure", "value_pence"))}
    # outturn: 12,000 + 80,000 + 61,000.50 (person c has 1 LTC); above £50k: 30,000 + 11,000.50
    assert got["outturn"] == 15_300_050  # £12,000 + £80,000 + £61,000.50 = £153,000.50
    assert got["excess_stop"] == 4_100_050  # (£80,000 − £50k) + (£61,000.50 − £50k)
    party = store.table("settlement_party")
    acc = {
        r["party"]: r["gain_loss_pence"]
        for r in rows(store, party.select("party", "gain_loss_pence"))
    }
    # the ICB meets £41,000.50; the provider: £60k baseline − £153,000.50 + £41,000.50
    assert acc == {"icb": -4_100_050, "p": 6_000_000 - 15_300_050 + 4_100_050}


def test_quality_level_and_achievement_from_the_outcomes_stage(store, tmp_path):
    achievement = [
        {"fy": 2025, "measure": "ltc6_q1_top", "achievement_percent": 80.0, "quality_level": 5},
        {"fy": 2025, "measure": "other", "achievement_percent": 10.0, "quality_level": 5},
    ]
    load(store, {"outcome_achievement": achievement})
    terms = tmp_path / "terms.yaml"
    terms.write_text(
        "contract: oc\nname: Outcomes\n"
        "parties: {icb: {name: ICB, role: commissioner}, p: {name: P, role: provider}}\n"
        "holder: p\nperiods: [{id: 2025/26, baseline: 1m}]\napply: [w, q]\n"
        "mechanisms:\n"
        "  w: {type: outcome_withhold, amount: 100k, measures: [{id: ltc6_q1_top, weight: 100,"
        " rule: proportional}]}\n"
        "  q: {type: quality_share, levels: {5: {premium: 10, overspend: 20, surplus: 80}}}\n",
        encoding="utf-8",
    )
    run_settle(store, SettleOptions(terms=(str(terms),), outturn=("900k",)))
    c = store.table("settlement_contract")
    (got,) = rows(store, c.select("quality_level", "inputs_source"))
    assert got["quality_level"] == 5
    assert got["inputs_source"] == (
        "outturn from --outturn; ltc6_q1_top, quality_level from outcome_achievement"
    )
    fig = store.table("settlement_figure")
    figures = {
        r["figure"]: r["value_pence"] for r in rows(store, fig.select("figure", "value_pence"))
    }
    # 80 % of the £100k withhold earned; level 5 premium 10 % of £1m
    assert figures["earned"] == 8_000_000 and figures["premium"] == 10_000_000


REGISTER = {
    "cohort_member": [
        # a: member all year; b: joined in the year; c: left before it began
        {"cohort_id": "ltc3", "person_id": "a", "join_date": date(2024, 4, 1)},
        {"cohort_id": "ltc3", "person_id": "b", "join_date": date(2025, 10, 1)},
        {
            "cohort_id": "ltc3",
            "person_id": "c",
            "join_date": date(2023, 4, 1),
            "leave_date": date(2025, 3, 31),
        },
    ],
    "activity": [
        {"activity_id": "1", "person_id": "a"},
        {"activity_id": "2", "person_id": "a"},
        {"activity_id": "3", "person_id": "b"},
        {"activity_id": "4", "person_id": "c"},
    ],
    "activity_tag": [
        {"activity_id": "1", "cohort_id": "ltc3", "fy": 2025, "cost_pence": 6_000_000, "inside": True},
        {"activity_id": "2", "cohort_id": "ltc3", "fy": 2025, "cost_pence": 500_000, "inside": False},
        {"activity_id": "3", "cohort_id": "ltc3", "fy": 2025, "cost_pence": 250_000, "inside": True},
        {"activity_id": "4", "cohort_id": "ltc3", "fy": 2025, "cost_pence": 900_000, "inside": True},
    ],
    "person_year": [
        {"person_id": "a", "fy": 2024, "cost_total": 70_000.0},
        {"person_id": "c", "fy": 2024, "cost_total": 1_000.0},
    ],
}  # fmt: skip


def test_a_register_cohort_settles_on_its_members_costs(store, tmp_path):
    """A contract for a money-stage cohort (--cohort) takes the outturn from its reconciliation
    and each member's cost from the activity tagged inside its budget, for the stop-loss."""
    load(store, {"reconciliation": RECONCILIATION_ROWS, **REGISTER})
    costs = sources.register_costs(store, "ltc3", 2025)
    # a: £60,000 inside (the £5,000 outside is not the budget's); b: £2,500; c left in 2024/25
    assert sorted(costs.costs.tolist()) == [2_500.0, 60_000.0]
    assert sorted(costs.prior_costs.tolist()) == [0.0, 70_000.0]
    assert costs.prior_excess(50_000) == (70_000 - 50_000) / 2 * 2
    terms = tmp_path / "terms.yaml"
    terms.write_text(
        "contract: stop\nname: Stop-loss on the register\n"
        "parties: {icb: {name: ICB, role: commissioner}, p: {name: P, role: provider}}\n"
        "holder: p\nperiods: [{id: 2025/26, baseline: 12m}]\n"
        "apply: [half]\nmechanisms: {half: {type: gain_loss, shares: {icb: 50, p: 50}}}\n",
        encoding="utf-8",
    )
    run_settle(store, SettleOptions(terms=(str(terms),), cohort="ltc3"))
    c = store.table("settlement_contract")
    got = rows(store, c.select("outturn_pence", "inputs_source"))
    assert got[0]["outturn_pence"] == 1_150_000_000
    assert "register of cohort ltc3" in got[0]["inputs_source"]
