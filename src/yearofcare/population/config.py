"""Configuration of the population build: which versioned reference data it uses.

Every choice is a name of a versioned data file under `yearofcare/reference/`, so a build can
be repeated exactly and its outputs say which versions they used (run log and
`person_year_meta`).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from yearofcare.config import ConfigModel, validate

DEFAULT_CODELIST = "yoc-ltc-2026.2"
#: The 2016/17 tables first, the current ones after: a later table replaces an earlier one's rows
#: for the same setting and currency, so the verified 2024/25 prices win and the 2016/17 rows
#: price only what the newer tables do not (outpatients, excess bed days, community, home care).
DEFAULT_UNIT_COSTS = ("nhsi_2017", "pssru_2017", "ncc_2024_25", "pssru_2025")
DEFAULT_PRICE_UPLIFT = "nhs_cost_uplift_2025_26"


class PopulationConfig(ConfigModel):
    """What `yoc build` uses. Frozen: a build's configuration cannot change under it."""

    config_name: ClassVar[str] = "population build settings"
    config_hint: ClassVar[str | None] = (
        "see yearofcare.population.config.PopulationConfig for the settings"
    )

    codelist: str = Field(
        DEFAULT_CODELIST,
        description="Code-list version: a folder under reference/codelists/.",
    )
    unit_costs: tuple[str, ...] = Field(
        DEFAULT_UNIT_COSTS,
        description="Unit-cost tables (reference/unit_costs/<name>.csv), later ones win "
        "where two define the same setting and currency.",
    )
    price_uplift: str | None = Field(
        DEFAULT_PRICE_UPLIFT,
        description="Cost index (reference/uplift/<name>.csv) that moves each unit cost from "
        "its price year to the activity's year; None prices every year at the published prices.",
    )
    charlson_mapping: str = Field(
        "quan_2005_icd10", description="ICD-10 mapping of the Charlson categories."
    )
    charlson_weights: str = Field(
        "charlson_weights", description="Charlson weight sets (one column per set)."
    )
    cms_weights: str = Field(
        "cambridge_payne_2020", description="Cambridge Multimorbidity Score weights."
    )
    charlson_lookback_years: int | None = Field(
        None,
        ge=1,
        description="Only ICD-10 codes in the last N financial years count towards Charlson; "
        "None = all history up to the end of the year.",
    )

    keep_activity_costed: bool = Field(
        False,
        description="Also write activity_costed: every activity row with its cost, basis and "
        "source (a copy of activity; worth it to reconcile costs with contracts, slow at scale).",
    )

    @field_validator("unit_costs")
    @classmethod
    def _at_least_one(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one unit-cost table")
        return value


def load_config(**values: object) -> PopulationConfig:
    """A validated PopulationConfig; errors become ConfigError naming the setting. Values are
    taken as given: None is a value here (`price_uplift=None`: published prices)."""
    return validate(PopulationConfig, values)
