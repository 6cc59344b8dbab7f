"""What happened in each period: outturn, quality level, outcome achievement, high-cost costs.

Typed in (an inputs file, or `--outturn 2025/26=12.6m` style options) or read from the store
(`yearofcare.contracts.sources`). Typed values win; every value records where it came from.

    # settlement inputs file
    periods:
      2025/26:
        outturn: 12600000
        quality_level: 3
        achievement: {unplanned_admissions: 80}
        person_costs: [61000, 75500]   # people above the lowest stop-loss threshold
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from yearofcare.config import ConfigModel, load_yaml
from yearofcare.contracts.money import DECIMAL, parse_money, parse_percent
from yearofcare.contracts.state import PeriodInputs
from yearofcare.contracts.types import Percent, Pounds
from yearofcare.disclosure import DEFAULT_POLICY
from yearofcare.errors import ConfigError


class PeriodValues(ConfigModel):
    """The facts of one period."""

    outturn: Pounds | None = Field(None, description="Actual cost of care in pounds.")
    quality_level: int | None = Field(None, ge=0, description="Quality level achieved.")
    achievement: dict[str, Percent] = Field(
        default_factory=dict, description="Outcome measure id → achievement %."
    )
    person_costs: list[Pounds] | None = Field(
        None, description="Cost of each person above the lowest stop-loss threshold."
    )


class InputsFile(ConfigModel):
    config_name: ClassVar[str] = "settlement inputs"
    config_hint: ClassVar[str | None] = "see docs/contracts.md (settlement inputs)"
    periods: dict[str, PeriodValues] = Field(description="Period id → what happened.")


@dataclass
class Typed:
    """Values typed in for each period, with where each came from."""

    values: dict[str, dict[str, object]] = field(default_factory=dict)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)

    def put(self, period: str, key: str, value: object, source: str) -> None:
        self.values.setdefault(period, {})[key] = value
        self.sources.setdefault(period, {})[key] = source

    def get(self, period: str, key: str) -> object | None:
        return self.values.get(period, {}).get(key)


def load_inputs(path: Path | str, typed: Typed | None = None) -> Typed:
    """An inputs file's values (added to `typed` when given)."""
    typed = typed or Typed()
    loaded = load_yaml(InputsFile, path)
    for period, v in loaded.model.periods.items():
        src = f"inputs file {Path(path).name}"
        if v.outturn is not None:
            typed.put(period, "outturn", v.outturn, src)
        if v.quality_level is not None:
            typed.put(period, "quality_level", v.quality_level, src)
        for measure, pct in v.achievement.items():
            typed.put(period, f"achievement:{measure}", pct, src)
        if v.person_costs is not None:
            typed.put(period, "person_costs", list(v.person_costs), src)
    return typed


def _split_period(text: str, option: str, periods: Sequence[str]) -> tuple[str, str]:
    """'2025/26=12.6m' → ('2025/26', '12.6m'); a bare value means the only (or first) period."""
    if "=" in text and text.split("=", 1)[0] in periods:
        period, value = text.split("=", 1)
        return period, value
    if "=" in text and option != "--achievement":
        raise ConfigError(
            f"{option} {text}: period {text.split('=', 1)[0]!r} is not in the terms",
            hint=f"periods: {', '.join(periods)}",
        )
    return periods[0], text


def add_options(
    typed: Typed,
    periods: Sequence[str],
    *,
    outturn: Iterable[str] = (),
    quality_level: Iterable[str] = (),
    achievement: Iterable[str] = (),
) -> Typed:
    """Command-line values: --outturn [PERIOD=]AMOUNT, --quality-level [PERIOD=]N,
    --achievement [PERIOD=]MEASURE=PERCENT."""
    for text in outturn:
        period, value = _split_period(text, "--outturn", periods)
        try:
            typed.put(period, "outturn", parse_money(value), "--outturn")
        except ValueError as exc:
            raise ConfigError(
                f"--outturn {text}: {exc}", hint="e.g. --outturn 2025/26=12.6m"
            ) from None
    for text in quality_level:
        period, value = _split_period(text, "--quality-level", periods)
        if not value.strip().isdigit():
            raise ConfigError(f"--quality-level {text}: expected a whole number", hint="e.g. 3")
        typed.put(period, "quality_level", int(value), "--quality-level")
    for text in achievement:
        head = text.split("=", 1)[0]
        period, rest = (head, text.split("=", 1)[1]) if head in periods else (periods[0], text)
        if "=" not in rest:
            raise ConfigError(
                f"--achievement {text}: expected MEASURE=PERCENT", hint="e.g. --achievement ltc6=80"
            )
        measure, value = rest.split("=", 1)
        try:
            typed.put(period, f"achievement:{measure}", parse_percent(value), "--achievement")
        except ValueError as exc:
            raise ConfigError(f"--achievement {text}: {exc}", hint="e.g. ltc6=80") from None
    return typed


def high_cost(costs: Sequence[Decimal]):
    """(excess, people) functions over person costs: cost above a threshold, and how many."""

    def excess(threshold: Decimal) -> Decimal:
        return sum((max(c - threshold, Decimal(0)) for c in costs), DECIMAL.zero)

    def people(threshold: Decimal) -> str:
        n = sum(1 for c in costs if c > threshold)
        if 0 < n < DEFAULT_POLICY.threshold:
            return f"fewer than {DEFAULT_POLICY.threshold} people"
        return f"{n:,} people"

    return excess, people


def period_inputs(typed: Typed, period: str) -> PeriodInputs:
    """The Decimal inputs of one period from typed (and store-read) values."""
    values = typed.values.get(period, {})
    achievement = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("achievement:")}
    costs = values.get("person_costs")
    excess, people = high_cost(costs) if costs is not None else (None, lambda _t: None)
    outturn = values.get("outturn")
    return PeriodInputs(
        outturn=None if outturn is None else DECIMAL.money(outturn),
        quality_level=values.get("quality_level"),
        achievement=achievement,
        excess=excess,
        high_cost_people=people,
        sources=dict(typed.sources.get(period, {})),
    )
