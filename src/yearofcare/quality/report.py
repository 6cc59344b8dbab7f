"""The data-quality report: one self-contained HTML file, an Excel workbook, and a feedback
page and workbook per supplier (source) that the data provider can act on.

Reads the `dq_*` tables of the latest (or the given) `yoc quality` run. HTML has inline CSS and
inline SVG charts: no JavaScript, no CDN, no web fonts. Table rendering and chart drawing reuse
the analysis report's helpers (`reports.analysis_report`).

Disclosure. Counts of *people* and volumes of activity by month pass through
`yearofcare.disclosure.suppress` (with the values derived from them, and the loaded cost of a
contract line built on few records). Counts of a file's *rows* with a given problem are not
patient statistics: they are operational facts about a supplier's own submission (how many of
the rows they sent failed a check, and at which line numbers), shown exactly so that they can be
found and fixed. No report ever shows an identifier or a rejected value; example rows are given
by line number only.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
import pandas as pd
from markupsafe import Markup

from yearofcare import __version__, sources
from yearofcare.disclosure import DEFAULT_POLICY, SUPPRESSED, DisclosurePolicy, suppress
from yearofcare.errors import StageError, StoreError
from yearofcare.fy import fy_label
from yearofcare.quality.findings import ADVICE, REASON_LABELS
from yearofcare.quality.run import STAGE
from yearofcare.reports.analysis_report import Col, _long_table, _svg
from yearofcare.reports.charts import PALETTE, _theme
from yearofcare.reports.formats import integer as _int
from yearofcare.reports.formats import money as _money
from yearofcare.reports.formats import month as _month
from yearofcare.reports.formats import percent as _pct
from yearofcare.reports.formats import signed_percent as _signed_pct
from yearofcare.schemas.quality import PRIORITIES
from yearofcare.store import Store

TABLES = (
    "dq_load",
    "dq_reject",
    "dq_column",
    "dq_source_month",
    "dq_drift",
    "dq_triangulation",
    "dq_finding",
)
MAX_FINDINGS = 60
MAX_ROWS = 400


@dataclass(frozen=True)
class QualityReportFiles:
    """Where the report and the supplier feedback were written."""

    html: Path
    xlsx: Path
    feedback_html: dict[str, Path]
    feedback_xlsx: dict[str, Path]


# ---- formatting --------------------------------------------------------------------------------
def _na_safe(fmt: Callable[[Any], str]) -> Callable[[Any], str]:
    def wrapped(v: Any) -> str:
        if isinstance(v, str) and v == SUPPRESSED:
            return v
        try:
            missing = bool(pd.isna(v))
        except (TypeError, ValueError):
            missing = False
        return "–" if missing else fmt(v)

    return wrapped


def _day(v: Any) -> str:
    return pd.Timestamp(v).strftime("%Y-%m-%d")


def _yesno(v: Any) -> str:
    return "yes" if bool(v) else "no"


def _reason(v: Any) -> str:
    return REASON_LABELS.get(str(v), str(v))


def _fy(v: Any) -> str:
    return fy_label(int(v))


def _text(v: Any) -> str:
    return str(v)


_int, _pct, _money, _signed_pct, _month, _day, _fy = (
    _na_safe(f) for f in (_int, _pct, _money, _signed_pct, _month, _day, _fy)
)


def source_label(name: str) -> str:
    """A supplier's feed in words (the adapter's description), e.g. for headings."""
    try:
        return f"{name}: {sources.get(name, 'activity').description}"
    except Exception:  # noqa: BLE001 - an unknown source name is shown as it is
        return name


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "source"


def _table(
    frame: pd.DataFrame,
    cols: Sequence[Col],
    title: str | None = None,
    *,
    note: str | None = None,
    empty: str = "Nothing to show.",
    limit: int = MAX_ROWS,
) -> dict[str, Any]:
    f = frame.head(limit).reset_index(drop=True)
    t = _long_table(f, list(cols), with_group=False) if len(f) else {"header": [], "rows": []}
    t.update(type="table", title=title, empty=empty)
    text_cols = [i for i, c in enumerate(cols) if c.fmt in (_text, _reason)]
    t["text"] = text_cols
    if len(frame) > limit:
        more = f"First {limit:,} of {len(frame):,} rows shown; the workbook has them all."
        note = f"{note} {more}" if note else more
    t["note"] = note
    return t


def _details(summary: str, table: dict[str, Any]) -> dict[str, Any]:
    return {**table, "type": "details", "summary": summary}


def _findings_block(
    frame: pd.DataFrame, title: str | None = None, limit: int = MAX_FINDINGS
) -> dict[str, Any]:
    items = [
        {"severity": r.severity, "message": r.message, "action": r.action}
        for r in frame.head(limit).itertuples(index=False)
    ]
    more = (
        f"{len(frame) - limit:,} more in the workbook (sheet Findings)."
        if len(frame) > limit
        else None
    )
    return {"type": "findings", "title": title, "entries": items, "more": more}


# ---- the data ----------------------------------------------------------------------------------
def _quality_run(store: Store, run_id: str | None) -> pd.Series:
    run = store.latest_run(STAGE, run_id)
    if run is None:
        raise StageError(
            "no successful `yoc quality` run is recorded in this store",
            hint="run `yoc quality` first",
        )
    return run


def read_tables(store: Store) -> dict[str, pd.DataFrame]:
    missing = [t for t in TABLES if not store.exists(t)]
    if missing:
        raise StageError(
            f"the store has no {', '.join(missing)} table(s)", hint="run `yoc quality` first"
        )
    return {t: store.to_pandas(store.table(t)) for t in TABLES}


def _mark(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Masked cells of `columns` as the suppression mark, and the row flag dropped (so a cell
    that is simply empty is not shown as suppressed)."""
    out = frame.copy()
    for c in columns:
        hidden = out["suppressed"] & out[c].isna()
        out[c] = out[c].astype("object").where(~hidden, SUPPRESSED)
    return out.drop(columns="suppressed")


_MONTH_COUNTS = (
    "records",
    "persons",
    "records_linked",
    "records_costed",
    "records_coded",
    "records_late",
)


def _safe_tables(frames: dict[str, pd.DataFrame], policy: DisclosurePolicy) -> dict[str, Any]:
    """The tables as they may leave: people counts and monthly volumes suppressed."""
    out = dict(frames)
    out["dq_load"] = _mark(suppress(frames["dq_load"], ["persons"], policy=policy), ["persons"])
    rates = {
        "linkage_rate": ["records", "records_linked"],
        "costed_rate": ["records", "records_costed"],
        "coded_rate": ["records", "records_coded"],
    }
    months = suppress(
        frames["dq_source_month"], list(_MONTH_COUNTS), policy=policy, derived_from=rates
    )
    out["dq_source_month"] = _mark(months, [*_MONTH_COUNTS, *rates])
    tri = suppress(
        frames["dq_triangulation"],
        ["records", "records_uncosted"],
        policy=policy,
        derived_from={
            "loaded_cost": ["records"],
            "difference": ["records"],
            "difference_pct": ["records"],
        },
    )
    tri["within_tolerance"] = tri.within_tolerance.astype("object").where(~tri.suppressed, None)
    for col in ("source", "provider_code", "setting"):
        tri[col] = tri[col].fillna("any")
    out["dq_triangulation"] = _mark(
        tri,
        [
            "records",
            "records_uncosted",
            "loaded_cost",
            "difference",
            "difference_pct",
            "within_tolerance",
        ],
    )
    return out


def _by_source(loads: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    cur = loads[loads.status == "current"]
    if cur.empty:
        return pd.DataFrame()
    g = cur.groupby("source").agg(
        files=("load_id", "count"),
        rows_read=("rows_read", "sum"),
        rows_loaded=("rows_loaded", "sum"),
        rows_quarantined=("rows_quarantined", "sum"),
        rows_corrected=("rows_corrected", "sum"),
        nhs_present=("nhs_number_present", "sum"),
        nhs_valid=("nhs_number_valid", "sum"),
        nhs_missing=("nhs_number_missing", "sum"),
        rows_linked=("rows_linked", "sum"),
        duplicates=("rows_duplicate", "sum"),
        problems=("problems", "sum"),
    )
    g = g.reset_index()
    den = g.nhs_present + g.nhs_missing
    g["nhs_valid_coverage"] = (g.nhs_valid / den).where(den > 0)
    g["linkage_rate"] = (g.rows_linked / g.rows_loaded).where(g.rows_loaded > 0)
    g["quarantine_rate"] = (g.rows_quarantined / g.rows_read).where(g.rows_read > 0)
    sev = findings.groupby(["source", "severity"]).size().unstack(fill_value=0)
    for s in ("error", "warning"):
        g[s + "s"] = g.source.map(sev.get(s, {})).fillna(0).astype(int)
    return g


# ---- charts ------------------------------------------------------------------------------------
def _months_chart(months: pd.DataFrame) -> dict[str, Any] | None:
    f = months.assign(
        records=pd.to_numeric(months.records, errors="coerce"), month=pd.to_datetime(months.month)
    )
    start = pd.to_datetime(f.source_period_start).dt.to_period("M").dt.to_timestamp()
    end = pd.to_datetime(f.source_period_end)
    f = f[(f.month >= start) & (f.month <= end)].dropna(subset=["records"])
    if f.empty:
        return None
    f = f.assign(month=f.month.dt.strftime("%Y-%m-01"))
    domain = sorted(f.source.unique())
    chart = (
        alt.Chart(f)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title="Month of the record", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("records:Q", title="Records loaded", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "source:N",
                title="Source",
                scale=alt.Scale(domain=domain, range=(PALETTE * 4)[: len(domain)]),
            ),
        )
        .properties(width=620, height=260)
    )
    return _theme(chart).to_dict()


def _trend_chart(loads: pd.DataFrame) -> dict[str, Any] | None:
    cur = loads[loads.status == "current"]
    if cur.empty:
        return None
    measures = {
        "quarantine_rate": "Rows quarantined",
        "nhs_valid_coverage": "Valid NHS number",
        "linkage_rate": "Rows linked",
    }
    long = cur.melt(
        id_vars=["source", "period_month", "file_name"],
        value_vars=list(measures),
        var_name="measure",
        value_name="rate",
    ).dropna(subset=["rate"])
    if long.empty:
        return None
    long["measure"] = long.measure.map(measures)
    long["period_month"] = pd.to_datetime(long.period_month).dt.strftime("%Y-%m-01")
    domain = sorted(long.source.unique())
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("period_month:T", title="Period of the file", axis=alt.Axis(format="%b %Y")),
            y=alt.Y(
                "rate:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color(
                "source:N",
                title="Source",
                scale=alt.Scale(domain=domain, range=(PALETTE * 4)[: len(domain)]),
            ),
            tooltip=["file_name:N", alt.Tooltip("rate:Q", format=".1%")],
        )
        .properties(width=250, height=170)
        .facet(column=alt.Column("measure:N", title=None, sort=list(measures.values())))
    )
    return _theme(chart).to_dict()


def _svg_block(spec: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {"type": "svg", "svg": Markup(_svg(spec)), "label": label}


# ---- columns shown -----------------------------------------------------------------------------
LOAD_COLS = [
    Col("file_name", "File", _text),
    Col("source", "Source", _text),
    Col("period_month", "Period", _month),
    Col("rows_read", "Rows read", _int),
    Col("rows_loaded", "Loaded", _int),
    Col("rows_quarantined", "Quarantined", _int),
    Col("rows_corrected", "Corrected", _int),
    Col("quarantine_rate", "Quarantined %", _pct),
    Col("problems", "Problems", _int),
]
LINK_COLS = [
    Col("file_name", "File", _text),
    Col("source", "Source", _text),
    Col("nhs_number_present", "NHS no. present", _int),
    Col("nhs_number_valid", "Valid", _int),
    Col("nhs_number_invalid", "Invalid", _int),
    Col("nhs_number_missing", "Missing", _int),
    Col("nhs_coverage", "Coverage", _pct),
    Col("nhs_validity", "Validity", _pct),
    Col("nhs_valid_coverage", "Valid coverage", _pct),
    Col("token_linked", "Token only", _int),
    Col("linkage_rate", "Linked", _pct),
    Col("rows_duplicate", "Duplicates in file", _int),
    Col("duplicates_across_loads", "Also in another file", _int),
    Col("code_validity", "Codes valid", _pct),
]
REJECT_COLS = [
    Col("file_name", "File", _text),
    Col("column", "Column", _text),
    Col("reason", "Problem", _reason),
    Col("action", "Action taken", _text),
    Col("rows", "Rows", _int),
    Col("example_rows", "Example rows (file line numbers)", _text),
    Col("advice", "What to do", _text),
]
FILE_COLUMN_COLS = [
    Col("file_name", "File", _text),
    Col("column", "Column", _text),
    Col("kind", "Kind", _text),
    Col("required", "Required", _yesno),
    Col("rows", "Rows", _int),
    Col("missing", "Blank (required)", _int),
    Col("invalid", "Invalid", _int),
    Col("completeness", "Complete", _pct),
    Col("validity", "Valid", _pct),
]
TABLE_COLUMN_COLS = [
    Col("source", "Source", _text),
    Col("table_name", "Table", _text),
    Col("column", "Column", _text),
    Col("rows", "Rows", _int),
    Col("filled", "Filled", _int),
    Col("invalid", "Invalid", _int),
    Col("completeness", "Complete", _pct),
    Col("validity", "Valid", _pct),
]
MONTH_COLS = [
    Col("source", "Source", _text),
    Col("month", "Month", _month),
    Col("records", "Records", _int),
    Col("persons", "People", _int),
    Col("linkage_rate", "Linked", _pct),
    Col("costed_rate", "Costed", _pct),
    Col("coded_rate", "Coded", _pct),
    Col("records_late", "Late", _int),
]
DRIFT_COLS = [
    Col("file_name", "File", _text),
    Col("source", "Source", _text),
    Col("check", "Check", _text),
    Col("column", "Column", _text),
    Col("message", "What changed", _text),
]
TIMELINESS_COLS = [
    Col("file_name", "File", _text),
    Col("source", "Source", _text),
    Col("period_end", "Period ends", _day),
    Col("loaded_at", "Loaded", _day),
    Col("lag_days", "Days after period end", _int),
    Col("rows_late", "Rows dated before the period", _int),
]
TRI_COLS = [
    Col("name", "Line", _text),
    Col("kind", "Kind", _text),
    Col("source", "Source", _text),
    Col("provider_code", "Provider", _text),
    Col("setting", "Setting", _text),
    Col("fy", "Year", _fy),
    Col("contract_value", "Contract / budget", _money),
    Col("loaded_cost", "Loaded cost", _money),
    Col("difference", "Difference", _money),
    Col("difference_pct", "Difference %", _signed_pct),
    Col("within_tolerance", "Within tolerance", _yesno),
]
SUMMARY_COLS = [
    Col("source", "Source", _text),
    Col("files", "Files", _int),
    Col("rows_read", "Rows read", _int),
    Col("quarantine_rate", "Quarantined", _pct),
    Col("nhs_valid_coverage", "Valid NHS no.", _pct),
    Col("linkage_rate", "Linked", _pct),
    Col("duplicates", "Duplicates", _int),
    Col("problems", "Problems", _int),
    Col("errors", "Errors", _int),
    Col("warnings", "Warnings", _int),
]
TREND_COLS = [
    Col("period_month", "Period", _month),
    Col("file_name", "File", _text),
    Col("rows_read", "Rows read", _int),
    Col("quarantine_rate", "Quarantined", _pct),
    Col("correction_rate", "Corrected", _pct),
    Col("nhs_valid_coverage", "Valid NHS no.", _pct),
    Col("linkage_rate", "Linked", _pct),
    Col("code_validity", "Codes valid", _pct),
]


def _with_files(frame: pd.DataFrame, loads: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame.assign(file_name=pd.Series(dtype="object"))
    names = loads.set_index("load_id").file_name
    return frame.assign(file_name=frame.load_id.map(names))


def _rejects_shown(rejects: pd.DataFrame, current: set[str]) -> pd.DataFrame:
    r = rejects[rejects.load_id.isin(current)].copy()
    r["advice"] = r.reason.map(ADVICE).fillna("")
    return r.sort_values(["file_name", "rows"], ascending=[True, False])


def _table_columns(columns: pd.DataFrame, current: set[str]) -> pd.DataFrame:
    t = columns[(columns.level == "table") & columns.load_id.isin(current)]
    if t.empty:
        return t
    g = (
        t.groupby(["source", "table_name", "column"])
        .agg(rows=("rows", "sum"), filled=("filled", "sum"), invalid=("invalid", "sum"))
        .reset_index()
    )
    g["completeness"] = (g.filled / g.rows).where(g.rows > 0)
    g["validity"] = ((g.filled - g.invalid) / g.filled).where(g.filled > 0)
    return g


def _file_column_problems(columns: pd.DataFrame, loads: pd.DataFrame) -> pd.DataFrame:
    current = set(loads.loc[loads.status == "current", "load_id"])
    f = columns[(columns.level == "file") & columns.load_id.isin(current)]
    f = f[(f.invalid > 0) | (f.missing.fillna(0) > 0)]
    return _with_files(f, loads).sort_values(["file_name", "column"])


def _findings(findings: pd.DataFrame, priority: int) -> pd.DataFrame:
    return findings[findings.priority == priority]


# ---- sections ----------------------------------------------------------------------------------
def _sections(safe: dict[str, pd.DataFrame], source: str | None = None) -> list[dict[str, Any]]:
    """The report's sections; for one supplier when `source` is given (their rows only)."""
    loads = safe["dq_load"]
    findings = safe["dq_finding"]
    rejects = safe["dq_reject"]
    columns = safe["dq_column"]
    months = safe["dq_source_month"]
    drift = safe["dq_drift"]
    tri = safe["dq_triangulation"]
    if source is not None:
        loads = loads[loads.source == source]
        findings = findings[findings.source == source]
        rejects = rejects[rejects.source == source]
        columns = columns[columns.source == source]
        months = months[months.source == source]
        drift = drift[drift.source == source]
        tri = tri.iloc[0:0]
    loads = loads.sort_values(["source", "period_month", "loaded_at", "file_name"])
    cur = loads[loads.status == "current"]
    current = set(cur.load_id)
    sections: list[dict[str, Any]] = []

    summary_blocks: list[dict[str, Any]] = []
    if source is None:
        summary_blocks.append(
            _table(_by_source(loads, findings), SUMMARY_COLS, "By source (current files)")
        )
    summary_blocks.append(_table(cur, LOAD_COLS, "Files loaded", empty="No files loaded."))
    superseded = loads[loads.status == "superseded"]
    if len(superseded):
        summary_blocks.append(
            _details(
                f"Files replaced by a later version ({len(superseded)})",
                _table(superseded, LOAD_COLS),
            )
        )
    sections.append(
        {
            "id": "summary",
            "title": "Summary",
            "what": "Every file loaded and how its rows were accounted for: read = loaded + "
            "quarantined (set aside with a reason) + opted out. Corrected rows were loaded with "
            "a bad value blanked.",
            "blocks": summary_blocks,
        }
    )

    p1 = [
        _table(cur, LINK_COLS, "NHS number, linkage, duplicates and codes by file"),
        {
            "type": "text",
            "text": "Coverage = rows with an NHS number ÷ rows (present + missing). Validity = "
            "valid NHS numbers (10 digits, correct modulus-11 check digit) ÷ NHS numbers "
            "present. Valid coverage = valid ÷ rows. Linked = rows joined to a person on a "
            "valid NHS number or our pseudonym (or an accepted probabilistic link) ÷ rows "
            "loaded; rows carrying only a token link within their source but not across "
            "services. Codes valid = 1 − rows with an invalid or unknown code ÷ rows read.",
        },
        _findings_block(_findings(findings, 1), "Findings"),
    ]
    sections.append(
        {
            "id": "priority1",
            "title": PRIORITIES[1],
            "what": "Kent's first priority: NHS number used consistently so records link "
            "across services, and codes standardised so duplicates can be found.",
            "blocks": p1,
        }
    )

    shown = _rejects_shown(rejects, current)
    p2: list[dict[str, Any]] = [
        _table(
            shown,
            REJECT_COLS,
            "Problems by file, column and reason",
            empty="No problems were found in the current files.",
            note="Row numbers are lines of the file as sent (the header is line 1). Values "
            "are never shown.",
        ),
        _table(
            _file_column_problems(columns, loads),
            FILE_COLUMN_COLS,
            "Contract columns with problems",
            empty="Every contract column passed its checks.",
            note="Every column of each file's contract is in the workbook (sheet dq_column).",
        ),
        _details(
            "Completeness and validity of the loaded columns",
            _table(_table_columns(columns, current), TABLE_COLUMN_COLS),
        ),
    ]
    chart = _svg_block(_months_chart(months), "records by month and source")
    if chart:
        p2.append(chart)
    p2.append(
        _details(
            f"Records by source and month ({len(months):,} rows)",
            _table(months.sort_values(["source", "month"]), MONTH_COLS),
        )
    )
    if source is None:
        p2.append(
            _table(
                tri.sort_values("line"),
                TRI_COLS,
                "Triangulation: loaded cost against contract and budget values",
                empty="No contract or budget file was given (yoc quality --contracts FILE).",
                note="Difference = loaded cost − contract value; % of the contract value.",
            )
        )
    p2.append(_findings_block(_findings(findings, 2), "Findings"))
    sections.append(
        {
            "id": "priority2",
            "title": PRIORITIES[2],
            "what": "Kent's second priority: what is missing or wrong in each file and column, "
            "months with little or no data, and a reality check of loaded costs against "
            "contracts and budgets.",
            "blocks": p2,
        }
    )

    flagged = _with_files(drift[drift.flagged & drift.load_id.isin(current)], loads)
    p3: list[dict[str, Any]] = [
        _table(
            flagged.sort_values(["source", "loaded_at"]),
            DRIFT_COLS,
            "Changes against earlier files",
            empty="No file differs from the earlier files of its source beyond the thresholds.",
        )
    ]
    trend = _svg_block(_trend_chart(loads), "rates by file over time")
    if trend:
        p3.append(trend)
    if source is not None:
        p3.append(_table(cur, TREND_COLS, "Your files over time"))
    p3.append(_table(cur, TIMELINESS_COLS, "Timeliness"))
    p3.append(_findings_block(_findings(findings, 3), "Findings"))
    sections.append(
        {
            "id": "priority3",
            "title": PRIORITIES[3],
            "what": "Kent's third priority: formats that do not drift, bad data rejected or "
            "corrected automatically, and quality monitored so providers can check their "
            "performance. Each file is compared with the earlier files of its source.",
            "blocks": p3,
        }
    )
    return sections


def _provenance(run: pd.Series, policy: DisclosurePolicy) -> dict[str, str]:
    params = json.loads(run.parameters or "{}")
    th = params.get("thresholds", {})
    return {
        "run_id": run.run_id,
        "Quality run": f"{run.run_id} (finished {str(run.finished_at)[:19]} UTC, engine "
        f"{run.engine})",
        "Code version": str(run.code_version),
        "Contract file": (
            f"{params.get('contracts_file')} (sha256 {str(params.get('contracts_sha256'))[:12]}…, "
            f"{params.get('contract_lines')} lines)"
            if params.get("contracts_file")
            else "none given"
        ),
        "Thresholds": ", ".join(f"{k} = {v}" for k, v in th.items()),
        "Headers": str(params.get("headers", "not recorded")),
        "Suppression": f"counts of people and of records per month below {policy.threshold} "
        f"shown as {SUPPRESSED}, others rounded to the nearest {policy.rounding}",
    }


ABOUT = [
    "Figures come from the bookkeeping `yoc ingest` keeps of every file (ingest_load, "
    "ingest_reject) and from the rows loaded. Every row read is accounted for: loaded, "
    "quarantined with a reason, or removed under the national data opt-out.",
    "Counts of people, and of records per month, are protected against small-number "
    "disclosure: small counts are shown as {s} (with the rates built on them) and the rest are "
    "rounded. Counts of a file's rows with a given problem are shown exactly: they describe a "
    "supplier's own submission, not patients, and the supplier needs them (with the line "
    "numbers) to find and fix the rows. No identifier or rejected value is ever shown.",
]


def _template() -> jinja2.Template:
    text = (
        resources.files("yearofcare.reports")
        .joinpath("templates", "quality_report.html.j2")
        .read_text(encoding="utf-8")
    )
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(text)


def _render(path: Path, **context: Any) -> None:
    path.write_text(_template().render(**context), encoding="utf-8")


# ---- workbook ----------------------------------------------------------------------------------
def write_workbook(path: Path, sheets: dict[str, pd.DataFrame], about: list[tuple[str, str]]):
    """One sheet per table (suppressed cells shown as *), plus an About sheet."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    bold = book.add_format({"bold": True, "bg_color": "#e8edee", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 110, wrap)
    for i, (k, v) in enumerate(about):
        sheet.write(i, 0, k, bold)
        sheet.write(i, 1, str(v))
    for name, frame in sheets.items():
        ws = book.add_worksheet(name[:31])
        ws.freeze_panes(1, 0)
        for j, col in enumerate(frame.columns):
            ws.write(0, j, col, bold)
            ws.set_column(j, j, max(10, min(40, len(col) + 2)))
        flags = frame["suppressed"].tolist() if "suppressed" in frame else [False] * len(frame)
        for i, rec in enumerate(frame.itertuples(index=False), start=1):
            for j, v in enumerate(rec):
                if (
                    v is None
                    or v is pd.NA
                    or v is pd.NaT
                    or (isinstance(v, float) and math.isnan(v))
                ):
                    ws.write(i, j, SUPPRESSED if flags[i - 1] else "")
                elif isinstance(v, pd.Timestamp | datetime):
                    ws.write(
                        i,
                        j,
                        v.strftime("%Y-%m-%d %H:%M")
                        if v.hour or v.minute
                        else v.strftime("%Y-%m-%d"),
                    )
                elif hasattr(v, "isoformat"):
                    ws.write(i, j, v.isoformat())
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                else:
                    ws.write(i, j, v.item() if hasattr(v, "item") else v)
        if frame.empty:
            ws.write(1, 0, "no rows")
    book.close()


def _sheets(safe: dict[str, pd.DataFrame], source: str | None) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    findings = safe["dq_finding"]
    if source is not None:
        findings = findings[findings.source == source]
    out["Findings"] = findings
    for name in TABLES[:-1]:
        f = safe[name]
        if source is not None:
            if name == "dq_triangulation":
                continue
            f = f[f.source == source]
        out[name] = f
    return out


def _about_rows(prov: dict[str, str], title: str) -> list[tuple[str, str]]:
    rows = [("Report", title)]
    rows += [(k, v) for k, v in prov.items() if k != "run_id"]
    rows += [("Privacy", ABOUT[1].format(s=SUPPRESSED))]
    return rows


# ---- entry point -------------------------------------------------------------------------------
def write_quality_report(
    store: Store,
    out_dir: Path | str,
    *,
    run_id: str | None = None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> QualityReportFiles:
    """Write quality_report.html, quality_tables.xlsx and feedback/<source>.html|.xlsx."""
    run = _quality_run(store, run_id)
    params = json.loads(run.parameters or "{}")
    safe = _safe_tables(read_tables(store), policy)
    out = Path(out_dir)
    try:
        (out / "feedback").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot write the report to {out} ({exc.strerror or exc})",
            hint="choose another directory with --out",
        ) from None
    prov = _provenance(run, policy)
    generated = datetime.now(UTC).strftime("%d %B %Y %H:%M UTC")
    loads = safe["dq_load"]
    cur = loads[loads.status == "current"]
    source_names = sorted(set(loads.source))
    about = [ABOUT[0], ABOUT[1].format(s=SUPPRESSED)]
    feedback_html: dict[str, Path] = {}
    feedback_xlsx: dict[str, Path] = {}
    for s in source_names:
        title = f"Data quality feedback: {s}"
        mine = cur[cur.source == s]
        subtitle = [
            source_label(s),
            f"{len(mine):,} current file(s), {int(mine.rows_read.sum()):,} rows read. Only "
            "your own submissions are shown.",
        ]
        sections = _sections(safe, s)
        html = out / "feedback" / f"{_slug(s)}.html"
        _render(
            html,
            title=title,
            subtitle=subtitle,
            sections=sections,
            notes=[],
            about=about,
            provenance=dict(prov),
            version=__version__,
            generated=generated,
        )
        xlsx = out / "feedback" / f"{_slug(s)}.xlsx"
        write_workbook(xlsx, _sheets(safe, s), _about_rows(prov, title))
        feedback_html[s], feedback_xlsx[s] = html, xlsx
    sections = _sections(safe)
    sections.append(
        {
            "id": "feedback",
            "title": "Feedback for each supplier",
            "what": "One page and one workbook per source, showing a data provider only their "
            "own files: coverage, problems with example row numbers and what to do, and trend.",
            "blocks": [
                {
                    "type": "links",
                    "entries": [
                        {
                            "href": f"feedback/{feedback_html[s].name}",
                            "label": source_label(s),
                            "extra": "workbook",
                            "extra_href": f"feedback/{feedback_xlsx[s].name}",
                            "note": None,
                        }
                        for s in source_names
                    ],
                }
            ],
        }
    )
    notes = list(params.get("notes", []))
    subtitle = [
        f"{len(cur):,} current file(s) from {cur.source.nunique():,} source(s); "
        f"{int(cur.rows_read.sum()):,} rows read, {int(cur.rows_loaded.sum()):,} loaded.",
        f"{len(safe['dq_finding']):,} finding(s) under Kent's three priorities (004 §5.5).",
    ]
    html_path = out / "quality_report.html"
    _render(
        html_path,
        title="Data quality report",
        subtitle=subtitle,
        sections=sections,
        notes=notes,
        about=about,
        provenance=prov,
        version=__version__,
        generated=generated,
    )
    xlsx_path = out / "quality_tables.xlsx"
    write_workbook(xlsx_path, _sheets(safe, None), _about_rows(prov, "Data quality report"))
    return QualityReportFiles(html_path, xlsx_path, feedback_html, feedback_xlsx)
