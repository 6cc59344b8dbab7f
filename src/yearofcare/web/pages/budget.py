"""Budget (finance; seed 004 §7.1–7.4): the Year of Care tariffs with their confidence
intervals, the capitated budget step by step, the register movements behind it, the monthly
payment schedule and the monthly reconciliation (year-to-date variance, forecast outturn) —
and a budget calculator.

The calculator answers "what if the cohort had N members on 1 April, at tariffs x % higher?"
with the money stage's own arithmetic (`finance.budget.steps`, `finance.money`): the members
split over the currency values as the register has them (largest remainder), each value's
tariff moved by `pct_of` (half up to the penny), the stored movements scaled with the base,
the stored adjustments' percentages applied in the stated order, and the schedule split by
`finance.budget.schedule` in whole pence. With no change it reproduces the stored budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import pandas as pd

from yearofcare.finance import budget as bd
from yearofcare.finance import register as rg
from yearofcare.finance.money import largest_remainder, pct_of
from yearofcare.fy import fy_label
from yearofcare.reports.formats import money
from yearofcare.web import charts
from yearofcare.web.auth import ANALYST, FINANCE
from yearofcare.web.data import Snapshot
from yearofcare.web.pages.common import by_month, month_name, pounds
from yearofcare.web.registry import (
    ChartDef,
    Column,
    InputDef,
    Page,
    PageContext,
    PageData,
    TableView,
    register,
)

MOVES = tuple(step for step, _, _ in bd.MOVEMENT_STEPS)
ADJUSTMENTS = ("uplift", "efficiency", "demographic_growth", "case_mix", "service_model")


def cohorts(snap: Snapshot) -> list[str]:
    if not snap.exists("budget"):
        return []
    b = snap.table("budget")
    return sorted(snap.execute(b.select("cohort_id").distinct()).cohort_id)


def build(ctx: PageContext) -> PageData:
    snap = ctx.snap
    budget = snap.execute(snap.table("budget").order_by(["cohort_id", "fy", "step_order"]))
    tables = [_tariffs(snap), _budget(budget), _movements(snap), _schedule(snap)]
    notes = [
        "Budgets are set per cohort for the whole economy: the place, practice and other "
        "person filters do not apply to this page."
    ]
    if snap.exists("reconciliation"):
        tables.append(_reconciliation(snap))
    else:
        notes.append("Reconciliation: run `yoc tag`, then `yoc reconcile`.")
    calc, error = calculator(ctx, budget)
    tables.extend(calc)
    sources = ["tariff", "budget", "budget_movement", "payment_schedule", "reconciliation"]
    return PageData(tables=tables, notes=notes, sources=sources, error=error)


def _tariffs(snap: Snapshot) -> TableView:
    t = snap.execute(snap.table("tariff").order_by(["currency", "fy", "value_order"]))
    money_cols = ("tariff_pence", "ci_low_pence", "ci_high_pence", "uplifted_pence")
    frame = t[["currency", "value", "fy", "people", "small", "note", *money_cols]].copy()
    for c in money_cols:
        frame[c.removesuffix("_pence")] = pounds(frame[c])
    frame["fy"] = frame.fy.map(lambda y: fy_label(int(y)))
    return TableView(
        "tariffs",
        "Year of Care tariffs, with their 95% intervals",
        [
            Column("currency", "Currency"),
            Column("value", "Value"),
            Column("fy", "Costs of"),
            Column("people", "Person-years", "count"),
            Column("tariff", "Tariff a year", "pence"),
            Column("ci_low", "Interval from", "pence"),
            Column("ci_high", "to", "pence"),
            Column("uplifted", "Uplifted to the price year", "pence"),
            Column("small", "Flagged"),
            Column("note", "Why"),
        ],
        frame,
        counts=("people",),
        derived_from=dict.fromkeys(("tariff", "ci_low", "ci_high", "uplifted"), ("people",)),
    )


def _budget(b: pd.DataFrame) -> TableView:
    frame = b.assign(
        year=b.fy.map(lambda y: fy_label(int(y))),
        percent=b.percent / 100,
        amount=pounds(b.amount_pence),
        running_total=pounds(b.running_total_pence),
    )
    return TableView(
        "budget",
        "The capitated budget, step by step",
        [
            Column("cohort_id", "Cohort"),
            Column("year", "Year"),
            Column("step_order", "Step", "int"),
            Column("label", "What"),
            Column("percent", "%", "pct"),
            Column("amount", "Amount", "pence"),
            Column("running_total", "Running total", "pence"),
            Column("in_total", "In the total"),
            Column("basis", "How it was worked out"),
        ],
        frame,
    )


def _movements(snap: Snapshot) -> TableView:
    m = snap.table("budget_movement")
    g = snap.execute(
        m.group_by(["cohort_id", "fy", "reason"])
        .aggregate(people=m.person_id.nunique(), amount_pence=m.amount_pence.sum())
        .order_by(["cohort_id", "fy", "reason"])
    )
    g["year"] = g.fy.map(lambda y: fy_label(int(y)))
    g["amount"] = pounds(g.amount_pence)
    return TableView(
        "movements",
        "How the budget follows people through the year",
        [
            Column("cohort_id", "Cohort"),
            Column("year", "Year"),
            Column("reason", "Movement"),
            Column("people", "People", "count"),
            Column("amount", "Effect on the budget", "pence"),
        ],
        g,
        counts=("people",),
        derived_from={"amount": ("people",)},
    )


def _schedule(snap: Snapshot) -> TableView:
    s = snap.execute(snap.table("payment_schedule").order_by(["cohort_id", "fy", "month"]))
    s["year"] = s.fy.map(lambda y: fy_label(int(y)))
    s["month_name"] = s.month.map(month_name)
    s["amount"] = pounds(s.amount_pence)
    s["cumulative"] = pounds(s.cumulative_pence)
    return TableView(
        "schedule",
        "Payment schedule",
        [
            Column("cohort_id", "Cohort"),
            Column("year", "Year"),
            Column("month_name", "Month"),
            Column("profile", "Profile"),
            Column("share", "Share", "pct"),
            Column("amount", "Payment", "pence"),
            Column("cumulative", "Paid to date", "pence"),
        ],
        s,
    )


def _reconciliation(snap: Snapshot) -> TableView:
    r = snap.table("reconciliation")
    r = snap.execute(r.filter(r.level == "total").order_by(["cohort_id", "fy", "month"]))
    cols = (
        "budget",
        "actual",
        "variance",
        "ytd_budget",
        "ytd_actual",
        "ytd_variance",
        "forecast_outturn",
        "forecast_low",
        "forecast_high",
    )
    for c in cols:
        r[c] = pounds(r[f"{c}_pence"])
    r["year"] = r.fy.map(lambda y: fy_label(int(y)))
    r["month_name"] = r.month.map(month_name)
    return TableView(
        "reconciliation",
        "Monthly reconciliation: budget against actual, year to date, forecast outturn",
        [
            Column("cohort_id", "Cohort"),
            Column("year", "Year"),
            Column("month_name", "Month"),
            Column("budget", "Budget", "pence"),
            Column("actual", "Actual", "pence"),
            Column("variance", "Variance", "pence"),
            Column("ytd_variance", "Year-to-date variance", "pence"),
            Column("forecast_outturn", "Forecast outturn", "pence"),
            Column("forecast_low", "Forecast from", "pence"),
            Column("forecast_high", "to", "pence"),
        ],
        r,
    )


# ---- the calculator ----------------------------------------------------------------------
class CalcError(ValueError):
    pass


def _whole(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    t = text.replace(",", "").strip()
    if not t.isdigit() or len(t) > 9:
        raise CalcError(f"{name}: {text[:20]!r} is not a whole number of people (0 or more)")
    return int(t)


def _percent(text: str | None, name: str) -> Decimal:
    if text is None:
        return Decimal(0)
    t = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise CalcError(f"{name}: {text[:20]!r} is not a percentage (e.g. 2.5 or -3)") from None
    if not value.is_finite() or not Decimal(-100) <= value <= Decimal(1000):
        raise CalcError(f"{name}: {text[:20]!r} must be between -100 and 1000 %")
    return value


def base_by_value(snap: Snapshot, cohort: str, fy: int, tariff_fy: int) -> pd.DataFrame:
    """value, members on 1 April and their tariff (pence) for one cohort-year, priced as the
    budget stage prices it (`finance.register.year_spells` and `priced`)."""
    reg = snap.table("cohort_member")
    reg = reg.filter(reg.cohort_id == cohort)
    t = snap.table("tariff")
    prices = t.filter(t.fy == tariff_fy).select("currency", "value", "tariff_pence")
    p = rg.priced(rg.year_spells(reg, fy), prices)
    p = p.filter(p.in_base)
    return snap.execute(
        p.group_by(value=p.currency_value)
        .aggregate(members=p.count(), tariff_pence=p.tariff_pence.max(), base=p.tariff_pence.sum())
        .order_by("value")
    )


def calculator(ctx: PageContext, budget: pd.DataFrame) -> tuple[list[TableView], str | None]:
    choices = sorted(budget.cohort_id.unique())
    cohort = ctx.inputs.get("cohort") or (choices[0] if choices else None)
    if cohort not in choices:
        return [], f"Budget calculator: no budget for cohort {cohort!r}; cohorts: " + ", ".join(
            choices
        )
    mine = budget[budget.cohort_id == cohort]
    fy = int(mine.fy.min())
    year = mine[mine.fy == fy].set_index("step")
    tariff_fy = int(year.tariff_fy.iloc[0])
    values = base_by_value(ctx.snap, cohort, fy, tariff_fy)
    stored_members = int(values.members.sum())
    try:
        members = _whole(ctx.inputs.get("members"), "Members on 1 April")
        change = _percent(ctx.inputs.get("tariff_change"), "Tariff change")
    except CalcError as exc:
        return [], f"Budget calculator: {exc}"
    members = stored_members if members is None else members
    split = largest_remainder(members, [int(m) for m in values.members]) if len(values) else []
    tariffs = [int(t) + pct_of(int(t), change) for t in values.tariff_pence.fillna(0)]
    base = sum(m * t for m, t in zip(split, tariffs, strict=True))
    stored_base = int(year.loc["base", "amount_pence"])
    ratio = Decimal(base) * 100 / Decimal(stored_base) if stored_base else Decimal(0)
    moves = {s: pct_of(int(year.loc[s, "amount_pence"]), ratio) for s in MOVES if s in year.index}
    adjustments = [
        (s, str(year.loc[s, "label"]), Decimal(repr(float(year.loc[s, "percent"]))), "as stored")
        for s in ADJUSTMENTS
        if s in year.index and pd.notna(year.loc[s, "percent"])
    ]
    rows = bd.steps(base=base, base_members=members, moves=moves, adjustments=adjustments, memo=[])
    total = rows[-1]["running_total_pence"]
    steps = pd.DataFrame(rows)
    stored = year.reset_index().set_index("step").running_total_pence
    steps["stored_pence"] = steps.step.map(stored)
    steps["percent"] = steps.percent / 100
    steps["amount"] = pounds(steps.amount_pence)
    steps["running_total"] = pounds(steps.running_total_pence)
    steps["stored"] = pounds(steps.stored_pence)
    sched = ctx.snap.table("payment_schedule")
    sched = ctx.snap.execute(
        sched.filter([sched.cohort_id == cohort, sched.fy == fy]).order_by("month")
    )
    months = bd.schedule(total, [float(x) for x in sched.share]) if len(sched) else []
    pay = pd.DataFrame(
        {
            "month_name": [month_name(m) for m in sched.month],
            "amount_pence": months,
        }
    )
    pay["amount"] = pounds(pay.amount_pence)
    by_value = values.assign(
        calc_members=split,
        calc_tariff=[t / 100 for t in tariffs],
        tariff=pounds(values.tariff_pence),
    )
    title = (
        f"Budget calculator: {cohort}, {fy_label(fy)} — {members:,} members on 1 April, "
        f"tariffs {change:+}%"
    )
    return [
        TableView(
            "calc_values",
            "Budget calculator: members and tariff by currency value",
            [
                Column("value", "Currency value"),
                Column("members", "Members on the register", "count"),
                Column("tariff", "Tariff", "pence"),
                Column("calc_members", "Members in the calculation", "int"),
                Column("calc_tariff", "Tariff in the calculation", "pence"),
            ],
            by_value,
            counts=("members",),
        ),
        TableView(
            "calc_budget",
            title,
            [
                Column("step_order", "Step", "int"),
                Column("label", "What"),
                Column("percent", "%", "pct"),
                Column("amount", "Amount", "pence"),
                Column("running_total", "Running total", "pence"),
                Column("stored", "Stored budget's running total", "pence"),
            ],
            steps,
            note="Exact: whole pence, each step rounded half up once (finance.budget.steps).",
        ),
        TableView(
            "calc_schedule",
            "Budget calculator: the monthly payments (largest remainder, whole pence)",
            [
                Column("month_name", "Month"),
                Column("amount", "Payment", "pence"),
            ],
            pay,
        ),
    ], None


def _headline(frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    out = []
    b = frames.get("budget")
    if b is not None and len(b):
        totals = b[b.label == "Capitated budget"]
        for r in totals.head(3).itertuples():
            out.append((f"Budget {r.cohort_id} {r.year}", money(r.running_total)))
    c = frames.get("calc_budget")
    if c is not None and len(c):
        out.append(("Calculator budget", f"£{c.running_total.iloc[-1]:,.2f}"))
    return out


PAGE = register(
    Page(
        slug="budget",
        title="Budget",
        audience="Finance",
        description=(
            "Tariffs with their intervals, the capitated budget and its adjustments, the payment "
            "schedule, the monthly reconciliation, and a calculator: change the cohort's size "
            "or the tariffs and see the budget to the penny."
        ),
        roles=frozenset({FINANCE, ANALYST}),
        requires=("tariff", "budget", "budget_movement", "payment_schedule", "cohort_member"),
        command="yoc tariff, then yoc budget (and yoc tag, yoc reconcile)",
        build=build,
        order=30,
        filters=(),
        headline=_headline,
        inputs=(
            InputDef(
                "cohort",
                "Calculator: cohort",
                "a cohort with a budget",
                kind="choice",
                max_length=80,
                choices=cohorts,
            ),
            InputDef("members", "Members on 1 April", "whole number, e.g. 1200", max_length=20),
            InputDef("tariff_change", "Tariff change, %", "e.g. 2.5 or -3", max_length=20),
        ),
        charts=(
            ChartDef(
                "schedule",
                "Payment schedule",
                "schedule",
                lambda d: charts.line(
                    by_month(d),
                    "period",
                    "cumulative",
                    "cohort_id",
                    title="Payments to date",
                    x_title="Month",
                    y_title="£ paid to date",
                ),
            ),
            ChartDef(
                "reconciliation",
                "Year-to-date variance",
                "reconciliation",
                lambda d: charts.line(
                    by_month(d),
                    "period",
                    "ytd_variance",
                    "cohort_id",
                    title="Year-to-date variance (actual − budget)",
                    x_title="Month",
                    y_title="£",
                ),
            ),
        ),
    )
)
