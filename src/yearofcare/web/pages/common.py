"""Small helpers the finance pages share: stored pence as pounds, months of the year."""

from __future__ import annotations

import pandas as pd

MONTHS = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")


def pounds(pence: pd.Series) -> pd.Series:
    """Whole pence as pounds (two decimals exactly represent every penny up to £10^13)."""
    return pd.to_numeric(pence, errors="coerce").astype("float64") / 100


def month_name(month: int) -> str:
    """Month of the financial year (1 = April) as its short name."""
    return MONTHS[int(month) - 1]


def by_month(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (year, month) with a `period` label that sorts in time order."""
    return frame.assign(
        period=frame.year + " " + frame.month.map("{:02d}".format) + " " + frame.month_name
    )
