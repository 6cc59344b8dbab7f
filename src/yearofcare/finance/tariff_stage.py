"""`yoc tariff`: Year of Care tariffs per currency value and year, with the tariff bridge.

Relational work (costs in scope per person, thresholds, treatment, group sums, bootstrap
pools) runs as Ibis expressions in the store; the bootstrap runs in NumPy on the bounded pools
(finance/bootstrap.py); means, rounding and the bridge are formed exactly in Decimal.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import ibis
import numpy as np
import pandas as pd

from yearofcare.errors import ConfigError, StageError
from yearofcare.finance import tariffs as tf
from yearofcare.finance.bootstrap import Pool, generator, interval, ratio_replicates
from yearofcare.finance.common import pounds, require
from yearofcare.finance.costs import check_all_costed, costed_rows, scope_costs
from yearofcare.finance.service_map import READS, ServiceMap
from yearofcare.finance.settings import FinanceSettings, per_year
from yearofcare.fy import fy_label
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

STAGE = "tariff"
KEYS = tf.KEYS


@dataclass
class TariffResult:
    run_id: str
    rows: dict[str, int]
    tariffs: pd.DataFrame
    unmatched: dict[str, int] = field(default_factory=dict)


def scope_date(settings: FinanceSettings, fy: int) -> date:
    """The date the service map is read at for the costs of `fy`."""
    return settings.tariffs.scope_date or date(fy + 1, 4, 1)


def run_tariffs(
    store: Store, settings: FinanceSettings, smap: ServiceMap, progress: Progress = SILENT
) -> TariffResult:
    """Compute and write service_map, tariff_person, cost_profile, tariff, tariff_bridge and
    tariff_component (see schemas/finance.py)."""
    require(store, "person_year", "person_currency", "activity", stage="yoc tariff")
    ts = settings.tariffs
    params = {
        "settings_version": settings.version,
        "tariffs": ts.model_dump(mode="json"),
        "uplift": str(settings.budget.uplift),
        "map_version": smap.version,
        "map_sha256": smap.sha256,
    }
    with progress.task("tariffs", total=5) as bar, store.stage(STAGE, params) as run:
        py = run.read("person_year")
        pc = run.read("person_currency")
        years, currencies = _years_and_currencies(store, pc, ts.currencies, ts.years)
        run.parameters.update(years=years, currencies=currencies)
        all_years = pc.filter(pc.currency.isin(currencies))
        pc = all_years.filter(all_years.fy.isin(years))
        run.write("service_map", smap.frame())
        rows = costed_rows(store, run.read)
        rows = rows.filter(rows.fy.isin(years))
        on = ibis.literal(ts.scope_date) if ts.scope_date else ibis.date(rows.fy + 1, 4, 1)
        costs = store.cache(scope_costs(rows, smap, on))
        _check_costed(store, costs, rows)
        bar.advance()

        person_cost = costs.group_by(["person_id", "fy"]).aggregate(
            cost_all_pence=costs.cost_all_pence.sum(), cost_in_pence=costs.cost_in_pence.sum()
        )
        months = py.select("person_id", fy=py.fy.cast("int16"), m=py.months_registered)
        pcj = person_cost.mutate(fy=person_cost.fy.cast("int16")).outer_join(
            months, ["person_id", "fy"]
        )
        run.write(
            "tariff_person",
            pcj.select(
                person_id=ibis.coalesce(pcj.person_id, pcj.person_id_right),
                fy=ibis.coalesce(pcj.fy, pcj.fy_right),
                months_registered=pcj.m.fill_null(0),
                cost_all_pence=pcj.cost_all_pence.fill_null(0),
                cost_in_pence=pcj.cost_in_pence.fill_null(0),
            ),
        )
        run.write("cost_profile", _profile(store, rows, smap, ts.scope_date))
        bar.advance()

        people = tf.people(py, pc, run.staged("tariff_person"))
        treated = store.cache(
            tf.treat(people, tf.thresholds(people, ts.outliers), ts.outliers.method)
        )
        sums = store.to_pandas(tf.sums(treated))
        bar.advance()
        ci = _bootstrap(store, treated, sums, settings)
        bar.advance()

        values = store.to_pandas(
            all_years.group_by(["currency", "value"]).aggregate(
                value_order=all_years.value_order.min(),
                unmatched=all_years.count(where=all_years.fy.isin(years)),
            )
        )
        every = values.dropna(subset=["value"])
        tariff = _tariff_rows(sums, ci, every, years, settings, smap)
        run.write("tariff", tariff)
        run.write("tariff_bridge", _bridge(tariff))
        run.write("tariff_component", _components(costs, treated))
        nomatch = values[values.value.isna()]
        found = {str(r.currency): int(r.unmatched) for r in nomatch.itertuples() if r.unmatched}
        run.parameters["unmatched_person_years"] = found
        run.parameters["flagged"] = int(tariff.small.sum())
        for t in (costs, treated):
            t.release()
        bar.advance()
        result = TariffResult(run.run_id, dict(run.output_rows), tariff, found)
    return result


def _years_and_currencies(
    store: Store, pc: ibis.Table, currencies: tuple[str, ...], years: tuple[int, ...]
) -> tuple[list[int], list[str]]:
    have = store.to_pandas(pc.select("currency", "fy").distinct())
    known_c = sorted(set(have.currency))
    known_y = sorted(int(y) for y in set(have.fy))
    for c in currencies:
        if c not in known_c:
            raise ConfigError(
                f"finance settings tariffs.currencies: no currency {c!r} in person_currency",
                hint=f"currencies found: {', '.join(known_c) or 'none'}",
            )
    for y in years:
        if y not in known_y:
            raise ConfigError(
                f"finance settings tariffs.years: person_currency has no values for {fy_label(y)}",
                hint=f"years found: {', '.join(fy_label(k) for k in known_y) or 'none'}",
            )
    if not known_c:
        raise StageError(
            "person_currency is empty: there are no currency values to set tariffs for",
            hint="run yoc currency first",
        )
    return list(years) or known_y, list(currencies) or known_c


def _check_costed(store: Store, costs: ibis.Table, rows: ibis.Table) -> None:
    """Refuse rows without a cost: `costs` counted them in its pass over activity."""
    missing = store.to_pandas(costs.filter(costs.uncosted > 0).select("uncosted").limit(1))
    if len(missing):
        check_all_costed(store, rows)


def _profile(
    store: Store, rows: ibis.Table, smap: ServiceMap, scope_date: date | None
) -> ibis.Table:
    """In-scope cost by year and month (the seasonal shape of the payment schedule).

    Read at a fixed date, the map decides on a row's service columns and year alone, so the
    rows are summed by those first and the map decides once per sum, not once per row."""
    g = rows.group_by(["fy", "month", *READS]).aggregate(cost_pence=rows.cost_pence.sum())
    on = ibis.literal(scope_date) if scope_date else ibis.date(g.fy + 1, 4, 1)
    d = g.mutate(**smap.decide(g, on=on))
    m = d.group_by(["fy", "month"]).aggregate(cost_in_pence=d.cost_pence.sum(where=d.inside))
    frame = store.to_pandas(m)
    frame["cost_in_pence"] = frame.cost_in_pence.fillna(0).astype("int64")
    totals = frame.groupby("fy").cost_in_pence.transform("sum")
    frame["share"] = np.where(totals > 0, frame.cost_in_pence / totals.where(totals > 0, 1), 0.0)
    frame["complete"] = frame.groupby("fy").month.transform("nunique") == 12
    return ibis.memtable(frame[["fy", "month", "cost_in_pence", "share", "complete"]])


def _bootstrap(
    store: Store, treated: ibis.Table, sums: pd.DataFrame, settings: FinanceSettings
) -> dict[tuple, tuple[float, float, str]]:
    """CI limits (pence per person-year) and bootstrap kind per currency × value × year."""
    bs = settings.tariffs.bootstrap
    kept = treated.filter(treated.kept)
    sizes_frame = sums[[*KEYS, "kept_people"]].rename(columns={"kept_people": "n"})
    sizes = ibis.memtable(sizes_frame.astype({"fy": "int16", "n": "int64"}))
    pools = build_pools(store.to_pandas(tf.pool_rows(kept, "treated", sizes, bs.exact_max)))

    def one(item: tuple[tuple, Pool]) -> tuple[tuple, tuple[float, float, str]]:
        key, pool = item
        reps = ratio_replicates(pool, pool.n, bs.replicates, generator(bs.seed, *key))
        lo, hi = interval(reps, bs.level)
        return key, (lo, hi, pool.kind)

    # each pool has its own seeded generator, so the pools can be drawn in any order and at
    # once (NumPy releases the GIL while it draws, sums and sorts): the same intervals
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool_threads:
        return dict(pool_threads.map(one, pools.items()))


def build_pools(rows: pd.DataFrame) -> dict:
    """Pools keyed by (currency, value, fy) from `tariffs.pool_rows`."""
    pools: dict[tuple, Pool] = {}
    cols = ["k", "sc", "sm", "scc", "smm", "scm"]
    for k, g in rows.groupby(KEYS, sort=False):
        people = g[g.stratum < 0]
        strata = g[g.stratum >= 0].sort_values("stratum")[cols].to_numpy(float)
        cost, months = people.sc.to_numpy(float), people.sm.to_numpy(float)
        key = (k[0], k[1], int(k[2]))
        pools[key] = (
            Pool.of_strata(strata, cost, months) if len(strata) else Pool.of_people(cost, months)
        )
    return pools


def _mean(total: int, months: int) -> int | None:
    """Σ pence / Σ months × 12, to the penny (half up)."""
    if months is None or pd.isna(months) or not months:
        return None
    total = 0 if total is None or pd.isna(total) else total
    return tf.half_up(Decimal(int(total)) * 12 / Decimal(int(months)))


def _tariff_rows(
    sums: pd.DataFrame,
    ci: dict,
    every: pd.DataFrame,
    years: list[int],
    settings: FinanceSettings,
    smap: ServiceMap,
) -> pd.DataFrame:
    ts = settings.tariffs
    by_key = {(r.currency, r.value, int(r.fy)): r for r in sums.itertuples(index=False)}
    rows = []
    for fy in years:
        try:
            uplift = per_year(settings.budget.uplift, fy + 1, "uplift")
        except ConfigError:
            uplift = None
        for v in every.itertuples(index=False):
            key = (v.currency, v.value, fy)
            s = by_key.get(key)
            row = _tariff_row(key, v.value_order, s, ci.get(key), uplift, ts, settings)
            row.update(scope_date=scope_date(settings, fy), map_version=smap.version)
            rows.append(row)
    frame = pd.DataFrame(rows)
    for c in ("people", "people_trimmed", "people_adjusted"):
        frame[c] = frame[c].astype("Int64")
    return frame


def _tariff_row(key, value_order, s, ci, uplift, ts, settings) -> dict:
    currency, value, fy = key
    o = ts.outliers
    row = {
        "currency": currency,
        "value": value,
        "value_order": value_order,
        "fy": fy,
        "outlier_method": o.method,
        "price_fy": fy + 1,
        "ci_level": ts.bootstrap.level,
        "replicates": ts.bootstrap.replicates,
    }
    if s is None or not s.people:
        row.update(
            people=0,
            registered_years=0.0,
            small=True,
            note=f"no person-years with this value were registered in {fy_label(fy)}: no "
            f"tariff can be set, so members with it cannot be priced from {fy_label(fy)} costs",
        )
        return row
    tariff = _mean(s.treated, s.kept_months)
    lo, hi, kind = ci if ci else (np.nan, np.nan, None)
    row.update(
        people=int(s.people),
        registered_years=float(s.months) / 12,
        raw_mean_pence=_mean(s.cost_all, s.months),
        in_scope_mean_pence=_mean(s.cost_in, s.months),
        low_threshold_pence=_int(s.low_pence),
        high_threshold_pence=_int(s.high_pence if o.method != "cap_and_pool" else s.cap_pence),
        people_trimmed=_int(s.trimmed) or 0,
        people_adjusted=_int(s.adjusted) or 0,
        pool_pence=_int(s.pooled) or 0,
        tariff_pence=tariff,
        uplifted_pence=(
            tf.half_up(Decimal(tariff) * (1 + uplift / 100))
            if tariff is not None and uplift is not None
            else None
        ),
        ci_low_pence=None if np.isnan(lo) else tf.half_up(lo),
        ci_high_pence=None if np.isnan(hi) else tf.half_up(hi),
        bootstrap=kind,
    )
    notes = []
    if tariff is None:
        notes.append(f"every person was removed by trimming in {fy_label(fy)}: no tariff")
    if s.people < ts.flags.min_people:
        notes.append(f"only {int(s.people)} people (fewer than {ts.flags.min_people})")
    if tariff and row["ci_low_pence"] is not None:
        width = (row["ci_high_pence"] - row["ci_low_pence"]) / tariff * 100
        if width > ts.flags.max_ci_percent:
            notes.append(
                f"{ts.bootstrap.level:.0%} interval {pounds(row['ci_low_pence'])}–"
                f"{pounds(row['ci_high_pence'])} is {width:.0f}% of the tariff "
                f"(more than {ts.flags.max_ci_percent:g}%)"
            )
    row["small"] = bool(notes)
    row["note"] = "; ".join(notes) or None
    return row


def _int(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


STEPS = (
    ("raw_mean_pence", "Raw mean cost per registered person-year (all services)"),
    ("in_scope_mean_pence", "After service-map exclusions"),
    ("tariff_pence", "After outlier treatment"),
    ("uplifted_pence", "After uplift to the price year"),
)


def _bridge(tariff: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for t in tariff.itertuples(index=False):
        previous = None
        for order, (col, label) in enumerate(STEPS, start=1):
            amount = getattr(t, col, None)
            amount = None if amount is None or pd.isna(amount) else int(amount)
            if col == "tariff_pence" and t.outlier_method != "none":
                label = f"After outlier treatment ({t.outlier_method.replace('_', ' ')})"
            if col == "uplifted_pence":
                label = f"After uplift to {fy_label(int(t.price_fy))} prices"
            change = None if amount is None or previous is None else amount - previous
            rows.append(
                {
                    "currency": t.currency,
                    "value": t.value,
                    "fy": t.fy,
                    "step_order": order,
                    "step": label,
                    "amount_pence": amount,
                    "change_pence": change,
                }
            )
            previous = amount if amount is not None else previous
    return pd.DataFrame(rows)


def _components(costs: ibis.Table, people: ibis.Table) -> ibis.Table:
    """In-scope cost of each value's people by setting and provider, with its share.

    `people`: the people of each value (tf.people, or tf.treat's rows: the same person-years).
    Cost rows with no in-scope cost add nothing to a sum, so they are left out of the join."""
    p = people.select(*KEYS, "person_id")
    c = costs.filter(costs.cost_in_pence != 0)
    c = c.select("person_id", "setting", "provider_code", "cost_in_pence", fy=c.fy.cast("int16"))
    j = c.join(p, ["person_id", "fy"])
    g = j.group_by([*KEYS, "setting", "provider_code"]).aggregate(cost_pence=j.cost_in_pence.sum())
    g = g.filter(g.cost_pence > 0)
    total = g.group_by(KEYS).aggregate(_total=g.cost_pence.sum())
    g = g.join(total, KEYS)
    return g.select(
        *KEYS,
        "setting",
        "provider_code",
        "cost_pence",
        share=g.cost_pence.cast("float64") / g._total.cast("float64"),
    )
