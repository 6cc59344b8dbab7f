"""`yoc cohort select|review|update|stability|count`: two-stage selection and the register."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, out

cohort_app = typer.Typer(
    help="Rules-based, two-stage cohort selection and the cohort register.", no_args_is_help=True
)
app.add_typer(cohort_app, name="cohort")

COHORTS_HELP = (
    "Cohorts file (YAML; default: the packaged cohorts-2026.1, `yoc init` writes a copy to edit)."
)


@cohort_app.command("select")
def select(
    ctx: typer.Context,
    cohort: str = typer.Argument(..., help="Cohort id from the cohorts file."),
    fy: int | None = typer.Option(
        None, "--fy", help="Year whose data the rule runs on (default: the latest)."
    ),
    cohorts: Path | None = typer.Option(None, "--cohorts", help=COHORTS_HELP),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Where the review lists go (default: <data-dir>/reports/review)."
    ),
) -> None:
    """Stage one: run the cohort's rule and write a review list per practice."""
    from yearofcare.cohorts.selection import CohortOptions, run_select
    from yearofcare.config import settings

    opts = settings(CohortOptions, cohort=cohort, fy=fy, cohorts=cohorts, out_dir=out_dir)
    r = run_select(open_store(ctx), opts, progress=RichProgress())
    out.print(
        f"{r.cohort_id} ({r.fy}): {r.proposed:,} people proposed for review at {r.practices} practice(s)"
    )
    if r.files:
        out.print(f"review lists: {r.files[0].parent}")
    out.print(f"return the decisions with `yoc cohort review {r.cohort_id} --decisions FILE`")


@cohort_app.command("review")
def review(
    ctx: typer.Context,
    cohort: str = typer.Argument(..., help="Cohort id."),
    decisions: Path = typer.Option(
        ...,
        "--decisions",
        help="Reviewers' decisions (CSV: person_id, decision, decided_on, reviewer, reason).",
    ),
    fy: int | None = typer.Option(
        None, "--fy", help="Selection year of the review list (default: the latest)."
    ),
    cohorts: Path | None = typer.Option(None, "--cohorts", help=COHORTS_HELP),
) -> None:
    """Stage two: accepted people join the cohort register; declined ones stay out."""
    from yearofcare.cohorts.selection import CohortOptions, run_review
    from yearofcare.config import settings

    opts = settings(CohortOptions, cohort=cohort, fy=fy, cohorts=cohorts, decisions=decisions)
    r = run_review(open_store(ctx), opts, progress=RichProgress())
    out.print(
        f"{r.cohort_id} ({r.fy}): {r.accepted:,} accepted, {r.declined:,} declined, "
        f"{r.withdrawn:,} withdrawn, {r.pending:,} left pending in the file"
    )


@cohort_app.command("update")
def update(
    ctx: typer.Context,
    cohort: str = typer.Argument(..., help="Cohort id."),
    fy: int = typer.Option(..., "--fy", help="Year to review the members against."),
    cohorts: Path | None = typer.Option(None, "--cohorts", help=COHORTS_HELP),
) -> None:
    """The annual review: deaths, moves, step-downs and currency changes close spells."""
    from yearofcare.cohorts.selection import CohortOptions, run_update
    from yearofcare.config import settings

    r = run_update(
        open_store(ctx),
        settings(CohortOptions, cohort=cohort, fy=fy, cohorts=cohorts),
        progress=RichProgress(),
    )
    moves = (
        ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in sorted(r.transitions.items()))
        or "no changes"
    )
    out.print(f"{r.cohort_id} ({r.fy}): {moves}; {r.members:,} members now")


@cohort_app.command("stability")
def stability(
    ctx: typer.Context,
    cohorts: Path | None = typer.Option(None, "--cohorts", help=COHORTS_HELP),
) -> None:
    """Year-to-year turnover of each cohort rule and the volatility of its mean cost by cohort size."""
    from yearofcare.cohorts.stability import StabilityOptions, run_stability
    from yearofcare.config import settings

    r = run_stability(
        open_store(ctx), settings(StabilityOptions, cohorts=cohorts), progress=RichProgress()
    )
    t = Table("cohort", "years", "members", "retention")
    for row in r.stability.itertuples():
        ret = "*" if row.retention != row.retention else f"{row.retention:.0%}"
        t.add_row(
            row.cohort_id,
            f"{row.fy_from}→{row.fy_to}",
            "*" if row.members is None else f"{row.members:,}",
            ret,
        )
    out.print(t)


@cohort_app.command("count")
def count(
    ctx: typer.Context,
    rule: str = typer.Argument(..., help='A rule, e.g. "ltc_count >= 3 and age >= 65".'),
    fy: int | None = typer.Option(None, "--fy", help="One year only (default: every year)."),
) -> None:
    """How many person-years a rule selects, by year (rounded; small counts suppressed)."""
    from yearofcare.cohorts.explore import count_rule

    frame = count_rule(open_store(ctx), rule, fy)
    t = Table("year", "person-years selected", "of")
    for r in frame.itertuples():
        t.add_row(
            str(r.fy), "*" if r.selected != r.selected else f"{r.selected:,.0f}", f"{r.people:,.0f}"
        )
    out.print(t)
