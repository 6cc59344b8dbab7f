"""The analysis population: who the summary and every analysis count, declared once.

person_year holds everyone registered with a practice in the year *and* everyone seen by any
service — including unlinked fragments (a hospital token, a social-care client id) that never
joined a registered person. A prevalence or a cost per head needs one stated denominator, so
the summary and every analysis filter person_year by the same `AnalysisPopulation` and write
its description beside every figure (`population` column of each analysis table, the
summary's headline, the reports, `yoc demo`).

- `registered` (default): registered with a practice during the year, for at least
  `min_months` calendar months (1: at any time in the year) — the registered list a
  commissioner and a GP practice plan for;
- `everyone`: every person-year — registered or seen in any service.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import ibis
from pydantic import Field

from yearofcare.config import ConfigModel

Rule = Literal["registered", "everyone"]


class AnalysisPopulation(ConfigModel):
    """Which person-years the summary and the analyses count."""

    config_name: ClassVar[str] = "analysis population"
    config_hint: ClassVar[str | None] = "see docs/analyses.md (The analysis population)"

    rule: Rule = Field(
        "registered",
        description="registered: registered with a practice during the year; everyone: every "
        "person-year (registered or seen in any service, including unlinked records).",
    )
    min_months: int = Field(
        1,
        ge=1,
        le=12,
        description="With rule registered: calendar months of the year registered, at least.",
    )

    @property
    def description(self) -> str:
        """The population in words, as every output states it."""
        if self.rule == "everyone":
            return "everyone with a person-year (registered or seen in any service)"
        if self.min_months == 1:
            return "registered with a practice during the year"
        return f"registered with a practice for at least {self.min_months} months of the year"

    def includes(self, py: ibis.Table) -> ibis.BooleanValue:
        """Whether each person_year row is in the population."""
        if self.rule == "everyone":
            return ibis.literal(True)
        return py.months_registered.fill_null(0) >= self.min_months

    def members(self, py: ibis.Table) -> ibis.Table:
        """person_year restricted to the population."""
        return py if self.rule == "everyone" else py.filter(self.includes(py))


DEFAULT_POPULATION = AnalysisPopulation()
