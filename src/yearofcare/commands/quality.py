"""`yoc quality`: data-quality tables, the report, and feedback for each supplier."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, options, out


@app.command()
def quality(
    ctx: typer.Context,
    contracts: Path | None = typer.Option(
        None,
        "--contracts",
        help="CSV or YAML of contract / budget values (name, kind, source, provider_code, "
        "setting, fy, value, tolerance) to triangulate loaded costs against.",
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Where the report goes (default: <data-dir>/reports/quality)."
    ),
    nhs_target: float | None = typer.Option(
        None, "--nhs-target", help="Share of rows expected to carry a valid NHS number (0.95)."
    ),
    volume_change: float | None = typer.Option(
        None, "--volume-change", help="Change in rows against earlier files that is flagged (0.3)."
    ),
    tolerance: float | None = typer.Option(
        None, "--tolerance", help="Default tolerance of a contract line, a fraction (0.05)."
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="YAML file of every threshold (`yoc init` writes a commented quality.yaml); "
        "options given as well win.",
    ),
) -> None:
    """Data quality (Kent's three priorities): NHS number coverage and validity, linkage,
    duplicates, completeness and validity of every column, gaps, timeliness, drift against
    earlier files, cost triangulation; an HTML report, a workbook and per-supplier feedback."""
    from yearofcare.config import load_settings
    from yearofcare.config.paths import reports_dir
    from yearofcare.quality import QualityOptions, run_quality
    from yearofcare.quality.report import write_quality_report

    opts = load_settings(
        QualityOptions,
        config,
        contracts_file=contracts,
        nhs_valid_target=nhs_target,
        volume_change=volume_change,
        tolerance=tolerance,
    )
    store = open_store(ctx)
    result = run_quality(store, opts, progress=RichProgress())
    t = Table("table", "rows", title="yoc quality")
    for name, rows in result.tables.items():
        t.add_row(name, f"{rows:,}")
    out.print(t)
    found = ", ".join(f"{n:,} {k}(s)" for k, n in sorted(result.findings.items())) or "none"
    out.print(f"quality run {result.run_id}; findings: {found}")
    for note in result.notes:
        out.print(f"note: {note}")
    target = out_dir or reports_dir(options(ctx).data_dir) / "quality"
    files = write_quality_report(store, target, run_id=result.run_id)
    out.print(f"workbook: {files.xlsx}")
    out.print(f"report: {files.html}")
    out.print(f"supplier feedback: {files.html.parent / 'feedback'} ({len(files.feedback_html)})")
