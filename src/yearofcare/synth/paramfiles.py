"""Reading and checking the model parameter files under `yearofcare/synth/params/`.

Every file is CSV or YAML with its source or rationale in comments; a value out of range, an
unknown condition or a missing column raises ConfigError naming the file and row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import yaml
from pydantic import Field

from yearofcare import vocab
from yearofcare.config import ConfigModel, validate
from yearofcare.errors import ConfigError
from yearofcare.schemas.population import condition_ids

AGE_BAND_EDGES = np.array([0, 5, 18, 45, 65, 75, 85])
AGE_BAND_COLUMNS = ("a0_4", "a5_17", "a18_44", "a45_64", "a65_74", "a75_84", "a85")
#: Ages at which condition prevalence curves are given (conditions.csv p0..p100).
CURVE_AGES = np.arange(0, 101, 10)


PARAMS_PACKAGE = "yearofcare.synth"


def _path(name: str) -> Any:
    return resources.files(PARAMS_PACKAGE) / "params" / name


def _read_text(name: str) -> str:
    try:
        return _path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"synthetic parameter file params/{name} is missing",
            hint="reinstall yearofcare; the files ship in yearofcare/synth/params/",
        ) from None


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a parameter CSV; lines starting with `#` are comments."""
    text = "\n".join(
        line for line in _read_text(name).splitlines() if not line.lstrip().startswith("#")
    )
    return list(csv.DictReader(io.StringIO(text)))


def read_yaml(name: str) -> dict[str, Any]:
    data = yaml.safe_load(_read_text(name))
    if not isinstance(data, dict):
        raise ConfigError(f"params/{name} should hold a mapping of settings")
    return data


def _num(name: str, row: dict[str, str], col: str, line: int) -> float:
    try:
        return float(row[col])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(
            f"params/{name} row {line}: column {col!r} should be a number, found {row.get(col)!r}",
            hint=f"fix the value in yearofcare/synth/params/{name}",
        ) from None


def read_model(name: str, cls: type[_Strict]) -> Any:
    return validate(cls, read_yaml(name), source=f"synthetic parameter file params/{name}")


class _Strict(ConfigModel):
    config_hint: ClassVar[str | None] = (
        "fix the setting in yearofcare/synth/params/ (each file documents its sources)"
    )


class PopulationConfig(_Strict):
    birth_rate: float = Field(ge=0, le=0.1)
    in_migration_rate: float = Field(ge=0, le=0.5)
    transfer_rate: float = Field(ge=0, le=0.5)
    transfer_min_days: int = Field(ge=0)
    registration_years_mean: float = Field(gt=0)
    newborn_registration_delay_days: tuple[int, int]
    people_per_lsoa: int = Field(ge=100)
    people_per_practice: int = Field(ge=500)
    practices_per_locality: int = Field(ge=1)
    practice_size_sigma: float = Field(ge=0)
    locality_mixing_sd: float = Field(ge=0)
    lsoa_code_start: int = Field(ge=0)
    practice_code_prefix: str
    practice_code_start: int = Field(ge=0)
    imd_shift: float
    horizon_years_after: int = Field(ge=1, le=10)


class AcuteConfig(_Strict):
    ne_short_stay_price: float = Field(gt=0)
    short_stay_max_los: int = Field(ge=0)
    los_fixed_share: float = Field(ge=0, le=1)
    cc_uplift: float = Field(ge=0)
    cc_cap: int = Field(ge=0)
    los_per_condition: float = Field(ge=0)
    trim_days: dict[str, int]
    excess_bed_day_price: float = Field(ge=0)
    ne_via_ae: float = Field(ge=0, le=1)
    ne_via_ambulance: float = Field(ge=0, le=1)
    step_down_community_bed: tuple[float, float, float]
    home_trust_share: float = Field(ge=0, le=1)
    specialised_share: float = Field(ge=0, le=1)


class SocialCareConfig(_Strict):
    age_bands: tuple[int, int, int, int]
    prevalence: tuple[float, float, float, float]
    incidence: tuple[float, float, float, float]
    prevalent_years_mean: float = Field(gt=0)
    frailty_loghr: float
    deprivation_loghr: float
    package_end_rate: float = Field(ge=0)
    move_to_care_home_rate: float = Field(ge=0)
    care_home_mortality_loghr: float
    package_mix: dict[str, dict[str, float]]
    care_home_move_mix: dict[str, float]
    home_care_hours_per_week: float = Field(gt=0)
    home_care_hours_sigma: float = Field(ge=0)
    day_care_sessions_per_week: float = Field(gt=0)
    reablement_after_discharge: tuple[float, float, float]
    reablement_weeks: int = Field(ge=1)
    reablement_hours_per_week: float = Field(gt=0)


class PalliativeConfig(_Strict):
    base: float = Field(ge=0, le=1)
    cancer: float = Field(ge=0, le=1)
    organ_failure: float = Field(ge=0, le=1)
    dementia: float = Field(ge=0, le=1)
    maximum: float = Field(ge=0, le=1)
    mean_days_before_death: float = Field(gt=0)


class LastYearStream(_Strict):
    count: float = Field(ge=0)
    tau_days: float = Field(gt=0)


class EndOfLifeConfig(_Strict):
    frailty_loghr: float
    death_season: str
    deprivation_loghr: float
    place_of_death: dict[str, dict[str, float]]
    palliative: PalliativeConfig
    last_year: dict[str, LastYearStream]
    last_year_multiplier: dict[str, float]
    terminal_stay_days: dict[str, float]


class AssessmentConfig(_Strict):
    sample_base: float = Field(ge=0, le=1)
    sample_per_extra_ltc: float = Field(ge=0, le=1)
    sample_cap: float = Field(ge=0, le=1)
    sample_frailty_loghr: float
    assessments_per_assessor: int = Field(ge=1)
    min_assessors: int = Field(ge=2)
    assessor_providers: tuple[str, ...]
    upcoder_share: float = Field(ge=0, le=1)
    upcode_levels: int = Field(ge=1, le=2)
    noise_sd: float = Field(ge=0)
    functional_domains: tuple[str, ...]
    complexity_domains: tuple[str, ...]
    functional_cuts: tuple[float, float]
    complexity_cuts: tuple[float, float]
    matrix: tuple[tuple[str, str, str], tuple[str, str, str], tuple[str, str, str]]
    end_of_life_days: int = Field(ge=0)


class SurveyConfig(_Strict):
    sample_rate: float = Field(ge=0, le=1)
    need_weights: dict[str, float]
    intercepts: tuple[float, float, float, float, float, float]
    person_sd: float = Field(ge=0)
    noise_sd: float = Field(ge=0)
    cuts: tuple[float, float, float]
    missing_answer: float = Field(ge=0, le=1)


class PrescribingConfig(_Strict):
    items_per_row: float = Field(ge=1)


class PlacesConfig(_Strict):
    localities: tuple[str, ...]
    practice_stems: tuple[str, ...]
    practice_suffixes: tuple[str, ...]


@dataclass(frozen=True)
class Stream:
    """One stream of activity (streams.csv) with its rates and costs."""

    name: str
    setting: str
    source: str
    unit_type: str
    cost_basis: str
    funding_route: str
    provider_type: str
    model: str
    season: str
    propensity_sigma: float
    gamma_shape: float
    mm_interaction: float
    mm_cap: float
    saturation: float
    deprivation_gradient: float
    stay: bool
    coded: bool
    id_prefix: str
    female_only: bool = False
    female_mult: float = 1.0
    base: np.ndarray | None = None  # rates by age band (7)
    prescribed: bool = False  # rows carry the BNF code of what the items are for


@dataclass(frozen=True)
class ServiceTypes:
    """The service-type mix and unit costs of one stream (unit_costs.csv)."""

    names: tuple[str, ...]
    share: np.ndarray
    unit_cost: np.ndarray
    cost_sigma: np.ndarray
    currency: tuple[str, ...]
    unit_type: tuple[str, ...]
    min_age: np.ndarray
    max_age: np.ndarray
    sex: tuple[str, ...]


@dataclass(frozen=True)
class CodeTable:
    """Weighted codes of one kind: condition index (or -1), code, weight, sex, age limits."""

    owner: np.ndarray  # condition index, or stream-specific group
    code: np.ndarray  # str
    weight: np.ndarray
    sex: np.ndarray  # "", "F" or "M"
    min_age: np.ndarray
    max_age: np.ndarray


def read_age() -> dict[str, np.ndarray]:
    name = "age_structure.csv"
    rows = read_csv(name)
    cols = ("age_from", "age_to", "share", "female_share", "migrant_share", "out_migration_rate")
    out = {c: np.array([_num(name, r, c, i + 2) for i, r in enumerate(rows)]) for c in cols}
    out["share"] = out["share"] / out["share"].sum()
    out["migrant_share"] = out["migrant_share"] / out["migrant_share"].sum()
    return out


def read_mortality() -> dict[str, np.ndarray]:
    name = "mortality.csv"
    rows = read_csv(name)
    cols = ("age_from", "age_to", "qx_male", "qx_female")
    return {c: np.array([_num(name, r, c, i + 2) for i, r in enumerate(rows)]) for c in cols}


_CONDITION_NUMBERS = (
    "male_rr",
    "deprivation",
    "resolve_prob",
    "resolve_years",
    "resolve_min_days",
    "mortality_loghr",
    "care_loghr",
    "gp_recorded",
    "hes_secondary",
)


def read_conditions() -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    name = "conditions.csv"
    rows = read_csv(name)
    ids = tuple(r["condition_id"] for r in rows)
    catalogue = condition_ids()
    if sorted(ids) != sorted(catalogue) or len(set(ids)) != len(ids):
        missing = sorted(set(catalogue) - set(ids))
        extra = sorted(set(ids) - set(catalogue))
        raise ConfigError(
            f"params/{name} must have one row per catalogue condition; "
            f"missing {missing or 'none'}, not in the catalogue {extra or 'none'}",
            hint="condition_id values must match yoc_ltc_catalogue_2026.csv exactly",
        )
    table: dict[str, np.ndarray] = {
        c: np.array([_num(name, r, c, i + 2) for i, r in enumerate(rows)])
        for c in _CONDITION_NUMBERS
    }
    table["curve"] = np.array(
        [[_num(name, r, f"p{a}", i + 2) for a in CURVE_AGES] for i, r in enumerate(rows)]
    )
    sex = np.array([r["sex"] for r in rows])
    if not set(sex) <= {"all", "F", "M"}:
        raise ConfigError(f"params/{name}: sex must be all, F or M")
    table["sex"] = sex
    if (table["curve"] < 0).any() or (table["curve"] >= 1).any():
        raise ConfigError(f"params/{name}: prevalence p0..p100 must lie in [0, 1)")
    return ids, table


def read_factors(
    conditions: tuple[str, ...], table: dict[str, np.ndarray]
) -> tuple[tuple[str, ...], np.ndarray]:
    name = "condition_factors.csv"
    rows = read_csv(name)
    factors = tuple(dict.fromkeys(r["factor"] for r in rows))
    if "frailty" not in factors:
        raise ConfigError(f"params/{name} must define the frailty factor")
    loadings = np.zeros((len(conditions), len(factors)))
    for i, r in enumerate(rows):
        if r["condition_id"] not in conditions:
            raise ConfigError(f"params/{name} row {i + 2}: unknown condition {r['condition_id']!r}")
        loadings[conditions.index(r["condition_id"]), factors.index(r["factor"])] = _num(
            name, r, "loading", i + 2
        )
    total = (loadings**2).sum(axis=1) + table["deprivation"] ** 2
    if (total >= 0.98).any():
        bad = [conditions[i] for i in np.flatnonzero(total >= 0.98)]
        raise ConfigError(
            f"params/{name}: squared loadings plus deprivation^2 must sum below 1 for {bad}",
            hint="lower some loadings: they are correlations with the condition's liability",
        )
    return factors, loadings


def read_streams() -> dict[str, Stream]:
    name = "streams.csv"
    base_rows = {r["stream"]: r for r in read_csv("base_rates.csv")}
    out: dict[str, Stream] = {}
    for i, r in enumerate(read_csv(name)):
        line = i + 2
        if r["setting"] not in vocab.SETTINGS:
            raise ConfigError(f"params/{name} row {line}: unknown setting {r['setting']!r}")
        if r["unit_type"] not in vocab.UNIT_TYPES:
            raise ConfigError(f"params/{name} row {line}: unknown unit_type {r['unit_type']!r}")
        if r["cost_basis"] not in vocab.COST_BASES:
            raise ConfigError(f"params/{name} row {line}: unknown cost_basis {r['cost_basis']!r}")
        if r["funding_route"] not in vocab.FUNDING_ROUTES:
            raise ConfigError(f"params/{name} row {line}: unknown funding {r['funding_route']!r}")
        base = base_rows.get(r["stream"])
        rates = None
        if base is not None:
            rates = np.array([_num("base_rates.csv", base, c, 0) for c in AGE_BAND_COLUMNS])
        elif r["model"] in ("events", "items"):
            raise ConfigError(f"params/base_rates.csv has no row for stream {r['stream']!r}")
        out[r["stream"]] = Stream(
            name=r["stream"],
            setting=r["setting"],
            source=r["source"],
            unit_type=r["unit_type"],
            cost_basis=r["cost_basis"],
            funding_route=r["funding_route"],
            provider_type=r["provider_type"],
            model=r["model"],
            season=r["season"],
            propensity_sigma=_num(name, r, "propensity_sigma", line),
            gamma_shape=_num(name, r, "gamma_shape", line),
            mm_interaction=_num(name, r, "mm_interaction", line),
            mm_cap=_num(name, r, "mm_cap", line),
            saturation=_num(name, r, "saturation", line),
            deprivation_gradient=_num(name, r, "deprivation_gradient", line),
            stay=r["stay"] == "los",
            coded=r["coded"] == "icd",
            id_prefix=r["id_prefix"],
            female_only=base is not None and base["sex"] == "F",
            female_mult=_num("base_rates.csv", base, "female_mult", 0) if base else 1.0,
            base=rates,
            prescribed=r["coded"] == "bnf",
        )
    missing = set(vocab.SETTINGS) - {s.setting for s in out.values()}
    if missing:
        raise ConfigError(f"params/{name}: no stream generates settings {sorted(missing)}")
    return out


def read_excess(conditions: tuple[str, ...], streams: dict[str, Stream]) -> np.ndarray:
    name = "condition_activity.csv"
    rows = {r["condition_id"]: r for r in read_csv(name)}
    if set(rows) != set(conditions):
        raise ConfigError(f"params/{name} must have one row per catalogue condition")
    out = np.zeros((len(conditions), len(streams)))
    for j, s in enumerate(streams):
        for k, c in enumerate(conditions):
            if s in rows[c]:
                out[k, j] = _num(name, rows[c], s, k + 2)
    return out


def read_item_cost(conditions: tuple[str, ...]) -> np.ndarray:
    name = "condition_activity.csv"
    rows = {r["condition_id"]: r for r in read_csv(name)}
    return np.array(
        [_num(name, rows[c], "prescribing_item_cost", k + 2) for k, c in enumerate(conditions)]
    )


def read_services(streams: dict[str, Stream]) -> dict[str, ServiceTypes]:
    name = "unit_costs.csv"
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for i, r in enumerate(read_csv(name)):
        groups.setdefault(r["stream"], []).append((i + 2, r))
    out = {}
    for s in streams:
        rows = groups.get(s)
        if not rows:
            raise ConfigError(f"params/{name} has no unit cost for stream {s!r}")
        out[s] = ServiceTypes(
            names=tuple(r["service_type"] for _, r in rows),
            share=np.array([_num(name, r, "share", i) for i, r in rows]),
            unit_cost=np.array([_num(name, r, "unit_cost", i) for i, r in rows]),
            cost_sigma=np.array([_num(name, r, "cost_sigma", i) for i, r in rows]),
            currency=tuple(r["currency"] for _, r in rows),
            unit_type=tuple(r["unit_type"] or streams[s].unit_type for _, r in rows),
            min_age=np.array([_num(name, r, "min_age", i) for i, r in rows]),
            max_age=np.array([_num(name, r, "max_age", i) for i, r in rows]),
            sex=tuple(r["sex"] for _, r in rows),
        )
    return out


def read_los() -> dict[str, dict[str, np.ndarray]]:
    name = "length_of_stay.csv"
    out: dict[str, dict[str, np.ndarray]] = {}
    for i, r in enumerate(read_csv(name)):
        out.setdefault(r["stream"], {})[r["measure"]] = np.array(
            [_num(name, r, c, i + 2) for c in AGE_BAND_COLUMNS]
        )
    return out


def read_seasonality() -> dict[str, np.ndarray]:
    name = "seasonality.csv"
    rows = read_csv(name)
    profiles = [c for c in rows[0] if c != "month"]
    return {p: np.array([_num(name, r, p, i + 2) for i, r in enumerate(rows)]) for p in profiles}


def read_codes(conditions: tuple[str, ...], system: str, role: str) -> CodeTable:
    name = "condition_codes.csv"
    rows = [
        (i + 2, r)
        for i, r in enumerate(read_csv(name))
        if r["code_system"] == system and r["role"] == role
    ]
    for line, r in rows:
        if r["condition_id"] not in conditions:
            raise ConfigError(f"params/{name} row {line}: unknown condition {r['condition_id']!r}")
    return CodeTable(
        owner=np.array([conditions.index(r["condition_id"]) for _, r in rows], dtype=np.int32),
        code=np.array([r["code"] for _, r in rows]),
        weight=np.array([_num(name, r, "weight", line) for line, r in rows]),
        sex=np.array([r["sex"] for _, r in rows]),
        min_age=np.zeros(len(rows)),
        max_age=np.full(len(rows), 200.0),
    )


def read_prescriptions(conditions: tuple[str, ...], items: np.ndarray) -> dict[str, CodeTable]:
    """BNF codes of prescribing rows (prescriptions.csv): `condition` rows owned by a condition
    index, `general` rows (owner -1) with age and sex limits. `items`: each condition's extra
    items a year; a condition that adds items needs at least one code."""
    name = "prescriptions.csv"
    rows = list(enumerate(read_csv(name), start=2))
    for line, r in rows:
        if r["owner"] != "general" and r["owner"] not in conditions:
            raise ConfigError(f"params/{name} row {line}: unknown owner {r['owner']!r}")
    without = [c for k, c in enumerate(conditions) if items[k] > 0]
    without = [c for c in without if not any(r["owner"] == c for _, r in rows)]
    if without:
        raise ConfigError(f"params/{name}: no BNF code for {without[0]}, which adds items")

    def table(selected: list[tuple[int, dict[str, str]]], owner) -> CodeTable:
        return CodeTable(
            owner=np.array([owner(r) for _, r in selected], dtype=np.int32),
            code=np.array([r["bnf_code"] for _, r in selected]),
            weight=np.array([_num(name, r, "weight", line) for line, r in selected]),
            sex=np.array([r["sex"] for _, r in selected]),
            min_age=np.array([_num(name, r, "min_age", line) for line, r in selected]),
            max_age=np.array([_num(name, r, "max_age", line) for line, r in selected]),
        )

    general = [(line, r) for line, r in rows if r["owner"] == "general"]
    owned = [(line, r) for line, r in rows if r["owner"] != "general"]
    return {
        "condition": table(owned, lambda r: conditions.index(r["owner"])),
        "general": table(general, lambda r: -1),
    }


def read_acute_reasons() -> dict[str, CodeTable]:
    name = "acute_reasons.csv"
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for i, r in enumerate(read_csv(name)):
        groups.setdefault(r["stream"], []).append((i + 2, r))
    return {
        s: CodeTable(
            owner=np.full(len(rows), -1, dtype=np.int32),
            code=np.array([r["code"] for _, r in rows]),
            weight=np.array([_num(name, r, "weight", i) for i, r in rows]),
            sex=np.array([r["sex"] for _, r in rows]),
            min_age=np.array([_num(name, r, "min_age", i) for i, r in rows]),
            max_age=np.array([_num(name, r, "max_age", i) for i, r in rows]),
        )
        for s, rows in groups.items()
    }


def read_providers() -> dict[str, list[tuple[str, float]]]:
    name = "providers.csv"
    out: dict[str, list[tuple[str, float]]] = {}
    for i, r in enumerate(read_csv(name)):
        out.setdefault(r["provider_type"], []).append(
            (r["provider_code"], _num(name, r, "weight", i + 2))
        )
    return out


def read_dst(conditions: tuple[str, ...]) -> dict[str, Any]:
    name = "dst_drivers.csv"
    rows = read_csv(name)
    drivers = ("intercept", "frailty", "age85", "ltc_count", *conditions)
    weights = np.zeros((len(vocab.DST_DOMAINS), len(drivers)))
    max_level = np.zeros(len(vocab.DST_DOMAINS), dtype=np.int8)
    for i, r in enumerate(rows):
        if r["domain"] not in vocab.DST_DOMAINS:
            raise ConfigError(f"params/{name} row {i + 2}: unknown DST domain {r['domain']!r}")
        if r["driver"] not in drivers:
            raise ConfigError(f"params/{name} row {i + 2}: unknown driver {r['driver']!r}")
        d = vocab.DST_DOMAINS.index(r["domain"])
        weights[d, drivers.index(r["driver"])] = _num(name, r, "weight", i + 2)
        max_level[d] = int(_num(name, r, "max_level", i + 2))
    return {"drivers": drivers, "weights": weights, "max_level": max_level}


def params_path() -> Path:
    """Where the parameter files live (for documentation and error messages)."""
    return Path(str(_path("")))
