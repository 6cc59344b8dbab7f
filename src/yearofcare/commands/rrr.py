"""`yoc rrr`: RRR unbundling of non-elective spells and the delayed-discharge audit summary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, options, out


def _pounds(pence) -> str:
    if pence is None or pence != pence:
        return ""
    return f"−£{-pence / 100:,.0f}" if pence < 0 else f"£{pence / 100:,.0f}"


@app.command()
def rrr(
    ctx: typer.Context,
    settings: Path | None = typer.Option(
        None,
        "--settings",
        help="RRR settings (groups, trim points, tiered RRR tariff, bed-day price); default "
        "<data-dir>/config/rrr.yaml when `yoc init` wrote it, else the shipped example.",
    ),
    groups: str | None = typer.Option(
        None,
        "--groups",
        help="Only these groups of the settings, comma-separated (e.g. copd,stroke).",
    ),
) -> None:
    """Split emergency spells of LTC-related groups into an acute and an RRR phase, price the RRR
    phase from the tiered RRR tariff, and total what could move to community step-up/step-down
    services; delayed days and cost by reason and ward when an audit is loaded."""
    from yearofcare.config.paths import config_file
    from yearofcare.fy import fy_label
    from yearofcare.planning.rrr_run import run_rrr
    from yearofcare.planning.rrr_settings import EXAMPLE, load_rrr_settings

    path = settings or config_file(Path(options(ctx).data_dir), EXAMPLE)
    chosen = tuple(g.strip() for g in groups.split(",") if g.strip()) if groups else None
    s = load_rrr_settings(path).select(chosen)
    store = open_store(ctx)
    result = run_rrr(store, s, progress=RichProgress(), source=str(path) if path else None)
    t = Table(
        "year", "spells", "unbundled", "RRR days", "tariff", "released", "RRR tariff",
        "could move", title=f"RRR unbundling ({', '.join(g.id for g in s.groups)})",
    )  # fmt: skip
    for r in result.totals.itertuples():
        t.add_row(
            fy_label(int(r.fy)), f"{r.spells:,}", f"{r.spells_unbundled:,}", f"{r.rrr_days:,}",
            _pounds(r.tariff_pence), _pounds(r.released_pence), _pounds(r.rrr_pence),
            _pounds(r.net_pence),
        )  # fmt: skip
    out.print(t)
    if result.delays is not None:
        d = Table("year", "reason", "stays", "delayed days", "cost", title="Delayed discharges")
        for r in result.delays.itertuples():
            d.add_row(
                fy_label(int(r.fy)), r.reason_label, f"{r.patients:,}", f"{r.delayed_days:,}",
                _pounds(r.cost_pence),
            )  # fmt: skip
        out.print(d)
    for note in result.notes:
        out.print(f"note: {note}")
    out.print(f"run {result.run_id}: rrr_spell, rrr_summary written; `yoc report` shows them")
