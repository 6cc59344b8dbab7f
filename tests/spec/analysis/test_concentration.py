"""Spec: concentration of cost, the share used by people with LTCs, physical × mental overlap."""

from __future__ import annotations

import pytest

from tests.spec import load, rows
from yearofcare.population.analysis.concentration import cost_concentration, ltc_share
from yearofcare.population.analysis.mm_overlap import mm_overlap


def person(pid: str, **kw) -> dict:
    return {"person_id": pid, "fy": 2024, "died_in_year": False, **kw}


def _year(store):
    return store.table("person_year")


# Ten people costing £1,000 in all: £500, £300 and eight at £25.
TEN = [person("p0", cost_total=500.0), person("p1", cost_total=300.0)] + [
    person(f"q{i}", cost_total=25.0) for i in range(8)
]


def test_share_of_cost_in_top_groups(store):
    load(store, {"person_year": TEN})
    expr = cost_concentration(_year(store), percents=(0.5, 20.0, 50.0))
    got = {r["top_percent"]: r for r in rows(store, expr)}
    # top 0.5% of 10 people = ceil(0.05) = 1 person: 500 / 1000
    assert got[0.5]["people"] == 1
    assert got[0.5]["share_of_cost"] == pytest.approx(500 / 1000)
    # top 20% = 2 people: (500 + 300) / 1000
    assert got[20.0]["people"] == 2
    assert got[20.0]["share_of_cost"] == pytest.approx((500 + 300) / 1000)
    # top 50% = 5 people: (500 + 300 + 3 × 25) / 1000
    assert got[50.0]["share_of_cost"] == pytest.approx((500 + 300 + 3 * 25) / 1000)
    assert got[50.0]["population"] == 10 and got[50.0]["cost_all"] == 1000.0
    assert got[20.0]["share_of_people"] == pytest.approx(2 / 10)


def test_whole_percent_of_a_thousand_is_exact(store):
    # 0.5% of 1,000 is exactly 5 people, not 6 (no floating-point ceil)
    load(store, {"person_year": [person(f"p{i:04d}", cost_total=float(i)) for i in range(1000)]})
    got = rows(store, cost_concentration(_year(store), percents=(0.5,)))
    assert got[0]["people"] == 5
    assert got[0]["cost_top"] == 999 + 998 + 997 + 996 + 995


def test_concentration_within_each_group(store):
    load(
        store,
        {
            "person_year": [
                person("a", locality="N", cost_total=90.0),
                person("b", locality="N", cost_total=10.0),
                person("c", locality="S", cost_total=40.0),
                person("d", locality="S", cost_total=60.0),
            ]
        },
    )
    expr = cost_concentration(_year(store), by="locality", percents=(50.0,))
    got = {r["split_value"]: r["share_of_cost"] for r in rows(store, expr)}
    # everyone: top 2 of 4 = (90 + 60) / 200; N: 90 / 100; S: 60 / 100
    assert got == pytest.approx({"All": 150 / 200, "N": 90 / 100, "S": 60 / 100})


LTC = [
    person("a", ltc_count=0, cost_total=100.0, n_gp=2, n_outpatient=0),
    person(
        "b",
        ltc_count=1,
        cost_total=300.0,
        n_gp=3,
        n_outpatient=1,
        n_non_elective=1,
        n_emergency=1,
        bed_days_acute=2.0,
        bed_days_community=1.0,
    ),
    person("c", ltc_count=3, cost_total=600.0, n_gp=5, n_outpatient=3, bed_days_mental_health=4.0),
    person("d", ltc_count=0, cost_total=0.0),
]


def test_people_with_ltcs_share(store):
    load(store, {"person_year": LTC})
    got = {r["measure"]: r for r in rows(store, ltc_share(_year(store)))}
    assert got["cost"]["people_with_ltc"] == 2 and got["cost"]["people_total"] == 4
    assert got["cost"]["share_of_people"] == pytest.approx(2 / 4)
    assert got["cost"]["share_with_ltc"] == pytest.approx((300 + 600) / 1000)
    assert got["gp_contacts"]["share_with_ltc"] == pytest.approx((3 + 5) / (2 + 3 + 5))
    assert got["outpatient_attendances"]["share_with_ltc"] == pytest.approx(4 / 4)
    # bed days = acute + community + mental health: (2 + 1 + 4) of 7, all used by b and c
    assert got["bed_days"]["total_all"] == 7.0
    assert got["bed_days"]["share_with_ltc"] == pytest.approx(1.0)
    assert got["emergency_admissions"]["total_with_ltc"] == 1.0


def test_physical_by_mental_overlap(store):
    load(
        store,
        {
            "person_year": [
                person("a", physical_ltc_count=0, mental_ltc_count=0, cost_total=100.0),
                person("b", physical_ltc_count=1, mental_ltc_count=1, cost_total=200.0),
                person("c", physical_ltc_count=5, mental_ltc_count=3, cost_total=900.0),
                person("d", physical_ltc_count=4, mental_ltc_count=2, cost_total=300.0),
            ]
        },
    )
    got = rows(store, mm_overlap(_year(store)), ["physical_band", "mental_band"])
    cells = {(r["physical_band"], r["mental_band"]): r for r in got}
    assert set(cells) == {("0", "0"), ("1", "1"), ("4+", "2+")}
    assert cells[("4+", "2+")]["people"] == 2
    assert cells[("4+", "2+")]["mean_cost"] == (900 + 300) / 2
    assert cells[("4+", "2+")]["share_of_people"] == pytest.approx(2 / 4)
