"""The risk model as data (issue 11 item 1): scoring is an Ibis expression that gives the same
answer on every engine; bad settings and years with no outcome are refused clearly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.spec import load, spec_test
from yearofcare.errors import ConfigError, StageError
from yearofcare.segmentation.features import INTERCEPT, Term
from yearofcare.segmentation.risk import RiskOptions, risk_scores, run_risk_fit

ADMISSION = (
    [
        Term(INTERCEPT, None, "intercept"),
        Term("age:65+", "age", "range", lower=65.0),
        Term("age:unknown", "age", "is_null"),
        Term("sex=M", "sex", "equals", level="M"),
        Term("ltc_copd", "ltc_copd", "flag"),
        Term("log1p(cost_total)", "cost_total", "log1p", fill_value=0.0),
        Term("rule:frail", None, "rule", rule="age >= 85 and ltc_count >= 3"),
    ],
    [-3.0, 1.0, 0.3, 0.2, 0.5, 0.1, 0.7],
)
COST = (
    [Term(INTERCEPT, None, "intercept"), Term("ltc_count", "ltc_count", "value", fill_value=0.0)],
    [400.0, 900.0],
)
PY = [
    {
        "person_id": "a",
        "fy": 2024,
        "age": 70,
        "sex": "F",
        "ltc_copd": True,
        "cost_total": math.e - 1,
        "ltc_count": 1,
    },
    {
        "person_id": "b",
        "fy": 2024,
        "age": None,
        "sex": "M",
        "ltc_copd": None,
        "cost_total": None,
        "ltc_count": None,
    },
    {
        "person_id": "c",
        "fy": 2024,
        "age": 90,
        "sex": "M",
        "ltc_copd": False,
        "cost_total": 0.0,
        "ltc_count": 4,
    },
]


def _p(lp: float) -> float:
    return 1 / (1 + math.exp(-lp))


def test_scores_are_the_stored_model_as_an_expression(store):
    spec_test(
        store,
        {"person_year": PY},
        lambda s: risk_scores(s.table("person_year"), "m1", ADMISSION, COST),
        [
            # a: −3 + 1 (65+) + 0.5 (COPD) + 0.1 × ln(1 + (e − 1)) = −1.4
            {"person_id": "a", "score": _p(-3 + 1 + 0.5 + 0.1), "expected_cost": 400.0 + 900.0,
             "risk_percentile": 50.0},
            # b: unknown age (+0.3), male (+0.2); empty flags and costs read as 0
            {"person_id": "b", "score": _p(-3 + 0.3 + 0.2), "expected_cost": 400.0,
             "risk_percentile": 0.0},
            # c: 65+, male, frail rule (90 and 4 LTCs)
            {"person_id": "c", "score": _p(-3 + 1 + 0.2 + 0.7), "expected_cost": 400.0 + 3600.0,
             "risk_percentile": 100.0},
        ],
        approx=1e-9,
    )  # fmt: skip


def _rules_file(tmp_path: Path, old: str, new: str) -> Path:
    from yearofcare.segmentation.config import default_need_rules_path

    text = default_need_rules_path().read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "need.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_threshold_outside_0_to_100_names_the_setting_and_line(tmp_path):
    path = _rules_file(tmp_path, "    high: 96", "    high: 120")
    with pytest.raises(
        ConfigError,
        match=r"need.yaml line \d+, setting levels.thresholds: .*high threshold 120 is outside 0–100 \(percentiles run from 0 to 100\)",
    ):
        run_risk_fit(None, RiskOptions(rules=path))  # fails before the store is touched


def test_a_last_year_of_life_feature_is_refused(store, tmp_path):
    path = _rules_file(
        tmp_path,
        "    - {column: months_registered, transform: value}",
        "    - {column: last_year_of_life, transform: flag}",
    )
    load(
        store,
        {"person_year": [{"person_id": "a", "fy": 2023}, {"person_id": "a", "fy": 2024}]},
    )
    with pytest.raises(
        ConfigError,
        match="last_year_of_life' cannot be used: it looks up to six months past the year end",
    ):
        run_risk_fit(store, RiskOptions(rules=path))


def test_a_year_with_no_outcome_is_refused(store):
    people = [{"person_id": f"p{i}", "fy": fy, "n_non_elective": 0, "cost_total": 10.0, "died_in_year": False}
              for i in range(30) for fy in (2023, 2024)]  # fmt: skip
    load(store, {"person_year": people})
    with pytest.raises(
        StageError,
        match=r"year 2024 \(the outcome of features from 2023\) has no emergency admissions at all",
    ):
        run_risk_fit(store)
    with pytest.raises(
        ConfigError, match="financial year 2024 has no outcome: person_year has no year 2025"
    ):
        run_risk_fit(store, RiskOptions(train_fys=(2024,)))
    assert not store.exists("risk_model")


def _sample(z: list[float], admitted: list[bool]):
    import numpy as np

    from yearofcare.segmentation.model import Sample

    y = np.array(admitted)
    x = np.column_stack([np.ones(len(z)), np.array(z, dtype=float)])
    return Sample(x, y, np.zeros(len(z)), len(z), int(y.sum()), 1.0, 1.0)


def test_a_sample_that_separates_the_outcome_gets_a_finite_ridge_fit():
    import numpy as np

    from yearofcare.segmentation.model import SEPARATED, fit_admission

    terms = COST[0]  # intercept and ltc_count
    # everyone with 5 or more LTCs was admitted and nobody with fewer: maximum likelihood would
    # push the slope to infinity (statsmodels stops near 1e15 on such data)
    z = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 3
    fitted, kept = fit_admission(_sample(z, [v >= 5 for v in z]), terms)
    assert list(kept) == [0, 1]
    assert np.isfinite(fitted.coefficients).all()
    assert 0 < fitted.coefficients[1] < SEPARATED
    p = fitted.predict(np.column_stack([np.ones(10), np.arange(10.0)]), np.array([0, 1]))
    assert (np.diff(p) > 0).all() and p[0] < 0.5 < p[9]
    assert np.isnan(fitted.std_errors).all()
    assert any("separates admitted from not admitted" in n for n in fitted.notes)


def test_a_sample_with_overlap_keeps_the_maximum_likelihood_fit():
    import numpy as np

    from yearofcare.segmentation.model import fit_admission

    z = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 3
    admitted = [v >= 5 for v in z]
    admitted[4], admitted[5] = True, False  # one admitted with 4 LTCs, one not with 5
    fitted, _ = fit_admission(_sample(z, admitted), COST[0])
    assert np.isfinite(fitted.std_errors).all()
    assert not any("separates" in n for n in fitted.notes)
