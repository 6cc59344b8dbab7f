"""Spec tests of the measures by level of need, sector, risk change, coverage and the
breakdowns by level, currency, cohort and practice: tiny tables, hand-worked answers, on every
engine (one load and one computation per engine for the module)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.spec.outcomes.conftest import measure_all, one

D = dt.date
ZERO = {
    f"cost_{g}": 0.0
    for g in (
        "non_elective",
        "elective",
        "day_case",
        "outpatient",
        "ae",
        "community",
        "mental_health",
        "gp",
        "prescribing",
        "social_care",
        "ambulance",
        "other",
    )
}


def _py(pid, fy, practice, ltc, **costs):
    return {
        "person_id": pid,
        "fy": fy,
        "practice_code": practice,
        "months_registered": 12,
        "ltc_count": ltc,
        "age": 60,
        "died_in_year": False,
        **ZERO,
        **costs,
        "cost_total": sum(costs.values()),
    }


PERSON_YEAR = [
    # l1: 1,000 = non-elective 600 + community 100 + GP 100 + prescribing 50 + social care 150
    _py(
        "l1",
        2024,
        "P1",
        2,
        cost_non_elective=600.0,
        cost_community=100.0,
        cost_gp=100.0,
        cost_prescribing=50.0,
        cost_social_care=150.0,
    ),
    # l2: 400 = outpatient 200 + A&E 50 + ambulance 50 + mental health 100
    _py(
        "l2",
        2024,
        "P1",
        1,
        cost_outpatient=200.0,
        cost_ae=50.0,
        cost_ambulance=50.0,
        cost_mental_health=100.0,
    ),
    _py("l3", 2024, "P1", 0, cost_gp=100.0),  # no long-term condition
    _py("l4", 2024, "P2", 1, cost_elective=1500.0, cost_other=500.0),  # 2,000
]


def _level(pid, level):
    return {
        "person_id": pid,
        "fy": 2024,
        "has_ltc": pid != "l3",
        "rising_risk": False,
        "rules_version": "t",
        "level": level,
    }


NEED_LEVEL = [_level("l1", "High"), _level("l2", "Medium"), _level("l3", "Low")]
NEED_LEVEL += [_level("l4", "End of life")]
# 2023 → 2024: l1 0.30 → 0.20 improved; l2 0.10 → 0.105 maintained (within 0.01);
# l3 0.05 → 0.20 deteriorated; l4 0.60 → 0.40 improved
RISK = [
    {"person_id": p, "fy": fy, "model_id": "m", "score": s}
    for p, before, after in (
        ("l1", 0.30, 0.20),
        ("l2", 0.10, 0.105),
        ("l3", 0.05, 0.20),
        ("l4", 0.60, 0.40),
    )
    for fy, s in ((2023, before), (2024, after))
]
SURVEY = [
    {"response_id": "s2", "person_id": "l2", "survey": "LTC6", "response_date": D(2024, 6, 1)}
    | {"q1": 3},
    {"response_id": "s4", "person_id": "l4", "survey": "LTC6", "response_date": D(2024, 6, 1)}
    | {"q1": 1},
]
ASSESSMENT = [
    {"assessment_id": "x4", "person_id": "l4", "assessment_date": D(2024, 5, 1)},
    {"assessment_id": "x3", "person_id": "l3", "assessment_date": D(2024, 5, 1)},
]
CURRENCY = [
    {
        "person_id": p,
        "fy": 2024,
        "currency": "HRG",
        "currency_version": "t",
        "value": v,
        "matched": True,
    }
    for p, v in (("l1", "A"), ("l2", "A"), ("l3", "B"))
]
COHORT = [
    {
        "cohort_id": "c1",
        "person_id": "l1",
        "spell": 1,
        "join_date": D(2024, 5, 1),
        "join_reason": "rule",
        "selection_fy": 2024,
        "selection_rule": "r",
        "cohorts_version": "t",
        "review_status": "accepted",
    },
    # l2 left before 2024/25 began: not a member that year
    {
        "cohort_id": "c1",
        "person_id": "l2",
        "spell": 1,
        "join_date": D(2022, 1, 1),
        "leave_date": D(2024, 3, 31),
        "join_reason": "rule",
        "selection_fy": 2022,
        "selection_rule": "r",
        "cohorts_version": "t",
        "review_status": "accepted",
    },
]


@pytest.fixture(scope="module")
def result(module_store):
    return measure_all(
        module_store,
        {
            "person_year": PERSON_YEAR,
            "need_level": NEED_LEVEL,
            "risk_score": RISK,
            "survey_response": SURVEY,
            "assessment": ASSESSMENT,
            "person_currency": CURRENCY,
            "cohort_member": COHORT,
        },
    )


@pytest.mark.parametrize(
    ("measure", "pounds"),
    [
        ("ltc_spend_total", 1000 + 400 + 2000),  # l3 has no LTC
        ("ltc_spend_secondary", 600 + (200 + 50 + 50) + 1500),
        ("ltc_spend_community", 100),
        ("ltc_spend_mental_health", 100),
        ("ltc_spend_primary", 100 + 50),
        ("ltc_spend_social", 150),
        ("ltc_spend_third_independent", 500),
    ],
)
def test_ltc_spend_by_sector(result, measure, pounds):
    assert one(result[0], measure, 2024).value == pounds


def test_ltc_spend_by_level_of_need(result):
    out = result[0]
    assert one(out, "ltc_spend_total", 2024, "level", "High").value == 1000
    assert one(out, "ltc_spend_secondary", 2024, "level", "End of life").value == 1500
    assert one(out, "ltc_spend_total", 2024, "practice", "P2").value == 2000


@pytest.mark.parametrize(
    ("people_measure", "spend_measure", "people", "spend"),
    [
        ("people_low_per_1000", "spend_low_per_1000", 1, 100),  # l3
        ("people_medium_per_1000", "spend_medium_per_1000", 1, 400),  # l2
        ("people_high_per_1000", "spend_high_per_1000", 1, 1000),  # l1
        ("people_eol_per_1000", "spend_eol_per_1000", 1, 2000),  # l4
    ],
)
def test_people_and_spend_per_level_per_1000(result, people_measure, spend_measure, people, spend):
    out = result[0]
    # four registered people, one at each level
    p = one(out, people_measure, 2024)
    assert (p.numerator, p.denominator, p.value) == (people, 4, people / 4 * 1000)
    s = one(out, spend_measure, 2024)
    assert (s.numerator, s.denominator, s.value) == (spend, 4, spend / 4 * 1000)


def test_people_per_level_by_practice(result):
    out = result[0]
    # P1 holds l1 (High), l2, l3: 1 of 3; P2 holds l4 (End of life) only
    assert one(out, "people_high_per_1000", 2024, "practice", "P1").value == pytest.approx(1000 / 3)
    assert one(out, "people_eol_per_1000", 2024, "practice", "P2").value == 1000


@pytest.mark.parametrize(
    ("measure", "people"),
    [("risk_improved", 2), ("risk_maintained", 1), ("risk_deteriorated", 1)],
)
def test_annual_change_in_risk_score(result, measure, people):
    r = one(result[0], measure, 2024)
    # l1 and l4 improved, l2 maintained (+0.005 is within the 0.01 tolerance), l3 worse
    assert (r.numerator, r.denominator, r.value) == (people, 4, people / 4 * 100)


def test_risk_change_by_level(result):
    out = result[0]
    assert one(out, "risk_improved", 2024, "level", "High").value == 100  # l1
    assert one(out, "risk_improved", 2024, "level", "Medium").value == 0  # l2 maintained
    assert one(out, "risk_deteriorated", 2024, "level", "Low").value == 100  # l3


def test_ltc6_by_level_with_response_counts(result):
    out = result[0]
    med = one(out, "ltc6_q1_top", 2024, "level", "Medium")  # l2 answered 3
    assert (med.numerator, med.denominator, med.value) == (1, 1, 100)
    eol = one(out, "ltc6_q1_top", 2024, "level", "End of life")  # l4 answered 1
    assert (eol.numerator, eol.denominator, eol.value) == (0, 1, 0)


def test_ltc6_coverage_and_assessment_of_high_need(result):
    out = result[0]
    # people with an LTC: l1, l2, l4; l2 and l4 answered LTC6
    cov = one(out, "ltc6_coverage", 2024)
    assert (cov.numerator, cov.denominator) == (2, 3)
    # High or End of life: l1, l4; only l4 assessed in the year (l3's assessment is not High)
    high = one(out, "high_need_assessed", 2024)
    assert (high.numerator, high.denominator, high.value) == (1, 2, 50)


def test_breakdown_by_currency_and_cohort(result):
    out = result[0]
    # currency HRG: A holds l1 (1,000) and l2 (400); B holds l3 (100); l4 has no row
    a = one(out, "spend_per_head", 2024, "currency", "HRG: A")
    assert (a.numerator, a.denominator, a.value) == (1400, 2, 700)
    assert one(out, "spend_per_head", 2024, "currency", "HRG: B").value == 100
    # cohort c1 in 2024/25: l1 only (l2 left on 2024-03-31)
    c = one(out, "spend_per_head", 2024, "cohort", "c1")
    assert (c.numerator, c.denominator, c.value) == (1000, 1, 1000)
    # level: the mean of one person has no spread
    assert one(out, "spend_per_head", 2024, "level", "End of life").value == 2000
