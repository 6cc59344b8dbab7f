"""Measures as data: the measures file says, for each measure, what to count or sum over which
base table, over what denominator, per how many, which way is good and the target.

Nothing here is code per measure: a measure is a numerator and a denominator, each a `Part`
(count rows, or sum columns, where conditions hold) over a named base (`bases.BASES`). The
loader checks every column a measure names against its base's declared columns, so a typo is a
ConfigError naming the measure and the setting, never a failed query.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from yearofcare.config import ConfigModel
from yearofcare.config.loader import Loaded, load_yaml
from yearofcare.errors import ConfigError

REFERENCE = "reference/outcomes"
DEFAULT_MEASURES = "yoc-measures-2026.1.yaml"
DEFAULT_SCORECARD = "yoc-scorecard-2026.1.yaml"

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_null", "is_null"]


class Condition(ConfigModel):
    """`column op value`: rows where it holds (null values never satisfy a comparison)."""

    column: str
    op: Op = "=="
    value: float | int | str | bool | list[float | int | str] | None = None

    @model_validator(mode="after")
    def _value(self) -> Condition:
        needs = self.op not in ("not_null", "is_null")
        if needs and self.value is None:
            raise ValueError(f"condition on {self.column} with {self.op} needs a value")
        if self.op == "in" and not isinstance(self.value, list):
            raise ValueError(f"condition on {self.column} with 'in' needs a list of values")
        return self


class Part(ConfigModel):
    """A numerator or denominator: count rows (no `sum`), or sum one or more columns (added
    together per row), over the rows of `base` where every condition of `where` holds."""

    base: str | None = Field(None, description="Base table (default: the measure's base).")
    sum: list[str] | None = Field(None, description="Columns summed (added together per row).")
    where: list[Condition] = Field(default_factory=list)

    @field_validator("sum", mode="before")
    @classmethod
    def _listify(cls, v):
        return [v] if isinstance(v, str) else v

    def columns(self) -> list[str]:
        return [*(self.sum or []), *(c.column for c in self.where)]


class Measure(ConfigModel):
    config_name = "measures"

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    quadrant: Literal["person", "financial", "process", "learning"]
    base: str
    where: list[Condition] = Field(default_factory=list, description="Applied to both parts.")
    numerator: Part
    denominator: Part | None = Field(None, description="None: the value is the numerator.")
    per: float = 1.0
    unit: str = ""
    ci: Literal["proportion", "rate", "mean", "none"] = "none"
    direction: Literal["higher", "lower", "none"] = "none"
    target: float | None = None
    funnel: Literal["practice", "provider"] | None = None
    dimensions: list[Literal["level", "currency", "cohort", "practice", "provider"]] = Field(
        default_factory=lambda: ["level", "currency", "cohort", "practice", "provider"]
    )
    scorecard: bool = True
    source: str = Field("", description="Where the measure comes from (seed and section).")

    def den(self) -> Part:
        return self.denominator or Part(base=self.base)

    def num_base(self) -> str:
        return self.numerator.base or self.base

    def den_base(self) -> str:
        return self.den().base or self.base


class MeasuresFile(ConfigModel):
    config_name = "measures"
    config_hint = "see src/yearofcare/reference/outcomes/yoc-measures-2026.1.yaml"

    version: str
    risk_change_tolerance: float = Field(
        0.01, ge=0, description="Change in risk score (probability) counted as maintained."
    )
    care_home_after_stay_days: int = Field(
        14, ge=0, description="Days from discharge to placement."
    )
    reablement_days: int = Field(91, ge=1, description="Days after discharge still at home.")
    measures: list[Measure]

    @model_validator(mode="after")
    def _unique(self) -> MeasuresFile:
        ids = [m.id for m in self.measures]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"measure ids given twice: {', '.join(dupes)}")
        return self

    def get(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(measure_id)


class Target(ConfigModel):
    target: float | None = None
    direction: Literal["higher", "lower", "none"] | None = None
    amber_percent: float | None = Field(None, ge=0)


class QualityBand(ConfigModel):
    level: int = Field(ge=1, le=5)
    min_share_met: float = Field(ge=0, le=1)


class ScorecardFile(ConfigModel):
    config_name = "scorecard"
    config_hint = "see src/yearofcare/reference/outcomes/yoc-scorecard-2026.1.yaml"

    version: str
    amber_percent: float = Field(
        5.0, ge=0, description="Within this % of the target (on the bad side) is amber."
    )
    targets: dict[str, Target] = Field(default_factory=dict)
    quality_levels: list[QualityBand]
    measures: list[str] | None = Field(None, description="Measures shown (default: all).")

    @field_validator("quality_levels")
    @classmethod
    def _bands(cls, v: list[QualityBand]) -> list[QualityBand]:
        if not v:
            raise ValueError("give at least one quality level band")
        return sorted(v, key=lambda b: b.min_share_met, reverse=True)


def default_path(name: str) -> Path:
    return Path(str(resources.files("yearofcare").joinpath(REFERENCE, name)))


def load_measures(path: Path | None = None) -> Loaded:
    """The measures file (default: the packaged one), checked against the bases' columns."""
    from yearofcare.outcomes.bases import check_columns

    loaded = load_yaml(MeasuresFile, path or default_path(DEFAULT_MEASURES))
    check_columns(loaded.model, loaded.path)
    return loaded


def load_scorecard(path: Path | None, measures: MeasuresFile) -> Loaded:
    """The scorecard file; a target naming a measure the measures file lacks is an error."""
    loaded = load_yaml(ScorecardFile, path or default_path(DEFAULT_SCORECARD))
    known = {m.id for m in measures.measures}
    named = [*loaded.model.targets, *(loaded.model.measures or [])]
    for name in named:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, sorted(known), n=1)
            raise ConfigError(
                f"scorecard file {loaded.path}: target or measure {name!r} names no measure of "
                f"the measures file ({measures.version})",
                hint=(f"did you mean {close[0]!r}? " if close else "")
                + "measures: "
                + ", ".join(sorted(known)),
            )
    return loaded
