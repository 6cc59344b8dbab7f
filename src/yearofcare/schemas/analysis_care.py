"""Derived tables of `yoc analyse` added for seed 004 §5.2 and §5.6: the monthly crisis curves,
cost by care organisation, bed demand by LTCs, people with a learning disability and people in
their last year of life. Conventions as in `schemas.analysis` (suppressed aggregates, splits,
the analysis population on every row)."""

from __future__ import annotations

from yearofcare.schemas.analysis import _fy, _n, _split, _t, _v
from yearofcare.schemas.model import Column as C

crisis_months = _t(
    "analysis_crisis_months",
    "one row per split group × event × month from the event",
    "The monthly crisis curves: mean cost per person in each month around death (24 months up "
    "to it) and around a first emergency admission (12 months either side).",
    [
        *_split(),
        C(
            "anchor",
            "string",
            "death or first_emergency_admission.",
            nullable=False,
            allowed=("death", "first_emergency_admission"),
        ),
        C("anchor_label", "string", "The event in words."),
        C("months_from_event", "int16", "Months from the event's month (0).", nullable=False),
        _n("people", "People followed whose month falls inside the years analysed"),
        _n("deaths", "Of them, people who had died by the end of the month"),
        _v("cost_total", "Their cost in the month, pounds"),
        _v("mean_cost", "Mean cost per person in the month (the dead count as zero), pounds"),
        _v("mean_cost_hospital", "Of it, acute hospital care (inpatient, outpatient, A&E)"),
        _v("mean_cost_out_of_hospital", "Of it, care outside hospital"),
        _v("mean_cost_non_elective", "Of it, acute non-elective care"),
    ],
    ["split_by", "split_value", "anchor", "months_from_event"],
)

cost_by_organisation = _t(
    "analysis_cost_by_organisation",
    "one row per split group × care organisation × cost group (and total)",
    "Cost by care organisation (Kent Figure 7): the population's cost, people and activity "
    "under each providing organisation, by setting and in total.",
    [
        _fy(),
        *_split(),
        C("organisation", "string", "Provider code (not recorded when missing).", nullable=False),
        C("cost_group", "string", "Setting group, or total.", nullable=False),
        _n("people", "People with care from the organisation"),
        _n("activity", "Activity rows (spells, attendances, contacts, items, weeks)"),
        _v("cost", "Cost, pounds"),
        _v("mean_cost", "Cost per person, pounds"),
        _v("share_of_cost", "Share of all the population's cost (0–1)"),
    ],
    ["fy", "split_by", "split_value", "organisation", "cost_group"],
)

bed_demand_by_ltc = _t(
    "analysis_bed_demand_by_ltc",
    "one row per split group × LTC band × bed setting",
    "Who occupies the beds: bed days in acute, community, mental health and care home beds by "
    "number of long-term conditions.",
    [
        _fy(),
        *_split(),
        C("ltc_band", "string", "Number of LTCs: 0, 1, 2, 3, 4 or 5+.", nullable=False),
        C(
            "bed_setting",
            "string",
            "acute, community, mental_health or care_home.",
            nullable=False,
            allowed=("acute", "community", "mental_health", "care_home"),
        ),
        _n("people", "People in the LTC band"),
        _n("people_with_bed_days", "Of them, people with bed days in the setting"),
        _v("bed_days", "Bed days in the year"),
        _v("bed_days_per_1000", "Bed days per 1,000 people in the band"),
        _v("mean_beds_occupied", "Bed days / days in the year: beds in use on an average day"),
        _v("share_of_bed_days", "The band's share of the setting's bed days (0–1)"),
    ],
    ["fy", "split_by", "split_value", "ltc_band", "bed_setting"],
)

learning_disability = _t(
    "analysis_learning_disability",
    "one row per split group × group × physical LTC band (and all)",
    "People with a learning disability beside everyone else, by number of physical long-term "
    "conditions: people, deaths, cost and emergency admissions.",
    [
        _fy(),
        *_split(),
        C(
            "group",
            "string",
            "learning_disability or no_learning_disability.",
            nullable=False,
            allowed=("learning_disability", "no_learning_disability"),
        ),
        C("physical_band", "string", "Physical LTCs: all, 0, 1, 2, 3 or 4+.", nullable=False),
        _n("people", "People"),
        _n("deaths", "Deaths in the year"),
        _v("cost_total", "Total cost, pounds"),
        _v("mean_cost", "Mean cost per person, pounds"),
        _v("mean_cost_non_elective", "Mean acute non-elective cost per person, pounds"),
        _v("emergency_admissions_per_1000", "Emergency admissions per 1,000 people"),
        _v("share_of_group", "Share of the group's people (0–1)"),
    ],
    ["fy", "split_by", "split_value", "group", "physical_band"],
)

last_year_of_life = _t(
    "analysis_last_year_of_life",
    "one row per split group × group × cost group (and total)",
    "People in their last year of life beside everyone else: cost by setting and their share of "
    "each setting's cost.",
    [
        _fy(),
        *_split(),
        C(
            "group",
            "string",
            "last_year_of_life or others.",
            nullable=False,
            allowed=("last_year_of_life", "others"),
        ),
        C("cost_group", "string", "Setting group, or total.", nullable=False),
        _n("people", "People"),
        _v("cost", "Cost in the setting, pounds"),
        _v("mean_cost", "Cost in the setting per person, pounds"),
        _v("share_of_setting_cost", "The group's share of the setting's cost (0–1)"),
    ],
    ["fy", "split_by", "split_value", "group", "cost_group"],
)

TABLES = (
    crisis_months,
    cost_by_organisation,
    bed_demand_by_ltc,
    learning_disability,
    last_year_of_life,
)
