"""Long-term conditions by the end of each financial year, from coded events and the rules.

For a person, a condition and a financial year ending on 31 March (year end E):

- diagnosis and resolved codes dated on or before E are considered (the whole history);
- **resolved**: the condition is off when the latest resolved code is on or after the latest
  diagnosis code (QOF: "latest diagnosis after latest resolved"; same-day resolution wins),
  and on again when it is diagnosed afresh later;
- **look-back** of N years: the latest diagnosis (anchor `latest`), or the first ever diagnosis
  (anchor `first`, e.g. a condition first diagnosed in the last five years), must fall in the N financial
  years ending at E; empty = ever;
- **prescriptions**: a condition defined (also) by prescriptions (BNF codes) needs either a
  coded diagnosis inside the look-back window or at least `min_prescriptions` prescriptions
  (items dispensed: a prescribing row counts its items) inside it (Cambridge Multimorbidity Score style: "a code, or 4+ prescriptions in the last
  12 months");
- **minimum age**: age at E at least the minimum (QOF ages are on the achievement date, 31
  March); a person whose birth year is unknown does not meet a minimum age.

Ages are computed from year and month of birth only: the birthday is taken as passed when the
birth month is before or the same as the month of the date (day of birth is never held); an
unknown birth month is taken as July.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import pandas as pd

from yearofcare.fy import fy_expr
from yearofcare.population.codelists import Codelist

#: Why a person with a diagnosis code does not have the condition (or `active` when they do).
STATUSES = ("active", "resolved", "outside_lookback", "too_few_events", "below_min_age")
UNKNOWN_BIRTH_MONTH = 7


def age_on(
    birth_year: ibis.IntegerValue, birth_month: ibis.IntegerValue, year, month: int
) -> ibis.IntegerValue:
    """Whole years of age on a date in `month` of `year` (an int or integer expression)."""
    bm = birth_month.cast("int32").fill_null(UNKNOWN_BIRTH_MONTH)
    return (year - birth_year.cast("int32") - ibis.ifelse(bm > month, 1, 0)).cast("int32")


def yearly(matched: ibis.Table, keys: tuple[str, ...]) -> ibis.Table:
    """Matched events summarised per keys × financial year of the event (first, last, count).

    The count adds up `n` when the events carry it (a prescribing row stands for its items)."""
    t = matched.mutate(efy=fy_expr(matched.event_date).cast("int32"))
    n = t.n.sum() if "n" in t.columns else t.count().cast("float64")
    return t.group_by([*keys, "efy"]).aggregate(
        first_date=t.event_date.min(), last_date=t.event_date.max(), n=n
    )


def years_table(years: list[int]) -> ibis.Table:
    return ibis.memtable(pd.DataFrame({"fy": pd.Series(sorted(years), dtype="int32")}))


def as_of(yearly_t: ibis.Table, years: list[int]) -> ibis.Table:
    """Every yearly summary paired with each built year it precedes (event year <= fy)."""
    return yearly_t.cross_join(years_table(years)).filter(lambda t: t.efy <= t.fy)


def person_condition(
    matched: ibis.Table,
    person: ibis.Table,
    years: list[int],
    codelist: Codelist,
) -> ibis.Table:
    """One row per person × year × condition with any diagnosis code by the end of the year.

    Columns: person_id, fy, condition_id, first/last diagnosis dates, last resolved date,
    diagnoses in the look-back window, age at year end, has_condition and status.
    """
    rules = ibis.memtable(codelist.rules_frame()).mutate(
        lookback=lambda r: r.lookback_years.cast("int32").fill_null(10_000),
        min_age=lambda r: r.min_age.cast("int32"),
        min_rx=lambda r: r.min_prescriptions.cast("int32"),
    )
    rules = rules.drop("lookback_years", "min_prescriptions")
    t = as_of(yearly(matched, ("person_id", "condition_id", "role", "rx")), years)
    window = rules.select(w_id="condition_id", w_lookback="lookback")
    t = t.join(window, t.condition_id == window.w_id)
    dx = t.role == "diagnosis"
    in_window = t.efy > t.fy - t.w_lookback
    # grouped by the three keys only: the rule columns are joined back onto the (smaller) result
    g = t.group_by(["person_id", "fy", "condition_id"]).aggregate(
        first_diagnosis_date=t.first_date.min(where=dx),
        last_diagnosis_date=t.last_date.max(where=dx),
        last_resolved_date=t.last_date.max(where=~dx),
        first_dx_fy=t.efy.min(where=dx),
        codes_in_window=t.n.sum(where=dx & ~t.rx & in_window),
        rx_in_window=t.n.sum(where=dx & t.rx & in_window),
    )
    g = g.filter(g.first_diagnosis_date.notnull())
    g = g.join(rules, "condition_id")
    p = person.select("person_id", "birth_year", "birth_month")
    g = g.left_join(p, "person_id").drop("person_id_right")
    age_end = age_on(g.birth_year, g.birth_month, g.fy + 1, 3)
    codes_w = g.codes_in_window.fill_null(0)
    rx_w = g.rx_in_window.fill_null(0)
    n_window = (codes_w + rx_w).cast("int32")
    resolved = g.last_resolved_date.notnull() & (g.last_resolved_date >= g.last_diagnosis_date)
    outside = ibis.ifelse(g.anchor_first, g.first_dx_fy <= g.fy - g.lookback, n_window == 0)
    few = (codes_w == 0) & (rx_w < g.min_rx)
    young = g.min_age.notnull() & (age_end.isnull() | (age_end < g.min_age))
    status = ibis.cases(
        (resolved, "resolved"),
        (outside, "outside_lookback"),
        (few, "too_few_events"),
        (young, "below_min_age"),
        else_="active",
    )
    return g.select(
        "person_id",
        fy=g.fy.cast("int16"),
        condition_id=g.condition_id,
        first_diagnosis_date=g.first_diagnosis_date,
        last_diagnosis_date=g.last_diagnosis_date,
        last_resolved_date=g.last_resolved_date,
        diagnoses_in_window=n_window,
        age_at_year_end=age_end.cast("int16"),
        has_condition=status == "active",
        status=status,
    )


def condition_flags(
    person_condition_t: ibis.Table,
    condition_ids: tuple[str, ...],
    extra: Callable[[ibis.Table], dict[str, ibis.Value]] | None = None,
) -> ibis.Table:
    """Pivot to one row per person × year with a boolean `ltc_<id>` per condition held.

    `extra(held)` may add aggregates over the rows of conditions held (same pass).
    """
    t = person_condition_t.filter(person_condition_t.has_condition)
    flags = {f"ltc_{c}": ibis.ifelse(t.condition_id == c, 1, 0).max() == 1 for c in condition_ids}
    return t.group_by(["person_id", "fy"]).aggregate(**flags, **(extra(t) if extra else {}))
