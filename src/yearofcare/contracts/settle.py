"""Settle a contract: apply its terms, in order, to each period's outturn.

`settle` runs the Decimal backend and returns statements (every line, every party's money in
and out, the figures finance leads quote); `settle_period` is the one engine both it and the
simulation call. A period's opening lines fund the baseline (through the pool when there is
one), pay it to the budget holder and charge the holder the outturn, so the holder starts
with the whole gain or loss (baseline − outturn); each mechanism then moves money as its terms
say; whatever no term shares stays with the holder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from yearofcare.contracts.money import DECIMAL, Ops, half_up
from yearofcare.contracts.state import BUDGET, CARE, CARRIED, Move, PeriodInputs, PeriodState
from yearofcare.contracts.terms import LoadedTerms, Period
from yearofcare.errors import InputError


@dataclass
class PeriodResult:
    """One settled period: its lines, each party's account and the headline figures."""

    period: Period
    state: PeriodState
    figures: dict[str, Decimal]
    parties: dict[str, dict[str, Decimal]]


@dataclass
class Settlement:
    loaded: LoadedTerms
    periods: list[PeriodResult]
    unsettled: list[str] = field(default_factory=list)


def settle_period(
    loaded: LoadedTerms,
    period: Period,
    inputs: PeriodInputs,
    ops: Ops = DECIMAL,
    *,
    last: bool,
    carry_in: Any = None,
) -> PeriodState:
    """Apply the contract's mechanisms, in the order listed under `apply`, to one period."""
    t = loaded.terms
    baseline = ops.money(t.baseline(period))
    st = PeriodState(
        ops,
        parties=t.party_ids,
        holder=t.holder,
        payer=t.payer_id,
        period=period.id,
        baseline=baseline,
        inputs=inputs,
        last_period=last,
        fail=loaded.fail,
    )
    st.pool = t.pool.id if t.pool else None
    st.names = {p: t.party_name(p) for p in t.party_ids}
    st.contributions = t.contributions(period)
    holder, payer = t.holder, t.payer_id
    if t.pool:
        for party, amount in st.contributions.items():
            money = ops.money(amount)
            st.emit(
                "budget",
                "contribution",
                f"{t.party_name(party)} contributes to {t.pool.name}",
                money,
                [Move(BUDGET, party, money), Move(party, t.pool.id, money)],
                phase="budget",
            )
    else:
        st.emit(
            "budget",
            "budget",
            f"Budget: {t.party_name(payer)} sets aside the baseline",
            baseline,
            [Move(BUDGET, payer, baseline)],
            phase="budget",
        )
    st.emit(
        "baseline",
        "baseline",
        f"Baseline (expected cost) paid by {t.party_name(payer)} to {t.party_name(holder)}",
        baseline,
        [Move(payer, holder, baseline)],
        phase="budget",
    )
    st.variance = baseline - inputs.outturn
    st.emit(
        "outturn",
        "outturn",
        f"Outturn (actual cost) met by {t.party_name(holder)}; "
        "gain (+) or loss (−) = baseline − outturn",
        -inputs.outturn,
        [Move(holder, CARE, inputs.outturn)],
        shares={holder: st.variance},
    )
    if carry_in is not None:
        st.variance = st.variance + carry_in
        st.target = st.target + carry_in
        st.emit(
            "carried in",
            "carry_in",
            "Balance carried in from the previous period (+ underspend, − overspend)",
            carry_in,
            [Move(CARRIED, holder, carry_in)],
            shares={holder: carry_in},
        )
    for term in t.apply:
        mech = t.mechanisms[term]
        if mech.periods is not None and period.id not in mech.periods:
            st.emit(
                term,
                mech.type,
                f"{mech.label()}: not in force in {period.id}",
                ops.zero,
                phase="note",
            )
            continue
        mech.apply(st, term)
    st.emit(
        "remainder",
        "remainder",
        f"Variance no term shared stays with {t.party_name(holder)}",
        st.variance,
        shares={holder: st.variance},
    )
    return st


def settle(loaded: LoadedTerms, inputs: Mapping[str, PeriodInputs]) -> Settlement:
    """Settle every period that has an outturn, in order, carrying balances between them."""
    t = loaded.terms
    carries = any(m.type == "carry_forward" for m in t.mechanisms.values())
    results: list[PeriodResult] = []
    carry: Decimal | None = None
    unsettled: list[str] = []
    for i, period in enumerate(t.periods):
        given = inputs.get(period.id)
        if given is None or given.outturn is None or unsettled:
            unsettled.append(period.id)
            continue
        st = settle_period(
            loaded, period, given, DECIMAL, last=i == len(t.periods) - 1, carry_in=carry
        )
        results.append(PeriodResult(period, st, figures(st), accounts(st)))
        carry = st.carried_out if carries else None
    if not results:
        first = t.periods[0].id
        raise InputError(
            f"contract {t.contract}: no outturn for period {first}, so nothing can be settled",
            hint=f"pass --outturn {first}=AMOUNT, give it in an inputs file, or run "
            "`yoc reconcile` (the money stage) so the reconciliation table holds it",
        )
    return Settlement(loaded, results, unsettled)


def figures(st: PeriodState) -> dict[str, Decimal]:
    """The headline figures of a settled period (Decimal; ratios rounded half up)."""
    out: dict[str, Decimal] = {
        "baseline": st.baseline,
        "outturn": st.outturn,
        "variance": st.baseline - st.outturn,
        "planned_payment": st.planned_payment,
        "provider_budget": st.target,
        "payment": st.payment,
        "remaining_variance": st.variance,
        "carried_in": st.carried_in,
        "carried_out": st.carried_out,
    }
    out.update(st.figures)
    earned = [ln.amount for ln in st.lines if ln.kind == "outcome_earned"]
    if earned:
        out["earned"] = sum(earned, Decimal(0))
    if st.target > 0:
        out["income_to_cost_ratio"] = half_up(st.planned_payment / st.target, 3)
    if "contingency" in out and st.planned_payment > 0:
        out["contingency_percent"] = half_up(out["contingency"] * 100 / st.planned_payment, 1)
    return out


def accounts(st: PeriodState) -> dict[str, dict[str, Decimal]]:
    """Each party's money in and out over the period, and its gain (+) or loss (−)."""
    zero = Decimal("0.00")
    out = {
        p: dict.fromkeys(("budget", "received", "paid", "cost", "carried"), zero)
        for p in st.parties
    }
    for line in st.lines:
        for m in line.moves:
            amount, source, target = m.amount, m.source, m.target
            if amount < 0:
                amount, source, target = -amount, target, source
            if source in out:
                key = {CARE: "cost", CARRIED: "carried"}.get(target, "paid")
                out[source][key] += amount if key != "carried" else -amount
            if target in out:
                key = {BUDGET: "budget", CARRIED: "carried"}.get(source, "received")
                out[target][key] += amount
    for p, acc in out.items():
        acc["gain_loss"] = st.position[p]
        check = acc["budget"] + acc["received"] - acc["paid"] - acc["cost"] + acc["carried"]
        if check != acc["gain_loss"]:  # pragma: no cover - would mean the ledger lost money
            raise AssertionError(
                f"account of {p} does not reconcile: {check} != {acc['gain_loss']}"
            )
    return out
