"""Exact money for settlements: one rounding rule, two numeric backends, the same arithmetic.

**The rounding rule** (`ROUNDING_RULE`). Amounts are whole pennies. Every statement line that
takes a percentage of an amount is rounded to the penny, half away from zero (`ROUND_HALF_UP`);
when one amount is split between parties, every part but one is rounded that way and the party
with the largest share (the first listed on a tie) takes the rest, so the parts always add up
to the amount split. Percentages carry at most four decimal places (33.3333 %).

The mechanisms are written once against the small interface below and run on either backend:

- `DecimalOps`: Python `Decimal` pounds, one settlement at a time — the statements;
- `PenceOps`: NumPy `int64` pence, vectorised over simulated outturns — exposure before signing.

Both are exact (no binary floating point touches an amount), so the two agree to the penny on
the same outturn; `tests/spec/contracts/test_backends.py` checks it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np

PENNY = Decimal("0.01")
PERCENT_PLACES = 4
_PCT_SCALE = 10**PERCENT_PLACES  # percent → integer units of 0.0001 %
_PCT_DIVISOR = 100 * _PCT_SCALE  # pence × scaled percent → pence
ROUNDING_RULE = (
    "Amounts are whole pennies. Each line that takes a percentage of an amount is rounded to "
    "the penny, half away from zero (ROUND_HALF_UP). When an amount is split between parties, "
    "every party's part but one is rounded so, and the party with the largest share (the first "
    "listed on a tie) takes the rest, so the parts add up exactly to the amount split."
)

_SUFFIX = {"k": Decimal(1_000), "m": Decimal(1_000_000), "bn": Decimal(1_000_000_000)}
_MONEY_TEXT = re.compile(
    r"^(?P<sign>[-−])?£?(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?)(?P<suffix>k|m|bn)?$"
)


def parse_money(value: Any) -> Decimal:
    """Pounds as an exact Decimal from 3600000, 3600000.00, "£3.6m", "300k" or "3,600,000".

    Raises ValueError (which the config loader turns into a message naming file and line) for
    anything else or for fractions of a penny.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected an amount in pounds, found {value!r}")
    if isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").lower()
        m = _MONEY_TEXT.match(text)
        if not m:
            raise ValueError(
                f"expected an amount in pounds such as 3600000, £3.6m or 300k, found {value!r}"
            )
        amount = Decimal(m["num"].replace(",", "")) * _SUFFIX.get(m["suffix"] or "", Decimal(1))
        if m["sign"]:
            amount = -amount
    else:
        raise ValueError(f"expected an amount in pounds, found {value!r}")
    if not amount.is_finite():
        raise ValueError(f"expected a finite amount in pounds, found {value!r}")
    if amount != amount.quantize(PENNY):
        raise ValueError(f"{value!r} is not a whole number of pennies")
    return amount.quantize(PENNY)


def parse_percent(value: Any) -> Decimal:
    """A percentage as an exact Decimal from 30, 2.5, "30%" (at most four decimal places)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a percentage, found {value!r}")
    try:
        if isinstance(value, str):
            text = value.strip().removesuffix("%").strip()
            pct = Decimal(text)
        elif isinstance(value, float):
            pct = Decimal(repr(value))
        else:
            pct = Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"expected a percentage such as 30 or '30%', found {value!r}") from None
    if not pct.is_finite():
        raise ValueError(f"expected a finite percentage, found {value!r}")
    if pct != pct.quantize(Decimal(1).scaleb(-PERCENT_PLACES)):
        raise ValueError(f"{value!r} has more than {PERCENT_PLACES} decimal places")
    return pct.quantize(Decimal(1)) if pct == pct.to_integral_value() else pct.normalize()


def half_up(value: Decimal, places: int) -> Decimal:
    """`value` rounded half away from zero to `places` decimal places (figures, ratios)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def largest(shares: Sequence[Decimal]) -> int:
    """Index of the largest share, the first on a tie: where the residual penny goes."""
    best = 0
    for i, s in enumerate(shares):
        if s > shares[best]:
            best = i
    return best


class DecimalOps:
    """One settlement in exact Decimal pounds (statements)."""

    kind = "decimal"
    zero = Decimal("0.00")

    def money(self, pounds: Decimal) -> Decimal:
        return Decimal(pounds).quantize(PENNY)

    def pct(self, amount: Decimal, percent: Decimal) -> Decimal:
        return (amount * percent / 100).quantize(PENNY, rounding=ROUND_HALF_UP)

    def where(self, cond: bool, a: Decimal, b: Decimal) -> Decimal:
        return a if cond else b

    def minimum(self, a: Decimal, b: Decimal) -> Decimal:
        return min(a, b)

    def maximum(self, a: Decimal, b: Decimal) -> Decimal:
        return max(a, b)

    def clip(self, x: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
        return max(lo, min(hi, x))

    def to_decimal(self, value: Decimal) -> Decimal:
        return value


class PenceOps:
    """Many settlements at once in NumPy int64 pence (simulation): the same arithmetic."""

    kind = "pence"
    zero = np.int64(0)

    def money(self, pounds: Decimal) -> np.int64:
        return np.int64(int(Decimal(pounds).quantize(PENNY) * 100))

    def pct(self, amount: Any, percent: Decimal) -> Any:
        scaled = int(Decimal(percent) * _PCT_SCALE)
        product = np.asarray(amount, dtype=np.int64) * np.int64(scaled)
        rounded = (np.abs(product) + _PCT_DIVISOR // 2) // _PCT_DIVISOR
        return np.where(product < 0, -rounded, rounded)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return np.where(cond, a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return np.minimum(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        return np.maximum(a, b)

    def clip(self, x: Any, lo: Any, hi: Any) -> Any:
        return np.minimum(np.maximum(x, lo), hi)

    def to_decimal(self, value: Any) -> Decimal:
        """One value (a scalar or a one-element array) as Decimal pounds."""
        return (Decimal(int(np.asarray(value).reshape(-1)[0])) / 100).quantize(PENNY)


Ops = DecimalOps | PenceOps
DECIMAL = DecimalOps()
PENCE = PenceOps()


def split(ops: Ops, amount: Any, shares: Sequence[Decimal]) -> list[Any]:
    """`amount` split by percentage `shares` (adding to 100): every part but the largest share's
    rounded half up, the largest share (first on a tie) takes the rest."""
    parts = [ops.pct(amount, s) for s in shares]
    if not parts:
        return parts
    i = largest(shares)
    others = sum((p for j, p in enumerate(parts) if j != i), ops.zero)
    parts[i] = amount - others
    return parts
