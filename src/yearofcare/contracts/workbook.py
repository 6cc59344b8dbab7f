"""The settlement workbook: one sheet per settlement table, money in pounds, numbers as numbers.

Sheets: About (rounding rule, sign convention, what each sheet holds), Statement steps, Party
lines, Accounts, Figures, Exposure. Pence columns are written as pounds (÷ 100) with a
£#,##0.00 format, so a finance lead can add them up and get the statement's totals.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from yearofcare import schemas

SHEETS = [
    ("settlement_step", "Statement steps"),
    ("settlement", "Party lines"),
    ("settlement_party", "Accounts"),
    ("settlement_figure", "Figures"),
    ("settlement_contract", "Contracts"),
    ("settlement_exposure", "Exposure"),
]
_PROBABILITY = {"prob_loss"}
_POUNDS_FLOAT = {
    "mean",
    "sd",
    "p5",
    "p25",
    "median",
    "p75",
    "p95",
    "expected_shortfall",
    "worst",
    "best",
    "mean_payment",
}


def write_workbook(path: Path, frames: dict[str, pd.DataFrame], rounding: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    bold = book.add_format({"bold": True, "bg_color": "#e8edee", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    money = book.add_format({"num_format": "£#,##0.00;[Red]-£#,##0.00"})
    whole = book.add_format({"num_format": "£#,##0;[Red]-£#,##0"})
    pct = book.add_format({"num_format": "0.0%"})
    about = book.add_worksheet("About")
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 110, wrap)
    lines = [
        ("Settlement", "Risk-share settlement statements and exposure (yoc settle)."),
        ("Sign convention", "Gain (+) or loss (−) = baseline − outturn (LGA 2019)."),
        ("Rounding", rounding),
        ("Money", "Amounts in pounds; the store holds them as whole pence."),
    ]
    for table, sheet in SHEETS:
        if table in frames:
            lines.append((sheet, schemas.get(table).description))
    for i, (k, v) in enumerate(lines):
        about.write(i, 0, k, bold)
        about.write(i, 1, v)
    for table, sheet_name in SHEETS:
        frame = frames.get(table)
        if frame is None:
            continue
        sheet = book.add_worksheet(sheet_name)
        sheet.freeze_panes(1, 0)
        for j, col in enumerate(frame.columns):
            label = col.removesuffix("_pence") if col.endswith("_pence") else col
            sheet.write(0, j, label, bold)
            fmt = None
            if col.endswith("_pence"):
                fmt = money
            elif col in _POUNDS_FLOAT:
                fmt = whole
            elif col in _PROBABILITY:
                fmt = pct
            width = 60 if col == "description" else max(10, min(30, len(label) + 2))
            sheet.set_column(j, j, width, fmt)
        for i, rec in enumerate(frame.itertuples(index=False), start=1):
            for j, (col, v) in enumerate(zip(frame.columns, rec, strict=True)):
                if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                    continue
                if col.endswith("_pence"):
                    sheet.write_number(i, j, int(v) / 100)
                elif isinstance(v, bool):
                    sheet.write_boolean(i, j, v)
                else:
                    sheet.write(i, j, v.item() if hasattr(v, "item") else v)
    book.close()
