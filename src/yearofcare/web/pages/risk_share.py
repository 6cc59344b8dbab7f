"""Risk share (finance; DH 2012 funding model annex 4, seed 004 §7.5): each contract's
settlement as stored by `yoc settle` — the statement per party, every step from baseline to
payment — the exposure comparison of `yoc settle --simulate` (each party's gain or loss over
the same simulated outturns, under each set of terms side by side), and a calculator.

The calculator settles a packaged sample contract (`yearofcare.contracts` examples: Lewisham,
Whittington, the Blue Cross AQC, tiered pooled) at an outturn typed on the page, in memory,
with the stage's own functions (`load_terms`, `load_inputs`, `add_options`, `settle`,
`settlement_rows`): nothing is written to the store, so it answers a GET.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from yearofcare.contracts.frames import settlement_rows
from yearofcare.contracts.inputs import Typed, add_options, load_inputs, period_inputs
from yearofcare.contracts.run import EXAMPLES, example
from yearofcare.contracts.settle import settle
from yearofcare.contracts.terms import load_terms
from yearofcare.errors import YocError
from yearofcare.reports.formats import money
from yearofcare.web import charts
from yearofcare.web.auth import ANALYST, FINANCE
from yearofcare.web.data import Snapshot
from yearofcare.web.pages.common import pounds
from yearofcare.web.registry import (
    ChartDef,
    Column,
    InputDef,
    Page,
    PageContext,
    PageData,
    TableView,
    register,
)

DEFAULT_EXAMPLE = "lewisham"


def examples(_snap: Snapshot) -> list[str]:
    return list(EXAMPLES)


def build(ctx: PageContext) -> PageData:
    snap = ctx.snap
    tables = [
        _contracts(snap.execute(snap.table("settlement_contract"))),
        _parties(snap.execute(snap.table("settlement_party")), "parties", "Each party's statement"),
        _steps(snap.execute(snap.table("settlement_step")), "steps", "Step by step"),
    ]
    notes = []
    if snap.exists("settlement_exposure"):
        tables.append(_exposure(snap.execute(snap.table("settlement_exposure"))))
    else:
        notes.append("Exposure comparison: run `yoc settle --simulate` with the terms to compare.")
    calc, error = calculator(ctx)
    tables.extend(calc)
    sources = ["settlement_contract", "settlement_party", "settlement_step", "settlement_exposure"]
    return PageData(tables=tables, notes=notes, sources=sources, error=error)


def _contracts(c: pd.DataFrame) -> TableView:
    c = c.sort_values(["contract_id", "period"]).assign(
        baseline=pounds(c.baseline_pence), outturn=pounds(c.outturn_pence)
    )
    return TableView(
        "contracts",
        "Contracts settled",
        [
            Column("contract_id", "Contract"),
            Column("contract_name", "Name"),
            Column("period", "Period"),
            Column("baseline", "Baseline", "pence"),
            Column("outturn", "Outturn", "pence"),
            Column("quality_level", "Quality level", "int"),
            Column("inputs_source", "Where the facts came from"),
            Column("terms_file", "Terms"),
        ],
        c,
    )


def _parties(p: pd.DataFrame, key: str, title: str) -> TableView:
    p = p.sort_values(["contract_id", "period", "party"]).copy()
    for c in ("budget", "received", "paid", "cost", "carried", "gain_loss"):
        p[c] = pounds(p[f"{c}_pence"])
    return TableView(
        key,
        title,
        [
            Column("contract_id", "Contract"),
            Column("period", "Period"),
            Column("party_name", "Party"),
            Column("role", "Role"),
            Column("budget", "Budget", "pence"),
            Column("received", "Received", "pence"),
            Column("paid", "Paid", "pence"),
            Column("cost", "Cost of care", "pence"),
            Column("carried", "Carried", "pence"),
            Column("gain_loss", "Gain (+) or loss (−)", "pence"),
        ],
        p,
    )


def _steps(s: pd.DataFrame, key: str, title: str) -> TableView:
    s = s.sort_values(["contract_id", "period", "step"]).copy()
    for c in ("amount", "variance_after", "payment_after"):
        s[c] = pounds(s[f"{c}_pence"])
    return TableView(
        key,
        title,
        [
            Column("contract_id", "Contract"),
            Column("period", "Period"),
            Column("step", "Step", "int"),
            Column("term", "Term"),
            Column("description", "What happens"),
            Column("amount", "Amount", "pence"),
            Column("variance_after", "Variance after", "pence"),
            Column("payment_after", "Payment to the holder after", "pence"),
        ],
        s,
    )


def _exposure(e: pd.DataFrame) -> TableView:
    e = e.sort_values(["scenario", "party"])
    return TableView(
        "exposure",
        "Exposure before signing: each party's gain or loss over the same simulated outturns",
        [
            Column("scenario", "Terms"),
            Column("party_name", "Party"),
            Column("draws", "Outturns simulated", "int"),
            Column("mean", "Mean", "money"),
            Column("p5", "5th percentile", "money"),
            Column("median", "Median", "money"),
            Column("p95", "95th percentile", "money"),
            Column("worst", "Worst", "money"),
            Column("best", "Best", "money"),
            Column("outturn_model", "Outturns drawn from"),
        ],
        e,
    )


def settle_example(name: str, outturn: str | None) -> dict[str, list[dict[str, Any]]]:
    """Settle a packaged sample contract at `outturn` (pounds, e.g. 12.6m) in memory: rows of
    the settlement tables, nothing written."""
    terms_path, inputs_path = example(name)
    loaded = load_terms(terms_path)
    typed = Typed()
    if inputs_path is not None:
        load_inputs(inputs_path, typed)
    periods = [p.id for p in loaded.terms.periods]
    if outturn:
        add_options(typed, periods, outturn=(outturn,))
    inputs = {p: period_inputs(typed, p) for p in periods}
    result = settle(loaded, inputs)
    texts = {
        p: "; ".join(f"{k} from {v}" for k, v in typed.sources.get(p, {}).items()) for p in periods
    }
    return settlement_rows(result, "calculator", f"example {name}", texts)


def calculator(ctx: PageContext) -> tuple[list[TableView], str | None]:
    name = ctx.inputs.get("contract") or DEFAULT_EXAMPLE
    if name not in EXAMPLES:
        return (
            [],
            f"Risk-share calculator: no sample contract {name[:40]!r}; samples: "
            + ", ".join(EXAMPLES),
        )
    outturn = ctx.inputs.get("outturn")
    try:
        rows = settle_example(name, outturn)
    except (ArithmeticError, ValueError) as exc:  # an outturn beyond any contract's arithmetic
        return [], f"Risk-share calculator: the outturn cannot be settled ({str(exc)[:120]})"
    except YocError as exc:
        message = exc.message.replace("--outturn ", "outturn ", 1)
        return [], f"Risk-share calculator: {message}".strip()
    contract = pd.DataFrame(rows["settlement_contract"])
    at = ", ".join(
        f"{r.period} outturn £{r.outturn_pence / 100:,.2f} on a baseline of "
        f"£{r.baseline_pence / 100:,.2f}"
        for r in contract.itertuples()
    )
    parties = _parties(
        pd.DataFrame(rows["settlement_party"]),
        "calc_parties",
        f"Calculator: {contract.contract_name.iloc[0]} — {at}",
    )
    steps = _steps(pd.DataFrame(rows["settlement_step"]), "calc_steps", "Calculator: step by step")
    return [parties, steps], None


def _headline(frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    out = []
    c = frames.get("contracts")
    if c is not None:
        out.append(("Contracts settled", f"{c.contract_id.nunique()}"))
    p = frames.get("calc_parties")
    if p is not None and len(p):
        holder = p.sort_values("gain_loss").iloc[-1]
        out.append((f"Calculator: {holder.party_name}", money(holder.gain_loss)))
    return out


PAGE = register(
    Page(
        slug="risk-share",
        title="Risk share",
        audience="Finance",
        description=(
            "Each party's settlement step by step, the exposure of each set of terms side by "
            "side, and a calculator: pick a sample contract, type an outturn, see the statement."
        ),
        roles=frozenset({FINANCE, ANALYST}),
        requires=("settlement_contract", "settlement_party", "settlement_step"),
        command="yoc settle (and yoc settle --simulate for the exposure comparison)",
        build=build,
        order=40,
        filters=(),
        headline=_headline,
        inputs=(
            InputDef(
                "contract",
                "Calculator: sample contract",
                "a packaged sample contract",
                kind="choice",
                max_length=80,
                choices=examples,
            ),
            InputDef("outturn", "Outturn, £", "e.g. 12.6m or 12,600,000", max_length=40),
        ),
        charts=(
            ChartDef(
                "exposure",
                "Exposure by party",
                "exposure",
                lambda d: charts.stacked(
                    d,
                    "scenario",
                    "mean",
                    "party_name",
                    title="Mean gain (+) or loss (−) by party",
                    x_title="Terms",
                    y_title="£",
                    colour_title="Party",
                ),
            ),
        ),
    )
)
