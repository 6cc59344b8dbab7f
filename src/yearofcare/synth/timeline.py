"""Time in the synthetic model: days since 1970-01-01 as int32, the window, age bands, seasons.

Days are Arrow `date32` values already, so columns pass to Arrow without conversion. `NEVER` marks
an event (death, leaving, onset) that does not happen within the simulated horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from yearofcare.fy import fy_end, fy_start
from yearofcare.synth.params import AGE_BAND_EDGES

YEAR = 365.25
NEVER = np.int32(2**31 - 1)
_EPOCH = date(1970, 1, 1)


def day(d: date) -> int:
    return (d - _EPOCH).days


@dataclass(frozen=True)
class Window:
    """The financial years simulated: days t0 (1 April of the first) to t1 (31 March of the last)."""

    first_fy: int
    end_fy: int
    horizon_years_after: int

    @property
    def t0(self) -> int:
        return day(fy_start(self.first_fy))

    @property
    def t1(self) -> int:
        """Last day of the window (inclusive)."""
        return day(fy_end(self.end_fy))

    @property
    def horizon(self) -> int:
        """Last day for which deaths are simulated (beyond the window)."""
        return self.t1 + round(self.horizon_years_after * YEAR)

    @property
    def years(self) -> list[int]:
        return list(range(self.first_fy, self.end_fy + 1))

    def fy_bounds(self, fy: int) -> tuple[int, int]:
        """First day and the day after the last day of financial year `fy`."""
        return day(fy_start(fy)), day(fy_end(fy)) + 1


def age_at(birth_day: np.ndarray, when: np.ndarray | int) -> np.ndarray:
    """Age in (fractional) years."""
    return (np.asarray(when, dtype=np.float64) - birth_day) / YEAR


def age_band(age: np.ndarray) -> np.ndarray:
    """Index into AGE_BAND_EDGES (0-4, 5-17, 18-44, 45-64, 65-74, 75-84, 85+)."""
    return (np.searchsorted(AGE_BAND_EDGES, age, side="right") - 1).clip(0).astype(np.int8)


class Season:
    """Draws dates in an interval with a monthly intensity profile (seasonality.csv)."""

    def __init__(self, profile: np.ndarray, first: int, last: int) -> None:
        self.first = first
        days = np.arange(first, last + 1)
        months = days.astype("datetime64[D]").astype("datetime64[M]").astype(int) % 12
        self.daily = profile[months].astype(np.float32)
        self.flat = bool(np.all(profile == profile[0]))
        self.top = float(self.daily.max())
        self.cum = np.concatenate([[0.0], np.cumsum(self.daily, dtype=np.float64)])

    def draw(self, rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """One day in [a, b) for each pair, with density following the season.

        Uniform proposals accepted with probability intensity / max (rejection sampling), so
        the cost is a few passes over the events whatever the interval lengths.
        """
        a = np.asarray(a, dtype=np.int64)
        span = np.asarray(b, dtype=np.int64) - a
        day = a + (rng.random(len(a)) * span).astype(np.int64)
        if self.flat:
            return day.astype(np.int32)
        todo = np.flatnonzero(rng.random(len(a)) * self.top > self.daily[day - self.first])
        while len(todo):
            day[todo] = a[todo] + (rng.random(len(todo)) * span[todo]).astype(np.int64)
            keep = rng.random(len(todo)) * self.top > self.daily[day[todo] - self.first]
            todo = todo[keep]
        return day.astype(np.int32)

    def weight(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Mean intensity over [a, b) (1 on average over a year)."""
        span = np.maximum(b - a, 1)
        return (self.cum[b - self.first] - self.cum[a - self.first]) / span


def weighted_choice(rng: np.random.Generator, cum: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each i, an index j drawn with probability proportional to row `rows[i]` of the weights.

    `cum` holds row-wise cumulative weights (rows x options), last column the row total. One
    binary search over all rows at once: row r's normalised cumulative weights are shifted by r.
    """
    n_rows, n_opt = cum.shape
    total = cum[:, -1:]
    norm = np.divide(cum, total, out=np.zeros_like(cum, dtype=np.float64), where=total > 0)
    keys = (norm + np.arange(n_rows)[:, None]).ravel()
    u = rng.random(len(rows))
    pos = np.searchsorted(keys, rows + u, side="right")
    return (pos - rows * n_opt).clip(0, n_opt - 1).astype(np.int32)


def scale_to_rates(
    weight: np.ndarray, group: np.ndarray, target: np.ndarray, iterations: int = 36
) -> np.ndarray:
    """Per-group scales c so that the mean of 1 - exp(-c x weight) in each group equals target.

    Spreading a group's probability between people by a heavy-tailed relative risk saturates
    (a very frail person cannot die twice), so normalising the weights to mean 1 would undershoot
    the group's rate. This finds the scale by bisection, for all groups at once. `target` is
    indexed by group (values in [0, 1)); returns c for each element of `weight`.
    """
    n_groups = len(target)
    count = np.maximum(np.bincount(group, minlength=n_groups), 1)
    lo = np.full(n_groups, -30.0)
    hi = np.full(n_groups, 30.0)
    w = np.asarray(weight, dtype=np.float32)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        p = -np.expm1(-np.exp(mid).astype(np.float32)[group] * w)
        mean = np.bincount(group, weights=p, minlength=n_groups) / count
        too_high = mean > target
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    return np.exp((lo + hi) / 2)[group]
