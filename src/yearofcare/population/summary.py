"""The headline summary of a care economy for one year: who is there, how common each long-term
condition is, and what care costs in each setting.

This is what `yoc demo` prints and what a commissioner asks first. Counts pass through the
disclosure module; the figures come from `person_year`, so they trace back to `yoc build`.
Prevalence, deaths and cost count the declared analysis population (the same one as every
analysis: `population.analysis_population`), which the summary states; the cost of the
person-years outside it is given beside the total so the two add up to person_year's.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import pandas as pd

from yearofcare import disclosure
from yearofcare.errors import StageError
from yearofcare.population.analysis_population import DEFAULT_POPULATION, AnalysisPopulation
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
    headline: pd.DataFrame  # measure, people, percent (of the analysis population)
    prevalence: pd.DataFrame  # condition, people, percent (of the analysis population)
    cost: pd.DataFrame  # setting, cost, per_head, share (of the analysis population)
    population: str = DEFAULT_POPULATION.description
    #: cost (£) and person-years of person_year outside the analysis population
    cost_outside: float = 0.0
    people_outside: int = 0


def headline_expr(
    year: ibis.Table, people_in_store: ibis.Table, population: AnalysisPopulation
) -> ibis.Table:
    """One row of counts for the year (an expression; nothing is executed here)."""
    registered = year.months_registered.fill_null(0) > 0
    inside = population.includes(year)
    return year.aggregate(
        people_in_year=year.count(),
        registered=registered.sum(),
        population=inside.sum(),
        with_ltc=((year.ltc_count >= 1) & inside).sum(),
        with_2plus=((year.ltc_count >= 2) & inside).sum(),
        deaths=(year.died_in_year & inside).sum(),
        cost_outside=year.cost_total.fill_null(0).sum(where=~inside),
    ).cross_join(people_in_store.aggregate(people_in_store=people_in_store.count()))


def prevalence_expr(members: ibis.Table, conditions: list[str]) -> ibis.Table:
    return members.aggregate(
        population=members.count(),
        **{c: members[f"ltc_{c}"].fill_null(False).sum() for c in conditions},
    )


def cost_expr(members: ibis.Table) -> ibis.Table:
    return members.aggregate(
        people=members.count(),
        **{g: members[f"cost_{g}"].fill_null(0).sum() for g in COST_GROUPS},
    )


def summarise(
    store: Store, fy: int | None = None, population: AnalysisPopulation = DEFAULT_POPULATION
) -> Summary:
    """Headline, prevalence and cost by setting for `fy` (default: the latest built year), of
    the analysis population."""
    py = store.table("person_year")
    if fy is None:
        latest = store.to_pandas(py.aggregate(m=py.fy.max()))["m"].iloc[0]
        if pd.isna(latest):
            raise StageError("person_year is empty", hint="run `yoc build` first")
        fy = int(latest)
    year = py.filter(py.fy == fy)
    members = population.members(year)
    conditions = _qof_conditions()
    h = store.to_pandas(headline_expr(year, store.table("person"), population)).iloc[0]
    p = store.to_pandas(prevalence_expr(members, [c for c, _ in conditions])).iloc[0]
    c = store.to_pandas(cost_expr(members)).iloc[0]

    size = float(h.population) or float("nan")
    headline = pd.DataFrame(
        [
            ("People in the store", h.people_in_store),
            (f"People in {fy}/{(fy + 1) % 100:02d}", h.people_in_year),
            ("Registered population", h.registered),
            (f"Analysis population ({population.description})", h.population),
            ("With 1+ LTC", h.with_ltc),
            ("With 2+ LTCs", h.with_2plus),
            ("Deaths in year", h.deaths),
        ],
        columns=["measure", "people"],
    )
    headline = disclosure.suppress(headline, ["people"])
    headline["percent"] = headline.people / size * 100
    headline.loc[:3, "percent"] = float("nan")  # the people counts are not shares

    prevalence = pd.DataFrame(
        [(label, float(p[cid])) for cid, label in conditions], columns=["condition", "people"]
    )
    prevalence = disclosure.suppress(prevalence, ["people"])
    prevalence["percent"] = prevalence.people / float(p.population or float("nan")) * 100

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
    # costs to 3 significant figures, per head over the rounded population, shares of the
    # rounded total: the population cannot be recovered as cost ÷ cost per head
    cost["people"] = float(c.people or 0)
    cost = disclosure.suppress(cost, ["people"], totals=["cost"], per={"per_head": "people"}).drop(
        columns=["people", "suppressed"]
    )
    cost["share"] = cost.cost / cost.cost.iloc[-1] * 100
    return Summary(
        fy=fy,
        headline=headline,
        prevalence=prevalence,
        cost=cost,
        population=population.description,
        cost_outside=float(h.cost_outside or 0.0),
        people_outside=_rounded(int(h.people_in_year - h.population)),
    )


def _rounded(n: int) -> int:
    """A count printed beside the summary, through the same small-number rule."""
    safe = disclosure.suppress(pd.DataFrame({"n": [float(n)]}), ["n"])
    value = safe.n.iloc[0]
    return 0 if pd.isna(value) else int(value)
