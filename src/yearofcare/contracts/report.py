"""Settlement statements and the exposure comparison as one HTML file and one workbook.

Reads the settlement tables from the store (so it shows exactly what was written): for each
contract and period the headline figures, each party's account, every step from baseline to
payment with the term that produced it, and each party's own statement; then, when
`yoc settle --simulate` has run, each party's exposure under the alternative terms side by side
(a table and a chart drawn to inline SVG, no JavaScript, no CDN).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
import pandas as pd
from markupsafe import Markup

from yearofcare import __version__
from yearofcare.contracts.money import ROUNDING_RULE
from yearofcare.contracts.run import SETTLEMENT_TABLES
from yearofcare.contracts.workbook import write_workbook
from yearofcare.errors import StageError, StoreError
from yearofcare.store import Store

ROLE_LABELS = {
    "commissioner": "Commissioner",
    "local_authority": "Local authority",
    "provider": "Provider (budget holder)",
    "pool": "Pooled budget",
}
FIGURES = [
    ("baseline", "Baseline (expected cost)"),
    ("outturn", "Outturn (actual cost)"),
    ("variance", "Gain (+) / loss (−) = baseline − outturn"),
    ("planned_payment", "Planned payment to the budget holder"),
    ("provider_budget", "Provider budget (cost target)"),
    ("payment", "Final payment to the budget holder"),
    ("income_to_cost_ratio", "Income-to-cost ratio (planned payment ÷ provider budget)"),
    ("contingency", "Contingency"),
    ("contingency_percent", "Contingency as % of the planned payment"),
    ("quality_level", "Quality level"),
    ("premium", "Quality premium"),
    ("withheld", "Withheld for outcomes"),
    ("earned", "Earned on outcomes"),
    ("carried_in", "Carried in from the previous period"),
    ("carried_out", "Carried into the next period"),
    ("remaining_variance", "Variance no term shared (stays with the holder)"),
]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    xlsx: Path
    chart: Path | None


def pounds(pence: Any) -> str:
    """Whole pence as pounds and pence, a loss with a minus sign: −£1,234.56."""
    if pence is None or pence != pence:
        return ""
    value = int(pence)
    text = f"£{abs(value) // 100:,}.{abs(value) % 100:02d}"
    return f"−{text}" if value < 0 else text


def _gbp(value: float) -> str:
    return f"−£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def _figure(row: pd.Series) -> str:
    if row.unit == "pounds":
        return pounds(row.value_pence)
    if row.unit == "percent":
        return f"{row.value:.1f}%"
    if row.unit == "level":
        return f"{row.value:.0f}"
    return f"{row.value:.3f}"


def _frames(store: Store) -> dict[str, pd.DataFrame]:
    names = [*SETTLEMENT_TABLES, "settlement_exposure"]
    frames = {n: store.to_pandas(store.table(n)) for n in names if store.exists(n)}
    if "settlement_contract" not in frames and "settlement_exposure" not in frames:
        raise StageError(
            "no settlement or exposure is in the store",
            hint="run `yoc settle TERMS.yaml` (or --example lewisham), or `yoc settle --simulate`",
        )
    return frames


def _contracts(frames: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    if "settlement_contract" not in frames:
        return []
    out = []
    contracts = frames["settlement_contract"]
    for cid, periods in contracts.groupby("contract_id", sort=True):
        first = periods.iloc[0]
        out.append(
            {
                "id": cid,
                "name": first.contract_name,
                "terms_file": first.terms_file,
                "sha": (first.terms_sha256 or "")[:12],
                "run_id": first.run_id,
                "periods": [_period(frames, cid, p) for p in periods.itertuples()],
            }
        )
    return out


def _pick(frame: pd.DataFrame, cid: str, period: str) -> pd.DataFrame:
    return frame[(frame.contract_id == cid) & (frame.period == period)]


def _period(frames: dict[str, pd.DataFrame], cid: str, p: Any) -> dict[str, Any]:
    figs = _pick(frames["settlement_figure"], cid, p.period).set_index("figure")
    quiet = {"carried_in", "carried_out"}  # shown only when a balance was carried
    figures = [
        (label, _figure(figs.loc[k]))
        for k, label in FIGURES
        if k in figs.index and not (k in quiet and figs.loc[k].value_pence == 0)
    ]
    parties = _pick(frames["settlement_party"], cid, p.period)
    order = list(parties.party)
    names = dict(zip(parties.party, parties.party_name, strict=True))
    accounts = [
        {
            "name": r.party_name,
            "role": ROLE_LABELS.get(r.role, r.role),
            "cells": [
                pounds(getattr(r, f"{k}_pence"))
                for k in ("budget", "received", "paid", "cost", "carried")
            ],
            "gain": pounds(r.gain_loss_pence),
            "loss": r.gain_loss_pence < 0,
        }
        for r in parties.itertuples()
    ]
    lines = _pick(frames["settlement"], cid, p.period)
    net = {(r.step, r.party): r.money_in_pence - r.money_out_pence for r in lines.itertuples()}
    steps = []
    for s in _pick(frames["settlement_step"], cid, p.period).sort_values("step").itertuples():
        steps.append(
            {
                "step": s.step,
                "term": s.term,
                "description": s.description,
                "amount": pounds(s.amount_pence),
                "note": s.phase == "note",
                "cells": [pounds(net[(s.step, q)]) if (s.step, q) in net else "" for q in order],
                "variance": pounds(s.variance_after_pence),
                "payment": pounds(s.payment_after_pence),
            }
        )
    statements = []
    for party in order:
        mine = lines[lines.party == party].sort_values("step")
        statements.append(
            {
                "name": names[party],
                "rows": [
                    {
                        "step": r.step,
                        "term": r.term,
                        "counterparty": r.counterparty if isinstance(r.counterparty, str) else "",
                        "in": pounds(r.money_in_pence) if r.money_in_pence else "",
                        "out": pounds(r.money_out_pence) if r.money_out_pence else "",
                        "share": pounds(r.share_pence)
                        if r.share_pence == r.share_pence and r.share_pence is not None
                        else "",
                        "position": pounds(r.position_after_pence),
                    }
                    for r in mine.itertuples()
                ],
            }
        )
    return {
        "id": p.period,
        "anchor": f"{cid}-{p.period}".replace("/", "-").replace(" ", "-"),
        "source": p.inputs_source or "",
        "figures": figures,
        "accounts": accounts,
        "parties": [names[q] for q in order],
        "steps": steps,
        "statements": statements,
    }


def exposure_chart(frame: pd.DataFrame) -> dict[str, Any]:
    """Each party's gain/loss range by terms: P5–P95 line, P25–P75 bar, median tick, mean dot.
    Terms are labelled by contract id (and quality level); parties that never gain or lose
    (a pool emptied by apportionment) are left out of the chart, not the table."""
    level = frame.quality_level.map(lambda q: "" if pd.isna(q) else f" (level {int(q)})")
    data = frame.assign(
        party=frame.party_name + " (" + frame.role.map(ROLE_LABELS).fillna(frame.role) + ")",
        terms=frame.contract_id + level,
    )
    still = data.groupby("party")[["p5", "p95"]].agg(lambda v: (v == 0).all()).all(axis=1)
    data = data[~data.party.isin(still[still].index)]  # e.g. a pool emptied by apportionment
    base = alt.Chart(data).encode(y=alt.Y("terms:N", title=None, axis=alt.Axis(labelLimit=320)))
    x = alt.X("p5:Q", title="Gain (+) / loss (−), £", axis=alt.Axis(format="~s"))
    layers = alt.layer(
        base.mark_rule(color="#768692").encode(x=x, x2="p95:Q"),
        base.mark_bar(color="#41b6e6", height=12).encode(x="p25:Q", x2="p75:Q"),
        base.mark_tick(color="#003087", thickness=2, size=14).encode(x="median:Q"),
        base.mark_point(color="#da291c", filled=True, size=40).encode(x="mean:Q"),
        base.mark_rule(color="#212b32", strokeDash=[3, 3]).encode(x=alt.datum(0)),
    ).properties(width=520)
    chart = layers.facet(
        row=alt.Row("party:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left"))
    )
    return chart.resolve_scale(y="independent").to_dict()


def _svg(spec: dict[str, Any]) -> str:
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec)
    return svg[svg.index("<svg") :]


def _exposure(
    frames: dict[str, pd.DataFrame], out: Path
) -> tuple[dict[str, Any] | None, Path | None]:
    frame = frames.get("settlement_exposure")
    if frame is None or frame.empty:
        return None, None
    spec = exposure_chart(frame)
    chart = out / "exposure.vl.json"
    chart.write_text(json.dumps(spec, indent=1, default=str), encoding="utf-8")
    rows = [
        {
            "scenario": r.scenario,
            "contract": r.contract_id,
            "party": r.party_name,
            "role": ROLE_LABELS.get(r.role, r.role),
            "cells": [_gbp(r.mean), _gbp(r.p5), _gbp(r.median), _gbp(r.p95)],
            "prob_loss": f"{r.prob_loss:.1%}",
            "shortfall": _gbp(r.expected_shortfall),
        }
        for r in frame.sort_values(["party_name", "scenario"]).itertuples()
    ]
    first = frame.iloc[0]
    notes = sorted({n for n in frame.notes.dropna() for n in n.split("; ")})
    return (
        {
            "svg": Markup(_svg(spec)),
            "rows": rows,
            "draws": f"{int(first.draws):,}",
            "model": first.outturn_model,
            "period": ", ".join(sorted(frame.period.unique())),
            "notes": notes,
            "run_id": first.run_id,
        },
        chart,
    )


def _template() -> jinja2.Template:
    text = (
        resources.files("yearofcare.reports")
        .joinpath("templates", "settlement_report.html.j2")
        .read_text(encoding="utf-8")
    )
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(text)


def write_settlement_report(store: Store, out_dir: Path | str) -> ReportFiles:
    """Write settlement.html and settlement.xlsx (and exposure.vl.json) to `out_dir`."""
    frames = _frames(store)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot write the report to {out} ({exc.strerror or exc})",
            hint="choose another directory with --out",
        ) from None
    exposure, chart = _exposure(frames, out)
    context = {
        "contracts": _contracts(frames),
        "exposure": exposure,
        "rounding": ROUNDING_RULE,
        "generated": datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
        "version": __version__,
    }
    html = out / "settlement.html"
    html.write_text(_template().render(**context), encoding="utf-8")
    xlsx = out / "settlement.xlsx"
    write_workbook(xlsx, frames, ROUNDING_RULE)
    return ReportFiles(html, xlsx, chart)


write_exposure_report = write_settlement_report
