"""Exact money helpers: largest-remainder allocation in whole pence and Decimal percentages.

Largest remainder (the rule every schedule and split uses): each part gets the floor of
total × weight / Σ weights in whole pence; the pence left over go one each to the parts with
the largest fractional remainders, ties to the earlier part. The parts always sum to the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def largest_remainder(total: int, weights: Sequence[float | int | Fraction]) -> list[int]:
    """Split `total` pence (≥ 0) in proportion to `weights` (≥ 0), summing exactly to it."""
    total = int(total)
    if total < 0:
        raise ValueError(f"cannot allocate a negative total ({total})")
    w = [Fraction(x) for x in weights]
    if any(x < 0 for x in w):
        raise ValueError("weights cannot be negative")
    s = sum(w)
    if not w:
        return []
    if s == 0:
        w, s = [Fraction(1)] * len(w), Fraction(len(w))
    exact = [total * x / s for x in w]
    parts = [int(e) for e in exact]  # floor: every share is non-negative
    left = total - sum(parts)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def pct_of(amount: int | Decimal, percent: Decimal) -> int:
    """`percent` % of `amount` pence, rounded half up (away from zero) to the penny."""
    value = Decimal(amount) * Decimal(percent) / 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compound(percents: Sequence[Decimal]) -> Decimal:
    """The single percentage equal to applying `percents` one after another."""
    factor = Decimal(1)
    for p in percents:
        factor *= 1 + Decimal(p) / 100
    return (factor - 1) * 100
