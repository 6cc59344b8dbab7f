"""The headline summary of a care economy for one year: who is there, how common each long-term
condition is, and what care costs in each setting.

This is what `yoc demo` prints and what a commissioner asks first. Counts pass through the
disclosure module; the figures come from `person_year`, so they trace back to `yoc build`.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from yearofcare import disclosure
from yearofcare.errors import StageError
from yearofcare.schemas.population import COST_GROUPS, catalogue_rows
from yearofcare.store import Store


#: Conditions shown in the prevalence summary: the QOF registers.
def _qof_conditions() -> list[tuple[str, str]]:
    return [
        (r["condition_id"], r["label"]) for r in catalogue_rows() if r["qof_register"] == "true"
    ]


@dataclass(frozen=True)
class Summary:
    fy: int
    headline: pd.DataFrame  # measure, value
    prevalence: pd.DataFrame  # condition, people, percent (of the registered population)
    cost: pd.DataFrame  # setting, cost, per_head, share


def headline_expr(year: ibis.Table, people_in_store: ibis.Table) -> ibis.Table:
    """One row of counts for the year (an expression; nothing is executed here)."""
    registered = year.months_registered > 0
    return year.aggregate(
        people_in_year=year.count(),
        registered=registered.sum(),
        with_ltc=((year.ltc_count >= 1) & registered).sum(),
        with_2plus=((year.ltc_count >= 2) & registered).sum(),
        deaths=year.died_in_year.sum(),
        cost_total=year.cost_total.fill_null(0).sum(),
    ).cross_join(people_in_store.aggregate(people_in_store=people_in_store.count()))


def prevalence_expr(year: ibis.Table, conditions: list[str]) -> ibis.Table:
    registered = year.filter(year.months_registered > 0)
    return registered.aggregate(
        registered=registered.count(),
        **{c: registered[f"ltc_{c}"].fill_null(False).sum() for c in conditions},
    )


def cost_expr(year: ibis.Table) -> ibis.Table:
    return year.aggregate(
        people=year.count(), **{g: year[f"cost_{g}"].fill_null(0).sum() for g in COST_GROUPS}
    )


def summarise(store: Store, fy: int | None = None) -> Summary:
    """Headline, prevalence and cost by setting for `fy` (default: the latest built year)."""
    py = store.table("person_year")
    if fy is None:
        latest = store.to_pandas(py.aggregate(m=py.fy.max()))["m"].iloc[0]
        if pd.isna(latest):
            raise StageError("person_year is empty", hint="run `yoc build` first")
        fy = int(latest)
    year = py.filter(py.fy == fy)
    conditions = _qof_conditions()
    h = store.to_pandas(headline_expr(year, store.table("person"))).iloc[0]
    p = store.to_pandas(prevalence_expr(year, [c for c, _ in conditions])).iloc[0]
    c = store.to_pandas(cost_expr(year)).iloc[0]

    registered = float(h.registered) or float("nan")
    headline = pd.DataFrame(
        [
            ("People in the store", h.people_in_store),
            (f"People in {fy}/{(fy + 1) % 100:02d}", h.people_in_year),
            ("Registered population", h.registered),
            ("Registered with 1+ LTC", h.with_ltc),
            ("Registered with 2+ LTCs", h.with_2plus),
            ("Deaths in year", h.deaths),
        ],
        columns=["measure", "people"],
    )
    headline = disclosure.suppress(headline, ["people"])
    headline["percent"] = headline.people / registered * 100
    headline.loc[:2, "percent"] = float("nan")  # the people counts are not shares

    prevalence = pd.DataFrame(
        [(label, float(p[cid])) for cid, label in conditions], columns=["condition", "people"]
    )
    prevalence = disclosure.suppress(prevalence, ["people"])
    prevalence["percent"] = prevalence.people / float(p.registered or float("nan")) * 100

    total = float(sum(c[g] for g in COST_GROUPS)) or float("nan")
    cost = pd.DataFrame([(g, float(c[g])) for g in COST_GROUPS], columns=["setting", "cost"])
    cost["per_head"] = cost.cost / float(c.people or float("nan"))
    cost["share"] = cost.cost / total * 100
    cost = pd.concat(
        [
            cost,
            pd.DataFrame(
                [("total", total, total / float(c.people or float("nan")), 100.0)],
                columns=cost.columns,
            ),
        ],
        ignore_index=True,
    )
    return Summary(fy=fy, headline=headline, prevalence=prevalence, cost=cost)
