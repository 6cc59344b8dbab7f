"""Report sections as data, and the registry of every stage's sections.

A stage declares what its part of the report shows as `Section`s (in its own `report.py`, listed
in `SECTION_MODULES` below); the layer (`reports.render`) reads the tables, applies the stage's
disclosure step, draws the charts, renders the section's template and writes the workbook
sheets. A stage supplies templates and small functions, never page layout or prose in code.

    SECTIONS = (
        Section(
            id="budget_by_cohort",
            title="Capitated budget by cohort",
            stage="budget",                      # the run_log stage that writes the tables
            command="yoc budget",                # what to run when the tables are missing
            tables=("budget",),
            template="yearofcare.finance:budget_by_cohort.html.j2",
            blocks=lambda d: [table(d.frames["budget"], COLS)],
            charts=(Chart("budget_by_cohort", "budget by cohort", budget_chart),),
            finding=lambda d: f"{d.frames['budget'].value.sum():,.0f} pounds in all.",
        ),
    )
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from yearofcare.disclosure import DisclosurePolicy
from yearofcare.reports.blocks import Block
from yearofcare.reports.charts import Spec

Frames = Mapping[str, pd.DataFrame]

#: Modules holding a `SECTIONS` tuple, in pipeline order (add your stage's report module here).
SECTION_MODULES: tuple[str, ...] = (
    "yearofcare.quality.report",
    "yearofcare.population.analysis.report",
    "yearofcare.segmentation.report",
    "yearofcare.cohorts.report",
    "yearofcare.contracts.report",
    "yearofcare.outcomes.report",
    "yearofcare.finance.report",
    "yearofcare.planning.report",
    "yearofcare.planning.rrr_report",
)


@dataclass(frozen=True)
class SectionData:
    """What a section's functions are given.

    `frames`: the section's tables as they may leave (after the stage's `prepare` step);
    `params`: the parameters recorded in the run log by the stage run that wrote them;
    `scope`: narrowing asked for by the page (e.g. {"source": "csds"} for a supplier's feedback);
    `memo`: shared by the sections of one page and scope, for views several of them build.
    """

    frames: Frames
    params: Mapping[str, Any]
    run_id: str
    scope: Mapping[str, Any] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Chart:
    """A chart of a section: its id (file `charts/<id>.vl.json`), an accessible label, and the
    builder returning a Vega-Lite spec (or None when there is nothing to draw)."""

    id: str
    label: str
    build: Callable[[SectionData], Spec | None]


@dataclass(frozen=True)
class Sheet:
    """A workbook sheet: its name (at most 31 characters), the frame, a description for the
    About sheet, number formats by column ("money", "pct", "int", "num", "plain", "date"; see
    `reports.workbook.NUMBER_FORMATS`) and header labels by column (default: the names)."""

    name: str
    frame: pd.DataFrame
    description: str = ""
    formats: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


def _no_blocks(_: SectionData) -> list[Block]:
    return []


def _as_stored(frames: Frames, _: DisclosurePolicy) -> Frames:
    return frames


@dataclass(frozen=True)
class Section:
    """One section of a report, declared by the stage that writes its tables.

    - `template`: "package:file.html.j2" (the file under that package's `templates/` folder);
      it extends "section.html.j2" and fills the `what` block (and `body` to lay out freely).
    - `blocks`: tables, details, findings, text and chart placeholders (`reports.blocks`).
    - `charts`: drawn to inline SVG; placed where a `chart(id)` block is, else after the finding.
    - `finding`: the one-line headline figure, or None when the data cannot support it.
    - `sheets`: the workbook sheets (default: one per table, as prepared).
    - `prepare`: the stage's disclosure step, `(frames, policy) -> frames`, applied once per
      page through `yearofcare.disclosure`; the default passes tables that the stage already
      suppressed when it wrote them.
    - `unavailable`: why the section cannot be shown on this store (a note, not an error).
    - `provenance`: extra lines for "About these figures" from the run parameters.
    """

    id: str
    title: str
    stage: str
    command: str
    tables: tuple[str, ...]
    template: str
    blocks: Callable[[SectionData], list[Block]] = _no_blocks
    charts: tuple[Chart, ...] = ()
    finding: Callable[[SectionData], str | None] | None = None
    sheets: Callable[[SectionData], Sequence[Sheet]] | None = None
    prepare: Callable[[Frames, DisclosurePolicy], Frames] = _as_stored
    unavailable: Callable[[SectionData], str | None] | None = None
    provenance: Callable[[Mapping[str, Any]], Sequence[tuple[str, str]]] | None = None

    def __post_init__(self) -> None:
        if not self.tables:
            raise ValueError(f"section {self.id!r} reads no tables")
        if ":" not in self.template:
            raise ValueError(f"section {self.id!r}: template must be 'package:file.html.j2'")


def all_sections(stage: str | None = None) -> tuple[Section, ...]:
    """Every registered section in pipeline order (of one stage when `stage` is given)."""
    found: list[Section] = []
    seen: set[str] = set()
    for name in SECTION_MODULES:
        for s in importlib.import_module(name).SECTIONS:
            if s.id in seen:
                raise ValueError(f"two report sections have the id {s.id!r}")
            seen.add(s.id)
            if stage is None or s.stage == stage:
                found.append(s)
    return tuple(found)
