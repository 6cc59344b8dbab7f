"""RRR settings: the groups whose non-elective spells are unbundled, their trim points, the
tiered RRR tariff and the price of a delayed bed day (`rrr.yaml`; a commented example ships in
`planning/examples/`, written by `yoc init`).

Money is Decimal pounds in the file and whole pence in the store: a price with a fraction of a
penny is refused. Checks (each a ConfigError naming the file, line and setting): a trim point of
zero days or less, a group with no codes, two groups with one id, a need level in two tariff
tiers (overlapping tiers), a tier named twice.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from yearofcare import vocab
from yearofcare.config import ConfigModel, load_yaml
from yearofcare.errors import ConfigError

HINT = "see planning/examples/rrr.yaml (written by `yoc init`) and docs/rrr.md"
EXAMPLE = "rrr.yaml"
Tier = Literal["Low", "Medium", "High"]
NeedLevel = Literal["Low", "Medium", "High", "End of life"]


def pence(pounds: Decimal) -> int:
    """Whole pence of a price given in pounds (validated to have no fraction of a penny)."""
    return int(pounds * 100)


def _whole_pence(value: Decimal, what: str) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{what} of £{value} has a fraction of a penny: give pounds and pence")
    return value


class RrrGroup(ConfigModel):
    """An LTC-related diagnosis or HRG group whose non-elective spells are unbundled."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="lower-case identifier")
    label: str
    icd10: tuple[str, ...] = Field((), description="primary diagnosis prefixes (ICD-10, no dot)")
    hrg: tuple[str, ...] = Field((), description="HRG prefixes of the spell's currency")
    trim_days: int = Field(description="days of the acute phase (the group's trim point)")
    acute_day_weight: Decimal = Field(
        Decimal(1),
        gt=0,
        description="cost of an acute day relative to an RRR day when the tariff is shared",
    )
    evidence: str = ""

    @field_validator("trim_days")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v <= 0:
            raise ValueError(
                f"a trim point of {v} days leaves no acute phase: give the days of acute care "
                "(000 annex 5: usually 1-5)"
            )
        return v

    @field_validator("acute_day_weight")
    @classmethod
    def _hundredths(cls, v: Decimal) -> Decimal:
        if v != v.quantize(Decimal("0.01")):
            raise ValueError(f"acute_day_weight {v} has more than two decimal places")
        return v

    @field_validator("icd10", "hrg")
    @classmethod
    def _codes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c.strip().upper().replace(".", "") for c in v if c.strip())

    @model_validator(mode="after")
    def _has_codes(self) -> RrrGroup:
        if not self.icd10 and not self.hrg:
            raise ValueError(
                f"group {self.id!r} names no icd10 or hrg codes: it would match nothing"
            )
        return self


class RrrTier(ConfigModel):
    """One tier of the RRR tariff: the levels of need it is for and its prices."""

    tier: Tier
    levels: tuple[NeedLevel, ...] = Field(min_length=1, description="levels of need it covers")
    day_price: Decimal = Field(ge=0, description="pounds per day of the RRR phase")
    assessment_price: Decimal = Field(
        Decimal(0), ge=0, description="pounds once per spell with an RRR phase (joint assessment)"
    )

    @field_validator("day_price", "assessment_price")
    @classmethod
    def _pence(cls, v: Decimal) -> Decimal:
        return _whole_pence(v, "a price")


class RrrSettings(ConfigModel):
    """Everything `yoc rrr` is configured by."""

    config_name: ClassVar[str] = "RRR settings"
    config_hint: ClassVar[str | None] = HINT

    groups: tuple[RrrGroup, ...] = Field(min_length=1)
    tiers: tuple[RrrTier, ...] = Field(min_length=1)
    default_tier: Tier = Field(
        "Medium", description="tier for a spell with no audit record and no level of need"
    )
    need_year: Literal["same", "previous"] = Field(
        "previous",
        description="level of need of the spell's financial year, or of the year before (known "
        "at admission)",
    )
    bed_day_price: Decimal = Field(gt=0, description="pounds per delayed bed day")
    exclude_service_types: tuple[str, ...] = Field(
        vocab.NON_EMERGENCY_ADMISSIONS,
        description="non-elective service types that are not emergency admissions",
    )

    @field_validator("bed_day_price")
    @classmethod
    def _bed_day(cls, v: Decimal) -> Decimal:
        return _whole_pence(v, "bed_day_price")

    @model_validator(mode="after")
    def _consistent(self) -> RrrSettings:
        ids = [g.id for g in self.groups]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"group id {', '.join(twice)} is used twice: ids must be unique")
        names = [t.tier for t in self.tiers]
        again = sorted({n for n in names if names.count(n) > 1})
        if again:
            raise ValueError(f"tier {', '.join(again)} is listed twice")
        seen: dict[str, str] = {}
        for t in self.tiers:
            for level in t.levels:
                if level in seen:
                    raise ValueError(
                        f"overlapping tariff tiers: level of need {level!r} is in tier "
                        f"{seen[level]!r} and tier {t.tier!r}; each level may be in one tier"
                    )
                seen[level] = t.tier
        if self.default_tier not in names:
            raise ValueError(f"default_tier {self.default_tier!r} is not one of the tiers listed")
        return self

    def tier_of(self) -> dict[str, str]:
        """Level of need → tier."""
        return {level: t.tier for t in self.tiers for level in t.levels}

    def select(self, groups: tuple[str, ...] | None) -> RrrSettings:
        """These settings for the named groups only (unknown names refused)."""
        if not groups:
            return self
        known = [g.id for g in self.groups]
        unknown = [g for g in groups if g not in known]
        if unknown:
            raise ConfigError(
                f"unknown RRR group {', '.join(map(repr, unknown))}",
                hint=f"groups in the RRR settings: {', '.join(known)}",
            )
        return self.model_copy(update={"groups": tuple(g for g in self.groups if g.id in groups)})


def load_rrr_settings(path: Path | str | None) -> RrrSettings:
    """The RRR settings file, or the shipped example when no file is given."""
    if path is None:
        from importlib import resources

        path = Path(str(resources.files("yearofcare.planning").joinpath("examples", EXAMPLE)))
    return load_yaml(RrrSettings, path).model
