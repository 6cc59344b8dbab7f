"""Cost by care organisation (004 §5.6, Kent Figure 7): how the population's cost is spread
across the organisations that provide its care, by setting.

For the analysed year, every costed activity row of the analysis population is counted under
its provider (`activity.provider_code`: a trust, a practice, a local authority …; rows without
one under "not recorded"): people, activity and cost by organisation and setting group, and each
organisation's total with its share of all cost. Block shares given to registered people
(`registered_equal` contracts) are not activity of an organisation and are left out.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import ibis
import pandas as pd

from yearofcare.population.analysis.charts import _t
from yearofcare.population.analysis.common import ALL, COST_GROUP_LABELS, attach_split
from yearofcare.reports.blocks import Col
from yearofcare.reports.charts import WIDTH, colour, theme
from yearofcare.reports.formats import integer, money, percent
from yearofcare.schemas.population import COST_GROUPS
from yearofcare.sums import exact_sum

SPLIT = ("split_by", "split_value")
NOT_RECORDED = "not recorded"
TOTAL = "total"
TOP = 15


def cost_group(setting: ibis.StringValue) -> ibis.StringValue:
    return ibis.cases(
        *[(setting.isin(list(settings)), g) for g, settings in COST_GROUPS.items()],
        else_=ibis.literal("other"),
    )


def cost_by_organisation(
    py_year: ibis.Table, costed: ibis.Table, fy: int, by: str | None = None
) -> ibis.Table:
    """One row per split × organisation × cost group (and `total`): people, activity rows,
    cost, cost per person and the share of the split's cost."""
    members = py_year.select(_p_id=py_year.person_id)
    c = costed.filter(costed.fy.cast("int32") == fy)
    c = c.semi_join(members, c.person_id == members._p_id)
    c = c.select(
        "person_id",
        organisation=c.provider_code.fill_null(NOT_RECORDED),
        cost_group=cost_group(c.setting),
        cost=c.cost,
    )
    c = attach_split(c, py_year, by)
    keys = [*SPLIT, "organisation"]
    by_group = c.group_by([*keys, "cost_group"]).aggregate(
        people=c.person_id.nunique(), activity=c.count(), cost=exact_sum(c.cost)
    )
    total = c.group_by(keys).aggregate(
        cost_group=ibis.literal(TOTAL),
        people=c.person_id.nunique(),
        activity=c.count(),
        cost=exact_sum(c.cost),
    )
    t = ibis.union(by_group, total.select(*by_group.columns), distinct=False)
    whole = total.group_by(list(SPLIT)).aggregate(_all=exact_sum(total.cost))
    t = t.join(whole, list(SPLIT))
    return t.select(
        fy=ibis.literal(fy).cast("int16"),
        split_by=t.split_by,
        split_value=t.split_value,
        organisation=t.organisation,
        cost_group=t.cost_group,
        people=t.people,
        activity=t.activity,
        cost=t.cost,
        mean_cost=t.cost / t.people.nullif(0).cast("float64"),
        share_of_cost=t.cost / t._all.nullif(0),
    )


# ---- report pieces ---------------------------------------------------------------------------
LABELS = {**COST_GROUP_LABELS, TOTAL: "All settings"}
DISPLAY = [
    Col("organisation", "Organisation"),
    Col("cost", "Cost (£)", money),
    Col("share_of_cost", "Share of all cost", percent),
    Col("people", "People", integer),
    Col("activity", "Activity", integer),
    Col("mean_cost", "Cost per person (£)", money),
]


def table_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The organisations' totals, largest first (the HTML shows these; the workbook all)."""
    return frame[frame.cost_group == TOTAL].sort_values("cost", ascending=False, kind="stable")


def _top(frame: pd.DataFrame) -> pd.DataFrame:
    w = frame[frame.split_by == ALL]
    top = table_rows(w).organisation.head(TOP)
    w = w[w.organisation.isin(top) & (w.cost_group != TOTAL)]
    return w.assign(setting=w.cost_group.map(LABELS).fillna(w.cost_group))


def chart(frame: pd.DataFrame) -> dict[str, Any]:
    d = _top(frame)
    order = [LABELS[g] for g in COST_GROUP_LABELS]
    ranked = list(table_rows(frame[frame.split_by == ALL]).organisation.head(TOP))
    c = (
        alt.Chart(d)
        .mark_bar()
        .encode(
            y=alt.Y("organisation:N", title=_t("Organisation", False), sort=ranked),
            x=alt.X("cost:Q", title="Cost (£)", stack="zero", axis=alt.Axis(format=",.0f")),
            color=colour("setting", "Setting", order),
            tooltip=["organisation", "setting", "people", alt.Tooltip("cost", format=",.0f")],
        )
        .properties(width=WIDTH, height=alt.Step(16))
    )
    return theme(c).to_dict()


def headline(frames) -> str | None:
    t = frames.get("analysis_cost_by_organisation")
    if t is None or t.empty:
        return None
    totals = table_rows(t[t.split_by == ALL]).dropna(subset=["cost"])
    known = totals[totals.organisation != NOT_RECORDED]
    if known.empty or totals.cost.sum() <= 0:
        return None
    top = known.iloc[0]
    five = known.head(5).cost.sum() / totals.cost.sum()
    return (
        f"{len(totals):,} organisations provide the population's care; the largest, "
        f"{top.organisation}, has {top.share_of_cost:.0%} of the cost (£{top.cost:,.0f}) and "
        f"the largest five {five:.0%}."
    )
