"""Agreement and audit statistics on small aggregated tables (NumPy / SciPy).

- `kappa`: Cohen's kappa on a k × k cross-table of ordinal categories, unweighted or with
  linear or quadratic weights, with the large-sample standard error of Fleiss, Cohen and
  Everitt (1969) and a 95 % interval.
- `funnel`: for each unit (assessor, provider) with n cases of which x are "above", the
  one-sided exact binomial p-value at the overall share and the funnel-plot limits (exact
  binomial quantiles at 95 % and 99.8 %, two-sided), flagged above the 99.8 % limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, norm

Z95 = float(norm.ppf(0.975))


@dataclass(frozen=True)
class Kappa:
    n: int
    observed: float
    expected: float
    kappa: float
    se: float
    lower: float
    upper: float


def weights(k: int, kind: str) -> np.ndarray:
    """Agreement weights w_ij: 1 on the diagonal; linear 1 − |i−j|/(k−1); quadratic
    1 − (i−j)²/(k−1)²; none: 0 off the diagonal."""
    i, j = np.indices((k, k))
    if kind == "none" or k == 1:
        return (i == j).astype(float)
    if kind == "linear":
        return 1 - np.abs(i - j) / (k - 1)
    if kind == "quadratic":
        return 1 - (i - j) ** 2 / (k - 1) ** 2
    raise ValueError(f"unknown weights {kind!r}")


def kappa(table: np.ndarray, kind: str = "none") -> Kappa:
    """Kappa of a square cross-table of counts (rows: rater A, columns: rater B)."""
    t = np.asarray(table, dtype=float)
    n = t.sum()
    if n == 0:
        return Kappa(0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)
    p = t / n
    w = weights(t.shape[0], kind)
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po = float((w * p).sum())
    pe = float((w * np.outer(rows, cols)).sum())
    if pe >= 1:
        return Kappa(int(n), po, pe, math.nan, math.nan, math.nan, math.nan)
    k = (po - pe) / (1 - pe)
    wi = w @ cols  # w̄_i. = Σ_j p_.j w_ij
    wj = rows @ w  # w̄_.j = Σ_i p_i. w_ij
    dev = w - (wi[:, None] + wj[None, :]) * (1 - k)
    var = ((p * dev**2).sum() - (k - pe * (1 - k)) ** 2) / (n * (1 - pe) ** 2)
    se = math.sqrt(max(var, 0.0))
    return Kappa(int(n), po, pe, k, se, k - Z95 * se, k + Z95 * se)


@dataclass(frozen=True)
class FunnelPoint:
    share: float
    expected: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float
    p_value: float
    above_95: bool
    flagged: bool


def funnel(x: int, n: int, p0: float) -> FunnelPoint:
    """A unit with `x` of `n` above, against the overall share `p0`."""
    if n <= 0:
        nan = math.nan
        return FunnelPoint(nan, p0, nan, nan, nan, nan, nan, False, False)
    lo95, hi95 = binom.ppf([0.025, 0.975], n, p0) / n
    lo998, hi998 = binom.ppf([0.001, 0.999], n, p0) / n
    share = x / n
    p = float(binom.sf(x - 1, n, p0)) if x > 0 else 1.0
    return FunnelPoint(
        share,
        p0,
        float(lo95),
        float(hi95),
        float(lo998),
        float(hi998),
        p,
        bool(share > hi95),
        bool(share > hi998),
    )
