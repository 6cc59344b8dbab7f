"""Scenarios (service planners and finance; seed 004 §6, the Kent/Leeds planning models):
baseline against scenario over the years simulated, by cohort and setting, with the Monte
Carlo intervals `yoc simulate` writes (planning_summary, planning_result, planning_workforce,
service_model_adjustment).

The tables are shown as the planning stage declares them (labels from `schemas/planning.py`),
so this page follows that stage's columns rather than re-typing them. Counts of people pass
through `disclosure.suppress` here, whatever the stage did when it wrote them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from yearofcare import schemas
from yearofcare.errors import StageError
from yearofcare.web.auth import ANALYST, FINANCE, SERVICE_PLANNER
from yearofcare.web.data import Snapshot
from yearofcare.web.registry import Column, Page, PageContext, PageData, TableView, register

TABLES = (
    ("planning_summary", "Scenarios by cohort: people, cost per patient and saving"),
    ("planning_result", "Baseline against scenario by year, setting and measure"),
    ("planning_workforce", "Workforce implied by each scenario"),
    ("service_model_adjustment", "Expected change by setting, as the budget reads it"),
)
COUNT_NAMES = ("people", "members", "patients")


def _declared(name: str) -> dict[str, str]:
    """Column → its description when the table is declared in this version of yoc."""
    try:
        return {c.name: c.description for c in schemas.get(name).columns}
    except StageError:
        return {}


def _label(description: str | None, name: str) -> str:
    """The declared description without its parentheses (kept apart: lower and upper ends)."""
    if not description:
        return name.replace("_", " ")
    return re.sub(r"\s*\([^)]*\)", "", description).strip().rstrip(".")


def _kind(series: pd.Series, name: str) -> str:
    if name in COUNT_NAMES:
        return "count"
    if pd.api.types.is_bool_dtype(series) or name in ("fy", "base_fy", "year", "runs", "seed"):
        return "text" if pd.api.types.is_bool_dtype(series) else "int"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "number"
    return "text"


def _view(snap: Snapshot, name: str, title: str, fy: int | None) -> TableView:
    frame = snap.execute(snap.table(name))
    # suppressed again here whatever the stage did, so a count never leaves unprotected
    frame = frame.drop(columns=["suppressed"], errors="ignore")
    described = _declared(name)
    cols = [
        Column(c, _label(described.get(c), c), _kind(frame[c], c))
        for c in frame.columns
        if c not in ("suppressed", "run_id")
    ]
    counts = tuple(c.name for c in cols if c.kind == "count")
    note = None
    if fy is not None and "fy" in frame.columns and (frame.fy == fy).any():
        frame = frame[(frame.fy == fy) | frame.fy.isna()].reset_index(drop=True)
        note = "The chosen year (and totals over every year)."
    return TableView(
        name,
        title,
        cols,
        frame,
        counts=counts,
        derived_from={c.name: counts for c in cols if c.kind in ("number",)} if counts else None,
        note=note,
    )


def build(ctx: PageContext) -> PageData:
    tables, sources = [], []
    for name, title in TABLES:
        if ctx.snap.exists(name):
            tables.append(_view(ctx.snap, name, title, ctx.filters.fy))
            sources.append(name)
    return PageData(tables=tables, sources=sources)


def _headline(frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    s = frames.get("planning_summary")
    if s is None or s.empty:
        return []
    return [("Scenarios", f"{s.scenario_id.nunique()}"), ("Cohorts", f"{s.cohort_id.nunique()}")]


PAGE = register(
    Page(
        slug="scenarios",
        title="Scenarios",
        audience="Service planners and finance",
        description=(
            "Baseline against scenario over the years simulated, by cohort and setting, with "
            "their Monte Carlo intervals and the workforce they imply."
        ),
        roles=frozenset({SERVICE_PLANNER, FINANCE, ANALYST}),
        requires=("planning_summary", "planning_result"),
        command="yoc simulate",
        build=build,
        order=50,
        filters=("fy",),
        headline=_headline,
    )
)
