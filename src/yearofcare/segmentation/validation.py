"""Validation of the risk model on a held-out later year, beside simple comparators.

Runs on NumPy arrays of a bounded random sample of the held-out pairs (features of year v,
outcomes of year v + 1). Every method scores the same people:

- model: the stored model, scored by its Ibis expression in the engine;
- cms_only, prior_cost_only, ltc_count_only: one-variable logistic (and linear, for cost)
  models fitted on the training sample (Cambridge score, ln(1 + prior-year cost), LTC count);
- gradient_boosting: scikit-learn's HistGradientBoosting (classifier and regressor), untuned,
  on the same terms as the model — the accuracy available without caring about transparency.

Measures: C-statistic with DeLong's 95 % interval; PPV and sensitivity in the top p % (Wilson
intervals); calibration by decile (observed / expected); R² of cost with a bootstrap interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

Z95 = float(norm.ppf(0.975))

METHOD_LABELS: dict[str, str] = {
    "model": "Risk model (logistic regression, transparent)",
    "cms_only": "Cambridge Multimorbidity Score alone",
    "prior_cost_only": "Prior-year cost alone",
    "ltc_count_only": "Number of LTCs alone",
    "gradient_boosting": "Gradient boosting (scikit-learn, untuned)",
}


def c_statistic(y: np.ndarray, s: np.ndarray) -> tuple[float, float, float]:
    """Area under the ROC curve with DeLong's 95 % interval (ties count one half)."""
    y = np.asarray(y, dtype=bool)
    s = np.asarray(s, dtype=float)
    pos, neg = s[y], s[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return math.nan, math.nan, math.nan
    tz = rankdata(np.concatenate([pos, neg]))
    tx, ty = rankdata(pos), rankdata(neg)
    auc = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
    v10 = (tz[:m] - tx) / n  # for each positive: share of negatives scored below
    v01 = 1 - (tz[m:] - ty) / m  # for each negative: share of positives scored above
    var = (v10.var(ddof=1) if m > 1 else 0.0) / m + (v01.var(ddof=1) if n > 1 else 0.0) / n
    se = math.sqrt(max(var, 0.0))
    return float(auc), float(max(0.0, auc - Z95 * se)), float(min(1.0, auc + Z95 * se))


def wilson(k: int, n: int) -> tuple[float, float, float]:
    """Proportion k / n with its Wilson 95 % interval."""
    if n == 0:
        return math.nan, math.nan, math.nan
    p = k / n
    d = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / d
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / d
    return p, max(0.0, centre - half), min(1.0, centre + half)


def top_selected(s: np.ndarray, percent: float) -> np.ndarray:
    """Boolean mask of the top `percent` % by score: ceil(n·p/100) people, ties in input order."""
    n = len(s)
    k = math.ceil(n * percent / 100)
    order = np.argsort(-np.asarray(s, dtype=float), kind="stable")
    mask = np.zeros(n, dtype=bool)
    mask[order[:k]] = True
    return mask


def ppv_sensitivity(y: np.ndarray, s: np.ndarray, percent: float):
    """(ppv, lo, hi), (sensitivity, lo, hi) of selecting the top `percent` %."""
    y = np.asarray(y, dtype=bool)
    top = top_selected(s, percent)
    hits = int((y & top).sum())
    return wilson(hits, int(top.sum())), wilson(hits, int(y.sum()))


def deciles(prediction: np.ndarray) -> np.ndarray:
    """Decile 1–10 of each prediction (equal-sized groups by rank, ties in input order)."""
    n = len(prediction)
    order = np.argsort(np.asarray(prediction, dtype=float), kind="stable")
    d = np.empty(n, dtype=int)
    d[order] = np.arange(n) * 10 // max(n, 1) + 1
    return d


def calibration(observed: np.ndarray, expected: np.ndarray) -> pd.DataFrame:
    """decile, people, expected (mean prediction), observed (mean outcome), ratio."""
    d = deciles(expected)
    frame = pd.DataFrame({"decile": d, "o": np.asarray(observed, float), "e": expected})
    g = frame.groupby("decile").agg(
        people=("o", "size"), expected=("e", "mean"), observed=("o", "mean")
    )
    g["ratio"] = g.observed / g.expected.where(g.expected > 0)
    return g.reset_index()


def r_squared(y: np.ndarray, pred: np.ndarray, rng: np.random.Generator, reps: int = 200):
    """R² = 1 − SS_res / SS_tot, with a bootstrap 95 % interval (percentile)."""
    y = np.asarray(y, float)
    pred = np.asarray(pred, float)

    def r2(idx: np.ndarray | slice) -> float:
        yy, pp = y[idx], pred[idx]
        tot = ((yy - yy.mean()) ** 2).sum()
        return float(1 - ((yy - pp) ** 2).sum() / tot) if tot > 0 else math.nan

    point = r2(slice(None))
    n = len(y)
    if n < 2:
        return point, math.nan, math.nan
    boots = np.array([r2(rng.integers(0, n, n)) for _ in range(reps)])
    boots = boots[np.isfinite(boots)]
    if not len(boots):
        return point, math.nan, math.nan
    return point, float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))


@dataclass(frozen=True)
class Held:
    """The held-out sample: outcomes, the model's predictions and the comparators' inputs."""

    admitted: np.ndarray
    cost: np.ndarray
    predictions: dict[str, np.ndarray]  # method -> P(admission)
    cost_predictions: dict[str, np.ndarray]  # method -> expected cost


def one_variable(train_x: np.ndarray, train_y: np.ndarray, kind: str, weights=None):
    """A one-variable model fitted on the training sample: returns predict(x)."""
    import statsmodels.api as sm

    x = np.column_stack([np.ones(len(train_x)), train_x])
    if kind == "logistic":
        res = sm.GLM(train_y.astype(float), x, family=sm.families.Binomial()).fit()
    else:
        res = sm.WLS(train_y, x, weights=1.0 if weights is None else weights).fit()
    params = np.asarray(res.params)

    def predict(v: np.ndarray) -> np.ndarray:
        lp = params[0] + params[1] * np.asarray(v, float)
        return 1 / (1 + np.exp(-lp)) if kind == "logistic" else lp

    return predict, params


def measures(
    model_id: str,
    validation_fy: int,
    held: Held,
    top_percents: Sequence[float],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(risk_validation rows, risk_calibration rows before suppression) for every method."""
    y = held.admitted
    rows: list[dict] = []
    people, events = len(y), int(y.sum())

    def add(target, method, measure, top, value):
        v, lo, hi = value
        rows.append(
            {
                "model_id": model_id,
                "target": target,
                "validation_fy": validation_fy,
                "method": method,
                "method_label": METHOD_LABELS[method],
                "measure": measure,
                "top_percent": float(top),
                "value": v,
                "lower": lo,
                "upper": hi,
                "people": people,
                "events": events,
            }
        )

    calib = []
    for method, p in held.predictions.items():
        add("emergency_admission", method, "c_statistic", 100, c_statistic(y, p))
        for top in top_percents:
            ppv, sens = ppv_sensitivity(y, p, top)
            add("emergency_admission", method, "ppv", top, ppv)
            add("emergency_admission", method, "sensitivity", top, sens)
        cal = calibration(y.astype(float), p)
        err = float(np.nanmax(np.abs(cal.ratio - 1))) if len(cal) else math.nan
        add("emergency_admission", method, "calibration_max_error", 100, (err, math.nan, math.nan))
        if method == "model":
            calib.append(cal.assign(target="emergency_admission"))
    for method, c in held.cost_predictions.items():
        add("cost_total", method, "r_squared", 100, r_squared(held.cost, c, rng))
        if method == "model":
            cal = calibration(held.cost, c)
            err = float(np.nanmax(np.abs(cal.ratio - 1))) if len(cal) else math.nan
            add("cost_total", method, "calibration_max_error", 100, (err, math.nan, math.nan))
            calib.append(cal.assign(target="cost_total"))
    cal_frame = pd.concat(calib, ignore_index=True) if calib else pd.DataFrame()
    if len(cal_frame):
        cal_frame = cal_frame.assign(model_id=model_id, validation_fy=validation_fy)
    return pd.DataFrame(rows), cal_frame
