"""`yoc scorecard` (every outcome measure, the balanced scorecard, funnels and the achievement
the settlement reads) and `yoc evaluate` (matched-control evaluation of a service)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, out


@app.command()
def scorecard(
    ctx: typer.Context,
    measures: Path | None = typer.Option(
        None, "--measures", help="Measures file (default: the packaged yoc-measures file)."
    ),
    targets: Path | None = typer.Option(
        None, "--scorecard", help="Scorecard file: targets, RAG band, quality levels."
    ),
) -> None:
    """Compute every outcome measure by level of need, currency, cohort, practice and provider,
    the balanced scorecard with RAG and funnel limits, and outcome_achievement."""
    from yearofcare.config import settings
    from yearofcare.outcomes.run import ScorecardOptions, run_scorecard

    opts = settings(ScorecardOptions, measures_file=measures, scorecard_file=targets)
    store = open_store(ctx)
    result = run_scorecard(store, opts, progress=RichProgress())
    card = result.scorecard
    latest = card.fy.max() if len(card) else None
    t = Table(
        "quadrant",
        "measure",
        "value",
        "target",
        "RAG",
        "change %",
        title=f"Balanced scorecard {latest}",
    )
    for r in card[card.fy == latest].itertuples() if latest is not None else []:
        value = "" if r.value != r.value else f"{r.value:,.1f}"
        target = "" if r.target is None or r.target != r.target else f"{r.target:,.1f}"
        change = "" if r.change_percent != r.change_percent else f"{r.change_percent:+.1f}"
        t.add_row(r.quadrant, r.label, value or (r.note or r.status), target, r.rag, change)
    out.print(t)
    for note in result.notes:
        out.print(f"note: {note}")
    missing = result.measures[result.measures.status == "needs_table"]
    for r in missing.itertuples():
        out.print(f"{r.measure_id}: {r.note}")
    out.print(
        f"outcomes run {result.run_id}: {len(result.measures):,} measure rows, {len(result.funnel):,} funnel rows"
    )


@app.command()
def evaluate(
    ctx: typer.Context,
    service: list[str] = typer.Option(
        [],
        "--service",
        help="Service (service_enrolment) or cohort id to evaluate; repeatable. Default: every service.",
    ),
    caliper: float = typer.Option(
        0.2, "--caliper", help="Caliper in SDs of the logit of the propensity score."
    ),
    replicates: int = typer.Option(200, "--replicates", help="Bootstrap replicates."),
    min_treated: int = typer.Option(
        30, "--min-treated", help="Fewest enrolled people to evaluate."
    ),
    seed: int = typer.Option(15, "--seed", help="Seed for control index days and the bootstrap."),
    controls: str = typer.Option(
        "auto",
        "--controls",
        help="Where controls come from: other_practices (where nobody joined), not_enrolled, "
        "or auto (other practices when they hold enough people).",
    ),
) -> None:
    """Evaluate services: matched controls, balance, difference-in-differences with bootstrap
    intervals, beside the naive before-and-after and the 6-months view."""
    from yearofcare.outcomes.evaluate_run import run_evaluations
    from yearofcare.outcomes.evaluation import known_services

    store = open_store(ctx)
    services = service or known_services(store)
    result = run_evaluations(
        store,
        services,
        caliper=caliper,
        replicates=replicates,
        min_treated=min_treated,
        seed=seed,
        controls=controls,
        progress=RichProgress(),
    )
    t = Table("service", "outcome", "method", "before", "after", "effect", "relative (95 % CI)")
    s = result.summary
    for r in s[s.outcome == "non_elective"].itertuples():
        rel = (
            ""
            if r.relative != r.relative
            else f"{r.relative:+.1%} ({r.relative_lower:+.1%} to {r.relative_upper:+.1%})"
        )
        t.add_row(
            r.service_id,
            r.outcome,
            r.method,
            f"{r.treated_pre:.2f}",
            f"{r.treated_post:.2f}",
            f"{r.estimate:+.3f}",
            rel,
        )
    out.print(t)
    for note in result.notes:
        out.print(f"note: {note}")
