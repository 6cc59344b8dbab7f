"""Render declared sections: read their tables once, apply each stage's disclosure step, draw the
charts (SVG inline, Vega-Lite JSON beside the page), compute the finding, build the blocks and
render each section's template; collect the workbook sheets.

`write_report` is `yoc report`: every registered section whose tables exist, and for the others
a note naming the command that writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from yearofcare.disclosure import DEFAULT_POLICY, DisclosurePolicy, rule_text
from yearofcare.reports import charts as ch
from yearofcare.reports.blocks import Block
from yearofcare.reports.page import Page, ensure_dir, render_block, template, write_page
from yearofcare.reports.provenance import Rows, params_of, provenance
from yearofcare.reports.section import Section, SectionData, Sheet, all_sections
from yearofcare.reports.workbook import write_workbook
from yearofcare.store import Store


@dataclass
class Rendered:
    """A section after rendering: its HTML, chart files and workbook sheets."""

    section: Section
    html: Markup
    charts: dict[str, Path] = field(default_factory=dict)
    sheets: list[Sheet] = field(default_factory=list)
    missing: tuple[str, ...] = ()


class Reader:
    """Reads each table once per page and applies each stage's `prepare` step once."""

    def __init__(
        self,
        store: Store,
        policy: DisclosurePolicy = DEFAULT_POLICY,
        run_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.store, self.policy, self.run_ids = store, policy, dict(run_ids or {})
        self._raw: dict[str, pd.DataFrame] = {}
        self._prepared: dict[tuple[Callable, tuple[str, ...]], Mapping[str, pd.DataFrame]] = {}
        self._runs: dict[str, pd.Series | None] = {}
        self._memo: dict[tuple, dict[str, Any]] = {}
        self._tables: set[str] | None = None

    def missing(self, section: Section) -> tuple[str, ...]:
        if self._tables is None:  # listing the store's tables is slow: once per page
            self._tables = set(self.store.tables())
        return tuple(t for t in section.tables if t not in self._tables)

    def run(self, stage: str) -> pd.Series | None:
        if stage not in self._runs:
            self._runs[stage] = self.store.latest_run(stage, self.run_ids.get(stage))
        return self._runs[stage]

    def frames(self, section: Section) -> Mapping[str, pd.DataFrame]:
        key = (section.prepare, section.tables)
        if key not in self._prepared:
            for t in section.tables:
                if t not in self._raw:
                    self._raw[t] = self.store.to_pandas(self.store.table(t))
            raw = {t: self._raw[t] for t in section.tables}
            self._prepared[key] = section.prepare(raw, self.policy)
        return self._prepared[key]

    def data(self, section: Section, scope: Mapping[str, Any] | None = None) -> SectionData:
        run = self.run(section.stage)
        scope = dict(scope or {})
        memo = self._memo.setdefault((section.stage, *sorted(scope.items())), {})
        return SectionData(
            frames=self.frames(section),
            params=params_of(run),
            run_id=str(run.run_id) if run is not None else "not recorded",
            scope=scope,
            memo=memo,
        )


def _context(section: Section, number: int) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "number": number,
        "missing": None,
        "missing_tables": "",
        "unavailable": None,
        "finding": None,
        "charts": [],
        "blocks": [],
        "tables": section.tables,
    }


def _place_charts(blocks: list[Block], drawn: dict[str, Block]) -> tuple[list[Block], list[Block]]:
    """Chart placeholders replaced by their drawings; the charts no block placed, in order."""
    placed, out = set(), []
    for b in blocks:
        if b.get("type") == "chart":
            placed.add(b["id"])
            if b["id"] in drawn:
                out.append(drawn[b["id"]])
        else:
            out.append(b)
    return out, [d for k, d in drawn.items() if k not in placed]


def render_section(
    reader: Reader,
    section: Section,
    number: int,
    *,
    chart_dir: Path | None = None,
    scope: Mapping[str, Any] | None = None,
) -> Rendered:
    """One section rendered to HTML (with its chart files and sheets)."""
    s = _context(section, number)
    missing = reader.missing(section)
    if missing:
        s.update(missing=section.command, missing_tables=", ".join(missing))
        return Rendered(section, Markup(template(section.template).render(s=s)), missing=missing)
    data = reader.data(section, scope)
    s["unavailable"] = section.unavailable(data) if section.unavailable else None
    files: dict[str, Path] = {}
    sheets = list(section.sheets(data)) if section.sheets else _default_sheets(section, data)
    if s["unavailable"] is None:
        drawn: dict[str, Block] = {}
        for c in section.charts:
            spec = c.build(data)
            if spec is None:
                continue
            if chart_dir is not None:
                files[c.id] = ch.save_spec(spec, chart_dir / f"{c.id}.vl.json")
            drawn[c.id] = {"type": "svg", "svg": Markup(ch.svg(spec)), "label": c.label}
        s["blocks"], s["charts"] = _place_charts(section.blocks(data), drawn)
        s["finding"] = section.finding(data) if section.finding else None
    html = Markup(template(section.template).render(s=s))
    return Rendered(section, html, files, sheets)


def _default_sheets(section: Section, data: SectionData) -> list[Sheet]:
    return [Sheet(t, data.frames[t], what(section)) for t in section.tables if t in data.frames]


def what(section: Section) -> str:
    """The section's "what this shows" words as plain text (for the workbook)."""
    return render_block(section.template, "what", {"s": _context(section, 0)}).strip()


def render_sections(
    reader: Reader,
    sections: Sequence[Section],
    *,
    chart_dir: Path | None = None,
    scope: Mapping[str, Any] | None = None,
) -> list[Rendered]:
    return [
        render_section(reader, s, i, chart_dir=chart_dir, scope=scope)
        for i, s in enumerate(sections, start=1)
    ]


def sheets_of(rendered: Sequence[Rendered]) -> list[Sheet]:
    """Every section's sheets, each name once (sections of a stage share their tables)."""
    seen: dict[str, Sheet] = {}
    for r in rendered:
        for sheet in r.sheets:
            seen.setdefault(sheet.name, sheet)
    return list(seen.values())


def stage_provenance(reader: Reader, sections: Sequence[Section]) -> Rows:
    """Provenance rows for every stage the sections come from (each stage once)."""
    rows: Rows = []
    done: set[str] = set()
    for s in sections:
        run = reader.run(s.stage)
        if s.stage in done or run is None:
            continue
        done.add(s.stage)
        details = s.provenance(params_of(run)) if s.provenance else ()
        rows += provenance(reader.store, run, s.command, details).rows()
    return rows


@dataclass(frozen=True)
class ReportFiles:
    """Where a report was written."""

    html: Path
    xlsx: Path
    charts: dict[str, Path]
    missing: dict[str, str]


ABOUT = (
    "Every figure is an aggregate of pseudonymised, linked person-level records, read from the "
    "tables each stage wrote (the run of each stage is listed below). Small numbers are "
    "protected through the toolkit's one disclosure step before any figure leaves."
)


def write_report(
    store: Store,
    out_dir: Path | str,
    *,
    policy: DisclosurePolicy = DEFAULT_POLICY,
    sections: Sequence[Section] | None = None,
) -> ReportFiles:
    """`yoc report`: report.html, report.xlsx and charts/ from every registered section whose
    tables exist; the others say which command writes their tables."""
    out = ensure_dir(Path(out_dir))
    sections = tuple(sections if sections is not None else all_sections())
    reader = Reader(store, policy)
    rendered = render_sections(reader, sections, chart_dir=out / "charts")
    available = [r.section for r in rendered if not r.missing]
    prov = [*stage_provenance(reader, available), ("Suppression", rule_text(policy))]
    missing = {r.section.id: r.section.command for r in rendered if r.missing}
    notes = (
        [
            "Some sections are not available yet: "
            + "; ".join(sorted({f"run `{c}`" for c in missing.values()}))
            + "."
        ]
        if missing
        else []
    )
    page = Page(
        title="Year of Care report",
        subtitle=[f"{len(available)} of {len(rendered)} section(s) available in this store."],
        notes=notes,
        about=[ABOUT],
        provenance=prov,
    )
    html = write_page(
        out / "report.html", page, [(r.section.id, r.section.title, r.html) for r in rendered]
    )
    about = [("Report", page.title), *prov]
    about += [(s.name, s.description) for s in sheets_of(rendered)]
    xlsx = write_workbook(out / "report.xlsx", sheets_of(rendered), about)
    charts = {k: v for r in rendered for k, v in r.charts.items()}
    return ReportFiles(html, xlsx, charts, missing)
