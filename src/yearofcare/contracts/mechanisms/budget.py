"""Mechanisms that set the budget or pay on results, rather than share the variance.

- `saving`: a saving taken off the payment and kept by a commissioner (Lewisham's QIPP saving);
- `payment`: a fixed payment between two parties (transition funding, a top-up);
- `outcome_withhold`: part of the payment held back and paid on outcomes, with rules for
  partial achievement (COBIC, Tower Hamlets; Lewisham's incentives, paid in full as transition
  funding in 2013/14);
- `contingency`: part of the budget held inside the pool against overspend (Lewisham: £50k);
- `stop_loss`: cost above a threshold per person carried by a named party.

Taking money off the budget lowers the holder's cost target (the "provider budget") and the
variance still to share by the same amount: the holder no longer has that money to spend.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from yearofcare.config import ConfigModel
from yearofcare.contracts.mechanisms.base import Mechanism
from yearofcare.contracts.money import split
from yearofcare.contracts.types import Amount as _Amount
from yearofcare.contracts.types import AmountOrPercent, Percent, Pounds


def _take_from_budget(st: Any, amount: Any) -> None:
    st.variance = st.variance - amount
    st.target = st.target - amount


class Saving(Mechanism):
    """A saving taken off the payment and kept by a commissioner (e.g. a QIPP saving)."""

    title: ClassVar[str] = "Saving"
    party_fields: ClassVar[tuple[str, ...]] = ("retained_by",)
    type: Literal["saving"]
    amount: AmountOrPercent = Field(description="Pounds, or % of the baseline.")
    retained_by: str | None = Field(None, description="Who keeps the saving (default: payer).")

    def apply(self, st: Any, term: str) -> None:
        who = self.retained_by or st.payer
        value = st.resolve(self.amount, st.baseline)
        _take_from_budget(st, value)
        st.emit(
            term,
            "saving",
            f"{self.label()}: {self.amount.text()} taken off the payment, kept by {st.name(who)}",
            -value,
            [st.move(st.holder, who, value)],
            shares={who: value},
            phase="budget",
        )


class Payment(Mechanism):
    """A fixed payment from one party to another (transition funding, a top-up)."""

    title: ClassVar[str] = "Payment"
    party_fields: ClassVar[tuple[str, ...]] = ("source", "to")
    type: Literal["payment"]
    amount: AmountOrPercent = Field(description="Pounds, or % of the baseline.")
    source: str | None = Field(None, alias="from", description="Who pays (default: payer).")
    to: str | None = Field(None, description="Who is paid (default: budget holder).")

    def apply(self, st: Any, term: str) -> None:
        source, to = self.source or st.payer, self.to or st.holder
        value = st.resolve(self.amount, st.baseline)
        st.emit(
            term,
            "payment",
            f"{self.label()}: {self.amount.text()} from {st.name(source)} to {st.name(to)}",
            value,
            [st.move(source, to, value)],
            shares={},
            phase="budget",
        )


class Step(ConfigModel):
    at: Percent = Field(description="Achievement (%) from which this step pays.")
    pay: Percent = Field(description="% of the measure's part of the withhold paid.")


class Measure(ConfigModel):
    """One outcome measure of a withhold: its weight and how partial achievement pays."""

    id: str = Field(description="The measure's id (as in the inputs or outcome_achievement).")
    weight: Percent = Field(description="% of the withhold riding on this measure.")
    rule: Literal["all_or_nothing", "proportional", "steps"] = Field(
        "all_or_nothing",
        description="all_or_nothing: paid in full at the target; proportional: achievement % "
        "of it (nothing below threshold); steps: the highest step reached.",
    )
    target: Percent = Field(Decimal(100), description="all_or_nothing: achievement needed.")
    threshold: Percent = Field(Decimal(0), description="proportional: nothing paid below this.")
    steps: list[Step] | None = Field(None, description="steps: ascending (at, pay) pairs.")

    @model_validator(mode="after")
    def _steps(self) -> Measure:
        if self.rule == "steps":
            if not self.steps:
                raise ValueError("rule steps needs a list of steps (at, pay)")
            ats = [s.at for s in self.steps]
            if ats != sorted(set(ats)):
                raise ValueError(f"steps must be in ascending order of 'at', found {ats}")
        elif self.steps:
            raise ValueError(f"steps are only used with rule steps, not {self.rule}")
        return self

    def pays(self, achieved: Decimal) -> Decimal:
        """% of this measure's part paid at `achieved` % achievement."""
        if self.rule == "all_or_nothing":
            return Decimal(100) if achieved >= self.target else Decimal(0)
        if self.rule == "proportional":
            return Decimal(0) if achieved < self.threshold else min(achieved, Decimal(100))
        reached = [s.pay for s in self.steps or [] if achieved >= s.at]
        return reached[-1] if reached else Decimal(0)


class OutcomeWithhold(Mechanism):
    """Part of the payment held back and paid only as outcome measures are achieved."""

    title: ClassVar[str] = "Outcome withhold"
    party_fields: ClassVar[tuple[str, ...]] = ("payer", "unearned_to")
    type: Literal["outcome_withhold"]
    amount: AmountOrPercent = Field(description="Pounds, or % of the baseline, held back.")
    payer: str | None = Field(None, description="Who holds it back and pays it (default: payer).")
    unearned_to: str | None = Field(
        None, description="Who gets what is not earned (default: payer)."
    )
    measures: list[Measure] = Field(description="The outcome measures and their weights.")
    guaranteed_periods: list[str] = Field(
        default_factory=list,
        description="Periods in which it is paid in full whatever the achievement (transition).",
    )

    @field_validator("measures")
    @classmethod
    def _weights(cls, measures: list[Measure]) -> list[Measure]:
        if not measures:
            raise ValueError("name at least one outcome measure")
        ids = [m.id for m in measures]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"measure ids must be unique, repeated: {', '.join(dupes)}")
        total = sum((m.weight for m in measures), Decimal(0))
        if total != 100:
            raise ValueError(f"measure weights must add up to 100%, found {total}%")
        return measures

    def apply(self, st: Any, term: str) -> None:
        payer = self.payer or st.payer
        value = st.resolve(self.amount, st.baseline)
        if st.period in self.guaranteed_periods:
            st.emit(
                term,
                "outcome_withhold",
                f"{self.label()}: {self.amount.text()} paid in full in {st.period} "
                "(guaranteed by the terms), not held back",
                st.ops.zero,
                shares={},
                phase="budget",
            )
            return
        _take_from_budget(st, value)
        st.figures["withheld"] = st.figures.get("withheld", st.ops.zero) + value
        st.emit(
            term,
            "outcome_withhold",
            f"{self.label()}: {self.amount.text()} held back by {st.name(payer)}, paid on outcomes",
            -value,
            [st.move(st.holder, payer, value)],
            shares={payer: value},
            phase="budget",
        )
        parts = split(st.ops, value, [m.weight for m in self.measures])
        for measure, part in zip(self.measures, parts, strict=True):
            achieved = self._achieved(st, term, measure)
            rate = measure.pays(achieved)
            earned = st.ops.pct(part, rate)
            moves = [st.move(payer, st.holder, earned)]
            unearned_to = self.unearned_to or payer
            if unearned_to != payer:
                moves.append(st.move(payer, unearned_to, part - earned))
            st.emit(
                term,
                "outcome_earned",
                f"{self.label()}: {measure.id} ({measure.weight:g}% weight) achieved "
                f"{achieved:g}% → {rate:g}% paid ({measure.rule.replace('_', ' ')})",
                earned,
                moves,
                shares={},
            )

    def _achieved(self, st: Any, term: str, measure: Measure) -> Decimal:
        found = st.inputs.achievement.get(measure.id)
        if found is None:
            raise st.fail(
                term,
                f"no achievement was given for outcome measure {measure.id!r} in period {st.period}",
                f"pass --achievement {measure.id}=PERCENT, give it in the inputs file, or run "
                "the outcomes stage (outcome_achievement)",
            )
        return found


class Contingency(Mechanism):
    """Part of the budget held inside the pool; it meets an overspend first."""

    title: ClassVar[str] = "Contingency"
    party_fields: ClassVar[tuple[str, ...]] = ("held_by", "return_to")
    type: Literal["contingency"]
    amount: AmountOrPercent = Field(description="Pounds, or % of the baseline.")
    held_by: str | None = Field(None, description="Who holds it (default: budget holder).")
    unused: Literal["keep", "return"] = Field(
        "keep", description="keep: what is not used stays where it is held; return: it goes back."
    )
    return_to: str | None = Field(None, description="unused: return — to whom (default: payer).")

    def apply(self, st: Any, term: str) -> None:
        ops = st.ops
        held_by = self.held_by or st.holder
        value = st.resolve(self.amount, st.baseline)
        st.figures["contingency"] = value
        _take_from_budget(st, value)
        st.emit(
            term,
            "contingency",
            f"{self.label()}: {self.amount.text()} held by {st.name(held_by)} against overspend",
            -value,
            [st.share_to(held_by, value)],
            shares={held_by: value},
            phase="budget",
        )
        used = ops.minimum(value, ops.maximum(-st.variance, ops.zero))
        st.variance = st.variance + used
        st.emit(
            term,
            "contingency_used",
            f"{self.label()}: used against the overspend",
            used,
            [st.share_to(held_by, -used)],
            shares={held_by: -used},
        )
        left = value - used
        back_to = self.return_to or st.payer
        if self.unused == "return" and back_to != held_by:
            st.emit(
                term,
                "contingency_unused",
                f"{self.label()}: unused part returned to {st.name(back_to)}",
                left,
                [st.move(held_by, back_to, left)],
                shares={},
            )
        else:
            st.emit(
                term,
                "contingency_unused",
                f"{self.label()}: unused part stays with {st.name(held_by)}",
                left,
                shares={},
            )


class StopLoss(Mechanism):
    """Cost above a threshold per person carried by a named party (high-cost individuals)."""

    title: ClassVar[str] = "High-cost stop-loss"
    party_fields: ClassVar[tuple[str, ...]] = ("party",)
    type: Literal["stop_loss"]
    threshold: Pounds = Field(description="Cost per person per period above which it applies.")
    party: str = Field(description="Who carries the cost above the threshold.")
    share: Percent = Field(Decimal(100), description="% of the cost above the threshold carried.")
    funded_in_baseline: AmountOrPercent = Field(
        _Amount(Decimal(0), percent=False),
        description="Part of the baseline that was for those costs, handed to the party.",
    )

    def apply(self, st: Any, term: str) -> None:
        if st.inputs.excess is None:
            raise st.fail(
                term,
                f"the cost above £{self.threshold:,.0f} per person is not known for period "
                f"{st.period}",
                "give person_costs (the costs of people above the threshold) in the inputs "
                "file, or settle a person_year cohort from the store (--min-ltc N)",
            )
        excess = st.inputs.excess(self.threshold)
        met = st.ops.pct(excess, self.share)
        funded = st.resolve(self.funded_in_baseline, st.baseline)
        part = funded - met
        st.variance = st.variance - part
        st.target = st.target - funded
        st.figures[f"excess_{term}"] = excess
        people = st.inputs.high_cost_people(self.threshold)
        who = f" ({people})" if people else ""
        st.emit(
            term,
            "stop_loss",
            f"{self.label()}: {st.name(self.party)} meets {self.share:g}% of cost above "
            f"£{self.threshold:,.0f} per person{who}"
            + (
                f", less {self.funded_in_baseline.text()} funded in the baseline"
                if self.funded_in_baseline.value
                else ""
            ),
            -part,
            [st.share_to(self.party, part)],
            shares={self.party: part},
        )
