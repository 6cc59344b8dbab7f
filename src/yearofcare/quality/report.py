"""The data-quality report: one self-contained HTML page, an Excel workbook, and a feedback page
and workbook per supplier (source) that the data provider can act on.

The sections (summary and Kent's three priorities) are declared here as `reports.Section`s over
the `dq_*` tables of the latest (or the given) `yoc quality` run; what each shows is in
`templates/`, the columns, views, disclosure step and charts in `report_tables.py`. A supplier's
feedback page is the same sections narrowed to their own files (scope {"source": name}).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yearofcare.disclosure import DEFAULT_POLICY, SUPPRESSED, DisclosurePolicy, rule_text
from yearofcare.errors import StageError
from yearofcare.quality import report_tables as q
from yearofcare.quality.run import STAGE
from yearofcare.reports import blocks as rb
from yearofcare.reports.page import Page, ensure_dir, generated_at, render_block, write_page
from yearofcare.reports.render import Reader, Rendered, render_sections, sheets_of
from yearofcare.reports.render import stage_provenance as _stage_provenance
from yearofcare.reports.section import Chart, Section, SectionData, Sheet
from yearofcare.reports.workbook import write_workbook
from yearofcare.schemas.quality import PRIORITIES
from yearofcare.store import Store

COMMAND = "yoc quality"
MAX_FINDINGS = 60
_T = "yearofcare.quality:"


@dataclass(frozen=True)
class QualityReportFiles:
    """Where the report and the supplier feedback were written."""

    html: Path
    xlsx: Path
    feedback_html: dict[str, Path]
    feedback_xlsx: dict[str, Path]


def _view(d: SectionData) -> dict[str, Any]:
    """The tables a page shows: a supplier's own rows when the page is their feedback (built
    once per page and shared by its sections)."""
    if "quality_view" not in d.memo:
        d.memo["quality_view"] = _build_view(d)
    return d.memo["quality_view"]


def _build_view(d: SectionData) -> dict[str, Any]:
    f = dict(d.frames)
    source = d.scope.get("source")
    if source is not None:
        for name in q.TABLES:
            if name != "dq_triangulation":
                f[name] = f[name][f[name].source == source]
        f["dq_triangulation"] = f["dq_triangulation"].iloc[0:0]
    loads = f["dq_load"].sort_values(["source", "period_month", "loaded_at", "file_name"])
    cur = loads[loads.status == "current"]
    return {**f, "dq_load": loads, "current": cur, "current_ids": set(cur.load_id)}


def _findings(v: Mapping[str, Any], priority: int) -> rb.Block:
    return rb.findings(q.of_priority(v["dq_finding"], priority), "Findings", MAX_FINDINGS)


def _summary(d: SectionData) -> list[rb.Block]:
    v = _view(d)
    loads, cur = v["dq_load"], v["current"]
    out = []
    if d.scope.get("source") is None:
        summary = q.by_source(loads, v["dq_finding"])
        out.append(rb.table(summary, q.SUMMARY_COLS, "By source (current files)"))
    out.append(rb.table(cur, q.LOAD_COLS, "Files loaded", empty="No files loaded."))
    superseded = loads[loads.status == "superseded"]
    if len(superseded):
        out.append(
            rb.details(
                f"Files replaced by a later version ({len(superseded)})",
                rb.table(superseded, q.LOAD_COLS),
            )
        )
    return out


def _priority1(d: SectionData) -> list[rb.Block]:
    v = _view(d)
    return [
        rb.table(v["current"], q.LINK_COLS, "NHS number, linkage, duplicates and codes by file"),
        _findings(v, 1),
    ]


def _priority2(d: SectionData) -> list[rb.Block]:
    v = _view(d)
    months, current = v["dq_source_month"], v["current_ids"]
    out = [
        rb.table(
            q.rejects_shown(v["dq_reject"], current),
            q.REJECT_COLS,
            "Problems by file, column and reason",
            empty="No problems were found in the current files.",
            note="Row numbers are lines of the file as sent (the header is line 1). Values "
            "are never shown.",
        ),
        rb.table(
            q.file_column_problems(v["dq_column"], v["dq_load"]),
            q.FILE_COLUMN_COLS,
            "Contract columns with problems",
            empty="Every contract column passed its checks.",
            note="Every column of each file's contract is in the workbook (sheet dq_column).",
        ),
        rb.details(
            "Completeness and validity of the loaded columns",
            rb.table(q.table_columns(v["dq_column"], current), q.TABLE_COLUMN_COLS),
        ),
        rb.chart("quality_records_by_month"),
        rb.details(
            f"Records by source and month ({len(months):,} rows)",
            rb.table(months.sort_values(["source", "month"]), q.MONTH_COLS),
        ),
    ]
    if d.scope.get("source") is None:
        out.append(
            rb.table(
                v["dq_triangulation"].sort_values("line"),
                q.TRI_COLS,
                "Triangulation: loaded cost against contract and budget values",
                empty="No contract or budget file was given (yoc quality --contracts FILE).",
                note="Difference = loaded cost − contract value; % of the contract value.",
            )
        )
    return [*out, _findings(v, 2)]


def _priority3(d: SectionData) -> list[rb.Block]:
    v = _view(d)
    drift, cur = v["dq_drift"], v["current"]
    flagged = q.with_files(
        drift[drift.flagged & drift.load_id.isin(v["current_ids"])], v["dq_load"]
    )
    out = [
        rb.table(
            flagged.sort_values(["source", "loaded_at"]),
            q.DRIFT_COLS,
            "Changes against earlier files",
            empty="No file differs from the earlier files of its source beyond the thresholds.",
        ),
        rb.chart("quality_rates_by_file"),
    ]
    if d.scope.get("source") is not None:
        out.append(rb.table(cur, q.TREND_COLS, "Your files over time"))
    return [*out, rb.table(cur, q.TIMELINESS_COLS, "Timeliness"), _findings(v, 3)]


def _sheets(d: SectionData) -> list[Sheet]:
    v = _view(d)
    out = [Sheet("Findings", v["dq_finding"], "every finding, most important first")]
    for name in q.TABLES[:-1]:
        if name == "dq_triangulation" and d.scope.get("source") is not None:
            continue
        out.append(Sheet(name, v[name]))
    return out


def _provenance(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    th = params.get("thresholds", {})
    contract = (
        f"{params.get('contracts_file')} (sha256 {str(params.get('contracts_sha256'))[:12]}…, "
        f"{params.get('contract_lines')} lines)"
        if params.get("contracts_file")
        else "none given"
    )
    return [
        ("Contract file", contract),
        ("Thresholds", ", ".join(f"{k} = {v}" for k, v in th.items())),
        ("Headers", str(params.get("headers", "not recorded"))),
    ]


def _section(id: str, title: str, blocks, charts: tuple[Chart, ...] = ()) -> Section:
    return Section(
        id=id,
        title=title,
        stage=STAGE,
        command=COMMAND,
        tables=q.TABLES,
        template=f"{_T}{id}.html.j2",
        blocks=blocks,
        charts=charts,
        sheets=_sheets,
        prepare=q.safe_tables,
        provenance=_provenance,
    )


SECTIONS: tuple[Section, ...] = (
    _section("summary", "Summary", _summary),
    _section("priority1", PRIORITIES[1], _priority1),
    _section(
        "priority2",
        PRIORITIES[2],
        _priority2,
        (
            Chart(
                "quality_records_by_month",
                "records by month and source",
                lambda d: q.months_chart(_view(d)["dq_source_month"]),
            ),
        ),
    ),
    _section(
        "priority3",
        PRIORITIES[3],
        _priority3,
        (
            Chart(
                "quality_rates_by_file",
                "rates by file over time",
                lambda d: q.trend_chart(_view(d)["dq_load"]),
            ),
        ),
    ),
)


def _about(policy: DisclosurePolicy) -> list[str]:
    name = f"{_T}about.html.j2"
    context = {"suppressed": SUPPRESSED}
    return [render_block(name, b, context).strip() for b in ("sources", "privacy")]


def _suppression(policy: DisclosurePolicy) -> tuple[str, str]:
    return (
        "Suppression",
        rule_text(policy, "counts of people and of records per month"),
    )


def _write(
    out: Path, name: str, page: Page, rendered: list[Rendered], generated: str
) -> tuple[Path, Path]:
    sections = [(r.section.id, r.section.title, r.html) for r in rendered]
    html = write_page(out / f"{name}.html", page, sections, generated=generated)
    about = [("Report", page.title), *page.provenance, ("Privacy", page.about[1])]
    xlsx_name = "quality_tables" if name == "quality_report" else name
    xlsx = write_workbook(out / f"{xlsx_name}.xlsx", sheets_of(rendered), about)
    return html, xlsx


def write_quality_report(
    store: Store,
    out_dir: Path | str,
    *,
    run_id: str | None = None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> QualityReportFiles:
    """Write quality_report.html, quality_tables.xlsx and feedback/<source>.html|.xlsx."""
    reader = Reader(store, policy, {STAGE: run_id} if run_id else None)
    run = reader.run(STAGE)
    if run is None:
        raise StageError(
            "no successful `yoc quality` run is recorded in this store",
            hint="run `yoc quality` first",
        )
    missing = reader.missing(SECTIONS[0])
    if missing:
        raise StageError(
            f"the store has no {', '.join(missing)} table(s)", hint="run `yoc quality` first"
        )
    out = ensure_dir(Path(out_dir))
    feedback_dir = ensure_dir(out / "feedback")
    data = reader.data(SECTIONS[0])
    prov = [*_stage_provenance(reader, SECTIONS[:1]), _suppression(policy)]
    about = _about(policy)
    generated = generated_at()
    loads = data.frames["dq_load"]
    cur = loads[loads.status == "current"]
    feedback_html: dict[str, Path] = {}
    feedback_xlsx: dict[str, Path] = {}
    for s in sorted(set(loads.source)):
        mine = cur[cur.source == s]
        page = Page(
            title=f"Data quality feedback: {s}",
            subtitle=[
                q.source_label(s),
                f"{len(mine):,} current file(s), {int(mine.rows_read.sum()):,} rows read. "
                "Only your own submissions are shown.",
            ],
            about=about,
            provenance=prov,
            run_label=f"quality run {run.run_id}",
        )
        rendered = render_sections(reader, SECTIONS, scope={"source": s})
        feedback_html[s], feedback_xlsx[s] = _write(
            feedback_dir, q.slug(s), page, rendered, generated
        )
    rendered = render_sections(reader, SECTIONS, chart_dir=out / "charts")
    rendered.append(_feedback_section(reader, len(rendered) + 1, feedback_html, feedback_xlsx))
    page = Page(
        title="Data quality report",
        subtitle=[
            f"{len(cur):,} current file(s) from {cur.source.nunique():,} source(s); "
            f"{int(cur.rows_read.sum()):,} rows read, {int(cur.rows_loaded.sum()):,} loaded.",
            f"{len(data.frames['dq_finding']):,} finding(s) under Kent's three priorities "
            "(004 §5.5).",
        ],
        notes=list(data.params.get("notes", [])),
        about=about,
        provenance=prov,
        run_label=f"quality run {run.run_id}",
    )
    html, xlsx = _write(out, "quality_report", page, rendered, generated)
    return QualityReportFiles(html, xlsx, feedback_html, feedback_xlsx)


def _feedback_section(
    reader: Reader, number: int, pages: dict[str, Path], books: dict[str, Path]
) -> Rendered:
    """The links to every supplier's page and workbook (on the commissioner's report only)."""
    from yearofcare.reports.render import render_section

    links = rb.links(
        [
            {
                "href": f"feedback/{pages[s].name}",
                "label": q.source_label(s),
                "extra": "workbook",
                "extra_href": f"feedback/{books[s].name}",
            }
            for s in pages
        ]
    )
    section = Section(
        id="feedback",
        title="Feedback for each supplier",
        stage=STAGE,
        command=COMMAND,
        tables=("dq_load",),
        template=f"{_T}feedback.html.j2",
        blocks=lambda _: [links],
        sheets=lambda _: [],
    )
    return render_section(reader, section, number)
