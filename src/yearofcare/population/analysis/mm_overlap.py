"""Physical × mental multimorbidity: people and cost by physical LTC count band (0–4+) ×
mental health LTC count band (0–2+)."""

from __future__ import annotations

import ibis

from yearofcare.population.analysis.common import amount, capped_band, slim, split
from yearofcare.sums import exact_mean, exact_sum

SPLIT = ("split_by", "split_value")


def mm_overlap(py_year: ibis.Table, by: str | None = None) -> ibis.Table:
    t = split(
        slim(
            py_year,
            by,
            physical_band=capped_band(py_year.physical_ltc_count, 4),
            mental_band=capped_band(py_year.mental_ltc_count, 2),
            _x=amount(py_year.cost_total),
        ),
        by,
    )
    cells = t.group_by(["fy", *SPLIT, "physical_band", "mental_band"]).aggregate(
        people=t.count(), cost_total=exact_sum(t._x), mean_cost=exact_mean(t._x)
    )
    total = cells.people.sum().over(ibis.window(group_by=list(SPLIT)))
    return cells.mutate(share_of_people=cells.people / total)
