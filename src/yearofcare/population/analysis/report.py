"""The whole-population analyses as report sections, and `yoc analyse --report`.

Each analysis table (`ANALYSES`) is one section: its words in `templates/<name>.html.j2`, its
chart in `charts.py`, its headline in `headlines.py`, and how its table is shown below. The
tables are suppressed when `yoc analyse` writes them, so the report shows them as stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from yearofcare.disclosure import DisclosurePolicy, rule_text
from yearofcare.errors import StageError
from yearofcare.fy import fy_label
from yearofcare.population.analysis import (
    beds_by_ltc,
    care_groups,
    charts,
    crisis_months,
    organisations,
)
from yearofcare.population.analysis.common import (
    ALL,
    COST_GROUP_LABELS,
    LTC_BANDS,
    MENTAL_BANDS,
    PHYSICAL_BANDS,
)
from yearofcare.population.analysis.headlines import headline
from yearofcare.population.analysis.run import ANALYSES, STAGE, Analysis
from yearofcare.reports import blocks as rb
from yearofcare.reports.blocks import Col, Pivot
from yearofcare.reports.formats import integer as _int
from yearofcare.reports.formats import money as _money
from yearofcare.reports.formats import number as _num
from yearofcare.reports.formats import percent as _pct
from yearofcare.reports.page import Page, ensure_dir, render_block, write_page
from yearofcare.reports.render import Reader, ReportFiles, render_sections, sheets_of
from yearofcare.reports.render import stage_provenance as _stage_provenance
from yearofcare.reports.section import Chart, Section, SectionData, Sheet
from yearofcare.reports.workbook import write_workbook
from yearofcare.schemas.population import AGE_BAND_NAMES
from yearofcare.store import Store

GROUP_ROWS = 400
COMMAND = "yoc analyse"
_AGES = AGE_BAND_NAMES
_MENTAL = {b: f"{b} mental health" for b in MENTAL_BANDS}


def _fy(v: Any) -> str:
    return fy_label(int(v))


def _top(v: Any) -> str:
    return f"{v:g}%"


# fmt: off
#: How each table is shown in HTML: a list of columns (long table) or pivots.
DISPLAY: dict[str, list[Col] | list[Pivot]] = {
    "analysis_cost_by_ltc_age": [
        Pivot("Mean cost per person (£)", "ltc_band", "LTCs", "age_band", "mean_cost", _money,
              LTC_BANDS, _AGES),
        Pivot("People", "ltc_band", "LTCs", "age_band", "people", _int, LTC_BANDS, _AGES),
    ],
    "analysis_cost_by_ltc_setting": [
        Pivot("Mean cost per person (£) by setting", "cost_group", "Setting", "ltc_band",
              "mean_cost", _money, tuple(COST_GROUP_LABELS), LTC_BANDS,
              index_labels=COST_GROUP_LABELS),
    ],
    "analysis_cost_strength": [
        Col("factor", "Factor", labels=charts.FACTOR_LABELS),
        Col("eta_squared", "Share of variation explained (eta²)", _pct),
        Col("levels", "Groups", _int),
        Col("people", "People", _int),
    ],
    "analysis_cost_concentration": [
        Col("top_percent", "Top % of people", _top),
        Col("people", "People", _int),
        Col("cost_top", "Their cost (£)", _money),
        Col("share_of_cost", "Share of all cost", _pct),
        Col("cost_all", "Everyone's cost (£)", _money),
    ],
    "analysis_ltc_share": [
        Col("measure", "Measure", labels=charts.MEASURE_LABELS),
        Col("share_of_people", "People with an LTC: share of people", _pct),
        Col("share_with_ltc", "Their share of the measure", _pct),
        Col("total_with_ltc", "Used by people with an LTC", _int),
        Col("total_all", "Used by everyone", _int),
    ],
    "analysis_mm_overlap": [
        Pivot("People", "physical_band", "Physical LTCs", "mental_band", "people", _int,
              PHYSICAL_BANDS, MENTAL_BANDS, column_labels=_MENTAL),
        Pivot("Mean cost per person (£)", "physical_band", "Physical LTCs", "mental_band",
              "mean_cost", _money, PHYSICAL_BANDS, MENTAL_BANDS, column_labels=_MENTAL),
    ],
    "analysis_risk_overlap": [
        Col("top_percent", "Top % selected", _top),
        Col("segment", "Segment", labels=charts.SEGMENT_LABELS),
        Col("people", "People", _int),
        Col("mean_cost", "Mean cost (£)", _money),
        Col("mean_cost_non_elective", "Mean non-elective cost (£)", _money),
        Col("mean_ltc_count", "Mean LTCs", _num),
        Col("mean_score", "Mean score", _num),
    ],
    "analysis_crisis_curve": [
        Col("rule_label", "Cohort"),
        Col("selection_fy", "Selected in", _fy),
        Col("fy", "Year", _fy),
        Col("members", "Selected", _int),
        Col("observed", "Still here", _int),
        Col("died_cumulative", "Died (to date)", _int),
        Col("lost_to_follow_up", "Moved away", _int),
        Col("mean_cost_per_member", "Cost per person selected (£)", _money),
        Col("mean_cost_observed", "Cost per person still here (£)", _money),
        Col("share_with_emergency_admission", "With an emergency admission", _pct),
    ],
    "analysis_cohort_turnover": [
        Col("rule_label", "Cohort"),
        Col("fy_from", "From", _fy),
        Col("members", "Selected", _int),
        Col("retained", "Selected again", _int),
        Col("died", "Died", _int),
        Col("left_area", "Moved away", _int),
        Col("dropped_out", "No longer selected", _int),
        Col("joiners", "New next year", _int),
        Col("retention", "Retention", _pct),
        Col("retention_among_present", "Retention of those still here", _pct),
    ],
    "analysis_bed_demand": [
        Pivot("Mean beds occupied", "month", "Month", "bed_setting", "mean_beds_occupied",
              lambda v: f"{v:,.1f}", column_order=tuple(charts.BED_LABELS),
              column_labels=charts.BED_LABELS),
    ],
}
# fmt: on

#: The analyses of seed 004 §5.2 and §5.6 (population.analysis.care): display, chart, headline.
CARE_VIEWS = {
    "analysis_crisis_months": (crisis_months.DISPLAY, crisis_months.chart, crisis_months.headline),
    "analysis_cost_by_organisation": (
        organisations.DISPLAY,
        organisations.chart,
        organisations.headline,
    ),
    "analysis_bed_demand_by_ltc": (beds_by_ltc.DISPLAY, beds_by_ltc.chart, beds_by_ltc.headline),
    "analysis_learning_disability": (
        care_groups.LD_DISPLAY,
        care_groups.ld_chart,
        care_groups.ld_headline,
    ),
    "analysis_last_year_of_life": (
        care_groups.LYOL_DISPLAY,
        care_groups.lyol_chart,
        care_groups.lyol_headline,
    ),
}
DISPLAY.update({t: v[0] for t, v in CARE_VIEWS.items()})
#: Rows of the whole population a long table shows (default: all of them).
SHOWN_ROWS = {"analysis_cost_by_organisation": organisations.table_rows}


def _chart(table: str, frame: pd.DataFrame) -> dict[str, Any]:
    view = CARE_VIEWS.get(table)
    return view[1](frame) if view else charts.chart_spec(table, frame)


def _headline(table: str, frames: Mapping[str, pd.DataFrame]) -> str | None:
    view = CARE_VIEWS.get(table)
    return view[2](frames) if view else headline(table, frames)


#: Tables a headline reads besides the section's own.
_HEADLINE_READS = {
    "analysis_cost_by_ltc_age": ("analysis_cost_by_ltc_setting",),
    "analysis_cost_by_ltc_setting": ("analysis_cost_strength",),
    "analysis_cost_strength": ("analysis_cost_by_ltc_setting",),
}


def _tables(table: str, frame: pd.DataFrame) -> list[rb.Block]:
    display = DISPLAY[table]
    whole = frame[frame.split_by == ALL]
    if table in SHOWN_ROWS:
        whole = SHOWN_ROWS[table](whole)
    if isinstance(display[0], Pivot):
        shown = [rb.pivot(whole, p) for p in display]  # type: ignore[arg-type]
    else:
        shown = [rb.table(whole, display, limit=len(whole))]  # type: ignore[arg-type]
    groups = frame[frame.split_by != ALL]
    if groups.empty:
        return shown
    if isinstance(display[0], Pivot):
        p: Pivot = display[0]  # type: ignore[assignment]
        cols = [Col(p.index, p.index_label), Col(p.columns, "By"), Col(p.values, p.title, p.fmt)]
    else:
        cols = display  # type: ignore[assignment]
    head = rb.table(groups, [Col("split_value", "Group"), *cols], limit=GROUP_ROWS)
    n = min(len(groups), GROUP_ROWS)
    cut = ", first rows only: the workbook has every group" if len(groups) > GROUP_ROWS else ""
    by = groups.split_by.iloc[0].replace("_", " ")
    return [*shown, rb.details(f"By {by} ({n} rows{cut})", {**head, "note": None})]


def _unavailable(table: str):
    def reason(d: SectionData) -> str | None:
        skipped = d.params.get("skipped", {}).get(table)
        if skipped:
            return skipped
        if d.frames[table].empty:
            return "no rows: the data hold nothing for this analysis"
        return None

    return reason


def excel_kind(col: str, counts: Sequence[str]) -> str | None:
    """Number format of a workbook column, from its role and name."""
    if col in counts:
        return "int"
    if col.startswith(("share", "retention")) or col == "eta_squared":
        return "pct"
    if col.startswith(("cost", "mean_cost")):
        return "money"
    if col.startswith(("mean_", "bed_days", "total_")):
        return "num"
    return None


def _sheet(a: Analysis, template: str):
    def sheets(d: SectionData) -> list[Sheet]:
        frame = d.frames[a.table]
        description = render_block(template, "what", {}).strip()
        kinds = {c: excel_kind(c, a.counts) for c in frame.columns}
        formats = {c: k for c, k in kinds.items() if k}
        return [Sheet(a.table, frame, f"{a.title}: {description}", formats)]

    return sheets


def _provenance(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    fy = _fy(params["fy_analysed"]) if params.get("fy_analysed") else "not recorded"
    years = ", ".join(_fy(y) for y in params.get("years", [])) or "not recorded"
    by = (params.get("by") or "").replace("_", " ")
    who = params.get("analysis_population", "not recorded")
    population = f"{who}: person_year, financial year {fy} (years in the data: {years})"
    return [
        ("Analysis population", population + (f"; split by {by}" if by else "")),
        ("Condition catalogue", str(params.get("condition_catalogue", "not recorded"))),
    ]


def _section(a: Analysis) -> Section:
    name = a.table.removeprefix("analysis_")
    template = f"yearofcare.population.analysis:{name}.html.j2"
    return Section(
        id=a.table,
        title=a.title,
        stage=STAGE,
        command=COMMAND,
        tables=(a.table, *_HEADLINE_READS.get(a.table, ())),
        template=template,
        blocks=lambda d, t=a.table: _tables(t, d.frames[t]),
        charts=(Chart(a.table, a.title, lambda d, t=a.table: _chart(t, d.frames[t])),),
        finding=lambda d, t=a.table: _headline(t, d.frames),
        unavailable=_unavailable(a.table),
        sheets=_sheet(a, template),
        provenance=_provenance,
    )


SECTIONS: tuple[Section, ...] = tuple(_section(a) for a in ANALYSES)


def _page(reader: Reader, params: Mapping[str, Any], frames: Mapping[str, pd.DataFrame]) -> Page:
    policy = DisclosurePolicy(**params.get("disclosure", {}))
    people = frames["analysis_ltc_share"]
    people = people[people.split_by == ALL].people_total.dropna()
    fy = _fy(params["fy_analysed"]) if params.get("fy_analysed") else ""
    years = ", ".join(_fy(y) for y in params.get("years", []))
    count = f"{int(people.iloc[0]):,}" if len(people) else "not available"
    by = (params.get("by") or "").replace("_", " ")
    skipped = params.get("skipped", {})
    return Page(
        title="Whole-population analysis: long-term conditions and cost",
        subtitle=[
            f"Financial year {fy}"
            + (f" (years in the data: {years})" if years else "")
            + f" · {count} people",
            "Analysis population: "
            + str(params.get("analysis_population", "not recorded"))
            + " (the same people in every section and in the summary).",
            f"Figures for the whole population and split by {by}."
            if by
            else "Figures for the whole population.",
        ],
        notes=[v for k, v in skipped.items() if not k.startswith("analysis_")],
        about=[
            "Every figure is an aggregate of pseudonymised, linked person-level records. Small "
            f"numbers are protected: {rule_text(policy)}. A dash (–) means there is "
            "nothing to show. Costs are in pounds for the financial year (1 April to 31 March).",
        ],
        provenance=[
            *_stage_provenance(reader, SECTIONS[:1]),
            ("Suppression", rule_text(policy)),
        ],
        run_label=f"analysis run {reader.run(STAGE).run_id}",  # type: ignore[union-attr]
        extra={"fy": fy, "years": years, "by": by},
    )


def write_analysis_report(
    store: Store, out_dir: Path | str, *, run_id: str | None = None
) -> ReportFiles:
    """Write analysis_report.html, analysis_tables.xlsx and charts/*.vl.json to `out_dir`
    from the tables of the latest (or the given) `yoc analyse` run."""
    reader = Reader(store, run_ids={STAGE: run_id} if run_id else None)
    run = reader.run(STAGE)
    if run is None:
        raise StageError(
            "no successful `yoc analyse` run is recorded in this store",
            hint="run `yoc analyse` first (add --report to write the report straight away)",
        )
    out = ensure_dir(Path(out_dir))
    rendered = render_sections(reader, SECTIONS, chart_dir=out / "charts")
    data = reader.data(SECTIONS[0])
    frames = {s.id: reader.frames(s)[s.id] for s in SECTIONS}
    page = _page(reader, data.params, frames)
    html = write_page(
        out / "analysis_report.html",
        page,
        [(r.section.id, r.section.title, r.html) for r in rendered],
    )
    about = [
        (
            "Whole-population analysis",
            f"financial year {page.extra['fy']}; years {page.extra['years']}",
        ),
        ("Split by", page.extra["by"] or "whole population only"),
        *page.provenance,
        *((s.name, s.description) for s in sheets_of(rendered)),
    ]
    xlsx = write_workbook(
        out / "analysis_tables.xlsx",
        sheets_of(rendered),
        about,
        empty_note="no rows (see the About sheet and the HTML report)",
    )
    charts_written = {k: v for r in rendered for k, v in r.charts.items()}
    return ReportFiles(html, xlsx, charts_written, {})
