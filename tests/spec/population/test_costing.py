"""Costing: the unit-cost tables, and the errors that stop a build instead of a silent zero."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from tests.spec import load
from yearofcare.errors import ConfigError, InputError
from yearofcare.population.config import PopulationConfig
from yearofcare.population.costing import check_block_contracts
from yearofcare.population.person_year import build
from yearofcare.population.prices import check_unit_costs, load_unit_costs
from yearofcare.population.refdata import RefFile, reference_dir

D = date
PERSON = [{"person_id": "p1", "sex": "F", "birth_year": 1950, "birth_month": 5}]


def _rate(frame: pd.DataFrame, setting: str, currency: str = "*", los: float = 0) -> float:
    row = frame[
        (frame.setting == setting)
        & (frame.currency == currency)
        & (frame.los_min <= los)
        & (frame.los_max >= los)
    ]
    assert len(row) == 1, (setting, currency, los)
    return float(row.unit_cost.iloc[0])


#: NHS cost uplift index (reference/uplift/nhs_cost_uplift_2025_26.csv): levels by year
LEVEL = {2016: 1.0209, 2023: 1.2623381253, 2024: 1.3254550316, 2025: 1.3894745096}


def up(price_year: int, fy: int) -> float:
    return LEVEL[fy] / LEVEL[price_year]


def test_default_unit_costs_have_the_stated_values():
    f = load_unit_costs(PopulationConfig().unit_costs).frame
    # NCC 2024/25 (ncc_2024_25.csv) at 2024/25 prices
    assert _rate(f, "acute_non_elective", los=0) == _rate(f, "acute_non_elective", los=1) == 824
    assert _rate(f, "acute_non_elective", los=2) == _rate(f, "acute_non_elective", los=60) == 5395
    assert _rate(f, "acute_elective") == 6624
    assert _rate(f, "acute_day_case") == 1078
    assert _rate(f, "ae") == 280
    # PSSRU 2025 (pssru_2025.csv): GP consultations by type
    assert _rate(f, "gp") == _rate(f, "gp", "surgery_consultation") == 48
    assert _rate(f, "gp", "telephone_consultation") == pytest.approx(48 * 27 / 45)
    assert _rate(f, "gp", "home_visit") == pytest.approx(48 * 114 / 45)
    assert _rate(f, "gp", "video_consultation") == 48
    # 2016/17 rows still in force where no newer verified figure exists
    assert _rate(f, "outpatient") == 120
    assert _rate(f, "acute_non_elective", "excess_bed_day") == 313
    assert _rate(f, "community") == 47
    assert _rate(f, "social_care", "home_care") == 26
    assert set(f[f.table == "nhsi_2017"].price_year) == {2016}
    assert set(f[f.table == "ncc_2024_25"].price_year) == {2024}


@pytest.mark.parametrize(
    ("name", "publisher", "year"),
    [
        ("nhsi_2017", "NHS Improvement", "2016/17"),
        ("pssru_2017", "PSSRU", "2016/17"),
        ("ncc_2024_25", "National Cost Collection 2024/25", "2024/25"),
        ("pssru_2025", "Unit Costs of Health and Social Care 2025", "2024/25"),
    ],
)
def test_unit_cost_files_state_publisher_year_and_how_each_figure_was_checked(
    name, publisher, year
):
    text = (reference_dir("unit_costs") / f"{name}.csv").read_text(encoding="utf-8")
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert publisher in header and year in header
    if name in ("ncc_2024_25", "pssru_2025"):
        body = pd.read_csv(reference_dir("unit_costs") / f"{name}.csv", comment="#", dtype=str)
        assert body.source.str.len().gt(10).all()  # every figure names its table
        assert body.verification.str.len().gt(3).all()


def test_an_unknown_unit_cost_table_is_a_config_error():
    with pytest.raises(ConfigError, match="'nope' does not exist"):
        load_unit_costs(("nope",))


def test_an_unknown_uplift_index_is_a_config_error():
    with pytest.raises(ConfigError, match="uplift index 'nope' does not exist"):
        load_unit_costs(("nhsi_2017",), "nope")


def test_a_later_unit_cost_table_overrides_an_earlier_one():
    both = load_unit_costs(("nhsi_2017", "nhsi_2017")).frame
    assert len(both) == len(load_unit_costs(("nhsi_2017",)).frame)
    # the NCC's two length-of-stay rows replace the 2016/17 row for the same setting and currency
    f = load_unit_costs(("nhsi_2017", "ncc_2024_25")).frame
    ne = f[(f.setting == "acute_non_elective") & (f.currency == "*")]
    assert sorted(ne.unit_cost) == [824, 5395] and set(ne.table) == {"ncc_2024_25"}


def _table(tmp_path, rows: str) -> RefFile:
    head = "setting,currency,unit_type,unit_cost,basis,price_year,los_min,los_max,trim_days\n"
    frame = pd.read_csv(pd.io.common.StringIO(head + rows), dtype=str, keep_default_na=False)
    return RefFile("reference/unit_costs/test.csv", frame, "0")


def test_overlapping_length_of_stay_bands_are_an_error(tmp_path):
    rows = "acute_elective,*,spell,1,unit_cost,2024,0,3,\nacute_elective,*,spell,2,unit_cost,2024,3,,\n"
    with pytest.raises(InputError, match="appears twice for the same length of stay"):
        check_unit_costs(_table(tmp_path, rows))


def test_a_band_on_a_contact_is_an_error(tmp_path):
    with pytest.raises(InputError, match="line 2: length-of-stay bands and trim points"):
        check_unit_costs(_table(tmp_path, "gp,*,contact,40,unit_cost,2024,0,1,\n"))


def test_a_price_year_that_is_not_a_year_is_an_error(tmp_path):
    with pytest.raises(InputError, match="price_year '24/25' is not a financial year"):
        check_unit_costs(_table(tmp_path, "gp,*,contact,40,unit_cost,24/25,,,\n"))


def test_a_trim_point_needs_an_excess_bed_day_price():
    with pytest.raises(ConfigError, match="acute_elective has a trim point but no excess_bed_day"):
        load_unit_costs(("ncc_2024_25",))


def test_the_uplift_index_levels_and_its_stated_sources():
    costs = load_unit_costs(("nhsi_2017",), "nhs_cost_uplift_2025_26")
    u = costs.uplift
    for fy, level in LEVEL.items():
        assert u.level(fy) == pytest.approx(level)
    assert u.factor(2024, 2025) == pytest.approx(1.0483)  # NHSPS 2025/26 cost uplift 4.83%
    assert u.factor(2016, 2016) == 1.0
    assert u.level(2030) == u.level(2025) and u.held([2025, 2026]) == [2026]
    text = (reference_dir("uplift") / "nhs_cost_uplift_2025_26.csv").read_text(encoding="utf-8")
    assert "NHSCII" in text and "NHS Payment Scheme" in text and "4.83" in text


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
    got = store.to_pandas(t.select("cost_social_care")).iloc[0, 0]
    assert got == pytest.approx(26 * 7.5 * up(2016, 2023))


def _spell(aid: str, setting: str, when: date, bed_days: float | None, **kw) -> dict:
    return dict(
        activity_id=aid,
        person_id="p1",
        source="spec",
        setting=setting,
        start_date=when,
        unit_type="spell",
        bed_days=bed_days,
        **kw,
    )


def _costs(store, config: PopulationConfig | None = None) -> dict[str, float]:
    build(store, (config or PopulationConfig()).model_copy(update={"keep_activity_costed": True}))
    t = store.table("activity_costed")
    frame = store.to_pandas(t.select("activity_id", "cost"))
    return dict(zip(frame.activity_id, frame.cost, strict=True))


def test_a_spell_without_a_tariff_costs_more_when_it_is_longer(store):
    """NCC 2024/25 short stay (0-1 day) and long stay (2+ days, trim point 20 days), then
    each excess bed day at the 2016/17 price; all moved from their price year to 2024/25."""
    when = D(2024, 6, 1)
    load(
        store,
        {
            "person": PERSON,
            "activity": [
                _spell("ne0", "acute_non_elective", when, 0.0),
                _spell("ne1", "acute_non_elective", when, 1.0),
                _spell("ne5", "acute_non_elective", when, 5.0),
                _spell("ne20", "acute_non_elective", when, 20.0),
                _spell("ne25", "acute_non_elective", when, 25.0),
                _spell("el3", "acute_elective", when, 3.0),
                _spell("el18", "acute_elective", when, 18.0),
                _spell("tariff", "acute_non_elective", when, 25.0, cost=999.0),
            ],
        },
    )
    c = _costs(store)
    xs = 313 * up(2016, 2024)
    assert c["ne0"] == pytest.approx(824) and c["ne1"] == pytest.approx(824)
    assert c["ne5"] == pytest.approx(5395) and c["ne20"] == pytest.approx(5395)
    assert c["ne25"] == pytest.approx(5395 + 5 * xs)
    assert c["el3"] == pytest.approx(6624)
    assert c["el18"] == pytest.approx(6624 + 3 * xs)
    assert c["tariff"] == 999.0  # a supplied tariff is kept whatever the length of stay


def test_unit_costs_are_moved_to_the_activity_year_and_the_outputs_say_so(store):
    load(
        store,
        {
            "person": PERSON,
            "activity": [
                _spell("y23", "acute_day_case", D(2023, 6, 1), None),
                _spell("y25", "acute_day_case", D(2025, 6, 1), None),
                {
                    "activity_id": "op",
                    "person_id": "p1",
                    "source": "spec",
                    "setting": "outpatient",
                    "start_date": D(2025, 6, 2),
                },
            ],
        },
    )
    c = _costs(store)
    assert c["y23"] == pytest.approx(1078 * up(2024, 2023))
    assert c["y25"] == pytest.approx(1078 * 1.0483)
    assert c["op"] == pytest.approx(120 * up(2016, 2025))
    meta = dict(store.to_pandas(store.table("person_year_meta"))[["item", "value"]].values)
    assert meta["price_uplift"] == "nhs_cost_uplift_2025_26"
    factors = json.loads(meta["price_uplift_factors"])
    assert factors["2024/25"]["2025/26"] == pytest.approx(1.0483)
    assert factors["2016/17"]["2023/24"] == pytest.approx(up(2016, 2023), rel=1e-5)
    assert meta["unit_costs_price_years"] == "2016/17,2024/25"
    log = store.runs()
    params = json.loads(log[log.stage == "build"].iloc[-1].parameters)
    assert params["price_uplift_factors"] == factors
    # no uplift: the published prices whatever the year
    c = _costs(store, PopulationConfig(price_uplift=None))
    assert c["y23"] == c["y25"] == 1078


def test_gp_consultations_are_priced_by_type(store):
    when = D(2024, 7, 1)
    kinds = ["surgery_consultation", "telephone_consultation", "home_visit", "video_consultation"]
    load(
        store,
        {
            "person": PERSON,
            "activity": [
                {
                    "activity_id": k,
                    "person_id": "p1",
                    "source": "spec",
                    "setting": "gp",
                    "currency": k,
                    "unit_type": "contact",
                    "start_date": when,
                }
                for k in [*kinds, "online_consultation"]
            ],
        },
    )
    c = _costs(store)
    assert c["surgery_consultation"] == pytest.approx(48)
    assert c["telephone_consultation"] == pytest.approx(28.80)
    assert c["home_visit"] == pytest.approx(121.60)
    assert c["video_consultation"] == pytest.approx(48)
    assert c["online_consultation"] == pytest.approx(48)  # no PSSRU figure: the GP default


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


def test_prices_by_case_and_by_join_agree(store, monkeypatch):
    """Small tables are priced by CASE, large ones (prices by HRG) by a join: same prices."""
    import ibis

    from yearofcare.population import unit_rates

    config = PopulationConfig()
    costs = load_unit_costs(config.unit_costs, config.price_uplift)
    rows = []
    for i, (setting, currency, unit_type) in enumerate(
        [
            ("acute_non_elective", "NEL spell", "spell"),
            ("acute_elective", None, "spell"),
            ("acute_day_case", None, "spell"),
            ("gp", "home_visit", "contact"),
            ("gp", "online_consultation", "contact"),
            ("social_care", "home_care", "hours"),
            ("outpatient", None, "attendance"),
            ("ambulance", "see_and_treat", "incident"),
        ]
        * 4
    ):
        rows.append(
            {
                "id": i,
                "setting": setting,
                "currency": currency,
                "unit_type": unit_type,
                "units": float(1 + i % 3) if unit_type == "hours" else None,
                "bed_days": float((i * 7) % 31) if unit_type == "spell" else None,
                "fy": 2022 + i % 5,
            }
        )
    t = ibis.memtable(pd.DataFrame(rows))
    by_case = store.to_pandas(unit_rates.unit_price(t, costs)).sort_values("id")
    monkeypatch.setattr(unit_rates, "CASE_ROWS", 0)
    by_join = store.to_pandas(unit_rates.unit_price(t, costs)).sort_values("id")
    pd.testing.assert_frame_equal(by_case.reset_index(drop=True), by_join.reset_index(drop=True))
    assert by_case._uc_price.notna().sum() == 28  # every row but the ambulance ones
