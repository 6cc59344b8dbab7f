"""`yoc report`: one report of everything the store holds, section by section."""

from __future__ import annotations

from pathlib import Path

import typer

from yearofcare.cli import app, open_store, options, out


@app.command()
def report(
    ctx: typer.Context,
    out_dir: Path | None = typer.Option(
        None, "--out", help="Where the report goes (default: <data-dir>/reports)."
    ),
) -> None:
    """Write report.html and report.xlsx: every stage's sections whose tables are in the
    store; the others name the command that writes them."""
    from yearofcare.config.paths import reports_dir
    from yearofcare.reports.render import write_report

    store = open_store(ctx)
    files = write_report(store, out_dir or reports_dir(options(ctx).data_dir))
    for command in sorted(set(files.missing.values())):
        sections = [s for s, c in files.missing.items() if c == command]
        out.print(f"not yet in the store: {', '.join(sections)} (run `{command}`)")
    out.print(f"workbook: {files.xlsx}")
    out.print(f"report: {files.html}")
