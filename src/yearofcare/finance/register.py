"""The cohort register as the budget reads it: spells, the months of a year each one pays for,
and the movements that follow people through the year (004 §7.4).

Rule (stated once, used everywhere): a spell pays for the months of the financial year from the
month of its join date up to, but not including, the month of the first day off the register
(the day after `leave_date`, the last day of membership). So a person joining on 15 October is
paid from October (month 7: 6 months, £6,000 a year → £3,000); a death on 15 June stops payment
from June; leaving on 30 June stops it from July; a currency change re-prices from the month
the new spell starts. A spell's amount is its tariff × months / 12 rounded half up to the
penny. Members on the register on 1 April make the base; every other change is a movement row
whose amount is the difference it makes, so base + movements = the recomputed budget exactly.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis

from yearofcare.errors import InputError
from yearofcare.finance.costs import fy_month
from yearofcare.finance.tariffs import prorate
from yearofcare.fy import fy_end, fy_label, fy_start
from yearofcare.store import Store

SPELL_COLUMNS = (
    "cohort_id",
    "person_id",
    "spell",
    "join_date",
    "join_reason",
    "leave_date",
    "leave_reason",
    "currency",
    "currency_value",
)


def spells(register: ibis.Table) -> ibis.Table:
    """The register columns the budget reads."""
    return register.select(*SPELL_COLUMNS)


def register_problems(register: ibis.Table) -> ibis.Table:
    """Spells that end before they start, and pairs of one person's spells that overlap
    (kind, cohort, person, the two spells and their dates); empty when the register is sound."""
    r = spells(register)
    far = date(9999, 12, 31)
    back = r.filter(r.leave_date.notnull() & (r.leave_date < r.join_date))
    back = back.select(
        kind=ibis.literal("backwards"),
        cohort_id=back.cohort_id,
        person_id=back.person_id,
        s1=back.spell,
        j1=back.join_date,
        l1=back.leave_date,
        s2=back.spell,
        j2=back.join_date,
        l2=back.leave_date,
    )
    a = r.select(
        "cohort_id", "person_id", s1="spell", j1="join_date", l1=r.leave_date.fill_null(far)
    )
    b = r.select(
        c2="cohort_id", p2="person_id", s2="spell", j2="join_date", l2=r.leave_date.fill_null(far)
    )
    pairs = a.join(
        b,
        [a.cohort_id == b.c2, a.person_id == b.p2, a.s1 < b.s2, a.j1 <= b.l2, b.j2 <= a.l1],
    )
    pairs = pairs.mutate(kind=ibis.literal("overlap")).select(*back.columns)
    return ibis.union(back, pairs, distinct=False)


def check_register(store: Store, register: ibis.Table) -> None:
    """Refuse spells that end before they start and overlapping spells of one person."""
    found = store.to_pandas(register_problems(register).limit(1))
    if not len(found):
        return
    f = found.iloc[0]
    if f.kind == "backwards":
        raise InputError(
            f"cohort register: cohort {f.cohort_id} person {f.person_id} spell {f.s1} "
            f"leaves on {_day(f.l1)} before it joins on {_day(f.j1)}",
            hint="fix the register (yoc cohort update) so every spell ends on or after it starts",
        )
    raise InputError(
        f"cohort register: cohort {f.cohort_id} person {f.person_id} has overlapping spells "
        f"{f.s1} ({_day(f.j1)} to {_day(f.l1)}) and {f.s2} ({_day(f.j2)} to {_day(f.l2)})",
        hint="a person can be in a cohort only once on any day: end the first spell the day "
        "before the second starts (yoc cohort update rebuilds the register)",
    )


def _day(d) -> str:
    import pandas as pd

    d = pd.Timestamp(d).date()
    return "open" if d.year == 9999 else d.isoformat()


def year_spells(register: ibis.Table, fy: int) -> ibis.Table:
    """Spells in force during `fy` with `start_month`, `end_month` (exclusive) and `months`."""
    s0, s1 = fy_start(fy), fy_end(fy)
    r = spells(register)
    r = r.filter((r.join_date <= s1) & (r.leave_date.isnull() | (r.leave_date >= s0)))
    off = r.leave_date + ibis.interval(days=1)
    start = ibis.ifelse(r.join_date <= s0, 1, fy_month(r.join_date)).cast("int8")
    end = ibis.ifelse(r.leave_date.isnull() | (r.leave_date >= s1), 13, fy_month(off)).cast("int8")
    return r.mutate(
        fy=ibis.literal(fy).cast("int16"),
        start_month=start,
        end_month=end,
        months=ibis.greatest(end - start, 0).cast("int8"),
        in_base=r.join_date <= s0,
        joins=r.join_date > s0,
        leaves=r.leave_date.notnull() & (r.leave_date < s1),
    )


def priced(ys: ibis.Table, tariffs: ibis.Table) -> ibis.Table:
    """Year spells with `tariff_pence` (tariffs: currency, value, tariff_pence) and `amount`."""
    t = tariffs.select(t_currency="currency", t_value="value", tariff_pence="tariff_pence")
    j = ys.left_join(t, [ys.currency == t.t_currency, ys.currency_value == t.t_value])
    j = j.drop("t_currency", "t_value")
    return j.mutate(amount_pence=prorate(j.tariff_pence, j.months))


def movements(p: ibis.Table) -> ibis.Table:
    """budget_movement rows for priced year spells (see the module docstring)."""
    full = 13 - p.start_month
    joined = p.filter(p.joins).select(
        "cohort_id",
        "fy",
        "person_id",
        "spell",
        month=p.start_month,
        effective_date=p.join_date,
        reason=p.join_reason,
        value_from=ibis.null("string"),
        value_to=p.currency_value,
        months=full.cast("int8"),
        amount_pence=prorate(p.tariff_pence, full),
    )
    lv = p.filter(p.leaves)
    left = lv.select(
        "cohort_id",
        "fy",
        "person_id",
        "spell",
        month=lv.end_month,
        effective_date=lv.leave_date,
        reason=lv.leave_reason.fill_null("left"),
        value_from=lv.currency_value,
        value_to=ibis.null("string"),
        months=(-(13 - lv.end_month)).cast("int8"),
        amount_pence=lv.amount_pence - prorate(lv.tariff_pence, 13 - lv.start_month),
    )
    both = ibis.union(joined, left, distinct=False)
    # a currency change closes one spell and opens the next in the same month: one row, net
    change = both.filter(both.reason == "changed_currency")
    net = change.group_by(["cohort_id", "fy", "person_id", "month"]).aggregate(
        spell=change.spell.max(),
        effective_date=change.effective_date.max(),
        reason=ibis.literal("changed_currency"),
        value_from=change.value_from.max(),
        value_to=change.value_to.max(),
        months=(13 - change.month.max()).cast("int8"),
        amount_pence=change.amount_pence.sum(),
    )
    other = both.filter(both.reason != "changed_currency")
    cols = [
        "cohort_id",
        "fy",
        "person_id",
        "spell",
        "month",
        "effective_date",
        "reason",
        "value_from",
        "value_to",
        "months",
        "amount_pence",
    ]
    return ibis.union(other.select(*cols), net.select(*cols), distinct=False)


def unpriced_message(cohort: str, fy: int, currency, value, members: int, note) -> str:
    what = f"currency {currency} value {value!r}" if currency else "no currency"
    why = f" ({note})" if note else ""
    return (
        f"cohort {cohort}, {fy_label(fy)}: {members} member spell(s) have {what}, which has no "
        f"tariff{why}"
    )


def day_before(d: date) -> date:
    return d - timedelta(days=1)
