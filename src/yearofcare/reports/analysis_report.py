"""The whole-population analysis report: one self-contained HTML file and an Excel workbook.

Reads the analysis tables and the run log from the store (so it reports exactly what was
written, already suppressed), draws each chart to inline SVG with vl-convert (no JavaScript, no
CDN, no web fonts: it opens from an email), and writes one workbook sheet per analysis table.
Each chart's Vega-Lite spec is also saved as JSON beside the report for datapacks and the web app.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from yearofcare import __version__
from yearofcare.disclosure import SUPPRESSED
from yearofcare.errors import StageError, StoreError
from yearofcare.fy import fy_label
from yearofcare.population.analysis.common import (
    ALL,
    COST_GROUP_LABELS,
    LTC_BANDS,
    MENTAL_BANDS,
    PHYSICAL_BANDS,
)
from yearofcare.population.analysis.run import ANALYSES, STAGE
from yearofcare.reports.charts import (
    BED_LABELS,
    FACTOR_LABELS,
    MEASURE_LABELS,
    SEGMENT_LABELS,
    chart_spec,
)
from yearofcare.reports.formats import integer as _int
from yearofcare.reports.formats import money as _money
from yearofcare.reports.formats import number as _num
from yearofcare.reports.formats import percent as _pct
from yearofcare.reports.formats import text as _txt
from yearofcare.reports.text import WHAT_IT_SHOWS, headline
from yearofcare.schemas.population import AGE_BANDS
from yearofcare.store import Store

GROUP_ROWS = 400
_VERSION_WORDS = ("version", "catalogue", "codelist", "code_list", "unit_cost", "tariff", "weights")

Fmt = Callable[[Any], str]


@dataclass(frozen=True)
class Col:
    name: str
    label: str
    fmt: Fmt = _txt


@dataclass(frozen=True)
class Pivot:
    title: str
    index: str
    index_label: str
    columns: str
    values: str
    fmt: Fmt
    index_order: Sequence[str] = ()
    column_order: Sequence[str] = ()
    index_labels: dict[str, str] | None = None
    column_labels: dict[str, str] | None = None


_AGES = tuple(b[0] for b in AGE_BANDS)
_SPLIT = [Col("split_value", "Group")]

#: How each table is shown in HTML: a list of columns (long table) or pivots.
DISPLAY: dict[str, list[Col] | list[Pivot]] = {
    "analysis_cost_by_ltc_age": [
        Pivot(
            "Mean cost per person (£)",
            "ltc_band",
            "LTCs",
            "age_band",
            "mean_cost",
            _money,
            LTC_BANDS,
            _AGES,
        ),
        Pivot("People", "ltc_band", "LTCs", "age_band", "people", _int, LTC_BANDS, _AGES),
    ],
    "analysis_cost_by_ltc_setting": [
        Pivot(
            "Mean cost per person (£) by setting",
            "cost_group",
            "Setting",
            "ltc_band",
            "mean_cost",
            _money,
            tuple(COST_GROUP_LABELS),
            LTC_BANDS,
            index_labels=COST_GROUP_LABELS,
        ),
    ],
    "analysis_cost_strength": [
        Col("factor", "Factor"),
        Col("eta_squared", "Share of variation explained (eta²)", _pct),
        Col("levels", "Groups", _int),
        Col("people", "People", _int),
    ],
    "analysis_cost_concentration": [
        Col("top_percent", "Top % of people", lambda v: f"{v:g}%"),
        Col("people", "People", _int),
        Col("cost_top", "Their cost (£)", _money),
        Col("share_of_cost", "Share of all cost", _pct),
        Col("cost_all", "Everyone's cost (£)", _money),
    ],
    "analysis_ltc_share": [
        Col("measure", "Measure"),
        Col("share_of_people", "People with an LTC: share of people", _pct),
        Col("share_with_ltc", "Their share of the measure", _pct),
        Col("total_with_ltc", "Used by people with an LTC", _int),
        Col("total_all", "Used by everyone", _int),
    ],
    "analysis_mm_overlap": [
        Pivot(
            "People",
            "physical_band",
            "Physical LTCs",
            "mental_band",
            "people",
            _int,
            PHYSICAL_BANDS,
            MENTAL_BANDS,
            column_labels={b: f"{b} mental health" for b in MENTAL_BANDS},
        ),
        Pivot(
            "Mean cost per person (£)",
            "physical_band",
            "Physical LTCs",
            "mental_band",
            "mean_cost",
            _money,
            PHYSICAL_BANDS,
            MENTAL_BANDS,
            column_labels={b: f"{b} mental health" for b in MENTAL_BANDS},
        ),
    ],
    "analysis_risk_overlap": [
        Col("top_percent", "Top % selected", lambda v: f"{v:g}%"),
        Col("segment", "Segment"),
        Col("people", "People", _int),
        Col("mean_cost", "Mean cost (£)", _money),
        Col("mean_cost_non_elective", "Mean non-elective cost (£)", _money),
        Col("mean_ltc_count", "Mean LTCs", _num),
        Col("mean_score", "Mean score", _num),
    ],
    "analysis_crisis_curve": [
        Col("rule_label", "Cohort"),
        Col("selection_fy", "Selected in", lambda v: fy_label(int(v))),
        Col("fy", "Year", lambda v: fy_label(int(v))),
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
        Col("fy_from", "From", lambda v: fy_label(int(v))),
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
        Pivot(
            "Mean beds occupied",
            "month",
            "Month",
            "bed_setting",
            "mean_beds_occupied",
            lambda v: f"{v:,.1f}",
            column_order=tuple(BED_LABELS),
            column_labels=BED_LABELS,
        ),
    ],
}

_VALUE_LABELS = {
    "factor": FACTOR_LABELS,
    "measure": MEASURE_LABELS,
    "segment": SEGMENT_LABELS,
}


@dataclass(frozen=True)
class ReportFiles:
    """Where the report was written."""

    html: Path
    xlsx: Path
    charts: dict[str, Path]


def _cell(row: pd.Series, col: str, fmt: Fmt) -> str:
    v = row[col]
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return SUPPRESSED if bool(row.get("suppressed", False)) else "–"
    labels = _VALUE_LABELS.get(col)
    if labels and v in labels:
        return labels[v]
    return fmt(v)


def _long_table(frame: pd.DataFrame, cols: list[Col], with_group: bool) -> dict[str, Any]:
    cols = [*_SPLIT, *cols] if with_group else cols
    rows = [[_cell(r, c.name, c.fmt) for c in cols] for _, r in frame.iterrows()]
    return {"title": None, "header": [c.label for c in cols], "rows": rows}


def _pivot_table(frame: pd.DataFrame, p: Pivot) -> dict[str, Any]:
    f = frame.copy()
    if p.index == "month":
        f["month"] = pd.to_datetime(f["month"]).dt.strftime("%b %Y")
        index_order = list(dict.fromkeys(f.sort_values("fy").month)) if "fy" in f else []
        f = f.sort_values("fy")
    else:
        index_order = [v for v in p.index_order if v in set(f[p.index])] or sorted(set(f[p.index]))
    col_order = [v for v in p.column_order if v in set(f[p.columns])] or sorted(set(f[p.columns]))
    f["_cell"] = [_cell(r, p.values, p.fmt) for _, r in f.iterrows()]
    cells = {(r[p.index], r[p.columns]): r["_cell"] for _, r in f.iterrows()}
    il, cl = p.index_labels or {}, p.column_labels or {}
    header = [p.index_label, *(cl.get(c, str(c)) for c in col_order)]
    rows = [[il.get(i, str(i)), *(cells.get((i, c), "–") for c in col_order)] for i in index_order]
    return {"title": p.title, "header": header, "rows": rows}


def _tables(table: str, frame: pd.DataFrame) -> list[dict[str, Any]]:
    display = DISPLAY[table]
    if display and isinstance(display[0], Pivot):
        return [_pivot_table(frame, p) for p in display]  # type: ignore[arg-type]
    return [_long_table(frame, display, with_group=False)]  # type: ignore[arg-type]


def _group_tables(table: str, frame: pd.DataFrame) -> dict[str, Any] | None:
    groups = frame[frame.split_by != ALL]
    if groups.empty:
        return None
    display = DISPLAY[table]
    if display and isinstance(display[0], Pivot):
        p: Pivot = display[0]  # type: ignore[assignment]
        cols = [Col(p.index, p.index_label), Col(p.columns, "By"), Col(p.values, p.title, p.fmt)]
    else:
        cols = display  # type: ignore[assignment]
    shown = groups.head(GROUP_ROWS)
    t = _long_table(shown, cols, with_group=True)
    t["title"] = f"By {groups.split_by.iloc[0].replace('_', ' ')}"
    t["truncated"] = len(groups) > GROUP_ROWS
    return t


def _svg(spec: dict[str, Any]) -> str:
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec)
    return svg[svg.index("<svg") :]


def _analysis_run(store: Store, run_id: str | None) -> pd.Series:
    run = store.latest_run(STAGE, run_id)
    if run is None:
        raise StageError(
            "no successful `yoc analyse` run is recorded in this store",
            hint="run `yoc analyse` first (add --report to write the report straight away)",
        )
    return run


def _provenance(store: Store, run: pd.Series, params: dict[str, Any]) -> dict[str, Any]:
    runs = store.runs().set_index("run_id", drop=False)
    inputs = []
    for table, rid in sorted(params.get("input_runs", {}).items()):
        if rid not in runs.index:
            continue
        r = runs.loc[rid]
        p = json.loads(r.parameters or "{}")
        versions = {
            k: _short(v) for k, v in p.items() if any(w in k.lower() for w in _VERSION_WORDS)
        }
        inputs.append(
            {
                "table": table,
                "run_id": rid,
                "stage": r.stage,
                "finished": str(r.finished_at)[:19],
                "code_version": r.code_version,
                "versions": ", ".join(f"{k} = {v}" for k, v in versions.items()) or "not recorded",
            }
        )
    return {
        "run_id": run.run_id,
        "finished": str(run.finished_at)[:19],
        "engine": run.engine,
        "code_version": run.code_version,
        "catalogue": params.get("condition_catalogue", "not recorded"),
        "inputs": inputs,
        "disclosure": params.get("disclosure", {}),
    }


def _short(value: Any) -> str:
    """A run parameter as short text: lists joined, long hashes cut to 12 characters."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_short(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_short(v) for v in value)
    text = str(value)
    return text[:12] if len(text) >= 40 and all(c in "0123456789abcdef" for c in text) else text


def _template() -> jinja2.Template:
    text = (
        resources.files("yearofcare.reports")
        .joinpath("templates", "analysis_report.html.j2")
        .read_text(encoding="utf-8")
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(text)


def write_analysis_report(
    store: Store, out_dir: Path | str, *, run_id: str | None = None
) -> ReportFiles:
    """Write analysis_report.html, analysis_tables.xlsx and charts/*.vl.json to `out_dir`
    from the tables of the latest (or the given) `yoc analyse` run."""
    run = _analysis_run(store, run_id)
    params = json.loads(run.parameters or "{}")
    skipped: dict[str, str] = params.get("skipped", {})
    frames = {a.table: store.to_pandas(store.table(a.table)) for a in ANALYSES}
    out = Path(out_dir)
    try:
        (out / "charts").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot write the report to {out} ({exc.strerror or exc})",
            hint="choose another directory with --out",
        ) from None
    sections, chart_files = [], {}
    for a in ANALYSES:
        frame = frames[a.table]
        whole = frame[frame.split_by == ALL]
        section: dict[str, Any] = {
            "id": a.table,
            "title": a.title,
            "what": WHAT_IT_SHOWS[a.table],
            "skipped": skipped.get(a.table),
            "headline": None,
            "svg": None,
            "tables": [],
            "groups": None,
        }
        if section["skipped"] is None and not frame.empty:
            spec = chart_spec(a.table, frame)
            path = out / "charts" / f"{a.table}.vl.json"
            path.write_text(json.dumps(spec, indent=1, default=str), encoding="utf-8")
            chart_files[a.table] = path
            section["svg"] = Markup(_svg(spec))
            section["headline"] = headline(a.table, frames)
            section["tables"] = _tables(a.table, whole)
            section["groups"] = _group_tables(a.table, frame)
        elif section["skipped"] is None:
            section["skipped"] = "no rows: the data hold nothing for this analysis"
        sections.append(section)
    people = frames["analysis_ltc_share"]
    people = people[people.split_by == ALL].people_total.dropna()
    context = {
        "fy": fy_label(int(params.get("fy_analysed", 0))) if params.get("fy_analysed") else "",
        "years": ", ".join(fy_label(int(y)) for y in params.get("years", [])),
        "by": (params.get("by") or "").replace("_", " "),
        "people": f"{int(people.iloc[0]):,}" if len(people) else "not available",
        "generated": datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
        "version": __version__,
        "sections": sections,
        "notes": {k: v for k, v in skipped.items() if not k.startswith("analysis_")},
        "provenance": _provenance(store, run, params),
        "suppressed": SUPPRESSED,
    }
    html_path = out / "analysis_report.html"
    html_path.write_text(_template().render(**context), encoding="utf-8")
    xlsx_path = out / "analysis_tables.xlsx"
    write_workbook(xlsx_path, frames, context)
    return ReportFiles(html_path, xlsx_path, chart_files)


def _excel_kind(col: str, counts: Sequence[str]) -> str | None:
    """Number format for a workbook column, from its role and name."""
    if col in counts:
        return "int"
    if col.startswith(("share", "retention")) or col == "eta_squared":
        return "pct"
    if col.startswith(("cost", "mean_cost")):
        return "money"
    if col.startswith(("mean_", "bed_days", "total_")):
        return "num"
    return None


def write_workbook(path: Path, frames: dict[str, pd.DataFrame], context: dict[str, Any]) -> None:
    """One sheet per analysis table (suppressed cells shown as *), plus an About sheet."""
    import xlsxwriter

    titles = {a.table: a.title for a in ANALYSES}
    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    bold = book.add_format({"bold": True, "bg_color": "#e8edee", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    about = book.add_worksheet("About")
    prov = context["provenance"]
    lines = [
        ("Whole-population analysis", f"financial year {context['fy']}; years {context['years']}"),
        ("Split by", context["by"] or "whole population only"),
        ("Analysis run", f"{prov['run_id']} ({prov['finished']}, {prov['engine']})"),
        ("Code version", prov["code_version"]),
        ("Condition catalogue", prov["catalogue"]),
        *(
            (f"Input {i['table']}", f"run {i['run_id']} ({i['stage']}); {i['versions']}")
            for i in prov["inputs"]
        ),
        (
            "Suppression",
            f"counts below {prov['disclosure'].get('threshold', '?')} shown as "
            f"{SUPPRESSED} with the values derived from them; other counts rounded to the "
            f"nearest {prov['disclosure'].get('rounding', '?')}",
        ),
    ]
    about.set_column(0, 0, 24)
    about.set_column(1, 1, 110, wrap)
    for i, (k, v) in enumerate(lines):
        about.write(i, 0, k, bold)
        about.write(i, 1, str(v))
    row = len(lines) + 1
    for a in ANALYSES:
        about.write(row, 0, a.table, bold)
        about.write(row, 1, f"{titles[a.table]}: {WHAT_IT_SHOWS[a.table]}")
        row += 1
    formats = {
        "money": book.add_format({"num_format": "£#,##0"}),
        "pct": book.add_format({"num_format": "0.0%"}),
        "int": book.add_format({"num_format": "#,##0"}),
        "num": book.add_format({"num_format": "#,##0.00"}),
    }
    for a in ANALYSES:
        frame = frames[a.table]
        sheet = book.add_worksheet(a.table[:31])
        sheet.freeze_panes(1, 0)
        for j, col in enumerate(frame.columns):
            sheet.write(0, j, col, bold)
            kind = _excel_kind(col, a.counts)
            sheet.set_column(j, j, max(10, min(28, len(col) + 2)), formats[kind] if kind else None)
        flags = frame["suppressed"].tolist() if "suppressed" in frame else [False] * len(frame)
        for i, rec in enumerate(frame.itertuples(index=False), start=1):
            for j, v in enumerate(rec):
                if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                    sheet.write(i, j, SUPPRESSED if flags[i - 1] else "")
                elif isinstance(v, pd.Timestamp | datetime):
                    sheet.write(i, j, v.strftime("%Y-%m-%d"))
                elif hasattr(v, "isoformat"):
                    sheet.write(i, j, v.isoformat())
                elif isinstance(v, bool):
                    sheet.write_boolean(i, j, v)
                else:
                    sheet.write(i, j, v.item() if hasattr(v, "item") else v)
        if frame.empty:
            sheet.write(1, 0, "no rows (see the About sheet and the HTML report)")
    book.close()
