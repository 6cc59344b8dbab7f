"""Mechanisms across periods and across the partners of a pooled budget.

- `carry_forward`: under- and overspend carried into the next period, within limits (Southend,
  NHS England 2016 §7.4: "setting longer term budgets so that annual budget under and over
  spend can be shifted between years");
- `apportion`: a pooled fund's over- or underspend apportioned to its partners in proportion
  to their contributions or by agreed shares (s75 / Better Care Fund; LGA 2019).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from yearofcare.contracts.mechanisms.base import Mechanism
from yearofcare.contracts.money import PERCENT_PLACES, half_up, largest, split
from yearofcare.contracts.state import CARRIED
from yearofcare.contracts.types import AmountOrPercent, Shares


class CarryForward(Mechanism):
    """The remaining variance, within limits, moves to the next period instead of settling now."""

    title: ClassVar[str] = "Carry-forward"
    type: Literal["carry_forward"]
    max_underspend: AmountOrPercent | None = Field(
        None, description="Most underspend carried (£ or % of the baseline; default: no limit)."
    )
    max_overspend: AmountOrPercent | None = Field(
        None, description="Most overspend carried (£ or % of the baseline; default: no limit)."
    )

    def apply(self, st: Any, term: str) -> None:
        ops = st.ops
        if st.last_period:
            st.emit(
                term,
                "carry_forward",
                f"{self.label()}: {st.period} is the last period, so nothing is carried; "
                "the balance settles now",
                ops.zero,
                shares={},
            )
            return
        carried = st.variance
        if self.max_underspend is not None:
            carried = ops.minimum(carried, st.resolve(self.max_underspend, st.baseline))
        if self.max_overspend is not None:
            carried = ops.maximum(carried, -st.resolve(self.max_overspend, st.baseline))
        st.variance = st.variance - carried
        limits = [
            f"{k} {a.text()}"
            for k, a in (
                ("underspend up to", self.max_underspend),
                ("overspend up to", self.max_overspend),
            )
            if a is not None
        ]
        st.emit(
            term,
            "carry_forward",
            f"{self.label()}: variance carried into the next period"
            + (f" ({', '.join(limits)})" if limits else ""),
            carried,
            [st.move(st.holder, CARRIED, carried)],
            shares={},
        )


def contribution_shares(contributions: dict[str, Decimal]) -> dict[str, Decimal]:
    """Contributions as percentages to four places, adjusted on the largest to add to 100."""
    total = sum(contributions.values(), Decimal(0))
    if total == 0:
        return {k: Decimal(100) / len(contributions) for k in contributions}
    shares = {k: half_up(v * 100 / total, PERCENT_PLACES) for k, v in contributions.items()}
    gap = Decimal(100) - sum(shares.values(), Decimal(0))
    if gap:
        keys = list(shares)
        top = keys[largest(list(shares.values()))]
        shares[top] += gap
    return shares


class Apportion(Mechanism):
    """A pooled fund's over- or underspend apportioned to its partners."""

    title: ClassVar[str] = "Pooled budget apportionment"
    party_fields: ClassVar[tuple[str, ...]] = ("party",)
    type: Literal["apportion"]
    party: str | None = Field(None, description="Whose balance is apportioned (default: the pool).")
    overspend: Literal["contributions"] | Shares = Field(
        "contributions", description="contributions, or agreed shares by partner."
    )
    underspend: Literal["contributions"] | Shares = Field(
        "contributions", description="contributions, or agreed shares by partner."
    )

    def party_refs(self):
        yield from super().party_refs()
        for name in ("overspend", "underspend"):
            value = getattr(self, name)
            if isinstance(value, dict):
                for party in value:
                    yield (name, party), party

    def apply(self, st: Any, term: str) -> None:
        ops = st.ops
        fund = self.party or st.pool
        if fund is None:
            raise st.fail(
                term,
                "no pooled budget is defined, so there is nothing to apportion",
                "add a pool (with contributions) to the terms, or name the party to apportion",
            )
        by_contribution = contribution_shares(st.contributions)
        over = by_contribution if self.overspend == "contributions" else self.overspend
        under = by_contribution if self.underspend == "contributions" else self.underspend
        balance = st.position[fund]
        over_parts = dict(zip(over, split(ops, balance, list(over.values())), strict=True))
        under_parts = dict(zip(under, split(ops, balance, list(under.values())), strict=True))
        parts = {
            p: ops.where(balance >= 0, under_parts.get(p, ops.zero), over_parts.get(p, ops.zero))
            for p in dict.fromkeys([*under, *over])
        }

        def text(shares: dict[str, Decimal]) -> str:
            return ", ".join(f"{st.name(p)} {s:g}%" for p, s in shares.items())

        st.emit(
            term,
            "apportion",
            f"{self.label()}: {st.name(fund)}'s underspend returned ({text(under)}), overspend met "
            f"({text(over)})",
            balance,
            [st.move(fund, p, a) for p, a in parts.items()],
            shares=parts,
        )
