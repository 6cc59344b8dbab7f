"""Spec: bed demand by setting and month, spreading stays over the months they span."""

from __future__ import annotations

from datetime import date

import pytest

from tests.spec import load, rows
from yearofcare.population.analysis.beds import bed_demand


def stay(aid, setting, start, end, bed_days, service_type=None, unit_type=None, pid="p1"):
    return {
        "activity_id": aid,
        "person_id": pid,
        "source": "spec",
        "setting": setting,
        "service_type": service_type,
        "unit_type": unit_type,
        "start_date": start,
        "end_date": end,
        "bed_days": bed_days,
    }


STAYS = [
    # acute: 30 Jan -> 3 Feb 2024, 4 nights: 30, 31 Jan | 1, 2 Feb
    stay("a1", "acute_non_elective", date(2024, 1, 30), date(2024, 2, 3), 4.0),
    # community bed across the financial year end: 31 Mar | 1 Apr
    stay(
        "c1",
        "community",
        date(2024, 3, 31),
        date(2024, 4, 2),
        2.0,
        service_type="community_bed",
        pid="p2",
    ),
    # nursing home from 1 Dec 2023 with no end date, 62 days: all of Dec and Jan
    stay(
        "h1",
        "social_care",
        date(2023, 12, 1),
        None,
        62.0,
        service_type="nursing_care",
        pid="p3",
    ),
    # mental health inpatient with no recorded bed days: 10 to 20 Feb = 10 nights
    stay("m1", "mental_health", date(2024, 2, 10), date(2024, 2, 20), None, unit_type="bed_days"),
    # not bed stays: a district nursing contact and a day case with no bed days
    stay("n1", "community", date(2024, 1, 5), date(2024, 1, 5), None, "district_nursing"),
    stay("d1", "acute_day_case", date(2024, 1, 6), date(2024, 1, 6), 0.0),
]


def _demand(store, fys=(2023, 2024), **kw):
    got = rows(store, bed_demand(store.table("activity"), fys, **kw))
    return {(r["split_value"], r["bed_setting"], _date(r["month"])): r for r in got}


def _date(v) -> date:
    return v.date() if hasattr(v, "date") else v


def test_stays_spread_across_month_boundaries(store):
    load(store, {"activity": STAYS})
    got = _demand(store)
    jan, feb = got[("All", "acute", date(2024, 1, 1))], got[("All", "acute", date(2024, 2, 1))]
    assert (jan["bed_days"], feb["bed_days"]) == (2.0, 2.0)
    assert jan["mean_beds_occupied"] == pytest.approx(2 / 31)
    assert feb["mean_beds_occupied"] == pytest.approx(2 / 29)  # 2024 is a leap year
    assert jan["fy"] == 2023 and jan["days_in_month"] == 31
    assert jan["people"] == 1 and jan["stays"] == 1
    # the community stay is split between two financial years
    mar = got[("All", "community", date(2024, 3, 1))]
    apr = got[("All", "community", date(2024, 4, 1))]
    assert (mar["bed_days"], mar["fy"], apr["bed_days"], apr["fy"]) == (1.0, 2023, 1.0, 2024)
    assert apr["mean_beds_occupied"] == pytest.approx(1 / 30)


def test_open_ended_and_unrecorded_stays(store):
    load(store, {"activity": STAYS})
    got = _demand(store)
    dec = got[("All", "care_home", date(2023, 12, 1))]
    jan = got[("All", "care_home", date(2024, 1, 1))]
    assert (dec["bed_days"], jan["bed_days"]) == (31.0, 31.0)
    assert dec["mean_beds_occupied"] == pytest.approx(1.0)
    assert ("All", "care_home", date(2024, 2, 1)) not in got
    assert got[("All", "mental_health", date(2024, 2, 1))]["bed_days"] == 10.0
    assert {k[1] for k in got} == {"acute", "community", "care_home", "mental_health"}


def test_only_months_of_the_years_asked_for(store):
    load(store, {"activity": STAYS})
    got = _demand(store, fys=(2024,))
    assert list(got) == [("All", "community", date(2024, 4, 1))]


def test_total_bed_days_are_kept_when_stays_are_spread(store):
    # recorded bed days (3) differ from the dates (2 nights): shared pro rata, total kept
    load(
        store,
        {"activity": [stay("a", "acute_elective", date(2024, 1, 31), date(2024, 2, 2), 3.0)]},
    )
    got = _demand(store)
    assert got[("All", "acute", date(2024, 1, 1))]["bed_days"] == pytest.approx(3 * 1 / 2)
    assert got[("All", "acute", date(2024, 2, 1))]["bed_days"] == pytest.approx(3 * 1 / 2)


def test_bed_demand_split_by_the_group_in_that_year(store):
    load(
        store,
        {
            "activity": STAYS,
            "person_year": [
                {"person_id": "p1", "fy": 2023, "locality": "North", "died_in_year": False},
                {"person_id": "p2", "fy": 2023, "locality": "South", "died_in_year": False},
                {"person_id": "p2", "fy": 2024, "locality": "North", "died_in_year": False},
            ],
        },
    )
    got = _demand(store, py=store.table("person_year"), by="locality")
    assert got[("North", "acute", date(2024, 1, 1))]["bed_days"] == 2.0
    assert got[("South", "community", date(2024, 3, 1))]["bed_days"] == 1.0
    assert got[("North", "community", date(2024, 4, 1))]["bed_days"] == 1.0
    assert got[("Unknown", "care_home", date(2023, 12, 1))]["bed_days"] == 31.0
