"""Derived tables of the risk-share stage (`yoc settle`): statements and exposure.

Money is held exactly as whole pence (`*_pence`, int64): divide by 100 for pounds. Gains are
positive and losses negative (LGA 2019: gain or loss = baseline − outturn). The rounding rule
is stated in `yearofcare.contracts.money.ROUNDING_RULE` and on every statement.
"""

from __future__ import annotations

from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

_BY = "`yoc settle` (yearofcare.contracts)"
ROLES = ("commissioner", "local_authority", "provider", "pool")


def _contract() -> list[C]:
    return [
        C("contract_id", "string", "Contract id from the terms file.", nullable=False),
        C(
            "period",
            "string",
            "Settlement period id from the terms file (e.g. 2025/26).",
            nullable=False,
        ),
    ]


def _pence(name: str, desc: str, nullable: bool = False) -> C:
    return C(name, "int64", f"{desc}, in pence.", nullable=nullable)


def _run() -> C:
    return C(
        "run_id", "string", "The `yoc settle` run that wrote the row (see run_log).", nullable=False
    )


def _party() -> list[C]:
    return [
        C("party", "string", "Party id from the terms file.", nullable=False),
        C("party_name", "string", "The party's name.", nullable=False),
        C("role", "string", "The party's role.", nullable=False, allowed=ROLES),
    ]


settlement_contract = table(
    "settlement_contract",
    "one row per contract × period settled",
    "What was settled: the terms file, the baseline and outturn of each period and where the "
    "outturn and scores came from.",
    [
        *_contract(),
        C("contract_name", "string", "The contract's name.", nullable=False),
        C("terms_file", "string", "The terms file (or packaged example) settled."),
        C("terms_sha256", "string", "SHA-256 of the terms file, to tie a statement to its terms."),
        C("fy", "int16", "Financial year of the period when its id is written like 2025/26."),
        C("holder", "string", "Party that holds the budget and pays for care.", nullable=False),
        C("payer", "string", "Party that pays the budget.", nullable=False),
        _pence("baseline_pence", "Baseline (expected cost)"),
        _pence("outturn_pence", "Outturn (actual cost)"),
        C(
            "inputs_source",
            "string",
            "Where the outturn, quality level and achievements came from.",
        ),
        C("quality_level", "int16", "Quality level used, when a term needs one."),
        _run(),
    ],
    key=["contract_id", "period"],
    derived=True,
    produced_by=_BY,
)

settlement_step = table(
    "settlement_step",
    "one row per contract × period × statement step",
    "Every step from baseline to final payment, in the order the terms applied them, with the "
    "term that produced it and the running figures after it.",
    [
        *_contract(),
        C(
            "step",
            "int32",
            "Step number within the period (the order applied).",
            nullable=False,
            minimum=1,
        ),
        C(
            "term",
            "string",
            "The term (mechanism id) or opening line that produced the step.",
            nullable=False,
        ),
        C(
            "kind",
            "string",
            "Mechanism type or line kind (baseline, outturn, tiered_shares, …).",
            nullable=False,
        ),
        C(
            "phase",
            "string",
            "budget (sets the payment), settlement (depends on the outturn) or note.",
            nullable=False,
            allowed=("budget", "settlement", "note"),
        ),
        C("description", "string", "The step in words, with the rule applied.", nullable=False),
        _pence("amount_pence", "The step's amount (signed: a loss or deduction is negative)"),
        _pence(
            "variance_after_pence",
            "Variance still to share after the step (+ underspend, − overspend)",
        ),
        _pence(
            "target_after_pence",
            "The budget holder's cost target after the step (the provider budget)",
        ),
        _pence("payment_after_pence", "Net payment to the budget holder after the step"),
        _run(),
    ],
    key=["contract_id", "period", "step"],
    derived=True,
    produced_by=_BY,
)

settlement = table(
    "settlement",
    "one row per contract × period × step × party the step touches",
    "The settlement statement per party: for each step, the money into and out of the party, its "
    "share of the variance and its running gain (+) or loss (−) against plan.",
    [
        *_contract(),
        C("step", "int32", "Step number (joins settlement_step).", nullable=False, minimum=1),
        C("term", "string", "The term (mechanism id) that produced the step.", nullable=False),
        *_party(),
        C("counterparty", "string", "Who the money moved to or from (several joined by ', ')."),
        _pence("money_in_pence", "Money into the party at this step"),
        _pence("money_out_pence", "Money out of the party at this step"),
        _pence(
            "share_pence", "The part of the variance this step assigns to the party", nullable=True
        ),
        _pence(
            "position_after_pence", "The party's gain (+) or loss (−) against plan after the step"
        ),
        _run(),
    ],
    key=["contract_id", "period", "step", "party"],
    derived=True,
    produced_by=_BY,
)

settlement_party = table(
    "settlement_party",
    "one row per contract × period × party",
    "Each party's account for the period: budget, money received and paid, cost of care, "
    "balances carried, and the gain (+) or loss (−); across parties the gains and losses add up "
    "to baseline − outturn + carried in − carried out.",
    [
        *_contract(),
        *_party(),
        _pence("budget_pence", "Budget set aside (a commissioner's baseline or pool contribution)"),
        _pence("received_pence", "Money received from other parties"),
        _pence("paid_pence", "Money paid to other parties"),
        _pence("cost_pence", "Cost of care met (the outturn, for the budget holder)"),
        _pence("carried_pence", "Balance carried in (+) or out (−) between periods"),
        _pence("gain_loss_pence", "Gain (+) or loss (−) against plan"),
        _run(),
    ],
    key=["contract_id", "period", "party"],
    derived=True,
    produced_by=_BY,
)

settlement_figure = table(
    "settlement_figure",
    "one row per contract × period × figure",
    "Headline figures: baseline, outturn, variance, planned and final payment, provider budget, "
    "income-to-cost ratio, contingency %, premium, withheld and earned.",
    [
        *_contract(),
        C(
            "figure",
            "string",
            "Figure name (baseline, payment, income_to_cost_ratio, …).",
            nullable=False,
        ),
        C(
            "value",
            "float64",
            "The figure: pounds, a ratio, a percentage or a level (see unit).",
            nullable=False,
        ),
        _pence("value_pence", "The figure in pence when it is money", nullable=True),
        C(
            "unit",
            "string",
            "pounds, ratio, percent or level.",
            nullable=False,
            allowed=("pounds", "ratio", "percent", "level"),
        ),
        _run(),
    ],
    key=["contract_id", "period", "figure"],
    derived=True,
    produced_by=_BY,
)

settlement_exposure = table(
    "settlement_exposure",
    "one row per scenario × party",
    "Exposure before signing (`yoc settle --simulate`): each party's distribution of gain (+) / "
    "loss (−) in pounds over simulated outturns, for alternative terms on the same draws.",
    [
        C(
            "scenario",
            "string",
            "Scenario label: the contract, and the quality level when it varies.",
            nullable=False,
        ),
        C("contract_id", "string", "Contract id from the terms file.", nullable=False),
        C("period", "string", "Period simulated.", nullable=False),
        C("quality_level", "int16", "Quality level of the scenario, when the terms have one."),
        *_party(),
        C("draws", "int64", "Number of simulated outturns.", nullable=False, minimum=1),
        C("outturn_model", "string", "How the outturns were drawn.", nullable=False),
        C("mean", "float64", "Mean gain/loss, pounds.", nullable=False),
        C("sd", "float64", "Standard deviation, pounds.", nullable=False),
        C("p5", "float64", "5th percentile, pounds.", nullable=False),
        C("p25", "float64", "25th percentile, pounds.", nullable=False),
        C("median", "float64", "Median, pounds.", nullable=False),
        C("p75", "float64", "75th percentile, pounds.", nullable=False),
        C("p95", "float64", "95th percentile, pounds.", nullable=False),
        C(
            "prob_loss",
            "float64",
            "Probability of a loss (gain/loss below zero), 0–1.",
            nullable=False,
            minimum=0,
            maximum=1,
        ),
        C(
            "expected_shortfall",
            "float64",
            "Mean of the worst 5% of outcomes, pounds (negative = loss).",
            nullable=False,
        ),
        C("worst", "float64", "Worst simulated outcome, pounds.", nullable=False),
        C("best", "float64", "Best simulated outcome, pounds.", nullable=False),
        C(
            "mean_payment",
            "float64",
            "Mean net payment to the budget holder, pounds.",
            nullable=False,
        ),
        C(
            "notes",
            "string",
            "Assumptions of the scenario (assumed achievements, levels not simulated).",
        ),
        _run(),
    ],
    key=["scenario", "party"],
    derived=True,
    produced_by="`yoc settle --simulate` (yearofcare.contracts.simulate)",
)

TABLES = (
    settlement_contract,
    settlement_step,
    settlement,
    settlement_party,
    settlement_figure,
    settlement_exposure,
)
