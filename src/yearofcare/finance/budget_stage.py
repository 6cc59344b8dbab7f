"""`yoc budget`: the capitated budget for every cohort and budget year, its movements, the
monthly payment schedule and the cover view (see finance/budget.py for the order of steps).

The register is priced in the store (Ibis: spells × months × tariffs); what comes out is
bounded (per cohort, year and currency value), and the steps, schedule and cover are formed
from it exactly (Decimal, integer pence) or by the NumPy bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import ibis
import pandas as pd

from yearofcare import schemas
from yearofcare.errors import ConfigError, StageError
from yearofcare.finance import budget as bd
from yearofcare.finance import register as rg
from yearofcare.finance import tariffs as tf
from yearofcare.finance.common import require
from yearofcare.finance.costs import month_start
from yearofcare.finance.service_model import ServiceModelEffects, service_model_effects
from yearofcare.finance.settings import FinanceSettings, per_year
from yearofcare.finance.tariff_stage import build_pools
from yearofcare.fy import fy_label
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

STAGE = "budget"
MIN_TRANSITIONS = 100


@dataclass
class BudgetResult:
    run_id: str
    rows: dict[str, int]
    budget: pd.DataFrame
    tariff_fy: int
    years: list[int]


def run_budget(
    store: Store, settings: FinanceSettings, progress: Progress = SILENT
) -> BudgetResult:
    """Write budget, budget_movement, payment_schedule and budget_cover."""
    require(
        store, "tariff", "tariff_person", "cohort_member", "person_currency", stage="yoc budget"
    )
    b = settings.budget
    params = {"settings_version": settings.version, "budget": b.model_dump(mode="json")}
    params["schedule"] = settings.schedule.profile
    with progress.task("budget", total=4) as bar, store.stage(STAGE, params) as run:
        tariff = store.to_pandas(schemas.get("tariff").in_order(run.read("tariff")))
        tariff_fy = b.base_fy or int(tariff.fy.max())
        if tariff_fy not in set(tariff.fy.astype(int)):
            raise ConfigError(
                f"finance settings budget.base_fy: there are no tariffs for {fy_label(tariff_fy)}",
                hint="tariff years: "
                + ", ".join(fy_label(int(y)) for y in sorted(tariff.fy.unique())),
            )
        tariffs = tariff[tariff.fy == tariff_fy]
        map_version = str(tariffs.map_version.iloc[0]) if len(tariffs) else ""
        first = b.first_fy or tariff_fy + 1
        years = list(range(first, first + b.years))
        run.parameters.update(tariff_fy=tariff_fy, years=years, map_version=map_version)
        register = run.read("cohort_member")
        cohorts = _cohorts(store, register, b.cohorts)
        register = register.filter(register.cohort_id.isin(cohorts))
        rg.check_register(store, register)
        prices = ibis.memtable(tariffs[["currency", "value", "tariff_pence"]].dropna())
        spells = ibis.union(
            *[rg.priced(rg.year_spells(register, fy), prices) for fy in years], distinct=False
        )
        run.write("budget_movement", rg.movements(spells))
        totals, by_value, moves, every = _aggregates(store, spells, run.staged("budget_movement"))
        _check_priced(every, tariffs)
        bar.advance()
        pc = run.read("person_currency")
        mix_moves = _transitions(store, pc, register)
        shares = _setting_shares(store, run.read("tariff_component"), tariff_fy)
        effects = service_model_effects(store, settings, years, cohorts, run)
        bar.advance()

        ctx = _Context(settings, tariff_fy, first, map_version, tariffs, mix_moves, shares, effects)
        rows, schedule, cover = [], [], []
        profile = (
            store.to_pandas(run.read("cost_profile")) if store.exists("cost_profile") else None
        )
        shares_m, shape = _schedule_shape(settings, profile)
        run.parameters["schedule_shape"] = shape
        # only the currencies the cohorts are priced in are drawn from
        used = sorted(by_value.currency.dropna().unique())
        pc_used = pc.filter(pc.currency.isin(used)) if used else pc.filter(ibis.literal(False))
        pools = _pools(store, run.read("tariff_person"), pc_used, tariffs, tariff_fy, settings)
        for cohort in cohorts:
            for fy in years:
                year_rows = _year_steps(ctx, cohort, fy, totals, by_value, moves)
                rows += year_rows
                total = next(r for r in year_rows if r["step"] == "total")["running_total_pence"]
                schedule += _schedule_rows(cohort, fy, total, shares_m, settings.schedule.profile)
                cover += _cover(ctx, cohort, fy, total, year_rows, by_value, pools)
        bar.advance()
        budget = pd.DataFrame(rows)
        run.write("budget", budget)
        run.write("payment_schedule", pd.DataFrame(schedule))
        run.write("budget_cover", pd.DataFrame(cover))
        bar.advance()
        result = BudgetResult(run.run_id, dict(run.output_rows), budget, tariff_fy, years)
    return result


@dataclass(frozen=True)
class _Context:
    settings: FinanceSettings
    tariff_fy: int
    first_fy: int
    map_version: str
    tariffs: pd.DataFrame
    transitions: dict[str, pd.DataFrame]
    shares: dict[str, dict[str, dict[str, float]]]
    #: the new service model's expected change per cohort, year and setting, and its source
    service_model: ServiceModelEffects


def _cohorts(store: Store, register: ibis.Table, wanted: tuple[str, ...]) -> list[str]:
    have = sorted(store.to_pandas(register.select("cohort_id").distinct()).cohort_id)
    if not have:
        raise StageError("the cohort register is empty", hint="run yoc cohort select first")
    for c in wanted:
        if c not in have:
            raise ConfigError(
                f"finance settings budget.cohorts: no cohort {c!r} on the register",
                hint=f"cohorts on the register: {', '.join(have)}",
            )
    return list(wanted) or have


def _check_priced(by_value: pd.DataFrame, tariffs: pd.DataFrame) -> None:
    found = by_value[by_value.unpriced > 0]
    if not len(found):
        return
    f = found.iloc[0]
    note = tariffs[(tariffs.currency == f.currency) & (tariffs.value == f.value)]
    why = str(note.note.iloc[0]) if len(note) and isinstance(note.note.iloc[0], str) else None
    if why is None and pd.notna(f.currency):
        why = "the value is not among the tariffs' values"
    raise StageError(
        rg.unpriced_message(f.cohort_id, int(f.fy), f.currency, f.value, int(f.unpriced), why),
        hint="set tariffs from a year in which the value has people (budget.base_fy), merge the "
        "value into another in the currencies file, or check the register's currency values",
    )


def _aggregates(store: Store, spells: ibis.Table, movements: ibis.Table):
    """(totals per cohort × year, sums per cohort × year × value, movements by reason)."""
    s = spells.rename(value="currency_value")
    live = s.months > 0
    by_value = store.to_pandas(
        s.group_by(["cohort_id", "fy", "currency", "value"]).aggregate(
            base=s.tariff_pence.sum(where=s.in_base),
            base_members=s.count(where=s.in_base),
            total=s.amount_pence.sum(),
            spells=s.count(where=live),
            member_months=s.months.cast("int64").sum(where=live),
            unpriced=s.count(where=live & s.tariff_pence.isnull()),
        )
    )
    for c in ("base", "base_members", "total", "spells", "member_months", "unpriced"):
        by_value[c] = by_value[c].fillna(0).astype("int64")
    totals = by_value.groupby(["cohort_id", "fy"], as_index=False)[
        ["base", "base_members", "total"]
    ].sum()
    m = movements
    moves = store.to_pandas(
        m.group_by(["cohort_id", "fy", "reason"]).aggregate(amount=m.amount_pence.sum())
    )
    return totals, by_value[by_value.spells > 0], moves, by_value


def _transitions(store: Store, pc: ibis.Table, register: ibis.Table) -> dict[str, pd.DataFrame]:
    """Moves between values of each cohort currency in consecutive years: members' own moves,
    or everyone's when members show fewer than MIN_TRANSITIONS."""
    members = register.select("person_id").distinct()
    a = pc.filter(pc.value.notnull()).select("person_id", "currency", "fy", value_from="value")
    b = pc.filter(pc.value.notnull()).select(
        p2="person_id", c2="currency", f2="fy", value_to="value"
    )
    pairs = a.join(b, [a.person_id == b.p2, a.currency == b.c2, b.f2 == a.fy + 1])
    keys = ["currency", "value_from", "value_to"]
    own = pairs.semi_join(members, "person_id")
    counted = store.to_pandas(own.group_by(keys).aggregate(n=own.count()))
    everyone = None
    out = {}
    for currency in sorted(set(store.to_pandas(pc.select("currency").distinct()).currency)):
        mine = counted[counted.currency == currency]
        if mine.n.sum() < MIN_TRANSITIONS:
            if everyone is None:
                everyone = store.to_pandas(pairs.group_by(keys).aggregate(n=pairs.count()))
            mine = everyone[everyone.currency == currency]
        out[currency] = mine
    return out


def _setting_shares(store: Store, component: ibis.Table, tariff_fy: int) -> dict:
    c = component.filter(component.fy == tariff_fy)
    frame = store.to_pandas(
        c.group_by(["currency", "value", "setting"]).aggregate(share=c.share.sum())
    )
    out: dict[str, dict[str, dict[str, float]]] = {}
    for r in frame.itertuples(index=False):
        out.setdefault(r.currency, {}).setdefault(r.value, {})[r.setting] = float(r.share)
    return out


def _schedule_shape(settings: FinanceSettings, profile: pd.DataFrame | None):
    if settings.schedule.profile == "flat" or profile is None:
        return [1 / 12] * 12, "flat: twelve equal months"
    return bd.seasonal_shares(profile)


def _per_year(value, name: str, first: int, last: int) -> tuple[Decimal, str]:
    values = {y: per_year(value, y, name) for y in range(first, last + 1)}
    pct = bd.compounded(values, first, last)
    if first > last:
        return Decimal(0), "none in the first budget year"
    if not isinstance(value, dict):
        return pct, f"{value}% a year for {bd.years_text(first, last)}, compounded"
    return pct, "by year: " + ", ".join(f"{fy_label(y)} {values[y]}%" for y in values)


def _year_steps(ctx: _Context, cohort: str, fy: int, totals, by_value, moves) -> list[dict]:
    b = ctx.settings.budget
    t = totals[(totals.cohort_id == cohort) & (totals.fy == fy)]
    base = int(t.base.fillna(0).iloc[0]) if len(t) else 0
    members = int(t.base_members.iloc[0]) if len(t) else 0
    recomputed = int(t.total.fillna(0).iloc[0]) if len(t) else 0
    mv = moves[(moves.cohort_id == cohort) & (moves.fy == fy)]
    amounts = {
        step: int(mv[mv.reason.isin(reasons)].amount.sum())
        for step, _, reasons in bd.MOVEMENT_STEPS
    }
    if base + sum(amounts.values()) != recomputed:
        raise RuntimeError(f"budget movements do not reconcile for {cohort} {fy}")
    v = by_value[(by_value.cohort_id == cohort) & (by_value.fy == fy)]
    currency = v.currency.iloc[0] if len(v) else None
    mix = v.merge(
        ctx.tariffs[["currency", "value", "tariff_pence", "pool_pence", "registered_years"]],
        on=["currency", "value"],
        how="left",
    )
    mix = mix.assign(weight=mix.member_months / 12)
    up, up_basis = _per_year(b.uplift, "uplift", ctx.tariff_fy + 1, fy)
    ef, ef_basis = _per_year(b.efficiency, "efficiency", ctx.tariff_fy + 1, fy)
    dg, dg_basis = _per_year(b.demographic_growth, "demographic_growth", ctx.first_fy + 1, fy)
    if b.case_mix == "projected":
        cm = bd.case_mix_percent(
            ctx.transitions.get(currency, pd.DataFrame(columns=["value_from", "value_to", "n"])),
            mix[["value", "weight", "tariff_pence"]],
            fy - ctx.first_fy,
        )
        cm_basis = f"projected {fy - ctx.first_fy} year(s) of observed moves between values"
    else:
        cm, cm_basis = _per_year(b.case_mix, "case_mix", ctx.first_fy + 1, fy)
    weights = mix.weight * mix.tariff_pence
    shares: dict[str, float] = {}
    by_setting = ctx.shares.get(currency, {})
    for r, w in zip(mix.itertuples(index=False), weights, strict=True):
        for setting, share in by_setting.get(r.value, {}).items():
            shares[setting] = shares.get(setting, 0.0) + float(w) * share
    total_w = float(weights.sum()) or 1.0
    shares = {s: x / total_w for s, x in shares.items()}
    sm = bd.service_model_percent(shares, ctx.service_model.of(cohort, fy))
    sm_basis = ctx.service_model.basis(cohort, fy, shares)
    adjustments = [
        ("uplift", "Pay and price uplift", up, up_basis),
        ("efficiency", "Efficiency requirement", ef, ef_basis),
        ("demographic_growth", "Demographic growth", dg, dg_basis),
        ("case_mix", "Case-mix change (people moving between currency values)", cm, cm_basis),
        ("service_model", "Expected effect of the new service model", sm, sm_basis),
    ]
    rows = bd.steps(
        base=base, base_members=members, moves=amounts, adjustments=adjustments, memo=[]
    )
    total = rows[-1]["running_total_pence"]
    factor = Decimal(total) / Decimal(recomputed) if recomputed else Decimal(1)
    pool = _pool_memo(mix, factor)
    if pool is not None:
        rows = bd.steps(
            base=base, base_members=members, moves=amounts, adjustments=adjustments, memo=[pool]
        )
    for r in rows:
        r.update(cohort_id=cohort, fy=fy, tariff_fy=ctx.tariff_fy, map_version=ctx.map_version)
    return rows


def _pool_memo(mix: pd.DataFrame, factor: Decimal):
    if mix.pool_pence.fillna(0).sum() <= 0:
        return None
    amount = Decimal(0)
    for r in mix.itertuples(index=False):
        if r.registered_years and pd.notna(r.pool_pence):
            amount += (
                Decimal(int(r.pool_pence))
                / Decimal(str(r.registered_years))
                * Decimal(int(r.member_months))
                / 12
            )
    return (
        "high_cost_pool",
        "Memo: high-cost pool outside the budget (cost above the cap)",
        tf.half_up(amount * factor),
        "pool per person-year of each value × the members' person-years, at budget prices",
    )


def _schedule_rows(cohort: str, fy: int, total: int, shares: list[float], profile: str):
    amounts = bd.schedule(total, shares)
    s = sum(shares) or 1.0
    rows, cumulative = [], 0
    for m, amount in enumerate(amounts, start=1):
        cumulative += amount
        rows.append(
            {
                "cohort_id": cohort,
                "fy": fy,
                "month": m,
                "month_start": month_start(fy, m),
                "profile": profile,
                "share": shares[m - 1] / s,
                "amount_pence": amount,
                "cumulative_pence": cumulative,
            }
        )
    return rows


def _pools(store, tariff_person, pc, tariffs: pd.DataFrame, tariff_fy: int, settings):
    """Per currency: value → pool of person-year costs the cover view draws from (the in-scope
    cost, with the cap applied under cap_and_pool: trimmed people still cost money)."""
    tp = tariff_person.filter(tariff_person.fy == tariff_fy)
    people = tf.people(tp, pc.filter(pc.fy == tariff_fy), tp)
    method = str(tariffs.outlier_method.iloc[0]) if len(tariffs) else "none"
    thr = tariffs[["currency", "value", "fy", "high_threshold_pence"]].copy()
    thr["low_pence"] = pd.array([None] * len(thr), dtype="Int64")
    thr["high_pence"] = pd.array([None] * len(thr), dtype="Int64")
    thr["cap_pence"] = thr.high_threshold_pence.astype("Int64")
    thr = thr.drop(columns="high_threshold_pence").astype({"fy": "int16"})
    use = "cap_and_pool" if method == "cap_and_pool" else "none"
    treated = tf.treat(people, ibis.memtable(thr), use)
    cost = "treated"
    sizes = treated.group_by(tf.KEYS).aggregate(n=treated.count())
    exact_max = settings.tariffs.bootstrap.exact_max
    rows = store.to_pandas(tf.pool_rows(treated, cost, sizes, exact_max))
    pools: dict[str, dict] = {}
    for (currency, value, _fy), pool in build_pools(rows).items():
        pools.setdefault(currency, {})[value] = pool
    return pools


def _cover(ctx: _Context, cohort, fy, total, year_rows, by_value, pools) -> list[dict]:
    b = ctx.settings.budget
    v = by_value[(by_value.cohort_id == cohort) & (by_value.fy == fy)]
    if v.empty or total <= 0:
        return []
    currency = v.currency.iloc[0]
    members = v.assign(member_years=v.member_months / 12)[["value", "spells", "member_years"]]
    outturn = bd.cover_replicates(
        pools.get(currency, {}), members, b.cover_replicates, b.seed, (cohort, fy)
    )
    moved = next(r for r in year_rows if r["step"] == "changed_currency")["running_total_pence"]
    factor = total / moved if moved else 1.0
    rows = bd.cover_rows(outturn, factor, total, b.cover_probabilities, b.cover_levels)
    for r in rows:
        r.update(cohort_id=cohort, fy=fy, replicates=b.cover_replicates)
    return rows
