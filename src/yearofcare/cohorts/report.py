"""Cohorts as report sections: the register and two-stage selection, and stability and
volatility. The register and review tables are person-level, so `prepare` turns them into
counts by cohort (through small-number suppression) before anything leaves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd

from yearofcare.disclosure import DisclosurePolicy, suppress
from yearofcare.fy import fy_label
from yearofcare.reports import blocks as rb
from yearofcare.reports.blocks import Col
from yearofcare.reports.charts import theme
from yearofcare.reports.formats import integer as _int
from yearofcare.reports.formats import money as _money
from yearofcare.reports.formats import percent as _pct
from yearofcare.reports.section import Chart, Section, SectionData, Sheet

_T = "yearofcare.cohorts:"


def _register_counts(
    frames: Mapping[str, pd.DataFrame], policy: DisclosurePolicy
) -> dict[str, pd.DataFrame]:
    member, review = frames["cohort_member"], frames["cohort_review"]
    rows = []
    for cid, g in review.groupby("cohort_id"):
        for fy, h in g.groupby("selection_fy"):
            counts = h.decision.value_counts()
            rows.append({"cohort_id": cid, "what": f"selected from {fy_label(int(fy))}: proposed",
                         "order": 0, "people": len(h)})  # fmt: skip
            for k in ("accepted", "declined", "pending"):
                rows.append({"cohort_id": cid, "what": f"selected from {fy_label(int(fy))}: {k}",
                             "order": 1, "people": int(counts.get(k, 0))})  # fmt: skip
    for cid, g in member.groupby("cohort_id"):
        rows.append({"cohort_id": cid, "what": "members now (open spells)", "order": 2,
                     "people": int(g.leave_date.isna().sum())})  # fmt: skip
        for reason, h in g[g.leave_date.notna()].groupby("leave_reason"):
            rows.append({"cohort_id": cid, "what": f"spells ended: {reason.replace('_', ' ')}",
                         "order": 3, "people": len(h)})  # fmt: skip
        joined = g[g.join_reason == "changed_currency"]
        rows.append({"cohort_id": cid, "what": "spells opened at a new currency value", "order": 3,
                     "people": len(joined)})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["cohort_id", "what", "order", "people"])
    safe = suppress(frame, ["people"], [], policy)
    by_value = (
        member[member.leave_date.isna()]
        .groupby(["cohort_id", "currency", "currency_value"], dropna=False)
        .size()
        .rename("people")
        .reset_index()
    )
    return {
        "register_summary": safe,
        "register_by_value": suppress(by_value, ["people"], [], policy),
    }


def _register_blocks(d: SectionData) -> list[rb.Block]:
    return [
        rb.table(d.frames["register_summary"],
                 [Col("cohort_id", "Cohort", text=True), Col("what", "", text=True), Col("people", "People", _int)],
                 "Selection, review and the register"),
        rb.table(d.frames["register_by_value"],
                 [Col("cohort_id", "Cohort", text=True), Col("currency", "Currency", text=True),
                  Col("currency_value", "Value", text=True), Col("people", "Members now", _int)],
                 "Members by currency value"),
    ]  # fmt: skip


def _register_finding(d: SectionData) -> str | None:
    s = d.frames["register_summary"]
    now = s[s.what == "members now (open spells)"]
    if now.empty:
        return None
    return (
        "Members now: "
        + ", ".join(
            f"{r.cohort_id} {r.people:,.0f}" if not rb.is_missing(r.people) else f"{r.cohort_id} *"
            for r in now.itertuples()
        )
        + "."
    )


def _stability_blocks(d: SectionData) -> list[rb.Block]:
    vol = d.frames["cohort_volatility"]
    return [
        rb.table(d.frames["cohort_stability"],
                 [Col("cohort_id", "Cohort", text=True), Col("fy_from", "From", lambda v: fy_label(int(v))),
                  Col("members", "Selected", _int), Col("retained", "Selected again", _int),
                  Col("died", "Died", _int), Col("moved_away", "Moved away", _int),
                  Col("stepped_down", "No longer selected", _int), Col("joiners", "Joiners", _int),
                  Col("retention", "Retention", _pct)],
                 "Year-to-year turnover"),
        rb.chart("cohort_volatility"),
        rb.table(vol[vol.tolerance_percent == vol.tolerance_percent.min()] if len(vol) else vol,
                 [Col("cohort_id", "Cohort", text=True), Col("cohort_size", "Cohort size", _int),
                  Col("budget", "Budget per person (£)", _money), Col("mean_cost_p05", "5th percentile (£)", _money),
                  Col("mean_cost_p95", "95th percentile (£)", _money),
                  Col("probability_miss", "P(miss by more than the tolerance)", _pct)],
                 "Volatility of the mean cost by cohort size"),
    ]  # fmt: skip


def volatility_chart(d: SectionData) -> dict[str, Any] | None:
    vol = d.frames["cohort_volatility"]
    if vol.empty:
        return None
    data = vol.assign(tolerance=vol.tolerance_percent.map(lambda t: f"miss by > {t:g}%"))
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("cohort_size:Q", title="Cohort size (people)", scale=alt.Scale(type="log")),
            y=alt.Y(
                "probability_miss:Q",
                title="Chance the outturn misses the budget",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color("cohort_id:N", title="Cohort"),
            strokeDash=alt.StrokeDash("tolerance:N", title=None),
        )
        .properties(width=480, height=260)
    )
    return theme(chart).to_dict()


def _stability_finding(d: SectionData) -> str | None:
    vol = d.frames["cohort_volatility"]
    if vol.empty:
        return None
    t = vol[vol.tolerance_percent == vol.tolerance_percent.min()]
    small = t[t.cohort_size == t.cohort_size.min()]
    parts = [f"{r.cohort_id} {r.probability_miss:.0%}" for r in small.itertuples()]
    return (
        f"With {int(small.cohort_size.iloc[0]):,} people, the chance of missing a budget set at the "
        f"mean by more than {t.tolerance_percent.iloc[0]:g}%: " + ", ".join(parts) + "."
    )


SECTIONS: tuple[Section, ...] = (
    Section(
        id="cohort_register", title="Need and cohorts: selection and the cohort register",
        stage="cohort", command="yoc cohort select / review / update",
        tables=("cohort_review", "cohort_member"), template=_T + "cohort_register.html.j2",
        blocks=_register_blocks, finding=_register_finding, prepare=_register_counts,
        sheets=lambda d: [Sheet("Register summary", d.frames["register_summary"], "Selection, review and register counts"),
                          Sheet("Members by value", d.frames["register_by_value"], "Open spells by currency value")],
    ),
    Section(
        id="cohort_stability", title="Need and cohorts: stability and volatility",
        stage="cohort-stability", command="yoc cohort stability",
        tables=("cohort_stability", "cohort_volatility"), template=_T + "cohort_stability.html.j2",
        blocks=_stability_blocks,
        charts=(Chart("cohort_volatility", "chance of missing the budget by cohort size", volatility_chart),),
        finding=_stability_finding,
        sheets=lambda d: [Sheet("Turnover", d.frames["cohort_stability"], "Year-to-year turnover", {"retention": "pct"}),
                          Sheet("Volatility", d.frames["cohort_volatility"], "Bootstrap of the mean cost by cohort size",
                                {"budget": "money", "mean_cost_sd": "money", "mean_cost_p05": "money",
                                 "mean_cost_p95": "money", "probability_miss": "pct", "probability_over": "pct"})],
    ),
)  # fmt: skip
