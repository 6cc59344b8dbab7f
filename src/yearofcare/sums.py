"""Sums and means of floating-point columns that do not depend on the order rows are added in.

Engines add in parallel, so the same rows summed twice can differ in their last bits. That is
harmless in a report, but not in what is computed from it: a model fitted on the sums (an
ill-conditioned fit turns a difference of 1e-16 into a different model), a rank, a threshold, a
half-up rounding — nor in a stored value that a rerun must reproduce exactly (issue 10,
finding 11: the same inputs and settings give the same store). `exact_sum` adds the values as
decimals with `PLACES` places (a millionth of a pound, of a day), which engines add exactly, and
so in any order to the same result, then converts back to float64. Each value counts to the
nearest millionth, far below anything reported. NaN and infinite values count as missing (as
nulls do). Integer and decimal columns are summed as they are (already exact).
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

#: Decimal places values are summed to.
PLACES = 6
#: 38 digits: sums up to 10^32 (squares of costs over millions of people included).
_DECIMAL = dt.Decimal(38, PLACES)


def _decimal(value: ibis.NumericValue) -> ibis.NumericValue:
    v = value.cast("float64")
    return ibis.ifelse(v.isnan() | v.isinf(), ibis.null("float64"), v).cast(_DECIMAL)


def exact_sum(
    value: ibis.NumericValue, where: ibis.BooleanValue | None = None
) -> ibis.NumericValue:
    """Σ `value` (where `where`), the same whatever the order of the rows: float64 for a
    floating-point column."""
    if not value.type().is_floating():
        return value.sum(where=where)
    return _decimal(value).sum(where=where).cast("float64")


def exact_mean(
    value: ibis.NumericValue, where: ibis.BooleanValue | None = None
) -> ibis.FloatingValue:
    """The mean of `value` (where `where`) over its non-missing values, the same whatever the
    order of the rows; null when there are none."""
    d = _decimal(value)
    n = d.count(where=where)
    return (d.sum(where=where).cast("float64") / n.nullif(0).cast("float64")).cast("float64")
