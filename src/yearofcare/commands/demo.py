"""`yoc demo`: the whole pipeline on a synthetic care economy, from raw extracts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, options, out
from yearofcare.commands.ingest import default_key_file


@app.command()
def demo(
    ctx: typer.Context,
    people: int = typer.Option(50_000, "--people", help="Synthetic people."),
    years: int = typer.Option(3, "--years", help="Financial years of activity."),
    seed: int = typer.Option(20261123, "--seed", help="Random seed."),
    raw_dir: Path | None = typer.Option(
        None, "--raw", help="Where the raw extracts go (default: <data-dir>-raw, outside it)."
    ),
) -> None:
    """Synthesise a care economy, write it as raw extracts with defects, ingest them (with
    opt-outs), link, check data quality and build person_year."""
    from yearofcare.demo import DemoOptions, run_demo

    opts = options(ctx)
    data_dir = Path(opts.data_dir).resolve()
    raw = raw_dir or data_dir.parent / f"{data_dir.name}-raw"
    store = open_store(ctx)
    result = run_demo(
        store,
        DemoOptions(people, years, seed, raw, default_key_file(data_dir)),
        progress=RichProgress(),
    )
    t = Table("step", "result", title="yoc demo")
    for step, summary in result.steps:
        t.add_row(step, summary)
    out.print(t)
