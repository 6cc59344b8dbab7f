"""The one workbook (and CSV) writer: an About sheet first, then one formatted sheet per table.

Numbers are written as numbers (with a number format by column), dates as dates, booleans as
booleans; headers are bold and frozen; columns are as wide as their contents (within limits).
A missing value in a row marked `suppressed` is written as the suppression mark.

Text from the data is never run as a formula. Following OWASP's CSV-injection guidance, a text
cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is neutralised: in the workbook
it is written as a string cell with Excel's quote prefix (shown as typed, stays text when edited);
in CSV it gets a leading single quote. xlsxwriter's own conversions (strings to formulas, to
numbers, to hyperlinks) are switched off: every cell is written with an explicit type.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from yearofcare.disclosure import SUPPRESSED
from yearofcare.errors import StoreError
from yearofcare.reports.section import Sheet

#: First characters that make a spreadsheet treat text as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_FORMATS = {
    "money": "£#,##0;[Red]-£#,##0",
    "pence": "£#,##0.00;[Red]-£#,##0.00",
    "pct": "0.0%",
    "int": "#,##0",
    "count": "#,##0",
    "plain": "0",
    "num": "#,##0.00",
    "number": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
MIN_WIDTH, MAX_WIDTH = 8, 60
ABOUT_SHEET = "About"


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_START)


def neutralise(value: str) -> str:
    """`value` made safe for a CSV opened in a spreadsheet: a leading quote if formula-like."""
    return "'" + value if is_formula_like(value) else value


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _plain(v: Any) -> Any:
    """NumPy scalars as Python values."""
    return v.item() if isinstance(v, np.generic) else v


def _kind(series: pd.Series, declared: str | None) -> str | None:
    if declared:
        return declared
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    return None


def _width(header: str, values: Sequence[Any]) -> int:
    sample = [len(str(v)) for v in values[:200] if not _missing(v)]
    longest = max([len(header), *sample]) + 2
    return max(MIN_WIDTH, min(MAX_WIDTH, longest))


class _Writer:
    def __init__(self, target: Path | BinaryIO) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(
            target if not isinstance(target, Path) else str(target),
            {
                "in_memory": not isinstance(target, Path),
                "nan_inf_to_errors": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "remove_timezone": True,
            },
        )
        self.header = self.book.add_format({"bold": True, "bg_color": "#e8edee", "border": 1})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.quoted = self.book.add_format({"quote_prefix": True})
        self.formats = {
            k: self.book.add_format({"num_format": v}) for k, v in NUMBER_FORMATS.items()
        }

    def cell(self, ws: Any, i: int, j: int, v: Any, fmt: Any, suppressed: bool) -> None:
        v = _plain(v)
        if _missing(v):
            ws.write_string(i, j, SUPPRESSED) if suppressed else ws.write_blank(i, j, None, fmt)
        elif isinstance(v, bool):
            ws.write_boolean(i, j, v)
        elif isinstance(v, int | float | Decimal):
            ws.write_number(i, j, float(v), fmt)
        elif isinstance(v, datetime | date):
            if isinstance(v, pd.Timestamp):
                v = v.to_pydatetime()
            timed = isinstance(v, datetime) and (v.hour or v.minute or v.second)
            ws.write_datetime(i, j, v, self.formats["datetime" if timed else "date"])
        else:
            text = str(v)
            ws.write_string(i, j, text, self.quoted if is_formula_like(text) else fmt)

    def about(self, rows: Sequence[tuple[str, str]]) -> None:
        ws = self.book.add_worksheet(ABOUT_SHEET)
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 110, self.wrap)
        for i, (k, v) in enumerate(rows):
            self.cell(ws, i, 0, k, self.header, False)
            self.cell(ws, i, 1, str(v), None, False)

    def sheet(self, sheet: Sheet, empty_note: str) -> None:
        frame = sheet.frame
        ws = self.book.add_worksheet(sheet.name[:31])
        ws.freeze_panes(1, 0)
        flags = (
            [bool(x) for x in frame["suppressed"].fillna(False)]
            if "suppressed" in frame
            else [False] * len(frame)
        )
        for j, col in enumerate(frame.columns):
            values = frame[col].tolist()
            kind = _kind(frame[col], sheet.formats.get(col))
            fmt = self.formats.get(kind) if kind else None
            label = str(sheet.labels.get(col, col))
            ws.write_string(0, j, label, self.header)
            ws.set_column(j, j, _width(label, values))
            for i, v in enumerate(values, start=1):
                self.cell(ws, i, j, v, fmt, flags[i - 1])
        if frame.empty:
            ws.write_string(1, 0, empty_note)

    def close(self) -> None:
        self.book.close()


def write_workbook(
    path: Path | str,
    sheets: Sequence[Sheet],
    about: Sequence[tuple[str, str]],
    *,
    empty_note: str = "no rows",
) -> Path:
    """Write an About sheet (`about` as label / text rows) and one sheet per `sheets`."""
    path = Path(path)
    names = [s.name[:31] for s in sheets]
    if len(set(names)) != len(names) or ABOUT_SHEET in names:
        raise ValueError(f"workbook sheet names must be unique and not {ABOUT_SHEET!r}: {names}")
    w = _Writer(path)
    w.about(about)
    for s in sheets:
        w.sheet(s, empty_note)
    try:
        w.close()
    except OSError as exc:
        raise StoreError(
            f"cannot write the workbook {path} ({exc.strerror or exc})",
            hint="close the file if it is open in Excel, or choose another directory with --out",
        ) from None
    return path


def workbook_bytes(
    sheets: Sequence[Sheet], about: Sequence[tuple[str, str]], *, empty_note: str = "no rows"
) -> bytes:
    """The same workbook in memory (for a download)."""
    buf = io.BytesIO()
    w = _Writer(buf)
    w.about(about)
    for s in sheets:
        w.sheet(s, empty_note)
    w.close()
    return buf.getvalue()


def write_csv(path: Path | str, frame: pd.DataFrame) -> Path:
    """`frame` as UTF-8 CSV (with a byte-order mark, so Excel reads it as UTF-8); formula-like
    text neutralised, suppressed cells as the mark, missing values empty."""
    path = Path(path)
    path.write_bytes(csv_bytes(frame))
    return path


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as the bytes of a CSV file (see `write_csv`)."""
    flags = (
        [bool(x) for x in frame["suppressed"].fillna(False)]
        if "suppressed" in frame
        else [False] * len(frame)
    )

    def text(v: Any, suppressed: bool) -> str:
        v = _plain(v)
        if _missing(v):
            return SUPPRESSED if suppressed else ""
        if isinstance(v, bool | int | float | Decimal):
            return str(v)
        if isinstance(v, datetime | date):
            return v.isoformat()
        return neutralise(str(v))

    buf = io.StringIO(newline="")
    out = csv.writer(buf)
    out.writerow([neutralise(str(c)) for c in frame.columns])
    for i, rec in enumerate(frame.itertuples(index=False)):
        out.writerow([text(v, flags[i]) for v in rec])
    return buf.getvalue().encode("utf-8-sig")
