"""Chart helpers shared by every report: one palette and theme, Vega-Lite specs drawn to inline
SVG with vl-convert (no JavaScript, no CDN, no web fonts), and the specs kept as JSON data so the
web app can draw the same charts interactively.

A stage's chart builder takes its (suppressed) frames and returns a plain Vega-Lite dict built
with Altair, finished with `theme(chart).to_dict()`; `svg(spec)` draws it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import altair as alt

PALETTE = [
    "#005eb8",
    "#ed8b00",
    "#009639",
    "#da291c",
    "#7c2855",
    "#41b6e6",
    "#ffb81c",
    "#330072",
    "#78be20",
    "#768692",
    "#ae2573",
    "#00a499",
]
WIDTH = 520
HEIGHT = 260

Spec = dict[str, Any]


def theme(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The house look: readable axis, legend and facet header sizes, level x labels."""
    return (
        chart.configure_axis(labelFontSize=11, titleFontSize=12)
        .configure_axisX(labelAngle=0)
        .configure_legend(labelFontSize=11, titleFontSize=12)
        .configure_header(labelFontSize=12, titleFontSize=13)
    )


def colour(field: str, title: str, domain: list[str]) -> alt.Color:
    """A nominal colour scale over `domain` in the house palette (repeated when longer)."""
    return alt.Color(
        f"{field}:N",
        title=title,
        sort=domain,
        scale=alt.Scale(
            domain=domain, range=(PALETTE * (len(domain) // len(PALETTE) + 1))[: len(domain)]
        ),
    )


def svg(spec: Spec) -> str:
    """The chart as an inline `<svg>` element (the XML declaration left off)."""
    import vl_convert

    drawn = vl_convert.vegalite_to_svg(spec)
    return drawn[drawn.index("<svg") :]


def save_spec(spec: Spec, path: Path) -> Path:
    """Write `spec` as JSON (for datapacks and the web app) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=1, default=str), encoding="utf-8")
    return path
