"""NHS financial years (1 April – 31 March), as plain Python and as Ibis expressions.

A financial year is named by the calendar year it starts in: 2024 means 2024/25.
"""

from __future__ import annotations

from datetime import date

import ibis


def fy_of(d: date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def fy_start(fy: int) -> date:
    return date(fy, 4, 1)


def fy_end(fy: int) -> date:
    return date(fy + 1, 3, 31)


def fy_label(fy: int) -> str:
    return f"{fy}/{(fy + 1) % 100:02d}"


def fy_expr(d: ibis.DateValue) -> ibis.IntegerValue:
    """The financial year of a date column, as an integer expression."""
    return ibis.ifelse(d.month() >= 4, d.year(), d.year() - 1).cast("int16")


def last_complete_fy(today: date) -> int:
    """The latest financial year that has ended on or before `today`."""
    return fy_of(today) - 1
