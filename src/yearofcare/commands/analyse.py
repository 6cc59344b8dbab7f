"""`yoc analyse`: the whole-population analyses, and optionally their HTML report and workbook."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, options, out


@app.command()
def analyse(
    ctx: typer.Context,
    by: str | None = typer.Option(
        None,
        "--by",
        help="Also split every analysis by: practice, locality, age_band, imd_decile or sex.",
    ),
    fy: int | None = typer.Option(
        None,
        "--fy",
        help="Financial year of the single-year analyses, by its start year (default: the "
        "latest); the crisis curve, turnover and bed demand use every year in person_year.",
    ),
    report: bool = typer.Option(
        False, "--report", help="Also write the HTML report and the Excel workbook."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Where the report goes (default: <data-dir>/reports)."
    ),
    rule: list[str] = typer.Option(
        [],
        "--rule",
        help="Cohort rule for the crisis curve and turnover, kind:value, repeatable "
        "(top_cost:1, top_cost:5, ltc_min:3, top_score:5). Default: top_cost:1 top_cost:5 "
        "ltc_min:3 ltc_min:5.",
    ),
    score_table: str | None = typer.Option(
        None, "--score-table", help="Table of risk scores (person_id, score[, fy]; risk_score)."
    ),
    score_column: str | None = typer.Option(
        None, "--score-column", help="Score column in it (score)."
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="YAML file of these settings (`yoc init` writes a commented analysis.yaml); "
        "options given as well win.",
    ),
    population: str | None = typer.Option(
        None,
        "--population",
        help="Who every analysis counts: registered (registered with a practice during the "
        "year; the default) or everyone (every person-year, registered or seen in any service).",
    ),
    min_months: int | None = typer.Option(
        None,
        "--min-months",
        help="With --population registered: months of the year registered, at least (1-12; "
        "default 1).",
    ),
) -> None:
    """Whole-population analyses: cost by LTCs and age, concentration, multimorbidity overlap,
    risk vs multimorbidity selection, crisis curve, cohort turnover, bed demand."""
    from yearofcare.config import load_settings
    from yearofcare.population.analysis import AnalysisOptions, run_analyses
    from yearofcare.population.analysis.common import SelectionRule

    who = None
    if population is not None or min_months is not None:
        who = {"rule": population or "registered", "min_months": min_months or 1}
    opts = load_settings(
        AnalysisOptions,
        config,
        population=who,
        by=by,
        fy=fy,
        rules=tuple(SelectionRule.parse(r) for r in rule) or None,
        score_table=score_table,
        score_column=score_column,
    )
    store = open_store(ctx)
    result = run_analyses(store, opts, progress=RichProgress())
    t = Table("table", "rows", "note")
    for name, frame in result.tables.items():
        t.add_row(name, f"{len(frame):,}", result.skipped.get(name, ""))
    out.print(t)
    for name, note in result.skipped.items():
        if not name.startswith("analysis_"):
            out.print(f"note: {note}")
    out.print(
        f"analysis run {result.run_id}, financial year {result.fy}; analysis population: "
        f"{opts.population.description}"
    )
    if report:
        from yearofcare.config.paths import reports_dir
        from yearofcare.population.analysis.report import write_analysis_report

        target = out_dir or reports_dir(options(ctx).data_dir)
        files = write_analysis_report(store, target, run_id=result.run_id)
        out.print(f"workbook: {files.xlsx}")
        out.print(f"report: {files.html}")
