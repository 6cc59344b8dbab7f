"""Stability and volatility of cohort rules (seed 004 §7.2 and its note 87 on volatility risk).

Turnover (Ibis): of the people a rule selects in year y, how many it selects again in y + 1
(retained), and where the others went — died (in y or y + 1), moved away (alive, absent in
y + 1), stepped down (present, no longer selected) — plus the joiners new in y + 1.

Volatility (NumPy, on the bounded vector of one cost per selected person): for a cohort of N
people drawn with replacement from those the rule selected in year y and present in y + 1,
the distribution of the mean cost of y + 1 over `samples` bootstrap cohorts; the budget is the
pool's mean, and `probability_miss` is the share of cohorts whose mean misses it by more than
x % either way. Small cohorts miss often: the chart of that probability against N is the
handbook's warning made visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from yearofcare import schemas
from yearofcare.cohorts.config import Volatility, load_cohorts
from yearofcare.cohorts.rules import Rule
from yearofcare.config import ConfigModel
from yearofcare.disclosure import DEFAULT_POLICY, suppress
from yearofcare.errors import StageError
from yearofcare.progress import SILENT, Progress
from yearofcare.segmentation.frame import need_frame
from yearofcare.store import Store

STAGE = "cohort-stability"
COUNTS = ("members", "retained", "died", "moved_away", "stepped_down", "joiners")
CHUNK = 250  # bootstrap samples drawn at once (bounds memory: CHUNK × N costs)
#: how turnover is published (`disclosure.suppress`): retention from the published counts, and
#: the members of the first year split into the retained and the three ways of leaving
TURNOVER_DERIVED = {"retention": ("members", "retained")}
TURNOVER_CONSISTENT = {
    "ratios": {"retention": ("retained", "members")},
    "parts": {"members": ("retained", "died", "moved_away", "stepped_down")},
}


class StabilityOptions(ConfigModel):
    config_name: ClassVar[str] = "cohort stability options"
    cohorts: Path | None = None


@dataclass(frozen=True)
class StabilityResult:
    run_id: str
    stability: pd.DataFrame
    volatility: pd.DataFrame


def turnover(frame: ibis.Table, rule: Rule, cohort_id: str, years: Sequence[int]) -> ibis.Table:
    """One row per consecutive pair of years: the counts of COUNTS (before suppression)."""
    pairs = [y for y in years if y + 1 in set(years)]
    t = frame.filter(frame.fy.isin([int(y) for y in years])).select(
        "person_id", "fy", _sel=rule.compile(frame), _died=frame.died_in_year.fill_null(False)
    )
    a = t.filter(t.fy.isin(pairs))
    b = t.select(_bpid=t.person_id, _bfy=(t.fy - 1).cast(t.fy.type()), _bsel=t._sel, _bdied=t._died)
    j = a.outer_join(b, [a.person_id == b._bpid, a.fy == b._bfy])
    j = j.mutate(
        fy_from=ibis.coalesce(j.fy, j._bfy).cast("int16"),
        _in_a=j._sel.fill_null(False),
        _in_b=j._bsel.fill_null(False),
        _present_b=j._bpid.notnull(),
        _dead=j._died.fill_null(False) | j._bdied.fill_null(False),
    )
    j = j.filter(j.fy_from.isin(pairs) & (j._in_a | j._in_b))
    gone = j._in_a & ~j._in_b

    def count(cond):
        return ibis.ifelse(cond, 1, 0).sum()

    return (
        j.group_by("fy_from")
        .aggregate(
            members=count(j._in_a),
            retained=count(j._in_a & j._in_b),
            died=count(gone & j._dead),
            moved_away=count(gone & ~j._dead & ~j._present_b),
            stepped_down=count(gone & ~j._dead & j._present_b),
            joiners=count(~j._in_a & j._in_b),
        )
        .mutate(cohort_id=ibis.literal(cohort_id), rule=ibis.literal(rule.text))
    )


def pool_costs(frame: ibis.Table, rule: Rule, fy: int) -> ibis.Table:
    """person_id and cost of year fy + 1 for people the rule selects in fy and present in fy + 1
    (ordered by person_id)."""
    a = frame.filter(frame.fy == fy)
    a = a.filter(rule.compile(a)).select("person_id")
    b = frame.filter(frame.fy == fy + 1).select(_pid=frame.person_id, cost=frame.cost_total)
    j = a.join(b, a.person_id == b._pid)
    # in person order: the bootstrap draws people by position
    return j.select("person_id", cost=j.cost.cast("float64").fill_null(0.0)).order_by("person_id")


def bootstrap(costs: np.ndarray, settings: Volatility, rng: np.random.Generator) -> pd.DataFrame:
    """cohort_size × tolerance: budget, spread of the bootstrap mean, probability of a miss."""
    costs = np.asarray(costs, dtype=float)
    rows = []
    if not len(costs):
        return pd.DataFrame(rows)
    budget = float(costs.mean())
    for n in settings.sizes:
        means = np.empty(settings.samples)
        for start in range(0, settings.samples, CHUNK):
            k = min(CHUNK, settings.samples - start)
            means[start : start + k] = costs[rng.integers(0, len(costs), (k, n))].mean(axis=1)
        for tol in settings.tolerance_percent:
            miss = np.abs(means - budget) > budget * tol / 100
            over = means > budget * (1 + tol / 100)
            rows.append(
                {
                    "cohort_size": n,
                    "tolerance_percent": float(tol),
                    "pool_size": len(costs),
                    "budget": budget,
                    "mean_cost_sd": float(means.std(ddof=1)),
                    "mean_cost_p05": float(np.quantile(means, 0.05)),
                    "mean_cost_p95": float(np.quantile(means, 0.95)),
                    "probability_miss": float(miss.mean()),
                    "probability_over": float(over.mean()),
                    "samples": settings.samples,
                }
            )
    return pd.DataFrame(rows)


def run_stability(
    store: Store, options: StabilityOptions | None = None, progress: Progress = SILENT
) -> StabilityResult:
    """Turnover and volatility of every cohort rule in the cohorts file."""
    options = options or StabilityOptions()
    loaded, rules = load_cohorts(options.cohorts)
    config = loaded.model
    params = {**options.model_dump(mode="json"), "cohorts_version": config.version}
    with (
        progress.task("Cohort stability", total=len(config.cohorts)) as bar,
        store.stage(STAGE, params) as run,
    ):
        py = run.read("person_year")
        need = run.read("need_level") if store.exists("need_level") else None
        frame = store.cache(need_frame(py, need))
        years = sorted(int(v) for v in store.to_pandas(frame.select("fy").distinct())["fy"])
        pairs = [y for y in years if y + 1 in years]
        if not pairs:
            raise StageError(
                "stability needs two consecutive years in person_year",
                hint="build person_year for at least two financial years",
            )
        stab, vol = [], []
        rng = np.random.default_rng(config.volatility.seed)
        for cohort in config.cohorts:
            rule = rules[cohort.id]
            stab.append(store.to_pandas(turnover(frame, rule, cohort.id, years)))
            costs = store.to_pandas(pool_costs(frame, rule, pairs[-1])).cost.to_numpy(float)
            boot = bootstrap(costs, config.volatility, rng)
            if len(boot):
                vol.append(boot.assign(cohort_id=cohort.id, cost_fy=pairs[-1] + 1))
            bar.advance()
        frame.release()
        stability = _safe_stability(pd.concat(stab, ignore_index=True))
        volatility = pd.concat(vol, ignore_index=True) if vol else _empty("cohort_volatility")
        run.write("cohort_stability", _arrow(stability, "cohort_stability"))
        run.write("cohort_volatility", _arrow(volatility, "cohort_volatility"))
    return StabilityResult(run.run_id, stability, volatility)


def _safe_stability(raw: pd.DataFrame) -> pd.DataFrame:
    if raw.empty:
        return _empty("cohort_stability")
    raw = raw.assign(
        fy_to=raw.fy_from + 1,
        retention=raw.retained / raw.members.where(raw.members > 0),
    )
    safe = suppress(
        raw,
        list(COUNTS),
        [],
        DEFAULT_POLICY,
        derived_from=TURNOVER_DERIVED,
        **TURNOVER_CONSISTENT,
    )
    for c in COUNTS:
        safe[c] = safe[c].round().astype("Int64")
    return safe.sort_values(["cohort_id", "fy_from"]).reset_index(drop=True)


def _empty(table: str) -> pd.DataFrame:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    return pa.Table.from_pylist([], schema=schema).to_pandas()


def _arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    return pa.Table.from_pandas(
        frame.reindex(columns=schema.names), schema=schema, preserve_index=False
    )
