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
