"""`yoc reconcile`: the service that writes double_payment and reconciliation (the rules are in
finance/reconcile.py)."""

from __future__ import annotations

import ibis
import pandas as pd

from yearofcare import schemas
from yearofcare.finance.common import require
from yearofcare.finance.costs import month_start
from yearofcare.finance.reconcile import (
    NOT_RECORDED,
    cell_shares,
    check_same_map,
    double_payments,
    monthly_budget,
    refuse_unlinked,
    rows_for,
    unlinked_lines,
)
from yearofcare.progress import SILENT, Progress
from yearofcare.schemas.finance import ALL
from yearofcare.store import Store

STAGE = "reconcile"
LEVELS = {
    "detail": ["provider_code", "setting"],
    "provider": ["provider_code"],
    "setting": ["setting"],
    "total": [],
}


def run_reconcile(
    store: Store, settings, skip_unlinked: bool = False, progress: Progress = SILENT
) -> dict:
    """Write double_payment (when billed lines are loaded) and reconciliation."""
    require(
        store,
        "activity_tag",
        "budget",
        "payment_schedule",
        "tariff",
        "tariff_component",
        "cohort_member",
        "activity",
        stage="yoc reconcile",
    )
    level = settings.reconciliation.interval
    params = {"interval": level, "skip_unlinked": skip_unlinked}
    with progress.task("reconcile", total=3) as bar, store.stage(STAGE, params) as run:
        budget = _pulled(store, run, "budget")
        check_same_map(store, budget)
        schedule = _pulled(store, run, "payment_schedule")
        cohorts = sorted(schedule.cohort_id.unique())
        years = sorted(int(y) for y in schedule.fy.unique())
        tariff_fy = int(budget.tariff_fy.iloc[0])
        tariff = _pulled(store, run, "tariff")
        comps = _pulled(store, run, "tariff_component")
        register = run.read("cohort_member")
        register = register.filter(register.cohort_id.isin(cohorts))
        shares = cell_shares(
            store, register, tariff[tariff.fy == tariff_fy], comps[comps.fy == tariff_fy], years
        )
        detail = monthly_budget(schedule, shares)
        tags = run.read("activity_tag")
        inside = tags.filter(tags.inside & tags.fy.isin(years) & tags.cohort_id.isin(cohorts))
        inside = inside.mutate(provider_code=inside.provider_code.fill_null(NOT_RECORDED))
        actual = store.to_pandas(
            inside.group_by(["cohort_id", "fy", "month", "provider_code", "setting"]).aggregate(
                actual_pence=inside.cost_pence.sum()
            )
        )
        activity = run.read("activity")
        data_end = store.to_pandas(activity.aggregate(end=activity.start_date.max())).end.iloc[0]
        run.parameters["data_end"] = str(data_end)
        bar.advance()
        doubles = _double_payment(store, run, tags, skip_unlinked)
        bar.advance()
        keys = ["cohort_id", "fy", "month", "provider_code", "setting"]
        frame = detail.merge(actual, on=keys, how="outer").merge(doubles, on=keys, how="left")
        frame["budget_pence"] = frame.budget_pence.fillna(0)
        rows = _reconciliation_rows(frame, data_end, level)
        n = run.write("reconciliation", rows)
        bar.advance()
        result = {"run_id": run.run_id, "rows": n, "data_end": data_end}
        result["double_payment"] = run.parameters.get("double_payment", {})
        result["unchecked"] = run.parameters.get("unchecked_lines", 0)
    return result


def _double_payment(store: Store, run, tags: ibis.Table, skip_unlinked: bool) -> pd.DataFrame:
    keys = ["cohort_id", "fy", "month", "provider_code", "setting"]
    empty = pd.DataFrame(columns=[*keys, "double_billed_pence"])
    if not store.exists("billed_line"):
        run.parameters["double_payment"] = {"billed_lines": 0}
        return empty
    billed = run.read("billed_line")
    unlinked = unlinked_lines(store, billed)
    if len(unlinked) and not skip_unlinked:
        refuse_unlinked(unlinked)
    run.parameters["unchecked_lines"] = len(unlinked)
    if len(unlinked):
        run.parameters["unchecked_examples"] = [
            f"{r.file_name} line {int(r.file_row)} ref {r.line_ref}"
            for r in unlinked.head(5).itertuples()
        ]
    run.write("double_payment", double_payments(billed, store.table("activity"), tags))
    dp = run.staged("double_payment")
    by_provider = store.to_pandas(
        dp.group_by("provider_code").aggregate(lines=dp.count(), billed_pence=dp.billed_pence.sum())
    )
    run.parameters["double_payment"] = {
        str(r.provider_code): {"lines": int(r.lines), "billed_pence": int(r.billed_pence)}
        for r in by_provider.itertuples()
    }
    dp = dp.mutate(provider_code=dp.provider_code.fill_null(NOT_RECORDED))
    return store.to_pandas(dp.group_by(keys).aggregate(double_billed_pence=dp.billed_pence.sum()))


def _complete_months(fy: int, data_end) -> int:
    if data_end is None or pd.isna(data_end):
        return 0
    end = pd.Timestamp(data_end).date()
    n = 0
    for m in range(1, 13):
        nxt = month_start(fy, m + 1) if m < 12 else month_start(fy + 1, 1)
        if nxt - pd.Timedelta(days=1).to_pytimedelta() <= end:
            n = m
    return n


def _reconciliation_rows(frame: pd.DataFrame, data_end, level: float) -> pd.DataFrame:
    out = []
    for (cohort, fy), year in frame.groupby(["cohort_id", "fy"]):
        complete = _complete_months(int(fy), data_end)
        for name, cols in LEVELS.items():
            groups = year.groupby(cols, dropna=False) if cols else [((), year)]
            for key, g in groups:
                key = key if isinstance(key, tuple) else (key,)
                cell = dict(zip(cols, key, strict=True))
                monthly = g.groupby("month", as_index=False)[
                    ["budget_pence", "actual_pence", "double_billed_pence"]
                ].sum(min_count=1)
                for r in rows_for(monthly, complete, level):
                    start = month_start(int(fy), r["month"])
                    nxt = (
                        month_start(int(fy), r["month"] + 1)
                        if r["month"] < 12
                        else month_start(int(fy) + 1, 1)
                    )
                    r.update(
                        cohort_id=cohort,
                        fy=int(fy),
                        level=name,
                        provider_code=cell.get("provider_code", ALL),
                        setting=cell.get("setting", ALL),
                        period_start=start,
                        period_end=nxt - pd.Timedelta(days=1).to_pytimedelta(),
                    )
                    out.append(r)
    from yearofcare import schemas

    columns = schemas.get("reconciliation").names
    frame = pd.DataFrame(out, columns=list(columns))
    for c in (
        "actual_pence",
        "variance_pence",
        "ytd_actual_pence",
        "ytd_variance_pence",
        "forecast_outturn_pence",
        "forecast_low_pence",
        "forecast_high_pence",
        "double_billed_pence",
    ):
        frame[c] = frame[c].astype("Int64")
    return frame


def _pulled(store: Store, run, name: str) -> pd.DataFrame:
    """A stored table as pandas in its key order (computations read rows in order)."""
    return store.to_pandas(schemas.get(name).in_order(run.read(name)))
