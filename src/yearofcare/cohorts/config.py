"""The cohorts file: each cohort's selection rule, the currency its members are paid by, and the
settings of selection, review and the volatility analysis (seed 004 §7.2, §7.4).

A versioned YAML file (`examples/cohorts.yaml`, written by `yoc init`). Rules are in the
cohort rule language over person_year and need_level columns and are checked when the file
loads, naming the file, line and cohort.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator

from yearofcare.cohorts.rules import Rule, parse_rule
from yearofcare.config import ConfigModel, load_yaml, read_yaml
from yearofcare.config.loader import Loaded
from yearofcare.errors import ConfigError
from yearofcare.segmentation.config import FUTURE_COLUMNS
from yearofcare.segmentation.frame import frame_columns

DEFAULT_COHORTS = "cohorts.yaml"
_HINT = "see the comments in the example cohorts file (`yoc init`) and docs/need-and-cohorts.md"


class Cohort(ConfigModel):
    config_name: ClassVar[str] = "cohorts"
    id: str
    label: str = ""
    rule: str
    currency: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError(f"cohort id {v!r}: use lower-case letters, digits and _")
        return v


class Volatility(ConfigModel):
    config_name: ClassVar[str] = "cohorts"
    sizes: tuple[int, ...] = (100, 250, 500, 1000, 2500, 5000, 10000)
    tolerance_percent: tuple[float, ...] = (5.0, 10.0)
    samples: int = Field(2000, ge=100, le=100_000)
    seed: int = 20260401

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or any(n < 1 for n in v):
            raise ValueError("cohort sizes must be whole numbers of at least 1")
        return tuple(sorted(set(v)))

    @field_validator("tolerance_percent")
    @classmethod
    def _tol(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or any(not 0 < x < 100 for x in v):
            raise ValueError("tolerances are percentages above 0 and below 100")
        return v


class CohortsFile(ConfigModel):
    config_name: ClassVar[str] = "cohorts"
    config_hint: ClassVar[str] = _HINT
    version: str = Field(min_length=1)
    cohorts: tuple[Cohort, ...]
    volatility: Volatility = Volatility()

    @field_validator("cohorts")
    @classmethod
    def _unique(cls, v: tuple[Cohort, ...]) -> tuple[Cohort, ...]:
        ids = [c.id for c in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"cohort id(s) {dupes} used twice")
        if not v:
            raise ValueError("declare at least one cohort")
        return v

    def get(self, cohort_id: str) -> Cohort:
        for c in self.cohorts:
            if c.id == cohort_id:
                return c
        from yearofcare.cohorts.rules import suggest

        raise ConfigError(
            f"no cohort {cohort_id!r} in the cohorts file{suggest(cohort_id, [c.id for c in self.cohorts])}",
            hint="cohorts: " + ", ".join(c.id for c in self.cohorts),
        )


def default_cohorts_path() -> Path:
    return Path(str(resources.files("yearofcare.cohorts") / "examples" / DEFAULT_COHORTS))


def load_cohorts(path: Path | str | None = None) -> tuple[Loaded, dict[str, Rule]]:
    """The cohorts file, validated, and each cohort's rule parsed (errors name file and line)."""
    path = Path(path) if path is not None else default_cohorts_path()
    loaded = load_yaml(CohortsFile, path, what="cohorts file")
    _, lines = read_yaml(path, what="cohorts file")
    cols = frame_columns()
    rules: dict[str, Rule] = {}
    for i, c in enumerate(loaded.model.cohorts):
        line = lines.get(("cohorts", i, "rule"))
        at = f" line {line}" if line else ""
        rules[c.id] = parse_rule(
            c.rule, cols, source=f"cohorts file {path}{at}, cohort {c.id}", forbidden=FUTURE_COLUMNS
        )
    return loaded, rules


def adhoc_rule(text: str) -> Rule:
    """A rule typed on the command line (`--rule`), checked against the rule frame."""
    return parse_rule(text, frame_columns(), source="--rule", forbidden=FUTURE_COLUMNS)
