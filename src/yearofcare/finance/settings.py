"""Finance settings: outlier treatment, bootstrap, budget adjustments, schedule, reconciliation.

One YAML file (`finance.yaml`; a commented example ships in `finance/examples/`), loaded with
`yearofcare.config.load_yaml`. Percentages are Decimal (2.1 means 2.1 %), so adjustments are
exact; an adjustment below −100 % is refused with its file, line and setting.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from yearofcare import vocab
from yearofcare.config import ConfigModel, load_yaml
from yearofcare.errors import ConfigError
from yearofcare.fy import fy_label

PerYear = Decimal | dict[int, Decimal]
HINT = "see finance/examples/finance.yaml (written by `yoc init`) and docs/finance.md"


def _not_below_minus_100(value: PerYear | None, what: str) -> PerYear | None:
    values = value.values() if isinstance(value, dict) else [value]
    for v in values:
        if v is not None and v < -100:
            raise ValueError(
                f"{what} of {v}% would make the budget negative: an adjustment cannot be below "
                "-100%"
            )
    return value


def per_year(value: PerYear, fy: int, name: str) -> Decimal:
    """The percentage `value` gives for `fy` (the same every year, or listed by year)."""
    if not isinstance(value, dict):
        return value
    if fy not in value:
        raise ConfigError(
            f"finance settings: budget.{name} gives no value for {fy_label(fy)}",
            hint=f"give {name} as one number for every year, or list {fy} too",
        )
    return value[fy]


class Outliers(ConfigModel):
    """Outlier treatment when setting tariffs (Southend, 004 §7.4)."""

    method: Literal["none", "trim", "winsorise", "cap_and_pool"] = "none"
    low_percentile: float = Field(0, ge=0, lt=100)
    high_percentile: float = Field(100, gt=0, le=100)
    cap: Decimal | None = Field(
        None, gt=0, description="cap_and_pool: pounds per person-year above which cost is pooled"
    )
    cap_percentile: float | None = Field(None, gt=0, lt=100)

    @model_validator(mode="after")
    def _consistent(self) -> Outliers:
        if self.low_percentile >= self.high_percentile:
            raise ValueError("low_percentile must be below high_percentile")
        if self.method == "cap_and_pool" and (self.cap is None) == (self.cap_percentile is None):
            raise ValueError("cap_and_pool needs either cap (pounds) or cap_percentile")
        if self.method in ("trim", "winsorise") and (
            self.low_percentile == 0 and self.high_percentile == 100
        ):
            raise ValueError(
                f"{self.method} needs low_percentile above 0 or high_percentile below 100"
            )
        return self


class Bootstrap(ConfigModel):
    replicates: int = Field(1000, ge=0, le=100_000)
    seed: int = 20261123
    level: float = Field(0.95, gt=0, lt=1)
    exact_max: int = Field(
        5_000,
        ge=100,
        description="values with more people use the stratified bootstrap (see bootstrap.py)",
    )


class Flags(ConfigModel):
    min_people: int = Field(50, ge=1)
    max_ci_percent: float = Field(20, gt=0, description="CI width as % of the tariff")


class TariffSettings(ConfigModel):
    currencies: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    scope_date: date | None = Field(
        None, description="date the service map is read at; default 1 April of the price year"
    )
    outliers: Outliers = Outliers()
    bootstrap: Bootstrap = Bootstrap()
    flags: Flags = Flags()


class ServiceModel(ConfigModel):
    """Expected effect of the new service model on cost, % by setting (negative = saving)."""

    source: Literal["table", "settings", "none"] = "table"
    scenario: str | None = None
    by_setting: dict[str, Decimal] = Field(default_factory=dict)
    by_year: dict[int, dict[str, Decimal]] = Field(default_factory=dict)

    @field_validator("by_setting")
    @classmethod
    def _settings(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for s, pct in v.items():
            if s not in vocab.SETTINGS:
                raise ValueError(
                    f"unknown setting {s!r}; expected one of {', '.join(vocab.SETTINGS)}"
                )
            _not_below_minus_100(pct, f"service-model effect for {s}")
        return v

    @field_validator("by_year")
    @classmethod
    def _years(cls, v: dict[int, dict[str, Decimal]]) -> dict[int, dict[str, Decimal]]:
        for settings in v.values():
            cls._settings(settings)
        return v


class BudgetSettings(ConfigModel):
    cohorts: tuple[str, ...] = ()
    base_fy: int | None = Field(None, description="year of the tariffs; default the latest")
    first_fy: int | None = Field(None, description="first budget year; default base_fy + 1")
    years: int = Field(3, ge=1, le=10)
    uplift: PerYear = Field(Decimal(0), description="pay and price uplift, % a year")
    efficiency: PerYear = Field(Decimal(0), description="efficiency requirement, % a year (<0)")
    demographic_growth: PerYear = Field(Decimal(0), description="% a year after the first")
    case_mix: Literal["projected"] | PerYear = "projected"
    service_model: ServiceModel = ServiceModel()
    cover_probabilities: tuple[float, ...] = (0.5, 0.75, 0.8, 0.9, 0.95, 0.99)
    cover_levels: tuple[float, ...] = (0.9, 0.95, 0.975, 1.0, 1.025, 1.05, 1.1, 1.15, 1.2)
    cover_replicates: int = Field(1000, ge=10, le=100_000)
    seed: int = 20261123

    @field_validator("uplift", "efficiency", "demographic_growth")
    @classmethod
    def _adjustment(cls, v: PerYear, info) -> PerYear:
        return _not_below_minus_100(v, info.field_name.replace("_", " "))

    @field_validator("case_mix")
    @classmethod
    def _case_mix(cls, v):
        return v if v == "projected" else _not_below_minus_100(v, "case-mix change")

    @field_validator("cover_probabilities")
    @classmethod
    def _probabilities(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < p < 1 for p in v):
            raise ValueError("cover probabilities must lie between 0 and 1")
        return v


class ScheduleSettings(ConfigModel):
    profile: Literal["flat", "seasonal"] = "seasonal"


class ReconcileSettings(ConfigModel):
    interval: float = Field(0.9, gt=0, lt=1)


class FinanceSettings(ConfigModel):
    """Everything `yoc tariff`, `yoc budget` and `yoc reconcile` are told (besides the map)."""

    config_name: ClassVar[str] = "finance settings"
    config_hint: ClassVar[str | None] = HINT

    version: str = "default"
    tariffs: TariffSettings = TariffSettings()
    budget: BudgetSettings = BudgetSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    reconciliation: ReconcileSettings = ReconcileSettings()


def load_settings(path: Path | str | None) -> tuple[FinanceSettings, str | None]:
    """The settings in `path` (and the file's SHA-256), or the defaults when no path is given."""
    if path is None:
        return FinanceSettings(), None
    loaded = load_yaml(FinanceSettings, path)
    return loaded.model, loaded.sha256


def example_settings_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("yearofcare.finance") / "examples" / "finance.yaml"))
