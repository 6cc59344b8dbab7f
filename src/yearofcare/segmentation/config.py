"""The need rules: how the risk model is fitted, and how levels of need, the 3×3 matrix, rising
risk and annual change are set (seed 000 annex 2; 004 §7.2).

A versioned YAML file (`examples/need.yaml`, written by `yoc init`) validated into the
frozen models below. Rules that read person_year columns (End of life, matrix proxies) are in
the cohort rule language and are checked against the declared columns when the file loads.
"""

from __future__ import annotations

from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from yearofcare import schemas, vocab
from yearofcare.cohorts.rules import Rule, parse_rule
from yearofcare.config import ConfigModel, load_yaml, read_yaml
from yearofcare.config.loader import Loaded

DEFAULT_NEED_RULES = "need.yaml"

#: Columns that hold information from after the year: never features, never in rules of need.
FUTURE_COLUMNS: dict[str, str] = {
    "last_year_of_life": "it looks up to six months past the year end (last-year-of-life leakage)",
    "date_of_death": "it may lie after the year end; use died_in_year",
}

_HINT = "see the comments in the example need rules file (`yoc init`) and docs/need-and-cohorts.md"


class Feature(ConfigModel):
    """One feature of the risk model: a person_year column (or a glob of them) and its form."""

    config_name: ClassVar[str] = "need rules"
    column: str | None = Field(None, description="person_year column, or a pattern such as ltc_*.")
    rule: str | None = Field(None, description="A yes/no term in the rule language instead.")
    name: str | None = Field(None, description="Name of a rule term.")
    transform: Literal["value", "log1p", "flag", "levels", "bins", "rule"] = "value"
    levels: tuple[str, ...] = ()
    bins: tuple[float, ...] = ()
    null_indicator: bool = Field(
        False, description="Add a term that is 1 when the column is empty (e.g. unknown age)."
    )

    @model_validator(mode="after")
    def _shape(self) -> Feature:
        if (self.column is None) == (self.rule is None):
            raise ValueError("a feature has either a column or a rule")
        if self.rule is not None:
            if not self.name:
                raise ValueError("a rule feature needs a name")
            object.__setattr__(self, "transform", "rule")
            return self
        if self.transform == "levels" and not self.levels:
            raise ValueError("transform 'levels' needs the levels to test for")
        if self.transform == "bins" and (
            not self.bins or list(self.bins) != sorted(set(self.bins))
        ):
            raise ValueError("transform 'bins' needs increasing cut points")
        return self


class ModelSettings(ConfigModel):
    config_name: ClassVar[str] = "need rules"
    features: tuple[Feature, ...]
    exclude: tuple[str, ...] = ()
    max_sample: int = Field(200_000, ge=1_000)
    validation_sample: int = Field(200_000, ge=1_000)
    seed: int = 20260401
    top_percents: tuple[float, ...] = (0.5, 1.0, 5.0)

    @field_validator("top_percents")
    @classmethod
    def _percents(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or any(not 0 < p < 100 for p in v):
            raise ValueError("top percentages must be above 0 and below 100")
        return v


class Thresholds(ConfigModel):
    config_name: ClassVar[str] = "need rules"
    kind: Literal["percentile", "score"] = "percentile"
    medium: float
    high: float

    @model_validator(mode="after")
    def _range(self) -> Thresholds:
        top = 100.0 if self.kind == "percentile" else 1.0
        unit = "percentiles run from 0 to 100" if top == 100 else "scores run from 0 to 1"
        for name in ("medium", "high"):
            v = getattr(self, name)
            if not 0 < v < top:
                raise ValueError(f"{name} threshold {v:g} is outside 0–{top:g} ({unit})")
        if self.medium >= self.high:
            raise ValueError(
                f"the medium threshold ({self.medium:g}) must be below the high one ({self.high:g})"
            )
        return self


class Levels(ConfigModel):
    config_name: ClassVar[str] = "need rules"
    classify: Literal["with_ltc", "everyone"] = "with_ltc"
    ltc_rule: str = "ltc_count >= 1"
    thresholds: Thresholds


class NamedRule(ConfigModel):
    config_name: ClassVar[str] = "need rules"
    rule: str
    label: str


class Proxy(ConfigModel):
    config_name: ClassVar[str] = "need rules"
    high: str
    medium: str


class Matrix(ConfigModel):
    config_name: ClassVar[str] = "need rules"
    assessment_valid_months: int = Field(12, ge=1, le=60)
    domain_max: dict[str, int]
    functional_domains: tuple[str, ...]
    complexity_domains: tuple[str, ...]
    functional_cuts: tuple[float, float]
    complexity_cuts: tuple[float, float]
    levels: tuple[tuple[str, str, str], tuple[str, str, str], tuple[str, str, str]]
    functional_proxy: Proxy
    complexity_proxy: Proxy

    @model_validator(mode="after")
    def _domains(self) -> Matrix:
        known = set(vocab.DST_DOMAINS)
        for name in (*self.domain_max, *self.functional_domains, *self.complexity_domains):
            if name not in known:
                raise ValueError(
                    f"unknown DST domain {name!r}; the domains are {', '.join(vocab.DST_DOMAINS)}"
                )
        missing = known - set(self.domain_max)
        if missing:
            raise ValueError(f"domain_max has no maximum for {', '.join(sorted(missing))}")
        for cuts in (self.functional_cuts, self.complexity_cuts):
            if not 0 < cuts[0] < cuts[1] < 1:
                raise ValueError(f"cut points {list(cuts)} must rise within 0–1")
        for row in self.levels:
            for v in row:
                if v not in vocab.NEED_LEVELS[:3]:
                    raise ValueError(f"matrix level {v!r} is not Low, Medium or High")
        return self


class RisingRisk(ConfigModel):
    config_name: ClassVar[str] = "need rules"
    measure: Literal["risk_percentile", "score"] = "risk_percentile"
    increase: float = Field(gt=0)
    window_years: int = Field(1, ge=1, le=5)
    exclude_levels: tuple[str, ...] = ("High", "End of life")

    @field_validator("exclude_levels")
    @classmethod
    def _levels(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [x for x in v if x not in vocab.NEED_LEVELS]
        if bad:
            raise ValueError(f"unknown level(s) {bad}; levels are {', '.join(vocab.NEED_LEVELS)}")
        return v


class AnnualChange(ConfigModel):
    config_name: ClassVar[str] = "need rules"
    measure: Literal["level", "risk_percentile"] = "level"
    tolerance: float = Field(10.0, ge=0, le=100)


class NeedRules(ConfigModel):
    """The whole need rules file (see examples/need.yaml for every setting explained)."""

    config_name: ClassVar[str] = "need rules"
    config_hint: ClassVar[str] = _HINT
    version: str = Field(min_length=1)
    model: ModelSettings
    levels: Levels
    end_of_life: tuple[NamedRule, ...] = ()
    matrix: Matrix
    rising_risk: RisingRisk
    annual_change: AnnualChange = AnnualChange()

    # ---- rules, parsed against person_year's declared columns ------------------------------
    @cached_property
    def parsed(self) -> dict[str, Rule]:
        return parse_need_rules(self, source="need rules")


def person_year_columns() -> dict[str, str]:
    return {c.name: c.type for c in schemas.get("person_year").columns}


def parse_need_rules(rules: NeedRules, source: str) -> dict[str, Rule]:
    """Every rule of the file, parsed: ltc, end_of_life.<i>, functional.high, …"""
    cols = person_year_columns()
    found: dict[str, Rule] = {}

    def add(key: str, text: str) -> None:
        found[key] = parse_rule(
            text, cols, source=f"{source}, setting {key}", forbidden=FUTURE_COLUMNS
        )

    add("levels.ltc_rule", rules.levels.ltc_rule)
    for i, r in enumerate(rules.end_of_life):
        add(f"end_of_life.{i}.rule", r.rule)
    for axis, proxy in (
        ("functional", rules.matrix.functional_proxy),
        ("complexity", rules.matrix.complexity_proxy),
    ):
        add(f"matrix.{axis}_proxy.high", proxy.high)
        add(f"matrix.{axis}_proxy.medium", proxy.medium)
    return found


def default_need_rules_path() -> Path:
    return Path(str(resources.files("yearofcare.segmentation") / "examples" / DEFAULT_NEED_RULES))


def load_need_rules(path: Path | str | None = None) -> Loaded:
    """The need rules file at `path` (default: the packaged need-2026.1), validated, with every
    rule parsed so a bad rule fails here, naming the file, line and setting."""
    path = Path(path) if path is not None else default_need_rules_path()
    loaded = load_yaml(NeedRules, path, what="need rules file")
    _, lines = read_yaml(path, what="need rules file")
    rules: NeedRules = loaded.model
    for key in _rule_keys(rules):
        line = lines.get(tuple(int(p) if p.isdigit() else p for p in key.split(".")))
        at = f" line {line}" if line else ""
        source = f"need rules file {path}{at}"
        parse_need_rules_one(rules, key, source)
    return loaded


def _rule_keys(rules: NeedRules) -> list[str]:
    keys = ["levels.ltc_rule"]
    keys += [f"end_of_life.{i}.rule" for i in range(len(rules.end_of_life))]
    for axis in ("functional", "complexity"):
        keys += [f"matrix.{axis}_proxy.high", f"matrix.{axis}_proxy.medium"]
    return keys


def parse_need_rules_one(rules: NeedRules, key: str, source: str) -> Rule:
    node: object = rules
    for part in key.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return parse_rule(
        str(node),
        person_year_columns(),
        source=f"{source}, setting {key}",
        forbidden=FUTURE_COLUMNS,
    )
