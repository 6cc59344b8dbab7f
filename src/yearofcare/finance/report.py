"""The money's report sections (reports layer): "Tariffs and budget", and "Tags, double payment
and reconciliation". The tables are stored in pence and unsuppressed; `prepare` turns them into
the finance views (finance/views.py: pounds, counts of people through `disclosure.suppress`),
which the blocks, charts and workbook sheets all show."""

from __future__ import annotations

import altair as alt
import pandas as pd

from yearofcare.disclosure import DisclosurePolicy
from yearofcare.finance import views
from yearofcare.fy import fy_label
from yearofcare.reports import Chart, Section
from yearofcare.reports import blocks as rb
from yearofcare.reports.charts import PALETTE, theme
from yearofcare.reports.formats import (
    integer,
    number,
    percent,
    signed_money,
    signed_money_pence,
    text,
)
from yearofcare.reports.section import SectionData, Sheet

TARIFFS = [
    rb.Col("currency", "Currency", text=True),
    rb.Col("value", "Value", text=True),
    rb.Col("fy", "Costs of", text=True),
    rb.Col("people", "People", integer),
    rb.Col("raw_mean", "Raw mean", signed_money_pence),
    rb.Col("in_scope_mean", "In scope", signed_money_pence),
    rb.Col("tariff", "Tariff", signed_money_pence),
    rb.Col("ci_low", "95 % CI from", signed_money_pence),
    rb.Col("ci_high", "to", signed_money_pence),
    rb.Col("uplifted", "Uplifted", signed_money_pence),
    rb.Col("note", "Flag", text),
]
BUDGET = [
    rb.Col("label", "Step", text=True),
    rb.Col("percent", "%", percent),
    rb.Col("amount", "Amount", signed_money),
    rb.Col("running_total", "Running total", signed_money),
    rb.Col("basis", "How", text),
]
COVER = [
    rb.Col("probability", "Probability the budget covers the outturn", percent),
    rb.Col("budget", "Budget needed", signed_money),
    rb.Col("relative_to_budget", "× the set budget", number),
]
MAP = [
    rb.Col("setting", "Setting", text=True),
    rb.Col("entry_id", "Entry", text=True),
    rb.Col("inside", "Inside", lambda v: "yes" if v else "no", text=True),
    rb.Col("effective_from", "From", text),
    rb.Col("reason", "Why", text=True),
]
RECON = [
    rb.Col("month", "Month", integer),
    rb.Col("budget", "Budget", signed_money),
    rb.Col("actual", "Actual", signed_money),
    rb.Col("ytd_variance", "YTD variance", signed_money),
    rb.Col("forecast_outturn", "Forecast outturn", signed_money),
    rb.Col("forecast_low", "from", signed_money),
    rb.Col("forecast_high", "to", signed_money),
    rb.Col("double_billed", "Double billed", signed_money),
]
SETTINGS = [
    rb.Col("setting", "Setting", text=True),
    rb.Col("ytd_budget", "Budget to date", signed_money),
    rb.Col("ytd_actual", "Actual to date", signed_money),
    rb.Col("ytd_variance", "Variance", signed_money),
    rb.Col("forecast_outturn", "Forecast outturn", signed_money),
]


def _prepare_budget(frames, policy: DisclosurePolicy):
    return {
        "tariff": views.tariffs(frames["tariff"], policy)[0],
        "tariff_bridge": views.bridge(frames["tariff_bridge"])[0],
        "budget": views.budget(frames["budget"])[0],
        "budget_cover": views.cover(frames["budget_cover"])[0],
        "payment_schedule": views.schedule(frames["payment_schedule"])[0],
        "service_map": frames["service_map"],
    }


def _base(d: SectionData) -> pd.DataFrame:
    t = d.frames["tariff"]
    b = d.frames["budget"]
    year = fy_label(int(b.tariff_fy.iloc[0])) if len(b) else None
    return t[t.fy == year] if year else t


def _first_year(d: SectionData) -> pd.DataFrame:
    b = d.frames["budget"]
    return b[b.fy == b.fy.min()] if len(b) else b


def _budget_finding(d: SectionData) -> str | None:
    b = d.frames["budget"]
    totals = b[b.label == "Capitated budget"]
    if totals.empty:
        return None
    parts = [
        f"{r.cohort_id} {fy_label(int(r.fy))}: {signed_money(r.running_total)}"
        for r in totals.itertuples()
    ]
    c = d.frames["budget_cover"]
    first = c[(c.kind == "probability") & (c.fy == c.fy.min()) & (c.probability == 0.9)]
    cover = (
        f"; to cover the first year's outturn with 90 % probability: {signed_money(first.budget.iloc[0])}"
        if len(first)
        else ""
    )
    return "Capitated budget " + "; ".join(parts) + cover + "."


def _tariff_chart(d: SectionData):
    t = _base(d).dropna(subset=["tariff"])
    if t.empty:
        return None
    base = alt.Chart(t).encode(
        y=alt.Y("value:N", title=None, sort=list(t.value)),
    )
    bars = base.mark_bar(color=PALETTE[0]).encode(
        x=alt.X("tariff:Q", title="Tariff (£ per person-year)")
    )
    err = base.mark_rule(color=PALETTE[3]).encode(x="ci_low:Q", x2="ci_high:Q")
    chart = (bars + err).facet(row=alt.Row("currency:N", title=None)).resolve_scale(y="independent")
    return theme(chart).to_dict()


def _budget_chart(d: SectionData):
    b = _first_year(d)
    b = b[b.in_total & (b.label != "Capitated budget")]
    if b.empty:
        return None
    frame = b.assign(step=b.step_order.astype(int).astype(str) + ". " + b.label.str.slice(0, 40))
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("step:N", sort=list(frame.step), title=None),
            x=alt.X("amount:Q", title="£"),
            color=alt.condition("datum.amount < 0", alt.value(PALETTE[3]), alt.value(PALETTE[0])),
        )
    )
    return theme(chart.facet(row=alt.Row("cohort_id:N", title=None))).to_dict()


def _budget_blocks(d: SectionData):
    blocks = [rb.chart("finance_tariffs"), rb.table(_base(d), TARIFFS, "Tariffs (base year)")]
    for (cohort, fy), g in d.frames["budget"].groupby(["cohort_id", "fy"]):
        blocks.append(rb.table(g, BUDGET, f"Budget of {cohort}, {fy_label(int(fy))}"))
    c = d.frames["budget_cover"]
    blocks.append(rb.table(c[c.kind == "probability"], COVER, "Budget covering the outturn"))
    blocks.append(rb.chart("finance_budget"))
    blocks.append(rb.details("The service map", rb.table(d.frames["service_map"], MAP)))
    return blocks


def _budget_sheets(d: SectionData):
    names = {"tariff": "Tariffs", "tariff_bridge": "Tariff bridge", "budget": "Budget",
             "budget_cover": "Budget cover", "payment_schedule": "Payment schedule",
             "service_map": "Service map"}  # fmt: skip
    return [Sheet(names[k], f, "") for k, f in d.frames.items()]


def _prepare_recon(frames, policy: DisclosurePolicy):
    summary, _ = views.reconciliation(frames["reconciliation"], detail=False)
    return {"reconciliation": summary}


def _latest_total(d: SectionData) -> pd.DataFrame:
    r = d.frames["reconciliation"]
    return r[r.level == "total"]


def _recon_finding(d: SectionData) -> str | None:
    t = _latest_total(d)
    if t.empty:
        return None
    parts = []
    for (cohort, fy), g in t.groupby(["cohort_id", "fy"]):
        r = g.sort_values("month").iloc[-1]
        if pd.isna(r.forecast_outturn):
            continue
        what = "outturn" if r.month == 12 else f"forecast outturn (month {int(r.month)})"
        parts.append(
            f"{cohort} {fy_label(int(fy))}: {what} {signed_money(r.forecast_outturn)} against "
            f"{signed_money(r.annual_budget)}"
        )
    dp = d.params.get("double_payment", {})
    lines = sum(v["lines"] for v in dp.values() if isinstance(v, dict))
    billed = sum(v["billed_pence"] for v in dp.values() if isinstance(v, dict)) / 100
    extra = (
        f"; {lines:,} billed lines for care already paid ({signed_money(billed)})" if lines else ""
    )
    return "; ".join(parts) + extra + "."


def _recon_chart(d: SectionData):
    t = _latest_total(d)
    if t.empty:
        return None
    long = pd.concat(
        [
            t.assign(series="budget to date", value=t.ytd_budget),
            t.assign(series="actual to date", value=t.ytd_actual),
        ]
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title="Month of the year (1 = April)"),
            y=alt.Y("value:Q", title="£"),
            color=alt.Color("series:N", scale=alt.Scale(range=PALETTE[:2]), title=None),
        )
    )
    return theme(chart.facet(row=alt.Row("fy:N", title=None))).to_dict()


def _recon_blocks(d: SectionData):
    r = d.frames["reconciliation"]
    blocks = [rb.chart("finance_reconciliation")]
    for (cohort, fy), g in _latest_total(d).groupby(["cohort_id", "fy"]):
        blocks.append(rb.table(g.sort_values("month"), RECON, f"{cohort}, {fy_label(int(fy))}"))
        s = r[(r.level == "setting") & (r.cohort_id == cohort) & (r.fy == fy)]
        s = s[s.month == s.month.max()]
        blocks.append(rb.table(s, SETTINGS, "By setting, latest month"))
    dp = d.params.get("double_payment", {})
    rows = [
        {"provider": k, "lines": v["lines"], "billed": v["billed_pence"] / 100}
        for k, v in sorted(dp.items())
        if isinstance(v, dict)
    ]
    cols = [rb.Col("provider", "Provider", text=True), rb.Col("lines", "Lines", integer),
            rb.Col("billed", "Billed", signed_money)]  # fmt: skip
    blocks.append(rb.table(pd.DataFrame(rows), cols, "Double payment by provider",
                           empty="No billed lines loaded, or none bills care paid from the budget."))  # fmt: skip
    return blocks


SECTIONS = (
    Section(
        id="finance_budget",
        title="Tariffs and budget",
        stage="budget",
        command="yoc tariff, then yoc budget",
        tables=(
            "tariff",
            "tariff_bridge",
            "budget",
            "budget_cover",
            "payment_schedule",
            "service_map",
        ),
        template="yearofcare.finance:finance_budget.html.j2",
        blocks=_budget_blocks,
        charts=(
            Chart(
                "finance_tariffs", "tariff per currency value with its 95 % interval", _tariff_chart
            ),
            Chart("finance_budget", "budget steps of the first budget year", _budget_chart),
        ),
        finding=_budget_finding,
        sheets=_budget_sheets,
        prepare=_prepare_budget,
    ),
    Section(
        id="finance_reconciliation",
        title="Tags, double payment and reconciliation",
        stage="reconcile",
        command="yoc tag, then yoc reconcile",
        tables=("reconciliation",),
        template="yearofcare.finance:finance_reconciliation.html.j2",
        blocks=_recon_blocks,
        charts=(Chart("finance_reconciliation", "budget and actual to date", _recon_chart),),
        finding=_recon_finding,
        sheets=lambda d: [Sheet("Reconciliation", d.frames["reconciliation"], "")],
        prepare=_prepare_recon,
    ),
)

__all__ = ["SECTIONS", "text"]
