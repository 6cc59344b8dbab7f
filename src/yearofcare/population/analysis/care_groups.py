"""Two groups seed 004 §5.2 asks about, each against everyone else in the population.

- **People with a learning disability** (the `learning_disability` condition of the catalogue:
  QOF register codes): how physical multimorbidity adds to their care needs — people, deaths,
  cost, non-elective cost and emergency admissions by number of physical LTCs (0 … 4+, and
  all), beside people without a learning disability.
- **People in their last year of life** (`last_year_of_life`: died in the year or within six
  months after it ends; for the latest year, deaths after the data ends are not known, so the
  group is a lower bound): their people and cost by setting and their share of each setting's
  cost (the palliative care cost review Kent ran on its linked data).
"""

from __future__ import annotations

from typing import Any

import altair as alt
import ibis
import pandas as pd

from yearofcare.population.analysis.charts import _compose, _t
from yearofcare.population.analysis.common import (
    ALL,
    COST_GROUP_LABELS,
    PHYSICAL_BANDS,
    amount,
    capped_band,
    slim,
    split,
    unpivot,
)
from yearofcare.reports.blocks import Pivot
from yearofcare.reports.charts import colour
from yearofcare.reports.formats import integer, money, number, percent
from yearofcare.schemas.population import COST_GROUPS
from yearofcare.sums import exact_sum

SPLIT = ("split_by", "split_value")
LD = {True: "learning_disability", False: "no_learning_disability"}
LD_LABELS = {
    "learning_disability": "Learning disability",
    "no_learning_disability": "No learning disability",
}
LYOL = {True: "last_year_of_life", False: "others"}
LYOL_LABELS = {"last_year_of_life": "Last year of life", "others": "Everyone else"}
ALL_BANDS = "all"
TOTAL = "total"


def learning_disability(py_year: ibis.Table, fy: int, by: str | None = None) -> ibis.Table:
    """One row per split × group × physical LTC band (and `all`)."""
    flag = "ltc_learning_disability"
    has = py_year[flag].fill_null(False) if flag in py_year.columns else ibis.literal(False)
    t = slim(
        py_year,
        by,
        group=ibis.ifelse(has, LD[True], LD[False]),
        physical_band=capped_band(py_year.physical_ltc_count, 4),
        _died=py_year.died_in_year.fill_null(False).cast("int64"),
        _cost=amount(py_year.cost_total),
        _ne=amount(py_year.cost_non_elective),
        _em=amount(py_year.n_emergency),
    )
    t = split(t, by)
    keys = [*SPLIT, "group"]
    aggs = {
        "people": t.count(),
        "deaths": t._died.sum(),
        "cost_total": exact_sum(t._cost),
        "_ne": exact_sum(t._ne),
        "_em": exact_sum(t._em),
    }
    bands = t.group_by([*keys, "physical_band"]).aggregate(**aggs)
    whole = t.group_by(keys).aggregate(physical_band=ibis.literal(ALL_BANDS), **aggs)
    g = ibis.union(bands, whole.select(*bands.columns), distinct=False)
    size = whole.select(*keys, _n=whole.people)
    g = g.join(size, keys)
    n = g.people.nullif(0).cast("float64")
    return g.select(
        fy=ibis.literal(fy).cast("int16"),
        split_by=g.split_by,
        split_value=g.split_value,
        group=g.group,
        physical_band=g.physical_band,
        people=g.people,
        deaths=g.deaths,
        cost_total=g.cost_total,
        mean_cost=g.cost_total / n,
        mean_cost_non_elective=g._ne / n,
        emergency_admissions_per_1000=g._em * 1000.0 / n,
        share_of_group=g.people / g._n.nullif(0).cast("float64"),
    )


def last_year_of_life(py_year: ibis.Table, fy: int, by: str | None = None) -> ibis.Table:
    """One row per split × group × cost group (and `total`)."""
    groups = list(COST_GROUPS)
    t = slim(
        py_year,
        by,
        group=ibis.ifelse(py_year.last_year_of_life.fill_null(False), LYOL[True], LYOL[False]),
        **{f"_c{i}": amount(py_year[f"cost_{g}"]) for i, g in enumerate(groups)},
        _ct=amount(py_year.cost_total),
    )
    long = unpivot(
        t,
        "cost_group",
        [*groups, TOTAL],
        {"_cost": [*(f"_c{i}" for i in range(len(groups))), "_ct"]},
    )
    long = split(long, by)
    agg = long.group_by([*SPLIT, "group", "cost_group"]).aggregate(
        people=long.count(), cost=exact_sum(long._cost)
    )
    setting = agg.group_by([*SPLIT, "cost_group"]).aggregate(_all=exact_sum(agg.cost))
    agg = agg.join(setting, [*SPLIT, "cost_group"])
    return agg.select(
        fy=ibis.literal(fy).cast("int16"),
        split_by=agg.split_by,
        split_value=agg.split_value,
        group=agg.group,
        cost_group=agg.cost_group,
        people=agg.people,
        cost=agg.cost,
        mean_cost=agg.cost / agg.people.nullif(0).cast("float64"),
        share_of_setting_cost=agg.cost / agg._all.nullif(0),
    )


# ---- report pieces ---------------------------------------------------------------------------
LD_BANDS = (ALL_BANDS, *PHYSICAL_BANDS)
LD_DISPLAY = [
    Pivot("People", "physical_band", "Physical LTCs", "group", "people", integer, LD_BANDS,
          tuple(LD_LABELS), column_labels=LD_LABELS, index_labels={ALL_BANDS: "All"}),
    Pivot("Mean cost per person (£)", "physical_band", "Physical LTCs", "group", "mean_cost",
          money, LD_BANDS, tuple(LD_LABELS), column_labels=LD_LABELS,
          index_labels={ALL_BANDS: "All"}),
    Pivot("Emergency admissions per 1,000 people", "physical_band", "Physical LTCs", "group",
          "emergency_admissions_per_1000", number, LD_BANDS, tuple(LD_LABELS),
          column_labels=LD_LABELS, index_labels={ALL_BANDS: "All"}),
]  # fmt: skip
LYOL_SETTINGS = {**COST_GROUP_LABELS, TOTAL: "All settings"}
LYOL_DISPLAY = [
    Pivot("Mean cost per person (£)", "cost_group", "Setting", "group", "mean_cost", money,
          tuple(LYOL_SETTINGS), tuple(LYOL_LABELS), index_labels=LYOL_SETTINGS,
          column_labels=LYOL_LABELS),
    Pivot("Share of the setting's cost", "cost_group", "Setting", "group",
          "share_of_setting_cost", percent, tuple(LYOL_SETTINGS), tuple(LYOL_LABELS),
          index_labels=LYOL_SETTINGS, column_labels=LYOL_LABELS),
]  # fmt: skip


def ld_chart(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame[frame.physical_band != ALL_BANDS]
    frame = frame.assign(label=frame.group.map(LD_LABELS).fillna(frame.group))

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_line(point=True)
            .encode(
                x=alt.X("physical_band:O", title=_t("Physical long-term conditions", small),
                        sort=list(PHYSICAL_BANDS)),
                y=alt.Y("mean_cost:Q", title=_t("Mean cost per person (£)", small),
                        axis=alt.Axis(format=",.0f")),
                color=colour("label", "Group", list(LD_LABELS.values())),
                tooltip=["label", "physical_band", "people",
                         alt.Tooltip("mean_cost", format=",.0f")],
            )
            .properties(width=w, height=h)
        )  # fmt: skip

    return _compose(draw, frame, "people")


def lyol_chart(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame[(frame.cost_group != TOTAL) & (frame.group == LYOL[True])]
    frame = frame.assign(setting=frame.cost_group.map(COST_GROUP_LABELS))

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_bar()
            .encode(
                y=alt.Y("setting:N", title=None, sort=list(COST_GROUP_LABELS.values())),
                x=alt.X("share_of_setting_cost:Q",
                        title=_t("Share of the setting's cost used in the last year of life",
                                 small), axis=alt.Axis(format="%")),
                tooltip=["setting", alt.Tooltip("share_of_setting_cost", format=".1%"),
                         alt.Tooltip("mean_cost", format=",.0f")],
            )
            .properties(width=w, height=alt.Step(12 if small else 18))
        )  # fmt: skip

    return _compose(draw, frame, "people")


def ld_headline(frames) -> str | None:
    t = frames.get("analysis_learning_disability")
    if t is None or t.empty:
        return None
    w = t[t.split_by == ALL].set_index(["group", "physical_band"])
    try:
        ld, other = w.loc[(LD[True], ALL_BANDS)], w.loc[(LD[False], ALL_BANDS)]
    except KeyError:
        return None
    if pd.isna(ld.mean_cost) or pd.isna(other.mean_cost) or not other.mean_cost:
        return None
    bands = w.loc[LD[True]].people.drop(ALL_BANDS, errors="ignore")
    two = ""
    if ld.people and not bands.isna().any():  # a suppressed band would bias the share
        share = bands[bands.index.isin(["2", "3", "4+"])].sum() / ld.people
        two = f"; {share:.0%} of them have two or more physical LTCs"
    return (
        f"People with a learning disability cost £{ld.mean_cost:,.0f} a year on average, "
        f"{ld.mean_cost / other.mean_cost:.1f} times others{two}."
    )


def lyol_headline(frames) -> str | None:
    t = frames.get("analysis_last_year_of_life")
    if t is None or t.empty:
        return None
    w = t[(t.split_by == ALL) & (t.cost_group == TOTAL)].set_index("group")
    if LYOL[True] not in w.index or LYOL[False] not in w.index:
        return None
    last, rest = w.loc[LYOL[True]], w.loc[LYOL[False]]
    if pd.isna(last.people) or pd.isna(rest.people) or pd.isna(last.share_of_setting_cost):
        return None
    share = last.people / (last.people + rest.people)
    return (
        f"People in their last year of life are {share:.1%} of the population and use "
        f"{last.share_of_setting_cost:.0%} of all cost (£{last.mean_cost:,.0f} each on average)."
    )
