"""Small Vega-Lite specs for the web pages' own aggregates (the analysis tables reuse
`yearofcare.reports.charts`). Plain dicts with inline data, so the browser (vega-embed) and the
datapacks (vl-convert) draw the same chart. Suppressed cells are NaN and drawn as gaps."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from yearofcare.reports.charts import PALETTE

WIDTH, HEIGHT = 520, 240


def _values(frame: pd.DataFrame, cols: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for row in frame[list(cols)].itertuples(index=False):
        rec = {}
        for c, v in zip(cols, row, strict=True):
            if isinstance(v, float) and math.isnan(v):
                v = None
            elif hasattr(v, "item"):
                v = v.item()
            rec[c] = v if v is None or isinstance(v, (int, float, bool)) else str(v)
        out.append(rec)
    return out


def _base(title: str, frame: pd.DataFrame, cols: Sequence[str]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": _values(frame, cols)},
        "config": {"font": "Arial", "axis": {"labelFontSize": 11, "titleFontSize": 12}},
    }


def bar(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    sort: Sequence[str] | str | None = None,
    y_format: str = ",.0f",
    horizontal: bool = False,
) -> dict[str, Any]:
    spec = _base(title, frame, [x, y])
    cat = {"field": x, "type": "nominal", "title": x_title, "sort": sort}
    val = {"field": y, "type": "quantitative", "title": y_title, "axis": {"format": y_format}}
    spec["mark"] = {"type": "bar", "color": PALETTE[0], "tooltip": True}
    spec["encoding"] = {"y": cat, "x": val} if horizontal else {"x": cat, "y": val}
    if horizontal:
        spec["height"] = max(HEIGHT, 16 * len(frame))
    return spec


def stacked(
    frame: pd.DataFrame,
    x: str,
    y: str,
    colour: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    colour_title: str,
    x_sort: Sequence[str] | None = None,
    colour_sort: Sequence[str] | None = None,
    normalise: bool = False,
) -> dict[str, Any]:
    spec = _base(title, frame, [x, y, colour])
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {
            "field": x,
            "type": "ordinal",
            "title": x_title,
            "sort": x_sort,
            "axis": {"labelAngle": 0},
        },
        "y": {
            "field": y,
            "type": "quantitative",
            "title": y_title,
            "stack": "normalize" if normalise else "zero",
            "axis": {"format": ".0%" if normalise else ",.0f"},
        },
        "color": {
            "field": colour,
            "type": "nominal",
            "title": colour_title,
            "sort": colour_sort,
            "scale": {"range": PALETTE},
        },
        "order": {"field": colour, "type": "ordinal"},
    }
    return spec


def line(
    frame: pd.DataFrame,
    x: str,
    y: str,
    colour: str | None,
    *,
    title: str,
    x_title: str,
    y_title: str,
    x_type: str = "ordinal",
    y_format: str = ",.0f",
) -> dict[str, Any]:
    cols = [x, y] + ([colour] if colour else [])
    spec = _base(title, frame, cols)
    spec["mark"] = {"type": "line", "point": True, "tooltip": True}
    enc: dict[str, Any] = {
        "x": {"field": x, "type": x_type, "title": x_title},
        "y": {"field": y, "type": "quantitative", "title": y_title, "axis": {"format": y_format}},
    }
    if colour:
        enc["color"] = {"field": colour, "type": "nominal", "scale": {"range": PALETTE}}
    spec["encoding"] = enc
    return spec
