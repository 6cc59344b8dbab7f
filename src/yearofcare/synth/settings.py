"""What a user chooses for a synthetic run: `SynthParams` (people, years, seed, last year)."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import Field, field_validator

from yearofcare.config import ConfigModel, options
from yearofcare.fy import fy_end, fy_label, fy_start, last_complete_fy


def _default_end_fy() -> int:
    return last_complete_fy(date.today())


class SynthParams(ConfigModel):
    """What to generate: a population of `people` over `years` financial years ending `end_fy`."""

    config_name: ClassVar[str] = "synthetic population settings"
    config_hint: ClassVar[str | None] = (
        "e.g. yoc synth --people 50000 --years 3 --seed 1 --end-fy " + str(_default_end_fy())
    )

    people: int = Field(50_000, ge=1, le=50_000_000, description="People in the person table.")
    years: int = Field(3, ge=1, le=20, description="Financial years of activity.")
    seed: int = Field(20261123, ge=0, description="Seed of the random generator.")
    end_fy: int = Field(
        default_factory=_default_end_fy,
        ge=1990,
        description="Last financial year, named by its start year (2025 = 2025/26).",
    )

    @field_validator("end_fy")
    @classmethod
    def _complete(cls, value: int) -> int:
        last = _default_end_fy()
        if value > last:
            raise ValueError(
                f"financial year {fy_label(value)} has not ended yet; "
                f"the last complete one is {last} ({fy_label(last)})"
            )
        return value

    @classmethod
    def checked(cls, **values: Any) -> SynthParams:
        """Build from user input; a bad value raises ConfigError naming the option."""
        return options(cls, **values)

    @property
    def first_fy(self) -> int:
        return self.end_fy - self.years + 1

    @property
    def start_date(self) -> date:
        return fy_start(self.first_fy)

    @property
    def end_date(self) -> date:
        return fy_end(self.end_fy)


# ---- parameter files ----------------------------------------------------------------------------
