"""`yoc risk fit` and `yoc risk score`: the risk model's stage runs.

fit: training pairs (features of year t, outcome of t + 1) from every year before the
held-out one, a bounded stratified sample pulled out as NumPy, statsmodels fits, the model
written as data (`risk_model`), then validation on a random sample of the held-out pairs
against the comparators (`risk_validation`, `risk_calibration`).

score: the stored model as an Ibis expression over every person_year (`risk_score`), then
the levels of need, matrix, rising risk and annual change (`need_level`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from yearofcare import schemas
from yearofcare.config import ConfigModel
from yearofcare.disclosure import DEFAULT_POLICY, DisclosurePolicy, suppress
from yearofcare.errors import ConfigError, StageError
from yearofcare.progress import SILENT, Progress
from yearofcare.segmentation.config import NeedRules, load_need_rules, parse_need_rules
from yearofcare.segmentation.features import expand_terms, terms_from_rows
from yearofcare.segmentation.levels import (
    assessment_matrix,
    levels,
    matrix_counts,
    summary,
    with_change,
)
from yearofcare.segmentation.model import (
    Sample,
    draw_sample,
    emergency_counts,
    fit_admission,
    fit_cost,
    library_version,
    model_frame,
    model_rows,
    pairs,
    score_expr,
)
from yearofcare.segmentation.validation import Held, measures, one_variable
from yearofcare.store import Store

FIT_STAGE = "risk-fit"
SCORE_STAGE = "risk-score"
COMPARATOR_COLUMNS = ("cms_score", "cost_total", "ltc_count")


class RiskOptions(ConfigModel):
    """What `yoc risk fit` / `yoc risk score` were asked to do (recorded in the run log)."""

    config_name: ClassVar[str] = "risk options"
    rules: Path | None = None
    train_fys: tuple[int, ...] | None = None
    validation_fy: int | None = None


@dataclass(frozen=True)
class FitResult:
    run_id: str
    model_id: str
    train_fys: tuple[int, ...]
    validation_fy: int | None
    validation: pd.DataFrame
    calibration: pd.DataFrame
    notes: list[str]


@dataclass(frozen=True)
class ScoreResult:
    run_id: str
    model_id: str
    years: tuple[int, ...]
    levels: pd.DataFrame  # fy, level, people (among classified)


def _years(store: Store, py: ibis.Table) -> list[int]:
    years = sorted(int(v) for v in store.to_pandas(py.select("fy").distinct())["fy"])
    if not years:
        raise StageError("person_year is empty", hint="run `yoc build` first")
    return years


def _choose_years(years: list[int], options: RiskOptions) -> tuple[list[int], int | None]:
    with_next = [y for y in years if y + 1 in years]
    for y in (
        *(options.train_fys or ()),
        *([options.validation_fy] if options.validation_fy else []),
    ):
        if y not in years:
            raise ConfigError(
                f"person_year has no financial year {y}",
                hint="years present: " + ", ".join(map(str, years)),
            )
        if y not in with_next:
            raise ConfigError(
                f"financial year {y} has no outcome: person_year has no year {y + 1} to take "
                "the emergency admissions and costs from",
                hint="features come from year t and the outcome from t + 1; years with a next "
                "year: " + (", ".join(map(str, with_next)) or "none"),
            )
    if not with_next:
        raise StageError(
            "the model needs two consecutive years (features, then outcome); person_year has "
            + ", ".join(map(str, years)),
            hint="build person_year for at least two financial years",
        )
    validation = options.validation_fy
    if validation is None and len(with_next) >= 2:
        validation = with_next[-1]
    train = list(options.train_fys or [y for y in with_next if y != validation])
    if validation is not None and validation in train:
        raise ConfigError(
            f"year {validation} is both a training and the validation year",
            hint="validate on a held-out later year",
        )
    if not train:
        raise ConfigError("no training years are left", hint="give --train-fys")
    return train, validation


def _frame(store: Store, run) -> ibis.Table:
    """person_year with emergency admissions (maternity left out) when activity is stored."""
    py = run.read("person_year")
    emergency = emergency_counts(run.read("activity")) if store.exists("activity") else None
    return store.cache(model_frame(py, emergency))


def _check_outcome(store: Store, py: ibis.Table, fy: int) -> None:
    t = py.filter(py.fy == fy + 1)
    got = store.to_pandas(t.aggregate(n=t.count(), k=(t.n_emergency.fill_null(0) > 0).sum()))
    if int(got.n.iloc[0]) and not int(got.k.fillna(0).iloc[0]):
        raise StageError(
            f"year {fy + 1} (the outcome of features from {fy}) has no emergency admissions at "
            f"all in person_year ({int(got.n.iloc[0]):,} people), so there is no outcome to fit",
            hint="check that acute non-elective activity was loaded for that year",
        )


def run_risk_fit(
    store: Store, options: RiskOptions | None = None, progress: Progress = SILENT
) -> FitResult:
    """Fit the risk model and validate it; writes risk_model, risk_validation, risk_calibration.

    The NumPy / scikit-learn work runs on one thread (threadpoolctl): on a shared machine
    OpenMP and BLAS thread pools spin against each other and run many times slower."""
    # load the libraries first: threadpoolctl limits only the thread pools already loaded
    import sklearn.ensemble  # noqa: F401
    import statsmodels.api  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _fit(store, options, progress)


def _fit(store: Store, options: RiskOptions | None, progress: Progress) -> FitResult:
    options = options or RiskOptions()
    loaded = load_need_rules(options.rules)
    rules: NeedRules = loaded.model
    params = {
        **options.model_dump(mode="json"),
        "rules_version": rules.version,
        "rules_sha256": loaded.sha256,
    }
    with progress.task("Fit the risk model", total=5) as bar, store.stage(FIT_STAGE, params) as run:
        py = _frame(store, run)
        years = _years(store, py)
        train, validation = _choose_years(years, options)
        terms = expand_terms(rules.model, dict(py.schema().items()))
        for y in (*train, *([validation] if validation is not None else [])):
            _check_outcome(store, py, y)
        bar.advance()
        sample = draw_sample(
            store.to_pandas,
            pairs(py, train),
            terms,
            rules.model.max_sample,
            rules.model.seed,
            extra=COMPARATOR_COLUMNS,
        )
        bar.advance()
        admission, kept_a = fit_admission(sample, terms)
        cost, kept_c = fit_cost(sample, terms)
        model_id = f"{rules.version}/{run.run_id}"
        lib = library_version()
        frame = pd.concat(
            [
                model_rows(f, model_id, rules.version, sample, train, validation, lib)
                for f in (admission, cost)
            ],
            ignore_index=True,
        )
        run.write("risk_model", _arrow(frame, "risk_model"))
        bar.advance()
        notes = [*admission.notes, *cost.notes]
        if validation is None:
            notes.append("only one pair of years: the model is not validated on a held-out year")
            val, cal = _empty("risk_validation"), _empty_frame("risk_calibration")
        else:
            val, cal = _validate(
                store,
                py,
                terms,
                sample,
                admission,
                kept_a,
                cost,
                kept_c,
                validation,
                rules,
                model_id,
            )
        bar.advance()
        py.release()
        run.write("risk_validation", _arrow(val, "risk_validation"))
        cal_safe = _safe_calibration(cal, DEFAULT_POLICY)
        run.write("risk_calibration", _arrow(cal_safe, "risk_calibration"))
        run.parameters.update(
            {
                "model_id": model_id,
                "train_fys": train,
                "validation_fy": validation,
                "notes": notes[:50],
            }
        )
        bar.advance()
    return FitResult(run.run_id, model_id, tuple(train), validation, val, cal_safe, notes)


def _validate(
    store, py, terms, sample: Sample, admission, kept_a, cost, kept_c, fy, rules, model_id
):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    held = draw_sample(
        store.to_pandas,
        pairs(py, [fy]),
        terms,
        rules.model.validation_sample,
        rules.model.seed + 1,
        extra=COMPARATOR_COLUMNS,
        stratified=False,
    )
    shift = math.log(sample.fraction_events / sample.fraction_others)
    preds = {"model": admission.predict(held.x, kept_a)}
    costs = {"model": cost.predict(held.x, kept_c).clip(min=0)}
    inputs = {
        "cms_only": lambda s: s.extra["cms_score"].fillna(0).to_numpy(float),
        "prior_cost_only": lambda s: np.log1p(
            s.extra["cost_total"].fillna(0).clip(lower=0).to_numpy(float)
        ),
        "ltc_count_only": lambda s: s.extra["ltc_count"].fillna(0).to_numpy(float),
    }
    for method, get in inputs.items():
        _, params = one_variable(get(sample), sample.admitted, "logistic")
        lp = params[0] - shift + params[1] * get(held)
        preds[method] = 1 / (1 + np.exp(-lp))
        predict_cost, _ = one_variable(get(sample), sample.cost, "linear", sample.weights)
        costs[method] = predict_cost(get(held))
    seed = rules.model.seed
    gbc = HistGradientBoostingClassifier(random_state=seed).fit(sample.x, sample.admitted)
    p = np.clip(gbc.predict_proba(held.x)[:, 1], 1e-9, 1 - 1e-9)
    logit = np.log(p / (1 - p)) - shift
    preds["gradient_boosting"] = 1 / (1 + np.exp(-logit))
    gbr = HistGradientBoostingRegressor(random_state=seed).fit(
        sample.x, sample.cost, sample_weight=sample.weights
    )
    costs["gradient_boosting"] = gbr.predict(held.x)
    rng = np.random.default_rng(seed)
    return measures(
        model_id, fy, Held(held.admitted, held.cost, preds, costs), rules.model.top_percents, rng
    )


def _safe_calibration(cal: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    if cal.empty:
        return _empty_frame("risk_calibration")
    # decile means follow the rounded counts (an observed admission rate is a count ÷ people)
    safe = suppress(
        cal,
        ["people"],
        ["expected", "observed", "ratio"],
        policy,
        per=dict.fromkeys(("expected", "observed"), "people"),
        ratios={"ratio": ("observed", "expected")},
    )
    safe["people"] = safe["people"].round().astype("Int64")
    return safe[list(schemas.get("risk_calibration").names)]


def _arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    frame = frame.reindex(columns=schema.names)
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _empty(table: str) -> pd.DataFrame:
    return _empty_frame(table)


def _empty_frame(table: str) -> pd.DataFrame:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    return pa.Table.from_pylist([], schema=schema).to_pandas()


# ---- scoring and levels ------------------------------------------------------------------
def current_model(store: Store, risk_model: ibis.Table):
    """(model_id, admission terms+coefs, cost terms+coefs) of the stored model."""
    # in term order: the score adds the terms up in this order, and a float sum's last bits
    # depend on it (with large coefficients, much more than the last bits)
    frame = store.to_pandas(schemas.get("risk_model").in_order(risk_model))
    if frame.empty:
        raise StageError("risk_model is empty", hint="run `yoc risk fit` first")
    ids = frame.model_id.unique()
    if len(ids) != 1:
        raise StageError(f"risk_model holds {len(ids)} models", hint="refit with `yoc risk fit`")
    by = {t: g.to_dict("records") for t, g in frame.groupby("target")}
    if "emergency_admission" not in by:
        raise StageError("risk_model has no emergency_admission model", hint="run `yoc risk fit`")
    adm = terms_from_rows(by["emergency_admission"])
    cost = terms_from_rows(by["cost_total"]) if "cost_total" in by else None
    return str(ids[0]), adm, cost


def risk_scores(py: ibis.Table, model_id: str, admission, cost) -> ibis.Table:
    """risk_score for every row of person_year: score, risk percentile, expected cost."""
    exprs = score_expr(py, admission, cost)
    t = py.select("person_id", "fy", model_id=ibis.literal(model_id), **exprs)
    pr = ibis.percent_rank().over(group_by=t.fy, order_by=t.score)
    return t.mutate(risk_percentile=pr * 100.0)


def run_risk_score(
    store: Store, options: RiskOptions | None = None, progress: Progress = SILENT
) -> ScoreResult:
    """Score every person-year and classify need: writes risk_score and need_level."""
    options = options or RiskOptions()
    loaded = load_need_rules(options.rules)
    rules: NeedRules = loaded.model
    parsed = parse_need_rules(rules, source=f"need rules file {loaded.path}")
    params = {
        **options.model_dump(mode="json"),
        "rules_version": rules.version,
        "rules_sha256": loaded.sha256,
    }
    with (
        progress.task("Score risk and classify need", total=3) as bar,
        store.stage(SCORE_STAGE, params) as run,
    ):
        py = _frame(store, run)
        model_id, adm, cost = current_model(store, run.read("risk_model"))
        years = _years(store, py)
        run.write("risk_score", risk_scores(py, model_id, adm, cost))
        bar.advance()
        assessed = None
        if store.exists("assessment"):
            a = run.read("assessment")
            assessed = assessment_matrix(a, rules.matrix).select(
                "assessment_id",
                "person_id",
                "assessment_date",
                "functional_need",
                "health_complexity",
            )
        cur = store.cache(levels(py, run.staged("risk_score"), rules, parsed, assessed))
        bar.advance()
        run.write("need_level", with_change(cur, rules))
        cur.release()
        nl = run.staged("need_level")
        raw = store.to_pandas(summary(nl, py))
        classified = raw[raw.level_rank < 9]
        counts = classified[["fy", "level", "people"]].reset_index(drop=True)
        run.write("need_summary", _arrow(_suppressed(raw, "need_summary"), "need_summary"))
        cells = store.to_pandas(matrix_counts(nl, py))
        run.write("need_matrix", _arrow(_suppressed(cells, "need_matrix"), "need_matrix"))
        py.release()
        run.parameters.update({"model_id": model_id, "years": years})
        bar.advance()
    return ScoreResult(run.run_id, model_id, tuple(years), counts)


_COUNTS = {
    "need_summary": ("people", "rising_risk", "improved", "maintained", "deteriorated"),
    "need_matrix": ("people", "assessed"),
}


# means and shares made consistent with the rounded counts (disclosure.suppress)
_CONSISTENT: dict[str, dict] = {
    "need_summary": {
        "per": dict.fromkeys(("mean_score", "mean_cost"), "people"),
        "shares": {"share_of_classified": "people"},
        "lines": [("fy",)],
    },
}


def _suppressed(raw: pd.DataFrame, table: str) -> pd.DataFrame:
    """`raw` through small-number suppression, in the declared columns and order."""
    declared = schemas.get(table)
    if raw.empty:
        return _empty_frame(table)
    counts = _COUNTS[table]
    derived = [
        c
        for c in declared.names
        if c not in (*counts, *declared.key, "suppressed", "level_rank", "matrix_level")
    ]
    safe = suppress(
        raw,
        list(counts),
        [],
        DEFAULT_POLICY,
        derived_from=dict.fromkeys(derived, ("people",)),
        **_CONSISTENT.get(table, {}),
    )
    for c in counts:
        safe[c] = safe[c].round().astype("Int64")
    return safe.sort_values(list(declared.key)).reset_index(drop=True)[list(declared.names)]
