"""Pages as data: each page declares its audience, the tables it needs, its filters, its tables
(with which columns are counts) and its charts. The app renders, downloads and serves every
page the same way, so adding a page for a stage is one small module.

Disclosure is applied here, not by pages: a page returns raw aggregates and names its count
columns; everyone without a record-level role receives them through `disclosure.suppress`,
and charts are drawn from the disclosed tables, never from the raw ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from yearofcare.disclosure import DisclosurePolicy, suppress
from yearofcare.web.data import Provenance, Snapshot
from yearofcare.web.filters import FilterOptions, Filters


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = "text"  # text, int, count, money (£), pence (£ with pence), pct (0–1), number


@dataclass
class TableView:
    """One table of a page: raw aggregate in `frame`; `counts` and `derived` drive disclosure."""

    key: str
    title: str
    columns: Sequence[Column]
    frame: pd.DataFrame
    counts: Sequence[str] = ()
    derived: Sequence[str] = ()
    derived_from: Mapping[str, Sequence[str]] | None = None
    note: str | None = None
    already_disclosed: bool = False  # stage outputs that passed disclosure.suppress when written
    #: how derived values follow the rounded counts: `disclosure.suppress`'s totals, per,
    #: ratios, shares, lines and parts
    consistent: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class InputDef:
    """A page's own input beside the shared filters (a cohort rule, a calculator's figures):
    a query parameter, read as text and checked by the page, whose errors show inline."""

    name: str
    label: str
    hint: str
    kind: str = "text"  # text, rule (a wide box), choice
    max_length: int = 200
    choices: Callable[[Snapshot], Sequence[str]] | None = None


@dataclass(frozen=True)
class ChartDef:
    key: str
    title: str
    table: str
    spec: Callable[[pd.DataFrame], dict[str, Any]]


@dataclass
class PageData:
    tables: list[TableView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # store tables read (for provenance)
    error: str | None = None  # a page input that could not be used, shown inline

    def table(self, key: str) -> TableView:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


@dataclass(frozen=True)
class PageContext:
    snap: Snapshot
    filters: Filters
    options: FilterOptions
    inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    audience: str
    description: str
    roles: frozenset[str]
    requires: tuple[str, ...]  # tables that must exist
    command: str  # what to run when they do not
    build: Callable[[PageContext], PageData]
    charts: tuple[ChartDef, ...] = ()
    #: headline figures, computed from the disclosed tables (so they are suppressed alike)
    headline: Callable[[Mapping[str, pd.DataFrame]], list[tuple[str, str]]] | None = None
    filters: tuple[str, ...] = ("fy", "place", "practice", "age_band", "imd_quintile", "need_level")
    template: str = "page.html.j2"
    order: int = 50  # position in the navigation
    inputs: tuple[InputDef, ...] = ()


@dataclass
class RenderedPage:
    page: Page
    filters: Filters
    missing: list[str]
    headline: list[tuple[str, str]]
    tables: list[TableView]
    charts: list[tuple[ChartDef, dict[str, Any]]]
    notes: list[str]
    provenance: list[Provenance]
    suppressed: bool
    inputs: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def table(self, key: str) -> TableView:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


PAGES: dict[str, Page] = {}


def register(page: Page) -> Page:
    if page.slug in PAGES and PAGES[page.slug] != page:
        raise ValueError(f"page {page.slug} registered twice")
    PAGES[page.slug] = page
    return page


def visible(roles: frozenset[str]) -> list[Page]:
    return sorted((p for p in PAGES.values() if p.roles & roles), key=lambda p: p.order)


def disclose(t: TableView, policy: DisclosurePolicy) -> TableView:
    """The table as a role without record-level access may see it."""
    if t.already_disclosed or not t.counts:
        return t
    frame = suppress(
        t.frame,
        list(t.counts),
        list(t.derived),
        policy,
        derived_from=t.derived_from,
        **(t.consistent or {}),
    )
    return replace(t, frame=frame, already_disclosed=True)


def render(
    page: Page,
    snap: Snapshot,
    filters: Filters,
    options: FilterOptions,
    *,
    record_level: bool,
    policy: DisclosurePolicy,
    inputs: Mapping[str, str] | None = None,
) -> RenderedPage:
    inputs = dict(inputs or {})
    missing = [t for t in page.requires if not snap.exists(t)]
    if missing:
        return RenderedPage(page, filters, missing, [], [], [], [], [], False, inputs)
    choices = {i.name: tuple(i.choices(snap)) for i in page.inputs if i.choices is not None}
    data = page.build(PageContext(snap, filters, options, inputs))
    tables = data.tables if record_level else [disclose(t, policy) for t in data.tables]
    by_key = {t.key: t for t in tables}
    charts = []
    for c in page.charts:
        t = by_key.get(c.table)
        if t is not None and not t.frame.empty:
            charts.append((c, c.spec(t.frame)))
    headline = page.headline({k: t.frame for k, t in by_key.items()}) if page.headline else []
    sources = dict.fromkeys((*page.requires, *data.sources))
    prov = [p for p in (snap.provenance(s) for s in sources) if p is not None]
    flagged = any(
        "suppressed" in t.frame.columns and bool(t.frame["suppressed"].fillna(False).any())
        for t in tables
    )
    return RenderedPage(
        page, filters, [], headline, tables, charts, data.notes, prov, flagged, inputs,
        data.error, choices,
    )  # fmt: skip
