"""Concentration of cost, and the share of cost and activity used by people with LTCs.

Top groups are whole people: the top p% of n people is the ceil(n × p / 100) people with the
highest cost in their group (ties broken by pseudonym). Both tables are single scans with a
window over each split, executed by the engine.
"""

from __future__ import annotations

import ibis

from yearofcare.population.analysis.common import (
    amount,
    slim,
    split,
    top_count,
    top_ranked,
    unpivot,
)
from yearofcare.sums import exact_sum

SPLIT = ("split_by", "split_value")
TOP_PERCENTS: tuple[float, ...] = (0.5, 1.0, 5.0, 10.0, 20.0)

#: Measures for the LTC share table: name -> person_year columns summed.
LTC_SHARE_MEASURES: dict[str, tuple[str, ...]] = {
    "cost": ("cost_total",),
    "gp_contacts": ("n_gp",),
    "outpatient_attendances": ("n_outpatient",),
    "emergency_admissions": ("n_emergency",),
    "bed_days": ("bed_days_acute", "bed_days_community", "bed_days_mental_health"),
}


def cost_concentration(
    py_year: ibis.Table, by: str | None = None, percents: tuple[float, ...] = TOP_PERCENTS
) -> ibis.Table:
    """Share of each group's cost spent on its top 0.5/1/5/10/20% most costly people."""
    t = split(slim(py_year, by, _x=amount(py_year.cost_total)), by)
    keys = ["fy", *SPLIT]
    totals = t.group_by(keys).aggregate(population=t.count(), cost_all=exact_sum(t._x))
    ranked = top_ranked(t.select("person_id", *keys, "_x"), "_x", keys, max(percents))
    metrics: dict[str, ibis.Value] = {}
    for i, p in enumerate(percents):
        inside = ranked._rank < top_count(ranked._n, p)
        metrics[f"_p{i}"] = inside.cast("int64").sum()
        metrics[f"_c{i}"] = exact_sum(ibis.ifelse(inside, ranked._x, 0.0))
    agg = ranked.group_by(keys).aggregate(**metrics).join(totals, keys)
    out = unpivot(
        agg,
        "top_percent",
        [float(p) for p in percents],
        {
            "people": [f"_p{i}" for i in range(len(percents))],
            "cost_top": [f"_c{i}" for i in range(len(percents))],
        },
    ).select(*keys, "top_percent", "people", "population", "cost_top", "cost_all")
    return out.mutate(
        share_of_people=out.people / out.population,
        share_of_cost=ibis.ifelse(
            out.cost_all > 0, out.cost_top / out.cost_all, ibis.null("float64")
        ),
    )


def ltc_share(py_year: ibis.Table, by: str | None = None) -> ibis.Table:
    """People with at least one LTC: their share of people, cost, GP contacts, outpatient
    attendances, emergency admissions and hospital bed days (acute + community + mental health).
    """
    has = py_year.ltc_count.fill_null(0) > 0
    cols = {"_has": has}
    for name, sources in LTC_SHARE_MEASURES.items():
        values = [amount(py_year[c]).cast("float64") for c in sources]
        measure = values[0]
        for v in values[1:]:
            measure = measure + v
        cols[f"_m_{name}"] = measure
    t = split(slim(py_year, by, **cols), by)
    metrics: dict[str, ibis.Value] = {
        "people_total": t.count(),
        "people_with_ltc": t._has.cast("int64").sum(),
    }
    for name in LTC_SHARE_MEASURES:
        metrics[f"_all_{name}"] = exact_sum(t[f"_m_{name}"])
        metrics[f"_ltc_{name}"] = exact_sum(ibis.ifelse(t._has, t[f"_m_{name}"], 0.0))
    agg = t.group_by(["fy", *SPLIT]).aggregate(**metrics)
    names = list(LTC_SHARE_MEASURES)
    out = unpivot(
        agg,
        "measure",
        names,
        {
            "total_with_ltc": [f"_ltc_{n}" for n in names],
            "total_all": [f"_all_{n}" for n in names],
        },
    ).select(
        "fy", *SPLIT, "measure", "people_with_ltc", "people_total", "total_with_ltc", "total_all"
    )
    return out.mutate(
        share_of_people=out.people_with_ltc / out.people_total,
        share_with_ltc=ibis.ifelse(
            out.total_all > 0, out.total_with_ltc / out.total_all, ibis.null("float64")
        ),
    )
