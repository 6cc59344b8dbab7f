"""The building blocks of a report section: tables (long and pivoted), details, findings, text,
links and chart placeholders, as plain dicts the page templates render (`blocks.html.j2`).

A section's `blocks` function returns a list of these. Cells are formatted here, once: a
missing value in a row marked `suppressed` shows as the suppression mark, any other missing
value as a dash. Every value is text by the time it reaches the template, which escapes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from yearofcare.disclosure import SUPPRESSED
from yearofcare.reports.formats import text as _text

Fmt = Callable[[Any], str]
Block = dict[str, Any]
MAX_ROWS = 400
DASH = "–"


@dataclass(frozen=True)
class Col:
    """A column shown in an HTML table: the frame column, its heading and its formatter.

    `labels` turns stored codes into words ("risk_only" → "Risk score only"); `text` columns are
    left-aligned (numbers are right-aligned).
    """

    name: str
    label: str
    fmt: Fmt = _text
    labels: Mapping[Any, str] | None = None
    text: bool = False


@dataclass(frozen=True)
class Pivot:
    """A cross-table: one row per `index` value, one column per `columns` value, cells `values`."""

    title: str
    index: str
    index_label: str
    columns: str
    values: str
    fmt: Fmt
    index_order: Sequence[str] = ()
    column_order: Sequence[str] = ()
    index_labels: Mapping[str, str] | None = None
    column_labels: Mapping[str, str] | None = None


def is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def cell(v: Any, col: Col, suppressed: bool = False) -> str:
    """One formatted cell; the suppression mark for a masked value, a dash for no value."""
    if isinstance(v, str) and v == SUPPRESSED:
        return SUPPRESSED
    if is_missing(v):
        return SUPPRESSED if suppressed else DASH
    if col.labels and v in col.labels:
        return col.labels[v]
    return col.fmt(v)


def _flags(frame: pd.DataFrame) -> list[bool]:
    if "suppressed" in frame:
        return [bool(x) for x in frame["suppressed"].fillna(False)]
    return [False] * len(frame)


def table(
    frame: pd.DataFrame,
    cols: Sequence[Col],
    title: str | None = None,
    *,
    note: str | None = None,
    empty: str = "Nothing to show.",
    limit: int = MAX_ROWS,
) -> Block:
    """A long table of `cols`, at most `limit` rows (a note says the workbook has them all)."""
    shown = frame.head(limit)
    flags = _flags(shown)
    values = [shown[c.name].tolist() for c in cols]
    rows = [
        [cell(values[j][i], c, flags[i]) for j, c in enumerate(cols)] for i in range(len(shown))
    ]
    if len(frame) > limit:
        more = f"First {limit:,} of {len(frame):,} rows shown; the workbook has them all."
        note = f"{note} {more}" if note else more
    return {
        "type": "table",
        "title": title,
        "header": [c.label for c in cols],
        "rows": rows,
        "text": [j for j, c in enumerate(cols) if c.text],
        "empty": empty,
        "note": note,
    }


def pivot(frame: pd.DataFrame, p: Pivot) -> Block:
    """A cross-table of `frame`; months (a `month` index) in calendar order."""
    f = frame.copy()
    if p.index == "month":
        f["month"] = pd.to_datetime(f["month"])
        f = f.sort_values("month", kind="stable")
        f["month"] = f["month"].dt.strftime("%b %Y")
        index_order = list(dict.fromkeys(f.month))
    else:
        present = set(f[p.index])
        index_order = [v for v in p.index_order if v in present] or sorted(present)
    present_cols = set(f[p.columns])
    col_order = [v for v in p.column_order if v in present_cols] or sorted(present_cols)
    value = Col(p.values, p.title, p.fmt)
    flags = _flags(f)
    cells = {
        (i, c): cell(v, value, s)
        for i, c, v, s in zip(f[p.index], f[p.columns], f[p.values], flags, strict=True)
    }
    il, cl = p.index_labels or {}, p.column_labels or {}
    header = [p.index_label, *(cl.get(c, str(c)) for c in col_order)]
    rows = [[il.get(i, str(i)), *(cells.get((i, c), DASH) for c in col_order)] for i in index_order]
    return {
        "type": "table",
        "title": p.title,
        "header": header,
        "rows": rows,
        "text": [],
        "empty": "Nothing to show.",
        "note": None,
    }


def details(summary: str, block: Block) -> Block:
    """`block` folded away under `summary` (opened by a click; printed open)."""
    return {**block, "type": "details", "summary": summary}


def findings(frame: pd.DataFrame, title: str | None = None, limit: int = 60) -> Block:
    """A list of findings (columns severity, message, action), most important first."""
    entries = [
        {"severity": r.severity, "message": r.message, "action": r.action}
        for r in frame.head(limit).itertuples(index=False)
    ]
    more = (
        f"{len(frame) - limit:,} more in the workbook (sheet Findings)."
        if len(frame) > limit
        else None
    )
    return {"type": "findings", "title": title, "entries": entries, "more": more}


def text(words: str) -> Block:
    return {"type": "text", "text": words}


def note(words: str) -> Block:
    return {"type": "note", "text": words}


def links(entries: Sequence[Mapping[str, Any]]) -> Block:
    """Links to other files: dicts with href, label and optionally extra/extra_href and note."""
    return {
        "type": "links",
        "entries": [{"extra": None, "extra_href": None, "note": None, **dict(e)} for e in entries],
    }


def chart(chart_id: str) -> Block:
    """Where the section's chart `chart_id` goes (left out when the chart has nothing to draw)."""
    return {"type": "chart", "id": chart_id}
