"""`yoc analyse`: run every whole-population analysis and write its table to the store.

This is the edge of the analyses: the builders in the sibling modules return Ibis expressions;
here each (small, aggregated) result is executed, passed through small-number suppression
(yearofcare.disclosure) and written, all in one stage run so the tables change together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import ibis
import pandas as pd
import pyarrow as pa
from pydantic import field_validator

from yearofcare import schemas
from yearofcare.config import ConfigModel, settings
from yearofcare.disclosure import DEFAULT_POLICY, DisclosurePolicy, suppress
from yearofcare.errors import ConfigError, StageError
from yearofcare.population.analysis.base import Analysis, Inputs, Skip
from yearofcare.population.analysis.beds import bed_demand
from yearofcare.population.analysis.care import (
    BED_DEMAND_BY_LTC,
    COST_BY_ORGANISATION,
    CRISIS_MONTHS,
    LAST_YEAR_OF_LIFE,
    LEARNING_DISABILITY,
)
from yearofcare.population.analysis.common import (
    ALL,
    BY_COLUMNS,
    DEFAULT_RULES,
    SelectionRule,
    check_by,
)
from yearofcare.population.analysis.concentration import (
    TOP_PERCENTS,
    cost_concentration,
    ltc_share,
)
from yearofcare.population.analysis.cost_by_ltc import (
    cost_by_ltc_age,
    cost_by_ltc_setting,
    cost_strength,
)
from yearofcare.population.analysis.costed import costed_activity
from yearofcare.population.analysis.crisis_curve import crisis_curve
from yearofcare.population.analysis.mm_overlap import mm_overlap
from yearofcare.population.analysis.risk_overlap import (
    RISK_TOP_PERCENTS,
    risk_overlap,
    scores_for_year,
)
from yearofcare.population.analysis.turnover import cohort_turnover
from yearofcare.population.analysis_population import DEFAULT_POPULATION, AnalysisPopulation
from yearofcare.progress import SILENT, Progress
from yearofcare.schemas.population import CATALOGUE
from yearofcare.store import Store

STAGE = "analyse"


class AnalysisOptions(ConfigModel):
    """What `yoc analyse` was asked to do (recorded in the run log)."""

    config_name: ClassVar[str] = "analysis options"
    config_hint: ClassVar[str | None] = "see `yoc analyse --help` for the allowed values"

    by: str | None = None
    fy: int | None = None
    rules: tuple[SelectionRule, ...] = DEFAULT_RULES
    top_percents: tuple[float, ...] = TOP_PERCENTS
    risk_top_percents: tuple[float, ...] = RISK_TOP_PERCENTS
    score_table: str = "risk_score"
    score_column: str = "score"
    population: AnalysisPopulation = DEFAULT_POPULATION

    @field_validator("by")
    @classmethod
    def _by(cls, v: str | None) -> str | None:
        if v is not None and v not in BY_COLUMNS:
            raise ValueError("by must be one of " + ", ".join(BY_COLUMNS))
        return v

    @field_validator("top_percents", "risk_top_percents")
    @classmethod
    def _percents(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or any(not 0 < p <= 100 for p in v):
            raise ValueError("percentages must be above 0 and at most 100")
        return v

    @classmethod
    def build(cls, **values: object) -> AnalysisOptions:
        """Validated options; a bad value raises ConfigError naming the setting."""
        check_by(values.get("by"))  # type: ignore[arg-type]
        return settings(cls, **values)


def _risk(inp: Inputs) -> ibis.Table | Skip:
    if inp.scores_year is None:
        return Skip(
            f"no risk score table ({inp.options.score_table!r}) is in the store yet, so risk-"
            "selected and multimorbidity-selected people cannot be compared; this section will "
            "fill in once a risk model writes scores (or give any score table with --score-table)"
        )
    return risk_overlap(inp.py_year, inp.scores_year, inp.options.by, inp.options.risk_top_percents)


def _beds(inp: Inputs) -> ibis.Table | Skip:
    if inp.activity is None:
        return Skip("the store has no activity table, so bed use by month cannot be counted")
    return bed_demand(
        inp.activity, inp.fys, inp.py, inp.options.by, members=inp.py.select("person_id", "fy")
    )


ANALYSES: tuple[Analysis, ...] = (
    Analysis(
        "analysis_cost_by_ltc_age",
        "Cost by number of long-term conditions and age",
        lambda i: cost_by_ltc_age(i.py_year, i.options.by),
        counts=("people",),
        derived=("cost_total", "mean_cost", "mean_cost_non_elective"),
        totals=("cost_total",),
        per=dict.fromkeys(("mean_cost", "mean_cost_non_elective"), "people"),
        lines=(("fy", "split_by", "split_value"), ("fy", "split_by", "ltc_band", "age_band")),
    ),
    Analysis(
        "analysis_cost_by_ltc_setting",
        "Cost by number of long-term conditions, by setting",
        lambda i: cost_by_ltc_setting(i.py_year, i.options.by),
        counts=("people",),
        derived=("cost", "mean_cost", "share_of_band_cost"),
        totals=("cost", "share_of_band_cost"),
        per={"mean_cost": "people"},
        lines=(
            ("fy", "split_by", "split_value", "cost_group"),
            ("fy", "split_by", "ltc_band", "cost_group"),
        ),
    ),
    Analysis(
        "analysis_cost_strength",
        "How strongly LTCs and age explain cost",
        lambda i: cost_strength(i.py_year, i.options.by),
        counts=("people",),
        derived=("eta_squared", "mean_cost"),
        per={"mean_cost": "people"},
    ),
    Analysis(
        "analysis_cost_concentration",
        "Concentration of cost",
        lambda i: cost_concentration(i.py_year, i.options.by, i.options.top_percents),
        counts=("people", "population"),
        derived=("cost_top", "cost_all", "share_of_people", "share_of_cost"),
        totals=("cost_top", "cost_all"),
        ratios={
            "share_of_people": ("people", "population"),
            "share_of_cost": ("cost_top", "cost_all"),
        },
    ),
    Analysis(
        "analysis_ltc_share",
        "What people with long-term conditions use",
        lambda i: ltc_share(i.py_year, i.options.by),
        counts=("people_with_ltc", "people_total"),
        derived=("total_with_ltc", "total_all", "share_of_people", "share_with_ltc"),
        totals=("total_with_ltc", "total_all"),
        ratios={
            "share_of_people": ("people_with_ltc", "people_total"),
            "share_with_ltc": ("total_with_ltc", "total_all"),
        },
    ),
    Analysis(
        "analysis_mm_overlap",
        "Physical and mental health multimorbidity",
        lambda i: mm_overlap(i.py_year, i.options.by),
        counts=("people",),
        derived=("cost_total", "mean_cost", "share_of_people"),
        totals=("cost_total",),
        per={"mean_cost": "people"},
        shares={"share_of_people": "people"},
        lines=(
            ("fy", "split_by", "split_value"),
            ("fy", "split_by", "physical_band", "mental_band"),
        ),
    ),
    COST_BY_ORGANISATION,
    Analysis(
        "analysis_risk_overlap",
        "Risk-selected vs multimorbidity-selected people",
        _risk,
        counts=("people",),
        derived=(
            "mean_cost",
            "mean_cost_non_elective",
            "mean_ltc_count",
            "mean_score",
        ),
        per=dict.fromkeys(
            ("mean_cost", "mean_cost_non_elective", "mean_ltc_count", "mean_score"), "people"
        ),
    ),
    Analysis(
        "analysis_crisis_curve",
        "The crisis curve",
        lambda i: crisis_curve(i.py, i.fys, i.options.rules, i.options.by, i.scores_by_year),
        counts=(
            "members",
            "observed",
            "died_in_year",
            "died_cumulative",
            "lost_to_follow_up",
            "with_emergency_admission",
        ),
        derived_from={
            "mean_cost_observed": ("observed",),
            "mean_cost_per_member": ("members",),
            "mean_cost_non_elective_observed": ("observed",),
            "share_with_emergency_admission": ("observed", "with_emergency_admission"),
        },
        per={
            "mean_cost_observed": "observed",
            "mean_cost_per_member": "members",
            "mean_cost_non_elective_observed": "observed",
        },
        ratios={"share_with_emergency_admission": ("with_emergency_admission", "observed")},
    ),
    CRISIS_MONTHS,
    Analysis(
        "analysis_cohort_turnover",
        "Cohort turnover year to year",
        lambda i: cohort_turnover(i.py, i.fys, i.options.rules, i.options.by, i.scores_by_year),
        counts=(
            "members",
            "retained",
            "died",
            "left_area",
            "dropped_out",
            "joiners",
            "members_next",
        ),
        derived_from={
            "retention": ("members", "retained"),
            "retention_among_present": ("retained", "dropped_out"),
        },
        ratios={
            "retention": ("retained", "members"),
            "retention_among_present": ("retained", ("retained", "dropped_out")),
        },
        parts={
            "members": ("retained", "died", "left_area", "dropped_out"),
            "members_next": ("retained", "joiners"),
        },
    ),
    Analysis(
        "analysis_bed_demand",
        "Bed demand by setting and month",
        _beds,
        counts=("people", "stays"),
        derived_from={
            "bed_days": ("people", "stays"),
            "mean_beds_occupied": ("people", "stays"),
        },
        totals=("bed_days", "mean_beds_occupied"),
    ),
    BED_DEMAND_BY_LTC,
    LEARNING_DISABILITY,
    LAST_YEAR_OF_LIFE,
)


@dataclass(frozen=True)
class AnalysisResult:
    """What one `yoc analyse` run wrote: its run id, the year, the (suppressed) tables."""

    run_id: str
    fy: int
    fys: tuple[int, ...]
    tables: dict[str, pd.DataFrame]
    skipped: dict[str, str]


def safe_frame(
    analysis: Analysis,
    frame: pd.DataFrame,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    population: AnalysisPopulation = DEFAULT_POPULATION,
) -> pd.DataFrame:
    """`frame` after small-number suppression, in the declared column order and types, each
    row stating the analysis population it counts. The groups of a split (localities …) add up
    to its `all` row, so each set of them is a line for secondary suppression."""
    declared = schemas.get(analysis.table)
    split_line = tuple(k for k in declared.key if k != "split_value")
    safe = suppress(
        frame,
        analysis.counts,
        analysis.derived,
        policy,
        derived_from=dict(analysis.derived_from),
        totals=analysis.totals,
        per=dict(analysis.per),
        ratios=dict(analysis.ratios),
        shares=dict(analysis.shares),
        lines=(*analysis.lines, split_line),
        parts=dict(analysis.parts),
    )
    for c in analysis.counts:
        safe[c] = safe[c].round().astype("Int64")
    safe["analysis_population"] = population.description
    safe = safe.assign(_whole=safe["split_by"] != ALL).sort_values(
        ["_whole", *declared.key], kind="stable"
    )
    return safe[list(declared.names)].reset_index(drop=True)


def _arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _empty(table: str) -> pd.DataFrame:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    return pa.Table.from_pylist([], schema=schema).to_pandas()


def run_analyses(
    store: Store,
    options: AnalysisOptions | None = None,
    *,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    progress: Progress = SILENT,
) -> AnalysisResult:
    """Run every analysis on the store's person_year (and activity, and a score table when
    present) and write the suppressed tables in one stage run."""
    options = options or AnalysisOptions()
    params = options.model_dump(mode="json")
    with store.stage(STAGE, params) as run:
        everyone = run.read("person_year")
        py = options.population.members(everyone)
        years = store.to_pandas(everyone.select("fy").distinct())["fy"]
        fys = tuple(sorted(int(v) for v in years))
        if not fys:
            raise StageError(
                "person_year is empty", hint="run `yoc build` to fill it from the canonical tables"
            )
        fy = options.fy if options.fy is not None else fys[-1]
        if fy not in fys:
            raise ConfigError(
                f"person_year has no financial year {fy}",
                hint="years present: " + ", ".join(str(y) for y in fys),
            )
        activity = run.read("activity") if store.exists("activity") else None
        scores_year = scores_by_year = None
        if store.exists(options.score_table):
            raw = run.read(options.score_table)
            scores_year = scores_for_year(raw, fy, options.score_column)
            if "fy" in raw.columns:
                scores_by_year = raw.select(
                    "person_id", fy=raw.fy.cast("int16"), score=raw[options.score_column]
                )
        costed = costed_activity(store, run.read, fys) if activity is not None else None
        inputs = Inputs(
            py=py,
            py_year=py.filter(py.fy == fy),
            fy=fy,
            fys=fys,
            activity=activity,
            scores_year=scores_year,
            scores_by_year=scores_by_year,
            options=options,
            costed=costed.rows if costed else None,
            costed_source=costed.source if costed else None,
        )
        skipped: dict[str, str] = {}
        if scores_by_year is None and any(r.kind == "top_score" for r in options.rules):
            skipped["top_score rules"] = (
                "top_score selection rules need a score table with an fy column; "
                "the crisis curve and turnover leave them out"
            )
        tables: dict[str, pd.DataFrame] = {}
        with progress.task("Analyses", total=len(ANALYSES)) as task:
            for analysis in ANALYSES:
                built = analysis.build(inputs)
                if isinstance(built, Skip):
                    skipped[analysis.table] = built.reason
                    safe = _empty(analysis.table)
                else:
                    safe = safe_frame(analysis, store.to_pandas(built), policy, options.population)
                run.write(analysis.table, _arrow(safe, analysis.table))
                tables[analysis.table] = safe
                task.advance()
        run.parameters.update(
            {
                "fy_analysed": fy,
                "analysis_population": options.population.description,
                "costs_by_activity": costed.source if costed else None,
                "years": list(fys),
                "skipped": skipped,
                "condition_catalogue": CATALOGUE,
                "disclosure": {"threshold": policy.threshold, "rounding": policy.rounding},
                "input_runs": _input_runs(store, ("person_year", "activity", options.score_table)),
            }
        )
    return AnalysisResult(run.run_id, fy, fys, tables, skipped)


def _input_runs(store: Store, names: tuple[str, ...]) -> dict[str, str]:
    """The run id that last wrote each input table (from the run log)."""
    runs = store.runs()
    found: dict[str, str] = {}
    for r in runs[runs.status == "ok"].itertuples():
        outputs = json.loads(r.output_rows or "{}")
        for name in names:
            if name in outputs:
                found[name] = r.run_id
    return found
