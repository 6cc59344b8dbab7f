"""The running state of one settlement period, and the statement lines it produces.

Every step moves money between accounts; nothing is created or lost. The accounts are the
parties (commissioners, a local authority, providers, a pooled fund) and three outside ones:
the budget that funds the commissioners, the cost of care the budget holder pays, and the
balance carried between periods. A party's gain (+) or loss (−) against plan is what flowed in
less what flowed out, so across the parties the gains and losses always add up to

    baseline − outturn (LGA 2019: gain or loss = baseline − outturn) + carried in − carried out.

Mechanisms see three running figures: the variance still to share (`variance`, + underspend,
− overspend), the budget holder's cost target (`target`, the "provider budget") and the net
payment to the holder (`payment`). The same code runs on Decimal pounds (one settlement) or on
int64 pence arrays (many simulated outturns); see `yearofcare.contracts.money`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from yearofcare.contracts.money import Ops, split
from yearofcare.errors import InputError

BUDGET = "(budget)"
CARE = "(cost of care)"
CARRIED = "(carried between periods)"
OUTSIDE = frozenset({BUDGET, CARE, CARRIED})


@dataclass(frozen=True)
class Move:
    """Money moving from one account to another; a negative amount moves the other way."""

    source: str
    target: str
    amount: Any


@dataclass
class Line:
    """One statement line: a step, the term that produced it and the money it moved."""

    step: int
    term: str
    kind: str
    description: str
    phase: str
    amount: Any
    moves: list[Move]
    shares: dict[str, Any]
    variance_after: Any = None
    target_after: Any = None
    payment_after: Any = None


@dataclass
class PeriodInputs:
    """What happened in a period: outturn, quality level, outcome achievement, high-cost costs.

    `excess(threshold)` returns the total cost above `threshold` per person (as the backend's
    money type); `high_cost_people(threshold)` says how many people exceed it, already through
    small-number suppression (statements only).
    """

    outturn: Any
    quality_level: int | None = None
    achievement: Mapping[str, Decimal] = field(default_factory=dict)
    excess: Callable[[Decimal], Any] | None = None
    high_cost_people: Callable[[Decimal], str | None] = lambda _t: None
    carry_in: Any = None
    sources: dict[str, str] = field(default_factory=dict)


class TermError(InputError):
    """A term cannot be applied with the inputs given (names the term and its line)."""


class PeriodState:
    """The accounts and running figures of one period while its terms are applied in order."""

    def __init__(
        self,
        ops: Ops,
        *,
        parties: Sequence[str],
        holder: str,
        payer: str,
        period: str,
        baseline: Any,
        inputs: PeriodInputs,
        last_period: bool,
        fail: Callable[[str, str, str], TermError],
    ) -> None:
        self.ops = ops
        self.parties = list(parties)
        self.holder = holder
        self.payer = payer
        self.period = period
        self.baseline = baseline
        self.outturn = inputs.outturn
        self.inputs = inputs
        self.last_period = last_period
        self._fail = fail
        zero = ops.zero
        self.position: dict[str, Any] = dict.fromkeys(self.parties, zero)
        self.variance: Any = zero
        self.target: Any = baseline
        self.payment: Any = zero
        self.planned_payment: Any = zero
        self.carried_in: Any = zero
        self.carried_out: Any = zero
        self.lines: list[Line] = []
        self.figures: dict[str, Any] = {}
        self.pool: str | None = None
        self.names: dict[str, str] = {}
        self.contributions: dict[str, Decimal] = {}

    def name(self, party: str) -> str:
        """The party's name for statement lines (its id when no name is known)."""
        return self.names.get(party, party)

    # ---- errors -----------------------------------------------------------------------------
    def fail(self, term: str, message: str, hint: str) -> TermError:
        """An error naming `term` and its line in the terms file (raise what this returns)."""
        return self._fail(term, message, hint)

    # ---- moving money -----------------------------------------------------------------------
    def move(self, source: str, target: str, amount: Any) -> Move:
        return Move(source, target, amount)

    def share_to(self, party: str, amount: Any) -> Move | None:
        """Give `party` `amount` of the variance (a loss when negative): money moves between it
        and the budget holder, who carries the variance until a term shares it."""
        if party == self.holder:
            return None
        return Move(self.holder, party, amount)

    def emit(
        self,
        term: str,
        kind: str,
        description: str,
        amount: Any,
        moves: Sequence[Move | None] = (),
        *,
        shares: Mapping[str, Any] | None = None,
        phase: str = "settlement",
    ) -> Line:
        """Record a statement line and apply its moves to the accounts."""
        kept = [m for m in moves if m is not None]
        for m in kept:
            if m.source in self.position:
                self.position[m.source] = self.position[m.source] - m.amount
            if m.target in self.position:
                self.position[m.target] = self.position[m.target] + m.amount
            if m.target == self.holder and m.source not in OUTSIDE:
                self.payment = self.payment + m.amount
                if phase == "budget":
                    self.planned_payment = self.planned_payment + m.amount
            elif m.source == self.holder and m.target not in OUTSIDE:
                self.payment = self.payment - m.amount
                if phase == "budget":
                    self.planned_payment = self.planned_payment - m.amount
            if m.source == CARRIED:
                self.carried_in = self.carried_in + m.amount
            if m.target == CARRIED:
                self.carried_out = self.carried_out + m.amount
        line = Line(
            step=len(self.lines) + 1,
            term=term,
            kind=kind,
            description=description,
            phase=phase,
            amount=amount,
            moves=kept,
            shares=dict(shares or {}),
            variance_after=self.variance,
            target_after=self.target,
            payment_after=self.payment,
        )
        self.lines.append(line)
        return line

    def share(
        self,
        term: str,
        kind: str,
        description: str,
        gain: Mapping[str, Decimal],
        loss: Mapping[str, Decimal] | None = None,
    ) -> dict[str, Any]:
        """Share all of the remaining variance and emit the line: an underspend by the `gain`
        percentages, an overspend by the `loss` ones (default: the same), each adding to 100."""
        ops, amount = self.ops, self.variance
        loss = gain if loss is None else loss
        by_gain = dict(zip(gain, split(ops, amount, list(gain.values())), strict=True))
        by_loss = dict(zip(loss, split(ops, amount, list(loss.values())), strict=True))
        shares = {
            p: ops.where(amount >= 0, by_gain.get(p, ops.zero), by_loss.get(p, ops.zero))
            for p in dict.fromkeys([*gain, *loss])
        }
        self.variance = self.variance - amount
        self.emit(
            term,
            kind,
            description,
            amount,
            [self.share_to(p, a) for p, a in shares.items()],
            shares=shares,
        )
        return shares

    def resolve(self, amount: Any, base: Any) -> Any:
        """An `Amount` (pounds, or a percentage of `base`) as money."""
        if amount.percent:
            return self.ops.pct(base, amount.value)
        return self.ops.money(amount.value)
