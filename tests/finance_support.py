"""A currency and a cohort register for finance tests, made from person_year by fixed rules.

Stands in for the need-and-cohorts stage where a test needs a register but is not about how
one is chosen: currency `ltc_band` (0, 1, 2, 3–4, 5+ LTCs) for every person-year; cohort
`ltc3` = people with 3+ LTCs alive at the end of `base_fy`, joining on 1 April of the next
year, with deaths ending their spell; people first reaching 3+ LTCs in the next year join on
the 15th of a month drawn from their pseudonym.
"""

from __future__ import annotations

from datetime import date

import ibis

from yearofcare.store import Store

BANDS = ((0, "0 LTC"), (1, "1 LTC"), (2, "2 LTCs"), (4, "3-4 LTCs"))


def _band(count):
    cases = [(count <= top, label) for top, label in BANDS]
    order = [(count <= top, i + 1) for i, (top, _) in enumerate(BANDS)]
    return ibis.cases(*cases, else_="5+ LTCs"), ibis.cases(*order, else_=len(BANDS) + 1)


def add_currency_and_register(store: Store, base_fy: int) -> None:
    py = store.table("person_year")
    value, order = _band(py.ltc_count)
    pc = py.select(
        "person_id",
        "fy",
        currency=ibis.literal("ltc_band"),
        currency_version=ibis.literal("test"),
        value=value,
        value_order=order.cast("int16"),
        matched=ibis.literal(True),
    )
    with store.stage("test-currency") as run:
        run.write("person_currency", pc)
    pc = store.table("person_currency")
    person = store.table("person").select("person_id", "date_of_death")
    first = date(base_fy + 1, 4, 1)

    def members(fy, join):
        chosen = py.filter((py.fy == fy) & (py.ltc_count >= 3) & ~py.died_in_year)
        return chosen.select("person_id")

    def spells(t, fy, join):
        v = pc.filter(pc.fy == fy).select("person_id", currency_value="value")
        j = t.join(v, "person_id").left_join(person, "person_id")
        r = j.select(
            cohort_id=ibis.literal("ltc3"),
            person_id=j.person_id,
            spell=ibis.literal(1).cast("int16"),
            practice_code=ibis.null("string"),
            join_date=join(j),
            join_reason=ibis.literal("joined"),
            leave_date=j.date_of_death,
            leave_reason=ibis.ifelse(j.date_of_death.notnull(), "died", ibis.null("string")),
            selection_fy=ibis.literal(fy).cast("int16"),
            selection_rule=ibis.literal("ltc_count >= 3"),
            cohorts_version=ibis.literal("test"),
            review_status=ibis.literal("accepted"),
            currency=ibis.literal("ltc_band"),
            currency_value=j.currency_value,
            currency_fy=ibis.literal(fy).cast("int16"),
        )
        return r.filter(r.leave_date.isnull() | (r.leave_date >= r.join_date))

    base = members(base_fy, first)
    later = members(base_fy + 1, None).anti_join(base, "person_id")

    def month_join(j):
        m = j.person_id.hash().abs() % 11 + 5
        return ibis.date(
            ibis.ifelse(m > 12, base_fy + 2, base_fy + 1), ibis.ifelse(m > 12, m - 12, m), 15
        )

    register = ibis.union(
        spells(base, base_fy, lambda j: ibis.literal(first)),
        spells(later, base_fy + 1, month_join),
    )
    with store.stage("test-register") as run:
        run.write("cohort_member", register)
