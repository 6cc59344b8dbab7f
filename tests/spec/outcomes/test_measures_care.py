"""Spec tests of the care-home, hospital and delayed-transfer measures (seed 000 Outcomes 3,
seed 004 Table 4), by provider and practice: tiny tables, hand-worked answers, on every engine."""

from __future__ import annotations

import datetime as dt

import pytest
from scipy import stats

from tests.spec.outcomes.conftest import measure_all, one

D = dt.date


def _py(pid, practice, age):
    return {
        "person_id": pid,
        "fy": 2024,
        "practice_code": practice,
        "months_registered": 12,
        "ltc_count": 1,
        "age": age,
        "died_in_year": False,
    }


PERSON_YEAR = [_py("p", "P1", 80), _py("q", "P1", 70), _py("r", "P2", 85), _py("s", "P2", 40)]


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


NE = "acute_non_elective"
ACTIVITY = [
    # the data start on 2023-04-01: placements need 365 days of history, so 2024/25 is the first
    # year that counts permanent admissions
    _act("g", "s", "gp", D(2023, 4, 1), D(2023, 4, 1)),
    # non-elective spells discharged in 2024/25 (currency X): LOS 4, 2, 3, 30
    _act("n1", "p", NE, D(2024, 6, 1), D(2024, 6, 5), bed_days=4.0, currency="X")
    | {"provider_code": "RA1"},
    _act("n2", "q", NE, D(2024, 7, 1), D(2024, 7, 3), bed_days=2.0, currency="X")
    | {"provider_code": "RA1"},
    _act("n3", "q", NE, D(2024, 8, 1), D(2024, 8, 4), bed_days=3.0, currency="X")
    | {"provider_code": "RB2"},
    _act("n4", "r", NE, D(2024, 10, 1), D(2024, 10, 31), bed_days=30.0, currency="X")
    | {"provider_code": "RB2"},
    # p: from home into residential care 5 days after leaving hospital (council-funded)
    _act("h1", "p", "social_care", D(2024, 6, 10), D(2024, 7, 9), bed_days=30.0)
    | {"service_type": "residential_care", "funding_route": "local_authority"},
    # r: placed in 2023/24 (before the first reported year), back within the year: not new;
    # self-funded (no public funding route)
    _act("h2", "r", "social_care", D(2023, 10, 1), D(2023, 10, 10), bed_days=10.0)
    | {"service_type": "residential_care"},
    _act("h3", "r", "social_care", D(2024, 9, 1), D(2024, 9, 20), bed_days=20.0)
    | {"service_type": "nursing_care"},
    # s (40): a new placement with no bed days recorded: 5 days from the dates; NHS-funded
    _act("h4", "s", "social_care", D(2024, 11, 1), D(2024, 11, 5))
    | {"service_type": "residential_care", "funding_route": "nhs_england"},
]
DELAYED = [
    {
        "person_id": "r",
        "discharge_date": D(2024, 10, 31),
        "delayed_days": 6,
        "provider_code": "RB2",
    },
    {"person_id": "q", "discharge_date": D(2024, 8, 4), "delayed_days": 2, "provider_code": "RB2"},
]
PEOPLE = [{"person_id": p, "sex": "F"} for p in "pqrs"]


@pytest.fixture(scope="module")
def result(module_store):
    return measure_all(
        module_store,
        {
            "person_year": PERSON_YEAR,
            "activity": ACTIVITY,
            "person": PEOPLE,
            "delayed_discharge": DELAYED,
        },
    )


def test_non_elective_admissions_bed_days_and_length_of_stay_by_provider(result):
    out = result[0]
    assert one(out, "non_elective_admissions", 2024).value == 4
    assert one(out, "non_elective_admissions", 2024, "provider", "RA1").value == 2
    bd = one(out, "unplanned_bed_days_per_1000", 2024)  # 4 + 2 + 3 + 30 = 39 over 4 people
    assert (bd.numerator, bd.denominator, bd.value) == (39, 4, 9750)
    lo, hi = stats.chi2.ppf(0.025, 78) / 2, stats.chi2.ppf(0.975, 80) / 2
    assert (bd.lower, bd.upper) == pytest.approx((lo / 4 * 1000, hi / 4 * 1000))
    assert one(out, "average_length_of_stay", 2024).value == 39 / 4
    assert one(out, "average_length_of_stay", 2024, "provider", "RA1").value == (4 + 2) / 2
    assert one(out, "average_length_of_stay", 2024, "provider", "RB2").value == (3 + 30) / 2


def test_excess_bed_days_beyond_the_trim_point(result):
    out = result[0]
    # LOS of currency X: 2, 3, 4, 30. Quartiles (linear interpolation): Q1 = 2 + 0.75 × 1 =
    # 2.75, Q3 = 4 + 0.25 × 26 = 10.5; trim = Q3 + 1.5 × (Q3 − Q1) = 10.5 + 11.625 = 22.125.
    # Only r's 30 days pass it: 30 − 22.125 = 7.875 excess days, at provider RB2
    assert one(out, "excess_bed_days", 2024).value == pytest.approx(7.875)
    assert one(out, "excess_bed_days", 2024, "provider", "RB2").value == pytest.approx(7.875)
    assert one(out, "excess_bed_days", 2024, "provider", "RA1").value == 0


def test_care_home_days_and_publicly_funded_share(result):
    out = result[0]
    # 2024/25 placements by start: p 30 + r 20 + s 5 (dates, inclusive) = 55 days, 4 people
    days = one(out, "care_home_days_per_1000", 2024)
    assert (days.numerator, days.denominator, days.value) == (55, 4, 13750)
    # public: p (council) 30 + s (NHS) 5 = 35 of 55; r paid for herself
    share = one(out, "care_home_publicly_funded_share", 2024)
    assert (share.numerator, share.denominator) == (35, 55)
    assert share.value == pytest.approx(35 / 55 * 100)
    assert one(out, "care_home_days_per_1000", 2024, "practice", "P2").value == 25 / 2 * 1000


def test_permanent_admissions_65_plus_per_100000(result):
    out = result[0]
    # new placements in 2024/25: p (80) and s (40); r's is within 365 days of her last.
    # 65+: p of p, q, r → 1 / 3 per 100,000
    r = one(out, "permanent_care_home_admissions_per_100k", 2024)
    assert (r.numerator, r.denominator) == (1, 3)
    assert r.value == pytest.approx(100_000 / 3)
    assert one(out, "permanent_care_home_admissions_per_100k", 2024, "practice", "P1").value == (
        50_000
    )
    assert one(out, "permanent_care_home_admissions_per_100k", 2024, "practice", "P2").value == 0
    # 2023/24 is not reported: the placement then could not be told from a return
    assert out[
        (out.measure_id == "permanent_care_home_admissions_per_100k") & (out.fy == 2023)
    ].empty
    assert any("years before 2024 not reported" in n for n in result[2])


def test_home_to_care_home_after_an_nhs_stay(result):
    # p left hospital on 2024-06-05 and entered residential care on 2024-06-10 (within 14 days)
    assert one(result[0], "home_to_care_home_after_nhs_stay", 2024).value == 1


def test_delayed_transfers_per_1000_from_the_audit(result):
    r = one(result[0], "delayed_transfer_days_per_1000", 2024)
    assert (r.numerator, r.denominator, r.value) == (6 + 2, 4, 2000)
