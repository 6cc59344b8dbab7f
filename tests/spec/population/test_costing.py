"""Costing: the unit-cost tables, and the errors that stop a build instead of a silent zero."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.spec import load
from yearofcare.errors import ConfigError, InputError
from yearofcare.population.config import PopulationConfig
from yearofcare.population.costing import check_block_contracts, load_unit_costs
from yearofcare.population.person_year import build
from yearofcare.population.refdata import reference_dir

D = date
PERSON = [{"person_id": "p1", "sex": "F", "birth_year": 1950, "birth_month": 5}]


def _rate(frame: pd.DataFrame, setting: str, currency: str = "*") -> float:
    row = frame[(frame.setting == setting) & (frame.currency == currency)]
    return float(row.unit_cost.iloc[0])


def test_default_unit_costs_have_the_stated_values():
    f = load_unit_costs(PopulationConfig().unit_costs).frame
    assert _rate(f, "acute_non_elective") == 1590
    assert _rate(f, "acute_elective") == 3684
    assert _rate(f, "acute_day_case") == 738
    assert _rate(f, "outpatient") == 120
    assert _rate(f, "ae") == 148
    assert _rate(f, "gp") == 40
    assert _rate(f, "community") == 47
    assert _rate(f, "social_care", "home_care") == 26


@pytest.mark.parametrize("name", ["nhsi_2017", "pssru_2017"])
def test_unit_cost_files_state_publisher_and_year(name):
    text = (reference_dir("unit_costs") / f"{name}.csv").read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("2017" in line for line in header)
    assert any(("NHS Improvement" in line) or ("PSSRU" in line) for line in header)


def test_an_unknown_unit_cost_table_is_a_config_error():
    with pytest.raises(ConfigError, match="'nope' does not exist"):
        load_unit_costs(("nope",))


def test_a_later_unit_cost_table_overrides_an_earlier_one():
    both = load_unit_costs(("nhsi_2017", "nhsi_2017")).frame
    assert len(both) == len(load_unit_costs(("nhsi_2017",)).frame)


def test_a_negative_block_value_is_an_error():
    frame = pd.DataFrame(
        [
            {
                "contract_id": "C9",
                "fy": 2023,
                "setting": "community",
                "value": -5,
                "rule": "activity_share",
            }
        ]
    )
    with pytest.raises(InputError, match="C9 has a negative value"):
        check_block_contracts(frame)


def test_missing_unit_cost_is_an_error_naming_setting_and_currency(store):
    load(
        store,
        {
            "person": PERSON,
            "activity": [
                {
                    "activity_id": "a1",
                    "person_id": "p1",
                    "source": "spec",
                    "setting": "ambulance",
                    "currency": "see_and_convey",
                    "start_date": D(2023, 5, 1),
                }
            ],
        },
    )
    with pytest.raises(InputError, match="setting ambulance currency see_and_convey"):
        build(store, years=[2023])
    assert not store.exists("person_year")  # nothing half-written


def test_a_negative_supplied_cost_is_an_error(store):
    load(
        store,
        {
            "person": PERSON,
            "activity": [
                {
                    "activity_id": "a1",
                    "person_id": "p1",
                    "source": "spec",
                    "setting": "gp",
                    "start_date": D(2023, 5, 1),
                    "cost": -40.0,
                }
            ],
        },
    )
    with pytest.raises(InputError, match=r"negative cost, e\.g\. a1"):
        build(store, years=[2023])


def test_a_unit_cost_per_a_different_unit_is_an_error(store):
    load(
        store,
        {
            "person": PERSON,
            "activity": [
                {
                    "activity_id": "a1",
                    "person_id": "p1",
                    "source": "spec",
                    "setting": "social_care",
                    "currency": "home_care",
                    "unit_type": "weeks",
                    "units": 2.0,
                    "start_date": D(2023, 5, 1),
                }
            ],
        },
    )
    with pytest.raises(InputError, match="is per hours but 1 row"):
        build(store, years=[2023])


def test_units_multiply_the_unit_cost(store):
    load(
        store,
        {
            "person": PERSON,
            "activity": [
                {
                    "activity_id": "a1",
                    "person_id": "p1",
                    "source": "spec",
                    "setting": "social_care",
                    "currency": "home_care",
                    "unit_type": "hours",
                    "units": 7.5,
                    "start_date": D(2023, 5, 1),
                }
            ],
        },
    )
    build(store, years=[2023])
    t = store.table("person_year")
    assert store.to_pandas(t.select("cost_social_care")).iloc[0, 0] == 26 * 7.5


def test_fast_and_row_by_row_costing_agree(store):
    """person_year is the same whether activity_costed is kept (row by row) or not (fast path)."""
    settings = ["acute_non_elective", "outpatient", "gp", "community", "ae", "social_care"]
    activity = []
    for i in range(60):
        setting = settings[i % len(settings)]
        row = {
            "activity_id": f"a{i}",
            "person_id": f"p{i % 7}",
            "source": "spec",
            "setting": setting,
            "start_date": D(2022 + i % 2, 1 + i % 12, 1 + i % 28),
            "bed_days": float(i % 3),
        }
        if setting == "social_care":
            row.update(currency="home_care", unit_type="hours", units=float(i % 5))
        if i % 4 == 0:
            row.update(cost=float(10 * i), cost_basis="actual")
        activity.append(row)
    people = [{"person_id": f"p{i}", "sex": "F", "birth_year": 1950 + i} for i in range(7)]
    load(store, {"person": people, "activity": activity})
    key = ["person_id", "fy"]
    build(store, years=[2021, 2022])
    fast = store.to_pandas(store.table("person_year")).sort_values(key)
    build(store, PopulationConfig(keep_activity_costed=True), [2021, 2022])
    rowwise = store.to_pandas(store.table("person_year")).sort_values(key)
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), rowwise.reset_index(drop=True))
    assert fast.cost_total.sum() > 0
