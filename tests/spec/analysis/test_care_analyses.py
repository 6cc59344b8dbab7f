"""The analyses seed 004 §5.2 and §5.6 describe (issue 9 item 7): the monthly crisis curves,
cost by care organisation, bed demand by LTCs, learning disability, last year of life. Tiny
tables, hand-worked answers, both engines."""

from __future__ import annotations

from datetime import date

import pytest

from tests.spec import load, rows, spec_test
from yearofcare.fy import fy_expr
from yearofcare.population.analysis.beds_by_ltc import bed_demand_by_ltc
from yearofcare.population.analysis.care_groups import last_year_of_life, learning_disability
from yearofcare.population.analysis.crisis_months import crisis_months
from yearofcare.population.analysis.organisations import cost_by_organisation

D = date


def _py(pid, fy, **kw):
    return {"person_id": pid, "fy": fy, "months_registered": 12, "died_in_year": False, **kw}


def _act(aid, pid, setting, when, cost, **kw):
    return {
        "activity_id": aid,
        "person_id": pid,
        "source": "spec",
        "setting": setting,
        "start_date": when,
        "cost": cost,
        **kw,
    }


def _costed(s):
    a = s.table("activity")
    return a.select(
        "person_id",
        "setting",
        "service_type",
        "provider_code",
        "start_date",
        fy=fy_expr(a.start_date).cast("int16"),
        cost=a.cost,
    )


# ---- monthly crisis curves --------------------------------------------------------------------
CRISIS = {
    "person_year": [
        _py("d", 2023),
        _py("d", 2024, died_in_year=True, date_of_death=D(2024, 6, 15)),
        *[_py(p, fy) for p in ("e", "f", "g") for fy in (2023, 2024)],
    ],
    "activity": [
        # d dies in June 2024: £1,000 acute that month, £500 community in May, £100 GP a year before
        _act("d0", "d", "acute_non_elective", D(2024, 6, 1), 1000.0, service_type="emergency"),
        _act("d1", "d", "community", D(2024, 5, 10), 500.0),
        _act("d2", "d", "gp", D(2023, 6, 20), 100.0),
        # (d's death spell is also d's first emergency admission: d is followed from it too)
        # e: first emergency admission in July 2024 after a clear year; outpatients in January
        _act("e0", "e", "acute_non_elective", D(2024, 7, 3), 2000.0, service_type="emergency"),
        _act("e1", "e", "outpatient", D(2024, 1, 10), 50.0),
        # f: emergency admission in May 2023, less than 12 observed months in: not followed
        _act("f0", "f", "acute_non_elective", D(2023, 5, 1), 900.0, service_type="emergency"),
        # g: a delivery is not an emergency admission
        _act("g0", "g", "acute_non_elective", D(2024, 8, 1), 2400.0, service_type="maternity"),
    ],
}


def test_monthly_crisis_curves_around_death_and_a_first_emergency_admission(store):
    def expr(s):
        t = crisis_months(s.table("person_year"), _costed(s), [2023, 2024])
        keep = [("death", 0), ("death", -1), ("death", -12), ("death", -14)]
        keep += [("first_emergency_admission", k) for k in (-6, 0, 8)]
        cond = None
        for a, k in keep:
            c = (t.anchor == a) & (t.months_from_event == k)
            cond = c if cond is None else cond | c
        return t.filter(cond)

    spec_test(
        store,
        CRISIS,
        expr,
        [
            # death in June 2024; April 2023 is the first month of data: 14 months before
            {
                "anchor": "death",
                "months_from_event": 0,
                "people": 1,
                "deaths": 1,
                "mean_cost": 1000.0,
                "mean_cost_hospital": 1000.0,
                "mean_cost_non_elective": 1000.0,
            },
            {
                "anchor": "death",
                "months_from_event": -1,
                "people": 1,
                "deaths": 0,
                "mean_cost": 500.0,
                "mean_cost_hospital": 0.0,
                "mean_cost_non_elective": 0.0,
            },
            {
                "anchor": "death",
                "months_from_event": -12,
                "people": 1,
                "deaths": 0,
                "mean_cost": 100.0,
                "mean_cost_hospital": 0.0,
                "mean_cost_non_elective": 0.0,
            },
            {
                "anchor": "death",
                "months_from_event": -14,
                "people": 1,
                "deaths": 0,
                "mean_cost": 0.0,
                "mean_cost_hospital": 0.0,
                "mean_cost_non_elective": 0.0,
            },
            # d (June 2024, died that month) and e (July 2024) are followed from their first
            # emergency admission: month -6 is December 2023 for d (nothing), January for e (£50)
            {
                "anchor": "first_emergency_admission",
                "months_from_event": -6,
                "people": 2,
                "deaths": 0,
                "mean_cost": 50.0 / 2,
                "mean_cost_hospital": 50.0 / 2,
                "mean_cost_non_elective": 0.0,
            },
            {
                "anchor": "first_emergency_admission",
                "months_from_event": 0,
                "people": 2,
                "deaths": 1,
                "mean_cost": (1000.0 + 2000.0) / 2,
                "mean_cost_hospital": (1000.0 + 2000.0) / 2,
                "mean_cost_non_elective": (1000.0 + 2000.0) / 2,
            },
            # July 2024 + 8 = March 2025, e's last month in the data; d counts at no cost
            {
                "anchor": "first_emergency_admission",
                "months_from_event": 8,
                "people": 2,
                "deaths": 1,
                "mean_cost": 0.0,
                "mean_cost_hospital": 0.0,
                "mean_cost_non_elective": 0.0,
            },
        ],
    )


def test_the_curves_stop_at_the_edges_of_the_data(store):
    load(store, CRISIS)
    s = store
    t = crisis_months(s.table("person_year"), _costed(s), [2023, 2024])
    got = rows(
        s,
        t.group_by("anchor").aggregate(
            months=t.count(), first=t.months_from_event.min(), last=t.months_from_event.max()
        ),
    )
    assert got == [
        {"anchor": "death", "months": 15, "first": -14, "last": 0},
        # d from June 2024 (to March 2025: +9), e from July 2024 (+8)
        {"anchor": "first_emergency_admission", "months": 22, "first": -12, "last": 9},
    ]


# ---- cost by care organisation ----------------------------------------------------------------
def test_cost_by_organisation_counts_the_population_only(store):
    spec_test(
        store,
        {
            "person_year": [_py("a", 2024), _py("b", 2024)],  # c is not in the population
            "activity": [
                _act("1", "a", "acute_non_elective", D(2024, 5, 1), 1000.0, provider_code="RXX"),
                _act("2", "a", "outpatient", D(2024, 6, 1), 100.0, provider_code="RXX"),
                _act("3", "b", "outpatient", D(2024, 6, 2), 100.0, provider_code="RXX"),
                _act("4", "b", "gp", D(2024, 7, 1), 30.0, provider_code="P1"),
                _act("5", "b", "community", D(2024, 7, 2), 70.0),
                _act("6", "c", "outpatient", D(2024, 6, 3), 999.0, provider_code="RXX"),
                _act("7", "a", "gp", D(2023, 6, 3), 25.0, provider_code="P1"),  # another year
            ],
        },
        lambda s: cost_by_organisation(s.table("person_year"), _costed(s), 2024),
        [
            {
                "organisation": "RXX",
                "cost_group": "total",
                "people": 2,
                "activity": 3,
                "cost": 1200.0,
                "mean_cost": 600.0,
                "share_of_cost": 1200 / 1300,
            },
            {
                "organisation": "RXX",
                "cost_group": "non_elective",
                "people": 1,
                "activity": 1,
                "cost": 1000.0,
                "mean_cost": 1000.0,
                "share_of_cost": 1000 / 1300,
            },
            {
                "organisation": "RXX",
                "cost_group": "outpatient",
                "people": 2,
                "activity": 2,
                "cost": 200.0,
                "mean_cost": 100.0,
                "share_of_cost": 200 / 1300,
            },
            {
                "organisation": "P1",
                "cost_group": "total",
                "people": 1,
                "activity": 1,
                "cost": 30.0,
                "mean_cost": 30.0,
                "share_of_cost": 30 / 1300,
            },
            {
                "organisation": "P1",
                "cost_group": "gp",
                "people": 1,
                "activity": 1,
                "cost": 30.0,
                "mean_cost": 30.0,
                "share_of_cost": 30 / 1300,
            },
            {
                "organisation": "not recorded",
                "cost_group": "total",
                "people": 1,
                "activity": 1,
                "cost": 70.0,
                "mean_cost": 70.0,
                "share_of_cost": 70 / 1300,
            },
            {
                "organisation": "not recorded",
                "cost_group": "community",
                "people": 1,
                "activity": 1,
                "cost": 70.0,
                "mean_cost": 70.0,
                "share_of_cost": 70 / 1300,
            },
        ],
        approx=1e-9,
    )


# ---- bed demand by LTCs -----------------------------------------------------------------------
def test_bed_demand_by_ltc_band(store):
    days = 365  # 2024/25
    spec_test(
        store,
        {
            "person_year": [
                _py("x", 2024, ltc_count=0, bed_days_acute=10.0),
                _py("y", 2024, ltc_count=3, bed_days_acute=20.0, care_home_days=100.0),
                _py("z", 2024, ltc_count=3),
            ]
        },
        lambda s: (t := bed_demand_by_ltc(s.table("person_year"), 2024)).filter(
            t.bed_setting.isin(["acute", "care_home"])
        ),
        [
            {
                "ltc_band": "0",
                "bed_setting": "acute",
                "people": 1,
                "people_with_bed_days": 1,
                "bed_days": 10.0,
                "bed_days_per_1000": 10_000.0,
                "mean_beds_occupied": 10 / days,
                "share_of_bed_days": 10 / 30,
            },
            {
                "ltc_band": "3",
                "bed_setting": "acute",
                "people": 2,
                "people_with_bed_days": 1,
                "bed_days": 20.0,
                "bed_days_per_1000": 10_000.0,
                "mean_beds_occupied": 20 / days,
                "share_of_bed_days": 20 / 30,
            },
            {
                "ltc_band": "0",
                "bed_setting": "care_home",
                "people": 1,
                "people_with_bed_days": 0,
                "bed_days": 0.0,
                "bed_days_per_1000": 0.0,
                "mean_beds_occupied": 0.0,
                "share_of_bed_days": 0.0,
            },
            {
                "ltc_band": "3",
                "bed_setting": "care_home",
                "people": 2,
                "people_with_bed_days": 1,
                "bed_days": 100.0,
                "bed_days_per_1000": 50_000.0,
                "mean_beds_occupied": 100 / days,
                "share_of_bed_days": 1.0,
            },
        ],
        approx=1e-9,
    )


# ---- learning disability and last year of life ------------------------------------------------
def test_learning_disability_by_physical_multimorbidity(store):
    ld = {"ltc_learning_disability": True}
    spec_test(
        store,
        {
            "person_year": [
                _py(
                    "l1",
                    2024,
                    **ld,
                    physical_ltc_count=0,
                    cost_total=1000.0,
                    cost_non_elective=200.0,
                    n_emergency=1,
                    died_in_year=True,
                ),
                _py("l2", 2024, **ld, physical_ltc_count=2, cost_total=3000.0),
                _py(
                    "o1",
                    2024,
                    ltc_learning_disability=False,
                    physical_ltc_count=0,
                    cost_total=100.0,
                ),
            ]
        },
        lambda s: learning_disability(s.table("person_year"), 2024),
        [
            {
                "group": "learning_disability",
                "physical_band": "all",
                "people": 2,
                "deaths": 1,
                "mean_cost": 2000.0,
                "mean_cost_non_elective": 100.0,
                "emergency_admissions_per_1000": 500.0,
                "share_of_group": 1.0,
            },
            {
                "group": "learning_disability",
                "physical_band": "0",
                "people": 1,
                "deaths": 1,
                "mean_cost": 1000.0,
                "mean_cost_non_elective": 200.0,
                "emergency_admissions_per_1000": 1000.0,
                "share_of_group": 0.5,
            },
            {
                "group": "learning_disability",
                "physical_band": "2",
                "people": 1,
                "deaths": 0,
                "mean_cost": 3000.0,
                "mean_cost_non_elective": 0.0,
                "emergency_admissions_per_1000": 0.0,
                "share_of_group": 0.5,
            },
            {
                "group": "no_learning_disability",
                "physical_band": "all",
                "people": 1,
                "deaths": 0,
                "mean_cost": 100.0,
                "mean_cost_non_elective": 0.0,
                "emergency_admissions_per_1000": 0.0,
                "share_of_group": 1.0,
            },
            {
                "group": "no_learning_disability",
                "physical_band": "0",
                "people": 1,
                "deaths": 0,
                "mean_cost": 100.0,
                "mean_cost_non_elective": 0.0,
                "emergency_admissions_per_1000": 0.0,
                "share_of_group": 1.0,
            },
        ],
        approx=1e-9,
    )


def test_last_year_of_life_share_of_each_setting(store):
    load(
        store,
        {
            "person_year": [
                _py(
                    "p1",
                    2024,
                    last_year_of_life=True,
                    cost_total=5000.0,
                    cost_non_elective=4000.0,
                    cost_community=1000.0,
                ),
                _py("p2", 2024, last_year_of_life=False, cost_total=1000.0, cost_gp=1000.0),
            ]
        },
    )
    t = last_year_of_life(store.table("person_year"), 2024)
    got = rows(store, t.select("group", "cost_group", "people", "cost", "share_of_setting_cost"))
    by = {(r["group"], r["cost_group"]): r for r in got}
    for group, want in {
        "total": [("last_year_of_life", 5000.0, 5 / 6), ("others", 1000.0, 1 / 6)],
        "non_elective": [("last_year_of_life", 4000.0, 1.0), ("others", 0.0, 0.0)],
        "gp": [("last_year_of_life", 0.0, 0.0), ("others", 1000.0, 1.0)],
    }.items():
        for g, cost, share in want:
            r = by[(g, group)]
            assert (r["people"], r["cost"]) == (1, cost)
            assert r["share_of_setting_cost"] == pytest.approx(share)


def test_bed_demand_months_read_in_calendar_order():
    """The bed-demand table of the report runs April to March (the months used to come out of
    order). Rows as stored are ordered by setting then month; the report reorders them."""
    import pandas as pd

    from yearofcare.population.analysis.report import _tables

    months = pd.date_range("2024-04-01", periods=12, freq="MS")
    shuffled = [months[i] for i in (9, 0, 11, 3, 5, 1, 7, 2, 10, 4, 8, 6)]
    frame = pd.DataFrame(
        {
            "split_by": "all",
            "split_value": "All",
            "bed_setting": "acute",
            "month": shuffled,
            "mean_beds_occupied": 1.0,
            "suppressed": False,
        }
    )
    rows = _tables("analysis_bed_demand", frame)[0]["rows"]
    assert [r[0] for r in rows] == [m.strftime("%b %Y") for m in months]
