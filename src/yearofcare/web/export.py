"""A page's tables as CSV, xlsx and JSON — the same disclosed figures the page shows.

The xlsx carries an "About" sheet (page, filters, source runs, suppression rule), so a figure
pasted into a board paper can be traced to the run that produced it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import xlsxwriter

from yearofcare import __version__
from yearofcare.disclosure import DisclosurePolicy
from yearofcare.web.registry import RenderedPage, TableView

FORMATS = {
    "count": "#,##0",
    "int": "0",
    "money": "£#,##0",
    "pct": "0.0%",
    "number": "#,##0.00",
}


def table_frame(t: TableView) -> pd.DataFrame:
    """The table's declared columns (plus `suppressed` when disclosure ran), labelled."""
    cols = [c.name for c in t.columns if c.name in t.frame.columns]
    if "suppressed" in t.frame.columns:
        cols.append("suppressed")
    return t.frame[cols]


def to_csv(t: TableView) -> bytes:
    return table_frame(t).to_csv(index=False).encode("utf-8-sig")


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
            else f"counts 1–{policy.threshold - 1} suppressed (empty), others rounded to the "
            f"nearest {policy.rounding}; values derived from a suppressed count are emptied",
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
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    bold = wb.add_format({"bold": True, "bg_color": "#E8EDEE", "border": 1, "text_wrap": True})
    fmts = {k: wb.add_format({"num_format": v}) for k, v in FORMATS.items()}
    star = wb.add_format({"align": "right"})
    for t in tables:
        ws = wb.add_worksheet(_sheet_name(t.key))
        frame = table_frame(t)
        kinds = {c.name: c.kind for c in t.columns}
        labels = {c.name: c.label for c in t.columns}
        for j, col in enumerate(frame.columns):
            ws.write(0, j, labels.get(col, "Suppressed"), bold)
            ws.set_column(j, j, max(10, min(40, len(labels.get(col, col)) + 2)))
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            for j, (col, v) in enumerate(zip(frame.columns, row, strict=True)):
                v = _json_value(v)
                kind = kinds.get(col, "text")
                if v is None:
                    ws.write_string(i, j, "*" if "suppressed" in frame.columns else "", star)
                elif isinstance(v, bool) or kind == "text":
                    ws.write(i, j, v if isinstance(v, (bool, int, float)) else str(v))
                else:
                    ws.write_number(i, j, float(v), fmts.get(kind))
        ws.freeze_panes(1, 0)
        if t.note:
            ws.write(len(frame) + 2, 0, t.note)
    about = wb.add_worksheet("About")
    about.set_column(0, 0, 28)
    about.set_column(1, 1, 100)
    for i, (k, v) in enumerate(about_rows(page, policy, record_level)):
        about.write(i, 0, k, bold)
        about.write(i, 1, v)
    wb.close()
    return buf.getvalue()


def _sheet_name(key: str) -> str:
    return key.replace("_", " ")[:31]
