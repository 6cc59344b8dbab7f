"""Seeded, vectorised bootstrap of a ratio of sums (cost per registered person-year).

Runs on bounded arrays pulled out of the store (NumPy), never on the full table:

- **exact** (a value with at most `exact_max` people): each replicate resamples `draws` people
  with replacement from the pool and returns Σ cost / Σ months × 12;
- **stratified** (larger values): the pool arrives as strata of people ordered by annualised
  cost (count and the sums and cross-products of cost and months per stratum, computed in the
  store; at least 50 people a stratum, at most 200 strata) plus the people of the top 1 % of
  strata individually. Each replicate draws how many of its
  `draws` people fall in each stratum exactly (multinomial), resamples the top strata person by
  person, and takes each other stratum's sums from their normal limit (mean × count + √count ×
  the stratum's covariance), which is accurate because a stratum holds people of nearly the same
  annual cost. A test checks it against the exact bootstrap.

Each pool has its own generator, seeded from the run's seed and the pool's key, so results do
not depend on which other values are present, on row order (people are sorted by annualised
cost and months first) or on how the work is chunked.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

#: Elements of the replicate × draw index matrix generated at once (bounds memory).
CHUNK = 4_000_000
#: Strata of a stratified pool and the share of them kept as individual people.
STRATA = 200
MIN_PER_STRATUM = 50
#: The top 1 / TAIL_DIVISOR of strata are resampled person by person.
TAIL_DIVISOR = 100


@dataclass(frozen=True)
class Pool:
    """What one value's bootstrap draws from.

    `cost` and `months` are people (all of them for an exact pool, the top stratum's for a
    stratified one); `strata` is an array of rows (count, Σcost, Σmonths, Σcost², Σmonths²,
    Σcost×months) for the other strata, empty for an exact pool. `n` counts everyone.
    """

    n: int
    cost: np.ndarray
    months: np.ndarray
    strata: np.ndarray

    @property
    def kind(self) -> str:
        return "stratified" if len(self.strata) else "exact"

    @classmethod
    def of_people(cls, cost: np.ndarray, months: np.ndarray) -> Pool:
        cost, months = _sorted(np.asarray(cost, float), np.asarray(months, float))
        return cls(len(cost), cost, months, np.empty((0, 6)))

    @classmethod
    def of_strata(cls, strata: np.ndarray, cost: np.ndarray, months: np.ndarray) -> Pool:
        cost, months = _sorted(np.asarray(cost, float), np.asarray(months, float))
        strata = np.asarray(strata, float).reshape(-1, 6)
        n = int(strata[:, 0].sum()) + len(cost)
        return cls(n, cost, months, strata)

    def ratio(self) -> float:
        """Σ cost / Σ months × 12 over the whole pool."""
        sc = self.cost.sum() + self.strata[:, 1].sum()
        sm = self.months.sum() + self.strata[:, 2].sum()
        return float(sc / sm * 12) if sm else float("nan")


def _sorted(cost: np.ndarray, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((months, cost / np.where(months > 0, months, 1)))
    return cost[order], months[order]


def strata_count(n: int) -> int:
    """Strata for a pool of `n` people: up to STRATA, at least MIN_PER_STRATUM in each."""
    return max(1, min(STRATA, n // MIN_PER_STRATUM))


def tail_strata(strata: int) -> int:
    """How many of the top strata are kept as individual people."""
    return max(1, -(-strata // TAIL_DIVISOR))


def generator(seed: int, *key: object) -> np.random.Generator:
    """A generator for one pool: the run's seed and a stable hash of the pool's key."""
    text = "|".join(str(k) for k in key).encode("utf-8")
    return np.random.default_rng([seed, zlib.crc32(text)])


def ratio_replicates(
    pool: Pool, draws: int, replicates: int, rng: np.random.Generator
) -> np.ndarray:
    """`replicates` values of Σ cost / Σ months × 12 over `draws` people drawn from `pool`."""
    if pool.n == 0 or draws <= 0 or replicates <= 0:
        return np.full(max(replicates, 0), np.nan)
    if pool.kind == "exact":
        sc, sm = _exact_sums(pool, draws, replicates, rng)
    else:
        sc, sm = _stratified_sums(pool, draws, replicates, rng)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sc / sm * 12


def _exact_sums(pool: Pool, draws: int, replicates: int, rng) -> tuple[np.ndarray, np.ndarray]:
    sc = np.empty(replicates)
    sm = np.empty(replicates)
    per = max(1, CHUNK // draws)
    dtype = np.int32 if pool.n < 2**31 else np.int64
    for start in range(0, replicates, per):
        k = min(per, replicates - start)
        idx = rng.integers(0, pool.n, size=(k, draws), dtype=dtype)
        sc[start : start + k] = pool.cost[idx].sum(axis=1)
        sm[start : start + k] = pool.months[idx].sum(axis=1)
    return sc, sm


def _stratified_sums(pool: Pool, draws: int, replicates: int, rng) -> tuple[np.ndarray, np.ndarray]:
    s = pool.strata
    counts = np.append(s[:, 0], len(pool.cost))
    m = rng.multinomial(draws, counts / counts.sum(), size=replicates)  # (R, B + 1)
    body = m[:, :-1].astype(float)
    k = s[:, 0]
    mean_c, mean_m = s[:, 1] / k, s[:, 2] / k
    var_c = np.maximum(s[:, 3] / k - mean_c**2, 0.0)
    var_m = np.maximum(s[:, 4] / k - mean_m**2, 0.0)
    cov = s[:, 5] / k - mean_c * mean_m
    sd_c = np.sqrt(var_c)
    l21 = np.divide(cov, sd_c, out=np.zeros_like(cov), where=sd_c > 0)
    l22 = np.sqrt(np.maximum(var_m - l21**2, 0.0))
    z1 = rng.standard_normal(body.shape)
    z2 = rng.standard_normal(body.shape)
    root = np.sqrt(body)
    sc = (body * mean_c + root * sd_c * z1).sum(axis=1)
    sm = (body * mean_m + root * (l21 * z1 + l22 * z2)).sum(axis=1)
    tail = m[:, -1]
    if len(pool.cost) and tail.sum():
        idx = rng.integers(0, len(pool.cost), size=int(tail.sum()))
        ends = np.cumsum(tail)
        sc += _segment_sums(pool.cost[idx], ends)
        sm += _segment_sums(pool.months[idx], ends)
    return sc, sm


def _segment_sums(values: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Sums of consecutive segments of `values` ending (exclusive) at `ends`."""
    cs = np.concatenate([[0.0], np.cumsum(values)])
    return cs[ends] - cs[np.concatenate([[0], ends[:-1]])]


def interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the replicates (NaN when there are none)."""
    r = replicates[np.isfinite(replicates)]
    if not len(r):
        return float("nan"), float("nan")
    lo, hi = np.quantile(r, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
