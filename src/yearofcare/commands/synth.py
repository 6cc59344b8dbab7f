"""`yoc synth`: generate a synthetic care economy straight into the store's canonical tables."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, console, open_store, options, out


@app.command()
def synth(
    ctx: typer.Context,
    people: int = typer.Option(50_000, "--people", help="People in the synthetic population."),
    years: int = typer.Option(3, "--years", help="Financial years of activity."),
    seed: int = typer.Option(20261123, "--seed", help="Random seed (same seed, same data)."),
    end_fy: int | None = typer.Option(
        None,
        "--end-fy",
        help="Last financial year, by its start year (2025 = 2025/26; default: the last complete one).",
    ),
    key_file: Path | None = typer.Option(
        None,
        "--key-file",
        help="Linkage key (default: <data-dir>-secure/yoc-linkage.key, beside the data dir).",
    ),
    raw: Path | None = typer.Option(
        None,
        "--raw",
        help="Instead of the store, write raw extracts in every `yoc ingest` format (with "
        "defects, defects.json and ingest_plan.json) to this directory, outside the data dir.",
    ),
) -> None:
    """Simulate people, conditions, activity, costs, assessments and LTC6 answers and write
    them as canonical tables (NHS numbers pseudonymised with the linkage key)."""
    from yearofcare.synth import SynthParams, linkage_key, run_synth

    params = SynthParams.checked(people=people, years=years, seed=seed, end_fy=end_fy)
    if raw is not None:
        from yearofcare.synth.raw import synthesise_raw

        manifest = synthesise_raw(params, raw, RichProgress(), options(ctx).data_dir)
        out.print(f"wrote {len(manifest['files'])} raw extracts to {raw}: {manifest['totals']}")
        out.print(f"load them with: yoc ingest --plan {raw}")
        return
    store = open_store(ctx)
    key, path, created = linkage_key(key_file, options(ctx).data_dir)
    if created:
        console.print(f"created a new linkage key {path} (keep it outside the store)")
    counts = run_synth(store, params, key, RichProgress())
    t = Table("table", "rows", title="yoc synth")
    for name, rows in counts.items():
        t.add_row(name, f"{rows:,}")
    out.print(t)
