"""Outcomes (everyone; seed 000 "Outcomes and measures" and the balanced scorecard, annex 2.3
LTC6; seed 004 §9 and West Hampshire's Table 4): the scorecard with RAG status, LTC6 by level
of need against the 75 % target, the Table 4 KPIs, funnel limits by practice or provider, the
quality level the settlement reads, and service evaluations (matched DiD beside the naive
before-and-after).

Every figure comes from tables `yoc scorecard` and `yoc evaluate` wrote after passing them
through `disclosure.suppress`, so the tables are marked already disclosed. The year filter picks
the scorecard year; the practice filter shows that practice's measures and funnel position.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from yearofcare.fy import fy_label
from yearofcare.web import charts
from yearofcare.web.auth import ANALYST, FINANCE, PUBLIC_HEALTH, SERVICE_PLANNER
from yearofcare.web.registry import (
    ChartDef,
    Column,
    Page,
    PageContext,
    PageData,
    TableView,
    register,
)

KPIS = (
    "permanent_care_home_admissions_per_100k",
    "non_elective_admissions",
    "unplanned_admissions_per_1000",
    "average_length_of_stay",
    "excess_bed_days",
    "delayed_transfer_days_per_1000",
    "weekend_discharge_share",
    "at_home_91_days_after_reablement",
)
LEVELS = ("Low", "Medium", "High", "End of life", "Unclassified")
MEASURE_COLUMNS = (
    Column("label", "Measure"),
    Column("value", "Value", "number"),
    Column("lower", "95 % from", "number"),
    Column("upper", "to", "number"),
    Column("unit", "Unit"),
    Column("target", "Target", "number"),
    Column("previous_value", "Year before", "number"),
    Column("change_percent", "Change %", "number"),
    Column("status", "Status"),
    Column("note", "Note"),
)


def _year(ctx: PageContext, frame: pd.DataFrame) -> int | None:
    years = sorted(int(y) for y in frame.fy.dropna().unique())
    if not years:
        return None
    fy = ctx.filters.fy
    return fy if fy in years else years[-1]


def _scorecard(ctx: PageContext, notes: list[str]) -> list[TableView]:
    snap = ctx.snap
    t = snap.table("outcome_scorecard")
    card = snap.execute(t)
    fy = _year(ctx, card)
    if fy is None:
        notes.append("The scorecard has no year with data yet.")
        return []
    if ctx.filters.fy is not None and fy != ctx.filters.fy:
        notes.append(f"The scorecard has no {fy_label(ctx.filters.fy)}; showing {fy_label(fy)}.")
    card = card[card.fy == fy].sort_values(["quadrant", "measure_id"], kind="stable")
    out = [
        TableView(
            "scorecard",
            f"Balanced scorecard, {fy_label(fy)}",
            [
                Column("quadrant", "Quadrant"),
                Column("label", "Measure"),
                Column("value", "Value", "number"),
                Column("unit", "Unit"),
                Column("target", "Target", "number"),
                Column("rag", "RAG"),
                Column("previous_value", "Year before", "number"),
                Column("change_percent", "Change %", "number"),
                Column("funnel_unit", "Funnel by"),
                Column("units_worse", "Units worse than expected", "int"),
                Column("units_better", "Units better", "int"),
                Column("note", "Note"),
            ],
            card.reset_index(drop=True),
            already_disclosed=True,
        )
    ]
    if snap.exists("outcome_achievement"):
        a = snap.execute(snap.table("outcome_achievement"))
        a = a[a.fy == fy].sort_values("measure", kind="stable").reset_index(drop=True)
        out.append(
            TableView(
                "achievement",
                "Outcome achievement and quality level (read by the risk-share settlement)",
                [
                    Column("label", "Measure"),
                    Column("value", "Value", "number"),
                    Column("target", "Target", "number"),
                    Column("achievement_percent", "Achievement %", "number"),
                    Column("met", "Met"),
                    Column("quality_level", "Quality level (1–5)", "int"),
                ],
                a,
                already_disclosed=True,
            )
        )
    return out


def _measures(ctx: PageContext, fy: int | None) -> list[TableView]:
    snap = ctx.snap
    t = snap.table("outcome_measure")
    if fy is not None:
        t = t.filter(t.fy == fy)
    m = snap.execute(t)
    out = []
    ltc6 = m[m.measure_id.str.match(r"^ltc6_q\d_top$") & m.dimension.isin(["all", "level"])]
    ltc6 = ltc6.assign(group_value=ltc6.group_value.replace({"all": "All levels"}))
    if not ltc6.empty:
        ltc6["question"] = ltc6.measure_id.str.extract(r"(q\d)")[0].str.upper()
        ltc6["_o"] = ltc6.group_value.map({v: i for i, v in enumerate(LEVELS)}).fillna(-1)
        ltc6 = ltc6.sort_values(["question", "_o"]).drop(columns="_o").reset_index(drop=True)
        out.append(
            TableView(
                "ltc6",
                "LTC6: % answering at the top level, by level of need (target 75 %)",
                [
                    Column("question", "Question"),
                    Column("group_value", "Level of need"),
                    Column("value", "% at the top level", "number"),
                    Column("lower", "95 % from", "number"),
                    Column("upper", "to", "number"),
                    Column("denominator", "Responses", "count"),
                    Column("target", "Target", "number"),
                    Column("status", "Status"),
                ],
                ltc6,
                already_disclosed=True,
            )
        )
    where = ("practice", ctx.filters.practice) if ctx.filters.practice else ("all", "all")
    kpi = m[m.measure_id.isin(KPIS) & (m.dimension == where[0]) & (m.group_value == where[1])]
    kpi = kpi.assign(_o=kpi.measure_id.map(KPIS.index)).sort_values("_o").drop(columns="_o")
    title = "West Hampshire Table 4 KPIs (seed 004)"
    if ctx.filters.practice:
        title += f", practice {ctx.filters.practice}"
    out.append(
        TableView(
            "kpis", title, list(MEASURE_COLUMNS), kpi.reset_index(drop=True), already_disclosed=True
        )
    )
    if ctx.filters.practice:
        mine = m[(m.dimension == "practice") & (m.group_value == ctx.filters.practice)]
        out.append(
            TableView(
                "practice_measures",
                f"Every measure for practice {ctx.filters.practice}",
                list(MEASURE_COLUMNS),
                mine.sort_values(["quadrant", "measure_id"]).reset_index(drop=True),
                already_disclosed=True,
            )
        )
    return out


def _funnel(ctx: PageContext, fy: int | None) -> list[TableView]:
    snap = ctx.snap
    if not snap.exists("outcome_funnel"):
        return []
    t = snap.table("outcome_funnel")
    if fy is not None:
        t = t.filter(t.fy == fy)
    f = snap.execute(t)
    if ctx.filters.practice:
        f = f[(f.unit != "practice") | (f.unit_id == ctx.filters.practice)]
    f = f.sort_values(["measure_id", "unit", "unit_id"]).reset_index(drop=True)
    return [
        TableView(
            "funnel",
            "Funnel limits: each practice or provider against the economy (99.8 % limits flag)",
            [
                Column("measure_id", "Measure"),
                Column("unit", "Unit"),
                Column("unit_id", "Practice or provider"),
                Column("value", "Value", "number"),
                Column("expected", "Economy", "number"),
                Column("lower_95", "95 % from", "number"),
                Column("upper_95", "to", "number"),
                Column("lower_998", "99.8 % from", "number"),
                Column("upper_998", "to", "number"),
                Column("outside", "Outside 99.8 %"),
            ],
            f,
            already_disclosed=True,
            note="Limits around the economy's value for each unit's size, so small practices "
            "are not flagged by chance (Spiegelhalter 2005).",
        )
    ]


def _evaluations(ctx: PageContext, notes: list[str]) -> list[TableView]:
    snap = ctx.snap
    if not snap.exists("evaluation_summary"):
        notes.append(
            "Evaluations: run `yoc evaluate` (needs people enrolled in a service, with 12 months "
            "of data before and after)."
        )
        return []
    s = snap.execute(snap.table("evaluation_summary"))
    s = s.sort_values(["service_id", "outcome", "method"]).reset_index(drop=True)
    out = [
        TableView(
            "evaluation",
            "Did the service work? Matched difference-in-differences beside the naive "
            "before-and-after",
            [
                Column("service_id", "Service"),
                Column("outcome", "Outcome"),
                Column("method", "Method"),
                Column("treated", "Enrolled", "count"),
                Column("controls", "Controls", "count"),
                Column("treated_pre", "Enrolled before", "number"),
                Column("treated_post", "Enrolled after", "number"),
                Column("control_pre", "Controls before", "number"),
                Column("control_post", "Controls after", "number"),
                Column("relative", "Effect (share)", "pct"),
                Column("relative_lower", "95 % from", "pct"),
                Column("relative_upper", "to", "pct"),
                Column("controls_from", "Controls from"),
            ],
            s,
            already_disclosed=True,
            note="did: against matched controls; naive: the enrolled before and after, which "
            "credits the fall every high user shows anyway (regression to the mean); six_month: "
            "seed 002's six months either side.",
        )
    ]
    if snap.exists("evaluation_balance"):
        b = snap.execute(snap.table("evaluation_balance"))
        out.append(
            TableView(
                "balance",
                "Balance before and after matching (|SMD| < 0.1 is good)",
                [
                    Column("evaluation_id", "Evaluation"),
                    Column("covariate", "Characteristic"),
                    Column("treated_mean", "Enrolled", "number"),
                    Column("pool_mean", "All potential controls", "number"),
                    Column("control_mean", "Matched controls", "number"),
                    Column("smd_before", "SMD before", "number"),
                    Column("smd_after", "SMD after", "number"),
                ],
                b.sort_values(["evaluation_id", "covariate"]).reset_index(drop=True),
                already_disclosed=True,
            )
        )
    if snap.exists("evaluation_trajectory"):
        tr = snap.execute(snap.table("evaluation_trajectory"))
        tr = tr.sort_values(["evaluation_id", "group", "month"]).reset_index(drop=True)
        out.append(
            TableView(
                "trajectory",
                "Non-elective admissions and cost by month around the start",
                [
                    Column("evaluation_id", "Evaluation"),
                    Column("group", "Group"),
                    Column("month", "Month", "int"),
                    Column("people", "People", "count"),
                    Column("non_elective_per_1000", "Non-elective per 1,000", "number"),
                    Column("cost_per_head", "Cost per head", "money"),
                ],
                tr,
                already_disclosed=True,
            )
        )
    return out


def build(ctx: PageContext) -> PageData:
    notes: list[str] = []
    sources = ["outcome_scorecard", "outcome_measure"]
    tables = _scorecard(ctx, notes)
    fy = None
    if tables:
        fy = int(tables[0].frame.fy.iloc[0]) if len(tables[0].frame) else None
    tables += _measures(ctx, fy)
    tables += _funnel(ctx, fy)
    tables += _evaluations(ctx, notes)
    for name in ("outcome_achievement", "outcome_funnel", "evaluation_summary"):
        if ctx.snap.exists(name):
            sources.append(name)
    if any(v is not None for k, v in ctx.filters.active().items() if k not in ("fy", "practice")):
        notes.append(
            "Outcome measures are computed by `yoc scorecard` for the economy, each level of "
            "need, currency, cohort, practice and provider; only the year and practice filters "
            "apply here."
        )
    return PageData(tables=tables, notes=notes, sources=sources)


def headline(t: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    card = t.get("scorecard")
    if card is None or card.empty:
        return []
    rag = card.rag.value_counts()
    out = [
        ("Measures on the scorecard", f"{len(card):,}"),
        ("Green", f"{int(rag.get('green', 0)):,}"),
        ("Amber", f"{int(rag.get('amber', 0)):,}"),
        ("Red", f"{int(rag.get('red', 0)):,}"),
    ]
    a = t.get("achievement")
    if a is not None and len(a) and a.quality_level.notna().any():
        out.append(("Quality level", f"{int(a.quality_level.dropna().iloc[0])} of 5"))
    return out


def _ltc6_chart(d: pd.DataFrame) -> dict:
    return charts.bar(
        d[d.group_value == "All levels"],
        "question",
        "value",
        title="LTC6: % answering at the top level, by question (target 75 %)",
        x_title="Question",
        y_title="% at the top level",
        sort=None,
    )


def _trajectory_chart(d: pd.DataFrame) -> dict:
    return charts.line(
        d.assign(series=d.evaluation_id.str.split("-").str[0] + ": " + d.group),
        "month",
        "non_elective_per_1000",
        "series",
        title="Non-elective admissions per 1,000 by month from the start",
        x_title="Months from the start",
        y_title="Per 1,000 people",
    )


PAGE = register(
    Page(
        slug="outcomes",
        title="Outcomes",
        audience="Everyone",
        description=(
            "The balanced scorecard with RAG status, LTC6 against the 75 % target, the Table 4 "
            "KPIs, funnel limits by practice and provider, and whether services worked."
        ),
        roles=frozenset({PUBLIC_HEALTH, SERVICE_PLANNER, FINANCE, ANALYST}),
        requires=("outcome_scorecard", "outcome_measure"),
        command="yoc scorecard (and yoc evaluate for services)",
        build=build,
        headline=headline,
        order=60,
        filters=("fy", "practice"),
        charts=(
            ChartDef("ltc6", "LTC6 by level", "ltc6", _ltc6_chart),
            ChartDef("trajectory", "Evaluation by month", "trajectory", _trajectory_chart),
        ),
    )
)
