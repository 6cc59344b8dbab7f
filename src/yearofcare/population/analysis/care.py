"""The analyses seed 004 §5.2 and §5.6 describe beyond Kent's figures: the monthly crisis
curves, cost by care organisation, bed demand by LTCs, people with a learning disability and
people in their last year of life. Registered with the others in `run.ANALYSES`; their report
pieces (table display, chart, headline) live beside each builder."""

from __future__ import annotations

import ibis

from yearofcare.population.analysis.base import Analysis, Inputs, Skip
from yearofcare.population.analysis.beds_by_ltc import bed_demand_by_ltc
from yearofcare.population.analysis.care_groups import last_year_of_life, learning_disability
from yearofcare.population.analysis.crisis_months import crisis_months
from yearofcare.population.analysis.organisations import cost_by_organisation

_NO_ACTIVITY = "the store has no activity table, so costs by month and by organisation are unknown"


def _months(i: Inputs) -> ibis.Table | Skip:
    if i.costed is None:
        return Skip(_NO_ACTIVITY)
    return crisis_months(i.py, i.costed, i.fys, i.options.by)


def _organisations(i: Inputs) -> ibis.Table | Skip:
    if i.costed is None:
        return Skip(_NO_ACTIVITY)
    return cost_by_organisation(i.py_year, i.costed, i.fy, i.options.by)


_PEOPLE = ("people",)
CRISIS_MONTHS = Analysis(
    "analysis_crisis_months",
    "The crisis curve month by month: around death and a first emergency admission",
    _months,
    counts=("people", "deaths"),
    derived_from=dict.fromkeys(
        (
            "cost_total",
            "mean_cost",
            "mean_cost_hospital",
            "mean_cost_out_of_hospital",
            "mean_cost_non_elective",
        ),
        _PEOPLE,
    ),
    totals=("cost_total",),
    per=dict.fromkeys(
        ("mean_cost", "mean_cost_hospital", "mean_cost_out_of_hospital", "mean_cost_non_elective"),
        "people",
    ),
)
COST_BY_ORGANISATION = Analysis(
    "analysis_cost_by_organisation",
    "Cost by care organisation",
    _organisations,
    counts=("people", "activity"),
    derived_from=dict.fromkeys(("cost", "mean_cost", "share_of_cost"), _PEOPLE),
    totals=("cost", "share_of_cost"),
    per={"mean_cost": "people"},
)
BED_DEMAND_BY_LTC = Analysis(
    "analysis_bed_demand_by_ltc",
    "Bed demand by number of long-term conditions",
    lambda i: bed_demand_by_ltc(i.py_year, i.fy, i.options.by),
    counts=("people", "people_with_bed_days"),
    derived_from={
        "bed_days": ("people_with_bed_days",),
        "bed_days_per_1000": ("people", "people_with_bed_days"),
        "mean_beds_occupied": ("people_with_bed_days",),
        "share_of_bed_days": ("people_with_bed_days",),
    },
    totals=("bed_days", "mean_beds_occupied", "share_of_bed_days"),
    per={"bed_days_per_1000": "people"},
)
LEARNING_DISABILITY = Analysis(
    "analysis_learning_disability",
    "People with a learning disability",
    lambda i: learning_disability(i.py_year, i.fy, i.options.by),
    counts=("people", "deaths"),
    derived_from=dict.fromkeys(
        (
            "cost_total",
            "mean_cost",
            "mean_cost_non_elective",
            "emergency_admissions_per_1000",
            "share_of_group",
        ),
        _PEOPLE,
    ),
    totals=("cost_total",),
    per=dict.fromkeys(
        ("mean_cost", "mean_cost_non_elective", "emergency_admissions_per_1000"), "people"
    ),
    shares={"share_of_group": "people"},
)
LAST_YEAR_OF_LIFE = Analysis(
    "analysis_last_year_of_life",
    "People in their last year of life",
    lambda i: last_year_of_life(i.py_year, i.fy, i.options.by),
    counts=("people",),
    derived=("cost", "mean_cost", "share_of_setting_cost"),
    totals=("cost", "share_of_setting_cost"),
    per={"mean_cost": "people"},
)

CARE_ANALYSES = (
    CRISIS_MONTHS,
    COST_BY_ORGANISATION,
    BED_DEMAND_BY_LTC,
    LEARNING_DISABILITY,
    LAST_YEAR_OF_LIFE,
)
