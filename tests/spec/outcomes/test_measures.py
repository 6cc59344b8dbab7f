"""Spec tests of the outcome measures on activity, LTC6 and reablement: tiny tables,
hand-worked answers, on every engine.

`collect` gives the raw numerators and denominators (before disclosure); `finish` is run with
a policy that suppresses nothing, so values and intervals can be checked by hand.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from tests.spec.outcomes.conftest import MEASURES, measure_all
from tests.spec.outcomes.conftest import one as _one
from yearofcare.disclosure import DEFAULT_POLICY
from yearofcare.outcomes import compute, scorecard
from yearofcare.outcomes.definitions import load_scorecard

D = dt.date


def _py(pid, fy, practice="P1", months=12, ltc=1, cost=100.0, age=70):
    return {
        "person_id": pid,
        "fy": fy,
        "practice_code": practice,
        "months_registered": months,
        "ltc_count": ltc,
        "cost_total": cost,
        "age": age,
        "died_in_year": False,
    }


def _act(aid, pid, setting, start, end, **kw):
    return {
        "activity_id": aid,
        "person_id": pid,
        "source": "t",
        "setting": setting,
        "start_date": start,
        "end_date": end,
        **kw,
    }


PERSON_YEAR = [
    _py("a", 2024, cost=1000.0),
    _py("b", 2024, cost=500.0, ltc=0),
    _py("c", 2024, "P2", cost=0.0),
    _py("d", 2024, "P2", cost=300.0),
    _py("e", 2024, months=0, cost=50.0),
    _py("a", 2025, cost=200.0),
    _py("b", 2025),
    _py("c", 2025, "P2"),
    _py("d", 2025, "P2"),
]
ACTIVITY = [
    # non-elective spells: LOS 2 (discharged Sat 2024-06-01), 4 (discharged Wed 2024-06-05),
    # one discharged on 2025-04-02 (a 2025 discharge, LOS 3)
    _act(
        "n1", "a", "acute_non_elective", D(2024, 5, 30), D(2024, 6, 1), bed_days=2.0, currency="X"
    ),
    _act("n2", "c", "acute_non_elective", D(2024, 6, 1), D(2024, 6, 5), bed_days=4.0, currency="X"),
    _act(
        "n3", "a", "acute_non_elective", D(2025, 3, 30), D(2025, 4, 2), bed_days=3.0, currency="X"
    ),
    # reablement after discharge: a at home on day 91; c back in hospital on day 91
    _act("r1", "a", "social_care", D(2024, 6, 1), D(2024, 7, 12), service_type="reablement"),
    _act("r2", "c", "social_care", D(2024, 6, 5), D(2024, 7, 16), service_type="reablement"),
    _act("n4", "c", "acute_non_elective", D(2024, 9, 1), D(2024, 9, 8), bed_days=7.0, currency="Y"),
    _act("z", "d", "gp", D(2025, 12, 1), D(2025, 12, 1)),
]
#: answers of a, b, c, d, e to each question (5 and −1 are outside 0–3: read as not answered)
ANSWERS = {
    "q1": (3, 3, 2, None, 5),
    "q2": (3, 3, 3, 3, 3),
    "q3": (0, 1, 2, 3, None),
    "q4": (3, -1, None, None, None),
    "q5": (2, 2, 2, 2, 2),
    "q6": (3, 3, 3, 2, 1),
}
SURVEY = [
    {
        "response_id": f"s{i}",
        "person_id": p,
        "survey": "LTC6",
        "response_date": D(2024, 7, 1),
        **{q: a[i] for q, a in ANSWERS.items()},
    }
    for i, p in enumerate("abcde")
]
PEOPLE = [{"person_id": p, "sex": "F"} for p in "abcde"]


@pytest.fixture(scope="module")
def result(module_store):
    return measure_all(
        module_store,
        {
            "person_year": PERSON_YEAR,
            "activity": ACTIVITY,
            "survey_response": SURVEY,
            "person": PEOPLE,
        },
    )


def test_ltc6_top_level_share_and_out_of_range_answers(result):
    out, _, notes, _ = result
    r = _one(out, "ltc6_q1_top", 2024)
    # answered q1: a=3, b=3, c=2 (d blank, e's 5 is outside 0–3: read as not answered) → 2 of 3
    assert (r.numerator, r.denominator) == (2, 3)
    assert r.value == pytest.approx(200 / 3)
    # Wilson interval for 2/3: centre (p + z²/2n)/(1 + z²/n)
    z = 1.959963984540054
    centre = (2 / 3 + z * z / 6) / (1 + z * z / 3)
    half = z * math.sqrt(2 / 3 * 1 / 3 / 3 + z * z / 36) / (1 + z * z / 3)
    assert (r.lower, r.upper) == pytest.approx((100 * (centre - half), 100 * (centre + half)))
    assert r.target == 75
    # e's 5 (q1) and b's −1 (q4): two responses named in the run's notes
    assert any(n.startswith("2 LTC6 responses have an answer outside 0–3") for n in notes), notes
    p2 = _one(out, "ltc6_q1_top", 2024, "practice", "P2")  # c=2, d blank → 0 of 1
    assert (p2.numerator, p2.denominator, p2.value) == (0, 1, 0)


@pytest.mark.parametrize(
    ("measure", "top", "answered"),
    [
        ("ltc6_q2_top", 5, 5),  # everyone 3
        ("ltc6_q3_top", 1, 4),  # 0, 1, 2, 3 and a blank: one 3 of four answers
        ("ltc6_q4_top", 1, 1),  # a's 3; b's −1 is outside 0–3, the rest blank
        ("ltc6_q5_top", 0, 5),  # nobody at the top
        ("ltc6_q6_top", 3, 5),  # 3, 3, 3, 2, 1
    ],
)
def test_ltc6_each_question_against_the_75_percent_target(result, measure, top, answered):
    r = _one(result[0], measure, 2024)
    assert (r.numerator, r.denominator) == (top, answered)
    assert r.value == pytest.approx(100 * top / answered)
    assert r.target == 75 and r.direction == "higher"


def test_zero_denominator_is_an_empty_value_with_a_note(result, module_store):
    out, missing, _, parts = result
    # P2 is c and d, and neither answered q4 (blank): 0 answers, so no share, and no interval
    r = _one(out, "ltc6_q4_top", 2024, "practice", "P2")
    assert (r.status, r.note) == ("zero_denominator", "the denominator is zero: no value")
    assert math.isnan(r.value) and math.isnan(r.lower) and math.isnan(r.upper)
    assert math.isnan(r.change)
    # the same row through the default disclosure policy and the scorecard: no error, no RAG
    disclosed = compute.finish(MEASURES, parts, missing, DEFAULT_POLICY)
    d = _one(disclosed, "ltc6_q4_top", 2024, "practice", "P2")
    assert d.status == "zero_denominator" and math.isnan(d.value)
    economy = pd.DataFrame([r]).assign(dimension="all", group_value="all")
    card = load_scorecard(None, MEASURES).model
    no_funnels = scorecard.funnel(MEASURES, pd.DataFrame(), economy)
    s = scorecard.scorecard(MEASURES, card, economy, no_funnels).iloc[0]
    assert (s.rag, s.status) == ("none", "zero_denominator")
    a = scorecard.achievements(MEASURES, card, economy).iloc[0]
    assert a.achievement_percent is None and a.met is None
    assert pd.isna(a.quality_level)  # no measure with a value: no quality level


def test_unplanned_admissions_per_1000_and_change_on_previous_year(result):
    out = result[0]
    # 2024: spells discharged in the year n1, n2, n4 = 3; registered a, b, c, d (e has 0 months) = 4
    r24 = _one(out, "unplanned_admissions_per_1000", 2024)
    assert (r24.numerator, r24.denominator, r24.value) == (3, 4, 750.0)
    # exact Poisson limits for 3 events: chi2(0.025, 6)/2 = 0.6187, chi2(0.975, 8)/2 = 8.7673
    assert r24.lower == pytest.approx(0.61867 / 4 * 1000, rel=1e-4)
    assert r24.upper == pytest.approx(8.76727 / 4 * 1000, rel=1e-4)
    r25 = _one(out, "unplanned_admissions_per_1000", 2025)  # n3 discharged 2025-04-02: 1 of 4
    assert (r25.value, r25.previous_value, r25.change) == (250.0, 750.0, -500.0)
    assert r25.change_percent == pytest.approx(-500 / 750 * 100)


def test_length_of_stay_excess_days_and_weekend_discharges(result):
    out = result[0]
    # 2024 discharges: n1 LOS 2 (Sat), n2 LOS 4 (Wed), n4 LOS 7 (Sun 2024-09-08) → mean 13/3
    los = _one(out, "average_length_of_stay", 2024)
    assert (los.numerator, los.denominator) == (13, 3)
    assert los.value == pytest.approx(13 / 3)
    wk = _one(out, "weekend_discharge_share", 2024)
    assert (wk.numerator, wk.denominator) == (2, 3)
    # trim point of currency X (LOS 2, 4, 3): Q1 2.5, Q3 3.5 → 3.5 + 1.5 × 1 = 5: no excess;
    # currency Y has one spell (LOS 7): Q1 = Q3 = 7, trim 7: no excess
    assert _one(out, "excess_bed_days", 2024).value == 0


def test_ltc_spend_and_spend_per_head(result):
    out = result[0]
    # people with an LTC registered in 2024: a 1000, c 0, d 300 (b has none, e not registered)
    assert _one(out, "ltc_spend_total", 2024).value == 1300
    sph = _one(out, "spend_per_head", 2024)
    assert (sph.numerator, sph.denominator) == (1800, 4)
    assert sph.value == 450
    # mean interval: SD of (1000, 500, 0, 300) with n − 1
    sd = math.sqrt(((550) ** 2 + 50**2 + 450**2 + 150**2) / 3)
    assert (sph.lower, sph.upper) == pytest.approx(
        (450 - 1.959964 * sd / 2, 450 + 1.959964 * sd / 2), rel=1e-5
    )


def test_at_home_91_days_after_reablement(result):
    out = result[0]
    # a: day 91 after 2024-06-01 = 2024-08-31, not in hospital → at home; c: day 91 after
    # 2024-06-05 = 2024-09-04, in hospital (n4 2024-09-01 to 09-08) → not at home
    r = _one(out, "at_home_91_days_after_reablement", 2024)
    assert (r.numerator, r.denominator, r.value) == (1, 2, 50.0)


def test_missing_tables_and_breakdowns_say_what_to_run(result):
    out, missing, notes, _ = result
    assert missing["risk_improved"] == "needs risk_score (run yoc risk score)"
    assert missing["people_high_per_1000"] == "needs need_level (run yoc risk score)"
    assert "delayed_discharge" in missing["delayed_transfer_days_per_1000"]
    assert missing["high_need_assessed"] == "needs need_level (run yoc risk score)"
    named = out[out.measure_id.isin(list(missing))]
    assert set(named.status) == {"needs_table"} and named.value.isna().all()
    assert len(named) == len(missing)  # one row each, saying what it needs
    assert any("no breakdown by level: needs need_level" in n for n in notes)
    assert any("no breakdown by cohort: needs cohort_member" in n for n in notes)


def test_published_values_and_limits_follow_the_rounded_counts():
    """Disclosure (issue 10): a measure's value and 95 % limits are computed from the published
    numerator and denominator, so neither gives the true counts back."""
    from yearofcare.outcomes.compute import _disclose, _values, interval

    by_id = {m.id: m for m in MEASURES.measures}
    m = by_id["weekend_discharge_share"]  # a proportion × 100
    frame = pd.DataFrame(
        {
            "fy": [2024],
            "dimension": ["all"],
            "group_value": ["all"],
            "numerator": [41.0],
            "denominator": [143.0],
            "n_num": [41.0],
            "n_den": [143.0],
            "sq_num": [41.0],
        }
    ).assign(measure_id=m.id)
    out = _disclose(_values(m, frame), DEFAULT_POLICY, by_id).iloc[0]
    # 41 -> 40, 143 -> 145: 40 / 145 x 100, and the Wilson limits of 40 of 145
    assert (out.numerator, out.denominator) == (40, 145)
    assert out.value == pytest.approx(40 / 145 * 100)
    lo, hi = interval(m, np.array([40.0]), np.array([145.0]), np.array([40.0]))
    assert (out.lower, out.upper) == pytest.approx((lo[0] * 100, hi[0] * 100))
    # a count without a denominator is shown rounded, value included
    c = by_id["non_elective_admissions"]
    alone = frame.assign(measure_id=c.id, denominator=np.nan, n_den=np.nan)
    out = _disclose(_values(c, alone), DEFAULT_POLICY, by_id).iloc[0]
    assert (out.numerator, out.value) == (40, 40)
