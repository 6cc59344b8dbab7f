"""Tariff pieces (Ibis): the people of each currency value, outlier thresholds and treatment,
group sums, and the bounded pools the bootstrap draws from.

A tariff is the mean in-scope cost per registered person-year of the people in a currency
value: Σ cost / Σ months registered × 12 over person-years registered at least one month (the
mean of annualised costs weighted by months registered). Outliers are judged on annualised
cost (cost × 12 / months), against percentiles of the value's people (linear interpolation
between order statistics):

- `trim`: people below the low or above the high percentile are removed;
- `winsorise`: their cost is set to the threshold × months / 12;
- `cap_and_pool`: cost above the cap × months / 12 goes to a separate high-cost pool, so
  capped cost + pool = in-scope cost, to the penny.

Thresholds are rounded to whole pence, comparisons are in integers (cost × 12 against
threshold × months) and pro-rated amounts are rounded half up, so every step is exact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import ibis

from yearofcare.finance.bootstrap import MIN_PER_STRATUM, STRATA, TAIL_DIVISOR
from yearofcare.finance.settings import Outliers
from yearofcare.sums import exact_sum

KEYS = ["currency", "value", "fy"]


def prorate(amount: ibis.IntegerValue, months: ibis.IntegerValue) -> ibis.IntegerValue:
    """round_half_up(amount × months / 12) in integer arithmetic (amount ≥ 0)."""
    return ((amount * months * 2 + 12) // 24).cast("int64")


def prorate_int(amount: int, months: int) -> int:
    """Python twin of `prorate` for any sign: round half away from zero."""
    sign = -1 if amount < 0 else 1
    return sign * ((abs(amount) * months * 2 + 12) // 24)


def half_up(value: Decimal | float) -> int:
    """Whole pence, half up (half away from zero)."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def people(
    person_year: ibis.Table, person_currency: ibis.Table, person_cost: ibis.Table
) -> ibis.Table:
    """Person-years with a currency value, registered ≥ 1 month, with their costs in pence."""
    py = person_year.filter(person_year.months_registered > 0).select(
        "person_id", "fy", months=person_year.months_registered.cast("int64")
    )
    pc = person_currency.filter(person_currency.value.notnull()).select(
        "person_id",
        fy=person_currency.fy.cast("int16"),
        currency=person_currency.currency,
        value=person_currency.value,
        value_order=person_currency.value_order,
    )
    j = pc.join(py.mutate(fy=py.fy.cast("int16")), ["person_id", "fy"])
    costs = person_cost.select(
        "person_id",
        fy=person_cost.fy.cast("int16"),
        c_all=person_cost.cost_all_pence,
        c_in=person_cost.cost_in_pence,
    )
    j = j.left_join(costs, ["person_id", "fy"])
    return j.select(
        "person_id",
        "fy",
        "currency",
        "value",
        "value_order",
        "months",
        cost_all=j.c_all.fill_null(0).cast("int64"),
        cost_in=j.c_in.fill_null(0).cast("int64"),
    )


def thresholds(p: ibis.Table, outliers: Outliers) -> ibis.Table:
    """Per currency × value × year: low, high and cap thresholds (annualised pence, or null)."""
    annual = p.cost_in.cast("float64") * 12.0 / p.months.cast("float64")
    null = ibis.null("float64")
    low = high = cap = null
    if outliers.method in ("trim", "winsorise"):
        if outliers.low_percentile > 0:
            low = annual.quantile(outliers.low_percentile / 100)
        if outliers.high_percentile < 100:
            high = annual.quantile(outliers.high_percentile / 100)
    elif outliers.method == "cap_and_pool":
        if outliers.cap is not None:
            cap = ibis.literal(float(outliers.cap * 100))
        else:
            cap = annual.quantile(outliers.cap_percentile / 100)
    t = p.group_by(KEYS).aggregate(low=low, high=high, cap=cap)
    return t.select(
        *KEYS,
        low_pence=t.low.round().cast("int64"),
        high_pence=t.high.round().cast("int64"),
        cap_pence=t.cap.round().cast("int64"),
    )


def treat(p: ibis.Table, thr: ibis.Table, method: str) -> ibis.Table:
    """People with `kept`, `adjusted`, `treated` (pence) and `pooled` (pence) columns."""
    t = p.join(thr, KEYS)
    over = (t.high_pence.notnull() & (t.cost_in * 12 > t.high_pence * t.months)).fill_null(False)
    under = (t.low_pence.notnull() & (t.cost_in * 12 < t.low_pence * t.months)).fill_null(False)
    capped = (t.cap_pence.notnull() & (t.cost_in * 12 > t.cap_pence * t.months)).fill_null(False)
    zero = ibis.literal(0).cast("int64")
    if method == "trim":
        kept, adjusted, treated, pooled = ~(over | under), ibis.literal(False), t.cost_in, zero
    elif method == "winsorise":
        kept, adjusted = ibis.literal(True), over | under
        treated = ibis.cases(
            (over, prorate(t.high_pence, t.months)),
            (under, prorate(t.low_pence, t.months)),
            else_=t.cost_in,
        )
        pooled = zero
    elif method == "cap_and_pool":
        cap_i = prorate(t.cap_pence, t.months)
        kept, adjusted = ibis.literal(True), capped
        treated = ibis.ifelse(capped, cap_i, t.cost_in)
        pooled = ibis.ifelse(capped, t.cost_in - cap_i, zero)
    else:
        kept, adjusted, treated, pooled = ibis.literal(True), ibis.literal(False), t.cost_in, zero
    return t.mutate(
        kept=kept, adjusted=adjusted, treated=treated.cast("int64"), pooled=pooled.cast("int64")
    )


def sums(treated: ibis.Table) -> ibis.Table:
    """Per currency × value × year: counts and integer sums (the means are formed exactly)."""
    t = treated
    return t.group_by([*KEYS, "low_pence", "high_pence", "cap_pence"]).aggregate(
        value_order=t.value_order.min(),
        people=t.count(),
        months=t.months.sum(),
        cost_all=t.cost_all.sum(),
        cost_in=t.cost_in.sum(),
        kept_people=t.count(where=t.kept),
        kept_months=t.months.sum(where=t.kept),
        treated=t.treated.sum(where=t.kept),
        trimmed=t.count(where=~t.kept),
        adjusted=t.count(where=t.adjusted),
        pooled=t.pooled.sum(),
    )


# ---- bounded pools for the bootstrap -------------------------------------------------------
def pool_rows(t: ibis.Table, cost: str, sizes: ibis.Table, exact_max: int) -> ibis.Table:
    """Everything the bootstrap draws from, in one bounded table (see bootstrap.Pool).

    `t` holds the people to draw from (cost in the column named by `cost`, and months);
    `sizes` has KEYS and `n`, the people per value. Rows with `stratum` −1 are people, one
    by one: every person of a value with at most `exact_max` people, and the top strata of the
    others; the other rows are strata of people ordered by annualised cost, with their count
    (`k`) and the sums of cost, months, their squares and their product."""
    j = t.join(sizes, KEYS)
    annual = j[cost].cast("float64") / j.months.cast("float64")
    w = ibis.window(group_by=[j[k] for k in KEYS], order_by=[annual, j.months])
    strata = ibis.least(ibis.greatest(j.n // MIN_PER_STRATUM, 1), STRATA)  # strata_count
    tail = ibis.greatest((strata + TAIL_DIVISOR - 1) // TAIL_DIVISOR, 1)  # tail_strata
    j = j.mutate(_stratum=(ibis.row_number().over(w) * strata) // j.n, _strata=strata, _tail=tail)
    one = (j.n <= exact_max) | (j._stratum >= j._strata - j._tail)
    c = j[cost].cast("float64")
    m = j.months.cast("float64")
    people = j.filter(one).select(
        *KEYS,
        stratum=ibis.literal(-1).cast("int64"),
        k=ibis.literal(1).cast("int64"),
        sc=c,
        sm=m,
        scc=c * c,
        smm=m * m,
        scm=c * m,
    )
    grouped = j.filter(~one)
    gc = grouped[cost].cast("float64")
    gm = grouped.months.cast("float64")
    body = grouped.group_by([*KEYS, grouped._stratum.cast("int64").name("stratum")]).aggregate(
        k=grouped.count(),
        sc=exact_sum(gc),
        sm=exact_sum(gm),
        scc=exact_sum(gc * gc),
        smm=exact_sum(gm * gm),
        scm=exact_sum(gc * gm),
    )
    return ibis.union(people, body.select(*people.columns), distinct=False)
