"""Cell formatters shared by every HTML report and workbook (one place, one look)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def money(v: Any) -> str:
    return f"£{v:,.0f}"


def signed_money(v: Any) -> str:
    """Whole pounds with a typographic minus: −£1,234."""
    return f"{'−' if v < 0 else ''}£{abs(v):,.0f}"


def signed_money_pence(v: Any) -> str:
    """Pounds and pence with a typographic minus: −£1,234.56."""
    return f"{'−' if v < 0 else ''}£{abs(v):,.2f}"


def integer(v: Any) -> str:
    return f"{v:,.0f}"


def percent(v: Any) -> str:
    return f"{v:.1%}"


def signed_percent(v: Any) -> str:
    return f"{v:+.1%}"


def number(v: Any) -> str:
    return f"{v:,.2f}"


def text(v: Any) -> str:
    return str(v)


def month(v: Any) -> str:
    return pd.Timestamp(v).strftime("%b %Y")
