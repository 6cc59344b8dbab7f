"""The capitated budget's arithmetic on bounded inputs: steps in a stated order, case-mix
projection, the service-model effect, the payment schedule and the cover view.

Order of the steps (each shown with its percentage and amount, the running total after it):

1. base: Σ tariff of the members on the register on 1 April (a full year each);
2. in-year movements: joiners, leavers (declined, moved away, stepped down, left), deaths,
   currency changes (finance/register.py), at tariff prices;
3. pay and price uplift: compounded for every year from the tariffs' year to the budget year;
4. efficiency requirement: the same (a negative percentage);
5. demographic growth: compounded for every budget year after the first (the first year's
   register is known on 1 April);
6. case-mix change: people moving between currency values, projected from observed year-to-year
   moves (or a percentage a year, compounded like growth);
7. expected service-model effect: Σ over settings of the cohort's share of in-scope cost in the
   setting × the expected change for the year (planning's service_model_adjustment, else the
   settings);
8. total. Memo (not added): the high-cost pool the budget does not carry (cap and pool).

Each step's amount is its percentage of the running total, rounded half up to the penny.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pandas as pd

from yearofcare.finance.bootstrap import Pool, generator, ratio_replicates
from yearofcare.finance.money import compound, largest_remainder, pct_of
from yearofcare.fy import fy_label

MOVEMENT_STEPS = (
    ("joined", "Joiners, paid pro rata from their join month", ("joined",)),
    (
        "left",
        "Leavers, removed from their leave month",
        ("declined", "moved_away", "stepped_down", "left"),
    ),
    ("died", "Deaths, removed from the month of death", ("died",)),
    (
        "changed_currency",
        "Currency changes, re-priced from the month they change",
        ("changed_currency",),
    ),
)


def years_text(first: int, last: int) -> str:
    if first > last:
        return "none"
    return fy_label(first) if first == last else f"{fy_label(first)} to {fy_label(last)}"


def steps(
    *,
    base: int,
    base_members: int,
    moves: Mapping[str, int],
    adjustments: list[tuple[str, str, Decimal, str]],
    memo: list[tuple[str, str, int, str]],
) -> list[dict]:
    """The step rows of one cohort-year (without cohort, year and provenance columns)."""
    rows = []
    running = int(base)

    def add(step, label, amount, percent=None, basis=None, in_total=True):
        nonlocal running
        if in_total:
            running += amount
        rows.append(
            {
                "step": step,
                "label": label,
                "percent": None if percent is None else float(percent),
                "amount_pence": int(amount),
                "running_total_pence": running,
                "in_total": in_total,
                "basis": basis,
            }
        )

    rows.append(
        {
            "step": "base",
            "label": "Members on the register on 1 April × their tariff",
            "percent": None,
            "amount_pence": running,
            "running_total_pence": running,
            "in_total": True,
            "basis": f"{base_members:,} members, a full year each at tariff prices",
        }
    )
    for step, label, _reasons in MOVEMENT_STEPS:
        add(step, label, int(moves.get(step, 0)), basis="budget_movement rows")
    for step, label, percent, basis in adjustments:
        add(step, label, pct_of(running, percent), percent, basis)
    add("total", "Capitated budget", 0, basis="sum of the steps above")
    for step, label, amount, basis in memo:
        add(step, label, amount, basis=basis, in_total=False)
    for i, r in enumerate(rows, start=1):
        r["step_order"] = i
    return rows


def compounded(per_year: Mapping[int, Decimal], first: int, last: int) -> Decimal:
    return compound([per_year[y] for y in range(first, last + 1)])


def case_mix_percent(transitions: pd.DataFrame, mix: pd.DataFrame, steps_ahead: int) -> Decimal:
    """Projected change in the mean tariff after `steps_ahead` years of observed moves.

    `transitions`: value_from, value_to, n (people moving between consecutive years);
    `mix`: value, weight (member-years), tariff_pence. Values with no observed moves stay put.
    """
    if steps_ahead <= 0 or mix.empty or mix.weight.sum() == 0:
        return Decimal(0)
    values = list(mix.value)
    idx = {v: i for i, v in enumerate(values)}
    p = np.eye(len(values))
    t = transitions[transitions.value_from.isin(idx) & transitions.value_to.isin(idx)]
    for v_from, g in t.groupby("value_from"):
        row = np.zeros(len(values))
        for r in g.itertuples(index=False):
            row[idx[r.value_to]] += r.n
        if row.sum() > 0:
            p[idx[v_from]] = row / row.sum()
    m0 = mix.weight.to_numpy(float)
    tariffs = mix.tariff_pence.to_numpy(float)
    mk = m0 @ np.linalg.matrix_power(p, steps_ahead)
    before = float(m0 @ tariffs)
    if before == 0:
        return Decimal(0)
    ratio = float(mk @ tariffs) / before
    return Decimal(str(round((ratio - 1) * 100, 6)))


def service_model_percent(shares: Mapping[str, float], effects: Mapping[str, Decimal]) -> Decimal:
    """Σ share of the cohort's in-scope cost in each setting × that setting's expected change."""
    total = Decimal(0)
    for setting, pct in effects.items():
        total += Decimal(str(round(shares.get(setting, 0.0), 9))) * Decimal(pct)
    return total


def schedule(total: int, shares: list[float]) -> list[int]:
    """Monthly payments: largest remainder in whole pence (see finance/money.py)."""
    return largest_remainder(total, shares)


def seasonal_shares(profile: pd.DataFrame) -> tuple[list[float], str]:
    """Mean monthly share of in-scope cost over the complete historical years (else flat)."""
    full = profile[profile.complete]
    if full.empty:
        return [1 / 12] * 12, "flat: no complete year of in-scope cost to shape it"
    by_month = full.groupby("month").share.mean().reindex(range(1, 13), fill_value=0.0)
    years = sorted(int(y) for y in full.fy.unique())
    return list(
        by_month.to_numpy(float)
    ), f"seasonal: mean shape of {years_text(years[0], years[-1])}"


def cover_replicates(
    pools: Mapping[str, Pool],
    members: pd.DataFrame,
    replicates: int,
    seed: int,
    key: tuple,
) -> np.ndarray:
    """Outturn replicates (pence, tariff prices) of a cohort-year: for each value, the mean
    cost per person-year of as many people as the cohort has members with it, drawn from the
    value's people, × the members' person-years; summed over values.

    `members`: value, spells (people drawn), member_years."""
    total = np.zeros(replicates)
    for r in members.itertuples(index=False):
        pool = pools.get(r.value)
        if pool is None or r.spells <= 0:
            continue
        reps = ratio_replicates(pool, int(r.spells), replicates, generator(seed, *key, r.value))
        total += np.nan_to_num(reps) * float(r.member_years)
    return total


def cover_rows(
    outturn: np.ndarray,
    factor: float,
    budget_total: int,
    probabilities: tuple[float, ...],
    levels: tuple[float, ...],
) -> list[dict]:
    """`budget_cover` rows: the budget for each probability and the overspend risk per level.

    `factor` takes the outturn from tariff prices to the budget's prices (total ÷ the base
    after movements)."""
    o = outturn * factor
    rows = []
    for p in probabilities:
        b = round(float(np.quantile(o, p)))
        rows.append(
            {
                "kind": "probability",
                "probability": p,
                "budget_pence": b,
                "relative_to_budget": b / budget_total if budget_total else None,
                "overspend_probability": float(np.mean(o > b)),
            }
        )
    for level in levels:
        b = round(budget_total * level)
        rows.append(
            {
                "kind": "level",
                "probability": float(np.mean(o <= b)),
                "budget_pence": b,
                "relative_to_budget": level,
                "overspend_probability": float(np.mean(o > b)),
            }
        )
    return rows
