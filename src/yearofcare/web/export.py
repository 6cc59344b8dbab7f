"""A page's tables as CSV, xlsx and JSON — the same disclosed figures the page shows.

The xlsx carries an "About" sheet (page, filters, source runs, suppression rule), so a figure
pasted into a board paper can be traced to the run that produced it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from yearofcare import __version__
from yearofcare.disclosure import DisclosurePolicy, rule_text
from yearofcare.reports.section import Sheet
from yearofcare.reports.workbook import csv_bytes, workbook_bytes
from yearofcare.web.registry import RenderedPage, TableView

#: A page column's kind → the number format of the one workbook writer (reports.workbook).
FORMATS = {
    "count": "count",
    "int": "plain",
    "money": "money",
    "pence": "pence",
    "pct": "pct",
    "number": "number",
}


def table_frame(t: TableView) -> pd.DataFrame:
    """The table's declared columns (plus `suppressed` when disclosure ran), labelled."""
    cols = [c.name for c in t.columns if c.name in t.frame.columns]
    if "suppressed" in t.frame.columns:
        cols.append("suppressed")
    return t.frame[cols]


def to_csv(t: TableView) -> bytes:
    """The table as CSV, written by the one writer (formula-like text neutralised)."""
    return csv_bytes(table_frame(t))


def _json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (pd.Timestamp, datetime, date)):
        return v.isoformat()
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def table_json(t: TableView) -> dict[str, Any]:
    frame = table_frame(t)
    return {
        "key": t.key,
        "title": t.title,
        "columns": [
            {"name": c.name, "label": c.label, "kind": c.kind}
            for c in t.columns
            if c.name in frame.columns
        ],
        "rows": [
            {k: _json_value(v) for k, v in zip(frame.columns, row, strict=True)}
            for row in frame.itertuples(index=False)
        ],
        "note": t.note,
    }


def about_rows(page: RenderedPage, policy: DisclosurePolicy, record_level: bool) -> list[tuple]:
    rows: list[tuple] = [
        ("Page", page.page.title),
        ("Filters", ", ".join(f"{k} = {v}" for k, v in page.filters.active().items()) or "none"),
        ("Produced by", f"yearofcare {__version__}"),
        ("Produced at", datetime.now().strftime("%Y-%m-%d %H:%M")),
        (
            "Small numbers",
            "not suppressed (analyst view: do not share)"
            if record_level
            else rule_text(policy) + "; a suppressed value is an empty cell",
        ),
    ]
    for p in page.provenance:
        rows.append(
            (
                f"Source: {p.table}",
                f"run {p.run_id} of `{p.stage}` finished {p.finished_at} "
                f"({p.engine}, yearofcare {p.code_version})",
            )
        )
    return rows


def to_xlsx(
    page: RenderedPage,
    tables: Sequence[TableView],
    policy: DisclosurePolicy,
    record_level: bool,
) -> bytes:
    """The page's tables as a workbook (About sheet first), by the one workbook writer."""
    sheets = []
    about = about_rows(page, policy, record_level)
    for t in tables:
        sheets.append(
            Sheet(
                _sheet_name(t.key),
                table_frame(t),
                t.title,
                {c.name: FORMATS[c.kind] for c in t.columns if c.kind in FORMATS},
                {**{c.name: c.label for c in t.columns}, "suppressed": "Suppressed"},
            )
        )
        if t.note:
            about.append((f"Note: {t.title}", t.note))
    about += [(f"Sheet {s.name}", s.description) for s in sheets]
    return workbook_bytes(sheets, about)


def _sheet_name(key: str) -> str:
    return key.replace("_", " ")[:31]
