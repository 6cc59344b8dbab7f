"""The economy beside England's figures (`population/england.py`): tiny tables, worked answers."""

from __future__ import annotations

from datetime import date

import pytest

from tests.spec import load
from yearofcare.population.config import PopulationConfig
from yearofcare.population.england import england_facts


def _py(pid: str, age: int, ltc: int, **kw) -> dict:
    row = {
        "person_id": pid,
        "fy": 2024,
        "age": age,
        "months_registered": 12,
        "ltc_count": ltc,
        "ltc_diabetes": False,
        "n_elective": 0,
        "n_day_case": 0,
        "died_in_year": False,
    }
    row.update(kw)
    return row


PEOPLE = [
    _py("a", 40, 0, n_elective=1, months_registered=6),
    _py("b", 50, 1, n_day_case=2, ltc_diabetes=True),
    _py("c", 86, 2, ltc_diabetes=True),
    _py("d", 90, 3),
    _py("x", 30, 5, months_registered=0, n_elective=4),  # outside the population
]


def _spell(aid: str, pid: str, setting: str, bed: float, cost: float | None) -> dict:
    return {
        "activity_id": aid,
        "person_id": pid,
        "source": "spec",
        "setting": setting,
        "start_date": date(2024, 6, 1),
        "unit_type": "spell",
        "bed_days": bed,
        "cost": cost,
    }


ACTIVITY = [
    _spell("n1", "c", "acute_non_elective", 0.0, 250.0),  # a cheap spell: under £300
    _spell("n2", "c", "acute_non_elective", 3.0, 4000.0),
    _spell("n3", "d", "acute_non_elective", 12.0, None),  # priced: long stay at 2024/25 prices
    _spell("e1", "a", "acute_elective", 2.0, 3000.0),
    _spell("d1", "b", "acute_day_case", 0.0, 1000.0),
    _spell("x1", "x", "acute_non_elective", 1.0, 100.0),  # not in the population
    {
        "activity_id": "r1",
        "person_id": "b",
        "source": "spec",
        "setting": "prescribing",
        "start_date": date(2024, 7, 1),
        "units": 2.0,
        "cost": 10.0,
        "primary_code": "0601022B0AAABAB",
        "primary_code_system": "BNF",
    },
]


def test_england_facts_on_a_tiny_economy(store):
    load(store, {"person_year": PEOPLE, "activity": ACTIVITY})
    f = england_facts(store, 2024, config=PopulationConfig()).set_index("measure").value
    # per person-year registered: a, 6 months; b, c, d, 12 months
    assert f["Elective admissions per 1,000"] == pytest.approx(1000 * 1 / 3.5)
    assert f["Day-case admissions per 1,000"] == pytest.approx(1000 * 2 / 3.5)
    ne = 250 + 4000 + 5395  # n3: 12 bed days, long stay within the trim point
    assert f["Non-elective spend / elective and day-case spend"] == pytest.approx(ne / 4000)
    assert f["Non-elective spells costing under £300 (%)"] == pytest.approx(100 / 3)
    assert f["Mean non-elective spell cost (£), 0-1 days"] == pytest.approx(250)
    assert f["Mean non-elective spell cost (£), 10+ days"] == pytest.approx(5395)
    # b has diabetes and an antidiabetic item; c has diabetes and none
    assert f["People with an antidiabetic item / people with diabetes"] == pytest.approx(1 / 2)
    assert f["1+ LTC (%)"] == pytest.approx(75)
    assert f["2+ LTCs (%)"] == pytest.approx(50)
    assert f["2+ LTCs, aged 85+ (%)"] == pytest.approx(100)
