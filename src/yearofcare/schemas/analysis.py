"""Derived tables of `yoc analyse`: the whole-population analyses (004 §5.2, §5.6).

Every table is an aggregate that has passed small-number suppression (yearofcare.disclosure):
counts are rounded, small counts and the values derived from them are empty, and
`suppressed` marks rows where anything was masked. Each table holds the whole population
(`split_by` = "all") and, when `yoc analyse --by` was given, the same figures per group.
"""

from __future__ import annotations

from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

_BY = "`yoc analyse` (yearofcare.population.analysis)"


def _split() -> list[C]:
    return [
        C(
            "split_by",
            "string",
            "What the rows are split by: all (whole population), practice, locality, age_band, imd_decile or sex.",
            nullable=False,
        ),
        C(
            "split_value",
            "string",
            "The group: All for the whole population, else the practice code, locality, band, decile or sex (Unknown when missing).",
            nullable=False,
        ),
    ]


def _fy(desc: str = "Financial year analysed (2024 = 2024/25).") -> C:
    return C("fy", "int16", desc, nullable=False)


def _n(name: str, desc: str) -> C:
    return C(name, "int64", f"{desc} (count: rounded; empty when suppressed).", minimum=0)


def _v(name: str, desc: str) -> C:
    return C(name, "float64", f"{desc} (empty when suppressed).")


_SUPPRESSED = C(
    "suppressed",
    "boolean",
    "True when a small count in this row (and what is derived from it) was suppressed.",
    nullable=False,
)


_POPULATION = C(
    "analysis_population",
    "string",
    "The analysis population the row counts, in words (default: registered with a practice "
    "during the year; see docs/analyses.md).",
    nullable=False,
)


def _t(name: str, grain: str, description: str, cols: list[C], key: list[str]) -> object:
    return table(
        name,
        grain,
        description,
        [*cols, _POPULATION, _SUPPRESSED],
        key=key,
        derived=True,
        produced_by=_BY,
    )


_RULE = [
    C(
        "rule",
        "string",
        "Selection rule id, kind:value (top_cost:5, ltc_min:3, top_score:5).",
        nullable=False,
    ),
    C("rule_label", "string", "Selection rule in words."),
]

cost_by_ltc_age = _t(
    "analysis_cost_by_ltc_age",
    "one row per split group × LTC band × age band",
    "Cost by number of long-term conditions (0, 1, 2, 3, 4, 5+) and age band (Kent Figure 5).",
    [
        _fy(),
        *_split(),
        C("ltc_band", "string", "Number of LTCs: 0, 1, 2, 3, 4 or 5+.", nullable=False),
        C(
            "age_band",
            "string",
            "Age band (unknown when the birth year is not known).",
            nullable=False,
        ),
        _n("people", "People"),
        _v("cost_total", "Total cost in pounds"),
        _v("mean_cost", "Mean cost per person in pounds"),
        _v("mean_cost_non_elective", "Mean acute non-elective cost per person in pounds"),
    ],
    ["fy", "split_by", "split_value", "ltc_band", "age_band"],
)

cost_by_ltc_setting = _t(
    "analysis_cost_by_ltc_setting",
    "one row per split group × LTC band × cost group",
    "Cost by number of LTCs split by care setting (the stacked bars of Kent Figure 5).",
    [
        _fy(),
        *_split(),
        C("ltc_band", "string", "Number of LTCs: 0, 1, 2, 3, 4 or 5+.", nullable=False),
        C(
            "cost_group",
            "string",
            "Setting group of person_year (non_elective, elective, …).",
            nullable=False,
        ),
        _n("people", "People in the LTC band"),
        _v("cost", "Cost in the setting, pounds"),
        _v("mean_cost", "Cost in the setting per person in the band, pounds"),
        _v("share_of_band_cost", "Share of the band's total cost spent in the setting (0–1)"),
    ],
    ["fy", "split_by", "split_value", "ltc_band", "cost_group"],
)

cost_strength = _t(
    "analysis_cost_strength",
    "one row per split group × factor",
    "How much of the variation in person cost each factor explains: eta squared (R² of cost on the factor's group means).",
    [
        _fy(),
        *_split(),
        C("factor", "string", "ltc_band, age_band or ltc_band_x_age_band.", nullable=False),
        _n("people", "People"),
        C("levels", "int64", "Number of groups of the factor with people."),
        _v("eta_squared", "Share of the variance of person cost explained by the factor (0–1)"),
        _v("mean_cost", "Mean cost per person in pounds"),
    ],
    ["fy", "split_by", "split_value", "factor"],
)

cost_concentration = _t(
    "analysis_cost_concentration",
    "one row per split group × top percentage",
    "Share of cost spent on the most costly 0.5%, 1%, 5%, 10% and 20% of people.",
    [
        _fy(),
        *_split(),
        C("top_percent", "float64", "The top percentage of people by cost.", nullable=False),
        _n("people", "People in the top group"),
        _n("population", "People in the split group"),
        _v("cost_top", "Cost of the top group in pounds"),
        _v("cost_all", "Cost of everyone in the split group in pounds"),
        _v("share_of_people", "People in the top group / population"),
        _v("share_of_cost", "Cost of the top group / cost of everyone (0–1)"),
    ],
    ["fy", "split_by", "split_value", "top_percent"],
)

ltc_share = _t(
    "analysis_ltc_share",
    "one row per split group × measure",
    "What people with at least one LTC use: their share of people, cost, GP contacts, outpatient attendances, emergency admissions and bed days.",
    [
        _fy(),
        *_split(),
        C(
            "measure",
            "string",
            "cost, gp_contacts, outpatient_attendances, emergency_admissions or bed_days (acute + community + mental health).",
            nullable=False,
        ),
        _n("people_with_ltc", "People with at least one LTC"),
        _n("people_total", "People"),
        _v("total_with_ltc", "The measure summed over people with an LTC"),
        _v("total_all", "The measure summed over everyone"),
        _v("share_of_people", "People with an LTC / people (0–1)"),
        _v("share_with_ltc", "Share of the measure used by people with an LTC (0–1)"),
    ],
    ["fy", "split_by", "split_value", "measure"],
)

mm_overlap = _t(
    "analysis_mm_overlap",
    "one row per split group × physical LTC band × mental health LTC band",
    "Physical and mental health multimorbidity together: people and cost by number of physical (0–4+) and mental health (0–2+) LTCs.",
    [
        _fy(),
        *_split(),
        C("physical_band", "string", "Physical LTCs: 0, 1, 2, 3 or 4+.", nullable=False),
        C("mental_band", "string", "Mental health LTCs: 0, 1 or 2+.", nullable=False),
        _n("people", "People"),
        _v("cost_total", "Total cost in pounds"),
        _v("mean_cost", "Mean cost per person in pounds"),
        _v("share_of_people", "Share of the split group's people (0–1)"),
    ],
    ["fy", "split_by", "split_value", "physical_band", "mental_band"],
)

risk_overlap = _t(
    "analysis_risk_overlap",
    "one row per split group × top percentage × segment",
    "Risk-score selection vs multimorbidity selection of the same number of people: who is picked by both, by one only (Kent). Empty when no risk score exists.",
    [
        _fy(),
        *_split(),
        C(
            "top_percent",
            "float64",
            "Both methods select this top percentage of people.",
            nullable=False,
        ),
        C(
            "segment",
            "string",
            "both, risk_only or multimorbidity_only.",
            nullable=False,
            allowed=("both", "risk_only", "multimorbidity_only"),
        ),
        _n("people", "People in the segment"),
        _v("mean_cost", "Mean cost per person in pounds"),
        _v("mean_cost_non_elective", "Mean acute non-elective cost per person in pounds"),
        _v("mean_ltc_count", "Mean number of LTCs"),
        _v("mean_score", "Mean risk score (people with a score)"),
    ],
    ["fy", "split_by", "split_value", "top_percent", "segment"],
)

crisis_curve = _t(
    "analysis_crisis_curve",
    "one row per split group × rule × selection year × year followed",
    "The crisis curve (Kent Figure 6): a cohort selected in one year followed through the next years, counting deaths and leavers.",
    [
        *_split(),
        *_RULE,
        C("selection_fy", "int16", "Financial year the cohort was selected in.", nullable=False),
        _fy("Financial year followed."),
        C("years_since", "int16", "fy − selection_fy (0 = the selection year)."),
        _n("members", "People selected in the selection year"),
        _n("observed", "Members with a person_year row in the year (alive and registered or seen)"),
        _n("died_in_year", "Members who died in the year"),
        _n("died_cumulative", "Members who died by the end of the year"),
        _n("lost_to_follow_up", "Members alive but absent in the year (left the area)"),
        _n("with_emergency_admission", "Observed members with an emergency admission in the year"),
        _v("mean_cost_observed", "Mean cost of observed members in pounds"),
        _v(
            "mean_cost_per_member",
            "Cost in the year / members selected (dead and leavers count as 0)",
        ),
        _v("mean_cost_non_elective_observed", "Mean acute non-elective cost of observed members"),
        _v("share_with_emergency_admission", "Observed members with an emergency admission (0–1)"),
    ],
    ["split_by", "split_value", "rule", "selection_fy", "fy"],
)

cohort_turnover = _t(
    "analysis_cohort_turnover",
    "one row per split group × rule × pair of consecutive years",
    "Cohort turnover: of the people a rule selects in one year, how many it selects again the next year, and where the others went.",
    [
        *_split(),
        *_RULE,
        C("fy_from", "int16", "Year the cohort was selected in.", nullable=False),
        C("fy_to", "int16", "The next year."),
        _n("members", "People selected in fy_from"),
        _n("retained", "Of them, selected again in fy_to"),
        _n("died", "Of them, died in fy_from"),
        _n("left_area", "Of them, alive but absent in fy_to"),
        _n("dropped_out", "Of them, present in fy_to but no longer selected"),
        _n("joiners", "Selected in fy_to but not in fy_from"),
        _n("members_next", "People selected in fy_to"),
        _v("retention", "retained / members (0–1)"),
        _v(
            "retention_among_present",
            "retained / (retained + dropped_out): stability among those still here",
        ),
    ],
    ["split_by", "split_value", "rule", "fy_from"],
)

bed_demand = _t(
    "analysis_bed_demand",
    "one row per split group × bed setting × month",
    "Bed demand: occupied bed days and mean beds occupied per month in acute, community, mental health and care home beds.",
    [
        *_split(),
        C(
            "bed_setting",
            "string",
            "acute, community, mental_health or care_home.",
            nullable=False,
            allowed=("acute", "community", "mental_health", "care_home"),
        ),
        C("month", "date", "First day of the month.", nullable=False),
        _fy("Financial year of the month."),
        C("days_in_month", "int32", "Days in the month."),
        _n("people", "People occupying a bed in the month"),
        _n("stays", "Stays overlapping the month"),
        _v("bed_days", "Occupied bed days in the month"),
        _v("mean_beds_occupied", "Bed days / days in the month: the average number of beds in use"),
    ],
    ["split_by", "split_value", "bed_setting", "month"],
)

TABLES = (
    cost_by_ltc_age,
    cost_by_ltc_setting,
    cost_strength,
    cost_concentration,
    ltc_share,
    mm_overlap,
    risk_overlap,
    crisis_curve,
    cohort_turnover,
    bed_demand,
)
