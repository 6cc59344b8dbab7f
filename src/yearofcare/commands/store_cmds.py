"""`yoc tables`, `yoc runs`, `yoc docs`: look inside the store and render the data model."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import app, open_store, out


@app.command()
def tables(ctx: typer.Context) -> None:
    """List the tables in the store with their row counts."""
    store = open_store(ctx)
    t = Table("table", "rows")
    for name in store.tables():
        t.add_row(name, f"{store.count(name):,}")
    out.print(t)


@app.command()
def runs(
    ctx: typer.Context, last: int = typer.Option(20, help="How many recent runs to show.")
) -> None:
    """Show the run log: every stage run with its parameters, row counts and timings."""
    frame = open_store(ctx).runs().tail(last)
    t = Table("run", "stage", "status", "started", "seconds", "outputs")
    for r in frame.itertuples():
        t.add_row(
            r.run_id, r.stage, r.status, str(r.started_at)[:19], f"{r.seconds:.1f}", r.output_rows
        )
    out.print(t)


@app.command()
def docs(
    out_path: Path = typer.Option(
        Path("docs/data-model.md"), "--out", help="Where to write the data model."
    ),
) -> None:
    """Render the declared tables into the data-model document."""
    from yearofcare.schemas.render import write_data_model

    write_data_model(out_path)
    out.print(f"wrote {out_path}")
