"""Thresholds of `yoc quality`, validated on load (a frozen pydantic model)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from yearofcare.config import ConfigModel, settings


class QualityOptions(ConfigModel):
    """What `yoc quality` measures against. Rates and changes are fractions (0.05 = 5%)."""

    config_name: ClassVar[str] = "quality settings"
    config_hint: ClassVar[str | None] = (
        "see `yoc quality --help` for each setting's meaning and range"
    )

    contracts_file: Path | None = Field(
        None, description="CSV or YAML of contract / budget values to triangulate costs against."
    )
    nhs_valid_target: float = Field(
        0.95, ge=0, le=1, description="Share of rows with a valid NHS number expected."
    )
    linkage_target: float = Field(0.95, ge=0, le=1, description="Linkage rate expected.")
    quarantine_limit: float = Field(
        0.01, ge=0, le=1, description="Share of rows quarantined above which a load is flagged."
    )
    completeness_target: float = Field(
        0.9, ge=0, le=1, description="Completeness expected of a column that is usually filled."
    )
    volume_change: float = Field(
        0.3, gt=0, description="Relative change of rows against earlier loads that is flagged."
    )
    volume_min_rows: int = Field(
        50, ge=0, description="Volume changes are flagged only when earlier loads averaged this."
    )
    rate_change: float = Field(
        0.05, gt=0, le=1, description="Change of a rate (in points, 0.05 = 5 points) flagged."
    )
    emptied_drop: float = Field(
        0.5, gt=0, le=1, description="Fall in a column's completeness that flags it as emptied."
    )
    gap_ratio: float = Field(
        0.5, gt=0, le=1, description="A month with fewer records than this × the median is a gap."
    )
    gap_min_records: int = Field(
        20, ge=0, description="Months are checked for gaps only when a usual month has this many."
    )
    late_days: int = Field(
        60, ge=0, description="Days after the end of its period by which a load is expected."
    )
    tolerance: float = Field(
        0.05, ge=0, description="Default tolerance of a contract line (fraction of its value)."
    )
    examples: int = Field(5, ge=1, le=50, description="Example row numbers kept per problem.")

    @classmethod
    def build(cls, **values: object) -> QualityOptions:
        """Validated options (None = the default); errors name the setting."""
        return settings(cls, **values)

    def thresholds(self) -> dict[str, float | int]:
        """The thresholds as plain values (recorded in the run log)."""
        return self.model_dump(exclude={"contracts_file"})
