"""Vega-Lite chart specs (built with Altair) for the analysis tables (drawn by `reports`).

Each builder takes the suppressed analysis table as stored (all splits) and returns a plain
Vega-Lite dict, so the HTML report, datapacks and the web app draw the same charts. The whole
population is always drawn; when the table is split by a group, a second, faceted chart shows
up to `MAX_GROUPS` of the largest groups (the workbook has them all).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd

from yearofcare.population.analysis.common import (
    ALL,
    COST_GROUP_LABELS,
    LTC_BANDS,
    MENTAL_BANDS,
    PHYSICAL_BANDS,
)
from yearofcare.reports.charts import HEIGHT, PALETTE, WIDTH, colour, theme
from yearofcare.schemas.population import AGE_BAND_NAMES

MAX_GROUPS = 12
BED_LABELS = {
    "acute": "Acute",
    "community": "Community",
    "mental_health": "Mental health",
    "care_home": "Care home",
}
MEASURE_LABELS = {
    "cost": "Cost",
    "gp_contacts": "GP contacts",
    "outpatient_attendances": "Outpatient attendances",
    "emergency_admissions": "Emergency admissions",
    "bed_days": "Hospital bed days",
}
SEGMENT_LABELS = {
    "both": "Selected by both",
    "risk_only": "Risk score only",
    "multimorbidity_only": "Multimorbidity only",
}
FACTOR_LABELS = {
    "ltc_band": "Number of LTCs",
    "age_band": "Age band",
    "ltc_band_x_age_band": "LTCs and age together",
}


def _t(title: str, small: bool) -> str | None:
    """An axis title, left off in small multiples."""
    return None if small else title


def _whole(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.split_by == ALL].copy()


def _groups(frame: pd.DataFrame, size: str) -> pd.DataFrame:
    """Rows of the largest `MAX_GROUPS` split groups (by the sum of `size`)."""
    g = frame[frame.split_by != ALL]
    if g.empty:
        return g
    top = g.groupby("split_value")[size].sum().sort_values(ascending=False).head(MAX_GROUPS)
    return g[g.split_value.isin(top.index)].copy()


def _compose(
    draw: Callable[[pd.DataFrame, int, int, bool], alt.Chart], frame: pd.DataFrame, size: str
) -> dict[str, Any]:
    """The whole-population chart, and beneath it a faceted chart per group when split
    (small multiples without axis titles: the whole-population chart carries them)."""
    whole = draw(_whole(frame), WIDTH, HEIGHT, False)
    groups = _groups(frame, size)
    if groups.empty:
        return theme(whole).to_dict()
    faceted = draw(groups, 200, 120, True).facet(
        facet=alt.Facet("split_value:N", title=str(groups.split_by.iloc[0])), columns=3
    )
    return theme(alt.vconcat(whole, faceted)).to_dict()


def _money(field: str, title: str | None) -> alt.Y:
    return alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format=",.0f"))


def cost_by_ltc_age(frame: pd.DataFrame) -> dict[str, Any]:
    ages = [b for b in AGE_BAND_NAMES if b in set(frame.age_band)] or list(AGE_BAND_NAMES)

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_line(point=True)
            .encode(
                x=alt.X(
                    "ltc_band:O", title=_t("Number of long-term conditions", small), sort=LTC_BANDS
                ),
                y=_money("mean_cost", _t("Mean cost per person (£)", small)),
                color=colour("age_band", "Age band", ages),
                tooltip=["ltc_band", "age_band", "people", alt.Tooltip("mean_cost", format=",.0f")],
            )
            .properties(width=w, height=h)
        )

    return _compose(draw, frame, "people")


def cost_by_ltc_setting(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame.assign(setting=frame.cost_group.map(COST_GROUP_LABELS).fillna(frame.cost_group))
    order = [COST_GROUP_LABELS[g] for g in COST_GROUP_LABELS]

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_bar()
            .encode(
                x=alt.X(
                    "ltc_band:O", title=_t("Number of long-term conditions", small), sort=LTC_BANDS
                ),
                y=alt.Y(
                    "mean_cost:Q",
                    title=_t("Mean cost per person (£)", small),
                    stack="zero",
                    axis=alt.Axis(format=",.0f"),
                ),
                color=colour("setting", "Setting", order),
                order=alt.Order("setting_order:Q"),
                tooltip=["ltc_band", "setting", alt.Tooltip("mean_cost", format=",.0f")],
            )
            .transform_calculate(setting_order=f"indexof({order!r}, datum.setting)")
            .properties(width=w, height=h)
        )

    return _compose(draw, frame, "people")


def cost_strength(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame.assign(what=frame.factor.map(FACTOR_LABELS).fillna(frame.factor))
    order = list(FACTOR_LABELS.values())

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_bar()
            .encode(
                y=alt.Y("what:N", title=None, sort=order),
                x=alt.X(
                    "eta_squared:Q",
                    title=_t("Share of variation in person cost explained", small),
                    axis=alt.Axis(format="%"),
                ),
                color=colour("what", "Factor", order),
                tooltip=["what", alt.Tooltip("eta_squared", format=".1%")],
            )
            .properties(width=w, height=max(60, h // 2))
        )

    return _compose(draw, frame, "people")


def cost_concentration(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame.assign(top=frame.top_percent.map(lambda p: f"Top {p:g}%"))
    order = [f"Top {p:g}%" for p in sorted(set(frame.top_percent))]

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        base = alt.Chart(d).encode(
            x=alt.X("top:N", title=_t("Most costly people", small), sort=order),
            y=alt.Y(
                "share_of_cost:Q", title=_t("Share of all cost", small), axis=alt.Axis(format="%")
            ),
        )
        bars = base.mark_bar(color=PALETTE[0]).encode(
            tooltip=["top", "people", alt.Tooltip("share_of_cost", format=".1%")]
        )
        text = base.mark_text(dy=-6).encode(text=alt.Text("share_of_cost:Q", format=".0%"))
        return (bars + text).properties(width=w, height=h)

    return _compose(draw, frame, "people")


def ltc_share(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame.assign(what=frame.measure.map(MEASURE_LABELS).fillna(frame.measure))
    order = list(MEASURE_LABELS.values())

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        base = alt.Chart(d).encode(y=alt.Y("what:N", title=None, sort=order))
        bars = base.mark_bar(color=PALETTE[0]).encode(
            x=alt.X(
                "share_with_ltc:Q",
                title=_t("Share used by people with a long-term condition", small),
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=["what", alt.Tooltip("share_with_ltc", format=".1%")],
        )
        people = base.mark_tick(color=PALETTE[3], thickness=3, size=18).encode(
            x="share_of_people:Q",
            tooltip=[alt.Tooltip("share_of_people", format=".1%", title="share of people")],
        )
        return (bars + people).properties(width=w, height=max(90, h // 2))

    return _compose(draw, frame, "people_total")


def mm_overlap(frame: pd.DataFrame) -> dict[str, Any]:
    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        base = alt.Chart(d).encode(
            x=alt.X("physical_band:O", title=_t("Physical LTCs", small), sort=list(PHYSICAL_BANDS)),
            y=alt.Y(
                "mental_band:O",
                title=_t("Mental health LTCs", small),
                sort=list(MENTAL_BANDS)[::-1],
            ),
        )
        cells = base.mark_rect().encode(
            color=alt.Color("mean_cost:Q", title="Mean cost (£)", scale=alt.Scale(scheme="blues")),
            tooltip=[
                "physical_band",
                "mental_band",
                "people",
                alt.Tooltip("mean_cost", format=",.0f"),
            ],
        )
        text = (
            base.mark_text(fontSize=10)
            .encode(text="label:N", color=alt.value("#212b32"))
            .transform_calculate(label="datum.people == null ? '*' : format(datum.people, ',')")
        )
        return (cells + text).properties(width=w, height=h // 2)

    return _compose(draw, frame, "people")


def risk_overlap(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame.assign(
        segment_label=frame.segment.map(SEGMENT_LABELS).fillna(frame.segment),
        top=frame.top_percent.map(lambda p: f"Top {p:g}%"),
    )
    order = list(SEGMENT_LABELS.values())

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_bar()
            .encode(
                y=alt.Y("top:N", title=_t("People selected by each method", small)),
                x=alt.X("people:Q", title=_t("People", small), stack="zero"),
                color=colour("segment_label", "Segment", order),
                tooltip=["top", "segment_label", "people", alt.Tooltip("mean_cost", format=",.0f")],
            )
            .properties(width=w, height=max(60, h // 2))
        )

    return _compose(draw, frame, "people")


def crisis_curve(frame: pd.DataFrame) -> dict[str, Any]:
    """Cohorts selected in the earliest year, followed through the later years."""
    if not frame.empty:
        frame = frame[frame.selection_fy == frame.selection_fy.min()]
    order = list(dict.fromkeys(frame.rule_label))

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_line(point=True)
            .encode(
                x=alt.X(
                    "years_since:O", title=_t("Years after selection (0 = year selected)", small)
                ),
                y=_money("mean_cost_per_member", _t("Mean cost per person selected (£)", small)),
                color=colour("rule_label", "Cohort", order),
                tooltip=[
                    "rule_label",
                    "fy",
                    "members",
                    "died_cumulative",
                    alt.Tooltip("mean_cost_per_member", format=",.0f"),
                    alt.Tooltip("mean_cost_observed", format=",.0f"),
                ],
            )
            .properties(width=w, height=h)
        )

    return _compose(draw, frame, "members")


def cohort_turnover(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame.assign(years=frame.fy_from.astype(str) + "→" + frame.fy_to.astype(str))
    order = list(dict.fromkeys(frame.sort_values("rule").rule_label))

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_bar()
            .encode(
                y=alt.Y("rule_label:N", title=None, sort=order),
                yOffset=alt.YOffset("years:N"),
                x=alt.X(
                    "retention:Q",
                    title=_t("Still selected the next year", small),
                    axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1]),
                ),
                color=alt.Color("years:N", title="Years"),
                tooltip=["rule_label", "years", "members", "retained", "retention"],
            )
            .properties(width=w, height=alt.Step(9 if small else 14))
        )

    return _compose(draw, frame, "members")


def bed_demand(frame: pd.DataFrame) -> dict[str, Any]:
    frame = frame.assign(
        setting=frame.bed_setting.map(BED_LABELS).fillna(frame.bed_setting),
        month=pd.to_datetime(frame.month).dt.strftime("%Y-%m-%d"),
    )
    order = [v for k, v in BED_LABELS.items() if k in set(frame.bed_setting)] or list(
        BED_LABELS.values()
    )

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title=_t("Month", small), axis=alt.Axis(format="%b %y")),
                y=alt.Y("mean_beds_occupied:Q", title=_t("Mean beds occupied", small)),
                color=colour("setting", "Setting", order),
                tooltip=[
                    "setting",
                    alt.Tooltip("month:T", format="%B %Y"),
                    alt.Tooltip("bed_days", format=",.0f"),
                    alt.Tooltip("mean_beds_occupied", format=",.1f"),
                ],
            )
            .properties(width=w, height=h)
        )

    return _compose(draw, frame, "bed_days")


CHARTS: dict[str, Callable[[pd.DataFrame], dict[str, Any]]] = {
    "analysis_cost_by_ltc_age": cost_by_ltc_age,
    "analysis_cost_by_ltc_setting": cost_by_ltc_setting,
    "analysis_cost_strength": cost_strength,
    "analysis_cost_concentration": cost_concentration,
    "analysis_ltc_share": ltc_share,
    "analysis_mm_overlap": mm_overlap,
    "analysis_risk_overlap": risk_overlap,
    "analysis_crisis_curve": crisis_curve,
    "analysis_cohort_turnover": cohort_turnover,
    "analysis_bed_demand": bed_demand,
}


def chart_spec(table: str, frame: pd.DataFrame) -> dict[str, Any]:
    """The Vega-Lite spec for analysis table `table` drawn from `frame`."""
    return CHARTS[table](frame)
