"""Bed demand by number of long-term conditions (004 §5.2: bed modelling across acute,
community, mental health and care home beds): who occupies the beds.

For the analysed year, person_year's bed days (acute, community, mental health inpatient, care
home) by LTC band: people in the band, people with any bed days, bed days, bed days per 1,000
people, mean beds occupied (bed days / days in the year) and the band's share of the
setting's bed days.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import altair as alt
import ibis
import pandas as pd

from yearofcare.population.analysis.charts import BED_LABELS, _compose, _t
from yearofcare.population.analysis.common import (
    ALL,
    BY_COLUMNS,
    LTC_BANDS,
    amount,
    ltc_band,
    split,
    unpivot,
)
from yearofcare.reports.blocks import Pivot
from yearofcare.reports.charts import colour

SPLIT = ("split_by", "split_value")
COLUMNS = {
    "acute": "bed_days_acute",
    "community": "bed_days_community",
    "mental_health": "bed_days_mental_health",
    "care_home": "care_home_days",
}


def bed_demand_by_ltc(py_year: ibis.Table, fy: int, by: str | None = None) -> ibis.Table:
    """One row per split × LTC band × bed setting."""
    days = (date(fy + 1, 4, 1) - date(fy, 4, 1)).days
    t = py_year.select(
        *([BY_COLUMNS[by]] if by else []),
        person_id=py_year.person_id,
        ltc_band=ltc_band(py_year.ltc_count),
        **{f"_b{i}": amount(py_year[col]) for i, col in enumerate(COLUMNS.values())},
    )
    long = unpivot(t, "bed_setting", list(COLUMNS), {"_bd": [f"_b{i}" for i in range(4)]})
    long = split(long, by)
    agg = long.group_by([*SPLIT, "ltc_band", "bed_setting"]).aggregate(
        people=long.count(),
        people_with_bed_days=(long._bd > 0).cast("int64").sum(),
        bed_days=long._bd.sum(),
    )
    total = agg.group_by([*SPLIT, "bed_setting"]).aggregate(_all=agg.bed_days.sum())
    agg = agg.join(total, [*SPLIT, "bed_setting"])
    return agg.select(
        fy=ibis.literal(fy).cast("int16"),
        split_by=agg.split_by,
        split_value=agg.split_value,
        ltc_band=agg.ltc_band,
        bed_setting=agg.bed_setting,
        people=agg.people,
        people_with_bed_days=agg.people_with_bed_days,
        bed_days=agg.bed_days,
        bed_days_per_1000=agg.bed_days * 1000.0 / agg.people.nullif(0).cast("float64"),
        mean_beds_occupied=agg.bed_days / days,
        share_of_bed_days=agg.bed_days / agg._all.nullif(0),
    )


# ---- report pieces ---------------------------------------------------------------------------
DISPLAY = [
    Pivot(
        "Mean beds occupied",
        "ltc_band",
        "LTCs",
        "bed_setting",
        "mean_beds_occupied",
        lambda v: f"{v:,.1f}",
        LTC_BANDS,
        tuple(BED_LABELS),
        column_labels=BED_LABELS,
    ),
    Pivot(
        "Share of the setting's bed days",
        "ltc_band",
        "LTCs",
        "bed_setting",
        "share_of_bed_days",
        lambda v: f"{v:.0%}",
        LTC_BANDS,
        tuple(BED_LABELS),
        column_labels=BED_LABELS,
    ),
]


def chart(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame.assign(setting=frame.bed_setting.map(BED_LABELS).fillna(frame.bed_setting))
    order = list(BED_LABELS.values())

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_bar()
            .encode(
                x=alt.X("ltc_band:O", title=_t("Number of long-term conditions", small),
                        sort=LTC_BANDS),
                y=alt.Y("mean_beds_occupied:Q", title=_t("Mean beds occupied", small),
                        stack="zero"),
                color=colour("setting", "Setting", order),
                tooltip=["ltc_band", "setting", "people", alt.Tooltip("bed_days", format=",.0f"),
                         alt.Tooltip("mean_beds_occupied", format=",.1f")],
            )
            .properties(width=w, height=h)
        )  # fmt: skip

    return _compose(draw, frame, "people")


def headline(frames) -> str | None:
    t = frames.get("analysis_bed_demand_by_ltc")
    if t is None or t.empty:
        return None
    w = t[(t.split_by == ALL) & (t.bed_setting == "acute")].dropna(subset=["people", "bed_days"])
    if w.empty or w.bed_days.sum() <= 0 or w.people.sum() <= 0:
        return None
    many = w[w.ltc_band.isin(["3", "4", "5+"])]
    people = many.people.sum() / w.people.sum()
    beds = many.bed_days.sum() / w.bed_days.sum()
    return (
        f"People with 3 or more LTCs are {people:.0%} of the population and occupy "
        f"{beds:.0%} of acute bed days ({many.mean_beds_occupied.sum():,.0f} of "
        f"{w.mean_beds_occupied.sum():,.0f} beds on an average day)."
    )
