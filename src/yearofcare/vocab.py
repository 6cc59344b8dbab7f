"""Controlled vocabularies shared by the schemas, adapters, synthetic data and reports."""

from __future__ import annotations

#: Care settings of an activity row (DESIGN.md, `activity.setting`).
SETTINGS: tuple[str, ...] = (
    "acute_non_elective",
    "acute_elective",
    "acute_day_case",
    "outpatient",
    "ae",
    "community",
    "mental_health",
    "gp",
    "prescribing",
    "social_care",
    "ambulance",
    "hospice",
    "out_of_hours",
    "third_sector",
)

SETTING_LABELS: dict[str, str] = {
    "acute_non_elective": "Acute non-elective",
    "acute_elective": "Acute elective",
    "acute_day_case": "Acute day case",
    "outpatient": "Outpatient",
    "ae": "A&E",
    "community": "Community",
    "mental_health": "Mental health",
    "gp": "GP",
    "prescribing": "Prescribing",
    "social_care": "Adult social care",
    "ambulance": "Ambulance",
    "hospice": "Hospice",
    "out_of_hours": "Out of hours",
    "third_sector": "Third sector",
}

UNIT_TYPES: tuple[str, ...] = (
    "spell",
    "attendance",
    "contact",
    "bed_days",
    "hours",
    "weeks",
    "items",
    "incident",
)

COST_BASES: tuple[str, ...] = ("actual", "tariff", "unit_cost", "block_share")

FUNDING_ROUTES: tuple[str, ...] = (
    "pbr",
    "block",
    "local_authority",
    "nhs_england",
    "primary_care",
    "charitable",
)

CODE_SYSTEMS: tuple[str, ...] = ("ICD10", "SNOMED", "READ2", "OPCS4", "BNF")

SEXES: tuple[str, ...] = ("F", "M", "U")

PLACES_OF_DEATH: tuple[str, ...] = ("hospital", "home", "care_home", "hospice", "other")

#: The eleven care domains of the NHS CHC Decision Support Tool (000 annex 2).
DST_DOMAINS: tuple[str, ...] = (
    "behaviour",
    "cognition",
    "communication",
    "mobility",
    "nutrition",
    "continence",
    "skin",
    "breathing",
    "drug_therapies",
    "psychological",
    "altered_states",
)

#: DST levels as ordinals (not every domain uses every level).
DST_LEVELS: tuple[str, ...] = ("no_needs", "low", "moderate", "high", "severe", "priority")

NEED_LEVELS: tuple[str, ...] = ("Low", "Medium", "High", "End of life")

#: Numeric order of the levels of need (End of life above High: it is handled separately but
#: is the most intensive).
NEED_LEVEL_RANK: dict[str, int] = {level: i + 1 for i, level in enumerate(NEED_LEVELS)}

#: Annual change in a person's risk-profiling level or score (000: an outcome measure).
ANNUAL_CHANGES: tuple[str, ...] = ("improved", "maintained", "deteriorated")

#: Where a person-year's place in the 3x3 matrix came from.
MATRIX_BASES: tuple[str, ...] = ("assessment", "proxy")

#: What the risk model predicts for the next year, and how each target is modelled.
RISK_TARGETS: tuple[str, ...] = ("emergency_admission", "cost_total")

#: How a model term turns a person_year column into a number (risk_model.transform).
RISK_TRANSFORMS: tuple[str, ...] = (
    "intercept",
    "value",
    "log1p",
    "flag",
    "equals",
    "range",
    "is_null",
    "rule",
)

#: The risk model and the comparators it is validated against, in the same table.
RISK_METHODS: tuple[str, ...] = (
    "model",
    "cms_only",
    "prior_cost_only",
    "ltc_count_only",
    "gradient_boosting",
)

#: Two-stage cohort selection: a reviewer's decision on a proposed person.
REVIEW_DECISIONS: tuple[str, ...] = ("pending", "accepted", "declined")

#: Why a cohort register spell starts and ends (004 §7.4: a register with join and leave dates).
COHORT_JOIN_REASONS: tuple[str, ...] = ("joined", "changed_currency")
COHORT_LEAVE_REASONS: tuple[str, ...] = (
    "declined",
    "moved_away",
    "died",
    "stepped_down",
    "changed_currency",
)

#: Upcoding audit: what the concluded level is compared with.
AUDIT_COMPARISONS: tuple[str, ...] = ("domains", "risk_profile")
AUDIT_UNITS: tuple[str, ...] = ("assessor", "provider")

#: Service types of `acute_non_elective` activity that are not emergency admissions: maternity
#: (HES admission methods 31-32; `delivery` in the synthetic economy), births (82-83) and
#: transfers or other non-elective admissions (81, 84, 89). Every other acute non-elective
#: spell is an emergency admission (admission methods 21-2D), `population.admissions`.
NON_EMERGENCY_ADMISSIONS: tuple[str, ...] = (
    "maternity",
    "delivery",
    "birth",
    "transfer",
    "other_non_elective",
    "other",
)

#: Why a patient medically fit for discharge stayed in hospital: the four reasons of the RRR
#: clinical audits (seed 004 §6.3, Figure 10), and `other` for anything else (patient or family
#: choice, disputes, public funding). The delayed-discharge adapter maps the NHS delayed
#: transfers of care reason codes (A–I) onto them.
DELAY_REASONS: tuple[str, ...] = (
    "no_community_service",
    "awaiting_assessment",
    "awaiting_placement",
    "awaiting_home_or_care_package",
    "other",
)

DELAY_REASON_LABELS: dict[str, str] = {
    "no_community_service": "Suitable services did not exist in the community",
    "awaiting_assessment": "Waiting for an assessment (community, mental health or social care)",
    "awaiting_placement": "Waiting for residential accommodation (step-down, nursing or care home)",
    "awaiting_home_or_care_package": "Home not ready or care package not in place",
    "other": "Other reasons (patient choice, disputes, funding)",
}

#: Tiers of the RRR tariff: the level of need assessed before the acute phase ends (000 annex 5).
RRR_TIERS: tuple[str, ...] = ("Low", "Medium", "High")
