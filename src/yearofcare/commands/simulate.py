"""`yoc simulate`: the Year of Care simulation, baseline against scenario (yearofcare.planning)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, out
from yearofcare.fy import fy_label


def _money(v) -> str:
    return "" if v is None or v != v else f"£{v:,.0f}"


def _interval(lo, hi) -> str:
    return "" if lo is None or lo != lo else f"{_money(lo)} to {_money(hi)}"


@app.command()
def simulate(
    ctx: typer.Context,
    scenario: list[Path] = typer.Option(
        [],
        "--scenario",
        "-s",
        help="Scenario YAML (repeat for several; `yoc init` writes examples).",
    ),
    runs: int | None = typer.Option(None, "--runs", help="Monte Carlo runs (default 1000)."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the runs (default 14)."),
    base_fy: int | None = typer.Option(
        None, "--base-fy", help="Year the cohorts are selected in (default: the latest scored)."
    ),
    dynamics: str | None = typer.Option(
        None, "--dynamics", help="history (measured from past years, default) or none."
    ),
    workforce: Path | None = typer.Option(
        None, "--workforce", help="Staff groups and productivity YAML (default: packaged)."
    ),
) -> None:
    """Baseline against scenario over three years by cohort and setting: people, activity, cost,
    mean cost per person (Table 3) and WTE, with Monte Carlo intervals; writes the service-model
    adjustment `yoc budget` reads."""
    from yearofcare.config import options
    from yearofcare.planning.simulate import SimulateOptions, run_simulate

    opts = options(
        SimulateOptions,
        scenarios=tuple(scenario),
        runs=runs,
        seed=seed,
        base_fy=base_fy,
        dynamics=dynamics,
        workforce_file=workforce,
    )
    store = open_store(ctx)
    result = run_simulate(store, opts, progress=RichProgress())
    for sid, rows in result.summary.groupby("scenario_id", sort=False):
        first = rows.iloc[0]
        t = Table(
            "cohort",
            "people",
            f"mean cost {fy_label(int(first.base_fy))}",
            "baseline a year",
            "scenario a year",
            f"saving over {int(first.years)} years",
            "interval",
            "P(saving)",
            "annual budget",
            title=f"{first.scenario_name} ({sid}): mean annual care cost per patient",
        )
        for r in rows.sort_values("cohort_order", key=lambda c: c.replace(0, 999)).itertuples():
            t.add_row(
                r.cohort_label,
                f"{int(r.people):,}",
                _money(r.base_mean_cost),
                _money(r.baseline_mean_cost),
                _money(r.scenario_mean_cost),
                _money(r.saving),
                _interval(r.saving_lower, r.saving_upper),
                ""
                if r.probability_saving != r.probability_saving
                else f"{r.probability_saving:.0%}",
                _money(r.annual_budget),
            )
        out.print(t)
    for note in result.notes:
        out.print(f"note: {note}")
    out.print(
        f"simulate run {result.run_id}: base year {fy_label(result.base_fy)}, "
        f"{int(result.summary.runs.max()) if len(result.summary) else 0:,} Monte Carlo runs; "
        f"{len(result.adjustment):,} service-model adjustment rows for `yoc budget`"
    )
