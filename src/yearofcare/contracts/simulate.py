"""Exposure before signing: each party's gain/loss over a distribution of outturns.

Vectorised over draws: the outturns are one int64 array of pence and every mechanism runs once
on the whole array (`PenceOps`), so 100,000 draws cost a few array operations per mechanism,
not a Python loop over draws. Alternative terms are settled on the same draws (common random
numbers), so their differences are differences of terms, not of luck.

Outturn distributions (each says how it was drawn):

- `stated`: a mean and a spread (lognormal by default, matching both moments; or normal);
- `bootstrap`: the cohort's own person costs, resampled (a Poisson bootstrap: every person's
  weight is Poisson(1)). People above the lowest stop-loss threshold are resampled exactly,
  so stop-loss terms see their own high-cost draws; the sum over everyone else uses its normal
  limit (mean Σc, variance Σc²). Draws are centred on the expected outturn (the baseline unless
  stated) and can carry an extra systematic spread (trend uncertainty);
- `replicates`: replicate totals from elsewhere (the money stage's budget bootstrap).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from yearofcare.contracts.money import PENCE
from yearofcare.contracts.settle import settle_period
from yearofcare.contracts.state import PeriodInputs
from yearofcare.contracts.terms import LoadedTerms, Period
from yearofcare.errors import ConfigError

TAIL = 0.05
CHUNK = 20_000


@dataclass
class Draws:
    """Simulated outturns in pence, with the high-cost excess above any threshold."""

    outturn: np.ndarray
    how: str
    excess: Callable[[Decimal], np.ndarray] | None = None


def _pence(pounds: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(pounds, dtype=np.float64) * 100).astype(np.int64)


def stated(
    mean: float, sd: float, n: int, rng: np.random.Generator, distribution: str = "lognormal"
) -> Draws:
    """Outturns with a stated mean and standard deviation (pounds)."""
    if mean <= 0 or sd < 0:
        raise ConfigError(
            f"the outturn mean must be positive and the spread not negative (found {mean}, {sd})",
            hint="e.g. --mean 12.6m --spread 5%",
        )
    if distribution == "normal":
        values = rng.normal(mean, sd, n)
    elif distribution == "lognormal":
        s2 = np.log1p((sd / mean) ** 2)
        values = rng.lognormal(np.log(mean) - s2 / 2, np.sqrt(s2), n)
    else:
        raise ConfigError(f"unknown distribution {distribution!r}", hint="lognormal or normal")
    return Draws(
        _pence(np.maximum(values, 0)),
        f"{distribution} outturn, mean £{mean:,.0f}, standard deviation £{sd:,.0f}",
    )


def _poisson_table() -> np.ndarray:
    """Poisson(1) counts by 16-bit uniform: P(k) = e⁻¹/k!, to the nearest 1/65,536."""
    pmf = [math.exp(-1) / math.factorial(k) for k in range(16)]
    edges = np.round(np.cumsum(pmf) * 65_536).astype(np.int64)
    return np.searchsorted(edges, np.arange(65_536), side="right").astype(np.uint8)


_POISSON = _poisson_table()


def bootstrap(
    costs: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    thresholds: Sequence[Decimal] = (),
    centre: float | None = None,
    spread: float = 0.0,
) -> Draws:
    """A Poisson bootstrap of person costs (pounds), exact above the lowest threshold.

    Each person's weight is Poisson(1), drawn from a 16-bit uniform by table lookup
    (probabilities to the nearest 1/65,536). People above the lowest stop-loss threshold are
    weighted one by one, in chunks of draws, and the cost above every threshold is summed with
    the same weights; everyone else's weighted sum is drawn from its normal limit.
    """
    costs = np.asarray(costs, dtype=np.float64)
    if costs.size == 0:
        raise ConfigError("the cohort has no people to resample", hint="check the cohort rule")
    levels = sorted(set(thresholds))
    cut = float(levels[0]) if levels else np.inf
    high = costs[costs > cut]
    low = costs[costs <= cut]
    total = rng.normal(low.sum(), np.sqrt(np.square(low).sum()), n)
    columns = np.column_stack([high, *(np.maximum(high - float(t), 0) for t in levels)])
    sums = np.zeros((n, columns.shape[1]))
    if high.size:
        for start in range(0, n, CHUNK):
            size = min(CHUNK, n - start)
            weights = _POISSON[rng.integers(0, 65_536, (size, high.size), dtype=np.uint16)]
            sums[start : start + size] = weights.astype(np.float64) @ columns
    total += sums[:, 0]
    factor = 1.0 if centre is None else centre / costs.sum()
    if spread:
        factor = factor * rng.lognormal(-np.log1p(spread**2) / 2, np.sqrt(np.log1p(spread**2)), n)
    outturn = _pence(np.maximum(total, 0) * factor)
    excesses = {t: _pence(sums[:, i + 1] * factor) for i, t in enumerate(levels)}

    def excess(threshold: Decimal) -> np.ndarray:
        if threshold not in excesses:
            raise ConfigError(
                f"the bootstrap was not drawn for a stop-loss threshold of £{threshold:,.0f}",
                hint="pass every contract's thresholds to the bootstrap",
            )
        return excesses[threshold]

    centre_text = "" if centre is None else f", centred on £{centre:,.0f}"
    return Draws(
        outturn,
        f"Poisson bootstrap of {costs.size:,} people's costs{centre_text}"
        + (f", systematic spread {spread:.1%}" if spread else ""),
        excess,
    )


def replicates(totals: np.ndarray, n: int, rng: np.random.Generator, how: str) -> Draws:
    """Outturns resampled from replicate totals (pounds)."""
    totals = np.asarray(totals, dtype=np.float64)
    if totals.size < 2:
        raise ConfigError(f"{how}: need at least two replicate totals, found {totals.size}")
    return Draws(_pence(rng.choice(totals, n, replace=True)), how)


@dataclass
class Scenario:
    """One set of terms (at one quality level) settled on every draw."""

    contract: str
    label: str
    loaded: LoadedTerms
    period: Period
    quality_level: int | None = None
    positions: dict[str, np.ndarray] = field(default_factory=dict)
    payment: np.ndarray | None = None
    carried: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def scenarios_for(
    loaded: LoadedTerms,
    draws: Draws,
    *,
    period: str | None = None,
    quality_level: int | None = None,
    achievement: dict[str, Decimal] | None = None,
) -> list[Scenario]:
    """Settle `loaded` on every draw; one scenario per quality level when none is given."""
    t = loaded.terms
    periods = [p.id for p in t.periods]
    pid = period or periods[0]
    if pid not in periods:
        raise ConfigError(
            f"contract {t.contract} has no period {pid!r}", hint=f"periods: {', '.join(periods)}"
        )
    index = periods.index(pid)
    per = t.periods[index]
    notes: list[str] = []
    quality = [m for k, m in t.mechanisms.items() if m.type == "quality_share" and k in t.apply]
    levels: list[int | None] = [quality_level]
    if quality and quality_level is None:
        levels = [k for k, q in sorted(quality[0].levels.items()) if q.overspend is not None]
        undefined = [k for k, q in sorted(quality[0].levels.items()) if q.overspend is None]
        if undefined:
            notes.append(
                f"quality levels {', '.join(map(str, undefined))} have no agreed shares, so "
                "they are not simulated"
            )
    measures = [
        m.id
        for mech in t.mechanisms.values()
        if mech.type == "outcome_withhold"
        for m in mech.measures
    ]
    given = dict(achievement or {})
    assumed = [m for m in measures if m not in given]
    if assumed:
        notes.append(f"outcome measures assumed fully achieved: {', '.join(assumed)}")
        given.update(dict.fromkeys(assumed, Decimal(100)))
    out = []
    for level in levels:
        inputs = PeriodInputs(
            outturn=draws.outturn, quality_level=level, achievement=given, excess=draws.excess
        )
        st = settle_period(loaded, per, inputs, PENCE, last=index == len(periods) - 1)
        label = t.name if level is None else f"{t.name} (quality level {level})"
        out.append(
            Scenario(
                t.contract,
                label,
                loaded,
                per,
                level,
                {p: np.broadcast_to(v, draws.outturn.shape) for p, v in st.position.items()},
                np.broadcast_to(st.payment, draws.outturn.shape),
                np.broadcast_to(st.carried_out, draws.outturn.shape),
                list(notes),
            )
        )
    return out


def exposure(position: np.ndarray) -> dict[str, float]:
    """Summary of one party's gain (+) / loss (−) in pounds over the draws.

    expected_shortfall is the mean of the worst 5 % of outcomes (a negative number is a loss).
    """
    x = np.asarray(position, dtype=np.float64) / 100
    k = max(1, int(np.ceil(TAIL * x.size)))
    worst = np.partition(x, k - 1)[:k]
    p5, p25, p50, p75, p95 = np.percentile(x, [5, 25, 50, 75, 95])
    return {
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)) if x.size > 1 else 0.0,
        "p5": float(p5),
        "p25": float(p25),
        "median": float(p50),
        "p75": float(p75),
        "p95": float(p95),
        "prob_loss": float((x < 0).mean()),
        "expected_shortfall": float(worst.mean()),
        "worst": float(x.min()),
        "best": float(x.max()),
    }
