"""What the data-quality report shows, as data: the columns of each table, the views of the
`dq_*` tables behind them, the disclosure step (`safe_tables`) and the charts.

Disclosure. Counts of *people* and volumes of activity by month pass through
`yearofcare.disclosure.suppress` (with the values derived from them, and the loaded cost of a
contract line built on few records). Counts of a file's *rows* with a given problem are not
patient statistics: they are operational facts about a supplier's own submission (how many of
the rows they sent failed a check, and at which line numbers), shown exactly so that they can be
found and fixed. No report ever shows an identifier or a rejected value; example rows are given
by line number only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from yearofcare import sources
from yearofcare.disclosure import SUPPRESSED, DisclosurePolicy, suppress
from yearofcare.fy import fy_label
from yearofcare.quality.findings import ADVICE, REASON_LABELS
from yearofcare.reports.blocks import Col
from yearofcare.reports.charts import colour, theme
from yearofcare.reports.formats import integer as _int
from yearofcare.reports.formats import money as _money
from yearofcare.reports.formats import month as _month
from yearofcare.reports.formats import percent as _pct
from yearofcare.reports.formats import signed_percent as _signed_pct

TABLES = (
    "dq_load",
    "dq_reject",
    "dq_column",
    "dq_source_month",
    "dq_drift",
    "dq_triangulation",
    "dq_finding",
)

Frames = Mapping[str, pd.DataFrame]


# ---- formatting --------------------------------------------------------------------------------
def _day(v: Any) -> str:
    return pd.Timestamp(v).strftime("%Y-%m-%d")


def _yesno(v: Any) -> str:
    return "yes" if bool(v) else "no"


def _reason(v: Any) -> str:
    return REASON_LABELS.get(str(v), str(v))


def _fy(v: Any) -> str:
    return fy_label(int(v))


def source_label(name: str) -> str:
    """A supplier's feed in words (the adapter's description), e.g. for headings."""
    try:
        return f"{name}: {sources.get(name, 'activity').description}"
    except Exception:  # noqa: BLE001 - an unknown source name is shown as it is
        return name


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "source"


# ---- the data ----------------------------------------------------------------------------------
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


def safe_tables(frames: Frames, policy: DisclosurePolicy) -> Frames:
    """The tables as they may leave: people counts and monthly volumes suppressed."""
    out = dict(frames)
    out["dq_load"] = _mark(suppress(frames["dq_load"], ["persons"], policy=policy), ["persons"])
    rates = {
        "linkage_rate": ["records", "records_linked"],
        "costed_rate": ["records", "records_costed"],
        "coded_rate": ["records", "records_coded"],
    }
    months = suppress(
        frames["dq_source_month"],
        list(_MONTH_COUNTS),
        policy=policy,
        derived_from=rates,
        ratios={rate: (part, whole) for rate, (whole, part) in rates.items()},
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


def by_source(loads: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
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
def months_chart(months: pd.DataFrame) -> dict[str, Any] | None:
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
            color=colour("source", "Source", domain),
        )
        .properties(width=620, height=260)
    )
    return theme(chart).to_dict()


def trend_chart(loads: pd.DataFrame) -> dict[str, Any] | None:
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
            color=colour("source", "Source", domain),
            tooltip=["file_name:N", alt.Tooltip("rate:Q", format=".1%")],
        )
        .properties(width=250, height=170)
        .facet(column=alt.Column("measure:N", title=None, sort=list(measures.values())))
    )
    return theme(chart).to_dict()


# ---- columns shown -----------------------------------------------------------------------------
LOAD_COLS = [
    Col("file_name", "File", text=True),
    Col("source", "Source", text=True),
    Col("period_month", "Period", _month),
    Col("rows_read", "Rows read", _int),
    Col("rows_loaded", "Loaded", _int),
    Col("rows_quarantined", "Quarantined", _int),
    Col("rows_corrected", "Corrected", _int),
    Col("quarantine_rate", "Quarantined %", _pct),
    Col("problems", "Problems", _int),
]
LINK_COLS = [
    Col("file_name", "File", text=True),
    Col("source", "Source", text=True),
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
    Col("file_name", "File", text=True),
    Col("column", "Column", text=True),
    Col("reason", "Problem", _reason, text=True),
    Col("action", "Action taken", text=True),
    Col("rows", "Rows", _int),
    Col("example_rows", "Example rows (file line numbers)", text=True),
    Col("advice", "What to do", text=True),
]
FILE_COLUMN_COLS = [
    Col("file_name", "File", text=True),
    Col("column", "Column", text=True),
    Col("kind", "Kind", text=True),
    Col("required", "Required", _yesno),
    Col("rows", "Rows", _int),
    Col("missing", "Blank (required)", _int),
    Col("invalid", "Invalid", _int),
    Col("completeness", "Complete", _pct),
    Col("validity", "Valid", _pct),
]
TABLE_COLUMN_COLS = [
    Col("source", "Source", text=True),
    Col("table_name", "Table", text=True),
    Col("column", "Column", text=True),
    Col("rows", "Rows", _int),
    Col("filled", "Filled", _int),
    Col("invalid", "Invalid", _int),
    Col("completeness", "Complete", _pct),
    Col("validity", "Valid", _pct),
]
MONTH_COLS = [
    Col("source", "Source", text=True),
    Col("month", "Month", _month),
    Col("records", "Records", _int),
    Col("persons", "People", _int),
    Col("linkage_rate", "Linked", _pct),
    Col("costed_rate", "Costed", _pct),
    Col("coded_rate", "Coded", _pct),
    Col("records_late", "Late", _int),
]
DRIFT_COLS = [
    Col("file_name", "File", text=True),
    Col("source", "Source", text=True),
    Col("check", "Check", text=True),
    Col("column", "Column", text=True),
    Col("message", "What changed", text=True),
]
TIMELINESS_COLS = [
    Col("file_name", "File", text=True),
    Col("source", "Source", text=True),
    Col("period_end", "Period ends", _day),
    Col("loaded_at", "Loaded", _day),
    Col("lag_days", "Days after period end", _int),
    Col("rows_late", "Rows dated before the period", _int),
]
TRI_COLS = [
    Col("name", "Line", text=True),
    Col("kind", "Kind", text=True),
    Col("source", "Source", text=True),
    Col("provider_code", "Provider", text=True),
    Col("setting", "Setting", text=True),
    Col("fy", "Year", _fy),
    Col("contract_value", "Contract / budget", _money),
    Col("loaded_cost", "Loaded cost", _money),
    Col("difference", "Difference", _money),
    Col("difference_pct", "Difference %", _signed_pct),
    Col("within_tolerance", "Within tolerance", _yesno),
]
SUMMARY_COLS = [
    Col("source", "Source", text=True),
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
    Col("file_name", "File", text=True),
    Col("rows_read", "Rows read", _int),
    Col("quarantine_rate", "Quarantined", _pct),
    Col("correction_rate", "Corrected", _pct),
    Col("nhs_valid_coverage", "Valid NHS no.", _pct),
    Col("linkage_rate", "Linked", _pct),
    Col("code_validity", "Codes valid", _pct),
]


def with_files(frame: pd.DataFrame, loads: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame.assign(file_name=pd.Series(dtype="object"))
    names = loads.set_index("load_id").file_name
    return frame.assign(file_name=frame.load_id.map(names))


def rejects_shown(rejects: pd.DataFrame, current: set[str]) -> pd.DataFrame:
    r = rejects[rejects.load_id.isin(current)].copy()
    r["advice"] = r.reason.map(ADVICE).fillna("")
    return r.sort_values(["file_name", "rows"], ascending=[True, False])


def table_columns(columns: pd.DataFrame, current: set[str]) -> pd.DataFrame:
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


def file_column_problems(columns: pd.DataFrame, loads: pd.DataFrame) -> pd.DataFrame:
    current = set(loads.loc[loads.status == "current", "load_id"])
    f = columns[(columns.level == "file") & columns.load_id.isin(current)]
    f = f[(f.invalid > 0) | (f.missing.fillna(0) > 0)]
    return with_files(f, loads).sort_values(["file_name", "column"])


def of_priority(findings: pd.DataFrame, priority: int) -> pd.DataFrame:
    return findings[findings.priority == priority]
