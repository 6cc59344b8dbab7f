"""Spec tests of the outcome measures: tiny tables, hand-worked answers, on every engine.

`collect` gives the raw numerators and denominators (before disclosure); `finish` is run with
a policy that suppresses nothing, so values and intervals can be checked by hand.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tests.spec import load
from yearofcare.disclosure import DisclosurePolicy
from yearofcare.outcomes import bases, compute
from yearofcare.outcomes.definitions import load_measures
from yearofcare.outcomes.run import collect

D = dt.date
MEASURES = load_measures().model
OPEN = DisclosurePolicy(threshold=1, rounding=1)


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
SURVEY = [
    {
        "response_id": f"s{i}",
        "person_id": p,
        "survey": "LTC6",
        "response_date": D(2024, 7, 1),
        "q1": q,
    }
    for i, (p, q) in enumerate([("a", 3), ("b", 3), ("c", 2), ("d", None), ("e", 5)])
]
PEOPLE = [{"person_id": p, "sex": "F"} for p in "abcde"]


def _run(store, ids, dims=("all",)):
    load(
        store,
        {
            "person_year": PERSON_YEAR,
            "activity": ACTIVITY,
            "survey_response": SURVEY,
            "person": PEOPLE,
        },
    )
    ms = MEASURES.model_copy(update={"measures": [MEASURES.get(i) for i in ids]})
    tables = bases.Tables(store.table, store.exists)
    parts, missing, notes = collect(tables, ms, dims, store.to_pandas)
    return compute.finish(ms, parts, missing, OPEN), missing, notes


def _one(frame, measure, fy, dim="all", group="all"):
    f = frame[
        (frame.measure_id == measure)
        & (frame.fy == fy)
        & (frame.dimension == dim)
        & (frame.group_value == group)
    ]
    assert len(f) == 1, f
    return f.iloc[0]


def test_ltc6_top_level_share_and_out_of_range_answers(store):
    out, _, _ = _run(store, ["ltc6_q1_top"], ("all", "practice"))
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
    p2 = _one(out, "ltc6_q1_top", 2024, "practice", "P2")  # c=2, d blank → 0 of 1
    assert (p2.numerator, p2.denominator, p2.value) == (0, 1, 0)


def test_unplanned_admissions_per_1000_and_change_on_previous_year(store):
    out, _, _ = _run(store, ["unplanned_admissions_per_1000"])
    # 2024: spells discharged in the year n1, n2, n4 = 3; registered a, b, c, d (e has 0 months) = 4
    r24 = _one(out, "unplanned_admissions_per_1000", 2024)
    assert (r24.numerator, r24.denominator, r24.value) == (3, 4, 750.0)
    # exact Poisson limits for 3 events: chi2(0.025, 6)/2 = 0.6187, chi2(0.975, 8)/2 = 8.7673
    assert r24.lower == pytest.approx(0.61867 / 4 * 1000, rel=1e-4)
    assert r24.upper == pytest.approx(8.76727 / 4 * 1000, rel=1e-4)
    r25 = _one(out, "unplanned_admissions_per_1000", 2025)  # n3 discharged 2025-04-02: 1 of 4
    assert (r25.value, r25.previous_value, r25.change) == (250.0, 750.0, -500.0)
    assert r25.change_percent == pytest.approx(-500 / 750 * 100)


def test_length_of_stay_excess_days_and_weekend_discharges(store):
    out, _, _ = _run(
        store, ["average_length_of_stay", "excess_bed_days", "weekend_discharge_share"]
    )
    # 2024 discharges: n1 LOS 2 (Sat), n2 LOS 4 (Wed), n4 LOS 7 (Sun 2024-09-08) → mean 13/3
    los = _one(out, "average_length_of_stay", 2024)
    assert (los.numerator, los.denominator) == (13, 3)
    assert los.value == pytest.approx(13 / 3)
    wk = _one(out, "weekend_discharge_share", 2024)
    assert (wk.numerator, wk.denominator) == (2, 3)
    # trim point of currency X (LOS 2, 4, 3): Q1 2.5, Q3 3.5 → 3.5 + 1.5 × 1 = 5: no excess;
    # currency Y has one spell (LOS 7): Q1 = Q3 = 7, trim 7: no excess
    assert _one(out, "excess_bed_days", 2024).value == 0


def test_ltc_spend_and_spend_per_head(store):
    out, _, _ = _run(store, ["ltc_spend_total", "spend_per_head"])
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


def test_at_home_91_days_after_reablement(store):
    out, _, _ = _run(store, ["at_home_91_days_after_reablement"])
    # a: day 91 after 2024-06-01 = 2024-08-31, not in hospital → at home; c: day 91 after
    # 2024-06-05 = 2024-09-04, in hospital (n4 2024-09-01 to 09-08) → not at home
    r = _one(out, "at_home_91_days_after_reablement", 2024)
    assert (r.numerator, r.denominator, r.value) == (1, 2, 50.0)


def test_missing_tables_and_breakdowns_say_what_to_run(store):
    out, missing, notes = _run(
        store,
        ["risk_improved", "people_high_per_1000", "delayed_transfer_days_per_1000"],
        ("all", "level"),
    )
    assert missing["risk_improved"] == "needs risk_score (run yoc risk score)"
    assert missing["people_high_per_1000"] == "needs need_level (run yoc risk score)"
    assert "delayed_discharge" in missing["delayed_transfer_days_per_1000"]
    assert set(out.status) == {"needs_table"}
    assert any("need_level" in n for n in notes)
