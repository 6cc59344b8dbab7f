"""The example configuration files `yoc init` writes: commented YAML a user copies and edits.

Each is a versioned data file inside the package, beside the stage that reads it. To add yours,
put the file in your stage's `examples/` folder and add one line to `EXAMPLES` (the model is
how a test checks that every example loads through the one loader)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Example:
    """One example file: written as `name`, read from `package`/examples/, for `command`."""

    name: str
    package: str
    command: str
    what: str
    model: str | None = None  # "module:Model" that loads it (None: read by its own reader)

    def text(self) -> str:
        return resources.files(self.package).joinpath("examples", self.name).read_text("utf-8")

    def model_class(self) -> type | None:
        if self.model is None:
            return None
        module, _, name = self.model.partition(":")
        return getattr(importlib.import_module(module), name)


EXAMPLES: tuple[Example, ...] = (
    Example("mapping.yaml", "yearofcare.sources", "yoc ingest --mapping", "how a local extract differs from its national format", "yearofcare.sources.mapping:Mapping"),
    Example("quality.yaml", "yearofcare.quality", "yoc quality --config", "data-quality thresholds", "yearofcare.quality.options:QualityOptions"),
    Example("contracts.yaml", "yearofcare.quality", "yoc quality --contracts", "contract and budget values to check loaded costs against"),
    Example("analysis.yaml", "yearofcare.population.analysis", "yoc analyse --config", "whole-population analyses: split, year, cohorts", "yearofcare.population.analysis.run:AnalysisOptions"),
    Example("need.yaml", "yearofcare.segmentation", "yoc risk fit|score, yoc assess --rules", "risk model, levels of need, 3x3 matrix, rising risk (need-2026.1)", "yearofcare.segmentation.config:NeedRules"),
    Example("currencies.yaml", "yearofcare.segmentation", "yoc currency --currencies", "currencies: level of need, Southend LTC categories, NTP bands", "yearofcare.segmentation.currencies:Currencies"),
    Example("cohorts.yaml", "yearofcare.cohorts", "yoc cohort select|review|update|stability --cohorts", "cohort rules, currencies and volatility settings", "yearofcare.cohorts.config:CohortsFile"),
    Example("tiered_pooled.yaml", "yearofcare.contracts", "yoc settle", "risk-share terms: a pooled budget with a tiered share (sample local terms)", "yearofcare.contracts.terms:ContractTerms"),
    Example("tiered_pooled.inputs.yaml", "yearofcare.contracts", "yoc settle --inputs", "what happened in each period: outturn, achievement, high-cost people", "yearofcare.contracts.inputs:InputsFile"),
    Example("aqc_blue_cross.yaml", "yearofcare.contracts", "yoc settle", "risk-share terms: the Blue Cross AQC quality levels (DH 2012 annex 4.3)", "yearofcare.contracts.terms:ContractTerms"),
    Example("whittington_cap_collar_2012.yaml", "yearofcare.contracts", "yoc settle", "risk-share terms: flat funding with a 30% marginal rate (Whittington)", "yearofcare.contracts.terms:ContractTerms"),
    Example("lewisham_pathway_2012.yaml", "yearofcare.contracts", "yoc settle", "risk-share terms: the Lewisham pathway budget (DH 2012 annex 3.3.1)", "yearofcare.contracts.terms:ContractTerms"),
    Example("service_map.yaml", "yearofcare.finance", "yoc tariff / yoc tag --service-map", "which services are inside the capitated budget, from when", "yearofcare.finance.service_map:ServiceMapFile"),
    Example("rrr.yaml", "yearofcare.planning", "yoc rrr --settings", "RRR unbundling: groups and trim points, tiered RRR tariff, delayed bed-day price", "yearofcare.planning.rrr_settings:RrrSettings"),
    Example("finance.yaml", "yearofcare.finance", "yoc tariff / yoc budget / yoc reconcile --settings", "outliers, bootstrap, budget adjustments, schedule, forecast interval", "yearofcare.finance.settings:FinanceSettings"),
    Example("scenario_integrated_care.yaml", "yearofcare.planning", "yoc simulate --scenario", "simulation scenario: integrated care for the Table 3 risk bands (assumptions stated)", "yearofcare.planning.scenario:Scenario"),
    Example("scenario_complex_care.yaml", "yearofcare.planning", "yoc simulate --scenario", "simulation scenario: case management for the complex_care cohort, whose budget reads it (assumptions stated)", "yearofcare.planning.scenario:Scenario"),
    Example("scenario_telehealth_wsd.yaml", "yearofcare.planning", "yoc simulate --scenario", "simulation scenario: telehealth with the Whole System Demonstrator effects", "yearofcare.planning.scenario:Scenario"),
    Example("workforce.yaml", "yearofcare.planning", "yoc simulate --workforce", "staff groups and productivity (units a WTE delivers a year)", "yearofcare.planning.workforce:Workforce"),
)  # fmt: skip
