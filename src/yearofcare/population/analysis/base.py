"""What an analysis is: how it is built from its inputs and how its table is suppressed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ibis

from yearofcare.disclosure import Columns

if TYPE_CHECKING:
    from yearofcare.population.analysis.run import AnalysisOptions


@dataclass(frozen=True)
class Inputs:
    """What the analyses read: person_year (all years and the analysed year) restricted to the
    analysis population, activity, scores."""

    py: ibis.Table
    py_year: ibis.Table
    fy: int
    fys: tuple[int, ...]
    activity: ibis.Table | None
    scores_year: ibis.Table | None
    scores_by_year: ibis.Table | None
    options: AnalysisOptions
    #: costed activity rows of the years analysed (population.analysis.costed), or None
    costed: ibis.Table | None = None
    costed_source: str | None = None


@dataclass(frozen=True)
class Skip:
    """An analysis that cannot run on this store, and why (shown in the report, not an error)."""

    reason: str


@dataclass(frozen=True)
class Analysis:
    """One analysis table: how to build it and how to suppress it."""

    table: str
    title: str
    build: Callable[[Inputs], ibis.Table | Skip]
    counts: tuple[str, ...]
    derived: tuple[str, ...] = ()
    #: derived column -> the counts it is computed from (masked only when those are small)
    derived_from: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # how each derived value is made consistent with the rounded counts (disclosure.suppress)
    totals: tuple[str, ...] = ()
    per: Mapping[str, str] = field(default_factory=dict)
    ratios: Mapping[str, tuple[Columns, Columns]] = field(default_factory=dict)
    shares: Mapping[str, str] = field(default_factory=dict)
    #: column sets whose rows add up to a published margin (secondary suppression)
    lines: tuple[tuple[str, ...], ...] = ()
    #: count column -> the count columns of the same row that add up to it
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
