"""`yoc settle`: risk-share settlement statements, and exposure before signing (--simulate)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, options, out


@app.command()
def settle(
    ctx: typer.Context,
    terms: list[Path] = typer.Argument(None, help="Contract terms files (YAML)."),
    example: list[str] = typer.Option(
        [], "--example", help="Settle a packaged example: lewisham, whittington, aqc, tiered."
    ),
    inputs: Path | None = typer.Option(
        None, "--inputs", help="Inputs file: outturn, quality level, achievements per period."
    ),
    outturn: list[str] = typer.Option(
        [], "--outturn", help="Outturn in pounds, [PERIOD=]AMOUNT, e.g. 2025/26=12.6m."
    ),
    quality_level: list[str] = typer.Option(
        [], "--quality-level", help="Quality level achieved, [PERIOD=]N."
    ),
    achievement: list[str] = typer.Option(
        [], "--achievement", help="Outcome achievement, [PERIOD=]MEASURE=PERCENT."
    ),
    cohort: str | None = typer.Option(
        None, "--cohort", help="Cohort id in the money stage's reconciliation and budget."
    ),
    min_ltc: int | None = typer.Option(
        None,
        "--min-ltc",
        help="Settle the person_year cohort of people with this many LTCs (its outturn and "
        "high-cost people; a bootstrap of its costs with --simulate).",
    ),
    fy: int | None = typer.Option(None, "--fy", help="Financial year of that cohort."),
    simulate: bool = typer.Option(
        False, "--simulate", help="Each party's gain/loss over simulated outturns instead."
    ),
    draws: int = typer.Option(100_000, "--draws", help="Simulated outturns."),
    seed: int = typer.Option(20261123, "--seed", help="Random seed of the simulation."),
    mean: str | None = typer.Option(None, "--mean", help="Mean outturn to simulate (pounds)."),
    spread: str | None = typer.Option(
        None, "--spread", help="Standard deviation of the outturn (pounds or % of the mean)."
    ),
    distribution: str = typer.Option("lognormal", "--distribution", help="lognormal or normal."),
    period: str | None = typer.Option(None, "--period", help="Period to simulate."),
    report: bool = typer.Option(
        False, "--report", help="Also write the HTML statement and the workbook."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Where the report goes (default: <data-dir>/reports/settlement)."
    ),
) -> None:
    """Settle risk-share contracts: every step from baseline to payment, each party's money in
    and out; or, with --simulate, each party's exposure under alternative terms."""
    from yearofcare.config import options as cli_options
    from yearofcare.contracts.run import SettleOptions, SimulateOptions, run_settle, run_simulate

    common = {
        "terms": tuple(str(p) for p in terms or ()),
        "examples": tuple(example),
        "inputs": str(inputs) if inputs else None,
        "outturn": tuple(outturn),
        "quality_level": tuple(quality_level),
        "achievement": tuple(achievement),
        "cohort": cohort,
        "min_ltc": min_ltc,
        "fy": fy,
    }
    store = open_store(ctx)
    target = out_dir or options(ctx).data_dir / "reports" / "settlement"
    if simulate:
        opts = cli_options(
            SimulateOptions,
            **common,
            draws=draws,
            seed=seed,
            mean=mean,
            spread=spread,
            distribution=distribution,
            period=period,
        )
        result = run_simulate(store, opts, progress=RichProgress())
        _print_exposure(result)
        if report:
            from yearofcare.contracts.report import write_exposure_report

            files = write_exposure_report(store, target)
            out.print(f"exposure: {files.html}")
            out.print(f"workbook: {files.xlsx}")
        return
    result = run_settle(store, cli_options(SettleOptions, **common), progress=RichProgress())
    for s in result.settlements:
        _print_settlement(s)
    out.print(f"settle run {result.run_id}")
    if report:
        from yearofcare.contracts.report import write_settlement_report

        files = write_settlement_report(store, target)
        out.print(f"statements: {files.html}")
        out.print(f"workbook: {files.xlsx}")


def _gbp(value, places: int = 2) -> str:
    return f"£{value:,.{places}f}" if value >= 0 else f"−£{-value:,.{places}f}"


def _print_settlement(s) -> None:
    t = s.loaded.terms
    for r in s.periods:
        f = r.figures
        table = Table(
            "party",
            "received",
            "paid",
            "cost of care",
            "gain (+) / loss (−)",
            title=f"{t.name}, {r.period.id}",
        )
        for party, acc in r.parties.items():
            table.add_row(
                t.party_name(party),
                _gbp(acc["received"]),
                _gbp(acc["paid"]),
                _gbp(acc["cost"]),
                _gbp(acc["gain_loss"]),
            )
        out.print(table)
        out.print(
            f"baseline {_gbp(f['baseline'])}, outturn {_gbp(f['outturn'])}, "
            f"gain/loss {_gbp(f['variance'])}; planned payment {_gbp(f['planned_payment'])}, "
            f"final payment {_gbp(f['payment'])}, provider budget {_gbp(f['provider_budget'])}"
        )
    if s.unsettled:
        out.print(f"not settled yet (no outturn): {', '.join(s.unsettled)}")


def _print_exposure(result) -> None:
    table = Table(
        "scenario",
        "party",
        "mean",
        "P5",
        "P95",
        "P(loss)",
        "expected shortfall",
        title=f"Exposure over {result.draws.outturn.size:,} outturns",
    )
    from yearofcare.contracts.simulate import exposure

    for sc in result.scenarios:
        t = sc.loaded.terms
        for party, position in sc.positions.items():
            e = exposure(position)
            level = "" if sc.quality_level is None else f" (level {sc.quality_level})"
            table.add_row(
                sc.contract + level,
                t.party_name(party),
                _gbp(e["mean"], 0),
                _gbp(e["p5"], 0),
                _gbp(e["p95"], 0),
                f"{e['prob_loss']:.1%}",
                _gbp(e["expected_shortfall"], 0),
            )
    out.print(table)
    out.print(f"outturns: {result.draws.how}; simulate run {result.run_id}")
