"""The simulation's arithmetic, vectorised: Monte Carlo runs are the first array dimension.

Non-relational by design: it runs on bounded arrays pulled out of the store as Arrow/NumPy —
the base year's members of each cohort (one row per person: activity, bed days and cost of
every setting) and the history cohorts (one row per person and selection year, followed for
up to the simulated years). Each run

1. resamples the members of every cohort with replacement (person-level bootstrap: the counts
   of a multinomial draw, so a run's sums are one matrix product `counts @ X`),
2. resamples the history cohorts the same way and measures from them, per setting, the ratio
   of cost (activity, bed days) per member in each later year to the selection year, and the
   share still present — the crisis curve — and
3. draws every change's effect size from a triangular distribution over its range.

The deterministic run is the same arithmetic with every person counted once and the central
effects. Setting × cohort × year arrays are small (runs × 4 × 3 × 12); the cost is the
resampling, O(runs × people × columns) in BLAS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from yearofcare.planning import settings as st

S = len(st.IDS)
#: Column blocks of a feature row: activity, bed days, cost of each setting.
A, B, K = slice(0, S), slice(S, 2 * S), slice(2 * S, 3 * S)
F = 3 * S
#: Elements of the counts matrix made at once (memory: 8 bytes each, twice).
CHUNK = 1 << 22


# ---- resampling ---------------------------------------------------------------------------
def resampled_sums(x: np.ndarray, runs: int, rng: np.random.Generator | None) -> np.ndarray:
    """(runs, columns) sums of `x` over a resample of its rows with replacement; `rng` None is
    the deterministic run (every row once, one run, in float64).

    The resampled runs are sums in float32 (counts and rows), about seven significant digits:
    ample for the spread of the runs, and half the memory traffic of float64."""
    n = len(x)
    if rng is None:
        return x.sum(axis=0, keepdims=True)
    out = np.zeros((runs, x.shape[1]))
    if n == 0 or runs == 0:
        return out
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    step = max(1, CHUNK // n)
    # One BLAS thread: a short, wide product is as fast on one, and several threads spin-wait
    # for each other when other work holds the cores (35× slower measured under load).
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, runs, step):
            r = min(step, runs - start)
            idx = rng.integers(0, n, size=(r, n), dtype=np.int32)  # r × n ≤ CHUNK < 2**31
            idx += (np.arange(r, dtype=np.int32) * n)[:, None]
            counts = np.bincount(idx.ravel(), minlength=r * n).astype(np.float32)
            out[start : start + r] = counts.reshape(r, n) @ x32
    return out


# ---- history: the crisis curve of each cohort ------------------------------------------------
@dataclass(frozen=True)
class History:
    """Per person and selection year: features in each year since selection (h, K+1, F), and
    present / died / followed flags (h, K+1)."""

    x: np.ndarray
    present: np.ndarray
    died: np.ndarray
    has: np.ndarray
    sel: np.ndarray  # (h,) selection year of each row

    def selections(self, k: int) -> int:
        """Selection years whose members are followed for k years."""
        return len(np.unique(self.sel[self.has[:, k]])) if len(self.sel) else 0

    @property
    def depth(self) -> int:
        """Years of follow-up any member has (0 = no history)."""
        if not self.has.size:
            return 0
        reached = np.nonzero(self.has.any(axis=0))[0]
        return int(reached.max()) if len(reached) else 0

    def matrix(self, depth: int) -> np.ndarray:
        """(h, depth × (2F + 4)) rows whose resampled sums give every ratio for k = 1..depth."""
        blocks = []
        x0 = self.x[:, 0, :]
        for k in range(1, depth + 1):
            h = self.has[:, k].astype(np.float64)[:, None]
            blocks += [
                self.x[:, k, :] * h,
                x0 * h,
                self.present[:, k, None] * h,
                self.died[:, k, None] * h,
                (1 - self.present[:, k, None]) * (1 - self.died[:, k, None]) * h,
                h,
            ]
        if not blocks:
            return np.zeros((len(self.x), 0))
        return np.concatenate(blocks, axis=1)


@dataclass(frozen=True)
class Curve:
    """Per run and year since selection (1..depth): ratio of each feature per member to the
    selection year (runs, depth, F), shares present, died (by the year's end) and left (alive,
    not seen), and the members followed."""

    ratio: np.ndarray
    present: np.ndarray
    died: np.ndarray
    left: np.ndarray
    members: np.ndarray


def curve(totals: np.ndarray, depth: int) -> Curve:
    """Ratios from the resampled sums of `History.matrix` (runs, depth × (2F + 4))."""
    runs = totals.shape[0]
    w = 2 * F + 4
    ratio = np.ones((runs, depth, F))
    present = np.ones((runs, depth))
    died = np.zeros((runs, depth))
    left = np.zeros((runs, depth))
    members = np.zeros((runs, depth))
    for k in range(depth):
        blk = totals[:, k * w : (k + 1) * w]
        num, den = blk[:, :F], blk[:, F : 2 * F]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[:, k] = np.where(den > 0, num / den, 1.0)
            m = blk[:, 2 * F + 3]
            present[:, k] = np.where(m > 0, blk[:, 2 * F] / m, 1.0)
            died[:, k] = np.where(m > 0, blk[:, 2 * F + 1] / m, 0.0)
            left[:, k] = np.where(m > 0, blk[:, 2 * F + 2] / m, 0.0)
        members[:, k] = m
    return Curve(ratio, present, died, left, members)


def extend(c: Curve, years: int) -> tuple[np.ndarray, np.ndarray]:
    """(ratio (runs, years, F), present (runs, years)) over the simulated years.

    Past the history, members keep leaving at the last measured year's rate and those present
    keep the last measured cost per person (regression to the mean is over); with no history the
    cohort keeps its cost and everyone stays (the assumption the national tool makes).
    """
    runs, depth = c.present.shape
    ratio = np.ones((runs, years, F))
    present = np.ones((runs, years))
    d = min(depth, years)
    ratio[:, :d] = c.ratio[:, :d]
    present[:, :d] = c.present[:, :d]
    if depth == 0 or depth >= years:
        return ratio, present
    last = c.present[:, depth - 1]
    before = c.present[:, depth - 2] if depth >= 2 else np.ones(runs)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(before > 0, last / before, 0.0)
        per_present = np.where(last[:, None] > 0, c.ratio[:, depth - 1] / last[:, None], 0.0)
    for k in range(depth, years):
        present[:, k] = last * g ** (k - depth + 1)
        ratio[:, k] = per_present * present[:, k, None]
    return ratio, present


# ---- effects ------------------------------------------------------------------------------
def draw_effects(
    central: np.ndarray, low: np.ndarray, high: np.ndarray, runs: int, rng: np.random.Generator
) -> np.ndarray:
    """(runs, changes) effect sizes: triangular over [low, high] with its mode at the central
    value; a change without a range keeps its central value."""
    out = np.tile(central, (runs, 1)).astype(np.float64)
    for j in range(len(central)):
        if high[j] > low[j]:
            out[:, j] = rng.triangular(low[j], central[j], high[j], size=runs)
    return out


@dataclass(frozen=True)
class Plan:
    """A scenario as arrays: each change's kind, setting, cohorts, phasing and bed-day price;
    each new service's cohorts, phasing, costs and contacts."""

    kind: tuple[str, ...]  # activity, length_of_stay, unit_cost, per_person
    setting: np.ndarray  # (J,) setting index
    cohorts: np.ndarray  # (J, C) bool
    phase: np.ndarray  # (J, Y)
    bed_day_price: np.ndarray  # (J,)
    svc_cohorts: np.ndarray  # (N, C) bool
    svc_phase: np.ndarray  # (N, Y)
    svc_cost_per_person: np.ndarray  # (N,)
    svc_contacts: np.ndarray  # (N,) per person
    svc_cost_per_contact: np.ndarray  # (N,)


@dataclass(frozen=True)
class Projection:
    """Baseline and scenario by run × cohort × year (× setting): people present; activity, bed
    days and cost of each setting; the new services' activity and cost."""

    people: np.ndarray  # (R, C, Y)
    base: np.ndarray  # (R, C, Y, F)
    scen: np.ndarray  # (R, C, Y, F)
    svc_activity: np.ndarray  # (R, C, Y, N)
    svc_cost: np.ndarray  # (R, C, Y, N)
    svc_people: np.ndarray  # (R, C, Y, N)


def project(
    mean: np.ndarray,
    n: np.ndarray,
    ratio: np.ndarray,
    present: np.ndarray,
    plan: Plan,
    effects: np.ndarray,
) -> Projection:
    """Baseline = members × base-year mean × the history ratio; scenario = baseline with every
    change applied at its phase:

    activity × Π(1 + activity % × phase); bed days × that × Π(1 + length of stay % × phase);
    cost × the activity factor, plus the bed-day price × the bed days the length of stay adds,
    all × Π(1 + unit cost % × phase), plus £ per person × phase × people present.

    mean (R, C, F), n (C,), ratio (R, C, Y, F), present (R, C, Y), effects (R, J).
    """
    runs, cohorts, years = present.shape
    people = n[None, :, None] * present
    base = n[None, :, None, None] * mean[:, :, None, :] * ratio
    fa = np.ones((runs, cohorts, years, S))
    fl = np.ones_like(fa)
    fu = np.ones_like(fa)
    add = np.zeros_like(fa)
    bed_price = np.zeros_like(fa)
    for j, kind in enumerate(plan.kind):
        s = plan.setting[j]
        step = (
            effects[:, j, None, None] * plan.cohorts[j][None, :, None] * plan.phase[j][None, None]
        )
        if kind == "per_person":
            add[..., s] += step
            continue
        factor = 1.0 + step / 100.0
        if kind == "activity":
            fa[..., s] *= factor
        elif kind == "length_of_stay":
            fl[..., s] *= factor
            bed_price[..., s] = np.where(
                plan.cohorts[j][None, :, None], plan.bed_day_price[j], bed_price[..., s]
            )
        else:
            fu[..., s] *= factor
    scen = np.empty_like(base)
    scen[..., A] = base[..., A] * fa
    scen[..., B] = base[..., B] * fa * fl
    los_cost = bed_price * base[..., B] * fa * (fl - 1.0)
    cost = (base[..., K] * fa + los_cost) * fu + add * people[..., None]
    scen[..., K] = np.maximum(cost, 0.0)
    served = plan.svc_cohorts.T[None, :, None, :] * plan.svc_phase.T[None, None, :, :]
    svc_people = people[..., None] * (served > 0)
    svc_activity = people[..., None] * served * plan.svc_contacts
    svc_cost = (
        people[..., None]
        * served
        * (plan.svc_cost_per_person + plan.svc_contacts * plan.svc_cost_per_contact)
    )
    return Projection(people, base, scen, svc_activity, svc_cost, svc_people)
