"""The risk model: training pairs, a bounded stratified sample, the fit, the model as data, and
scoring as an Ibis expression.

Pairs: features from person_year of year t, targets from year t + 1 (an emergency admission:
an acute non-elective spell that is not maternity, see `emergency_counts`; total cost). Only people present in both years are pairs (a death in
year t leaves no next year; a death in t + 1 keeps its admissions and cost). The sample is
drawn in the engine by a keyed hash of (person, year, seed), stratified by outcome: every
admission up to half of `max_sample`, the rest from people without one. The fit runs on
NumPy (statsmodels: logistic regression by IRLS, then the intercept corrected for the
sampling fractions — the prior correction of King and Zeng 2001 — and least squares for cost,
weighted by the inverse sampling fractions). Scoring is Σ coefficient × term in Ibis.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import ibis
import numpy as np
import pandas as pd

from yearofcare.errors import StageError
from yearofcare.fy import fy_expr
from yearofcare.segmentation.features import INTERCEPT, Term, design, linear_predictor, no_nan

HASH_BUCKETS = 1_000_003
#: binary terms need this many people with the term in the sample (else they are left out)
MIN_TERM_PEOPLE = 10
#: a logistic coefficient beyond this (an odds ratio over e^15, about 3 million) means the sample
#: separates admitted from not admitted on some term: the maximum-likelihood fit has no finite
#: answer, so the model is refitted with a small ridge penalty (small samples, e.g. a 400-person
#: demo, or a term that only admitted people have)
SEPARATED = 15.0
#: the ridge penalty of that refit (statsmodels' elastic net with L1_wt = 0; the intercept is not
#: penalised); the terms are on their own scales, so it is kept small
RIDGE_ALPHA = 1e-3


EMERGENCY = "n_emergency"


def emergency_counts(activity: ibis.Table) -> ibis.Table:
    """person_id, fy, n_emergency: acute non-elective spells in the year, leaving out
    maternity (primary diagnosis in ICD-10 chapter O: pregnancy, childbirth and the
    puerperium), as NHS emergency admission measures do. A spell without a diagnosis counts."""
    a = activity.filter(activity.setting == "acute_non_elective")
    code = a.primary_code.fill_null("").upper()
    icd = a.primary_code_system.fill_null("ICD10") == "ICD10"
    a = a.filter(~(icd & code.startswith("O")))
    a = a.mutate(fy=fy_expr(a.start_date))
    return a.group_by(["person_id", "fy"]).aggregate(n_emergency=a.count().cast("int32"))


def model_frame(py: ibis.Table, emergency: ibis.Table | None) -> ibis.Table:
    """person_year with `n_emergency` (from `emergency_counts`; without activity, the
    person_year count of non-elective spells): the frame features and outcomes are read from."""
    if emergency is None:
        return py.mutate(n_emergency=py.n_non_elective.fill_null(0).cast("int32"))
    e = emergency.select(_epid=emergency.person_id, _efy=emergency.fy, _n=emergency.n_emergency)
    j = py.left_join(e, [py.person_id == e._epid, py.fy == e._efy]).drop("_epid", "_efy")
    return j.mutate(n_emergency=j._n.fill_null(0).cast("int32")).drop("_n")


def pairs(py: ibis.Table, feature_fys: Sequence[int]) -> ibis.Table:
    """Rows of the feature years of `model_frame` joined to the next year's outcome.

    Adds `_admitted` (an emergency admission in fy + 1) and `_cost_next` (its total cost).
    """
    feat = py.filter(py.fy.isin([int(y) for y in feature_fys]))
    nxt = py.select(
        _pid=py.person_id,
        _fy_prev=(py.fy - 1).cast(py.fy.type()),
        _admitted=(py[EMERGENCY].fill_null(0) > 0),
        _cost_next=no_nan(py.cost_total.cast("float64")).fill_null(0.0),
    )
    j = feat.join(nxt, [feat.person_id == nxt._pid, feat.fy == nxt._fy_prev])
    return j.drop("_pid", "_fy_prev")


def hash_unit(t: ibis.Table, seed: int) -> ibis.FloatingValue:
    """A pseudo-random number in [0, 1) per row, fixed by (person_id, fy, seed)."""
    key = t.person_id.concat(ibis.literal(":"), t.fy.cast("string"), ibis.literal(f":{seed}"))
    h = key.hash()
    return (h % HASH_BUCKETS).cast("int64").abs().cast("float64") / HASH_BUCKETS


@dataclass(frozen=True)
class Sample:
    """A stratified sample pulled out as NumPy, with its sampling fractions."""

    x: np.ndarray  # (n, terms)
    admitted: np.ndarray  # bool (n,)
    cost: np.ndarray  # float (n,)
    population: int
    events: int
    fraction_events: float
    fraction_others: float
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def weights(self) -> np.ndarray:
        return np.where(self.admitted, 1 / self.fraction_events, 1 / self.fraction_others)


def draw_sample(
    execute,
    paired: ibis.Table,
    terms: Sequence[Term],
    max_sample: int,
    seed: int,
    extra: Sequence[str] = (),
    stratified: bool = True,
) -> Sample:
    """Bounded sample of `paired`: stratified by outcome (or simple random when not)."""
    counts = execute(
        paired.aggregate(n=paired.count(), events=paired._admitted.cast("int64").sum())
    )
    n, events = int(counts.n.iloc[0]), int(counts.events.fillna(0).iloc[0])
    if stratified:
        f1 = min(1.0, (max_sample / 2) / events) if events else 1.0
        f0 = min(1.0, (max_sample - events * f1) / (n - events)) if n > events else 1.0
    else:
        f1 = f0 = min(1.0, max_sample / n) if n else 1.0
    u = hash_unit(paired, seed)
    chosen = paired.filter(u < ibis.ifelse(paired._admitted, f1, f0))
    keep = list(dict.fromkeys(["person_id", "fy", "_admitted", "_cost_next", *extra]))
    # in person and year order: the fits, and the seeded draws made over the sample's rows,
    # must not depend on the order the engine returns rows in
    frame = execute(design(chosen, terms, keep=keep).order_by(["person_id", "fy"]))
    x = frame[[f"_x{i}" for i in range(len(terms))]].to_numpy(dtype="float64")
    bad = ~np.isfinite(x).all(axis=0)
    if bad.any():
        names = ", ".join(terms[i].term for i in np.flatnonzero(bad)[:5])
        raise StageError(
            f"model terms with values that are not numbers in person_year: {names}",
            hint="check the columns these terms read for infinite values",
        )
    return Sample(
        x=x,
        admitted=frame["_admitted"].to_numpy(dtype=bool),
        cost=frame["_cost_next"].to_numpy(dtype="float64"),
        population=n,
        events=events,
        fraction_events=f1,
        fraction_others=f0,
        extra=frame[list(extra)].reset_index(drop=True),
    )


@dataclass(frozen=True)
class Fitted:
    """One fitted target: terms kept, coefficients and standard errors, and notes."""

    target: str
    method: str
    terms: list[Term]
    coefficients: np.ndarray
    std_errors: np.ndarray
    notes: list[str]

    def predict(self, x: np.ndarray, kept: np.ndarray) -> np.ndarray:
        lp = x[:, kept] @ self.coefficients
        if self.method == "logistic":
            return 1 / (1 + np.exp(-lp))
        return lp


def usable_terms(sample: Sample, terms: Sequence[Term]) -> tuple[np.ndarray, list[str]]:
    """Indices of terms that can be estimated from the sample, and why others were left out."""
    keep, notes = [], []
    y = sample.admitted
    for i, term in enumerate(terms):
        col = sample.x[:, i]
        if term.transform == "intercept":
            keep.append(i)
            continue
        if np.all(col == col[0]):
            notes.append(f"{term.term}: the same for everyone sampled, left out")
            continue
        if term.transform in ("flag", "equals", "range", "is_null", "rule"):
            on = col > 0
            if on.sum() < MIN_TERM_PEOPLE or (~on).sum() < MIN_TERM_PEOPLE:
                notes.append(f"{term.term}: fewer than {MIN_TERM_PEOPLE} people, left out")
                continue
            if not y[on].any() or y[on].all():
                notes.append(f"{term.term}: everyone with it had the same outcome, left out")
                continue
        keep.append(i)
    return np.array(keep, dtype=int), notes


def fit_admission(sample: Sample, terms: Sequence[Term]) -> tuple[Fitted, np.ndarray]:
    """Logistic regression of next year's emergency admission (statsmodels GLM, IRLS)."""
    import statsmodels.api as sm

    kept, notes = usable_terms(sample, terms)
    if sample.admitted.all() or not sample.admitted.any():
        raise StageError(
            "the training years have no variation in emergency admissions "
            f"({int(sample.admitted.sum()):,} of {len(sample.admitted):,} admitted)",
            hint="fit on years with activity: check that person_year holds non-elective spells",
        )
    x = sample.x[:, kept]
    model = sm.GLM(sample.admitted.astype(float), x, family=sm.families.Binomial())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(maxiter=100)
    notes += [f"statsmodels: {w.message}" for w in caught]
    coefs = np.asarray(res.params, dtype=float).copy()
    errors = np.asarray(res.bse, dtype=float)
    if not np.all(np.isfinite(coefs)) or np.abs(coefs[1:]).max(initial=0.0) > SEPARATED:
        coefs, errors = _ridge(model)
        notes.append(
            "the sample separates admitted from not admitted (a coefficient beyond "
            f"±{SEPARATED:g}): refitted with a ridge penalty of {RIDGE_ALPHA:g}; standard "
            "errors are not estimated for a penalised fit"
        )
    # prior correction: the sample kept admissions at f1 and others at f0
    coefs[0] -= math.log(sample.fraction_events / sample.fraction_others)
    used = [terms[i] for i in kept]
    return Fitted("emergency_admission", "logistic", used, coefs, errors, notes), kept


def _ridge(model) -> tuple[np.ndarray, np.ndarray]:
    """The logistic model refitted with `RIDGE_ALPHA` on every term but the intercept."""
    k = model.exog.shape[1]
    alpha = np.full(k, RIDGE_ALPHA)
    alpha[0] = 0.0  # the first kept term is the intercept (usable_terms keeps it first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit_regularized(method="elastic_net", alpha=alpha, L1_wt=0.0, maxiter=200)
    return np.asarray(res.params, dtype=float).copy(), np.full(k, np.nan)


def fit_cost(sample: Sample, terms: Sequence[Term]) -> tuple[Fitted, np.ndarray]:
    """Least squares of next year's total cost, weighted by the inverse sampling fractions."""
    import statsmodels.api as sm

    kept, notes = usable_terms(sample, terms)
    x = sample.x[:, kept]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sm.WLS(sample.cost, x, weights=sample.weights).fit()
    notes += [f"statsmodels: {w.message}" for w in caught]
    used = [terms[i] for i in kept]
    coefs = np.asarray(res.params, dtype=float)
    return Fitted("cost_total", "linear", used, coefs, np.asarray(res.bse), notes), kept


def model_rows(
    fitted: Fitted,
    model_id: str,
    rules_version: str,
    sample: Sample,
    train_fys: Sequence[int],
    validation_fy: int | None,
    library: str,
) -> pd.DataFrame:
    """The fitted target as `risk_model` rows."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for term, c, se in zip(fitted.terms, fitted.coefficients, fitted.std_errors, strict=True):
        rows.append(
            {
                "model_id": model_id,
                "rules_version": rules_version,
                "target": fitted.target,
                "method": fitted.method,
                **term.row(),
                "coefficient": float(c),
                "std_error": float(se) if np.isfinite(se) else None,
                "train_fys": ",".join(str(y) for y in train_fys),
                "validation_fy": validation_fy,
                "sample_size": len(sample.admitted),
                "events": int(sample.admitted.sum()) if fitted.method == "logistic" else None,
                "population": sample.population,
                "sample_weight_events": 1 / sample.fraction_events,
                "sample_weight_others": 1 / sample.fraction_others,
                "library": library,
                "fitted_at": now,
            }
        )
    return pd.DataFrame(rows)


def score_expr(
    t: ibis.Table,
    admission: tuple[Sequence[Term], Sequence[float]],
    cost: tuple[Sequence[Term], Sequence[float]] | None,
) -> dict[str, ibis.Value]:
    """`score` (probability of an emergency admission next year) and `expected_cost` (pounds,
    never below 0) for each row of `t`, as Ibis expressions."""
    lp = linear_predictor(t, *admission)
    one = ibis.literal(1).cast("float64")
    out: dict[str, ibis.Value] = {"score": one / (one + (-lp).exp())}
    if cost is not None:
        zero = ibis.literal(0).cast("float64")
        out["expected_cost"] = ibis.greatest(linear_predictor(t, *cost), zero)
    else:
        out["expected_cost"] = ibis.null("float64")
    return out


def library_version() -> str:
    import statsmodels

    return f"statsmodels {statsmodels.__version__}"


__all__ = [
    "INTERCEPT",
    "Fitted",
    "Sample",
    "draw_sample",
    "fit_admission",
    "fit_cost",
    "model_rows",
    "pairs",
    "score_expr",
]
