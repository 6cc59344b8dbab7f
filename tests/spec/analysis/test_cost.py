"""Spec: cost by number of LTCs × age, the setting split, and the strength of each (eta²)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.spec import load, rows
from yearofcare.population.analysis.cost_by_ltc import (
    cost_by_ltc_age,
    cost_by_ltc_setting,
    cost_strength,
)
from yearofcare.population.analysis.kent import kent_findings, summarise_kent


def person(pid: str, fy: int = 2024, **kw) -> dict:
    return {"person_id": pid, "fy": fy, "died_in_year": False, **kw}


# Four people in 2024 (and one in 2023 that the 2024 analyses must ignore):
#   a: 18-64, 0 LTCs, £100 (GP £100)
#   b: 65-74, 0 LTCs, £300 (GP £200, non-elective £100)
#   c: 18-64, 2 LTCs, £500 (non-elective £500)
#   d: 65-74, 6 LTCs, £700 (non-elective £600, GP £100)
PEOPLE = [
    person("a", age_band="18-64", ltc_count=0, cost_total=100.0, cost_gp=100.0),
    person(
        "b",
        age_band="65-74",
        ltc_count=0,
        cost_total=300.0,
        cost_gp=200.0,
        cost_non_elective=100.0,
    ),
    person("c", age_band="18-64", ltc_count=2, cost_total=500.0, cost_non_elective=500.0),
    person(
        "d",
        age_band="65-74",
        ltc_count=6,
        cost_total=700.0,
        cost_non_elective=600.0,
        cost_gp=100.0,
    ),
    person("a", fy=2023, age_band="18-64", ltc_count=0, cost_total=99999.0),
]


def _year(store, fy=2024):
    py = store.table("person_year")
    return py.filter(py.fy == fy)


def test_cost_by_ltc_band_and_age(store):
    load(store, {"person_year": PEOPLE})
    got = rows(store, cost_by_ltc_age(_year(store)), ["ltc_band", "age_band"])
    assert [(r["ltc_band"], r["age_band"], r["people"]) for r in got] == [
        ("0", "18-64", 1),
        ("0", "65-74", 1),
        ("2", "18-64", 1),
        ("5+", "65-74", 1),  # 6 LTCs fall in the 5+ band
    ]
    assert [r["mean_cost"] for r in got] == [100.0, 300.0, 500.0, 700.0]
    assert {r["split_by"] for r in got} == {"all"} and {r["fy"] for r in got} == {2024}


def test_setting_split_stacks_to_band_cost(store):
    load(store, {"person_year": PEOPLE})
    got = rows(store, cost_by_ltc_setting(_year(store)), ["ltc_band", "cost_group"])
    band0 = {r["cost_group"]: r for r in got if r["ltc_band"] == "0"}
    assert len(band0) == 12  # every cost group, zeros included
    # band 0: a + b = 2 people, £400; GP £300 -> £150 a head, 300/400 of the band's cost
    assert band0["gp"]["people"] == 2
    assert band0["gp"]["mean_cost"] == pytest.approx(300 / 2)
    assert band0["gp"]["share_of_band_cost"] == pytest.approx(300 / 400)
    assert band0["non_elective"]["share_of_band_cost"] == pytest.approx(100 / 400)
    assert band0["elective"]["cost"] == 0.0
    top = {r["cost_group"]: r for r in got if r["ltc_band"] == "5+"}
    assert top["non_elective"]["mean_cost"] == 600.0


def test_strength_is_eta_squared(store):
    load(store, {"person_year": PEOPLE})
    got = {r["factor"]: r for r in rows(store, cost_strength(_year(store)))}
    # mean = (100 + 300 + 500 + 700) / 4 = 400; SS total = 300² + 100² + 100² + 300² = 200,000
    # LTC bands: 0 -> {100, 300} mean 200; 2 -> {500}; 5+ -> {700}
    ss_ltc = 2 * (200 - 400) ** 2 + (500 - 400) ** 2 + (700 - 400) ** 2
    # age: 18-64 -> {100, 500} mean 300; 65-74 -> {300, 700} mean 500
    ss_age = 2 * (300 - 400) ** 2 + 2 * (500 - 400) ** 2
    assert got["ltc_band"]["eta_squared"] == pytest.approx(ss_ltc / 200_000)
    assert got["age_band"]["eta_squared"] == pytest.approx(ss_age / 200_000)
    assert got["ltc_band_x_age_band"]["eta_squared"] == pytest.approx(1.0)  # one person a cell
    assert got["ltc_band"]["levels"] == 3 and got["age_band"]["levels"] == 2
    assert got["ltc_band"]["people"] == 4 and got["ltc_band"]["mean_cost"] == 400.0


def test_split_by_group_adds_group_rows(store):
    load(
        store,
        {"person_year": [{**p, "sex": "F" if p["person_id"] in "ab" else "M"} for p in PEOPLE]},
    )
    got = rows(store, cost_strength(_year(store), by="sex"), ["split_by", "split_value"])
    assert {(r["split_by"], r["split_value"]) for r in got} == {
        ("all", "All"),
        ("sex", "F"),
        ("sex", "M"),
    }
    women = next(r for r in got if r["split_value"] == "F" and r["factor"] == "ltc_band")
    # a (100) and b (300) both have 0 LTCs: LTC band explains none of their difference
    assert women["eta_squared"] == pytest.approx(0.0) and women["people"] == 2


def test_unknown_age_is_its_own_band_not_0_17(store):
    """Issue 9 item 2: a person-year of unknown age (no birth year) sits in the `unknown` band
    of the analyses, beside the five age bands, and counts as its own level of age in the
    strength of age; an empty band is the same `unknown` band, not a second spelling."""
    unknown = [
        person("e", age_band="unknown", ltc_count=0, cost_total=900.0),
        person("f", age_band=None, ltc_count=2, cost_total=300.0),
    ]
    load(store, {"person_year": PEOPLE + unknown})
    got = rows(store, cost_by_ltc_age(_year(store)), ["ltc_band", "age_band"])
    assert [(r["ltc_band"], r["age_band"], r["people"]) for r in got] == [
        ("0", "18-64", 1),
        ("0", "65-74", 1),
        ("0", "unknown", 1),
        ("2", "18-64", 1),
        ("2", "unknown", 1),
        ("5+", "65-74", 1),
    ]
    strength = {r["factor"]: r for r in rows(store, cost_strength(_year(store)))}
    # age: 18-64, 65-74 and unknown; six people, none left out
    assert strength["age_band"]["levels"] == 3 and strength["age_band"]["people"] == 6


def test_missing_group_value_is_unknown(store):
    load(store, {"person_year": PEOPLE})  # locality left empty
    got = rows(store, cost_by_ltc_age(_year(store), by="locality"))
    assert {r["split_value"] for r in got} == {"All", "Unknown"}


def test_kent_findings_from_tables():
    strength = pd.DataFrame(
        {
            "split_by": ["all", "all"],
            "factor": ["ltc_band", "age_band"],
            "eta_squared": [0.3, 0.1],
        }
    )
    setting = pd.DataFrame(
        {
            "split_by": ["all"] * 6,
            "ltc_band": ["0", "0", "0", "5+", "5+", "5+"],
            "cost_group": ["non_elective", "gp", "social_care"] * 2,
            "mean_cost": [100.0, 100.0, 50.0, 2100.0, 400.0, 550.0],
        }
    )
    k = summarise_kent(strength, setting)
    assert k["ltc_explains_more_than_age"] is True
    # excess 5+ vs 0: non-elective 2000, social care 500, GP 300 -> 2000 / 2800
    assert k["excess_by_setting"] == {"non_elective": 2000.0, "social_care": 500.0, "gp": 300.0}
    assert k["non_elective_share_of_excess"] == pytest.approx(2000 / 2800)
    assert k["excess_mostly_non_elective"] is True and k["compared_bands"] == ("0", "5+")
    assert k["largest_excess_margin"] == pytest.approx(2000 / 500)


def test_kent_finding_needs_a_clear_margin_not_just_the_largest_slice():
    strength = pd.DataFrame({"split_by": ["all"], "factor": ["ltc_band"], "eta_squared": [0.3]})
    setting = pd.DataFrame(
        {
            "split_by": ["all"] * 4,
            "ltc_band": ["0", "0", "5+", "5+"],
            "cost_group": ["non_elective", "social_care"] * 2,
            "mean_cost": [100.0, 100.0, 1300.0, 1100.0],
        }
    )
    k = summarise_kent(strength, setting)
    # non-elective 1200 is the largest part, but only 1.2 x social care's 1000
    assert k["largest_excess_setting"] == "non_elective"
    assert k["largest_excess_margin"] == pytest.approx(1200 / 1000)
    assert k["excess_mostly_non_elective"] is False


def test_kent_findings_on_the_store(store):
    load(store, {"person_year": PEOPLE})
    k = kent_findings(store)
    assert k["fy"] == 2024
    assert k["eta_squared_ltc"] > k["eta_squared_age"]
    assert k["largest_excess_setting"] == "non_elective"  # 5+ vs 0: NE 600 - 50 = 550
