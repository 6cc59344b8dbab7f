"""Population (public health; Kent's dashboard, seed 004 §5.2 and §5.7): registered population,
LTC prevalence, multimorbidity by age and deprivation, cost by number of LTCs and setting,
concentration, and — from `yoc analyse` — the crisis curve and bed demand.

The filterable figures come from one grouped scan of `person_year` (age band × IMD quintile ×
LTC band, with every LTC flag and cost column summed), so the page costs one pass over the
year plus one ranking for concentration, whatever the filters.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import pandas as pd

from yearofcare.fy import fy_label
from yearofcare.population.analysis.common import COST_GROUP_LABELS, LTC_BANDS, amount, ltc_band
from yearofcare.reports.formats import integer, money, percent
from yearofcare.schemas.population import AGE_BANDS, COST_GROUPS, catalogue_rows
from yearofcare.web import charts
from yearofcare.web.auth import ANALYST, FINANCE, PUBLIC_HEALTH, SERVICE_PLANNER
from yearofcare.web.filters import imd_quintile, run_filtered
from yearofcare.web.registry import (
    ChartDef,
    Column,
    Page,
    PageContext,
    PageData,
    TableView,
    register,
)

AGES = tuple(b[0] for b in AGE_BANDS)
CONCENTRATION = (0.5, 1.0, 5.0, 10.0, 20.0)
CONDITIONS = {r["condition_id"]: r["label"] for r in catalogue_rows()}


def cube(ctx: PageContext) -> pd.DataFrame:
    """people, LTC flags and cost by age band × IMD quintile × LTC band (one scan)."""
    return run_filtered(ctx.snap, "population.cube", ctx.filters, _cube)


def _cube(py: ibis.Table) -> ibis.Table:
    py = py.filter(py.months_registered.fill_null(0) > 0)
    sums = {f"ltc_{c}": py[f"ltc_{c}"].fill_null(False).cast("int64").sum() for c in CONDITIONS}
    sums |= {f"cost_{g}": amount(py[f"cost_{g}"]).sum() for g in COST_GROUPS}
    return py.group_by(
        age_band=py.age_band.fill_null("Unknown"),
        imd_quintile=imd_quintile(py.imd_decile).cast("string").fill_null("Unknown"),
        ltc_band=ltc_band(py.ltc_count),
    ).aggregate(
        people=py.count(),
        multimorbid=(py.ltc_count.fill_null(0) >= 2).cast("int64").sum(),
        deaths=py.died_in_year.cast("int64").sum(),
        cost_total=amount(py.cost_total).sum(),
        **sums,
    )


def concentration(ctx: PageContext) -> pd.DataFrame:
    """Share of cost in the top p% of people by cost (top p% of n = ceil(n·p))."""
    row = run_filtered(ctx.snap, "population.concentration", ctx.filters, _concentration).iloc[0]
    total = float(row["total"] or 0.0)
    people = int(row["people"] or 0)
    rows = []
    for p in CONCENTRATION:
        k = -(-people * round(p * 100) // 10000)
        share = float(row[f"top_{p}"] or 0.0) / total if total else float("nan")
        rows.append({"top_percent": f"Top {p:g}%", "people": k, "cost_share": share})
    return pd.DataFrame(rows)


def _concentration(py: ibis.Table) -> ibis.Table:
    py = py.filter(py.months_registered.fill_null(0) > 0)
    c = amount(py.cost_total)
    ranked = py.select(cost=c, rank=ibis.row_number().over(order_by=[ibis.desc(c), py.person_id]))
    n = ranked.count().as_scalar()
    aggs = {"people": ranked.count(), "total": ranked.cost.sum()}
    for p in CONCENTRATION:
        k = (n * round(p * 100) + 9999) // 10000
        aggs[f"top_{p}"] = ranked.cost.sum(where=ranked["rank"] < k)
    return ranked.aggregate(**aggs)


def build(ctx: PageContext) -> PageData:
    cb = cube(ctx)
    people = cb["people"].sum()
    totals = pd.DataFrame(
        [
            {
                "registered_population": int(people),
                "with_ltc": int(cb.loc[cb.ltc_band != "0", "people"].sum()),
                "multimorbid": int(cb["multimorbid"].sum()),
                "deaths": int(cb["deaths"].sum()),
                "cost_total": float(cb["cost_total"].sum()),
            }
        ]
    )
    totals["cost_per_person"] = totals.cost_total / people if people else float("nan")
    totals["share_with_ltc"] = totals.with_ltc / people if people else float("nan")
    totals["share_multimorbid"] = totals.multimorbid / people if people else float("nan")

    prev = pd.DataFrame(
        {
            "condition": [CONDITIONS[c] for c in CONDITIONS],
            "people": [int(cb[f"ltc_{c}"].sum()) for c in CONDITIONS],
        }
    )
    prev["registered"] = int(people)
    prev["prevalence"] = prev.people / people if people else float("nan")
    prev = prev.sort_values("people", ascending=False, kind="stable").reset_index(drop=True)

    def mm_by(dim: str, order: tuple[str, ...]) -> pd.DataFrame:
        g = cb.groupby([dim, "ltc_band"], as_index=False)["people"].sum()
        g["band_people"] = g.groupby(dim)["people"].transform("sum")
        g["share"] = g.people / g.band_people
        key = {v: i for i, v in enumerate(order)}
        g["_o"] = g[dim].map(lambda v: key.get(v, len(key)))
        g["_b"] = g.ltc_band.map(LTC_BANDS.index)
        return g.sort_values(["_o", "_b"]).drop(columns=["_o", "_b"]).reset_index(drop=True)

    by_age = mm_by("age_band", AGES)
    by_imd = mm_by("imd_quintile", ("1", "2", "3", "4", "5"))

    cost_rows = []
    for band, g in cb.groupby("ltc_band"):
        n = int(g.people.sum())
        for grp in COST_GROUPS:
            cost = float(g[f"cost_{grp}"].sum())
            cost_rows.append(
                {
                    "ltc_band": band,
                    "setting": COST_GROUP_LABELS[grp],
                    "people": n,
                    "cost": cost,
                    "cost_per_person": cost / n if n else float("nan"),
                }
            )
    by_setting = pd.DataFrame(cost_rows)
    if not by_setting.empty:
        by_setting["_b"] = by_setting.ltc_band.map(LTC_BANDS.index)
        by_setting = by_setting.sort_values("_b", kind="stable").drop(columns="_b")

    tables = [
        TableView(
            "summary",
            f"Registered population, {fy_label(ctx.filters.fy) if ctx.filters.fy else ''}",
            [
                Column("registered_population", "Registered population", "count"),
                Column("with_ltc", "People with ≥ 1 LTC", "count"),
                Column("share_with_ltc", "Share with ≥ 1 LTC", "pct"),
                Column("multimorbid", "People with ≥ 2 LTCs", "count"),
                Column("share_multimorbid", "Share with ≥ 2 LTCs", "pct"),
                Column("deaths", "Deaths in the year", "count"),
                Column("cost_total", "Health and care cost", "money"),
                Column("cost_per_person", "Cost per person", "money"),
            ],
            totals,
            counts=("registered_population", "with_ltc", "multimorbid", "deaths"),
            derived_from={
                "share_with_ltc": ("registered_population", "with_ltc"),
                "share_multimorbid": ("registered_population", "multimorbid"),
                "cost_total": ("registered_population",),
                "cost_per_person": ("registered_population",),
            },
            consistent={
                "totals": ["cost_total"],
                "per": {"cost_per_person": "registered_population"},
                "ratios": {
                    "share_with_ltc": ("with_ltc", "registered_population"),
                    "share_multimorbid": ("multimorbid", "registered_population"),
                },
            },
        ),
        TableView(
            "prevalence",
            "Long-term condition prevalence",
            [
                Column("condition", "Condition"),
                Column("people", "People", "count"),
                Column("registered", "Registered population", "count"),
                Column("prevalence", "Prevalence", "pct"),
            ],
            prev,
            counts=("people", "registered"),
            derived_from={"prevalence": ("people", "registered")},
            consistent={"ratios": {"prevalence": ("people", "registered")}},
        ),
        TableView(
            "multimorbidity_age",
            "Multimorbidity by age band",
            [
                Column("age_band", "Age band"),
                Column("ltc_band", "LTCs"),
                Column("people", "People", "count"),
                Column("share", "Share of the age band", "pct"),
            ],
            by_age,
            counts=("people", "band_people"),
            derived_from={"share": ("people", "band_people")},
            consistent={"ratios": {"share": ("people", "band_people")}},
        ),
        TableView(
            "multimorbidity_deprivation",
            "Multimorbidity by deprivation (IMD quintile, 1 = most deprived)",
            [
                Column("imd_quintile", "IMD quintile"),
                Column("ltc_band", "LTCs"),
                Column("people", "People", "count"),
                Column("share", "Share of the quintile", "pct"),
            ],
            by_imd,
            counts=("people", "band_people"),
            derived_from={"share": ("people", "band_people")},
            consistent={"ratios": {"share": ("people", "band_people")}},
        ),
        TableView(
            "cost_by_ltc_setting",
            "Cost by number of LTCs and setting",
            [
                Column("ltc_band", "LTCs"),
                Column("setting", "Setting"),
                Column("people", "People", "count"),
                Column("cost", "Cost", "money"),
                Column("cost_per_person", "Cost per person", "money"),
            ],
            by_setting,
            counts=("people",),
            derived_from={"cost": ("people",), "cost_per_person": ("people",)},
            consistent={"totals": ["cost"], "per": {"cost_per_person": "people"}},
        ),
        TableView(
            "concentration",
            "Concentration of cost",
            [
                Column("top_percent", "Most costly"),
                Column("people", "People", "count"),
                Column("cost_share", "Share of all cost", "pct"),
            ],
            concentration(ctx),
            counts=("people",),
            derived_from={"cost_share": ("people",)},
        ),
    ]
    notes, sources = [], ["person_year"]
    for name, key, title in (
        ("analysis_crisis_curve", "crisis_curve", "Crisis curve"),
        ("analysis_bed_demand", "bed_demand", "Bed demand by month"),
    ):
        if not ctx.snap.exists(name):
            notes.append(f"{title}: run `yoc analyse` first.")
            continue
        frame, note = _analysis_rows(ctx, name)
        sources.append(name)
        tables.append(
            TableView(key, title, _analysis_columns(name), frame, note=note, already_disclosed=True)
        )
    return PageData(tables=tables, notes=notes, sources=sources)


def _analysis_rows(ctx: PageContext, name: str) -> tuple[pd.DataFrame, str]:
    """Rows of a stored analysis table for the filtered place or practice when it was split so,
    else for the whole population (these follow cohorts across years, so the year filter and
    the person filters do not apply)."""
    f = ctx.filters
    split, value = "all", None
    if f.practice:
        split, value = "practice", f.practice
    elif f.place:
        split, value = "locality", f.place

    def rows_for(split_by: str, split_value: str | None = None) -> ibis.Table:
        t = ctx.snap.table(name)
        t = t.filter(t.split_by == split_by)
        return t if split_value is None else t.filter(t.split_value == split_value)

    if value is not None:
        rows = ctx.snap.prepared(
            f"{name}.{split}", rows_for, {"split_by": split, "split_value": value}
        )
        if not rows.empty:
            return (
                rows,
                f"From `yoc analyse --by {split}`, for {value}; other filters do not apply.",
            )
    rows = ctx.snap.prepared(f"{name}.all", rows_for, {"split_by": "all"})
    why = (
        f"whole population: `yoc analyse --by {split}` was not run"
        if value is not None
        else "whole population"
    )
    return rows, f"From `yoc analyse` ({why}); the person filters do not apply."


def _analysis_columns(name: str) -> list[Column]:
    if name == "analysis_crisis_curve":
        return [
            Column("rule_label", "Cohort"),
            Column("selection_fy", "Selected in", "int"),
            Column("years_since", "Years since", "int"),
            Column("fy", "Year", "int"),
            Column("members", "Members", "count"),
            Column("observed", "Still present", "count"),
            Column("died_cumulative", "Died (cumulative)", "count"),
            Column("mean_cost_per_member", "Mean cost per member", "money"),
        ]
    return [
        Column("bed_setting", "Beds"),
        Column("month", "Month"),
        Column("people", "People", "count"),
        Column("bed_days", "Bed days", "number"),
        Column("mean_beds_occupied", "Mean beds occupied", "number"),
    ]


def _headline(frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    s = frames["summary"].iloc[0]

    def fmt(v: object, f) -> str:
        return "*" if pd.isna(v) else f(v)

    return [
        ("Registered population", fmt(s.registered_population, integer)),
        ("With a long-term condition", fmt(s.share_with_ltc, percent)),
        ("With two or more", fmt(s.share_multimorbid, percent)),
        ("Cost per person", fmt(s.cost_per_person, money)),
    ]


PAGE = register(
    Page(
        slug="population",
        title="Population",
        audience="Public health",
        description=(
            "Who lives here, which long-term conditions they have, how multimorbidity rises "
            "with age and deprivation, and where the money goes."
        ),
        roles=frozenset({PUBLIC_HEALTH, SERVICE_PLANNER, FINANCE, ANALYST}),
        requires=("person_year",),
        command="yoc build",
        build=build,
        order=10,
        headline=_headline,
        charts=(
            ChartDef(
                "prevalence",
                "Prevalence",
                "prevalence",
                lambda d: charts.bar(
                    d.head(15),
                    "condition",
                    "prevalence",
                    title="Most common long-term conditions",
                    x_title="",
                    y_title="Prevalence",
                    sort="-x",
                    y_format=".0%",
                    horizontal=True,
                ),
            ),
            ChartDef(
                "mm_age",
                "Multimorbidity by age",
                "multimorbidity_age",
                lambda d: charts.stacked(
                    d,
                    "age_band",
                    "people",
                    "ltc_band",
                    title="Number of LTCs by age band",
                    x_title="Age band",
                    y_title="Share of people",
                    colour_title="LTCs",
                    x_sort=list(AGES),
                    colour_sort=list(LTC_BANDS),
                    normalise=True,
                ),
            ),
            ChartDef(
                "mm_imd",
                "Multimorbidity by deprivation",
                "multimorbidity_deprivation",
                lambda d: charts.stacked(
                    d,
                    "imd_quintile",
                    "people",
                    "ltc_band",
                    title="Number of LTCs by IMD quintile (1 = most deprived)",
                    x_title="IMD quintile",
                    y_title="Share of people",
                    colour_title="LTCs",
                    colour_sort=list(LTC_BANDS),
                    normalise=True,
                ),
            ),
            ChartDef(
                "cost_setting",
                "Cost by LTCs and setting",
                "cost_by_ltc_setting",
                lambda d: charts.stacked(
                    d,
                    "ltc_band",
                    "cost_per_person",
                    "setting",
                    title="Cost per person by number of LTCs and setting",
                    x_title="Number of LTCs",
                    y_title="£ per person",
                    colour_title="Setting",
                    x_sort=list(LTC_BANDS),
                ),
            ),
            ChartDef(
                "concentration",
                "Concentration",
                "concentration",
                lambda d: charts.bar(
                    d,
                    "top_percent",
                    "cost_share",
                    title="Share of cost used by the most costly people",
                    x_title="",
                    y_title="Share of all cost",
                    sort=None,
                    y_format=".0%",
                ),
            ),
            ChartDef(
                "crisis_curve",
                "Crisis curve",
                "crisis_curve",
                lambda d: charts.line(
                    d[d.selection_fy == d.selection_fy.min()],
                    "years_since",
                    "mean_cost_per_member",
                    "rule_label",
                    title="Crisis curve: mean cost per member in the years after selection",
                    x_title="Years since selection",
                    y_title="£ per member selected",
                ),
            ),
            ChartDef(
                "bed_demand",
                "Bed demand",
                "bed_demand",
                lambda d: charts.line(
                    d.assign(month=d.month.astype(str).str[:7]),
                    "month",
                    "mean_beds_occupied",
                    "bed_setting",
                    title="Beds occupied on an average day, by month",
                    x_title="Month",
                    y_title="Beds occupied",
                ),
            ),
        ),
    )
)
