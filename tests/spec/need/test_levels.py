"""Levels of need (issue 11 item 2): thresholds, End of life, the 3×3 matrix from DST domains
or proxies, rising risk and annual change — tiny tables, answers worked by hand."""

from __future__ import annotations

from datetime import date

from tests.spec import spec_test
from yearofcare.segmentation.config import Levels, Thresholds, load_need_rules
from yearofcare.segmentation.levels import assessment_matrix, levels, with_change


def _rules():
    rules = load_need_rules().model
    return rules.model_copy(
        update={"levels": Levels(thresholds=Thresholds(kind="percentile", medium=50, high=80))}
    )


def _py(pid, fy, ltc=1, **kw):
    return {"person_id": pid, "fy": fy, "ltc_count": ltc, "died_in_year": False, **kw}


# a–e have LTCs; f has none but is on the palliative care register; g has none.
PY = [
    _py("a", 2023), _py("b", 2023), _py("c", 2023), _py("d", 2023), _py("e", 2023),
    _py("g", 2023, ltc=0),
    _py("a", 2024),
    _py("b", 2024, ltc=5, care_home_days=30.0),  # proxies: functional 3, complexity 3
    _py("c", 2024, ltc=3, age=85),  # proxies: functional 2 (85+), complexity 2 (3 LTCs)
    _py("d", 2024),  # proxies: 1, 1
    _py("e", 2024),
    _py("f", 2024, ltc=0, ltc_palliative_care=True),
    _py("g", 2024, ltc=0),
]  # fmt: skip


def _score(pid, fy, score, pct):
    return {"person_id": pid, "fy": fy, "model_id": "m", "score": score, "risk_percentile": pct}


SCORES = [
    # 2023, ranked among the 5 classified: b .01 → 0, d .015 → 25, c .02 → 50, a .05 → 75, e .20 → 100
    _score("b", 2023, 0.01, 50.0), _score("d", 2023, 0.015, 60.0), _score("c", 2023, 0.02, 10.0),
    _score("a", 2023, 0.05, 10.0), _score("e", 2023, 0.20, 50.0), _score("g", 2023, 0.9, 99.0),
    # 2024, among the 6 classified (a–f): percent rank (rank − 1) / 5 × 100 → 0, 20, 40, 60, 80, 100
    _score("a", 2024, 0.01, 35.0), _score("b", 2024, 0.02, 50.0), _score("c", 2024, 0.05, 40.0),
    _score("d", 2024, 0.10, 65.0), _score("e", 2024, 0.30, 90.0), _score("f", 2024, 0.50, 99.0),
    _score("g", 2024, 0.90, 99.9),
]  # fmt: skip

DOMAINS = {f"dst_{d}": 0 for d in (
    "behaviour", "cognition", "communication", "mobility", "nutrition", "continence", "skin",
    "breathing", "drug_therapies", "psychological", "altered_states",
)}  # fmt: skip
ASSESSMENTS = [
    # a: functional (4/4 + 3/3 + 0 + 0 + 0) / 5 = 0.4 ≥ 0.30 → 3; complexity (2/5) / 6 = 0.067
    # < 0.08 → 1: cell F3C1, which the matrix maps to Medium
    {**DOMAINS, "assessment_id": "A1", "person_id": "a", "assessment_date": date(2024, 6, 15),
     "dst_mobility": 4, "dst_continence": 3, "dst_breathing": 2},
    # e: dated more than 12 months before the end of 2024/25, so the proxies are used
    {**DOMAINS, "assessment_id": "A2", "person_id": "e", "assessment_date": date(2023, 2, 1),
     "dst_mobility": 4},
]  # fmt: skip


def _need(s):
    rules = _rules()
    assessed = assessment_matrix(s.table("assessment"), rules.matrix)
    cur = levels(s.table("person_year"), s.table("risk_score"), rules, rules.parsed, assessed)
    out = with_change(cur, rules)
    return out.filter(out.fy == 2024)


def test_levels_matrix_rising_risk_and_annual_change(store):
    spec_test(
        store,
        {"person_year": PY, "risk_score": SCORES, "assessment": ASSESSMENTS},
        _need,
        [
            # thresholds: medium ≥ 50, high ≥ 80 (percentile among the classified)
            # rising risk: risk percentile up ≥ 20 since 2023, unless High or End of life
            # annual change by level: a Medium → Low, c Medium → Low, d Low → Medium
            {"person_id": "a", "threshold_percentile": 0.0, "level": "Low", "matrix_cell": "F3C1",
             "matrix_level": "Medium", "matrix_basis": "assessment", "assessment_id": "A1",
             "rising_risk": True, "score_change": 25.0, "previous_level": "Medium",
             "annual_change": "improved"},
            {"person_id": "b", "threshold_percentile": 20.0, "level": "Low", "matrix_cell": "F3C3",
             "matrix_level": "High", "matrix_basis": "proxy", "assessment_id": None,
             "rising_risk": False, "score_change": 0.0, "previous_level": "Low",
             "annual_change": "maintained"},
            {"person_id": "c", "threshold_percentile": 40.0, "level": "Low", "matrix_cell": "F2C2",
             "matrix_level": "Medium", "matrix_basis": "proxy", "assessment_id": None,
             "rising_risk": True, "score_change": 30.0, "previous_level": "Medium",
             "annual_change": "improved"},
            {"person_id": "d", "threshold_percentile": 60.0, "level": "Medium", "matrix_cell": "F1C1",
             "matrix_level": "Low", "matrix_basis": "proxy", "assessment_id": None,
             "rising_risk": False, "score_change": 5.0, "previous_level": "Low",
             "annual_change": "deteriorated"},
            {"person_id": "e", "threshold_percentile": 80.0, "level": "High", "matrix_cell": "F1C1",
             "matrix_level": "Low", "matrix_basis": "proxy", "assessment_id": None,
             "rising_risk": False, "score_change": 40.0, "previous_level": "High",
             "annual_change": "maintained"},
            {"person_id": "f", "threshold_percentile": 100.0, "level": "End of life",
             "matrix_cell": "F1C1", "matrix_level": "Low", "matrix_basis": "proxy",
             "assessment_id": None, "rising_risk": False, "score_change": None,
             "previous_level": None, "annual_change": None},
            {"person_id": "g", "threshold_percentile": None, "level": None, "matrix_cell": "F1C1",
             "matrix_level": "Low", "matrix_basis": "proxy", "assessment_id": None,
             "rising_risk": False, "score_change": 0.9, "previous_level": None,
             "annual_change": None},
        ],
        approx=1e-9,
    )  # fmt: skip
