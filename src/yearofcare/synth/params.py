"""Settings of a synthetic run (`SynthParams`) and the model parameters read from data files.

Every number that shapes the synthetic care economy lives in a file under
`yearofcare/synth/params/` (CSV or YAML, each with its source or rationale); `load` reads and
checks them once (`paramfiles`) and hands the rest of the package plain NumPy arrays.
`SynthParams` holds only what a user chooses on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from yearofcare.errors import ConfigError
from yearofcare.synth.paramfiles import (
    AGE_BAND_COLUMNS,
    AGE_BAND_EDGES,
    CURVE_AGES,
    AcuteConfig,
    AssessmentConfig,
    CodeTable,
    EndOfLifeConfig,
    PlacesConfig,
    PopulationConfig,
    PrescribingConfig,
    ServiceTypes,
    SocialCareConfig,
    Stream,
    SurveyConfig,
    params_path,
    read_acute_reasons,
    read_age,
    read_codes,
    read_conditions,
    read_csv,
    read_dst,
    read_excess,
    read_factors,
    read_item_cost,
    read_los,
    read_model,
    read_mortality,
    read_prescriptions,
    read_providers,
    read_seasonality,
    read_services,
    read_streams,
    read_yaml,
)
from yearofcare.synth.settings import SynthParams

__all__ = [
    "AGE_BAND_COLUMNS",
    "AGE_BAND_EDGES",
    "CURVE_AGES",
    "CodeTable",
    "ModelParams",
    "ServiceTypes",
    "Stream",
    "SynthParams",
    "load",
    "params_path",
    "read_csv",
    "read_yaml",
]


@dataclass(frozen=True)
class ModelParams:
    """All parameter files, checked and turned into arrays."""

    population: PopulationConfig
    age: dict[str, np.ndarray]
    mortality: dict[str, np.ndarray]
    conditions: tuple[str, ...]
    condition_table: dict[str, np.ndarray]
    factors: tuple[str, ...]
    loadings: np.ndarray  # conditions x factors
    streams: dict[str, Stream]
    excess: np.ndarray  # conditions x streams (order of `streams`)
    item_cost: np.ndarray  # conditions: mean cost of the prescription items each condition adds
    services: dict[str, ServiceTypes]
    los: dict[str, dict[str, np.ndarray]]
    seasonality: dict[str, np.ndarray]
    acute: AcuteConfig
    social_care: SocialCareConfig
    end_of_life: EndOfLifeConfig
    icd: CodeTable
    snomed: CodeTable
    snomed_resolved: CodeTable
    acute_reasons: dict[str, CodeTable]
    prescriptions: dict[str, CodeTable]  # BNF codes: "condition" and "general" (base rate)
    providers: dict[str, list[tuple[str, float]]]
    places: PlacesConfig
    assessment: AssessmentConfig
    dst: dict[str, Any]
    survey: SurveyConfig
    prescribing_items_per_row: float

    def k(self, condition_id: str) -> int:
        return self.conditions.index(condition_id)

    @property
    def stream_names(self) -> tuple[str, ...]:
        return tuple(self.streams)


@lru_cache(maxsize=1)
def load() -> ModelParams:
    """Read and check every parameter file (cached for the process)."""
    conditions, table = read_conditions()
    factors, loadings = read_factors(conditions, table)
    streams = read_streams()
    excess = read_excess(conditions, streams)
    mp = ModelParams(
        population=read_model("population.yaml", PopulationConfig),
        age=read_age(),
        mortality=read_mortality(),
        conditions=conditions,
        condition_table=table,
        factors=factors,
        loadings=loadings,
        streams=streams,
        excess=excess,
        item_cost=read_item_cost(conditions),
        services=read_services(streams),
        los=read_los(),
        seasonality=read_seasonality(),
        acute=read_model("acute.yaml", AcuteConfig),
        social_care=read_model("social_care.yaml", SocialCareConfig),
        end_of_life=read_model("end_of_life.yaml", EndOfLifeConfig),
        icd=read_codes(conditions, "ICD10", "diagnosis"),
        snomed=read_codes(conditions, "SNOMED", "diagnosis"),
        snomed_resolved=read_codes(conditions, "SNOMED", "resolved"),
        acute_reasons=read_acute_reasons(),
        prescriptions=read_prescriptions(conditions, excess[:, list(streams).index("prescribing")]),
        providers=read_providers(),
        places=read_model("places.yaml", PlacesConfig),
        assessment=read_model("assessment.yaml", AssessmentConfig),
        dst=read_dst(conditions),
        survey=read_model("survey.yaml", SurveyConfig),
        prescribing_items_per_row=read_model("prescribing.yaml", PrescribingConfig).items_per_row,
    )
    _check_names(mp)
    return mp


def _check_names(mp: ModelParams) -> None:
    """Names that one file uses and another defines must agree."""
    from yearofcare import vocab
    from yearofcare.synth.socialcare import SERVICES

    drivers = set(mp.dst["drivers"])
    checks = [
        ("survey.yaml need_weights", set(mp.survey.need_weights), drivers),
        (
            "assessment.yaml domains",
            set(mp.assessment.functional_domains) | set(mp.assessment.complexity_domains),
            set(vocab.DST_DOMAINS),
        ),
        (
            "assessment.yaml matrix",
            {v for row in mp.assessment.matrix for v in row},
            set(vocab.NEED_LEVELS),
        ),
        (
            "assessment.yaml assessor_providers",
            set(mp.assessment.assessor_providers),
            {c for lst in mp.providers.values() for c, _ in lst},
        ),
        (
            "social_care.yaml package_mix",
            {k for m in mp.social_care.package_mix.values() for k in m}
            | set(mp.social_care.care_home_move_mix),
            set(SERVICES),
        ),
        (
            "end_of_life.yaml place_of_death",
            {k for m in mp.end_of_life.place_of_death.values() for k in m},
            set(vocab.PLACES_OF_DEATH),
        ),
        ("end_of_life.yaml last_year", set(mp.end_of_life.last_year), set(mp.streams)),
        ("end_of_life.yaml death_season", {mp.end_of_life.death_season}, set(mp.seasonality)),
        ("streams.csv season", {s.season for s in mp.streams.values()}, set(mp.seasonality)),
        ("length_of_stay.csv", {s.name for s in mp.streams.values() if s.stay}, set(mp.los)),
    ]
    for where, used, known in checks:
        unknown = sorted(used - known)
        if unknown:
            raise ConfigError(
                f"params/{where}: unknown name(s) {unknown}",
                hint=f"expected one of {sorted(known)}",
            )
