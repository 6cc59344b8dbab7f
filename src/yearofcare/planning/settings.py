"""The settings a scenario changes: person_year's cost groups, with the columns that hold each
one's activity, bed days and cost.

Bed days of acute inpatient care come from `activity` (person_year holds one acute total for
elective, non-elective and day cases together); the other bedded settings read person_year.
"""

from __future__ import annotations

from dataclasses import dataclass

from yearofcare.schemas.population import COST_GROUPS

#: person_year bed-day column of a setting, where it has one of its own.
PERSON_YEAR_BEDS = {
    "community": "bed_days_community",
    "mental_health": "bed_days_mental_health",
    "social_care": "care_home_days",
}
#: activity settings whose spells' bed days are summed from `activity` for a setting.
ACTIVITY_BEDS = {"non_elective": "acute_non_elective", "elective": "acute_elective"}

LABELS = {
    "non_elective": "Acute non-elective",
    "elective": "Acute elective",
    "day_case": "Day case",
    "outpatient": "Outpatient",
    "ae": "A&E",
    "community": "Community",
    "mental_health": "Mental health",
    "gp": "GP and out of hours",
    "prescribing": "Prescribing",
    "social_care": "Adult social care",
    "ambulance": "Ambulance",
    "other": "Hospice and third sector",
}


@dataclass(frozen=True)
class Setting:
    id: str
    label: str
    activity: str  # person_year column
    cost: str  # person_year column
    activity_settings: tuple[str, ...]  # vocab.SETTINGS it covers (service_model_adjustment)

    @property
    def bedded(self) -> bool:
        return self.id in PERSON_YEAR_BEDS or self.id in ACTIVITY_BEDS


SETTINGS: dict[str, Setting] = {
    g: Setting(g, LABELS[g], f"n_{g}", f"cost_{g}", settings) for g, settings in COST_GROUPS.items()
}
IDS: tuple[str, ...] = tuple(SETTINGS)


def label(setting: str) -> str:
    s = SETTINGS.get(setting)
    return s.label if s else setting
