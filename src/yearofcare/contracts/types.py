"""Value types of a contract terms file: money, percentages, amounts, shares.

Each parses every spelling a finance lead writes (3600000, "£3.6m", "300k", "30%") into an exact
Decimal and refuses the rest with a message the config loader places at the file's line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

from yearofcare.contracts.money import parse_money, parse_percent


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError(f"must not be negative (found {value:,.2f}); amounts are in pounds")
    return value


def _percent_range(value: Decimal) -> Decimal:
    if not 0 <= value <= 100:
        raise ValueError(f"a percentage must lie between 0 and 100, found {value}")
    return value


#: Pounds, exact to the penny; accepts 3600000, "£3.6m", "300k", "3,600,000".
Money = Annotated[Decimal, BeforeValidator(parse_money), PlainSerializer(str)]
#: Pounds that must not be negative (baselines, thresholds, limits).
Pounds = Annotated[Decimal, BeforeValidator(parse_money), AfterValidator(_non_negative)]
#: A percentage from 0 to 100 with at most four decimal places; accepts 30 or "30%".
Percent = Annotated[Decimal, BeforeValidator(parse_percent), AfterValidator(_percent_range)]


@dataclass(frozen=True)
class Amount:
    """An amount written either in pounds (300000, "300k") or as a percentage ("5%") of a base.

    The base is named by the mechanism (the period's baseline unless it says otherwise).
    """

    value: Decimal
    percent: bool

    def text(self) -> str:
        return f"{self.value:g}%" if self.percent else f"£{self.value:,.2f}"


def _amount(value: Any) -> Amount:
    if isinstance(value, Amount):
        return value
    if isinstance(value, str) and value.strip().endswith("%"):
        return Amount(_percent_range(parse_percent(value)), percent=True)
    return Amount(_non_negative(parse_money(value)), percent=False)


#: Pounds or a percentage of a base: 50000, "50k", "1.7%".
AmountOrPercent = Annotated[Amount, BeforeValidator(_amount), PlainSerializer(Amount.text)]


def _shares_add_to_100(shares: dict[str, Decimal]) -> dict[str, Decimal]:
    if not shares:
        raise ValueError("no shares given; name each party and its percentage")
    total = sum(shares.values(), Decimal(0))
    if total != 100:
        listed = ", ".join(f"{k} {v}%" for k, v in shares.items())
        raise ValueError(f"shares must add up to 100%, found {total}% ({listed})")
    return shares


#: Percentages by party id that add up to exactly 100.
Shares = Annotated[dict[str, Percent], AfterValidator(_shares_add_to_100)]
