"""`yoc reconcile`: double payment against billed lines, and the monthly reconciliation.

**Double payment.** A billed line matches activity of the same person, provider, setting and
start date (and the same HRG, service type and funding route when the line names them). A matched line is
double payment when any activity it matches is tagged inside a cohort's budget: it is listed
(`double_payment`) and totalled by provider and month in the reconciliation. Lines whose person
could not be linked cannot be checked: they stop the reconciliation, named by file, line and
reference, unless the caller accepts them as unchecked.

**Reconciliation.** For each cohort and budget year, each month's scheduled payment is split
over provider × setting cells by the cohort's expected in-scope cost in each (the tariffs'
`tariff_component` shares weighted by the members' person-years and tariffs; largest remainder
in pence, so the cells sum to the schedule) and set against the in-scope cost tagged inside.
One row per complete month (the store's activity reaches its last day), as it stood at the end
of that month: year-to-date variance (budget − actual; positive is an
underspend) and a forecast outturn = actual to date + the rest of the year's budget × the
year-to-date ratio of actual to budget, with an interval from the month-to-month spread of that
ratio: var = s² × (Σ remaining budget² + (remaining budget)² / months elapsed), normal limits,
never below the actual to date. Levels: detail (provider × setting), provider, setting and
total; the total rows at month 12 of a complete year carry the outturn a settlement takes.
"""

from __future__ import annotations

import json
from statistics import NormalDist

import ibis
import numpy as np
import pandas as pd

from yearofcare.errors import InputError, StageError
from yearofcare.finance import register as rg
from yearofcare.finance.money import largest_remainder
from yearofcare.schemas.finance import ALL
from yearofcare.store import Store

NOT_RECORDED = "(not recorded)"


def double_payments(billed: ibis.Table, activity: ibis.Table, tags: ibis.Table) -> ibis.Table:
    """double_payment rows (see the module docstring)."""
    bl = billed.filter(billed.linked)
    a = activity.select(
        a_id="activity_id",
        a_person="person_id",
        a_provider="provider_code",
        a_setting="setting",
        a_date="start_date",
        a_hrg="currency",
        a_service="service_type",
        a_route="funding_route",
    )
    m = bl.join(
        a,
        [
            bl.person_id == a.a_person,
            bl.provider_code == a.a_provider,
            bl.setting == a.a_setting,
            bl.activity_date == a.a_date,
        ],
    )
    m = m.filter(
        (m.hrg.isnull() | (m.hrg == m.a_hrg))
        & (m.service_type.isnull() | (m.service_type == m.a_service))
        & (m.funding_route.isnull() | (m.funding_route == m.a_route))
    )
    t = tags.filter(tags.inside).select(
        t_id="activity_id", cohort_id="cohort_id", fy="fy", month="month"
    )
    j = m.join(t, m.a_id == t.t_id)
    return j.group_by(
        [
            "line_id",
            "line_ref",
            "file_row",
            "provider_code",
            "person_id",
            "activity_date",
            "fy",
            "month",
            "setting",
            "cohort_id",
            "billed_pence",
        ]
    ).aggregate(activity_id=j.a_id.min(), activity_rows=j.count())


def unlinked_lines(store: Store, billed: ibis.Table) -> pd.DataFrame:
    """Billed lines whose person could not be linked, with their file name, line and reference."""
    bad = billed.filter(~billed.linked)
    frame = store.to_pandas(bad.select("line_id", "line_ref", "file_row", "provider_code"))
    if len(frame) and store.exists("ingest_load"):
        loads = store.to_pandas(store.table("ingest_load").select("load_id", "file_name"))
        frame["load_id"] = frame.line_id.str.slice(0, 12)
        frame = frame.merge(loads, on="load_id", how="left")
    elif len(frame):
        frame["file_name"] = None
    return frame.sort_values(["file_name", "file_row"]) if len(frame) else frame


def refuse_unlinked(frame: pd.DataFrame) -> None:
    first = frame.iloc[0]
    where = f"{first.file_name or 'the billed-lines file'} line {int(first.file_row)}"
    raise InputError(
        f"billed lines: {len(frame)} line(s) could not be linked to a person (no valid NHS "
        f"number or pseudonym), e.g. {where}, line reference {first.line_ref!r} "
        f"({first.provider_code}); they cannot be checked for double payment",
        hint="correct the NHS numbers and load the file again (yoc ingest --source "
        "billed_lines FILE replaces the earlier load of that file), or pass --skip-unlinked "
        "to reconcile without them (they are listed as unchecked)",
    )


def check_same_map(store: Store, budget: pd.DataFrame) -> None:
    """The budget (through its tariffs) and the tags must read the same service map."""
    run = store.latest_run("tag")
    tagged = json.loads(run.parameters).get("map_version") if run is not None else None
    set_with = set(budget.map_version.dropna())
    if tagged is not None and set_with and tagged not in set_with:
        raise StageError(
            f"the budget was set with service map {', '.join(sorted(set_with))} but activity "
            f"was tagged with {tagged}: both sides must agree one map",
            hint="run yoc tariff and yoc budget, or yoc tag, again with the same service map",
        )


def cell_shares(
    store: Store,
    register: ibis.Table,
    tariffs: pd.DataFrame,
    components: pd.DataFrame,
    years: list[int],
) -> pd.DataFrame:
    """Per cohort × year × provider × setting: the share of the cohort's expected in-scope cost."""
    prices = ibis.memtable(tariffs[["currency", "value", "tariff_pence"]].dropna())
    spells = ibis.union(
        *[rg.priced(rg.year_spells(register, fy), prices) for fy in years], distinct=False
    )
    live = spells.filter(spells.months > 0)
    mix = store.to_pandas(
        live.group_by(["cohort_id", "fy", "currency", "currency_value"]).aggregate(
            weight=(live.months.cast("int64") * live.tariff_pence).sum()
        )
    ).rename(columns={"currency_value": "value"})
    comp = components.drop(columns=["fy"]).assign(
        provider_code=components.provider_code.fillna(NOT_RECORDED)
    )
    j = mix.merge(comp, on=["currency", "value"], how="inner")
    j["w"] = j.weight.astype(float) * j.share
    cells = j.groupby(["cohort_id", "fy", "provider_code", "setting"], as_index=False).w.sum()
    total = cells.groupby(["cohort_id", "fy"]).w.transform("sum")
    cells["share"] = np.where(total > 0, cells.w / total.where(total > 0, 1), 0.0)
    return cells.drop(columns="w")


def monthly_budget(schedule: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Each month's payment split over the cells by largest remainder (sums to the payment)."""
    rows = []
    for (cohort, fy), months in schedule.groupby(["cohort_id", "fy"]):
        cells = shares[(shares.cohort_id == cohort) & (shares.fy == fy)]
        if cells.empty:
            cells = pd.DataFrame(
                {"provider_code": [NOT_RECORDED], "setting": [ALL], "share": [1.0]}
            )
        for m in months.itertuples(index=False):
            parts = largest_remainder(int(m.amount_pence), list(cells.share))
            for c, amount in zip(cells.itertuples(index=False), parts, strict=True):
                rows.append((cohort, int(fy), int(m.month), c.provider_code, c.setting, amount))
    return pd.DataFrame(
        rows, columns=["cohort_id", "fy", "month", "provider_code", "setting", "budget_pence"]
    )


def forecast(
    budget: np.ndarray, actual: np.ndarray, m: int, level: float
) -> tuple[float, float | None, float | None]:
    """Forecast outturn and interval as at the end of month `m` (1-based, months 1..m known)."""
    b_done, a_done = budget[:m], actual[:m]
    rest = budget[m:]
    ytd_a, ytd_b, b_rem = a_done.sum(), b_done.sum(), rest.sum()
    if b_rem == 0:
        return float(ytd_a), float(ytd_a), float(ytd_a)
    if ytd_b <= 0:
        return float(ytd_a + b_rem), None, None
    ratio = ytd_a / ytd_b
    point = ytd_a + ratio * b_rem
    ok = b_done > 0
    if ok.sum() < 2:
        return float(point), None, None
    s2 = np.var(a_done[ok] / b_done[ok], ddof=1)
    se = np.sqrt(s2 * ((rest**2).sum() + b_rem**2 / ok.sum()))
    z = NormalDist().inv_cdf((1 + level) / 2)
    return float(point), float(max(point - z * se, ytd_a)), float(point + z * se)


def rows_for(group: pd.DataFrame, complete_months: int, level: float) -> list[dict]:
    """Reconciliation rows of one cohort × year × cell, one per complete month (as it stood at
    the end of that month; the rest of the year's plan is in payment_schedule)."""
    g = group.set_index("month").reindex(range(1, 13))
    budget = g.budget_pence.fillna(0).to_numpy(np.int64)
    actual = g.actual_pence.fillna(0).to_numpy(np.int64)
    annual = int(budget.sum())
    out = []
    for m in range(1, complete_months + 1):
        ytd = int(actual[:m].sum())
        point, lo, hi = forecast(budget, actual, m, level)
        out.append(
            {
                "month": m,
                "budget_pence": int(budget[m - 1]),
                "actual_pence": int(actual[m - 1]),
                "variance_pence": int(budget[m - 1] - actual[m - 1]),
                "ytd_budget_pence": int(budget[:m].sum()),
                "ytd_actual_pence": ytd,
                "ytd_variance_pence": int(budget[:m].sum()) - ytd,
                "forecast_outturn_pence": round(point),
                "forecast_low_pence": None if lo is None else round(lo),
                "forecast_high_pence": None if hi is None else round(hi),
                "annual_budget_pence": annual,
                "double_billed_pence": _int(g.double_billed_pence.iloc[m - 1]),
                "complete": True,
            }
        )
    return out


def _int(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)
