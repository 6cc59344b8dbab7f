"""The settlement workbook: one sheet per settlement table, money in pounds, numbers as numbers.

Sheets: About (rounding rule, sign convention, what each sheet holds), Statement steps, Party
lines, Accounts, Figures, Exposure. Pence columns are written as pounds (÷ 100) with a
£#,##0.00 format, so a finance lead can add them up and get the statement's totals.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from yearofcare import schemas
from yearofcare.reports.section import Sheet
from yearofcare.reports.workbook import write_workbook as write_workbook_file

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


def _sheet(table: str, name: str, frame: pd.DataFrame) -> Sheet:
    """Pence columns as pounds (÷ 100, two decimals); simulated pounds whole; probabilities %."""
    frame = frame.copy()
    formats: dict[str, str] = {}
    labels: dict[str, str] = {}
    for col in frame.columns:
        if col.endswith("_pence"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce") / 100
            formats[col], labels[col] = "pence", col.removesuffix("_pence")
        elif col in _POUNDS_FLOAT:
            formats[col] = "money"
        elif col in _PROBABILITY:
            formats[col] = "pct"
    return Sheet(name, frame, schemas.get(table).description, formats, labels)


def write_workbook(path: Path, frames: dict[str, pd.DataFrame], rounding: str) -> None:
    """About first, then one sheet per settlement table present (the one workbook writer:
    numbers as numbers, text from the terms files never run as a formula)."""
    sheets = [_sheet(t, name, frames[t]) for t, name in SHEETS if t in frames]
    about = [
        ("Settlement", "Risk-share settlement statements and exposure (yoc settle)."),
        ("Sign convention", "Gain (+) or loss (−) = baseline − outturn (LGA 2019)."),
        ("Rounding", rounding),
        ("Money", "Amounts in pounds; the store holds them as whole pence."),
        *((s.name, s.description) for s in sheets),
    ]
    write_workbook_file(path, sheets, about)
