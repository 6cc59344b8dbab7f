"""`run_scorecard`: every measure, the balanced scorecard, its funnels and the achievement the
settlement reads, written in one stage (`yoc scorecard`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd

from yearofcare import schemas
from yearofcare.config import ConfigModel
from yearofcare.disclosure import DEFAULT_POLICY
from yearofcare.errors import StageError
from yearofcare.fy import fy_of, fy_start
from yearofcare.outcomes import bases, compute, scorecard
from yearofcare.outcomes.definitions import MeasuresFile, load_measures, load_scorecard
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

STAGE = "outcomes"


class ScorecardOptions(ConfigModel):
    config_name = "scorecard options"

    measures_file: Path | None = None
    scorecard_file: Path | None = None
    dimensions: tuple[str, ...] = compute.DIMENSIONS


@dataclass
class ScorecardResult:
    run_id: str
    measures: pd.DataFrame
    scorecard: pd.DataFrame
    funnel: pd.DataFrame
    achievement: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def collect(
    tables: bases.Tables,
    measures: MeasuresFile,
    dimensions: tuple[str, ...],
    execute,
    progress: Progress = SILENT,
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Raw part aggregates of every measure (one grouped scan per base × breakdown), the
    measures that cannot be computed (→ what they need), and notes."""
    by_base = compute.specs_by_base(measures.measures)
    by_id = {m.id: m for m in measures.measures}
    missing: dict[str, str] = {}
    notes: list[str] = []
    built: dict[str, object] = {}
    for m in measures.measures:
        cols = {*m.numerator.columns(), *m.den().columns(), *(c.column for c in m.where)}
        for col, (table, command) in bases.OPTIONAL_COLUMNS.items():
            if col in cols and not tables.has(table):
                missing.setdefault(m.id, f"needs {table} (run {command})")
    for name in by_base:
        try:
            built[name] = bases.build_base(name, tables, measures)
        except bases.MissingData as exc:
            for spec in by_base[name]:
                missing.setdefault(spec.key.rsplit("__", 1)[0], str(exc))
    for d in dimensions:
        need = compute.DIMENSION_NEEDS.get(d)
        if need and not tables.has(need[0]):
            notes.append(f"no breakdown by {d}: needs {need[0]} (run {need[1]})")
    frames = []
    with progress.task("Computing outcome measures", total=len(built)) as task:
        for name in built:
            task.advance(1)
            specs = [s for s in by_base[name] if s.key.rsplit("__", 1)[0] not in missing]
            dims = [
                d
                for d in dimensions
                if not (need := compute.DIMENSION_NEEDS.get(d)) or tables.has(need[0])
            ]
            if name not in compute.PROVIDER_BASES:
                dims = [d for d in dims if d != "provider"]
            if not specs or not dims:
                continue
            # every breakdown of the base in one query (a union of grouped scans)
            exprs = [compute.part_aggregates(built[name], specs, d, tables) for d in dims]
            frame = execute(ibis.union(*exprs) if len(exprs) > 1 else exprs[0])
            rows = compute.long_rows(frame, specs)
            wanted = pd.Series(
                [
                    d == "all" or d in by_id[m].dimensions
                    for m, d in zip(rows.measure_id, rows.dimension, strict=True)
                ],
                index=rows.index,
                dtype=bool,
            )
            frames.append(rows[wanted])
    parts = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            columns=["measure_id", "part", "fy", "dimension", "group_value", "sum", "n", "sq"]
        )
    )
    return _after_lookback(parts, measures, tables, execute, notes), missing, notes


def _after_lookback(parts, measures: MeasuresFile, tables, execute, notes) -> pd.DataFrame:
    """Drop years too close to the start of the data for a base that looks back (a
    'first placement in 365 days' cannot be told in the first year)."""
    looking = {m.id: bases.BASES[m.num_base()].lookback_days for m in measures.measures}
    if not any(looking.values()) or parts.empty or not tables.has("activity"):
        return parts
    import datetime as dt

    first = execute(bases.data_start_fy(tables))["first"].iloc[0]
    if first is None or pd.isna(first):
        return parts
    first = pd.Timestamp(first).date()
    keep = pd.Series(True, index=parts.index)
    for mid, days in looking.items():
        if not days:
            continue
        valid = first + dt.timedelta(days=days)
        min_fy = fy_of(valid) if valid == fy_start(fy_of(valid)) else fy_of(valid) + 1
        drop = (parts.measure_id == mid) & (parts.fy < min_fy)
        if drop.any():
            notes.append(
                f"{mid}: years before {min_fy} not reported ({days} days of history needed)"
            )
        keep &= ~drop
    return parts[keep]


def ltc6_notes(tables: bases.Tables, execute) -> list[str]:
    if not tables.has("survey_response"):
        return []
    bad = execute(bases.ltc6_out_of_range(tables))
    if bad.empty:
        return []
    ids = ", ".join(bad.response_id.astype(str).head(5))
    return [
        f"{len(bad):,} LTC6 responses have an answer outside 0–3 (e.g. {ids}); those answers "
        "are read as not answered"
    ]


def run_scorecard(
    store: Store, opts: ScorecardOptions, progress: Progress = SILENT
) -> ScorecardResult:
    loaded = load_measures(opts.measures_file)
    measures: MeasuresFile = loaded.model
    card_loaded = load_scorecard(opts.scorecard_file, measures)
    card = card_loaded.model
    if not store.exists("person_year"):
        raise StageError(
            "the store has no person_year, so there is nothing to measure",
            hint="run `yoc build` first (or `yoc demo`)",
        )
    params = {
        "measures": measures.version,
        "measures_sha256": loaded.sha256,
        "scorecard": card.version,
        "dimensions": list(opts.dimensions),
    }
    with store.stage(STAGE, params) as run:
        tables = bases.Tables(run.read, store.exists)
        years = set(
            store.to_pandas(tables["person_year"].select("fy").distinct())["fy"].astype(int)
        )
        parts, missing, notes = collect(
            tables, measures, opts.dimensions, store.to_pandas, progress
        )
        parts = parts[parts.fy.isin(years)] if len(parts) else parts
        notes += ltc6_notes(tables, store.to_pandas)
        results = compute.finish(measures, parts, missing, DEFAULT_POLICY)
        funnels = scorecard.funnel(measures, parts, results)
        card_rows = scorecard.scorecard(measures, card, results, funnels)
        achieved = scorecard.achievements(measures, card, results)
        for name, frame in (
            ("outcome_measure", results),
            ("outcome_scorecard", card_rows),
            ("outcome_funnel", funnels),
            ("outcome_achievement", achieved),
        ):
            run.write(name, _typed(name, frame))
        run_id = run.run_id
    return ScorecardResult(run_id, results, card_rows, funnels, achieved, notes)


def _typed(name: str, frame: pd.DataFrame):
    """A frame with every declared column, in order, with pandas dtypes the engines accept."""
    schema = schemas.get(name)
    out = pd.DataFrame(index=frame.index)
    for c in schema.columns:
        v = frame[c.name] if c.name in frame.columns else pd.Series(None, index=frame.index)
        if c.type.startswith("int"):
            out[c.name] = pd.to_numeric(v, errors="coerce").astype("Int64")
        elif c.type == "float64":
            out[c.name] = pd.to_numeric(v, errors="coerce").astype("float64")
        elif c.type == "boolean":
            out[c.name] = v.astype("boolean")
        else:
            out[c.name] = (
                v.astype("object")
                .where(v.notna(), None)
                .map(lambda x: None if x is None else str(x))
            )
    import ibis

    return ibis.memtable(out.reset_index(drop=True), schema=schema.ibis_schema())
